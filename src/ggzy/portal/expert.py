"""The evaluation expert's workspace (评标专家): the lots it sits on and its score sheets.

The same services as the API (``ggzy.evaluation.service.submit_score_sheet``) under the same permission
(``evaluation.sit``: drawn experts and the owner's representatives, 招标投标法 第37条). A sheet is sealed as the API
seals it: its canonical JSON is hashed (SHA-256) and the digest recorded in the ledger's event in the same
transaction; the API has no expert signature key (experts log in by password), so neither has the page. A sheet is
final once submitted.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.evaluation import access, rules, service, views
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.rendering import render
from ggzy.portal.session import form_refused, see_other
from ggzy.portal.workspace_views import own_score_sheets
from ggzy.tendering.service import TenderStageWrong

router = APIRouter(tags=["portal (HTML pages)"], route_class=PermissionedRoute, default_response_class=HTMLResponse)

Member = Annotated[Principal, Depends(require(Permission.EVALUATION_SIT))]
SCORE_PREFIX = "score."


@router.get("/workspace/expert", summary="Expert workspace: the tenders the user sits on")
def expert_home(request: Request, db: DB, actor: Member, now: Now) -> HTMLResponse:
    assignments = views.assignments_view(db, actor, now=now)
    return render(request, "ws_expert.html", {"active": "workspace", "section": "expert", "assignments": assignments})


def _context(db: Session, actor: Principal, tender_id: int) -> dict[str, Any]:
    member, _ = access.member_for(db, actor, tender_id)
    tender, _project = service.load(db, tender_id)
    evaluation = service.find_evaluation(db, tender.id)
    scheme = service.scheme_from_json(evaluation.scheme) if evaluation is not None else None
    sheets = own_score_sheets(db, member_id=member.id, evaluation_id=evaluation.id) if evaluation else {}
    return {
        "active": "workspace",
        "section": "expert",
        "tender": tender,
        "evaluation": evaluation,
        "scheme": scheme,
        "bids": list(service.opened_bids(db, tender.id).values()) if evaluation is not None else [],
        "sheets": sheets,
        "score_prefix": SCORE_PREFIX,
    }


@router.get(
    "/workspace/expert/tenders/{tender_id}",
    summary="The score sheets of one tender the user sits on: one per bid, final once submitted",
    responses=problem_responses(NotFound, access.NotACommitteeMember),
)
def expert_tender(tender_id: int, request: Request, db: DB, actor: Member) -> HTMLResponse:
    return render(request, "ws_expert_tender.html", _context(db, actor, tender_id))


async def _scores(request: Request) -> dict[str, Decimal]:
    """The sheet's scores from fields named ``score.<criterion key>`` (the criteria are the scheme's)."""
    form = await request.form()
    scores: dict[str, Decimal] = {}
    for name, value in form.multi_items():
        if name.startswith(SCORE_PREFIX) and isinstance(value, str):
            key = name.removeprefix(SCORE_PREFIX)
            try:
                scores[key] = Decimal(value.strip())
            except InvalidOperation:
                raise InvalidInput(field=name, reason_zh="应为数字", reason_en="must be a number") from None
    return scores


@router.post(
    "/workspace/expert/tenders/{tender_id}/score-sheets",
    summary="Submit a score sheet of one bid (评分表); its digest goes into the ledger",
    responses=problem_responses(
        NotFound,
        TenderStageWrong,
        access.NotACommitteeMember,
        InvalidInput,
        Conflict,
        service.SheetFinal,
        rules.ScoreAboveMaximum,
    ),
)
def submit_sheet(
    tender_id: int,
    request: Request,
    actor: Member,
    _: CsrfChecked,
    db: DB,
    now: Now,
    bid_id: Annotated[int, Form()],
    scores: Annotated[dict[str, Decimal], Depends(_scores)],
) -> Response:
    try:
        service.submit_score_sheet(db, actor, tender_id=tender_id, bid_id=bid_id, scores=scores, now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_expert_tender.html", lambda: _context(db, actor, tender_id), error)
    return see_other(f"/workspace/expert/tenders/{tender_id}#bid-{bid_id}")
