"""Objections, challenges and complaints on pages: a bidder or another interested party raises them and follows
them; the supervisory department (the complaint authority) handles complaints.

- A bidder or interested party objects to the evaluation result during the publicity (招标投标法实施条例 第54条),
  challenges (质疑) the result or the process of a government procurement (政府采购法 第52条), and complains to the
  supervisory department (实施条例 第60条; 政府采购法 第55条) — from the tender's page of "objections and
  complaints", and follows every one of them, with its status, answer and decision, on "my objections and
  complaints".
- A supervisor sees the complaints of its jurisdiction in a queue and handles one on its page: accepts or refuses
  it (第61条), suspends the tender and lifts the suspension (第62条), upholds or dismisses it with its written
  decision (第61条, 第81条). The full supervisor workspace comes later; this is the queue and the complaint.

Every change is the API's service (``ggzy.awards.service``, ``ggzy.awards.challenges``, ``ggzy.complaints.service``)
under the API's permissions, with the periods the services enforce (``rules.period``); every read is the services'
own row visibility (a complaint the reader may not see is not found).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.awards import challenges as award_challenges
from ggzy.awards import rules as award_rules
from ggzy.awards import service as awards
from ggzy.awards import views as award_views
from ggzy.complaints import access as complaint_access
from ggzy.complaints import clock as complaint_clock
from ggzy.complaints import records as complaint_records
from ggzy.complaints import rules as complaint_rules
from ggzy.complaints import service as complaints
from ggzy.complaints.halts import suspension_in_force
from ggzy.core.calendar import CalendarYearUnknown
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Text, file_name
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, accepts_body
from ggzy.entities.service import entity_names
from ggzy.portal import labels
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.labels import N_
from ggzy.portal.outcomes import outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_day, form_refused, see_other
from ggzy.storage import MIB, BlobTooLarge, stage_blob
from ggzy.tendering import lifecycle
from ggzy.tendering import service as tendering
from ggzy.tendering.lifecycle import FailedRoundNotReEvaluable, StepNotInProcedure, TenderStageWrong
from ggzy.tendering.procedures import procedure
from ggzy.tendering.rules import china_date
from ggzy.tendering.stages import Step

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Objector = Annotated[Principal, Depends(require(Permission.AWARD_OBJECT))]
Complainant = Annotated[Principal, Depends(require(Permission.COMPLAINT_LODGE))]
Reader = Annotated[Principal, Depends(require(Permission.COMPLAINT_READ))]
Supervisor = Annotated[Principal, Depends(require(Permission.COMPLAINT_HANDLE))]

# What a complaint is about (实施条例 第60条: the matters of 第22, 44, 54条 come after an objection), its status and
# what an upheld complaint orders, in the words of the pages.
MATTERS: dict[str, str] = {
    complaint_rules.DOCUMENTS: N_("招标文件、资格预审文件（须先提出异议，第二十二条）"),
    complaint_rules.OPENING: N_("开标（须先在开标现场提出异议，第四十四条）"),
    complaint_rules.EVALUATION_RESULT: N_("评标结果（须先在公示期内提出异议，第五十四条）"),
    complaint_rules.OTHER: N_("其他违反法律、行政法规的行为"),
}
PROCUREMENT_MATTERS: dict[str, str] = {
    complaint_rules.EVALUATION_RESULT: N_("采购结果（须先质疑，政府采购法 第五十五条）"),
    complaint_rules.OTHER: N_("采购过程（须先质疑，政府采购法 第五十五条）"),
    complaint_rules.DOCUMENTS: N_("采购文件（须先质疑，政府采购法 第五十五条）"),
}
STATUSES: dict[str, str] = {
    complaint_rules.LODGED: N_("待受理"),
    complaint_rules.ACCEPTED: N_("已受理，处理中"),
    complaint_rules.REFUSED: N_("不予受理"),
    complaint_rules.UPHELD: N_("投诉成立"),
    complaint_rules.DISMISSED: N_("驳回投诉"),
}
REMEDIES: dict[str, str] = {
    complaint_rules.CORRECTIVE_ACTION: N_("责令改正"),
    complaint_rules.RE_EVALUATION: N_("责令重新评标"),
    complaint_rules.RE_TENDER: N_("责令重新招标"),
}
COMMITTEES: dict[str, str] = {
    complaint_rules.SAME_COMMITTEE: N_("原评标委员会重新评审"),
    complaint_rules.NEW_COMMITTEE: N_("重新组建评标委员会"),
}

OBJECTION_RAISED = outcome(
    "result_objection_raised", N_("异议已提出。招标人应当自收到异议之日起3日内答复；答复前暂停定标。")
)
CHALLENGE_RAISED = outcome(
    "challenge_raised", N_("质疑已提出。采购人应当在收到质疑后7个工作日内书面答复；答复前暂停签订合同。")
)
COMPLAINT_LODGED = outcome("complaint_lodged", N_("投诉已提交行政监督部门。受理与否将在本页显示。"))
COMPLAINT_ACCEPTED = outcome("complaint_accepted", N_("投诉已受理，处理决定的期限已开始计算。"))
COMPLAINT_REFUSED = outcome("complaint_refused", N_("已决定不予受理，理由已告知投诉人。"))
TENDER_SUSPENDED = outcome(
    "tender_suspended", N_("已责令暂停招标投标活动；该项目的下一步将被拒绝，直至解除暂停或作出处理决定。")
)
REVIEW_STARTED = outcome(
    "complaint_review_started", N_("已开始检验、检测、鉴定或专家评审：评审期间不计入处理期限，计时暂停。")
)
REVIEW_ENDED = outcome("complaint_review_ended", N_("评审已结束：其所用工作日不计入，处理期限已相应顺延。"))
SUSPENSION_LIFTED = outcome("suspension_lifted", N_("暂停已解除，招标投标活动可以继续。"))
COMPLAINT_UPHELD = outcome("complaint_upheld", N_("处理决定已作出：投诉成立。决定已送达投诉人并公开。"))
COMPLAINT_DISMISSED = outcome("complaint_dismissed", N_("处理决定已作出：驳回投诉。决定已送达投诉人并公开。"))

_LODGE_PROBLEMS = (
    NotFound, InvalidInput, complaint_rules.EvidenceMissing, complaint_rules.ComplaintTooLate,
    complaint_rules.ObjectionRequiredFirst, complaints.InterestNotStated, CalendarYearUnknown,
    complaint_rules.ProcurementComplaintTooLate, complaint_rules.ChallengeRequiredFirst,
    complaint_rules.ChallengeAwaitingAnswer, BlobTooLarge,
)  # fmt: skip
_HANDLING = (NotFound, complaint_access.NotYourJurisdiction, complaint_rules.ComplaintStateWrong)


# -- the bidder's side -----------------------------------------------------------------------------------------------


def _titles(db: Session, tender_ids: set[int]) -> dict[int, str]:
    return {tender_id: tendering.get_tender(db, tender_id).title for tender_id in tender_ids}


def _mine_context(db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    objections = award_views.objections_by_entity(db, actor)
    challenges = award_challenges.challenges_of_entity(db, actor.entity_id) if actor.entity_id is not None else []
    own = [
        c
        for c in complaints.visible_complaints(db, actor, limit=200, offset=0, now=now)
        if c.entity_id == actor.entity_id
    ]
    tender_ids = {o.tender_id for o in objections} | {c.tender_id for c in challenges} | {c.tender_id for c in own}
    return {
        "active": "workspace",
        "section": "objections",
        "objections": objections,
        "challenges": challenges,
        "complaints": own,
        "titles": _titles(db, tender_ids),
        "statuses": STATUSES,
        "remedies": REMEDIES,
    }


@router.get(
    "/workspace/objections",
    summary="My objections, challenges and complaints, with their status, answers and decisions (bidders)",
)
def my_objections(request: Request, db: DB, actor: Complainant, now: Now) -> HTMLResponse:
    return render(request, "ws_objections.html", _mine_context(db, actor, now))


def _tender_context(db: Session, actor: Principal, tender_id: int, now: datetime) -> dict[str, Any]:
    tender = tendering.get_tender(db, tender_id)
    if tender.published_at is None:  # an unpublished tender is nobody's business but its owner's
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    project, lot = tendering.project_of(db, tender)
    chosen = procedure(tender.procedure)
    procurement = chosen.has(Step.CHALLENGE_RESULT)
    award_stage = award_views.award_stage_view(db, actor, tender_id=tender.id, now=now)
    entity = actor.entity_id
    mine = _mine_context(db, actor, now)
    return {
        "active": "workspace",
        "section": "objections",
        "tender": tender,
        "project": project,
        "lot": lot,
        "stage": lifecycle.stage_of(tender, now).value,
        "procurement": procurement,
        "publicity": award_stage.publicity,
        "may_object": award_stage.publicity is not None
        and award_stage.publicity.running
        and lifecycle.procedure_has_step_now(tender, Step.OBJECT_TO_RESULT, now),
        "may_challenge_result": procurement and lifecycle.procedure_has_step_now(tender, Step.CHALLENGE_RESULT, now),
        "may_challenge_process": chosen.has(Step.CHALLENGE_PROCESS)
        and lifecycle.procedure_has_step_now(tender, Step.CHALLENGE_PROCESS, now),
        "is_bidder": entity is not None and entity in awards.standing_bidders(db, tender.id),
        "matters": PROCUREMENT_MATTERS if procurement else MATTERS,
        "objections": [o for o in mine["objections"] if o.tender_id == tender.id],
        "challenges": [c for c in mine["challenges"] if c.tender_id == tender.id],
        "complaints": [c for c in mine["complaints"] if c.tender_id == tender.id],
        "statuses": STATUSES,
        "remedies": REMEDIES,
        "today": now,
    }


def _tender_page(tender_id: int) -> str:
    return f"/workspace/objections/tenders/{tender_id}"


@router.get(
    "/workspace/objections/tenders/{tender_id}",
    summary="Object to a tender's result, challenge it (政府采购) or complain about it, and follow what was raised",
    responses=problem_responses(NotFound),
)
def tender_objections(tender_id: Id, request: Request, db: DB, actor: Complainant, now: Now) -> HTMLResponse:
    return render(request, "ws_objections_tender.html", _tender_context(db, actor, tender_id, now))


def _refused_on_tender(request: Request, db: Session, actor: Principal, tender_id: int, now: datetime,
                       error: DomainError) -> HTMLResponse:  # fmt: skip
    return form_refused(
        request, db, "ws_objections_tender.html", lambda: _tender_context(db, actor, tender_id, now), error
    )


@router.post(
    "/workspace/objections/tenders/{tender_id}/result-objection",
    summary="Object to the evaluation result during the publicity (实施条例 第54条); the award waits for the answer",
    responses=problem_responses(
        NotFound, TenderStageWrong, award_rules.ObjectionOutsidePublicity, awards.NotABidder,
        award_rules.PublicityResultChanged,
    ),
)  # fmt: skip
def raise_objection(
    tender_id: Id,
    request: Request,
    actor: Objector,
    _: CsrfChecked,
    db: DB,
    now: Now,
    text: Annotated[Text, Form(min_length=2, max_length=20000)],
    interest: Annotated[Text, Form(max_length=2000)] = "",
) -> Response:
    """``interest``: an objector whose entity did not bid states its interest in the result (其他利害关系人)."""
    try:
        awards.raise_objection(
            db, actor, tender_id=tender_id, text=text.strip(), interest=interest.strip() or None, now=now
        )
    except DomainError as error:
        return _refused_on_tender(request, db, actor, tender_id, now, error)
    return see_other(_tender_page(tender_id), done=OBJECTION_RAISED)


@router.post(
    "/workspace/objections/tenders/{tender_id}/result-challenge",
    summary="政府采购: challenge (质疑) the result within 7 working days of its notice (政府采购法 第52条)",
    responses=problem_responses(
        NotFound, TenderStageWrong, StepNotInProcedure, award_rules.ResultChallengeTooLate,
        award_rules.NotASupplierOfTender,
    ),
)  # fmt: skip
def challenge_result(
    tender_id: Id,
    request: Request,
    actor: Objector,
    _: CsrfChecked,
    db: DB,
    now: Now,
    text: Annotated[Text, Form(min_length=2, max_length=20000)],
) -> Response:
    try:
        award_challenges.challenge_result(db, actor, tender_id=tender_id, text=text.strip(), now=now)
    except DomainError as error:
        return _refused_on_tender(request, db, actor, tender_id, now, error)
    return see_other(_tender_page(tender_id), done=CHALLENGE_RAISED)


@router.post(
    "/workspace/objections/tenders/{tender_id}/process-challenge",
    summary="政府采购: challenge (质疑) the process within 7 working days of the end of the step (政府采购法 第52条)",
    responses=problem_responses(
        NotFound, TenderStageWrong, StepNotInProcedure, award_rules.ProcessChallengeTooLate,
        award_rules.NotASupplierOfTender, InvalidInput,
    ),
)  # fmt: skip
def challenge_process(
    tender_id: Id,
    request: Request,
    actor: Objector,
    _: CsrfChecked,
    db: DB,
    now: Now,
    text: Annotated[Text, Form(min_length=2, max_length=20000)],
    stage_ended_on: Annotated[Name, Form(max_length=10)],
) -> Response:
    try:
        award_challenges.challenge_process(
            db, actor, tender_id=tender_id, text=text.strip(),
            stage_ended_on=form_day(stage_ended_on, "stage_ended_on"), now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused_on_tender(request, db, actor, tender_id, now, error)
    return see_other(_tender_page(tender_id), done=CHALLENGE_RAISED)


@router.post(
    "/workspace/objections/tenders/{tender_id}/complaint",
    summary="Complain to the supervisory department with a clear request and evidence (实施条例 第60条; 政府采购法 "
    "第55条); the periods are the services'",
    responses=problem_responses(*_LODGE_PROBLEMS),
)
@accepts_body(setting="documents_max_mb")
def lodge_complaint(
    tender_id: Id,
    request: Request,
    actor: Complainant,
    _: CsrfChecked,
    db: DB,
    now: Now,
    matter: Annotated[Name, Form(max_length=24)],
    complaint_request: Annotated[Text, Form(min_length=1, max_length=5000, alias="request")],
    facts: Annotated[Text, Form(min_length=2, max_length=50000)],
    knew_on: Annotated[Name, Form(max_length=10)],
    evidence: UploadFile,
    interest: Annotated[Text, Form(max_length=2000)] = "",
) -> Response:
    """``evidence``: one file of the necessary evidence (必要的证明材料), kept in the blob store with the complaint
    (and not at all when the complaint is refused: the staging is part of the transaction)."""
    try:
        limit = request.app.state.settings.documents_max_mb * MIB
        items = []
        if evidence.filename:
            ref = stage_blob(db, request.app.state.blob_store, evidence.file, max_bytes=limit)
            items.append({"name": file_name(evidence.filename, default="evidence"), "sha256": ref.sha256})
        complaints.lodge_complaint(
            db, actor, tender_id=tender_id, matter=matter.strip(), request=complaint_request.strip(),
            facts=facts.strip(), evidence=items, knew_on=form_day(knew_on, "knew_on"),
            interest=interest.strip() or None, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused_on_tender(request, db, actor, tender_id, now, error)
    return see_other("/workspace/objections", done=COMPLAINT_LODGED)


# -- the supervisor's side -------------------------------------------------------------------------------------------


@router.get(
    "/workspace/complaints",
    summary="The complaints of the supervisor's jurisdiction to handle, newest first (行政监督部门)",
)
def complaint_queue(request: Request, db: DB, actor: Supervisor, now: Now) -> HTMLResponse:
    rows = complaints.visible_complaints(db, actor, limit=200, offset=0, now=now)
    context = {
        "active": "workspace",
        "section": "complaints",
        "complaints": rows,
        "titles": _titles(db, {c.tender_id for c in rows}),
        "statuses": STATUSES,
    }
    return render(request, "ws_complaints.html", context)


def _complaint_context(db: Session, actor: Principal, complaint_id: int, now: datetime) -> dict[str, Any]:
    complaint = complaints.read_complaint(db, actor, complaint_id=complaint_id, now=now)
    _, project = complaints.get_complaint(db, complaint.id)
    tender = tendering.get_tender(db, complaint.tender_id)
    try:
        complaint_access.check_supervisor(actor, project)
        handles = True
    except complaint_access.NotYourJurisdiction:
        handles = False
    procurement = procedure(tender.procedure).has(Step.CHALLENGE_RESULT)
    return {
        "active": "workspace",
        "section": "complaints" if handles else "objections",
        "complaint": complaint,
        "tender": tender,
        "project": project,
        "complainant": entity_names(db, [complaint.entity_id])[complaint.entity_id],
        "evidence": complaints.evidence_of(complaint),
        "suspension": suspension_in_force(db, complaint.tender_id, now=now),
        "handles": handles,
        "matter_label": (PROCUREMENT_MATTERS if procurement else MATTERS).get(complaint.matter, complaint.matter),
        "statuses": STATUSES,
        "remedies": REMEDIES,
        "committees": COMMITTEES,
        "clock": complaint_clock.decision_clock(db, complaint, now),
        "review_labels": labels.REVIEW_KINDS,
        **records_context(db, actor, complaint.id, handles=handles, now=now),
    }


# The investigation steps and hearings on the complaint's page (decision 0047), in the words of the pages.
INVESTIGATION_KINDS: dict[str, str] = {
    complaint_rules.DOCUMENTS_REVIEWED: N_("查阅、复制文件资料"),
    complaint_rules.INQUIRY: N_("调查询问"),
    complaint_rules.SITE_SURVEY: N_("现场勘查"),
    complaint_rules.TESTING: N_("检验、检测、鉴定"),
    complaint_rules.EXPERT_REVIEW: N_("专家评审"),
}
PARTY_ROLES: dict[str, str] = {
    complaint_rules.COMPLAINANT: N_("投诉人"),
    complaint_rules.OWNER: N_("招标人/采购人"),
    complaint_rules.AGENT: N_("招标代理机构"),
    complaint_rules.BIDDER: N_("投标人"),
    complaint_rules.EXPERT: N_("评标专家"),
    complaint_rules.WITNESS: N_("证人"),
    complaint_rules.OTHER_PARTY: N_("其他有关单位和人员"),
}


def records_context(
    db: Session, actor: Principal, complaint_id: int, *, handles: bool, now: datetime
) -> dict[str, Any]:
    """What the reader may see of the investigation and the hearings: all of it for the handling supervisors and
    inspectors; for a party (the complainant here), the hearings it was notified of."""
    try:
        investigations = complaint_records.investigations_of(db, actor, complaint_id=complaint_id, now=now)
    except NotFound:
        investigations = []
    try:
        hearings = complaint_records.hearings_of(db, actor, complaint_id=complaint_id, now=now)
    except NotFound:
        hearings = []
    complaint, _ = complaints.get_complaint(db, complaint_id)
    bidders: dict[int, str] = {}
    if handles and complaints.bids_public(db, complaint.tender_id, now):
        ids = [e for e in awards.standing_bidders(db, complaint.tender_id) if e != complaint.entity_id]
        bidders = entity_names(db, ids)
    return {
        "investigations": investigations,
        "evidence_of": lambda step: json.loads(step.evidence),
        "hearings": hearings,
        "investigation_kinds": INVESTIGATION_KINDS,
        "party_roles": PARTY_ROLES,
        "bidders_to_notify": bidders,
        "now": now,
        "today_iso": china_date(now).isoformat(),
    }


@router.get(
    "/workspace/complaints/{complaint_id}",
    summary="One complaint: for its complainant (status, decision) and the supervisors of its jurisdiction (handling)",
    responses=problem_responses(NotFound),
)
def complaint_page(complaint_id: Id, request: Request, db: DB, actor: Reader, now: Now) -> HTMLResponse:
    return render(request, "ws_complaint.html", _complaint_context(db, actor, complaint_id, now))


def _refused_on_complaint(request: Request, db: Session, actor: Principal, complaint_id: int, now: datetime,
                          error: DomainError) -> HTMLResponse:  # fmt: skip
    return form_refused(
        request, db, "ws_complaint.html", lambda: _complaint_context(db, actor, complaint_id, now), error
    )


def _complaint_path(complaint_id: int) -> str:
    return f"/workspace/complaints/{complaint_id}"


@router.post(
    "/workspace/complaints/{complaint_id}/accept",
    summary="受理: accept within 3 working days of receipt (实施条例 第61条)",
    responses=problem_responses(*_HANDLING, CalendarYearUnknown),
)
def accept(complaint_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        complaints.accept_complaint(db, actor, complaint_id=complaint_id, now=now)
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id), done=COMPLAINT_ACCEPTED)


@router.post(
    "/workspace/complaints/{complaint_id}/refuse",
    summary="不予受理, with the reason (实施条例 第61条)",
    responses=problem_responses(*_HANDLING),
)
def refuse(
    complaint_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    reason: Annotated[Text, Form(min_length=2, max_length=20000)],
) -> Response:
    try:
        complaints.refuse_complaint(db, actor, complaint_id=complaint_id, reason=reason.strip(), now=now)
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id), done=COMPLAINT_REFUSED)


@router.post(
    "/workspace/complaints/{complaint_id}/suspension",
    summary="责令暂停招标投标活动 while the complaint is handled (实施条例 第62条)",
    responses=problem_responses(*_HANDLING, Conflict),
)
def suspend(
    complaint_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    reason: Annotated[Text, Form(min_length=2, max_length=20000)],
) -> Response:
    try:
        complaints.suspend_tender(db, actor, complaint_id=complaint_id, reason=reason.strip(), now=now)
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id), done=TENDER_SUSPENDED)


@router.post(
    "/workspace/complaints/{complaint_id}/reviews",
    summary="Start inspection, testing, appraisal or expert review: its time is not counted (实施条例 第61条)",
    responses=problem_responses(*_HANDLING, InvalidInput, Conflict),
)
def start_review(
    complaint_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    kind: Annotated[Ascii, Form(max_length=32)],
    note: Annotated[Text, Form(min_length=2, max_length=5000)],
) -> Response:
    try:
        complaints.start_review(db, actor, complaint_id=complaint_id, kind=kind, note=note.strip(), now=now)
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id) + "#clock", done=REVIEW_STARTED)


@router.post(
    "/workspace/complaints/{complaint_id}/reviews/end",
    summary="End the review; its working days push the decision's last day back (实施条例 第61条)",
    responses=problem_responses(*_HANDLING, Conflict, CalendarYearUnknown),
)
def end_review(complaint_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        complaints.end_review(db, actor, complaint_id=complaint_id, now=now)
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id) + "#clock", done=REVIEW_ENDED)


@router.post(
    "/workspace/complaints/{complaint_id}/suspension/lift",
    summary="Lift the suspension before the decision (实施条例 第62条)",
    responses=problem_responses(NotFound, complaint_access.NotYourJurisdiction, Conflict),
)
def lift(complaint_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        complaints.lift_suspension(db, actor, complaint_id=complaint_id, now=now)
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id), done=SUSPENSION_LIFTED)


@router.post(
    "/workspace/complaints/{complaint_id}/uphold",
    summary="Decide for the complainant, with the written decision and the remedy (实施条例 第61条, 第81条)",
    responses=problem_responses(*_HANDLING, InvalidInput, Conflict, TenderStageWrong, FailedRoundNotReEvaluable),
)
def uphold(
    complaint_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    decision: Annotated[Text, Form(min_length=2, max_length=50000)],
    remedy: Annotated[Name, Form(max_length=24)],
    committee: Annotated[Name, Form(max_length=8)] = "",
) -> Response:
    """``committee`` only with re-evaluation: ``same`` or ``new``."""
    try:
        complaints.uphold_complaint(
            db, actor, complaint_id=complaint_id, decision=decision.strip(), remedy=remedy.strip(),
            committee=committee.strip() or None, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id), done=COMPLAINT_UPHELD)


@router.post(
    "/workspace/complaints/{complaint_id}/dismiss",
    summary="驳回 with the written decision; a false complaint is flagged (实施条例 第61条, 第77条)",
    responses=problem_responses(*_HANDLING, Conflict),
)
def dismiss(
    complaint_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    decision: Annotated[Text, Form(min_length=2, max_length=50000)],
    false_complaint: Annotated[bool, Form()] = False,
) -> Response:
    try:
        complaints.dismiss_complaint(
            db, actor, complaint_id=complaint_id, decision=decision.strip(), false_complaint=false_complaint, now=now
        )
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id), done=COMPLAINT_DISMISSED)
