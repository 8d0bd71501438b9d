"""The centre staff's pages of rights trades (decisions 0052, 0053): the published trades of their centres, and one
trade with what applies to it now — suspend it (中止, with its ground and reason) and resume it, draw the lottery
among the plates at a reached price cap, release the deposits the end of the bidding decided, and close a trade the
seller left open once the other bidders' deposits were due back. Each step is the API's service; the irreversible
ones ask first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.auctions import cap, errors, read, rules, state, suspension
from ggzy.auctions import service as auctions
from ggzy.auctions.rules import Phase, SuspensionGround
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.portal.auction_hall import DEPOSITS_RELEASED, KIND_LABELS, METHOD_LABELS, phase_labels
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, Outcome, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_china_time, form_refused, see_other

if TYPE_CHECKING:  # the trade the auctions domain hands over; its table is never read here
    from ggzy.auctions.models import Auction

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)
# the pages: held by the centre's staff (and a court's owner, for its judicial sales); the rows are the staff's own
# centres' only (ggzy.auctions.read.centre_auction), so that anyone else finds nothing
Staff = Annotated[Principal, Depends(require(Permission.AUCTION_SUSPEND))]
Drawer = Annotated[Principal, Depends(require(Permission.AUCTION_DRAW))]
Releaser = Annotated[Principal, Depends(require(Permission.AUCTION_RELEASE))]
Closer = Annotated[Principal, Depends(require(Permission.AUCTION_CLOSE))]

SUSPENDED = outcome(
    "auction_suspended_by_centre", N_("交易已中止，中止的原因已随公告公开；恢复前不能报名、报价或确认成交。")
)
RESUMED = outcome("auction_resumed", N_("交易已恢复，中止时剩余的时间自恢复时起重新计算。"))
DRAWN = outcome("auction_cap_lottery_drawn", N_("已摇号确定以最高限价报价的竞得号牌。"))
CLOSED = outcome("auction_closed_by_centre", N_("交易中心已代为确认成交结果，保证金已按结果发出退还指令。"))

SUSPENSION_GROUNDS = {
    SuspensionGround.SYSTEM_FAILURE.value: N_("电子交易系统故障"),
    SuspensionGround.FORCE_MAJEURE.value: N_("不可抗力"),
    SuspensionGround.TITLE_DISPUTE.value: N_("交易标的存在权属争议"),
    SuspensionGround.COURT_ORDER.value: N_("人民法院决定中止（暂缓）"),
    SuspensionGround.OTHER_BY_LAW.value: N_("法律法规规定的其他情形"),
}
OUTCOME_LABELS = {
    rules.Outcome.SOLD.value: N_("成交"),
    rules.Outcome.NO_BIDS.value: N_("流拍（无人出价）"),
    rules.Outcome.BELOW_RESERVE.value: N_("流拍（最高价低于保留价）"),
    rules.Outcome.RESERVE_UNOPENED.value: N_("流拍（保留价未开启）"),
}
LABELS = {"kind_labels": KIND_LABELS, "method_labels": METHOD_LABELS, "outcome_labels": OUTCOME_LABELS}


def _row(auction: Auction, now: datetime) -> dict[str, Any]:
    return {
        "auction": auction, "phase": phase_labels(auction.method)[state.phase_of(auction, now).value],
        "ends_at": state.bidding_ends_at(auction, now),
    }  # fmt: skip


@router.get("/workspace/centre/auctions", summary="The rights trades of the staff's centres, the latest first")
def home(request: Request, db: DB, actor: Staff, now: Now) -> HTMLResponse:
    rows = [_row(auction, now) for auction in read.centre_auctions(db, actor)]
    context = {"active": "workspace", "section": "centre_auctions", "rows": rows} | LABELS
    return render(request, "ws_centre_auctions.html", context)


def _auction(db: Session, actor: Principal, auction_id: int, now: datetime) -> dict[str, Any]:
    auction = read.centre_auction(db, actor, auction_id)
    phase = state.phase_of(auction, now)
    ended = phase is Phase.ENDED
    return _row(auction, now) | LABELS | {
        "active": "workspace", "section": "centre_auctions", "entry": state.entry_of(auction),
        "suspensions": suspension.suspensions_of(db, auction.id), "grounds": SUSPENSION_GROUNDS,
        "phase_names": phase_labels(auction.method),
        "may_suspend": phase in rules.SUSPENDABLE, "may_resume": phase is Phase.SUSPENDED,
        "lottery_pending": read.cap_lottery_pending(db, auction, now),
        "plates_at_cap": cap.plates_at_cap(db, auction) if ended else [],
        "may_release": ended and auction.losers_released_at is None,
        "may_close": ended,
        # the seller's last day (decision 0053): the centre may close from the next
        "seller_due_on": auctions.losers_due(db, auction)[1] if ended else None,
    }  # fmt: skip


@router.get(
    "/workspace/centre/auctions/{auction_id}",
    summary="One rights trade for its centre's staff: state, suspensions, the steps that apply now",
    responses=problem_responses(NotFound),
)
def auction_page(auction_id: Id, request: Request, db: DB, actor: Staff, now: Now) -> HTMLResponse:
    return render(request, "ws_centre_auction.html", _auction(db, actor, auction_id, now))


def _step(
    request: Request, db: Session, actor: Principal, auction_id: int, now: datetime,
    action: Callable[[], object], done: Outcome,
) -> Response:  # fmt: skip
    """One step on a trade of the staff's centre (another's: not found, before anything), answered by its outcome
    or, refused, by the page again with the problem and nothing written."""
    read.centre_auction(db, actor, auction_id)
    try:
        action()
    except DomainError as error:
        return form_refused(request, db, "ws_centre_auction.html", lambda: _auction(db, actor, auction_id, now), error)
    return see_other(f"/workspace/centre/auctions/{auction_id}", done=done)


STEP_PROBLEMS = (NotFound, errors.NotTheCentre, errors.AuctionPhaseWrong, errors.AuctionSuspended)


@router.post(
    "/workspace/centre/auctions/{auction_id}/suspension",
    summary="Suspend the trade (中止) with its ground and reason, published with the event",
    responses=problem_responses(*STEP_PROBLEMS, InvalidInput),
)
def suspend(
    auction_id: Id, request: Request, actor: Staff, _: CsrfChecked, db: DB, now: Now,
    ground: Annotated[SuspensionGround, Form()], reason: Annotated[Text, Form(max_length=1000)],
) -> Response:  # fmt: skip
    def act() -> object:
        return suspension.suspend_auction(db, actor, auction_id=auction_id, ground=ground, reason=reason, now=now)

    return _step(request, db, actor, auction_id, now, act, SUSPENDED)


@router.post(
    "/workspace/centre/auctions/{auction_id}/resumption",
    summary="Resume the trade: the time left at the suspension runs again from now",
    responses=problem_responses(*STEP_PROBLEMS, errors.NotSuspended, InvalidInput),
)
def resume(
    auction_id: Id, request: Request, actor: Staff, _: CsrfChecked, db: DB, now: Now,
    cause_ended_at: Annotated[Ascii, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    def act() -> object:
        cause = form_china_time(cause_ended_at, "cause_ended_at") if cause_ended_at.strip() else None
        return suspension.resume_auction(db, actor, auction_id=auction_id, cause_ended_at=cause, now=now)

    return _step(request, db, actor, auction_id, now, act, RESUMED)


@router.post(
    "/workspace/centre/auctions/{auction_id}/cap-lottery",
    summary="Draw the lottery among the plates that bid the reached price cap",
    responses=problem_responses(*STEP_PROBLEMS, errors.CapDrawNotNeeded, errors.CapDrawSeedNotPublished),
)
def draw(auction_id: Id, request: Request, actor: Drawer, _: CsrfChecked, db: DB, now: Now) -> Response:
    def act() -> object:
        return cap.draw_cap_lottery(db, actor, auction_id=auction_id, now=now)

    return _step(request, db, actor, auction_id, now, act, DRAWN)


@router.post(
    "/workspace/centre/auctions/{auction_id}/deposits-release",
    summary="Order back the deposits the end of the bidding decided (decision 0053)",
    responses=problem_responses(
        *STEP_PROBLEMS, errors.NotTheSellerNorBidder, errors.DepositsAlreadyReleased, errors.ReleaseTooEarly
    ),
)
def release(auction_id: Id, request: Request, actor: Releaser, _: CsrfChecked, db: DB, now: Now) -> Response:
    def act() -> object:
        return auctions.release_deposits(db, actor, auction_id=auction_id, now=now)

    return _step(request, db, actor, auction_id, now, act, DEPOSITS_RELEASED)


@router.post(
    "/workspace/centre/auctions/{auction_id}/close",
    summary="Close a trade the seller left open, once the other bidders' deposits were due back (decision 0053)",
    responses=problem_responses(
        *STEP_PROBLEMS, errors.NotTheSeller, errors.CloseNotYetForTheCentre, errors.CapDrawPending,
        errors.BuyerDepositNoLongerHeld,
    ),
)  # fmt: skip
def close(auction_id: Id, request: Request, actor: Closer, _: CsrfChecked, db: DB, now: Now) -> Response:
    def act() -> object:
        return auctions.close_auction(db, actor, auction_id=auction_id, now=now)

    return _step(request, db, actor, auction_id, now, act, CLOSED)
