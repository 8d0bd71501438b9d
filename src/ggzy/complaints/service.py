"""Complaints to the supervisory department (投诉, 招标投标法实施条例 第60条–第62条) and the suspensions it orders;
under 政府采购法 (the procedure's law) the periods and conditions of its 第55条–第57条 (``rules.complaint_law``).

What the public ledger carries, event by event (``disclosed``):

- ``complaint.lodged`` is undisclosed: it names the complainant, its allegations and its evidence. Until the
  decision these stay with the complainant and the supervisor: the supervisor keeps what it learns confidential
  (第62条), a complainant named early invites pressure to withdraw, and a complaint about the documents before the
  opening would reveal a potential bidder (招标投标法 第22条: who registered stays secret).
- Acceptance, refusal, the review clock, suspension and its lifting are disclosed *without* the complainant: they
  say that a complaint on this tender is handled, on which matter and by when (第61条 time limits are public
  accountability, 第79条), and a suspension binds everyone, so everyone must see it.
- ``complaint.upheld`` and ``complaint.dismissed`` are disclosed: the outcome, the remedy, the time limit and
  whether it was kept are public (第61条, 第79条). Once the opening record has named the bidders they also carry the
  complainant's entity and the written decision: decisions on violations are published (第78条), and a dismissal
  for fabricated facts or forged material (第61条, 第77条) is on record against the complainant. Before that they
  carry neither: a complaint about the documents comes after an objection, so its complainant obtained the
  documents, and naming it would make a potential bidder public (招标投标法 第22条); a written decision names its
  complainant, and even an unsalted hash of it could be confirmed by hashing a templated decision with each local
  firm's name. The complaint row keeps both for the complainant and the supervisor, and the undisclosed
  ``complaint.lodged`` commits the ledger to who lodged it. No later event publishes them at the opening: a
  complainant that did not bid is still a potential bidder the opening record does not name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ggzy.awards import challenges as result_challenges
from ggzy.awards import service as awards
from ggzy.awards.rules import PROCESS, end_of_day
from ggzy.complaints import access, rules
from ggzy.complaints.halts import suspension_in_force
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import canonical_json, changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.core.violations import MissedPeriod, record_missed, violation_entry
from ggzy.entities.models import Entity
from ggzy.evaluation import service as evaluation
from ggzy.experts import service as experts
from ggzy.projects.models import Project
from ggzy.tendering import lifecycle, opening
from ggzy.tendering import service as tendering
from ggzy.tendering.models import OpeningObjection, Tender
from ggzy.tendering.procedures import procedure
from ggzy.tendering.rules import china_date
from ggzy.tendering.stages import Stage, Step

# The stages in which the opening record has named the bidders.
_BIDS_PUBLIC = frozenset(
    {Stage.OPENED, Stage.EVALUATING, Stage.EVALUATED, Stage.PUBLICITY, Stage.AWARDED, Stage.CONTRACTED}
)


class InterestNotStated(DomainError):
    code = "complaint_interest_missing"
    status = 403
    message_zh = (
        "投诉人应当是投标人或者其他利害关系人；未投标的，须说明其与本招标项目的利害关系（招标投标法实施条例 第六十条）"
    )
    message_en = (
        "A complaint comes from a bidder or another interested party; one that did not bid states its interest "
        "in this tender (Regulations art. 60)"
    )


# -- reading ---------------------------------------------------------------------------------------------------------


def _tender_and_project(db: Session, tender_id: int) -> tuple[Tender, Project]:
    tender = tendering.get_tender(db, tender_id)
    return tender, tendering.project_of(db, tender)[0]


def get_complaint(db: Session, complaint_id: int) -> tuple[Complaint, Project]:
    complaint = db.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(field="complaint_id", what_zh="投诉", what_en="Complaint")
    project = db.get(Project, complaint.project_id)
    assert project is not None
    return complaint, project


def bids_public(db: Session, tender_id: int, now: datetime) -> bool:
    """Whether the round's opening record has named its bidders (招标投标法 第22条 no longer at stake)."""
    return lifecycle.stage_of(tendering.get_tender(db, tender_id), now) in _BIDS_PUBLIC


