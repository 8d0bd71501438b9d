"""The expert's workspace through the pages: the tenders it sits on, its signing key, its score sheets signed by that
key and final once submitted (ggzy.evaluation.signing)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission
from ggzy.entities.models import User
from ggzy.evaluation import rules
from ggzy.evaluation import service as evaluation
from ggzy.evaluation.models import ScoreSheet, SigningKey
from ggzy.experts import service as experts
from ggzy.experts.models import CommitteeMember
from tests.evaluation.signing_support import BrowserKey
from tests.factories import bidder_user, check_in_committee, event_count, make_expert, make_opened_tender, principal
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code


def _evaluating(db: Session, ca_dir: Path) -> tuple[dict, User]:
    opened = make_opened_tender(db, ca_dir, prices=[30_000_000, 20_000_000, 10_000_000], method="scoring")
    for _ in range(5):
        make_expert(db)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    tender_id, now = opened["tender"].id, opened["opened_at"]
    experts.draw_committee(
        db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0, owner_representative_user_ids=[],
        now=now,
    )  # fmt: skip
    check_in_committee(db, opened["staff"], tender_id, now)
    scheme = rules.Scheme(
        (), (rules.Criterion("technical", "技术方案", Decimal(30)),), Decimal(70), rules.PriceFormula.LOWEST_BASE
    )
    evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
    member = db.scalar(select(CommitteeMember).where(CommitteeMember.tender_id == tender_id))
    assert member is not None
    user = db.get(User, member.user_id)
    assert user is not None
    return opened, user


def _message(tender_id: int, bid_id: int, member_id: int, typed: str) -> str:
    """What the page's script signs (static/js/expert_signing.js), for the one criterion of the scheme."""
    return f"ggzy score sheet v1\ntender={tender_id}\nbid={bid_id}\nmember={member_id}\ntechnical={typed}\n"


def test_an_expert_enrols_a_key_and_submits_a_signed_score_sheet_that_is_final_and_in_the_ledger(
    client: TestClient,
    db: Session,
    clock,
    gm_ca: Path,
    trusted: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    opened, expert = _evaluating(db, gm_ca)
    clock.set(opened["opened_at"])
    tender = opened["tender"]
    member = db.scalar(select(CommitteeMember).where(CommitteeMember.user_id == expert.id))
    assert member is not None
    browser_login(client, db, expert)
    home = client.get("/workspace/expert")
    assert f'href="/workspace/expert/tenders/{tender.id}"' in home.text
    page = f"/workspace/expert/tenders/{tender.id}"
    # no key yet: the page asks to enrol first and offers no score form
    text = client.get(page).text
    assert 'name="score.technical"' not in text
    assert "您尚未登记签名密钥" in text
    assert 'action="/workspace/expert/signing-key"' in text
    token = csrf_from(client, page)
    key = BrowserKey()
    enrolled = client.post(
        "/workspace/expert/signing-key",
        data={"csrf_token": token, "public_key": key.public_key, "tender_id": str(tender.id)},
        follow_redirects=False,
    )
    assert enrolled.status_code == 303, enrolled.text
    assert enrolled.headers["location"] == f"{page}#signing-key"
    assert outcome_code(enrolled) == "signing_key_enrolled"
    assert event_count(db, "evaluation.signing_key_enrolled") == 1
    text = client.get(page).text
    assert key.fingerprint in text
    assert 'name="score.technical"' in text
    assert f'data-member="{member.id}"' in text
    assert f'data-tender="{tender.id}"' in text
    bid_id = opened["bid_ids"][0]
    too_high = client.post(
        f"{page}/score-sheets",
        data={"csrf_token": token, "bid_id": str(bid_id), "score.technical": "31",
              "signature": key.sign(_message(tender.id, bid_id, member.id, "31"))},
    )  # fmt: skip
    assert (too_high.status_code, problem_code(too_high)) == (422, "score_above_maximum")
    unsigned = client.post(
        f"{page}/score-sheets", data={"csrf_token": token, "bid_id": str(bid_id), "score.technical": "27.5"}
    )
    assert (unsigned.status_code, problem_code(unsigned)) == (422, "score_sheet_signature_invalid")
    assert "签名" in unsigned.text
    assert event_count(db, "evaluation.score_sheet_submitted") == 0
    assert db.scalar(select(ScoreSheet).where(ScoreSheet.bid_id == bid_id)) is None
    done = client.post(
        f"{page}/score-sheets",
        data={"csrf_token": token, "bid_id": str(bid_id), "score.technical": "27.5",
              "signature": key.sign(_message(tender.id, bid_id, member.id, "27.5"))},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    sheet = db.scalar(select(ScoreSheet).where(ScoreSheet.bid_id == bid_id))
    assert sheet is not None
    assert sheet.key_fingerprint == key.fingerprint
    assert sheet.signed_message == _message(tender.id, bid_id, member.id, "27.5")
    shown = client.get(page).text
    assert sheet.sha256 in shown
    assert "已签名" in shown
    assert event_count(db, "evaluation.score_sheet_submitted") == 1
    again = client.post(
        f"{page}/score-sheets",
        data={"csrf_token": token, "bid_id": str(bid_id), "score.technical": "20",
              "signature": key.sign(_message(tender.id, bid_id, member.id, "20"))},
    )  # fmt: skip
    assert problem_code(again) == "evaluation_entry_final"


def test_an_enrolment_from_the_page_of_no_p256_key_is_refused_inline_and_leaves_nothing(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    _, expert = _evaluating(db, gm_ca)
    browser_login(client, db, expert)
    token = csrf_from(client, "/workspace/expert")
    before = event_count(db)
    refused = client.post("/workspace/expert/signing-key", data={"csrf_token": token, "public_key": "bm90IGEga2V5"})
    assert (refused.status_code, problem_code(refused)) == (422, "signing_key_invalid")
    assert "签名公钥无效" in refused.text
    assert db.scalar(select(SigningKey.id)) is None
    assert event_count(db) == before


def test_a_score_typed_otherwise_than_as_a_plain_decimal_is_refused_by_the_page(
    client: TestClient,
    db: Session,
    clock,
    gm_ca: Path,
    trusted: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    opened, expert = _evaluating(db, gm_ca)
    clock.set(opened["opened_at"])
    browser_login(client, db, expert)
    page = f"/workspace/expert/tenders/{opened['tender'].id}"
    token = csrf_from(client, page)
    refused = client.post(
        f"{page}/score-sheets",
        data={"csrf_token": token, "bid_id": str(opened["bid_ids"][0]), "score.technical": "027"},
    )
    assert (refused.status_code, problem_code(refused)) == (422, "invalid_input")
    assert db.scalar(select(ScoreSheet.id)) is None


def test_a_user_off_the_committee_sees_no_score_sheet(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    opened, _ = _evaluating(db, gm_ca)
    outsider = make_expert(db)
    user = db.get(User, outsider.user_id)
    assert user is not None
    browser_login(client, db, user)
    response = client.get(f"/workspace/expert/tenders/{opened['tender'].id}")
    assert (response.status_code, problem_code(response)) == (403, "not_a_committee_member")
    client.cookies.clear()
    browser_login(client, db, bidder_user(db))
    refused = client.get(f"/workspace/expert/tenders/{opened['tender'].id}")
    assert (refused.status_code, problem_code(refused)) == (403, "permission_denied")
