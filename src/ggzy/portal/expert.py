"""The evaluation expert's workspace (评标专家): the lots it sits on, its signing key and its signed score sheets.

The same services as the API (``ggzy.evaluation.service.submit_score_sheet``, ``ggzy.evaluation.signing``) under
the same permission (``evaluation.sit``: drawn experts and the owner's representatives, 招标投标法 第37条).

Members log in by password, which binds a request to an account but not a sheet to a person; so a sheet is signed
by the member's own key. The member enrols once, from the page: ``static/js/expert_signing.js`` generates an ECDSA
P-256 key pair with WebCrypto, the private key *non-extractable*, keeps it in this browser's IndexedDB and posts the
public key (SubjectPublicKeyInfo, base64) here; enrolling again (another browser, a lost key) revokes the previous
key. On submit the script builds the message of ``ggzy.evaluation.signing.sheet_message`` from the scores exactly as
typed, signs it, and sends the signature in the hidden ``signature`` field; the service verifies it against the
member's key in force and refuses the sheet, leaving nothing, if it does not verify. Until the member has a key the
page asks them to enrol first and shows no score form. A sheet is hashed (SHA-256) and its digest and the key's
fingerprint recorded in the ledger's event in the same transaction; it is final once submitted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.evaluation import access, chair, report_signing, report_views, rules, service, signing, views
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other
from ggzy.tendering.lifecycle import TenderStageWrong, TenderSuspended

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Member = Annotated[Principal, Depends(require(Permission.EVALUATION_SIT))]
Finaliser = Annotated[Principal, Depends(require(Permission.EVALUATION_FINALISE))]
SCORE_PREFIX = "score."
MARK_PREFIX = "mark."  # qualification fields: ``mark.<n>`` = pass | fail for the scheme's n-th criterion

SHEET_SUBMITTED = outcome("score_sheet_submitted", N_("评分表已签名提交，不可修改。"))
KEY_ENROLLED = outcome("signing_key_enrolled", N_("签名密钥已登记。"))
QUALIFICATION_MARKED = outcome("qualification_marked", N_("资格审查意见已提交，不可修改。"))
BID_REJECTED = outcome("bid_rejected", N_("已否决该投标，理由记入评标报告。"))
CHAIR_VOTED = outcome("chair_voted", N_("推举意见已提交。"))
REPORT_FINALISED = outcome("report_finalised", N_("评标报告已出具，请各成员签署。"))
REPORT_SIGNED = outcome("report_signed", N_("您已签署评标报告。"))
_REFUSALS = (
    NotFound, TenderStageWrong, TenderSuspended, access.NotACommitteeMember, access.NotCheckedIn, InvalidInput,
    Conflict, service.SheetFinal,
)  # fmt: skip


@router.get("/workspace/expert", summary="Expert workspace: the tenders the user sits on")
def expert_home(request: Request, db: DB, actor: Member, now: Now) -> HTMLResponse:
    return render(request, "ws_expert.html", _home_context(db, actor, now))


def _home_context(db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    return {
        "active": "workspace",
        "section": "expert",
        "assignments": views.assignments_view(db, actor, now=now),
        **_key_context(db, actor),
    }


def _key_context(db: Session, actor: Principal) -> dict[str, Any]:
    """The member's signing key in force, for the enrolment panel and the page's script."""
    key = signing.current_key(db, actor.user_id) if actor.user_id is not None else None
    return {"signing_key": key, "user_id": actor.user_id}


def _context(db: Session, actor: Principal, tender_id: int) -> dict[str, Any]:
    member, _ = access.member_for(db, actor, tender_id)
    tender, _project = service.load(db, tender_id)
    evaluation = service.find_evaluation(db, tender.id)
    scheme = service.scheme_from_json(evaluation.scheme) if evaluation is not None else None
    sheets = service.own_score_sheets(db, member_id=member.id, evaluation_id=evaluation.id) if evaluation else {}
    committee = report_views.seats(
        db, tender_id=tender.id, names=True, viewer_user_id=actor.user_id, evaluation=evaluation
    )  # a member sees who sits beside them (access.sees_fellow_members)
    own = next(seat for seat in committee if seat.member_id == member.id)
    report = service.report_of(db, evaluation.id) if evaluation is not None else None
    votes = chair.votes_of(db, evaluation.id) if evaluation is not None else {}
    return {
        "active": "workspace",
        "section": "expert",
        "tender": tender,
        "evaluation": evaluation,
        "scheme": scheme,
        "bids": list(service.opened_bids(db, tender.id).values()) if evaluation is not None else [],
        "bidders": report_views.bidder_names_of_bids(db, tender.id) if evaluation is not None else {},
        "rejected": service.rejections_of(db, evaluation.id) if evaluation is not None else {},
        "marked": service.own_marks(db, member_id=member.id, evaluation_id=evaluation.id) if evaluation else {},
        "sheets": sheets,
        "score_prefix": SCORE_PREFIX,
        "mark_prefix": MARK_PREFIX,
        "member": member,
        "seat": own,
        "committee": [seat for seat in committee if seat.kind != "reserve"],
        "election_open": evaluation is not None and chair.election_open(evaluation),
        "my_vote": votes.get(member.id),
        "vote_count": len(votes),
        "grounds": rules.REJECTION_GROUNDS,
        "manual_grounds": MANUAL_GROUNDS,
        "report": report_views.report_table(db, report, committee) if report is not None else None,
        **_key_context(db, actor),
    }


# The grounds a member may choose (实施条例 第51条); price above the ceiling and the void related bids of 第34条 are
# rejected automatically at the start and are not offered again.
MANUAL_GROUNDS = [ground for ground in rules.REJECTION_GROUNDS if ground not in {"price_above_ceiling"}]


@router.get(
    "/workspace/expert/tenders/{tender_id}",
    summary="The score sheets of one tender the user sits on: one per bid, final once submitted",
    responses=problem_responses(NotFound, access.NotACommitteeMember),
)
def expert_tender(tender_id: Id, request: Request, db: DB, actor: Member) -> HTMLResponse:
    return render(request, "ws_expert_tender.html", _context(db, actor, tender_id))


async def _scores(request: Request) -> dict[str, Decimal]:
    """The sheet's scores from fields named ``score.<criterion key>`` (the criteria are the scheme's), each a plain
    decimal, so that the number scored is written exactly as typed and signed (``signing.parse_score``)."""
    form = await request.form()
    scores: dict[str, Decimal] = {}
    for name, value in form.multi_items():
        if name.startswith(SCORE_PREFIX) and isinstance(value, str):
            scores[name.removeprefix(SCORE_PREFIX)] = signing.parse_score(value, field=name)
    return scores


@router.post(
    "/workspace/expert/tenders/{tender_id}/score-sheets",
    summary="Submit a score sheet of one bid (评分表), signed in the browser by the member's key; its digest goes "
    "into the ledger",
    responses=problem_responses(
        NotFound,
        TenderStageWrong,
        access.NotACommitteeMember,
        InvalidInput,
        Conflict,
        service.SheetFinal,
        rules.ScoreAboveMaximum,
        signing.SignatureInvalid,
    ),
)
def submit_sheet(
    tender_id: Id,
    request: Request,
    actor: Member,
    _: CsrfChecked,
    db: DB,
    now: Now,
    bid_id: Annotated[Id, Form()],
    scores: Annotated[dict[str, Decimal], Depends(_scores)],
    signature: Annotated[Ascii, Form(max_length=128)] = "",
) -> Response:
    try:
        service.submit_score_sheet(
            db, actor, tender_id=tender_id, bid_id=bid_id, scores=scores, signature=signature or None, now=now
        )
    except DomainError as error:
        return form_refused(request, db, "ws_expert_tender.html", lambda: _context(db, actor, tender_id), error)
    return see_other(f"/workspace/expert/tenders/{tender_id}#bid-{bid_id}", done=SHEET_SUBMITTED)


@router.post(
    "/workspace/expert/signing-key",
    summary="Enrol the signing key generated in this browser (ECDSA P-256, non-extractable); revokes the previous one",
    responses=problem_responses(InvalidInput, Conflict, signing.SigningKeyInvalid),
)
def enrol_key(
    request: Request,
    actor: Member,
    _: CsrfChecked,
    db: DB,
    now: Now,
    public_key: Annotated[Ascii, Form(max_length=signing.MAX_SPKI_BASE64)],
    tender_id: Annotated[Id | None, Form()] = None,
) -> Response:
    back = f"/workspace/expert/tenders/{tender_id}" if tender_id is not None else "/workspace/expert"
    try:
        signing.enrol_signing_key(db, actor, public_key=public_key, now=now)
    except DomainError as error:
        if tender_id is None:
            return form_refused(request, db, "ws_expert.html", lambda: _home_context(db, actor, now), error)
        return form_refused(request, db, "ws_expert_tender.html", lambda: _context(db, actor, tender_id), error)
    return see_other(f"{back}#signing-key", done=KEY_ENROLLED)


def _page(tender_id: int, anchor: str) -> str:
    return f"/workspace/expert/tenders/{tender_id}#{anchor}"


def _refused(request: Request, db: DB, actor: Principal, tender_id: int, error: DomainError) -> HTMLResponse:
    return form_refused(request, db, "ws_expert_tender.html", lambda: _context(db, actor, tender_id), error)


async def _marks(request: Request) -> dict[int, str]:
    """The qualification form's fields ``mark.<n>`` (n: the criterion's index in the scheme) → pass | fail."""
    form = await request.form()
    found: dict[int, str] = {}
    for name, value in form.multi_items():
        index = name.removeprefix(MARK_PREFIX)
        if name.startswith(MARK_PREFIX) and index.isdigit() and len(index) < 4 and isinstance(value, str):
            found[int(index)] = value
    return found


@router.post(
    "/workspace/expert/tenders/{tender_id}/qualification",
    summary="A member's qualification review of one bid (资格审查): pass or fail on every criterion, final",
    responses=problem_responses(*_REFUSALS),
)
def mark_qualification(
    tender_id: Id,
    request: Request,
    actor: Member,
    _: CsrfChecked,
    db: DB,
    now: Now,
    bid_id: Annotated[Id, Form()],
    marks: Annotated[dict[int, str], Depends(_marks)],
) -> Response:
    try:
        evaluation = service.current_evaluating(db, tender_id)
        criteria = service.scheme_from_json(evaluation.scheme).qualification_criteria
        if any(marks.get(n) not in ("pass", "fail") for n in range(len(criteria))) or len(marks) != len(criteria):
            raise InvalidInput(
                field="marks", reason_zh="须对每个审查项选择合格或不合格", reason_en="mark every criterion pass or fail"
            )
        judged = {criterion: marks[n] == "pass" for n, criterion in enumerate(criteria)}
        service.mark_qualification(db, actor, tender_id=tender_id, bid_id=bid_id, marks=judged, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, f"qualification-{bid_id}"), done=QUALIFICATION_MARKED)


@router.post(
    "/workspace/expert/tenders/{tender_id}/rejections",
    summary="The committee's lead rejects a bid on a ground of 招标投标法实施条例 第51条, with the reasons written",
    responses=problem_responses(*_REFUSALS, access.NotTheFinaliser),
)
def reject_bid(
    tender_id: Id,
    request: Request,
    actor: Member,
    _: CsrfChecked,
    db: DB,
    now: Now,
    bid_id: Annotated[Id, Form()],
    ground: Annotated[Name, Form()],
    note: Annotated[Text, Form(max_length=2000)] = "",
) -> Response:
    try:
        if not note.strip():
            raise InvalidInput(
                field="note", reason_zh="请写明否决的事实和理由", reason_en="write the facts and reasons"
            )
        service.reject_bid(db, actor, tender_id=tender_id, bid_id=bid_id, ground=ground, note=note.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "rejections"), done=BID_REJECTED)


@router.post(
    "/workspace/expert/tenders/{tender_id}/chair-votes",
    summary="A member names the member they elect as the committee's lead (推举评标委员会负责人), final",
    responses=problem_responses(*_REFUSALS),
)
def vote_for_chair(
    tender_id: Id,
    request: Request,
    actor: Member,
    _: CsrfChecked,
    db: DB,
    now: Now,
    candidate_member_id: Annotated[Id, Form()],
) -> Response:
    try:
        chair.vote_for_chair(db, actor, tender_id=tender_id, candidate_member_id=candidate_member_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "committee"), done=CHAIR_VOTED)


@router.post(
    "/workspace/expert/tenders/{tender_id}/report",
    summary="The committee's lead finalises the evaluation report (评标报告) once every member has reviewed",
    responses=problem_responses(*_REFUSALS, access.NotTheFinaliser, service.EvaluationIncomplete),
)
def finalise_report(tender_id: Id, request: Request, actor: Finaliser, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        service.finalise_report(db, actor, tender_id=tender_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "report"), done=REPORT_FINALISED)


@router.post(
    "/workspace/expert/tenders/{tender_id}/report-signatures",
    summary="A member signs the evaluation report with their key, agreeing or dissenting with reasons (第53条)",
    responses=problem_responses(*_REFUSALS, report_signing.ReportSignatureInvalid),
)
def sign_report(
    tender_id: Id,
    request: Request,
    actor: Member,
    _: CsrfChecked,
    db: DB,
    now: Now,
    opinion: Annotated[Ascii, Form(max_length=16)],
    reasons: Annotated[Text, Form(max_length=4000)] = "",
    signature: Annotated[Ascii, Form(max_length=128)] = "",
) -> Response:
    try:
        report_signing.sign_report(
            db, actor, tender_id=tender_id, opinion=opinion, reasons=reasons, signature=signature, now=now
        )
    except DomainError as error:
        return _refused(request, db, actor, tender_id, error)
    return see_other(_page(tender_id, "report"), done=REPORT_SIGNED)
