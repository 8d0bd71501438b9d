"""The seller's pages of rights trades (decision 0051): its rounds (竞买保证金轮次) and their listings or auctions —
create a draft, publish it (asked first), the reserve's state and what its holder does, close it (asked first), the
outcome and the confirmation (成交确认书). A court, the seller of its judicial sales, also suspends (中止) and resumes
them here (网络司法拍卖规定 第二十八条; decision 0052), as the centre's staff do on theirs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.auctions import errors, reserve, rules, state, suspension
from ggzy.auctions import service as auctions
from ggzy.auctions.rules import Method, Phase, SuspensionGround, TradeKind
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Text
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.portal.auction_hall import DEPOSITS_RELEASED
from ggzy.portal.centre_auctions import RESUMED, SUSPENDED, SUSPENSION_GROUNDS
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_china_time, form_refused, see_other
from ggzy.projects import service as projects
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import RIGHTS
from ggzy.tendering.read import tenders_of_lots

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)
Seller = Annotated[Principal, Depends(require(Permission.AUCTION_MANAGE))]
Court = Annotated[Principal, Depends(require(Permission.AUCTION_SUSPEND))]

DRAFTED = outcome("auction_drafted", N_("挂牌（拍卖）草稿已保存，请核对后发布公告。"))
PUBLISHED = outcome("auction_published", N_("公告已发布，竞买人交纳保证金后即可报名取得号牌。"))
CLOSED = outcome("auction_closed", N_("成交结果已确认，未竞得人的保证金已发出退还指令。"))
CREATE_PROBLEMS = (InvalidInput, NotFound, errors.NoRulesForTrade, errors.NotTheSeller, errors.RoundNotForRights,
                   errors.JudicialSellerNotACourt,
                   errors.TradeKindMismatch, errors.RoundDepositMissing, errors.RoundTaken)  # fmt: skip


def _rounds(db: Session, actor: Principal) -> list[dict[str, Any]]:
    """The seller's rights rounds, each with its auction if it has one."""
    rows, _ = projects.list_projects(db, actor, limit=50)
    lots = projects.lots_of(db, [project.id for project in rows])
    names = {lot.id: project.name for project in rows for lot in lots[project.id]}
    trade_types = {lot.id: project.trade_type for project in rows for lot in lots[project.id]}
    tenders = tenders_of_lots(db, list(names))
    rounds = [tender for found in tenders.values() for tender in found if tender.procedure == RIGHTS.key]
    held = auctions.auctions_of_rounds(db, [tender.id for tender in rounds])
    return [
        {"tender": tender, "project": names[tender.lot_id], "trade_type": trade_types[tender.lot_id],
         "auction": held.get(tender.id)}
        for tender in rounds
    ]  # fmt: skip


