"""The supervisor's investigation and hearing records of a complaint (decision 0047), through the API, on the
database: 招标投标法实施条例 第62条 (行政监督部门处理投诉，有权查阅、复制有关文件、资料，调查有关情况),
第61条 (testing and expert review not counted: a step of that kind belongs to a review of the complaint's clock),
政府采购法实施条例 第56条 (必要时可以进行调查取证或者组织质证) and 政府采购法 第56条 (the parties concerned are
notified). Records are made only while the complaint is accepted and undecided; refused requests leave no row
and no event."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.complaints.models import ComplaintHearing, ComplaintInvestigation
from ggzy.core.calendar import parse_year_schedule
from ggzy.core.calendar_store import load_calendar_year
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering.rules import china_date
from tests.conftest import TEST_NOW
from tests.factories import event_count, make_publicised_tender, make_user, principal, token_for

PROBLEM = "application/problem+json"
SCHEDULE_2027 = '{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}'  # test data, not the real schedule


def _rows(db: Session) -> tuple[int, ...]:
    models = (ComplaintInvestigation, ComplaintHearing)
    return (*(db.scalar(select(func.count()).select_from(m)) or 0 for m in models), event_count(db))


def _refused(db: Session, response, status: int, code: str, before: tuple[int, ...]) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code, response.text
    assert _rows(db) == before, "a refused request leaves no row and no event"
    return response.json()


def _accepted(client: TestClient, db: Session, gm_ca: Path, clock: FixedClock) -> dict:
    """Candidates publicised; the second-ranked bidder objected, was answered, complained; the supervisor accepted."""
    load_calendar_year(db, SYSTEM, schedule=parse_year_schedule(SCHEDULE_2027), now=TEST_NOW)
    scene = make_publicised_tender(db, gm_ca)
    publicity, objector = scene["publicity"], scene["bidders"][1]
    raised = awards.raise_objection(
        db, principal(db, objector, Permission.AWARD_OBJECT), tender_id=scene["tender"].id, text="第一名业绩造假",
        now=publicity.starts_at,
    )  # fmt: skip
    awards.answer_objection(
        db, principal(db, scene["agent_user"], Permission.AWARD_MANAGE), objection_id=raised.id, answer="经核实无误",
        now=publicity.starts_at + timedelta(hours=1),
    )  # fmt: skip
    clock.set(publicity.starts_at + timedelta(hours=2))
    body = {
        "matter": "evaluation_result", "request": "认定第一中标候选人业绩造假", "facts": "业绩合同系伪造",
        "evidence": [{"name": "合同.pdf", "sha256": "a" * 64}], "knew_on": str(china_date(clock.now())),
    }  # fmt: skip
    lodged = client.post(f"/api/v1/tenders/{scene['tender'].id}/complaints", json=body, headers=token_for(db, objector))
    assert lodged.status_code == 201, lodged.text
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    supervisor = token_for(db, make_user(db, roles=[grant]))
    assert client.post(f"{url}/accept", headers=supervisor).status_code == 200
    return scene | {"url": url, "supervisor": supervisor, "complainant": objector}


def _step(**changes: object) -> dict:
    return {
        "kind": "documents", "taken_on": "2026-12-01", "heard_role": None, "heard_name": None,
        "summary": "调取评标报告和第一名投标文件中的业绩合同复印件",
        "evidence": [{"name": "业绩合同.pdf", "sha256": "b" * 64}],
    } | changes  # fmt: skip


def _today(clock: FixedClock) -> str:
    return str(china_date(clock.now()))


def test_supervisor_records_investigation_steps_with_evidence_digests_实施条例第62条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _accepted(client, db, gm_ca, clock)
    url, supervisor = scene["url"], scene["supervisor"]
    read = client.post(f"{url}/investigations", json=_step(taken_on=_today(clock)), headers=supervisor)
    assert read.status_code == 201, read.text
    asked = client.post(
        f"{url}/investigations",
        json=_step(kind="inquiry", taken_on=_today(clock), heard_role="owner", heard_name="招标人项目负责人",
                   summary="招标人称业绩合同经核对原件", evidence=[]),
        headers=supervisor,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    steps = client.get(f"{url}/investigations", headers=supervisor).json()
    assert [(s["kind"], s["heard_role"]) for s in steps] == [("documents", None), ("inquiry", "owner")]
    assert steps[0]["evidence"] == [{"name": "业绩合同.pdf", "sha256": "b" * 64}]
    event = db.scalar(select(Event).where(Event.action == "complaint.investigation_recorded").order_by(Event.id))
    assert event is not None
    assert not event.disclosed  # 第62条第2款: what the supervisor learns stays confidential
    assert json.loads(event.payload)["evidence"] == [{"name": "业绩合同.pdf", "sha256": "b" * 64}]


def test_investigation_refusals_leave_nothing_实施条例第62条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _accepted(client, db, gm_ca, clock)
    url, supervisor = scene["url"], scene["supervisor"]
    outsider = token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="110000")]))
    complainant = token_for(db, scene["complainant"])
    before = _rows(db)
    _refused(db, client.post(f"{url}/investigations", json=_step(kind="gossip", taken_on=_today(clock)),
                             headers=supervisor), 422, "invalid_input", before)  # fmt: skip
    future = str(china_date(clock.now()) + timedelta(days=1))
    _refused(db, client.post(f"{url}/investigations", json=_step(taken_on=future), headers=supervisor), 422,
             "invalid_input", before)  # fmt: skip
    # an expert's identity is never recorded
    named_expert = _step(kind="inquiry", taken_on=_today(clock), heard_role="expert", heard_name="张专家")
    _refused(db, client.post(f"{url}/investigations", json=named_expert, headers=supervisor), 422, "invalid_input",
             before)  # fmt: skip
    _refused(db, client.post(f"{url}/investigations", json=_step(taken_on=_today(clock)), headers=outsider), 403,
             "complaint_outside_jurisdiction", before)  # fmt: skip
    _refused(
        db, client.post(f"{url}/investigations", json=_step(), headers=complainant), 403, "permission_denied", before
    )
    assert client.get(f"{url}/investigations", headers=complainant).status_code == 404  # for the supervisors only


def test_testing_or_expert_review_step_belongs_to_a_review_of_the_clock_实施条例第61条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _accepted(client, db, gm_ca, clock)
    url, supervisor = scene["url"], scene["supervisor"]
    review_step = _step(kind="expert_review", taken_on=_today(clock), heard_role="expert", heard_name=None,
                        summary="专家评审意见：业绩合同与备案信息不符")  # fmt: skip
    _refused(db, client.post(f"{url}/investigations", json=review_step, headers=supervisor), 409, "conflict",
             _rows(db))  # fmt: skip
    started = client.post(f"{url}/reviews", json={"kind": "expert_review", "note": "专家评审业绩"}, headers=supervisor)
    assert started.status_code == 200, started.text
    recorded = client.post(f"{url}/investigations", json=review_step, headers=supervisor)
    assert recorded.status_code == 201, recorded.text
    review_event = db.scalar(select(Event).where(Event.action == "complaint.review_started"))
    assert review_event is not None
    assert recorded.json()["review_event_id"] == review_event.id
    # the clock is the complaint's alone: recording the step neither starts nor ends a review
    assert client.get(url, headers=supervisor).json()["review_kind"] == "expert_review"
    assert recorded.json()["heard_name"] is None


def _schedule(scene: dict, clock: FixedClock, **changes: object) -> dict:
    first = scene["bidders"][0].entity_id
    return {
        "held_at": (clock.now() + timedelta(days=2)).isoformat(), "place": "市公共资源交易中心第三会议室",
        "remote": False, "matters": "第一中标候选人业绩合同的真实性", "bidder_ids": [first],
    } | changes  # fmt: skip


def test_hearing_notified_to_the_parties_and_recorded_with_an_absent_party_政府采购法实施条例第56条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _accepted(client, db, gm_ca, clock)
    url, supervisor = scene["url"], scene["supervisor"]
    scheduled = client.post(f"{url}/hearings", json=_schedule(scene, clock), headers=supervisor)
    assert scheduled.status_code == 201, scheduled.text
    hearing = scheduled.json()
    roles = [p["role"] for p in hearing["parties"]]
    assert roles == ["complainant", "owner", "agent", "bidder"]  # 政府采购法 第56条: 与投诉事项有关的当事人
    record_url = f"{url}/hearings/{hearing['id']}/record"
    attendance = [
        {"role": p["role"], "entity_id": p["entity_id"], "attended": p["role"] != "agent",
         "representative": None if p["role"] == "agent" else "委托代理人",
         "statement": None if p["role"] == "agent" else f"{p['role']}的陈述"}
        for p in hearing["parties"]
    ]  # fmt: skip
    body = {"attendance": attendance, "summary": "各方就业绩合同真实性进行了质证"}
    # not before it is held
    _refused(db, client.post(record_url, json=body, headers=supervisor), 409, "conflict", _rows(db))
    clock.set(clock.now() + timedelta(days=2, minutes=5))
    # every party notified is accounted for, present or absent
    _refused(db, client.post(record_url, json=body | {"attendance": attendance[:-1]}, headers=supervisor), 422,
             "invalid_input", _rows(db))  # fmt: skip
    recorded = client.post(record_url, json=body, headers=supervisor)
    assert recorded.status_code == 200, recorded.text
    record = recorded.json()
    assert [r["attended"] for r in record["record"]["attendance"]] == [True, True, False, True]  # the agent absent
    row = db.get(ComplaintHearing, hearing["id"])
    assert row is not None
    assert row.record is not None
    assert row.recorded_by is not None
    assert row.recorded_at is not None
    sealed = {"hearing_id": row.id, "complaint_id": row.complaint_id, "held_at": row.held_at.isoformat(),
              "place": row.place, "remote": row.remote, "record": json.loads(row.record),
              "recorded_by": row.recorded_by, "recorded_at": row.recorded_at.isoformat()}  # fmt: skip
    from ggzy.core.events import canonical_json

    assert record["record_sha256"] == hashlib.sha256(canonical_json(sealed).encode()).hexdigest()
    event = db.scalar(select(Event).where(Event.action == "complaint.hearing_recorded"))
    assert event is not None
    assert json.loads(event.payload)["record_sha256"] == record["record_sha256"]  # sealed in the ledger
    assert json.loads(event.payload)["absent"] == ["agent"]
    _refused(db, client.post(record_url, json=body, headers=supervisor), 409, "conflict", _rows(db))  # once


def test_parties_read_the_hearings_they_were_notified_of_and_nobody_else_does(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _accepted(client, db, gm_ca, clock)
    url, supervisor = scene["url"], scene["supervisor"]
    assert (
        client.post(f"{url}/hearings", json=_schedule(scene, clock, bidder_ids=[]), headers=supervisor).status_code
        == 201
    )
    owner = token_for(db, scene["owner_user"])
    complainant = token_for(db, scene["complainant"])
    uninvolved = token_for(db, scene["bidders"][0])  # a bidder not notified this time
    for party in (owner, complainant):
        shown = client.get(f"{url}/hearings", headers=party)
        assert shown.status_code == 200, shown.text
        assert len(shown.json()) == 1
        assert len(client.get("/api/v1/hearings/mine", headers=party).json()) == 1
    assert client.get(f"{url}/hearings", headers=uninvolved).status_code == 404
    assert client.get("/api/v1/hearings/mine", headers=uninvolved).json() == []
    assert client.get(f"{url}/investigations", headers=owner).status_code == 403  # owners never read the complaint
    assert client.get(f"{url}/hearings", headers=supervisor).status_code == 200


def test_records_are_frozen_after_the_decision_实施条例第61条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _accepted(client, db, gm_ca, clock)
    url, supervisor = scene["url"], scene["supervisor"]
    scheduled = client.post(f"{url}/hearings", json=_schedule(scene, clock), headers=supervisor).json()
    dismissed = client.post(f"{url}/dismiss", json={"decision": "业绩合同真实，驳回投诉"}, headers=supervisor)
    assert dismissed.status_code == 200, dismissed.text
    before = _rows(db)
    problem = _refused(db, client.post(f"{url}/investigations", json=_step(taken_on=_today(clock)),
                                       headers=supervisor), 409, "complaint_records_frozen", before)  # fmt: skip
    assert "封存" in problem["message_zh"]
    _refused(db, client.post(f"{url}/hearings", json=_schedule(scene, clock), headers=supervisor), 409,
             "complaint_records_frozen", before)  # fmt: skip
    clock.set(clock.now() + timedelta(days=3))
    parties = scheduled["parties"]
    body = {"attendance": [{"role": p["role"], "entity_id": p["entity_id"], "attended": False} for p in parties],
            "summary": "未举行"}  # fmt: skip
    _refused(db, client.post(f"{url}/hearings/{scheduled['id']}/record", json=body, headers=supervisor), 409,
             "complaint_records_frozen", before)  # fmt: skip


def test_only_the_rounds_bidders_are_notified_as_bidders_concerned_政府采购法第56条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    from ggzy.complaints import records
    from ggzy.core.errors import InvalidInput
    from tests.factories import make_entity

    scene = _accepted(client, db, gm_ca, clock)
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    supervisor = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    complaint_id = int(scene["url"].rsplit("/", 1)[1])
    stranger = make_entity(db)
    before = _rows(db)
    with pytest.raises(InvalidInput) as refused:  # a bidder of the round only
        records.schedule_hearing(
            db, supervisor, complaint_id=complaint_id, held_at=clock.now() + timedelta(days=1), place="会议室",
            remote=False, matters="质证", bidder_ids=[stranger.id], now=clock.now(),
        )  # fmt: skip
    assert refused.value.field == "bidder_ids"
    assert _rows(db) == before


def test_before_the_opening_a_party_reads_the_others_roles_only_招标投标法第22条() -> None:
    """Before the bids are public the complainant may be a potential bidder (招标投标法 第二十二条: 不得向他人透露
    已获取招标文件的潜在投标人的名称、数量): the owner reading a hearing's notice and record sees the complainant's
    role and whether it came — not its id, name, representative or statement; its own row in full."""
    from ggzy.complaints.records import _view

    parties = [
        {"role": "complainant", "entity_id": 41, "name": "潜在投标人甲公司"},
        {"role": "owner", "entity_id": 7, "name": "招标人"},
    ]
    attendance = [
        {"role": "complainant", "entity_id": 41, "attended": True, "representative": "甲公司张三",
         "statement": "甲公司认为资格条件排斥潜在投标人"},
        {"role": "owner", "entity_id": 7, "attended": True, "representative": "招标人李四", "statement": "已答复"},
    ]  # fmt: skip
    hearing = ComplaintHearing(
        id=1, complaint_id=1, parties=json.dumps(parties), record=json.dumps({"attendance": attendance})
    )
    seen = _view(hearing, names_shown=False, own=7)
    shown = json.dumps([seen.parties, seen.record], ensure_ascii=False)
    for secret in ("41", "甲公司", "张三"):
        assert secret not in shown
    assert [row["role"] for row in seen.parties] == ["complainant", "owner"]
    assert seen.record is not None
    assert seen.record["attendance"][0]["attended"] is True
    assert seen.record["attendance"][1]["statement"] == "已答复"  # its own row, whole
    assert "甲公司" in json.dumps(_view(hearing, names_shown=True, own=7).parties, ensure_ascii=False)
