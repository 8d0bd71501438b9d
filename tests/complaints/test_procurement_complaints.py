"""Complaints under 政府采购法 (第55条–第57条): the law of the tender's procedure picks the periods.

The story: a government procurement (``gp_open``) is awarded on Saturday 19 December 2026, the day its report is
finalised; a supplier challenges the result that day (第52条), the answer period runs 7 working days to Tuesday 29
December (第53条), and the complaint's 15 working days after it (第55条) cross the New Year holiday of Friday 1
January 2027 (the test calendar, ``load_test_calendar``) to end on Wednesday 20 January.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import challenges
from ggzy.awards import service as awards
from ggzy.complaints import service as complaints
from ggzy.complaints.halts import suspension_in_force
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.errors import Conflict, InvalidInput
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Principal, Role
from ggzy.core.violations import PeriodViolation
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering.lifecycle import TenderSuspended
from ggzy.tendering.procurement_periods import PROCUREMENT_PERIODS
from ggzy.tendering.rules import china_date
from tests.awards.procurement_support import at_ten, make_procurement_awarded
from tests.factories import event_count, make_awarded_tender, make_user, principal, token_for

EVIDENCE = [{"name": "评审报告复印件.pdf", "sha256": "b" * 64}]
ART_55 = "政府采购法 第五十五条"
ART_56 = "政府采购法 第五十六条；政府采购法实施条例 第五十八条"


def _body(**changes: object) -> dict:
    return {
        "matter": "evaluation_result",
        "request": "责令重新开展政府采购活动",
        "facts": "成交供应商不满足采购文件的资格条件",
        "evidence": EVIDENCE,
        "knew_on": "2026-12-19",
    } | changes


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _challenged(db: Session, gm_ca: Path) -> dict:
    """Awarded on 19 December 2026; the first supplier challenges the result the same day."""
    scene = make_procurement_awarded(db, gm_ca)
    supplier = principal(db, scene["bidders"][0], Permission.AWARD_OBJECT)
    challenge = challenges.challenge_result(
        db, supplier, tender_id=scene["tender"].id, text="成交供应商资格不符", now=scene["reported_at"]
    )
    return scene | {"challenge": challenge}


def _supervisor(db: Session) -> Principal:
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="gov_procurement")
    return principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)


def _lodge(db: Session, scene: dict, now: datetime, *, matter: str = "evaluation_result") -> Complaint:
    complainant = principal(db, scene["bidders"][0], Permission.COMPLAINT_LODGE)
    return complaints.lodge_complaint(
        db, complainant, tender_id=scene["tender"].id, matter=matter, request="责令重新开展政府采购活动",
        facts="成交供应商资格不符", evidence=EVIDENCE, knew_on=china_date(now), interest=None, now=now,
    )  # fmt: skip


def test_政府采购法_第55条_complaint_on_working_day_15_after_the_answer_period_taken_day_16_refused_across_new_year(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """第55条: 答复期满后十五个工作日内. The challenge of Saturday 19 December is unanswered; its answer period
    (第53条: 7 working days) ends on Tuesday 29 December; the 15 working days after it skip the holiday of 1 January
    2027 and end on Wednesday 20 January. On the 16th working day the complaint is refused, naming the article and
    the unit, and nothing is left behind."""
    scene = _challenged(db, gm_ca)
    calendar = working_day_calendar(db)
    answer_period_end = calendar.add_working_days(date(2026, 12, 19), 7)
    assert answer_period_end == date(2026, 12, 29)
    last_day = calendar.add_working_days(answer_period_end, 15)
    assert last_day == date(2027, 1, 20)  # 19 January without the holiday of 1 January
    assert not calendar.is_working_day(date(2027, 1, 1))
    headers = token_for(db, scene["bidders"][0])
    url = f"/api/v1/tenders/{scene['tender'].id}/complaints"

    clock.set(at_ten(calendar.add_working_days(answer_period_end, 16)))  # Thursday 21 January
    before = event_count(db)
    refused = client.post(url, json=_body(knew_on="2027-01-21"), headers=headers)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "procurement_complaint_too_late"
    assert "15 个工作日" in problem["message_zh"]
    assert ART_55 in problem["message_zh"]
    assert "2026-12-29" in problem["message_zh"]
    assert "2027-01-20" in problem["message_zh"]
    assert (event_count(db), _count(db, Complaint)) == (before, 0)

    clock.set(at_ten(last_day))
    taken = client.post(url, json=_body(knew_on="2027-01-20"), headers=headers)
    assert taken.status_code == 201, taken.text
    assert taken.json()["lodge_due"] == "2027-01-20"
    assert taken.json()["objection_id"] == scene["challenge"].id


def test_政府采购法_第55条_an_answer_given_opens_the_15_working_days_from_the_end_of_the_answer_period(
    db: Session, gm_ca: Path
) -> None:
    """第55条: a supplier dissatisfied with the answer complains at once; an answer given early does not shorten the
    15 working days, which still count from the end of the answer period."""
    scene = _challenged(db, gm_ca)
    challenges.answer_result_challenge(
        db, scene["manager"], challenge_id=scene["challenge"].id, answer="维持成交结果", now=at_ten(date(2026, 12, 21))
    )
    complaint = _lodge(db, scene, at_ten(date(2026, 12, 22)))
    assert complaint.lodge_due == date(2027, 1, 20)


def test_政府采购法_第55条_an_unanswered_challenge_within_its_answer_period_is_not_yet_a_ground_for_complaint(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """第55条: the complaint follows an answer the supplier is dissatisfied with, or the end of the answer period."""
    scene = _challenged(db, gm_ca)
    clock.set(at_ten(date(2026, 12, 22)))
    before = event_count(db)
    early = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/complaints", json=_body(knew_on="2026-12-22"),
        headers=token_for(db, scene["bidders"][0]),
    )  # fmt: skip
    assert (early.status_code, early.json()["code"]) == (409, "challenge_awaiting_answer")
    assert "2026-12-29" in early.json()["message_zh"]
    assert (event_count(db), _count(db, Complaint)) == (before, 0)


def test_政府采购法_第55条_a_complaint_without_a_prior_challenge_of_its_matter_is_refused(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """第55条 (质疑供应商) and 实施条例 第55条 (投诉的事项不得超出已质疑事项的范围): no challenge, no
    complaint — nor one on a matter other than the one challenged."""
    scene = make_procurement_awarded(db, gm_ca)
    clock.set(scene["reported_at"] + timedelta(hours=1))
    headers = token_for(db, scene["bidders"][0])
    url = f"/api/v1/tenders/{scene['tender'].id}/complaints"
    before = event_count(db)
    for matter in ("evaluation_result", "documents", "other"):
        refused = client.post(url, json=_body(matter=matter), headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (409, "challenge_required_first"), matter
        assert "政府采购法 第五十五条" in refused.json()["message_zh"]
    assert (event_count(db), _count(db, Complaint)) == (before, 0)

    supplier = principal(db, scene["bidders"][0], Permission.AWARD_OBJECT)
    challenges.challenge_result(db, supplier, tender_id=scene["tender"].id, text="成交结果有误", now=clock.now())
    clock.set(at_ten(date(2026, 12, 30)))  # the answer period has ended
    outside = client.post(url, json=_body(matter="documents", knew_on="2026-12-30"), headers=headers)
    assert (outside.status_code, outside.json()["code"]) == (409, "challenge_required_first")


def test_招标投标法实施条例_第60条_a_complaint_on_a_matter_outside_第22_44_54条_needs_no_prior_objection(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """第60条 asks for an objection first only on the matters of 第22条, 第44条 and 第54条: under 招标投标法 a bidder
    complains of anything else within 10 days of knowing, with no objection before."""
    scene = make_awarded_tender(db, gm_ca)
    clock.set(scene["award"].awarded_at + timedelta(hours=1))
    taken = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/complaints",
        json=_body(matter="other", knew_on=str(china_date(clock.now()))),
        headers=token_for(db, scene["bidders"][0]),
    )
    assert taken.status_code == 201, taken.text
    assert taken.json()["objection_id"] is None


def test_政府采购法_第56条_a_decision_after_30_working_days_of_receipt_is_made_and_recorded_as_a_violation(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    """第56条: 收到投诉后三十个工作日内 — counted from receipt, not from acceptance (there is no separate acceptance
    period in 政府采购法). A decision on the 31st working day is made all the same; the missed period is recorded
    with its article and shown on the supervisor's list of violations."""
    scene = _challenged(db, gm_ca)
    received = date(2026, 12, 30)
    complaint = _lodge(db, scene, at_ten(received))
    calendar = working_day_calendar(db)
    due = calendar.add_working_days(received, 30)
    assert complaint.acceptance_due == due
    supervisor = _supervisor(db)
    complaints.accept_complaint(db, supervisor, complaint_id=complaint.id, now=at_ten(date(2027, 1, 5)))
    assert complaint.decision_due == due  # from receipt (第56条), not from acceptance (实施条例 第61条)
    late_day = calendar.add_working_days(received, 31)
    complaints.dismiss_complaint(
        db, supervisor, complaint_id=complaint.id, decision="投诉缺乏事实依据，驳回", false_complaint=False,
        now=at_ten(late_day),
    )  # fmt: skip
    assert complaint.status == "dismissed"
    assert complaint.decided_late is True
    [violation] = db.scalars(select(PeriodViolation)).all()
    assert (violation.period_key, violation.article) == ("procurement.complaint_decision", ART_56)
    assert (violation.due, violation.happened_on) == (due, late_day)
    event = db.get(Event, violation.event_id)
    assert event is not None
    assert event.action == "complaint.dismissed"
    assert json.loads(event.payload)["violation"]["article"] == ART_56

    supervisor_user = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530000")])
    listed = client.get(
        f"/api/v1/violations?tender_id={scene['tender'].id}", headers=token_for(db, supervisor_user)
    ).json()
    assert [(row["period"], row["article"]) for row in listed] == [("procurement.complaint_decision", ART_56)]