def _home(db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    rounds = _rounds(db, actor)
    return {
        "active": "workspace", "section": "auctions", "rounds": rounds, "now": now,
        "free_rounds": [row for row in rounds if row["auction"] is None and row["tender"].published_at is not None],
        "kinds": list(TradeKind), "methods": list(Method),
        "phases": {row["auction"].id: state.phase_of(row["auction"], now).value for row in rounds if row["auction"]},
    }  # fmt: skip


@router.get("/workspace/auctions", summary="The seller's rights trades: its deposit rounds and their auctions")
def home(request: Request, db: DB, actor: Seller, now: Now) -> HTMLResponse:
    return render(request, "ws_auctions.html", _home(db, actor, now))


@router.post(
    "/workspace/auctions",
    summary="Create a draft listing or auction on one of the seller's deposit rounds",
    responses=problem_responses(*CREATE_PROBLEMS),
)
def create(
    request: Request, actor: Seller, _: CsrfChecked, db: DB, now: Now,
    tender_id: Annotated[Id, Form()], trade_kind: Annotated[TradeKind, Form()], method: Annotated[Method, Form()],
    title: Annotated[Name, Form()], start_price: Annotated[Ascii, Form(max_length=20)],
    increment: Annotated[Ascii, Form(max_length=20)], bidding_start: Annotated[Ascii, Form(max_length=40)],
    bidding_end: Annotated[Ascii, Form(max_length=40)], reserve_holder_user_id: Annotated[Id | None, Form()] = None,
    viewing_start: Annotated[Ascii, Form(max_length=40)] = "", viewing_end: Annotated[Ascii, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    try:
        draft = auctions.AuctionDraft(
            tender_id=tender_id, trade_kind=trade_kind, method=method, title=title.strip(),
            start_price_fen=yuan_to_fen(start_price, field="start_price"),
            increment_fen=yuan_to_fen(increment, field="increment"),
            bidding_start=form_china_time(bidding_start, "bidding_start"),
            bidding_end=form_china_time(bidding_end, "bidding_end"),
            reserve_holder_user_id=reserve_holder_user_id,
            viewing_start=form_china_time(viewing_start, "viewing_start") if viewing_start.strip() else None,
            viewing_end=form_china_time(viewing_end, "viewing_end") if viewing_end.strip() else None,
        )  # fmt: skip
        auction = auctions.create_auction(db, actor, draft=draft, now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_auctions.html", lambda: _home(db, actor, now), error)
    return see_other(f"/workspace/auctions/{auction.id}", done=DRAFTED)


def _auction(db: Session, actor: Principal, auction_id: int, now: datetime) -> dict[str, Any]:
    auction = state.visible_auction(db, actor, auction_id)
    project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
    if actor.entity_id not in (project.owner_id, project.agent_id):
        raise errors.NotTheSeller(field="auction_id")
    entry = state.entry_of(auction)
    phase = state.phase_of(auction, now)
    court = auction.trade_kind == TradeKind.JUDICIAL.value and actor.entity_id == project.owner_id
    return {
        "active": "workspace", "section": "auctions", "auction": auction, "entry": entry,
        "phase": phase.value, "ends_at": state.bidding_ends_at(auction, now),
        "sealed_reserve": entry.reserve is rules.ReserveRule.SEALED,
        "lot_code": reserve.reserve_lot_code(auction.id), "project": project,
        # the court's own judicial sale: it suspends and resumes it itself (网络司法拍卖规定 第二十八条)
        "court": court, "grounds": SUSPENSION_GROUNDS,
        "may_suspend": court and phase in rules.SUSPENDABLE and auction.losers_released_at is None,
        "may_resume": court and phase is Phase.SUSPENDED,
    }  # fmt: skip


@router.get(
    "/workspace/auctions/{auction_id}",
    summary="One listing or auction as its seller runs it: schedule, reserve, publication, close, outcome",
    responses=problem_responses(NotFound, errors.NotTheSeller),
)
def auction_page(auction_id: Id, request: Request, db: DB, actor: Seller, now: Now) -> HTMLResponse:
    return render(request, "ws_auction.html", _auction(db, actor, auction_id, now))


def _refused(request: Request, db: Session, actor: Principal, auction_id: int, now: datetime, error: DomainError):  # type: ignore[no-untyped-def]
    return form_refused(request, db, "ws_auction.html", lambda: _auction(db, actor, auction_id, now), error)


@router.post(
    "/workspace/auctions/{auction_id}/publish",
    summary="Publish the notice now (the schedule must keep the entry's periods)",
    responses=problem_responses(NotFound, errors.NotTheSeller, errors.ScheduleBreaksRules, errors.AuctionPhaseWrong),
)
def publish(auction_id: Id, request: Request, actor: Seller, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        auctions.publish_auction(db, actor, auction_id=auction_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/auctions/{auction_id}", done=PUBLISHED)


@router.post(
    "/workspace/auctions/{auction_id}/close",
    summary="Close after the bidding: sold or failed; the other deposits ordered back",
    responses=problem_responses(NotFound, errors.NotTheSeller, errors.ReserveNotOpened, errors.AuctionPhaseWrong),
)
def close(auction_id: Id, request: Request, actor: Seller, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        auctions.close_auction(db, actor, auction_id=auction_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/auctions/{auction_id}", done=CLOSED)


@router.post(
    "/workspace/auctions/{auction_id}/deposits/release",
    summary="Once the bidding has ended, order back the deposits it decided, without waiting for the close (0053)",
    responses=problem_responses(
        NotFound,
        errors.NotTheSellerNorBidder,
        errors.DepositsAlreadyReleased,
        errors.ReleaseTooEarly,
        errors.AuctionPhaseWrong,
    ),
)
def release(auction_id: Id, request: Request, actor: Seller, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        auctions.release_deposits(db, actor, auction_id=auction_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/auctions/{auction_id}#deposits-release", done=DEPOSITS_RELEASED)


SUSPENSION_PROBLEMS = (NotFound, errors.NotTheSeller, errors.NotTheCentre, errors.AuctionPhaseWrong, InvalidInput)


@router.post(
    "/workspace/auctions/{auction_id}/suspension",
    summary="A court suspends its judicial sale (中止) with its ground and reason, published with the event",
    responses=problem_responses(*SUSPENSION_PROBLEMS, errors.AuctionSuspended),
)
def suspend(
    auction_id: Id, request: Request, actor: Court, _: CsrfChecked, db: DB, now: Now,
    ground: Annotated[SuspensionGround, Form()], reason: Annotated[Text, Form(max_length=1000)],
) -> Response:  # fmt: skip
    _auction(db, actor, auction_id, now)  # the seller's own trade (another's: not found, or not the seller)
    try:
        suspension.suspend_auction(db, actor, auction_id=auction_id, ground=ground, reason=reason, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/auctions/{auction_id}", done=SUSPENDED)


@router.post(
    "/workspace/auctions/{auction_id}/resumption",
    summary="A court resumes its judicial sale: the time left at the suspension runs again from now",
    responses=problem_responses(*SUSPENSION_PROBLEMS, errors.NotSuspended),
)
def resume(
    auction_id: Id, request: Request, actor: Court, _: CsrfChecked, db: DB, now: Now,
    cause_ended_at: Annotated[Ascii, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    _auction(db, actor, auction_id, now)
    try:
        cause = form_china_time(cause_ended_at, "cause_ended_at") if cause_ended_at.strip() else None
        suspension.resume_auction(db, actor, auction_id=auction_id, cause_ended_at=cause, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/auctions/{auction_id}", done=RESUMED)
