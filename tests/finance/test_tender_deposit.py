"""The bid deposit a tender requires: declared in yuan or as a percentage, capped by law, valid as long as the bids
(招标投标法实施条例 第25条、第26条; 政府采购法实施条例 第33条)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import InvalidInput
from ggzy.core.permissions import Permission
from ggzy.tendering import rules
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Method
from tests.conftest import TEST_NOW
from tests.factories import event_count, make_accepted_project, principal, token_for
from tests.portal.ws_support import browser_login, csrf_from, problem_code

# make_accepted_project's lot: a budget (estimate) of 1,000,000.00 yuan, so 2% is 20,000.00 yuan
CAP_FEN = 2_000_000


def _create(db: Session, setup: dict, *, procedure: str = "open", **deposit: object) -> Tender:
    return tendering.create_tender(
        db, principal(db, setup["agent_user"], Permission.TENDER_MANAGE), lot_id=setup["lots"][0].id,
        procedure_key=procedure, method=Method.SCORING, title="保证金测试招标", notice_text="招标公告正文",
        documents_until=TEST_NOW + timedelta(days=10), bid_deadline=TEST_NOW + timedelta(days=25),
        invited_entity_ids=[], now=TEST_NOW, **deposit,  # type: ignore[arg-type]
    )  # fmt: skip


def _tenders(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Tender)) or 0


def test_regulations_art_26_a_deposit_of_2_percent_of_the_estimate_is_accepted_with_the_bid_validity(
    db: Session,
) -> None:
    tender = _create(db, make_accepted_project(db), deposit_fen=CAP_FEN, bid_validity_days=90)
    assert (tender.deposit_fen, tender.bid_validity_days) == (CAP_FEN, 90)
    assert rules.bid_validity_ends(tender.bid_deadline, 90) == tender.bid_deadline + timedelta(days=90)


def test_regulations_art_26_a_deposit_above_2_percent_of_the_estimate_is_refused_and_leaves_nothing(
    db: Session,
) -> None:
    setup = make_accepted_project(db)
    before = _tenders(db), event_count(db)
    with pytest.raises(rules.DepositAboveCap) as refused:
        _create(db, setup, deposit_fen=CAP_FEN + 1, bid_validity_days=90)
    assert "招标投标法实施条例 第二十六条" in refused.value.detail_zh
    assert "20,000.00" in refused.value.detail_zh
    assert (_tenders(db), event_count(db)) == before


def test_regulations_art_26_a_percentage_of_the_estimate_becomes_fen_and_is_capped(db: Session) -> None:
    setup = make_accepted_project(db)
    with pytest.raises(rules.DepositAboveCap):
        _create(db, setup, deposit_percent=Decimal("2.01"), bid_validity_days=60)
    tender = _create(db, setup, deposit_percent=Decimal("1.5"), bid_validity_days=60)
    assert tender.deposit_fen == 1_500_000


def test_regulations_art_25_26_a_deposit_needs_the_bid_validity_it_lasts_for(db: Session) -> None:
    with pytest.raises(rules.DepositWithoutBidValidity):
        _create(db, make_accepted_project(db), deposit_fen=100_000)


def test_a_deposit_is_an_amount_or_a_percentage_not_both(db: Session) -> None:
    with pytest.raises(InvalidInput):
        _create(db, make_accepted_project(db), deposit_fen=100_000, deposit_percent=Decimal("1"), bid_validity_days=9)


def test_procurement_regulations_art_33_a_deposit_above_2_percent_of_the_budget_is_refused(db: Session) -> None:
    setup = make_accepted_project(db, trade_type="gov_procurement")
    with pytest.raises(rules.DepositAboveCap) as refused:
        _create(db, setup, procedure="gp_open", deposit_fen=CAP_FEN + 1, bid_validity_days=90)
    assert "政府采购法实施条例 第三十三条" in refused.value.detail_zh
    assert "预算金额" in refused.value.detail_zh
    assert _create(db, setup, procedure="gp_open", deposit_fen=CAP_FEN, bid_validity_days=90).deposit_fen == CAP_FEN


@pytest.mark.parametrize("budget_fen", [1, 49, 50, 99_999_999, 10**15 + 7])
def test_the_cap_is_2_percent_rounded_down_to_the_fen(budget_fen: int) -> None:
    cap = rules.deposit_cap_fen(budget_fen)
    assert cap * 100 <= budget_fen * 2 < (cap + 1) * 100
    assert rules.deposit_of_percent(budget_fen, Decimal("2")) == cap


def _body(lot_id: int, **changes: object) -> dict:
    return {
        "lot_id": lot_id, "procedure": "open", "method": "scoring", "title": "保证金测试招标", "notice_text": "公告",
        "documents_until": (TEST_NOW + timedelta(days=10)).isoformat(),
        "bid_deadline": (TEST_NOW + timedelta(days=25)).isoformat(), **changes,
    }  # fmt: skip


def test_the_api_takes_a_deposit_in_yuan_and_the_public_notice_shows_it_in_yuan_and_wan_yuan(
    client: TestClient, db: Session
) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    body = _body(setup["lots"][0].id, deposit={"amount": "20000"}, bid_validity_days=90)
    created = client.post("/api/v1/tenders", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert (created.json()["deposit_fen"], created.json()["bid_validity_days"]) == (CAP_FEN, 90)
    tender_id = created.json()["id"]
    assert client.put(f"/api/v1/tenders/{tender_id}/documents", files={"file": ("a.pdf", b"%PDF")}, headers=headers)
    assert client.post(f"/api/v1/tenders/{tender_id}/publish", headers=headers).status_code == 200
    page = client.get(f"/projects/{setup['project'].id}")
    assert page.status_code == 200
    assert "投标保证金 20,000.00 元（2.00 万元）" in page.text
    assert "90日" in page.text


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"deposit": {"amount": "20000.01"}, "bid_validity_days": 90}, "deposit_above_cap"),
        ({"deposit": {"percent": "3"}, "bid_validity_days": 90}, "deposit_above_cap"),
        ({"deposit": {"amount": "100"}}, "deposit_without_bid_validity"),
        ({"deposit": {"amount": "100", "percent": "1"}, "bid_validity_days": 9}, "validation_failed"),
        ({"deposit": {"amount": "1.001"}, "bid_validity_days": 9}, "invalid_input"),
    ],
)
def test_the_api_refuses_a_deposit_the_law_or_arithmetic_does_not_allow_and_leaves_nothing(
    client: TestClient, db: Session, changes: dict, code: str
) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    before = _tenders(db), event_count(db)
    response = client.post("/api/v1/tenders", json=_body(setup["lots"][0].id, **changes), headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert (_tenders(db), event_count(db)) == before


def _form(token: str, **changes: str) -> dict[str, str]:
    def local(moment: datetime) -> str:
        return to_china_time(moment).strftime("%Y-%m-%dT%H:%M")

    return {
        "csrf_token": token, "title": "页面保证金招标", "notice_text": "公告正文", "procedure": "open",
        "method": "scoring", "documents_until": local(TEST_NOW + timedelta(days=10)),
        "bid_deadline": local(TEST_NOW + timedelta(days=25)), **changes,
    }  # fmt: skip


def test_regulations_art_26_the_owners_form_declares_the_deposit_and_refuses_one_above_the_cap(
    client: TestClient, db: Session
) -> None:
    setup = make_accepted_project(db)
    browser_login(client, db, setup["agent_user"])
    url = f"/workspace/projects/lots/{setup['lots'][0].id}/tenders"
    page = client.get("/workspace/projects").text
    assert 'name="deposit_amount"' in page
    assert 'name="bid_validity_days"' in page
    token = csrf_from(client, "/workspace/projects")
    before = _tenders(db), event_count(db)
    refused = client.post(url, data=_form(token, deposit_amount="20000.01", bid_validity_days="90"))
    assert (refused.status_code, problem_code(refused)) == (422, "deposit_above_cap")
    assert (_tenders(db), event_count(db)) == before
    created = client.post(url, data=_form(token, deposit_percent="2", bid_validity_days="90"), follow_redirects=False)
    assert created.status_code == 303, created.text
    tender_page = client.get(created.headers["location"])
    assert "20,000.00 元（2.00 万元）" in tender_page.text
