"""API of complaints to the supervisory department (投诉, 招标投标法实施条例 第60条–第62条)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from ggzy.complaints import access, records, rules, service
from ggzy.complaints.halts import suspension_in_force
from ggzy.complaints.models import Complaint, ComplaintInvestigation
from ggzy.complaints.schemas import (
    ComplaintIn,
    ComplaintOut,
    DismissIn,
    HearingIn,
    HearingOut,
    HearingRecordIn,
    InvestigationIn,
    InvestigationOut,
    ReasonIn,
    ReviewIn,
    UpholdIn,
)
from ggzy.core.calendar import CalendarYearUnknown
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.tendering.lifecycle import FailedRoundNotReEvaluable, TenderStageWrong

router = APIRouter(tags=["complaints"], route_class=PermissionedRoute)

Complainant = Annotated[Principal, Depends(require(Permission.COMPLAINT_LODGE))]
Reader = Annotated[Principal, Depends(require(Permission.COMPLAINT_READ))]
Supervisor = Annotated[Principal, Depends(require(Permission.COMPLAINT_HANDLE))]
HearingReader = Annotated[Principal, Depends(require(Permission.COMPLAINT_HEARING_READ))]

_HANDLING = (NotFound, access.NotYourJurisdiction, rules.ComplaintStateWrong)
_RECORDING = (*_HANDLING, rules.RecordsFrozen, InvalidInput)


def _out(db: Session, complaint: Complaint, now: datetime) -> ComplaintOut:
    suspension = suspension_in_force(db, complaint.tender_id, now=now)
    return ComplaintOut(
        id=complaint.id, tender_id=complaint.tender_id, entity_id=complaint.entity_id, matter=complaint.matter,
        objection_id=complaint.objection_id, interest=complaint.interest, request=complaint.request,
        facts=complaint.facts, evidence=service.evidence_of(complaint), knew_on=complaint.knew_on,
        lodged_at=complaint.lodged_at, lodge_due=complaint.lodge_due, status=complaint.status,
        acceptance_due=complaint.acceptance_due, accepted_at=complaint.accepted_at,
        acceptance_late=complaint.acceptance_late, decision_due=complaint.decision_due,
        review_kind=complaint.review_kind, excluded_working_days=complaint.excluded_working_days,
        suspended=suspension is not None, decided_at=complaint.decided_at, decision=complaint.decision,
        remedy=complaint.remedy, committee=complaint.committee, false_complaint=complaint.false_complaint,
        decided_late=complaint.decided_late,
    )  # fmt: skip


@router.post(
    "/tenders/{tender_id}/complaints",
    status_code=201,
    response_model=ComplaintOut,
    summary="Complain to the supervisory department within 10 days, with request and evidence; on the matters of "
    "第22, 44, 54条 after an objection (实施条例 第60条); under 政府采购法 only after a challenge of the matter, "
    "within 15 working days after its answer period (政府采购法 第55条)",
    responses=problem_responses(
        NotFound, InvalidInput, rules.EvidenceMissing, rules.ComplaintTooLate, rules.ObjectionRequiredFirst,
        service.InterestNotStated, CalendarYearUnknown, rules.ProcurementComplaintTooLate,
        rules.ChallengeRequiredFirst, rules.ChallengeAwaitingAnswer,
    ),
)  # fmt: skip
def lodge(tender_id: Id, body: ComplaintIn, db: DB, actor: Complainant, now: Now) -> ComplaintOut:
    complaint = service.lodge_complaint(
        db, actor, tender_id=tender_id, matter=body.matter, request=body.request, facts=body.facts,
        evidence=[item.model_dump() for item in body.evidence], knew_on=body.knew_on, interest=body.interest, now=now,
    )  # fmt: skip
    return _out(db, complaint, now)


@router.get(
    "/complaints",
    response_model=list[ComplaintOut],
    summary="My entity's complaints, or those of my jurisdiction (supervisors; inspectors once the bids are "
    "public, 招标投标法 第22条), newest first",
)
def list_complaints(
    db: DB,
    actor: Reader,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> list[ComplaintOut]:
    return [_out(db, c, now) for c in service.visible_complaints(db, actor, limit=limit, offset=offset, now=now)]


@router.get(
    "/complaints/{complaint_id}",
    response_model=ComplaintOut,
    summary="One complaint, for its complainant and the supervisors of its jurisdiction (inspectors too once the "
    "bids are public, 招标投标法 第22条)",
    responses=problem_responses(NotFound),
)
def get_complaint(complaint_id: Id, db: DB, actor: Reader, now: Now) -> ComplaintOut:
    return _out(db, service.read_complaint(db, actor, complaint_id=complaint_id, now=now), now)


@router.post(
    "/complaints/{complaint_id}/accept",
    response_model=ComplaintOut,
    summary="受理: accept within 3 working days of receipt; the 30 working days of the decision start (第61条)",
    responses=problem_responses(*_HANDLING, CalendarYearUnknown),
)
def accept(complaint_id: Id, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    return _out(db, service.accept_complaint(db, actor, complaint_id=complaint_id, now=now), now)


@router.post(
    "/complaints/{complaint_id}/refuse",
    response_model=ComplaintOut,
    summary="不予受理, with the reason, within 3 working days of receipt (第61条)",
    responses=problem_responses(*_HANDLING),
)
def refuse(complaint_id: Id, body: ReasonIn, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    return _out(db, service.refuse_complaint(db, actor, complaint_id=complaint_id, reason=body.reason, now=now), now)


@router.post(
    "/complaints/{complaint_id}/reviews",
    response_model=ComplaintOut,
    summary="Start inspection, testing, appraisal or expert review: its time is not counted (第61条)",
    responses=problem_responses(*_HANDLING, InvalidInput, Conflict),
)
def start_review(complaint_id: Id, body: ReviewIn, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    complaint = service.start_review(db, actor, complaint_id=complaint_id, kind=body.kind, note=body.note, now=now)
    return _out(db, complaint, now)


@router.post(
    "/complaints/{complaint_id}/reviews/end",
    response_model=ComplaintOut,
    summary="End the review; its working days push the decision's last day back (第61条)",
    responses=problem_responses(*_HANDLING, Conflict, CalendarYearUnknown),
)
def end_review(complaint_id: Id, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    return _out(db, service.end_review(db, actor, complaint_id=complaint_id, now=now), now)


@router.post(
    "/complaints/{complaint_id}/suspension",
    response_model=ComplaintOut,
    summary="责令暂停招标投标活动 while the complaint is handled (第62条): the tender's next steps are refused",
    responses=problem_responses(*_HANDLING, Conflict),
)
def suspend(complaint_id: Id, body: ReasonIn, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    suspension = service.suspend_tender(db, actor, complaint_id=complaint_id, reason=body.reason, now=now)
    return _out(db, service.get_complaint(db, suspension.complaint_id)[0], now)


@router.post(
    "/complaints/{complaint_id}/suspension/lift",
    response_model=ComplaintOut,
    summary="Lift the suspension before the decision (第62条)",
    responses=problem_responses(NotFound, access.NotYourJurisdiction, Conflict),
)
def lift(complaint_id: Id, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    suspension = service.lift_suspension(db, actor, complaint_id=complaint_id, now=now)
    return _out(db, service.get_complaint(db, suspension.complaint_id)[0], now)


@router.post(
    "/complaints/{complaint_id}/uphold",
    response_model=ComplaintOut,
    summary="Decide for the complainant: corrective action; re-evaluation by the same or a new committee (the round "
    "goes back to opened); or re-tender (the round fails) (第61条, 第81条)",
    responses=problem_responses(*_HANDLING, InvalidInput, Conflict, TenderStageWrong, FailedRoundNotReEvaluable),
)
def uphold(complaint_id: Id, body: UpholdIn, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    complaint = service.uphold_complaint(
        db, actor, complaint_id=complaint_id, decision=body.decision, remedy=body.remedy,
        committee=body.committee, now=now,
    )  # fmt: skip
    return _out(db, complaint, now)


@router.post(
    "/complaints/{complaint_id}/dismiss",
    response_model=ComplaintOut,
    summary="驳回: dismiss the complaint, flagging one of fabricated facts or forged material (第61条, 第77条)",
    responses=problem_responses(*_HANDLING, Conflict),
)
def dismiss(complaint_id: Id, body: DismissIn, db: DB, actor: Supervisor, now: Now) -> ComplaintOut:
    complaint = service.dismiss_complaint(
        db, actor, complaint_id=complaint_id, decision=body.decision, false_complaint=body.false_complaint, now=now
    )
    return _out(db, complaint, now)


# -- investigation and hearings (实施条例 第62条; 政府采购法实施条例 第56条; decision 0047) -----------------


def _investigation_out(step: ComplaintInvestigation) -> InvestigationOut:
    return InvestigationOut(
        id=step.id, complaint_id=step.complaint_id, kind=step.kind, taken_on=step.taken_on,
        heard_role=step.heard_role, heard_name=step.heard_name, summary=step.summary,
        evidence=json.loads(step.evidence), review_event_id=step.review_event_id, recorded_at=step.recorded_at,
    )  # fmt: skip


def _hearing_out(view: records.HearingView) -> HearingOut:
    hearing = view.hearing
    return HearingOut(
        id=hearing.id, complaint_id=hearing.complaint_id, held_at=hearing.held_at, place=hearing.place,
        remote=hearing.remote, matters=hearing.matters, parties=view.parties, scheduled_at=hearing.scheduled_at,
        recorded_at=hearing.recorded_at, record=view.record, record_sha256=hearing.record_sha256,
    )  # fmt: skip


@router.post(
    "/complaints/{complaint_id}/investigations",
    status_code=201,
    response_model=InvestigationOut,
    summary="Record an investigation step while the complaint is accepted and undecided: documents read or copied, "
    "an inquiry, a site survey, or what a testing or expert review found (实施条例 第62条, 第61条)",
    responses=problem_responses(*_RECORDING, Conflict),
)
def record_investigation(
    complaint_id: Id, body: InvestigationIn, db: DB, actor: Supervisor, now: Now
) -> InvestigationOut:
    step = records.record_investigation(
        db, actor, complaint_id=complaint_id, kind=body.kind, taken_on=body.taken_on, heard_role=body.heard_role,
        heard_name=body.heard_name, summary=body.summary,
        evidence=[item.model_dump() for item in body.evidence], now=now,
    )  # fmt: skip
    return _investigation_out(step)


@router.get(
    "/complaints/{complaint_id}/investigations",
    response_model=list[InvestigationOut],
    summary="A complaint's investigation steps, oldest first: the supervisors of its jurisdiction, inspectors once "
    "the bids are public (实施条例 第62条)",
    responses=problem_responses(NotFound),
)
def list_investigations(complaint_id: Id, db: DB, actor: Reader, now: Now) -> list[InvestigationOut]:
    steps = records.investigations_of(db, actor, complaint_id=complaint_id, now=now)
    return [_investigation_out(step) for step in steps]


@router.post(
    "/complaints/{complaint_id}/hearings",
    status_code=201,
    response_model=HearingOut,
    summary="Schedule a hearing (质证) with its time, place or remote means, the matters, and the parties notified: "
    "the complainant, the owner, the agent and the bidders concerned (政府采购法实施条例 第56条; 政府采购法 第56条)",
    responses=problem_responses(*_RECORDING),
)
def schedule_hearing(complaint_id: Id, body: HearingIn, db: DB, actor: Supervisor, now: Now) -> HearingOut:
    hearing = records.schedule_hearing(
        db, actor, complaint_id=complaint_id, held_at=body.held_at, place=body.place, remote=body.remote,
        matters=body.matters, bidder_ids=list(body.bidder_ids), now=now,
    )  # fmt: skip
    return _hearing_out(records.HearingView(hearing, json.loads(hearing.parties), None))


@router.post(
    "/complaints/{complaint_id}/hearings/{hearing_id}/record",
    response_model=HearingOut,
    summary="Record a hearing once held: each party notified present (its statement) or absent, the summary; the "
    "record's SHA-256 is sealed in the ledger (政府采购法实施条例 第56条)",
    responses=problem_responses(*_RECORDING, Conflict),
)
def record_hearing(
    complaint_id: Id, hearing_id: Id, body: HearingRecordIn, db: DB, actor: Supervisor, now: Now
) -> HearingOut:
    hearing = records.record_hearing(
        db, actor, complaint_id=complaint_id, hearing_id=hearing_id,
        attendance=[item.model_dump() for item in body.attendance], summary=body.summary, now=now,
    )  # fmt: skip
    record = json.loads(hearing.record) if hearing.record is not None else None
    return _hearing_out(records.HearingView(hearing, json.loads(hearing.parties), record))


@router.get(
    "/complaints/{complaint_id}/hearings",
    response_model=list[HearingOut],
    summary="A complaint's hearings: all for the supervisors of its jurisdiction and inspectors; for a party, the "
    "notices addressed to it and the records of the hearings it was party to",
    responses=problem_responses(NotFound),
)
def list_hearings(complaint_id: Id, db: DB, actor: HearingReader, now: Now) -> list[HearingOut]:
    return [_hearing_out(view) for view in records.hearings_of(db, actor, complaint_id=complaint_id, now=now)]


@router.get(
    "/hearings/mine",
    response_model=list[HearingOut],
    summary="The hearings my entity was notified of, newest first: their notices and, once held, their records",
)
def my_hearings(db: DB, actor: HearingReader, now: Now) -> list[HearingOut]:
    return [_hearing_out(view) for view, _ in records.hearings_notified_to(db, actor, now=now)]
