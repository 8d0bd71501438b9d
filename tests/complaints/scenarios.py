"""Each complaint service and the re-publicity, prepared up to the step before it, for the walk in
tests/core/test_events.py (one transaction, one event)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ggzy.core.calendar import parse_year_schedule
from ggzy.core.calendar_store import load_calendar_year
from ggzy.core.permissions import SYSTEM, Permission, Principal, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering.rules import china_date
from tests.conftest import TEST_NOW
from tests.factories import make_publicised_tender, make_user, principal

COMPLAINT_ACTIONS = (
    "complaint.lodged",
    "complaint.accepted",
    "complaint.refused",
    "complaint.review_started",
    "complaint.review_ended",
    "complaint.tender_suspended",
    "complaint.suspension_lifted",
    "complaint.upheld",
    "complaint.dismissed",
    "complaint.investigation_recorded",
    "complaint.hearing_scheduled",
    "complaint.hearing_recorded",
)
_SCHEDULE_2027 = '{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}'  # test data


def complaint_scenario(db: Session, gm_ca: Path, action: str) -> Callable[[], object]:
    """A publicised tender; the second-ranked bidder objected (answered) and complains about the result."""
    from ggzy.awards import service as awards
    from ggzy.complaints import service as complaints

    load_calendar_year(db, SYSTEM, schedule=parse_year_schedule(_SCHEDULE_2027), now=TEST_NOW)
    scene = make_publicised_tender(db, gm_ca)
    tender_id, publicity = scene["tender"].id, scene["publicity"]
    now = publicity.starts_at + timedelta(hours=1)
    objector = principal(db, scene["bidders"][1], Permission.AWARD_OBJECT)
    raised = awards.raise_objection(db, objector, tender_id=tender_id, text="评分有误", now=publicity.starts_at)
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    awards.answer_objection(db, manager, objection_id=raised.id, answer="无误", now=publicity.starts_at)
    complainant = principal(db, scene["bidders"][1], Permission.COMPLAINT_LODGE)

    def lodge() -> object:
        return complaints.lodge_complaint(
            db, complainant, tender_id=tender_id, matter="evaluation_result", request="重新评标", facts="评分有误",
            evidence=[{"name": "证明.pdf", "sha256": "c" * 64}], knew_on=now.date(), interest=None, now=now,
        )  # fmt: skip

    if action == "complaint.lodged":
        return lodge
    complaint_id = lodge().id  # type: ignore[attr-defined]
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    supervisor = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    if action == "complaint.refused":
        return lambda: complaints.refuse_complaint(
            db, supervisor, complaint_id=complaint_id, reason="不予受理", now=now
        )

    def accept() -> object:
        return complaints.accept_complaint(db, supervisor, complaint_id=complaint_id, now=now)

    if action == "complaint.accepted":
        return accept
    accept()
    if action == "complaint.review_started":
        return lambda: complaints.start_review(
            db, supervisor, complaint_id=complaint_id, kind="testing", note="检测", now=now
        )
    if action == "complaint.review_ended":
        complaints.start_review(db, supervisor, complaint_id=complaint_id, kind="testing", note="检测", now=now)
        return lambda: complaints.end_review(db, supervisor, complaint_id=complaint_id, now=now + timedelta(days=3))
    if action == "complaint.tender_suspended":
        return lambda: complaints.suspend_tender(db, supervisor, complaint_id=complaint_id, reason="暂停", now=now)
    if action == "complaint.suspension_lifted":
        complaints.suspend_tender(db, supervisor, complaint_id=complaint_id, reason="暂停", now=now)
        return lambda: complaints.lift_suspension(db, supervisor, complaint_id=complaint_id, now=now)
    if action.startswith(("complaint.investigation", "complaint.hearing")):
        return _records(db, supervisor, complaint_id, action, now)
    if action == "complaint.upheld":
        return lambda: complaints.uphold_complaint(
            db,
            supervisor,
            complaint_id=complaint_id,
            decision="重新评标",
            remedy="re_evaluation",
            committee="same",
            now=now,
        )
    return lambda: complaints.dismiss_complaint(
        db, supervisor, complaint_id=complaint_id, decision="驳回", false_complaint=False, now=now
    )


def republish_scenario(db: Session, gm_ca: Path) -> Callable[[], object]:
    """An answer changed the result; the changed candidates are to be publicised again (实施条例 第54条)."""
    from ggzy.awards import service as awards

    scene = make_publicised_tender(db, gm_ca)
    tender_id, publicity = scene["tender"].id, scene["publicity"]
    objector = principal(db, scene["bidders"][1], Permission.AWARD_OBJECT)
    raised = awards.raise_objection(db, objector, tender_id=tender_id, text="第一名低于成本", now=publicity.starts_at)
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    awards.answer_objection(
        db, manager, objection_id=raised.id, answer="复核后否决第一名", changes_result=True, now=publicity.starts_at
    )
    later = [c["bid_id"] for c in awards.candidates_of(publicity)][1:]
    return lambda: awards.republish_publicity(
        db, manager, tender_id=tender_id, recommended=later, basis="复核意见", ends_at=None, now=publicity.starts_at
    )


def _records(db: Session, supervisor: Principal, complaint_id: int, action: str, now: datetime) -> Callable[[], object]:
    """An investigation step, a hearing scheduled, a hearing recorded (decision 0047)."""
    from ggzy.complaints import records

    if action == "complaint.investigation_recorded":
        return lambda: records.record_investigation(
            db, supervisor, complaint_id=complaint_id, kind="documents", taken_on=china_date(now), heard_role=None,
            heard_name=None, summary="调取评标报告", evidence=[{"name": "评标报告.pdf", "sha256": "d" * 64}], now=now,
        )  # fmt: skip

    def schedule() -> object:
        return records.schedule_hearing(
            db, supervisor, complaint_id=complaint_id, held_at=now + timedelta(days=1), place="第三会议室",
            remote=False, matters="质证", bidder_ids=[], now=now,
        )  # fmt: skip

    if action == "complaint.hearing_scheduled":
        return schedule
    hearing = schedule()
    parties = json.loads(hearing.parties)  # type: ignore[attr-defined]
    attendance = [
        {"role": p["role"], "entity_id": p["entity_id"], "attended": True, "statement": "陈述"} for p in parties
    ]
    return lambda: records.record_hearing(
        db, supervisor, complaint_id=complaint_id, hearing_id=hearing.id,  # type: ignore[attr-defined]
        attendance=attendance, summary="质证完毕", now=now + timedelta(days=1, hours=1),
    )  # fmt: skip
