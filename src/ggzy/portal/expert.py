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
from ggzy.core.inputs import Ascii, Id
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.evaluation import access, rules, service, signing, views
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other
from ggzy.tendering.lifecycle import TenderStageWrong

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Member = Annotated[Principal, Depends(require(Permission.EVALUATION_SIT))]
SCORE_PREFIX = "score."


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
    return {
        "active": "workspace",
        "section": "expert",
        "tender": tender,
        "evaluation": evaluation,
        "scheme": scheme,
        "bids": list(service.opened_bids(db, tender.id).values()) if evaluation is not None else [],
        "sheets": sheets,
        "score_prefix": SCORE_PREFIX,
        "member": member,
        **_key_context(db, actor),
    }


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
    return see_other(f"/workspace/expert/tenders/{tender_id}#bid-{bid_id}")


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
    return see_other(f"{back}#signing-key")
