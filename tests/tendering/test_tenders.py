"""A tender from draft to registrations, through the API, with the statutory periods and the bidders' secrecy."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering.models import Clarification, DocumentObjection, Registration, Tender
from tests.conftest import TEST_NOW
from tests.factories import (
    bidder_user,
    enrol_roles,
    event_count,
    make_accepted_project,
    make_published_tender,
    make_user,
    token_for,
)

DOCUMENTS = b"%PDF-1.7 tender documents " * 1000


def _draft_body(lot_id: int, **changes: object) -> dict:
    body = {
        "lot_id": lot_id,
        "procedure": "open",
        "method": "scoring",
        "title": "五华区第一中学教学楼施工招标",
        "notice_text": "招标公告：……",
        "documents_until": (TEST_NOW + timedelta(days=10)).isoformat(),
        "bid_deadline": (TEST_NOW + timedelta(days=25)).isoformat(),
    }
    body.update(changes)
    return body


def _rows(db: Session) -> tuple[int, ...]:
    return (
        *tuple(
            db.scalar(select(func.count()).select_from(table)) or 0
            for table in (Tender, Clarification, DocumentObjection, Registration)
        ),
        event_count(db),
    )


def _refused(
    client: TestClient, db: Session, method: str, url: str, *, status: int, code: str, **kwargs: object
) -> dict:
    before = _rows(db)
    response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    assert problem["message_zh"]
    assert problem["message_en"]
    assert _rows(db) == before, "a refused request must leave no row and no event"
    return problem


def test_an_agent_prepares_uploads_and_publishes_a_tender_whose_documents_anyone_downloads(
    client: TestClient, db: Session
) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    draft = client.post("/api/v1/tenders", json=_draft_body(setup["lots"][0].id), headers=headers)
    assert draft.status_code == 201, draft.text
    tender_id = draft.json()["id"]
    assert draft.json()["stage"] == "draft"
    assert client.get(f"/api/v1/tenders/{tender_id}").status_code == 404  # a draft is not public

    uploaded = client.put(
        f"/api/v1/tenders/{tender_id}/documents", files={"file": ("招标文件.pdf", DOCUMENTS)}, headers=headers
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["documents_sha256"] == hashlib.sha256(DOCUMENTS).hexdigest()

    published = client.post(f"/api/v1/tenders/{tender_id}/publish", headers=headers)
    assert published.status_code == 200, published.text
    assert published.json()["stage"] == "published"

    download = client.get(f"/api/v1/tenders/{tender_id}/documents")  # a visitor, free
    assert download.status_code == 200
    assert download.content == DOCUMENTS
    assert "filename*=UTF-8''" in download.headers["content-disposition"]
    assert [t["id"] for t in client.get("/api/v1/tenders").json()] == [tender_id]


def test_tendering_law_art_24_a_notice_with_19_days_to_the_deadline_is_refused(client: TestClient, db: Session) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    body = _draft_body(setup["lots"][0].id, bid_deadline=(TEST_NOW + timedelta(days=19)).isoformat())
    tender_id = client.post("/api/v1/tenders", json=body, headers=headers).json()["id"]
    client.put(f"/api/v1/tenders/{tender_id}/documents", files={"file": ("a.pdf", b"x")}, headers=headers)
    problem = _refused(
        client, db, "POST", f"/api/v1/tenders/{tender_id}/publish", status=422, code="bid_period_too_short",
        headers=headers,
    )  # fmt: skip
    assert problem["field"] == "bid_deadline"
    assert "第二十四条" in problem["message_zh"]


def test_regulations_art_16_documents_on_offer_4_days_are_refused(client: TestClient, db: Session) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    body = _draft_body(setup["lots"][0].id, documents_until=(TEST_NOW + timedelta(days=4)).isoformat())
    tender_id = client.post("/api/v1/tenders", json=body, headers=headers).json()["id"]
    client.put(f"/api/v1/tenders/{tender_id}/documents", files={"file": ("a.pdf", b"x")}, headers=headers)
    _refused(
        client, db, "POST", f"/api/v1/tenders/{tender_id}/publish", status=422, code="documents_offer_too_short",
        headers=headers,
    )  # fmt: skip


def test_publishing_without_documents_is_refused(client: TestClient, db: Session) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    tender_id = client.post("/api/v1/tenders", json=_draft_body(setup["lots"][0].id), headers=headers).json()["id"]
    _refused(
        client, db, "POST", f"/api/v1/tenders/{tender_id}/publish", status=409, code="tender_documents_missing",
        headers=headers,
    )  # fmt: skip


def test_only_the_projects_owner_or_agent_runs_its_tender(client: TestClient, db: Session) -> None:
    setup = make_accepted_project(db)
    other = make_accepted_project(db)
    _refused(
        client, db, "POST", "/api/v1/tenders", status=403, code="tender_manager_mismatch",
        json=_draft_body(setup["lots"][0].id), headers=token_for(db, other["agent_user"]),
    )  # fmt: skip


def test_too_large_documents_leave_no_file(client: TestClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    app.state.settings.documents_max_mb = 0  # every upload is too large
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    tender_id = client.post("/api/v1/tenders", json=_draft_body(setup["lots"][0].id), headers=headers).json()["id"]
    _refused(
        client, db, "PUT", f"/api/v1/tenders/{tender_id}/documents", status=413, code="blob_too_large",
        files={"file": ("a.pdf", DOCUMENTS)}, headers=headers,
    )  # fmt: skip
    root = app.state.blob_store.root if hasattr(app.state.blob_store, "root") else None
    assert root is not None
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_regulations_art_21_a_late_clarification_moves_the_deadline_a_timely_one_does_not(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, setup = make_published_tender(db)  # deadline: TEST_NOW + 25 days
    db.commit()
    headers = token_for(db, setup["agent_user"])
    clock.advance(timedelta(days=5))  # 20 days left
    timely = client.post(f"/api/v1/tenders/{tender.id}/clarifications", json={"text": "澄清一"}, headers=headers)
    assert timely.json()["deadline_after"] == timely.json()["deadline_before"]
    clock.advance(timedelta(days=10))  # 10 days left
    late = client.post(f"/api/v1/tenders/{tender.id}/clarifications", json={"text": "修改二"}, headers=headers)
    assert late.status_code == 201
    moved = late.json()
    assert moved["deadline_after"] > moved["deadline_before"]
    public = client.get(f"/api/v1/tenders/{tender.id}").json()
    assert public["bid_deadline"] == moved["deadline_after"]
    assert len(client.get(f"/api/v1/tenders/{tender.id}/clarifications").json()) == 2
    # A clarification that cannot affect the bids moves nothing.
    note = client.post(
        f"/api/v1/tenders/{tender.id}/clarifications", json={"text": "勘误", "affects_bids": False}, headers=headers
    ).json()
    assert note["deadline_after"] == note["deadline_before"]


def test_regulations_art_22_objections_pause_the_tender_until_answered_and_close_10_days_before(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, setup = make_published_tender(db)
    bidder = token_for(db, bidder_user(db))
    raised = client.post(
        f"/api/v1/tenders/{tender.id}/objections", json={"text": "资格条件排斥潜在投标人"}, headers=bidder
    )
    assert raised.status_code == 201, raised.text
    assert raised.json()["answer_due"] == "2026-11-27"
    assert client.get(f"/api/v1/tenders/{tender.id}").json()["paused"] is True

    answer = client.post(
        f"/api/v1/objections/{raised.json()['id']}/answer", json={"text": "已修改资格条件"},
        headers=token_for(db, setup["owner_user"]),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert client.get(f"/api/v1/tenders/{tender.id}").json()["paused"] is False

    clock.advance(timedelta(days=16))  # 9 days before the deadline
    problem = _refused(
        client, db, "POST", f"/api/v1/tenders/{tender.id}/objections", status=422, code="objection_too_late",
        json={"text": "迟到的异议"}, headers=bidder,
    )  # fmt: skip
    assert "第二十二条" in problem["message_zh"]


def test_a_published_lot_closes_at_its_deadline_by_the_clock(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, _ = make_published_tender(db)
    clock.set(tender.bid_deadline - timedelta(seconds=1))
    assert client.get(f"/api/v1/tenders/{tender.id}").json()["stage"] == "published"
    clock.set(tender.bid_deadline)
    assert client.get(f"/api/v1/tenders/{tender.id}").json()["stage"] == "closed"
    _refused(
        client, db, "POST", f"/api/v1/tenders/{tender.id}/registrations", status=409, code="tender_stage_wrong",
        headers=token_for(db, bidder_user(db)),
    )  # fmt: skip


def test_cancellation_states_its_reason_publicly(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    response = client.post(
        f"/api/v1/tenders/{tender.id}/cancel",
        json={"text": "项目资金未落实"},
        headers=token_for(db, setup["owner_user"]),
    )
    assert response.status_code == 200
    public = client.get(f"/api/v1/tenders/{tender.id}").json()
    assert public["stage"] == "cancelled"
    assert public["cancel_reason"] == "项目资金未落实"


# --- registration and its secrecy (招标投标法 第22条) -------------------------------------------------------


def test_a_bidder_registers_once_and_sees_only_its_own_registrations(client: TestClient, db: Session) -> None:
    tender, _ = make_published_tender(db)
    first, second = bidder_user(db), bidder_user(db)
    for user in (first, second):
        response = client.post(f"/api/v1/tenders/{tender.id}/registrations", headers=token_for(db, user))
        assert response.status_code == 201, response.text
    mine = client.get("/api/v1/registrations/mine", headers=token_for(db, first)).json()
    assert [r["tender_id"] for r in mine] == [tender.id]
    _refused(
        client, db, "POST", f"/api/v1/tenders/{tender.id}/registrations", status=409, code="conflict",
        headers=token_for(db, first),
    )  # fmt: skip


def test_tendering_law_art_22_nobody_else_learns_who_registered_or_how_many(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    bidders = [bidder_user(db) for _ in range(3)]
    for user in bidders:
        assert client.post(f"/api/v1/tenders/{tender.id}/registrations", headers=token_for(db, user)).status_code == 201
    names = [db.get(type(setup["owner"]), user.entity_id).name for user in bidders]  # type: ignore[arg-type]
    watchers = {
        "visitor": {},
        "owner": token_for(db, setup["owner_user"]),
        "agent": token_for(db, setup["agent_user"]),
        "staff": token_for(db, setup["staff"]),
        "supervisor": token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530100")])),
        "admin": token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)])),
    }
    for who, headers in watchers.items():
        for url in (
            f"/api/v1/tenders/{tender.id}",
            "/api/v1/tenders",
            f"/api/v1/tenders/{tender.id}/clarifications",
            "/api/v1/ledger/entries?start=0&end=1",
            "/api/v1/registrations/mine",
        ):
            text = client.get(url, headers=headers).text
            for name in names:
                assert name not in text, (who, url)
            assert "registration" not in text.replace("registrations/mine", ""), (who, url)
    # The public ledger carries the registrations only as sealed entries: no action, no subject, no bidder.
    client.post("/api/v1/ledger/checkpoints", headers=watchers["admin"])
    events = db.scalars(select(Event).where(Event.action == "tender.registered")).all()
    assert len(events) == 3
    for event in events:
        entry = client.get(f"/api/v1/ledger/events/{event.id}").json()["entry"]
        assert set(entry) == {"commitment", "event_id", "time", "v"}


def test_the_owner_and_its_agent_cannot_bid_in_their_own_tender(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    for user in (setup["owner_user"], setup["agent_user"]):
        enrol_roles(db, user, [RoleGrantIn(role=Role.BIDDER)])  # the entity itself gives the role (decision 0013)
        _refused(
            client, db, "POST", f"/api/v1/tenders/{tender.id}/registrations", status=403, code="registration_refused",
            headers=token_for(db, user),
        )  # fmt: skip


def test_tendering_law_art_17_only_invited_bidders_register_for_an_invited_tender(
    client: TestClient, db: Session
) -> None:
    invited = [bidder_user(db) for _ in range(3)]
    tender, _ = make_published_tender(db, procedure="invited", invited=[u.entity_id for u in invited])  # type: ignore[misc]
    assert (
        client.post(f"/api/v1/tenders/{tender.id}/registrations", headers=token_for(db, invited[0])).status_code == 201
    )
    _refused(
        client, db, "POST", f"/api/v1/tenders/{tender.id}/registrations", status=403, code="registration_refused",
        headers=token_for(db, bidder_user(db)),
    )  # fmt: skip


def test_invited_tendering_needs_three_invitations(client: TestClient, db: Session) -> None:
    setup = make_accepted_project(db)
    two = [bidder_user(db).entity_id for _ in range(2)]
    _refused(
        client, db, "POST", "/api/v1/tenders", status=422, code="not_enough_invitations",
        json=_draft_body(setup["lots"][0].id, procedure="invited", invited_entity_ids=two),
        headers=token_for(db, setup["agent_user"]),
    )  # fmt: skip


@pytest.mark.parametrize("procedure", ["auction"])
def test_an_unknown_procedure_is_a_clear_error(client: TestClient, db: Session, procedure: str) -> None:
    setup = make_accepted_project(db)
    _refused(
        client, db, "POST", "/api/v1/tenders", status=422, code="procedure_unknown",
        json=_draft_body(setup["lots"][0].id, procedure=procedure), headers=token_for(db, setup["agent_user"]),
    )  # fmt: skip


def _system():  # type: ignore[no-untyped-def]
    from ggzy.core.permissions import SYSTEM

    return SYSTEM
