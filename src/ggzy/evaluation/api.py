"""API of evaluation (评标): start, qualification marks, score sheets, rejections, the report, and reads; and the
members' signing keys (``ggzy.evaluation.signing``: once a member enrols one, every sheet must be signed by it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Id
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public
from ggzy.evaluation import access, chair, negotiation, report_signing, rules, service, signing, views
from ggzy.evaluation.access import NotACommitteeMember, NotCheckedIn, NotTheFinaliser
from ggzy.evaluation.schemas import (
    AssignmentOut,
    ChairVoteIn,
    ChairVoteOut,
    EvaluationOut,
    MarksOut,
    QualificationIn,
    RejectionIn,
    RejectionOut,
    ReportSignatureIn,
    ReportSignatureOut,
    ScoreSheetIn,
    ScoreSheetOut,
    SignatureRefusalIn,
    SigningKeyIn,
    SigningKeyOut,
    StartIn,
)
from ggzy.projects.access import NotYourCentre
from ggzy.tendering import lifecycle, quotation_views, quotations
from ggzy.tendering.access import NotTheHost
from ggzy.tendering.lifecycle import TenderStageWrong, TenderSuspended
from ggzy.tendering.schemas import NegotiationNoticeOut, QuotationRoundIn, QuotationRoundOut, TextIn

router = APIRouter(tags=["evaluation"], route_class=PermissionedRoute)

Runner = Annotated[Principal, Depends(require(Permission.EVALUATION_RUN))]
Member = Annotated[Principal, Depends(require(Permission.EVALUATION_SIT))]
Finaliser = Annotated[Principal, Depends(require(Permission.EVALUATION_FINALISE))]
Host = Annotated[Principal, Depends(require(Permission.OPENING_HOST))]

_MEMBER_PROBLEMS = (NotFound, TenderStageWrong, NotACommitteeMember, InvalidInput, Conflict, service.SheetFinal)


@router.post(
    "/tenders/{tender_id}/evaluation",
    status_code=201,
    response_model=EvaluationOut,
    summary="Start the evaluation of an opened tender with its scoring scheme (bids above the ceiling rejected)",
    responses=problem_responses(NotFound, NotYourCentre, TenderStageWrong, InvalidInput, Conflict, TenderSuspended),
)
def start_evaluation(tender_id: Id, body: StartIn, db: DB, actor: Runner, now: Now) -> EvaluationOut:
    scheme = rules.Scheme(
        qualification_criteria=tuple(body.scheme.qualification_criteria),
        criteria=tuple(rules.Criterion(key=c.key, name=c.name, max_points=c.max_points) for c in body.scheme.criteria),
        price_weight=body.scheme.price_weight,
        price_formula=body.scheme.price_formula,
        k_percent=body.scheme.k_percent,
        deduction_above=body.scheme.deduction_above,
        deduction_below=body.scheme.deduction_below,
    )
    service.start_evaluation(db, actor, tender_id=tender_id, scheme=scheme, lead_member_id=body.lead_member_id, now=now)
    return views.evaluation_view(db, actor, tender_id=tender_id, now=now)


@router.get(
    "/tenders/{tender_id}/evaluation",
    response_model=EvaluationOut,
    summary="The evaluation: its stage and counts; the committee's names for the centre's staff only (第37条)",
    responses=problem_responses(NotFound),
)
def get_evaluation(tender_id: Id, db: DB, actor: Public, now: Now) -> EvaluationOut:
    return views.evaluation_view(db, actor, tender_id=tender_id, now=now)


@router.post(
    "/tenders/{tender_id}/evaluation/qualification",
    status_code=201,
    response_model=MarksOut,
    summary="A committee member's qualification review of one bid (资格审查), final once submitted",
    responses=problem_responses(*_MEMBER_PROBLEMS),
)
def mark_qualification(tender_id: Id, body: QualificationIn, db: DB, actor: Member, now: Now) -> MarksOut:
    rows = service.mark_qualification(db, actor, tender_id=tender_id, bid_id=body.bid_id, marks=body.marks, now=now)
    return views.marks_out(rows)


@router.post(
    "/tenders/{tender_id}/evaluation/score-sheets",
    status_code=201,
    response_model=ScoreSheetOut,
    summary=(
        "A committee member's score sheet of one bid (评分表), final once submitted; signed by the member's key "
        "when one is enrolled (then required)"
    ),
    responses=problem_responses(*_MEMBER_PROBLEMS, rules.ScoreAboveMaximum, signing.SignatureInvalid),
)
def submit_score_sheet(tender_id: Id, body: ScoreSheetIn, db: DB, actor: Member, now: Now) -> ScoreSheetOut:
    sheet = service.submit_score_sheet(
        db, actor, tender_id=tender_id, bid_id=body.bid_id, scores=body.scores, signature=body.signature, now=now
    )
    return views.sheet_out(sheet)


@router.post(
    "/evaluation/signing-keys",
    status_code=201,
    response_model=SigningKeyOut,
    summary="Enrol my score-sheet signing key (ECDSA P-256 SPKI); the key in force before is revoked, not deleted",
    responses=problem_responses(InvalidInput, Conflict, signing.SigningKeyInvalid),
)
def enrol_signing_key(body: SigningKeyIn, db: DB, actor: Member, now: Now) -> SigningKeyOut:
    return views.signing_key_out(signing.enrol_signing_key(db, actor, public_key=body.public_key, now=now))


@router.get(
    "/evaluation/signing-keys/mine",
    response_model=SigningKeyOut | None,
    summary="My score-sheet signing key in force, or null",
)
def my_signing_key(db: DB, actor: Member) -> SigningKeyOut | None:
    key = signing.current_key(db, actor.user_id) if actor.user_id is not None else None
    return views.signing_key_out(key) if key is not None else None


@router.post(
    "/tenders/{tender_id}/evaluation/rejections",
    status_code=201,
    response_model=RejectionOut,
    summary="Reject a bid on a ground of 招标投标法实施条例 第51条 (否决投标), by the committee's lead",
    responses=problem_responses(*_MEMBER_PROBLEMS, NotTheFinaliser),
)
def reject_bid(tender_id: Id, body: RejectionIn, db: DB, actor: Member, now: Now) -> RejectionOut:
    rejection = service.reject_bid(
        db, actor, tender_id=tender_id, bid_id=body.bid_id, ground=body.ground, note=body.note, now=now
    )
    return views.rejection_out(rejection)


@router.post(
    "/tenders/{tender_id}/evaluation/report",
    status_code=201,
    response_model=EvaluationOut,
    summary="Finalise the evaluation report (评标报告) once every member has submitted",
    responses=problem_responses(
        NotFound,
        TenderStageWrong,
        NotTheFinaliser,
        NotACommitteeMember,
        service.EvaluationIncomplete,
        TenderSuspended,
    ),
)
def finalise_report(tender_id: Id, db: DB, actor: Finaliser, now: Now) -> EvaluationOut:
    service.finalise_report(db, actor, tender_id=tender_id, now=now)
    return views.evaluation_view(db, actor, tender_id=tender_id, now=now)


# -- at the venue: the lead elected, the report signed (实施条例 第53条) ---------------------------------------------

_PRESENT_PROBLEMS = (*_MEMBER_PROBLEMS, NotCheckedIn)


@router.post(
    "/tenders/{tender_id}/evaluation/chair-votes",
    status_code=201,
    response_model=ChairVoteOut,
    summary=(
        "A sitting member, checked in, names the member they elect as the committee's lead (推举评标委员会负责人, "
        "浙江省招标投标条例 第29条); final; elected once named by more than half of the committee"
    ),
    responses=problem_responses(*_PRESENT_PROBLEMS, *lifecycle.REFUSALS),
)
def vote_for_chair(tender_id: Id, body: ChairVoteIn, db: DB, actor: Member, now: Now) -> ChairVoteOut:
    evaluation = chair.vote_for_chair(
        db, actor, tender_id=tender_id, candidate_member_id=body.candidate_member_id, now=now
    )
    voter, _ = access.member_for(db, actor, tender_id)
    return views.chair_vote_out(db, evaluation, voter_member_id=voter.id)


@router.post(
    "/tenders/{tender_id}/evaluation/report/signatures",
    status_code=201,
    response_model=ReportSignatureOut,
    summary=(
        "A sitting member signs the finalised report with their enrolled key: agree, or dissent with the dissent and "
        "its reasons in writing (招标投标法实施条例 第53条); final"
    ),
    responses=problem_responses(*_PRESENT_PROBLEMS, report_signing.ReportSignatureInvalid),
)
def sign_report(tender_id: Id, body: ReportSignatureIn, db: DB, actor: Member, now: Now) -> ReportSignatureOut:
    row = report_signing.sign_report(
        db, actor, tender_id=tender_id, opinion=body.opinion, reasons=body.reasons, signature=body.signature, now=now
    )
    return views.signature_out(row)


@router.post(
    "/tenders/{tender_id}/evaluation/report/signature-refusals",
    status_code=201,
    response_model=ReportSignatureOut,
    summary=(
        "Staff of the project's centre record that a member refused to sign the report without written reasons: "
        "deemed to agree (视为同意评标结果, 实施条例 第53条), once the members' time to sign has passed"
    ),
    responses=problem_responses(NotFound, NotTheFinaliser, Conflict, report_signing.SigningTimeOpen),
)
def record_signature_refusal(
    tender_id: Id, body: SignatureRefusalIn, db: DB, actor: Runner, now: Now
) -> ReportSignatureOut:
    row = report_signing.record_refusal(db, actor, tender_id=tender_id, member_id=body.member_id, now=now)
    return views.signature_out(row)


@router.get(
    "/evaluation-assignments/mine",
    response_model=list[AssignmentOut],
    summary="The tenders I sit on as a committee member",
)
def my_assignments(db: DB, actor: Member, now: Now) -> list[AssignmentOut]:
    return views.assignments_view(db, actor, now=now)


# -- 竞争性谈判, 竞争性磋商 (政府采购法 第38条 (四)、(五)) ---------------------------------------------------------

_NEGOTIATION_PROBLEMS: tuple[type[DomainError], ...] = (NotFound, NotTheHost, InvalidInput, *lifecycle.REFUSALS)


@router.post(
    "/tenders/{tender_id}/quotation-rounds",
    status_code=201,
    response_model=QuotationRoundOut,
    summary="Call a round of sealed quotations from every supplier still negotiating; `final` for the last round",
    responses=problem_responses(*_NEGOTIATION_PROBLEMS, quotations.NegotiationClosed, quotations.QuotationRoundRunning),
)
def call_quotation_round(tender_id: Id, body: QuotationRoundIn, db: DB, actor: Host, now: Now) -> QuotationRoundOut:
    called = negotiation.call_quotation_round(
        db, actor, tender_id=tender_id, deadline=body.deadline, final=body.final, now=now
    )
    return QuotationRoundOut.model_validate(quotation_views.round_view(db, called))


@router.post(
    "/tenders/{tender_id}/negotiation-notices",
    status_code=201,
    response_model=NegotiationNoticeOut,
    summary="Notify every supplier still negotiating, in writing, of a substantive change to the documents",
    responses=problem_responses(*_NEGOTIATION_PROBLEMS),
)
def notify_negotiation_change(tender_id: Id, body: TextIn, db: DB, actor: Host, now: Now) -> NegotiationNoticeOut:
    notice = negotiation.notify_negotiation_change(db, actor, tender_id=tender_id, text=body.text, now=now)
    return NegotiationNoticeOut(id=notice.id, text=notice.text, notified_at=notice.notified_at)