def _suspended(db: Session, gm_ca: Path, *, on: date) -> tuple[dict, Complaint, Principal]:
    scene = _challenged(db, gm_ca)
    challenges.answer_result_challenge(
        db, scene["manager"], challenge_id=scene["challenge"].id, answer="维持成交结果", now=at_ten(on)
    )
    complaint = _lodge(db, scene, at_ten(on))
    supervisor = _supervisor(db)
    complaints.accept_complaint(db, supervisor, complaint_id=complaint.id, now=at_ten(on))
    complaints.suspend_tender(db, supervisor, complaint_id=complaint.id, reason="暂停采购活动", now=at_ten(on))
    return scene, complaint, supervisor


def _record_contract(db: Session, scene: dict, now: datetime) -> object:
    return awards.record_contract(
        db, scene["manager"], tender_id=scene["tender"].id, amount_fen=scene["award"].price_fen,
        signed_on=china_date(now), blob_sha256=None, now=now,
    )  # fmt: skip


def test_政府采购法_第57条_a_suspension_of_the_procurement_ends_by_itself_after_30_days(
    db: Session, gm_ca: Path
) -> None:
    """第57条: 暂停时间最长不得超过三十日. Suspended on Monday 21 December 2026, the procurement is halted through
    Wednesday 20 January 2027 (the 30th day) and goes on from 21 January without anyone lifting the suspension;
    a new suspension cannot stretch it past the 30 days."""
    on = date(2026, 12, 21)
    scene, complaint, supervisor = _suspended(db, gm_ca, on=on)
    last_day = PROCUREMENT_PERIODS.complaint_suspension.last_day(working_day_calendar(db), on)
    assert last_day == date(2027, 1, 20)
    suspension = db.scalars(select(TenderSuspension)).one()
    assert suspension.expires_at is not None
    for day in (date(2026, 12, 22), last_day):
        with pytest.raises(TenderSuspended), db.begin_nested():
            _record_contract(db, scene, at_ten(day))
    assert suspension_in_force(db, scene["tender"].id, now=at_ten(last_day)) is not None
    after = at_ten(last_day + timedelta(days=1))
    assert suspension_in_force(db, scene["tender"].id, now=after) is None
    with pytest.raises(Conflict, match=r"第五十七条|art\. 57"), db.begin_nested():
        complaints.suspend_tender(db, supervisor, complaint_id=complaint.id, reason="再次暂停", now=after)
    _record_contract(db, scene, after)
    assert awards.find_contract(db, scene["tender"].id) is not None
    assert suspension.lifted_at is None  # it ended by itself