def read_complaint(db: Session, actor: Principal, *, complaint_id: int, now: datetime) -> Complaint:
    complaint, project = get_complaint(db, complaint_id)
    bids_public = lifecycle.stage_of(tendering.get_tender(db, complaint.tender_id), now) in _BIDS_PUBLIC
    access.check_reader(actor, project, complaint, bids_public=bids_public)
    return complaint


def visible_complaints(db: Session, actor: Principal, *, limit: int, offset: int, now: datetime) -> list[Complaint]:
    """The complainant's own complaints and those of the reader's jurisdiction, newest first."""
    query = (
        select(Complaint, Project, Tender)
        .join(Project, Project.id == Complaint.project_id)
        .join(Tender, Tender.id == Complaint.tender_id)
        .order_by(Complaint.id.desc())
    )
    shown = [
        complaint
        for complaint, project, tender in db.execute(query)
        if access.may_read(actor, project, complaint, bids_public=lifecycle.stage_of(tender, now) in _BIDS_PUBLIC)
    ]
    return shown[offset : offset + limit]


def evidence_of(complaint: Complaint) -> list[dict[str, Any]]:
    return list(json.loads(complaint.evidence))


def _record(
    db: Session, actor: Principal, complaint: Complaint, project: Project, action: str, payload: dict[str, Any],
    now: datetime, *, violation: MissedPeriod | None = None,
) -> None:  # fmt: skip
    """The complaint's event; a missed 第61条 period rides in its payload and is recorded against the tender."""
    event = record_event(
        db, actor, action=action, subject_type="complaint", subject_id=complaint.id, centre_id=project.centre_id,
        payload={"complaint_id": complaint.id, "tender_id": complaint.tender_id, "matter": complaint.matter,
                 **payload, **violation_entry(violation)},
        now=now,
    )  # fmt: skip
    record_missed(db, violation, subject_type="tender", subject_id=complaint.tender_id, event=event)


# -- lodging ---------------------------------------------------------------------------------------------------------


def _law(db: Session, tender_id: int) -> rules.ComplaintLaw:
    """The complaint periods of the law the round's procedure runs under."""
    return rules.complaint_law(procedure(tendering.get_tender(db, tender_id).procedure).law.key)


def _prior_objection(
    db: Session, *, matter: str, tender_id: int, entity_id: int, law: rules.ComplaintLaw = rules.TENDERING
) -> Any:
    """The complainant's latest objection on the matter (第22条 documents, 第44条 opening, 第54条 result); under
    政府采购法 its challenge (质疑, 第52条) of the documents, of the opening, or of the result."""
    found: Sequence[Any]
    if matter == rules.OTHER and law.challenge_first:  # 政府采购法 第52条: a challenge of the procurement process
        found = result_challenges.challenges_by(db, tender_id=tender_id, entity_id=entity_id, matter=PROCESS)
    elif matter == rules.OTHER:
        found = []
    elif matter == rules.DOCUMENTS:
        found = tendering.objections_by(db, tender_id=tender_id, entity_id=entity_id)
    elif matter == rules.EVALUATION_RESULT and law.challenge_first:
        found = result_challenges.challenges_by(db, tender_id=tender_id, entity_id=entity_id)
    elif matter == rules.EVALUATION_RESULT:
        found = awards.objections_by(db, tender_id=tender_id, entity_id=entity_id)
    else:  # opening objections are answered on the spot; read here, never written (tendering owns them)
        query = select(OpeningObjection).where(
            OpeningObjection.tender_id == tender_id, OpeningObjection.entity_id == entity_id
        )
        found = list(db.scalars(query.order_by(OpeningObjection.id)))
    return found[-1] if found else None


