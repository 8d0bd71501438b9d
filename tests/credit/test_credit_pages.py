"""The credit pages (decision 0040): the supervisor records a penalty and imports a list through forms that
confirm, a refusal leaves nothing and says why with the article, the inspector reads without a form, the public
reads the blacklist and queries by code, and a bidder intercepted on the portal's registration is counted."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.permissions import SYSTEM, Permission, Principal, Role
from ggzy.credit import service
from ggzy.credit.models import CreditPenalty
from ggzy.credit.rules import CreditIntercepted
from ggzy.entities import service as entities
from ggzy.entities.schemas import EntityIn, RoleGrantIn
from tests.conftest import TEST_NOW
from tests.credit.support import csv_list, supervisor, suspend
from tests.factories import (
    bidder_user,
    credit_code,
    event_count,
    make_entity,
    make_expert,
    make_published_tender,
    make_user,
    principal,
    user_with_role,
)
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code

PAGE = "/workspace/credit"


def _penalties(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(CreditPenalty)) or 0


def _form(token: str, code: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": token, "decision_number": f"云公管罚〔2026〕{code[-6:]}号", "kind": "suspension",
        "legal_basis": "ztb53", "credit_code": code, "months": "15", "grounds": "串通投标，情节严重",
    } | changes  # fmt: skip


def test_a_supervisor_records_a_suspension_through_the_form_and_it_is_listed(client: TestClient, db: Session) -> None:
    browser_login(client, db, user_with_role(db, Role.SUPERVISOR))
    shown = client.get(PAGE).text
    assert "data-confirm" in shown
    assert "<table" in shown
    entity = make_entity(db)
    done = client.post(f"{PAGE}/penalties", data=_form(csrf_from(client, PAGE), entity.credit_code),
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "credit_penalty_decided"
    published = client.get("/credit/blacklist").text
    assert entity.name in published
    assert "依法必须进行招标的项目" in published  # 第五十三条's suspension closes the tendering law's trades only


def test_a_supervisor_suspends_an_expert_through_the_form_实施条例第七十一条(client: TestClient, db: Session) -> None:
    """The form names an expert by number instead of a credit code; the expert's articles are offered."""
    browser_login(client, db, user_with_role(db, Role.SUPERVISOR))
    shown = client.get(PAGE).text
    assert 'name="expert_id"' in shown
    assert 'value="ssl71"' in shown  # 实施条例 第七十一条, an expert's article
    expert = make_expert(db)
    form = _form(csrf_from(client, PAGE), "", legal_basis="ssl71", months="6", grounds="私下接触投标人")
    done = client.post(f"{PAGE}/penalties", data=form | {"expert_id": str(expert.id)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    penalty = db.scalar(select(CreditPenalty).where(CreditPenalty.expert_id == expert.id))
    assert penalty is not None
    assert (penalty.subject_name, penalty.credit_code) == (expert.name, None)
    before = _penalties(db), event_count(db)
    refused = client.post(f"{PAGE}/penalties", data=form | {"expert_id": "12ab"})
    assert refused.status_code == 422
    assert problem_code(refused) == "invalid_input"
    assert (_penalties(db), event_count(db)) == before


def test_a_suspension_of_25_months_on_the_form_is_refused_naming_article_67_and_leaves_nothing(
    client: TestClient, db: Session
) -> None:
    """实施条例 第六十七条: 1年至2年 — 25 months is refused; the page names the article; no penalty, no event."""
    browser_login(client, db, user_with_role(db, Role.SUPERVISOR))
    token = csrf_from(client, PAGE)
    code = make_entity(db).credit_code
    before = _penalties(db), event_count(db)
    refused = client.post(f"{PAGE}/penalties", data=_form(token, code, months="25"))
    assert refused.status_code == 422
    assert problem_code(refused) == "credit_penalty_out_of_range"
    assert "第六十七条" in refused.text
    assert (_penalties(db), event_count(db)) == before


def test_a_list_with_a_bad_row_uploaded_on_the_page_is_refused_with_its_row(client: TestClient, db: Session) -> None:
    browser_login(client, db, user_with_role(db, Role.SUPERVISOR))
    token = csrf_from(client, PAGE)
    good = credit_code()
    content = csv_list(
        (good, "甲公司", "失信", "2026-01-01", ""), ("91530100XXXXXXXXX0", "乙公司", "失信", "2026-01-01", "")
    )
    refused = client.post(
        f"{PAGE}/lists", data={"csrf_token": token, "source": "信用中国", "published_on": "2026-11-01"},
        files={"file": ("list.csv", content)},
    )  # fmt: skip
    assert refused.status_code == 422
    assert problem_code(refused) == "credit_list_rows_invalid"
    assert service.restriction_of(db, credit_code=good, now=TEST_NOW) is None


def test_an_inspector_reads_the_credit_workspace_without_a_form_and_may_not_post(
    client: TestClient, db: Session
) -> None:
    browser_login(client, db, user_with_role(db, Role.INSPECTOR))
    shown = client.get(PAGE)
    assert shown.status_code == 200
    assert 'action="/workspace/credit/penalties"' not in shown.text
    before = _penalties(db)
    refused = client.post(f"{PAGE}/penalties", data=_form("x", make_entity(db).credit_code))
    assert refused.status_code == 403
    assert _penalties(db) == before


def test_the_public_query_page_shows_a_table_of_records(client: TestClient, db: Session) -> None:
    entity = make_entity(db)
    suspend(db, entity.credit_code)
    shown = client.get("/credit/query", params={"credit_code": entity.credit_code})
    assert shown.status_code == 200
    assert "<table" in shown.text
    assert entity.name in shown.text


def test_a_bidder_intercepted_on_the_portals_registration_is_counted(client: TestClient, db: Session) -> None:
    """The portal's form refusal (``form_refused``) records the interception too, after rolling the step back."""
    tender, _ = make_published_tender(db)
    bidder = bidder_user(db)
    suspend(db, entities.get_entity(db, bidder.entity_id or 0).credit_code)
    browser_login(client, db, bidder)
    page = f"/workspace/bidder/tenders/{tender.id}"
    token = csrf_from(client, page)
    before = service.interception_counts(db)["tender_registration"]
    refused = client.post(f"{page}/registration", data={"csrf_token": token})
    assert problem_code(refused) == "credit_intercepted", refused.status_code
    assert service.interception_counts(db)["tender_registration"] == before + 1


def _overseer(db: Session, role: Role, region_code: str) -> Principal:
    user = make_user(db, roles=[RoleGrantIn(role=role, region_code=region_code)])
    return principal(db, user, Permission.CREDIT_READ)


def test_the_interceptions_counted_are_those_of_the_readers_jurisdiction(client: TestClient, db: Session) -> None:
    """A supervisor counts the interceptions at the tenders of its region and at the registrations of entities whose
    credit code carries its region (decision 0040): Kunming's supervisor counts a Kunming lot's, Qujing's does not;
    an entity of Qujing refused at its registration is Qujing's and the province's, not Kunming's."""
    tender, _ = make_published_tender(db)  # a project in 530102, a county of Kunming
    bidder = bidder_user(db)
    suspend(db, entities.get_entity(db, bidder.entity_id or 0).credit_code)
    readers = {
        "province": _overseer(db, Role.SUPERVISOR, "530000"),
        "kunming": _overseer(db, Role.SUPERVISOR, "530100"),
        "qujing": _overseer(db, Role.INSPECTOR, "530300"),
    }
    before = {name: service.interception_counts(db, reader) for name, reader in readers.items()}
    browser_login(client, db, bidder)
    page = f"/workspace/bidder/tenders/{tender.id}"
    refused = client.post(f"{page}/registration", data={"csrf_token": csrf_from(client, page)})
    assert problem_code(refused) == "credit_intercepted"
    qujing_code = credit_code("530300")  # on a joint-punishment list: refused at the platform's registration
    content = csv_list((qujing_code, "曲靖某公司", "失信被执行人", "2026-01-01", ""))
    service.import_list(
        db, supervisor(db), source="信用中国", published_on=TEST_NOW.date(), content=content, now=TEST_NOW
    )
    with pytest.raises(CreditIntercepted) as refused_registration:
        entities.register_entity(
            db, SYSTEM, data=EntityIn(credit_code=qujing_code, name="曲靖某公司", legal_representative="某"),
            now=TEST_NOW,
        )  # fmt: skip
    refused_registration.value.record_after_rollback(db)  # type: ignore[attr-defined]  # what the request does
    after = {name: service.interception_counts(db, reader) for name, reader in readers.items()}
    grown = {name: {k: after[name][k] - before[name][k] for k in after[name] if after[name][k] != before[name][k]}
             for name in readers}  # fmt: skip
    assert grown == {
        "province": {"tender_registration": 1, "entity_registration": 1},
        "kunming": {"tender_registration": 1},
        "qujing": {"entity_registration": 1},
    }
    mine = service.recent_interceptions(db, readers["qujing"], limit=5)
    assert [interception.credit_code for interception, _ in mine][:1] == [qujing_code]
    assert all(interception.checkpoint == "entity_registration" for interception, _ in mine)
