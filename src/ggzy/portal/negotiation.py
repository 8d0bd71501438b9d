"""Pages of 竞争性谈判 and 竞争性磋商 (政府采购法 第38条): the host calls rounds of quotations, opens each round's
quotations together after its deadline and notifies every supplier negotiating of a change to the documents; a
supplier sees each round, its deadline, whether it is in it, when it quoted, and the notices addressed to it.

Every button is the API's service (``ggzy.evaluation.negotiation``, ``ggzy.tendering.quotations``). A quotation is
sealed on the supplier's own computer (``ggzy bid seal --round N``), never by the platform; the supplier's page shows
the command. No page shows a supplier's price to anyone before its round is opened, and never to another supplier.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, public_api_url
from ggzy.crypto import ShareRecoveryFailed
from ggzy.entities.service import entity_names
from ggzy.evaluation import negotiation
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, Outcome, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_china_time, form_refused, not_blank, see_other
from ggzy.tendering import lifecycle, quotation_views, quotations, service
from ggzy.tendering.access import NotTheHost, check_host
from ggzy.tendering.procedures import procedure

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Host = Annotated[Principal, Depends(require(Permission.OPENING_HOST))]
Supplier = Annotated[Principal, Depends(require(Permission.TENDER_REGISTER))]

HOST_TEMPLATE = "ws_negotiation_host.html"
SUPPLIER_TEMPLATE = "ws_negotiation_supplier.html"
QUOTATIONS_CALLED = outcome(
    "quotations_called", N_("已要求参加谈判的供应商在截止时间前报价；报价在截止时间后一并开启。")
)
QUOTATIONS_OPENED = outcome("quotations_opened", N_("本轮报价已一并开启。"))
NEGOTIATION_NOTIFIED = outcome(
    "negotiation_notified", N_("已书面通知所有参加谈判的供应商（政府采购法 第三十八条 第（四）项）。")
)
_HOST_PROBLEMS: tuple[type[DomainError], ...] = (NotFound, NotTheHost, InvalidInput, *lifecycle.REFUSALS)


def _negotiated(db: Session, tender_id: int):  # type: ignore[no-untyped-def]
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None or procedure(tender.procedure).quotation_rounds is None:
        raise NotFound(field="tender_id", what_zh="谈判（磋商）项目", what_en="Negotiation")
    return tender


def _host_context(db: Session, actor: Principal, tender_id: int, now: datetime) -> dict[str, Any]:
    tender = _negotiated(db, tender_id)
    project, _ = service.project_of(db, tender)
    check_host(actor, project)
    rounds = quotations.rounds_of(db, tender.id)
    opened = {item.id: quotation_views.opened_quotations(db, item) for item in rounds}
    ids = sorted({q.entity_id for lines in opened.values() for q in lines})
    return {
        "active": "workspace",
        "section": "",
        "tender": tender,
        "project": project,
        "procedure": procedure(tender.procedure),
        "rounds": rounds,
        "opened": opened,
        "names": entity_names(db, ids) if ids else {},
        "now": now,
        "may_call": lifecycle.procedure_has_step_now(tender, lifecycle.Step.CALL_QUOTATIONS, now)
        and not (rounds and (rounds[-1].final or rounds[-1].opened_at is None)),
        "entered_deadline": "",
        "entered_final": False,
    }


def _refused(request: Request, db: Session, actor: Principal, tender_id: int, now: datetime, error: DomainError):  # type: ignore[no-untyped-def]
    return form_refused(request, db, HOST_TEMPLATE, lambda: _host_context(db, actor, tender_id, now), error)


def _done(tender_id: int, done: Outcome) -> Response:
    return see_other(f"/workspace/negotiations/{tender_id}", done=done)


@router.get(
    "/workspace/negotiations/{tender_id}",
    summary="Host a negotiation: call rounds of quotations, open each round together, notify changes (第38条)",
    responses=problem_responses(NotFound, NotTheHost),
)
def host_page(tender_id: Id, request: Request, db: DB, actor: Host, now: Now) -> HTMLResponse:
    return render(request, HOST_TEMPLATE, _host_context(db, actor, tender_id, now))


@router.post(
    "/workspace/negotiations/{tender_id}/rounds",
    summary="Call a round of sealed quotations from every supplier still negotiating (the final one: 最后报价)",
    responses=problem_responses(*_HOST_PROBLEMS, quotations.NegotiationClosed, quotations.QuotationRoundRunning),
)
def call_round(
    tender_id: Id,
    request: Request,
    actor: Host,
    _: CsrfChecked,
    db: DB,
    now: Now,
    deadline: Annotated[Ascii, Form(max_length=40)],
    final: Annotated[Ascii | None, Form(max_length=8)] = None,
    confirmed: Annotated[Ascii | None, Form(max_length=8)] = None,
) -> Response:
    try:
        if final == "yes" and confirmed != "yes":
            raise InvalidInput(
                field="confirmed", reason_zh="请确认这是最后一轮报价", reason_en="confirm that this is the final round"
            )
        negotiation.call_quotation_round(
            db,
            actor,
            tender_id=tender_id,
            deadline=form_china_time(deadline, "deadline"),
            final=final == "yes",
            now=now,
        )
    except DomainError as error:  # shown again as entered: the host only adds what was missing (the confirmation)
        entered = {"entered_deadline": deadline, "entered_final": final == "yes"}
        return form_refused(
            request, db, HOST_TEMPLATE, lambda: _host_context(db, actor, tender_id, now) | entered, error
        )
    return _done(tender_id, QUOTATIONS_CALLED)


@router.post(
    "/workspace/negotiations/{tender_id}/rounds/{number}/opening",
    summary="Open every quotation of a round together, after its deadline, with the custodians' released shares",
    responses=problem_responses(
        *_HOST_PROBLEMS, quotations.QuotationsSealed, quotations.QuotationsOpened, ShareRecoveryFailed
    ),
)
def open_round(tender_id: Id, number: Id, request: Request, actor: Host, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        quotations.open_round(
            db, actor, tender_id=tender_id, number=number, store=request.app.state.blob_store, now=now
        )
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return _done(tender_id, QUOTATIONS_OPENED)


@router.post(
    "/workspace/negotiations/{tender_id}/notices",
    summary="Notify every supplier still negotiating, in writing, of a substantive change to the documents",
    responses=problem_responses(*_HOST_PROBLEMS),
)
def notify(
    tender_id: Id,
    request: Request,
    actor: Host,
    _: CsrfChecked,
    db: DB,
    now: Now,
    text: Annotated[Text, Form(min_length=1, max_length=20_000)],
) -> Response:
    try:
        negotiation.notify_negotiation_change(db, actor, tender_id=tender_id, text=not_blank(text, "text"), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return _done(tender_id, NEGOTIATION_NOTIFIED)


@router.get(
    "/workspace/bidder/tenders/{tender_id}/quotations",
    summary="A supplier's rounds of quotations: deadlines, whether it is in each, when it quoted; its notices",
    responses=problem_responses(NotFound),
)
def supplier_page(tender_id: Id, request: Request, db: DB, actor: Supplier, now: Now) -> HTMLResponse:
    tender = _negotiated(db, tender_id)
    return render(
        request,
        SUPPLIER_TEMPLATE,
        {
            "active": "workspace",
            "section": "",
            "tender": tender,
            "rounds": quotation_views.rounds_for_supplier(db, actor, tender.id),
            "notices": quotation_views.notices_for(db, actor, tender.id),
            "tender_url": public_api_url(request, f"/tenders/{tender.id}"),
            "now": now,
        },
    )
