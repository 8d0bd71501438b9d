"""Complaints to the supervisory department through the API, on the database: 招标投标法实施条例 第60条 (who, within
10 days, with evidence, after an objection), 第61条 (accept within 3 working days, decide within 30, reviews not
counted, false complaints dismissed), 第62条 (suspension), and what a decision does to the award (第54条, 第81条).
Refused requests leave no row and no event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.awards.models import Award
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.calendar import parse_year_schedule
from ggzy.core.calendar_store import load_calendar_year
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.core.violations import PeriodViolation
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering import service as tendering
from ggzy.tendering.rules import china_date
from tests.conftest import TEST_NOW
from tests.factories import (
    bidder_user,
    event_count,
    make_publicised_tender,
    make_published_tender,
    make_user,
    principal,
    token_for,
)

PROBLEM = "application/problem+json"
SCHEDULE_2027 = '{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}'  # test data, not the real schedule
EVIDENCE = [{"name": "招标文件第三章资格条件.pdf", "sha256": "a" * 64}]


def _cst(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour - 8, tzinfo=UTC)


def _rows(db: Session) -> tuple[int, ...]:
    models = (Complaint, TenderSuspension, Award)
    return (*(db.scalar(select(func.count()).select_from(m)) or 0 for m in models), event_count(db))


def _refused(db: Session, response, status: int, code: str, before: tuple[int, ...]) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code
    assert _rows(db) == before, "a refused request leaves no row and no event"
    return response.json()


def _body(**changes: object) -> dict:
    return {
        "matter": "documents",
        "request": "责令招标人修改招标文件中的资格条件",
        "facts": "招标文件要求投标人具有本省业绩，排斥外省潜在投标人",
        "evidence": EVIDENCE,
        "knew_on": "2026-11-24",
    } | changes


def _supervisor(db: Session, region_code: str = "530100") -> dict[str, str]:
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code=region_code, trade_type="construction")
    return token_for(db, make_user(db, roles=[grant]))


def _load_2027(db: Session) -> None:
    load_calendar_year(db, SYSTEM, schedule=parse_year_schedule(SCHEDULE_2027), now=TEST_NOW)


def _objected_to_documents(db: Session):  # type: ignore[no-untyped-def]
    """A published tender; a potential bidder objected on 24 November, answered two days later (第22条)."""
    tender, setup = make_published_tender(db)
    complainant = bidder_user(db)
    raised = tendering.raise_objection(
        db, principal(db, complainant, Permission.TENDER_OBJECT), tender_id=tender.id, text="资格条件排斥外省企业",
        now=TEST_NOW,
    )  # fmt: skip
    tendering.answer_objection(
        db, principal(db, setup["owner_user"], Permission.TENDER_MANAGE), objection_id=raised.public_id,
        answer="维持原条件", now=TEST_NOW + timedelta(days=2),
    )  # fmt: skip
    return tender, setup, complainant


def test_complaint_on_the_documents_only_after_an_objection_实施条例第60条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, _ = make_published_tender(db)
    url = f"/api/v1/tenders/{tender.id}/complaints"
    someone = token_for(db, bidder_user(db))
    clock.set(_cst(2026, 11, 25))
    problem = _refused(db, client.post(url, json=_body(), headers=someone), 409, "objection_required_first", _rows(db))
    assert "第二十二条" in problem["message_zh"]
    assert "art. 22" in problem["message_en"]


def test_complaint_after_10_days_refused_the_objection_answer_period_not_counted_实施条例第60条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, _, complainant = _objected_to_documents(db)
    url = f"/api/v1/tenders/{tender.id}/complaints"
    headers = token_for(db, complainant)
    # knew on 24 November; the objection waited 2 days for its answer: 12 days, to Sunday 6 December, so the last
    # day is Monday 7 December (民法典 第203条), not 4 December
    clock.set(_cst(2026, 12, 8))
    problem = _refused(db, client.post(url, json=_body(), headers=headers), 422, "complaint_too_late", _rows(db))
    assert "2026-12-07" in problem["message_zh"]
    assert "第六十条" in problem["message_zh"]
    clock.set(_cst(2026, 12, 7, hour=23))
    lodged = client.post(url, json=_body(), headers=headers)
    assert lodged.status_code == 201, lodged.text
    assert lodged.json()["lodge_due"] == "2026-12-07"
    assert lodged.json()["status"] == "lodged"


def test_complaint_needs_a_request_and_evidence_实施条例第60条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, _, complainant = _objected_to_documents(db)
    url = f"/api/v1/tenders/{tender.id}/complaints"
    headers = token_for(db, complainant)
    clock.set(_cst(2026, 11, 27))
    before = _rows(db)
    _refused(db, client.post(url, json=_body(evidence=[]), headers=headers), 422, "complaint_evidence_missing", before)
    _refused(db, client.post(url, json=_body(request=""), headers=headers), 422, "complaint_evidence_missing", before)


def test_before_the_opening_a_complaint_tells_the_supervisor_nothing_of_who_bid_招标投标法第22条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """A bidder complaining before the opening is treated like any interested party: it states its interest, and
    neither the complaint nor its event says that it bid."""
    import io

    from ggzy.entities import login
    from ggzy.storage import LocalBlobStore
    from ggzy.tendering import bids
    from tests.conftest import LEDGER_KEYS
    from tests.tendering.test_bids import Bidder, seal

    login.add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
    tender, _ = make_published_tender(db)
    sealed = Bidder(db, gm_ca, tender.id)
    bids.submit_bid(
        db, principal(db, sealed.user, Permission.TENDER_REGISTER), tender_id=tender.id,
        envelope=io.BytesIO(seal(db, tender, sealed)), store=LocalBlobStore(gm_ca.parent / "complaint-blobs"),
        max_bytes=10**8, details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
    )  # fmt: skip
    bidder = sealed.user
    url = f"/api/v1/tenders/{tender.id}/complaints"
    clock.set(_cst(2026, 11, 27))
    body = _body(matter="other", request="查处代理机构违规收费", facts="代理机构收取额外费用")
    headers = token_for(db, bidder)
    _refused(db, client.post(url, json=body, headers=headers), 403, "complaint_interest_missing", _rows(db))
    lodged = client.post(url, json=body | {"interest": "我公司拟参加本项目投标"}, headers=headers)
    assert lodged.status_code == 201, lodged.text
    event = db.scalar(select(Event).where(Event.action == "complaint.lodged"))
    assert event is not None
    assert json.loads(event.payload)["complainant"] == "interested_party"


def test_another_interested_party_complains_when_it_states_its_interest_实施条例第60条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, _ = make_published_tender(db)
    url = f"/api/v1/tenders/{tender.id}/complaints"
    headers = token_for(db, bidder_user(db))
    clock.set(_cst(2026, 11, 27))
    body = _body(matter="other", request="查处招标代理机构违规收费", facts="代理机构向潜在投标人收取额外费用")
    _refused(db, client.post(url, json=body, headers=headers), 403, "complaint_interest_missing", _rows(db))
    lodged = client.post(url, json=body | {"interest": "我公司购买了招标文件并拟投标"}, headers=headers)
    assert lodged.status_code == 201, lodged.text
    assert lodged.json()["interest"] == "我公司购买了招标文件并拟投标"


def test_supervisor_decides_acceptance_within_3_working_days_实施条例第61条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    _load_2027(db)
    tender, _, complainant = _objected_to_documents(db)
    clock.set(_cst(2026, 11, 27))  # a Friday
    lodged = client.post(f"/api/v1/tenders/{tender.id}/complaints", json=_body(), headers=token_for(db, complainant))
    assert lodged.json()["acceptance_due"] == "2026-12-02"  # Monday, Tuesday, Wednesday
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    supervisor = _supervisor(db)
    clock.set(_cst(2026, 12, 3))
    accepted = client.post(f"{url}/accept", headers=supervisor)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["acceptance_late"] is True  # recorded: the supervisor answers for it (第79条)
    violation = db.scalar(select(PeriodViolation).where(PeriodViolation.period_key == "complaint.acceptance"))
    assert violation is not None  # decision 0021: a missed period is a recorded violation, with its article
    assert (violation.article, violation.subject_id, violation.days_late) == (
        "招标投标法实施条例 第六十一条", str(tender.id), 1
    )  # fmt: skip
    accepted_event = db.get(Event, violation.event_id)
    assert accepted_event is not None
    assert json.loads(accepted_event.payload)["violation"]["due"] == "2026-12-02"
    assert accepted.json()["decision_due"] == "2027-01-15"  # 30 working days, 1 January a holiday
    _refused(
        db, client.post(f"{url}/refuse", json={"reason": "不属于受理范围"}, headers=supervisor), 409,
        "complaint_state_wrong", _rows(db),
    )  # fmt: skip


def test_complaint_refused_is_final_实施条例第61条(client: TestClient, db: Session, clock: FixedClock) -> None:
    tender, _, complainant = _objected_to_documents(db)
    clock.set(_cst(2026, 11, 27))
    lodged = client.post(f"/api/v1/tenders/{tender.id}/complaints", json=_body(), headers=token_for(db, complainant))
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    supervisor = _supervisor(db)
    refused = client.post(f"{url}/refuse", json={"reason": "投诉事项不属于本部门管辖"}, headers=supervisor)
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["acceptance_late"]) == ("refused", False)
    _refused(db, client.post(f"{url}/accept", headers=supervisor), 409, "complaint_state_wrong", _rows(db))


def test_supervisor_decides_within_30_working_days_reviews_not_counted_实施条例第61条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    _load_2027(db)
    tender, _, complainant = _objected_to_documents(db)
    clock.set(_cst(2026, 11, 27))
    lodged = client.post(f"/api/v1/tenders/{tender.id}/complaints", json=_body(), headers=token_for(db, complainant))
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    supervisor = _supervisor(db)
    clock.set(_cst(2026, 12, 3))
    assert client.post(f"{url}/accept", headers=supervisor).json()["decision_due"] == "2027-01-15"
    clock.set(_cst(2027, 1, 4))
    review = client.post(
        f"{url}/reviews", json={"kind": "expert_review", "note": "组织专家评审资格条件"}, headers=supervisor
    )
    assert review.status_code == 200, review.text
    _refused(
        db, client.post(f"{url}/dismiss", json={"decision": "驳回"}, headers=supervisor), 409, "conflict", _rows(db)
    )  # no decision while the review runs
    clock.set(_cst(2027, 1, 8))
    ended = client.post(f"{url}/reviews/end", headers=supervisor)
    assert ended.status_code == 200, ended.text
    assert (ended.json()["excluded_working_days"], ended.json()["decision_due"]) == (4, "2027-01-21")
    clock.set(_cst(2027, 1, 21, hour=17))
    decided = client.post(
        f"{url}/uphold", json={"decision": "资格条件违法，责令改正", "remedy": "corrective_action"}, headers=supervisor
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_late"]) == ("upheld", False)


def test_false_complaint_dismissed_and_recorded_实施条例第61条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    _load_2027(db)
    tender, _, complainant = _objected_to_documents(db)
    clock.set(_cst(2026, 11, 27))
    lodged = client.post(f"/api/v1/tenders/{tender.id}/complaints", json=_body(), headers=token_for(db, complainant))
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    supervisor = _supervisor(db)
    client.post(f"{url}/accept", headers=supervisor)
    dismissed = client.post(
        f"{url}/dismiss", json={"decision": "投诉人提供的业绩证明系伪造", "false_complaint": True}, headers=supervisor
    )
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["status"], dismissed.json()["false_complaint"]) == ("dismissed", True)
    event = db.scalar(select(Event).where(Event.action == "complaint.dismissed"))
    assert event is not None
    assert json.loads(event.payload)["false_complaint"] is True


def _complained_about_the_result(client: TestClient, db: Session, gm_ca: Path, clock: FixedClock) -> dict:
    """Candidates publicised; the second-ranked bidder objected, was answered, complained, and it was accepted."""
    _load_2027(db)
    scene = make_publicised_tender(db, gm_ca)
    publicity = scene["publicity"]
    objector = scene["bidders"][1]
    raised = awards.raise_objection(
        db, principal(db, objector, Permission.AWARD_OBJECT), tender_id=scene["tender"].id, text="第一名业绩造假",
        now=publicity.starts_at,
    )  # fmt: skip
    awards.answer_objection(
        db, principal(db, scene["agent_user"], Permission.AWARD_MANAGE), objection_id=raised.id, answer="经核实无误",
        now=publicity.starts_at + timedelta(hours=1),
    )  # fmt: skip
    clock.set(publicity.starts_at + timedelta(hours=2))
    body = _body(matter="evaluation_result", request="认定第一中标候选人业绩造假", knew_on=str(china_date(clock.now())))
    lodged = client.post(_tender(scene, "/complaints"), json=body, headers=token_for(db, objector))
    assert lodged.status_code == 201, lodged.text
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    supervisor = _supervisor(db)
    assert client.post(f"{url}/accept", headers=supervisor).status_code == 200
    return scene | {"complaint_url": url, "supervisor": supervisor, "agent": token_for(db, scene["agent_user"])}


def _tender(scene: dict, tail: str) -> str:
    return f"/api/v1/tenders/{scene['tender'].id}{tail}"


def test_suspension_refuses_the_award_until_lifted_实施条例第62条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _complained_about_the_result(client, db, gm_ca, clock)
    url, supervisor, agent = scene["complaint_url"], scene["supervisor"], scene["agent"]
    suspended = client.post(f"{url}/suspension", json={"reason": "调查期间暂停"}, headers=supervisor)
    assert (suspended.status_code, suspended.json()["suspended"]) == (200, True)
    assert client.get(_tender(scene, "/award")).json()["suspended"] is True  # public
    event = db.scalar(select(Event).where(Event.action == "complaint.tender_suspended"))
    assert event is not None
    assert event.disclosed  # a suspension binds everyone, so everyone sees it
    clock.set(scene["publicity"].ends_at + timedelta(hours=1))
    first = awards.candidates_of(scene["publicity"])[0]["bid_id"]
    problem = _refused(
        db, client.post(_tender(scene, "/award"), json={"bid_id": first}, headers=agent), 409, "tender_suspended",
        _rows(db),
    )  # fmt: skip
    assert "第六十二条" in problem["message_zh"]
    assert client.post(f"{url}/suspension/lift", headers=supervisor).json()["suspended"] is False
    awarded = client.post(_tender(scene, "/award"), json={"bid_id": first}, headers=agent)
    assert awarded.status_code == 201, awarded.text


def test_a_decision_after_30_working_days_is_recorded_late_and_only_the_competent_supervisor_decides_实施条例第61条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    _load_2027(db)
    tender, _, complainant = _objected_to_documents(db)
    clock.set(_cst(2026, 11, 27))
    lodged = client.post(f"/api/v1/tenders/{tender.id}/complaints", json=_body(), headers=token_for(db, complainant))
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    procurement = token_for(
        db, make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="gov_procurement")])
    )  # another trade's supervisory department
    _refused(db, client.post(f"{url}/accept", headers=procurement), 403, "complaint_outside_jurisdiction", _rows(db))
    supervisor = _supervisor(db)
    assert client.post(f"{url}/accept", headers=supervisor).json()["decision_due"] == "2027-01-11"
    clock.set(_cst(2027, 1, 12))
    dismissed = client.post(f"{url}/dismiss", json={"decision": "投诉缺乏事实根据"}, headers=supervisor)
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["decided_late"] is True
    violation = db.scalar(select(PeriodViolation).where(PeriodViolation.period_key == "complaint.decision"))
    assert violation is not None
    assert (violation.article, violation.due.isoformat(), violation.days_late) == (
        "招标投标法实施条例 第六十一条", "2027-01-11", 1
    )  # fmt: skip