@changes_state("complaint.lodged", disclosed=False)
def lodge_complaint(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    matter: str,
    request: str,
    facts: str,
    evidence: list[dict[str, str]],
    knew_on: date,
    interest: str | None,
    now: datetime,
) -> Complaint:
    """A bidder or another interested party complains that the tender breaks the law (实施条例 第60条): within 10
    days of knowing, with a clear request and the necessary evidence; on the matters of 第22条, 第44条 and
    第54条 only after objecting to the owner, the days the objection waited for its answer not counted.

    Under 政府采购法 only a supplier that challenged the matter first complains (第55条; 实施条例 第55条), within
    15 working days after the period for answering its challenge ends (第55条): ``knew_on`` is kept, but the
    period counts from that answer period."""
    tender, project = _tender_and_project(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    rules.check_one_of("matter", matter, rules.MATTERS)
    if actor.entity_id is None:
        raise InvalidInput(field="entity_id", reason_zh="须以市场主体身份投诉", reason_en="lodged by a market entity")
    if not request.strip() or not evidence:
        raise rules.EvidenceMissing(field="evidence" if request.strip() else "request")
    today = china_date(now)
    if knew_on > today:
        raise InvalidInput(field="knew_on", reason_zh="不能晚于今日", reason_en="cannot be after today")
    # Before the opening nobody but a bidder itself may learn who bid (招标投标法 第22条, 第36条): the supervisor
    # reads this complaint, so bid status is neither used nor recorded until the bids are public.
    bids_public = lifecycle.stage_of(tender, now) in _BIDS_PUBLIC
    bidder = bids_public and actor.entity_id in awards.standing_bidders(db, tender.id)
    interest = (interest or "").strip() or None
    law = _law(db, tender.id)
    article = rules.MATTERS[matter]
    objection = None
    excluded = 0
    calendar = working_day_calendar(db)
    if law.challenge_first:  # 政府采购法 第55条: a challenge first, on this matter (实施条例 第55条)
        objection = _prior_objection(db, matter=matter, tender_id=tender.id, entity_id=actor.entity_id, law=law)
        if objection is None:
            raise rules.ChallengeRequiredFirst(field="matter")
        last_day = rules.check_procurement_lodged_in_time(
            law, calendar, challenged_on=china_date(objection.raised_at),
            answered_on=china_date(objection.answered_at) if objection.answered_at is not None else None, today=today,
        )  # fmt: skip
    elif article is not None:
        objection = _prior_objection(db, matter=matter, tender_id=tender.id, entity_id=actor.entity_id)
        if objection is None:
            raise rules.ObjectionRequiredFirst(field="matter", article=article[0], article_en=article[1])
        answered_on = china_date(objection.answered_at) if objection.answered_at is not None else None
        excluded = rules.objection_wait_days(
            raised_on=china_date(objection.raised_at), answered_on=answered_on, today=today
        )
    # An objector already showed itself a potential bidder or an interested party (第22条, 第54条); anyone else
    # that did not bid says what its interest is.
    if not bidder and objection is None and interest is None:
        raise InterestNotStated(field="interest")
    if not law.challenge_first:
        last_day = rules.check_lodged_in_time(calendar, knew_on=knew_on, today=today, excluded_days=excluded)
    due = rules.acceptance_due_by_law(law, calendar, received_on=today)
    assert actor.user_id is not None
    complaint = Complaint(
        tender_id=tender.id, project_id=project.id, entity_id=actor.entity_id, lodged_by=actor.user_id,
        matter=matter, objection_id=objection.id if objection is not None else None,
        interest=None if bidder else interest, request=request, facts=facts, evidence=canonical_json(evidence),
        knew_on=knew_on, lodged_at=now, lodge_due=last_day, acceptance_due=due, status=rules.LODGED,
        excluded_working_days=0,
    )  # fmt: skip
    db.add(complaint)
    db.flush()
    _record(
        db, actor, complaint, project, "complaint.lodged",
        {"entity_id": actor.entity_id, "complainant": "bidder" if bidder else "interested_party",
         "interest": complaint.interest, "objection_id": complaint.objection_id, "request": request,
         "evidence": evidence, "knew_on": knew_on.isoformat(), "objection_wait_days": excluded,
         "lodge_due": last_day.isoformat(), "acceptance_due": due.isoformat(), "law": law.key},
        now,
    )  # fmt: skip
    return complaint


# -- acceptance (第61条: within 3 working days) -----------------------------------------------------------------------


def _handled(db: Session, actor: Principal, complaint_id: int) -> tuple[Complaint, Project, Principal]:
    complaint, project = get_complaint(db, complaint_id)
    return complaint, project, access.check_supervisor(actor, project)


@changes_state("complaint.accepted")
def accept_complaint(db: Session, actor: Principal, *, complaint_id: int, now: datetime) -> Complaint:
    """受理 (第61条): within 3 working days of receipt (a late acceptance is recorded late); the 30 working days
    of the decision start."""
    complaint, project, actor = _handled(db, actor, complaint_id)
    complaint.status = rules.move(
        current=complaint.status, target=rules.ACCEPTED, action_zh="受理", action_en="be accepted"
    )
    calendar = working_day_calendar(db)
    today = china_date(now)
    law = _law(db, complaint.tender_id)
    complaint.accepted_at, complaint.handled_by = now, actor.user_id
    late = rules.acceptance_missed_by_law(law, acceptance_due=complaint.acceptance_due, handled_on=today)
    complaint.acceptance_late = late is not None
    complaint.decision_due = rules.decision_due_by_law(
        law, calendar, received_on=china_date(complaint.lodged_at), accepted_on=today, excluded_working_days=0
    )
    db.flush()
    _record(
        db, actor, complaint, project, "complaint.accepted",
        {"acceptance_due": complaint.acceptance_due.isoformat(), "late": complaint.acceptance_late,
         "decision_due": complaint.decision_due.isoformat()},
        now, violation=late,
    )  # fmt: skip
    return complaint


@changes_state("complaint.refused")
def refuse_complaint(db: Session, actor: Principal, *, complaint_id: int, reason: str, now: datetime) -> Complaint:
    """不予受理 (第61条), with the reason, within 3 working days of receipt."""
    complaint, project, actor = _handled(db, actor, complaint_id)
    complaint.status = rules.move(
        current=complaint.status, target=rules.REFUSED, action_zh="不予受理", action_en="be refused"
    )
    law = _law(db, complaint.tender_id)
    late = rules.acceptance_missed_by_law(law, acceptance_due=complaint.acceptance_due, handled_on=china_date(now))
    complaint.acceptance_late = late is not None
    complaint.decided_at, complaint.decision, complaint.handled_by = now, reason, actor.user_id
    db.flush()
    _record(
        db, actor, complaint, project, "complaint.refused",
        {"reason": reason, "acceptance_due": complaint.acceptance_due.isoformat(), "late": complaint.acceptance_late,
         "basis": (law.acceptance or law.decision).article, "department": access.handling_department(actor, project)},
        now, violation=late,
    )  # fmt: skip
    return complaint


# -- the clock of the decision: reviews not counted (第61条) ----------------------------------------------------------


def _accepted(complaint: Complaint, action_zh: str, action_en: str) -> None:
    if complaint.status != rules.ACCEPTED:
        raise rules.ComplaintStateWrong(
            field="complaint_id", state=complaint.status, action_zh=action_zh, action_en=action_en
        )


@changes_state("complaint.review_started")
def start_review(db: Session, actor: Principal, *, complaint_id: int, kind: str, note: str, now: datetime) -> Complaint:
    """Inspection, testing, appraisal or expert review begins: its working days are not counted (第61条)."""
    complaint, project, actor = _handled(db, actor, complaint_id)
    _accepted(complaint, "开始检验、检测、鉴定或专家评审", "start a review")
    rules.check_one_of("kind", kind, _law(db, complaint.tender_id).review_kinds)  # 第61条; 政府采购法实施条例 第58条
    if complaint.review_started_at is not None:
        raise Conflict(field="complaint_id", reason_zh="已有进行中的评审", reason_en="a review is under way")
    complaint.review_kind, complaint.review_started_at = kind, now
    db.flush()
    _record(db, actor, complaint, project, "complaint.review_started", {"kind": kind, "note": note}, now)
    return complaint


@changes_state("complaint.review_ended")
def end_review(db: Session, actor: Principal, *, complaint_id: int, now: datetime) -> Complaint:
    """The review ends; its working days push the decision's last day back (第61条)."""
    complaint, project, actor = _handled(db, actor, complaint_id)
    _accepted(complaint, "结束评审", "end a review")
    if complaint.review_started_at is None or complaint.accepted_at is None or complaint.decision_due is None:
        raise Conflict(field="complaint_id", reason_zh="没有进行中的评审", reason_en="no review is under way")
    calendar = working_day_calendar(db)
    days = rules.review_working_days(
        calendar, started_on=china_date(complaint.review_started_at), ended_on=china_date(now)
    )
    kind = complaint.review_kind
    complaint.excluded_working_days += days
    complaint.decision_due = rules.decision_due_by_law(
        _law(db, complaint.tender_id), calendar, received_on=china_date(complaint.lodged_at),
        accepted_on=china_date(complaint.accepted_at), excluded_working_days=complaint.excluded_working_days,
    )  # fmt: skip
    complaint.review_kind = complaint.review_started_at = None
    db.flush()
    _record(
        db, actor, complaint, project, "complaint.review_ended",
        {"kind": kind, "working_days": days, "excluded_working_days": complaint.excluded_working_days,
         "decision_due": complaint.decision_due.isoformat()},
        now,
    )  # fmt: skip
    return complaint


# -- suspension (第62条) ---------------------------------------------------------------------------------------------


@changes_state("complaint.tender_suspended")
def suspend_tender(db: Session, actor: Principal, *, complaint_id: int, reason: str, now: datetime) -> TenderSuspension:
    """责令暂停招标投标活动 (第62条) while the accepted complaint is handled: the tender's next steps are refused
    until the suspension is lifted or the complaint decided. Under 政府采购法 第57条 (暂停采购活动) it lasts at most
    30 days, counted from the first suspension the complaint ordered (a second order does not extend it), and
    ends by itself after them (``expires_at``)."""
    complaint, project, actor = _handled(db, actor, complaint_id)
    _accepted(complaint, "责令暂停招标投标活动", "suspend the tender")
    if suspension_in_force(db, complaint.tender_id, now=now) is not None:
        raise Conflict(field="complaint_id", reason_zh="该招标项目已暂停", reason_en="the tender is already suspended")
    first = db.scalar(
        select(func.min(TenderSuspension.ordered_at)).where(TenderSuspension.complaint_id == complaint.id)
    )
    last_day = rules.suspension_last_day(
        _law(db, complaint.tender_id), working_day_calendar(db), first_ordered_on=china_date(first or now)
    )
    expires_at = end_of_day(last_day) if last_day is not None else None
    if expires_at is not None and expires_at <= now:
        raise Conflict(
            field="complaint_id",
            reason_zh=f"暂停采购活动最长不得超过三十日（政府采购法 第五十七条），已于 {last_day} 届满",
            reason_en="a suspension lasts at most 30 days (Government Procurement Law art. 57); "
            f"it ran out on {last_day}",
        )
    assert actor.user_id is not None
    suspension = TenderSuspension(
        tender_id=complaint.tender_id, complaint_id=complaint.id, reason=reason, ordered_by=actor.user_id,
        ordered_at=now, expires_at=expires_at,
    )  # fmt: skip
    db.add(suspension)
    db.flush()
    _record(
        db, actor, complaint, project, "complaint.tender_suspended",
        {"suspension_id": suspension.id, "reason": reason,
         "last_day": last_day.isoformat() if last_day is not None else None},
        now,
    )  # fmt: skip
    return suspension


def _lift(
    db: Session, actor: Principal, complaint: Complaint, now: datetime
) -> tuple[TenderSuspension | None, dict[str, Any]]:
    """Lift the complaint's suspension, if one is in force; what its lifting changed, for the event's payload: the
    bidders' decryption window, given back for the time the suspension covered (第62条; 电子招标投标办法
    第三十一条), when the round was being opened."""
    query = select(TenderSuspension).where(
        TenderSuspension.complaint_id == complaint.id,
        TenderSuspension.lifted_at.is_(None),
        or_(TenderSuspension.expires_at.is_(None), TenderSuspension.expires_at > now),  # 政府采购法 第57条
    )
    suspension = db.scalars(query).first()
    if suspension is None:
        return None, {}
    suspension.lifted_at, suspension.lifted_by = now, actor.user_id
    db.flush()
    window = opening.extend_window_after_suspension(
        db, tender_id=suspension.tender_id, suspended_at=suspension.ordered_at, lifted_at=now
    )
    return suspension, ({"decryption_window": window} if window is not None else {})


@changes_state("complaint.suspension_lifted")
def lift_suspension(db: Session, actor: Principal, *, complaint_id: int, now: datetime) -> TenderSuspension:
    """The supervisor lets the tender resume before deciding (第62条: suspension only where necessary)."""
    complaint, project, actor = _handled(db, actor, complaint_id)
    suspension, changed = _lift(db, actor, complaint, now)
    if suspension is None:
        raise Conflict(field="complaint_id", reason_zh="没有在效的暂停", reason_en="no suspension is in force")
    _record(
        db, actor, complaint, project, "complaint.suspension_lifted", {"suspension_id": suspension.id, **changed}, now
    )
    return suspension


# -- the decision (第61条: within 30 working days of acceptance) ------------------------------------------------------


def _decide(
    db: Session, actor: Principal, complaint_id: int, target: str, decision: str, now: datetime
) -> tuple[Complaint, Project, Principal, dict[str, Any], MissedPeriod | None]:
    complaint, project, actor = _handled(db, actor, complaint_id)
    complaint.status = rules.move(
        current=complaint.status, target=target, action_zh="作出处理决定", action_en="be decided"
    )
    if complaint.review_started_at is not None:
        raise Conflict(field="complaint_id", reason_zh="评审尚未结束", reason_en="a review is still under way")
    assert complaint.decision_due is not None
    complaint.decided_at, complaint.decision, complaint.handled_by = now, decision, actor.user_id
    late = rules.decision_missed_by_law(
        _law(db, complaint.tender_id), decision_due=complaint.decision_due, decided_on=china_date(now)
    )
    complaint.decided_late = late is not None
    lifted, changed = _lift(db, actor, complaint, now)  # the handling ends, and with it the suspension it ordered
    payload: dict[str, Any] = {
        "decision_due": complaint.decision_due.isoformat(),
        "late": complaint.decided_late,
        # the published decision names its legal basis and its department (decision 0047)
        "basis": _law(db, complaint.tender_id).decision.article,
        "department": access.handling_department(actor, project),
        "suspension_lifted": lifted.id if lifted is not None else None,
        **changed,
    }
    # Before the opening the complainant may be a potential bidder: neither it nor the written decision, which
    # names it, goes into the public ledger (招标投标法 第22条); the complaint row keeps both.
    if lifecycle.stage_of(tendering.get_tender(db, complaint.tender_id), now) in _BIDS_PUBLIC:
        complainant = db.get(Entity, complaint.entity_id)
        assert complainant is not None
        payload["complainant"] = {"name": complainant.name, "credit_code": complainant.credit_code}
        payload["decision"] = decision
    return complaint, project, actor, payload, late


@changes_state("complaint.upheld")
def uphold_complaint(
    db: Session,
    actor: Principal,
    *,
    complaint_id: int,
    decision: str,
    remedy: str,
    now: datetime,
    committee: str | None = None,
) -> Complaint:
    """The complaint is well founded (第61条 written decision): corrective action, re-evaluation or re-tender, and
    the decision is carried out, not left as a lock (第81条: 招标、投标、中标无效，应当依法重新招标或者评标):

    - ``re_tender`` ends the round: it fails (``Step.RE_TENDER``), its award, if any, is void, and the lot may start
      a new round (``tendering.create_tender``).
    - ``re_evaluation`` sends the round back to ``opened`` (``Step.RE_EVALUATE``): its evaluation and report, its
      candidates' publicity and its award with the letters are superseded, kept for the record; ``committee``
      says who evaluates again — ``same``: the committee sits again; ``new``: its draw and seats are superseded
      and a new committee is drawn without them (decision 0020). Then the round's steps run a second time.
    """
    rules.check_one_of("remedy", remedy, rules.REMEDIES)
    rules.check_committee(remedy=remedy, committee=committee)
    complaint, project, actor, payload, late = _decide(db, actor, complaint_id, rules.UPHELD, decision, now)
    complaint.remedy, complaint.committee = remedy, committee
    carried_out = _carry_out(db, actor, complaint, remedy=remedy, committee=committee, now=now)
    db.flush()
    _record(
        db, actor, complaint, project, "complaint.upheld",
        {**payload, "remedy": remedy, "remedy_zh": rules.REMEDIES[remedy], **carried_out},
        now, violation=late,
    )  # fmt: skip
    return complaint


def _carry_out(
    db: Session, actor: Principal, complaint: Complaint, *, remedy: str, committee: str | None, now: datetime
) -> dict[str, Any]:
    """Move the round as the remedy orders; what was superseded, for the decision's event."""
    if remedy == rules.CORRECTIVE_ACTION:
        return {}
    tender = tendering.get_tender(db, complaint.tender_id)
    step = Step.RE_TENDER if remedy == rules.RE_TENDER else Step.RE_EVALUATE
    stage = lifecycle.require(db, tender, step, now)
    article = rules.REMEDY_ARTICLES[(remedy, procedure(tender.procedure).law.key)]
    superseded: dict[str, Any] = awards.supersede_result(db, tender_id=tender.id, now=now)
    if remedy == rules.RE_TENDER:  # the round's own event says why it failed (tendering.FAILURE_GROUNDS)
        tendering.fail_round(
            db, actor, tender=tender, ground="re_tender_ordered", article=article,
            details={"complaint_id": complaint.id, "stage": stage.value}, now=now, step=step,
        )  # fmt: skip
        moved = Stage.FAILED
    else:
        superseded["evaluation_id"] = evaluation.supersede_evaluation(db, tender_id=tender.id, now=now)
        if committee == rules.NEW_COMMITTEE:
            superseded["draw_id"] = experts.supersede_committee(db, tender_id=tender.id, now=now)
        moved = lifecycle.move(db, tender, step)
    return {
        "round": {
            "step": step.value, "from": stage.value, "to": moved.value, "article": article,
            "reason_zh": rules.REMEDIES[remedy], "committee": committee,
            "committee_zh": rules.COMMITTEES[committee] if committee is not None else None,
        },
        "superseded": superseded,
    }  # fmt: skip


@changes_state("complaint.dismissed")
def dismiss_complaint(
    db: Session, actor: Principal, *, complaint_id: int, decision: str, false_complaint: bool, now: datetime
) -> Complaint:
    """驳回 (第61条): the complaint lacks ground; ``false_complaint`` when it fabricated facts, forged material or
    used illegally obtained evidence, which is recorded against the complainant (第61条, 第77条)."""
    complaint, project, actor, payload, late = _decide(db, actor, complaint_id, rules.DISMISSED, decision, now)
    complaint.false_complaint = false_complaint
    db.flush()
    _record(
        db, actor, complaint, project, "complaint.dismissed", {**payload, "false_complaint": false_complaint}, now,
        violation=late,
    )  # fmt: skip
    return complaint


def complaints_of_tenders(db: Session, tender_ids: list[int]) -> dict[int, int]:
    """The complaints lodged about these tenders, as ``{complaint_id: tender_id}`` (ids only: the public project page
    reads their disclosed decisions from the ledger's events, never the rows)."""
    if not tender_ids:
        return {}
    rows = db.execute(select(Complaint.id, Complaint.tender_id).where(Complaint.tender_id.in_(tender_ids)))
    return {complaint_id: tender_id for complaint_id, tender_id in rows}