def test_招标投标法实施条例_第62条_a_suspension_under_the_tendering_law_lasts_until_lifted(
    db: Session, gm_ca: Path
) -> None:
    """第62条 sets no longest suspension: 40 days on, the tender is still suspended until the supervisor lifts it or
    decides (today's rule, kept for 招标投标法)."""
    scene = make_awarded_tender(db, gm_ca)
    now = scene["award"].awarded_at + timedelta(hours=1)
    complainant = principal(db, scene["bidders"][0], Permission.COMPLAINT_LODGE)
    complaint = complaints.lodge_complaint(
        db, complainant, tender_id=scene["tender"].id, matter="other", request="责令改正", facts="违法",
        evidence=EVIDENCE, knew_on=china_date(now), interest=None, now=now,
    )  # fmt: skip
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    supervisor = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    complaints.accept_complaint(db, supervisor, complaint_id=complaint.id, now=now)
    complaints.suspend_tender(db, supervisor, complaint_id=complaint.id, reason="暂停", now=now)
    assert db.scalars(select(TenderSuspension)).one().expires_at is None
    later = now + timedelta(days=40)
    assert suspension_in_force(db, scene["tender"].id, now=later) is not None
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    with pytest.raises(TenderSuspended):
        awards.record_contract(
            db, manager, tender_id=scene["tender"].id, amount_fen=scene["award"].price_fen,
            signed_on=china_date(later), blob_sha256=None, now=later,
        )  # fmt: skip


