"""The opening host's page (开标主持): start the remote opening, follow the bidders' decryption, open by custodians
what a bidder did not decrypt, answer objections raised at the opening, and close it with the signed record (唱标).

The host is the project's owner or its agent (招标人主持开标, 招标投标法 第35条) or staff of the project's centre
(``tendering.access.check_host``), under ``opening.host`` as in the API. Every button is the API's service
(``ggzy.tendering.opening``). Before the opening starts the page says nothing about bids, not even whether there are
any (招标投标法 第22条: the tenderer itself may not know); from the start, what it shows of the bids is what the
opening reads out anyway. A bidder's objection at the opening is raised on its own tender page
(``ggzy.portal.bidder``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Id, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.crypto import DecryptionFailed, ShareRecoveryFailed
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, Outcome, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, not_blank, see_other
from ggzy.tendering import bids, lifecycle, opening, service
from ggzy.tendering.access import NotTheHost, check_host
from ggzy.tendering.lifecycle import TenderSuspended
from ggzy.tendering.procedures import procedure
from ggzy.tendering.schemas import BidId, BidPath, OpeningObjectionPath
from ggzy.tendering.stages import Stage

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Host = Annotated[Principal, Depends(require(Permission.OPENING_HOST))]

_HOST_PROBLEMS = (NotFound, NotTheHost, lifecycle.TenderStageWrong, opening.DecryptionWindow)
TEMPLATE = "ws_opening_host.html"


def _context(db: Session, actor: Principal, tender_id: int, now: datetime) -> dict[str, Any]:
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    project, lot = service.project_of(db, tender)
    check_host(actor, project)
    stage = lifecycle.stage_of(tender, now)
    view = opening.opening_view(db, tender, now, insider=True)  # the host, checked above
    under_way = stage == Stage.OPENING and "started_at" in view
    window_over = under_way and now > view["window_ends_at"]
    return {
        "active": "workspace",
        "section": "",
        "tender": tender,
        "project": project,
        "lot_code": bids.lot_code(project, lot),
        "stage": stage.value,
        "opening": view,
        "may_start": stage == Stage.CLOSED,
        "under_way": under_way,
        "window_over": window_over,
        "custodians_may_open": procedure(tender.procedure).decryption.custodians_may_open,
        "undecrypted": opening.undecrypted_bids(db, tender.id) if under_way else [],
        "objections": opening.objections_at_opening(db, tender.id) if "started_at" in view else [],
    }


def _refused(request: Request, db: Session, actor: Principal, tender_id: int, now: datetime, error: DomainError):  # type: ignore[no-untyped-def]
    return form_refused(request, db, TEMPLATE, lambda: _context(db, actor, tender_id, now), error)


OPENING_STARTED = outcome("opening_started", N_("开标已开始：投标人在解密时限内远程解密。"))
OPENED_BY_CUSTODIANS = outcome("opened_by_custodians", N_("该投标文件已由保管人开启。"))
OPENING_READ_OUT = outcome("opening_read_out", N_("开标记录已宣读并签名，已公开。"))
OPENING_OBJECTION_ANSWERED = outcome("opening_objection_answered", N_("异议已当场答复并记录。"))


def _back(tender_id: int, done: Outcome, anchor: str = "") -> Response:
    return see_other(f"/workspace/openings/{tender_id}{anchor}", done=done)


@router.get(
    "/workspace/openings/{tender_id}",
    summary="Host an opening: start it, follow the decryption, open by custodians, answer objections, read out",
    responses=problem_responses(NotFound, NotTheHost),
)
def host_page(tender_id: Id, request: Request, db: DB, actor: Host, now: Now) -> HTMLResponse:
    return render(request, TEMPLATE, _context(db, actor, tender_id, now))


@router.post(
    "/workspace/openings/{tender_id}/start",
    summary="Start the remote opening after the deadline (fewer than 3 bidders: the lot fails, 实施条例 第44条)",
    responses=problem_responses(*_HOST_PROBLEMS, opening.OpeningNotDue, lifecycle.TenderPaused, TenderSuspended),
)
def start(tender_id: Id, request: Request, actor: Host, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        opening.start_opening(db, actor, tender_id=tender_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return _back(tender_id, OPENING_STARTED)


@router.post(
    "/workspace/openings/{tender_id}/bids/{bid_id}/custodian-open",
    summary="Open a bid its bidder did not decrypt, with k custodians' released shares (after the window)",
    responses=problem_responses(*_HOST_PROBLEMS, Conflict, ShareRecoveryFailed, DecryptionFailed),
)
def custodian_open(
    tender_id: Id, bid_id: BidPath, request: Request, actor: Host, _: CsrfChecked, db: DB, now: Now
) -> Response:
    settings = request.app.state.settings
    try:
        opening.open_by_custodians(
            db, actor, tender_id=tender_id, bid_id=bid_id, store=request.app.state.blob_store,
            max_mb=settings.bid_max_mb, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return _back(tender_id, OPENED_BY_CUSTODIANS, "#decryption")


@router.post(
    "/workspace/openings/{tender_id}/finish",
    summary="Close the decryption, read out the signed opening record (唱标); 电子招标投标办法 第31条 for the rest",
    responses=problem_responses(*_HOST_PROBLEMS, TenderSuspended, opening.ObjectionsUnanswered),
)
def finish(
    tender_id: Id,
    request: Request,
    actor: Host,
    _: CsrfChecked,
    db: DB,
    now: Now,
    not_bidders_fault: Annotated[list[BidId] | None, Form()] = None,
) -> Response:
    try:
        opening.finish_opening(
            db, actor, tender_id=tender_id, not_bidders_fault=not_bidders_fault or [],
            signers=request.app.state.ledger_keys.signers, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return _back(tender_id, OPENING_READ_OUT, "#record")


@router.post(
    "/workspace/openings/{tender_id}/objections/{objection_id}/answer",
    summary="Answer an objection raised at the opening (实施条例 第44条: answered there and recorded)",
    responses=problem_responses(NotFound, NotTheHost, Conflict, InvalidInput),
)
def answer_objection(
    tender_id: Id,
    objection_id: OpeningObjectionPath,
    request: Request,
    actor: Host,
    _: CsrfChecked,
    db: DB,
    now: Now,
    answer: Annotated[Text, Form(min_length=1, max_length=5000)],
) -> Response:
    try:
        tender = service.get_tender(db, tender_id)
        check_host(actor, service.project_of(db, tender)[0])  # the host of this tender, before anything is read
        if all(objection.public_id != objection_id for objection in opening.objections_at_opening(db, tender_id)):
            raise NotFound(field="objection_id", what_zh="开标异议", what_en="Opening objection")
        text = not_blank(answer, "answer")
        opening.answer_opening_objection(db, actor, objection_id=objection_id, answer=text, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return _back(tender_id, OPENING_OBJECTION_ANSWERED, "#objections")