def test_政府采购法实施条例_第58条_the_working_days_the_complainant_supplements_its_material_are_not_counted(
    db: Session, gm_ca: Path
) -> None:
    """实施条例 第58条: 需要投诉人补正材料的，所需时间不计算在投诉处理期限内 — under 政府采购法 only; 招标投标法实施条例
    第61条 leaves out inspection, testing, appraisal and expert review, not the complainant's supplement."""
    scene = _challenged(db, gm_ca)
    received = date(2026, 12, 30)
    complaint = _lodge(db, scene, at_ten(received))
    supervisor = _supervisor(db)
    complaints.accept_complaint(db, supervisor, complaint_id=complaint.id, now=at_ten(received))
    complaints.start_review(
        db,
        supervisor,
        complaint_id=complaint.id,
        kind="supplement",
        note="请补正证明材料",
        now=at_ten(date(2027, 1, 4)),
    )
    complaints.end_review(db, supervisor, complaint_id=complaint.id, now=at_ten(date(2027, 1, 8)))
    calendar = working_day_calendar(db)
    assert complaint.excluded_working_days == 4
    assert complaint.decision_due == calendar.add_working_days(received, 34)

    tendering_law = make_awarded_tender(db, gm_ca)
    now = tendering_law["award"].awarded_at + timedelta(hours=1)
    complainant = principal(db, tendering_law["bidders"][0], Permission.COMPLAINT_LODGE)
    other = complaints.lodge_complaint(
        db, complainant, tender_id=tendering_law["tender"].id, matter="other", request="责令改正", facts="违法",
        evidence=EVIDENCE, knew_on=china_date(now), interest=None, now=now,
    )  # fmt: skip
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    construction = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    complaints.accept_complaint(db, construction, complaint_id=other.id, now=now)
    with pytest.raises(InvalidInput):
        complaints.start_review(db, construction, complaint_id=other.id, kind="supplement", note="补正", now=now)


def test_政府采购法_第52条_a_challenge_of_the_process_during_a_negotiation_then_its_complaint(
    db: Session, gm_ca: Path
) -> None:
    """第52条: a supplier challenges the procurement process (采购过程) within 7 working days of the end of the step
    (实施条例 第53条 (二)) — here the opening of a 竞争性谈判's responses, while the panel negotiates; once answered
    (第53条) its complaint on that matter follows (第55条). A late challenge, or one dated after today, is refused and
    leaves no row and no event."""
    from ggzy.awards.models import ResultChallenge
    from ggzy.awards.rules import PROCESS, ProcessChallengeTooLate
    from tests.tendering.negotiation_support import negotiating

    scene = negotiating(db, gm_ca)
    tender, opened_at = scene["tender"], scene["opened_at"]
    opened_on = china_date(opened_at)
    supplier = principal(db, scene["bidders"][0], Permission.AWARD_OBJECT)
    rows = (_count(db, ResultChallenge), event_count(db))
    with pytest.raises(InvalidInput), db.begin_nested():
        challenges.challenge_process(
            db, supplier, tender_id=tender.id, text="谈判小组泄露报价", stage_ended_on=opened_on + timedelta(days=1),
            now=opened_at,
        )  # fmt: skip
    last_day = PROCUREMENT_PERIODS.challenge.last_day(working_day_calendar(db), opened_on)
    too_late = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=opened_at.tzinfo)
    with pytest.raises(ProcessChallengeTooLate) as refused, db.begin_nested():
        challenges.challenge_process(
            db, supplier, tender_id=tender.id, text="谈判小组泄露报价", stage_ended_on=opened_on,
            now=too_late + timedelta(hours=4),
        )  # fmt: skip
    assert "第五十三条 第（二）项" in refused.value.detail_zh
    assert (_count(db, ResultChallenge), event_count(db)) == rows

    challenge = challenges.challenge_process(
        db, supplier, tender_id=tender.id, text="谈判小组泄露报价", stage_ended_on=opened_on,
        now=opened_at + timedelta(hours=1),
    )  # fmt: skip
    assert (challenge.matter, challenge.award_id, challenge.challenge_due) == (PROCESS, None, last_day)
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    challenges.answer_result_challenge(
        db, manager, challenge_id=challenge.id, answer="经核实未泄露", now=opened_at + timedelta(hours=2)
    )
    lodged = _lodge(db, scene, opened_at + timedelta(hours=3), matter="other")
    assert lodged.matter == "other"
