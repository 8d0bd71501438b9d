"""The bidder's page of a rights trade (decision 0050): register for a plate (号牌), ask for timed bidding during the
listing, bid, and watch the same live hall as any visitor.

The same services as the API (``ggzy.auctions.service``) with the same permission (``auction.bid``). A bid is typed
in 元 and confirmed first (拍卖法 第三十六条: never withdrawn); each rendering of the form carries a fresh
``client_bid_id``, so a form sent twice is one bid (the service answers the replay with the bid it made). The page
says what happened: accepted at sequence N, or the service's refusal with its message (a bid too low says the new
minimum).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.auctions import errors, read, service
from ggzy.auctions.rules import Method, Phase
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.screening import Intercepted
from ggzy.core.web import DB, Now
from ggzy.portal.auction_hall import DEPOSITS_RELEASED, hall_context
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

AuctionBidder = Annotated[Principal, Depends(require(Permission.AUCTION_BID))]

REGISTERED = outcome("auction_registered", N_("已取得竞买资格，号牌见下。竞买人以号牌参加竞价，身份保密。"))
TIMED_REQUESTED = outcome(
    "auction_timed_requested", N_("已要求参加限时竞价。挂牌期届满时有两个以上竞买人要求的，进入限时竞价。")
)
NO_WITHDRAWAL = N_("报价一经提出不得撤回（拍卖法 第三十六条）")

BID_PROBLEMS = (
    NotFound,
    InvalidInput,
    errors.NotRegistered,
    errors.NotInTimedBidding,
    errors.BidTooLow,
    errors.BidNotInIncrements,
    errors.BiddingClosed,
    errors.BidReplayDiffers,
    errors.AuctionPhaseWrong,
)


def _context(request: Request, db: Session, actor: Principal, auction_id: int, now: datetime) -> dict[str, Any]:
    hall = hall_context(db, request, auction_id, now)
    state = hall["hall"]
    assert actor.entity_id is not None  # auction.bid is a bidder's, and a bidder acts for its entity
    mine = read.own_registration(db, auction_id=state.auction.id, entity_id=actor.entity_id)
    phase = state.phase
    return hall | {
        "active": "workspace",
        "section": "bidder",
        "registration": mine,
        "may_register": mine is None and phase in (Phase.NOTICE, Phase.BIDDING),
        "may_ask_timed": mine is not None
        and not mine.wants_timed
        and state.auction.method == Method.LISTING.value
        and state.timed_countdown_minutes is not None
        and phase is Phase.BIDDING,
        "may_bid": mine is not None and (phase is Phase.BIDDING or (phase is Phase.TIMED and mine.wants_timed)),
        "minimum_yuan": f"{state.minimum_fen / 100:.2f}",
        "client_bid_id": secrets.token_urlsafe(16),  # fresh per rendering: the same form sent twice is one bid
        "no_withdrawal": NO_WITHDRAWAL,
        "result": None,
    }


def _refused(request: Request, db: Session, actor: Principal, auction_id: int, now: datetime, error: DomainError):  # type: ignore[no-untyped-def]
    return form_refused(
        request, db, "ws_auction_bidder.html", lambda: _context(request, db, actor, auction_id, now), error
    )


@router.get(
    "/workspace/bidder/auctions/{auction_id}",
    summary="Bidder's page of a rights trade: plate, timed-bidding request, bid form, the live hall",
    responses=problem_responses(NotFound),
)
def bidder_auction(auction_id: Id, request: Request, db: DB, actor: AuctionBidder, now: Now) -> HTMLResponse:
    return render(request, "ws_auction_bidder.html", _context(request, db, actor, auction_id, now))


@router.post(
    "/workspace/bidder/auctions/{auction_id}/registration",
    summary="Register with a paid deposit and receive a plate (号牌); again, the same plate",
    responses=problem_responses(
        NotFound, errors.DepositNotPaid, errors.SellerCannotBid, Intercepted, errors.AuctionPhaseWrong
    ),
)
def register(auction_id: Id, request: Request, actor: AuctionBidder, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        read.published_auction(db, auction_id)
        service.register_bidder(db, actor, auction_id=auction_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/bidder/auctions/{auction_id}#qualification", done=REGISTERED)


@router.post(
    "/workspace/bidder/auctions/{auction_id}/timed-bidding-request",
    summary="Ask, before the listing ends, to go on to timed bidding (限时竞价)",
    responses=problem_responses(NotFound, errors.NotRegistered, errors.AuctionPhaseWrong),
)
def ask_for_timed_bidding(
    auction_id: Id, request: Request, actor: AuctionBidder, _: CsrfChecked, db: DB, now: Now
) -> Response:
    try:
        read.published_auction(db, auction_id)
        service.request_timed_bidding(db, actor, auction_id=auction_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/bidder/auctions/{auction_id}#qualification", done=TIMED_REQUESTED)


@router.post(
    "/workspace/bidder/auctions/{auction_id}/bids",
    status_code=201,
    summary="Bid in 元 by plate, confirmed first: never withdrawn (拍卖法 第36条); the same form again is one bid",
    responses={200: {"description": "A replay: the bid this form already made"}, **problem_responses(*BID_PROBLEMS)},
)
def place_bid(
    auction_id: Id,
    request: Request,
    actor: AuctionBidder,
    _: CsrfChecked,
    db: DB,
    now: Now,
    amount_yuan: Annotated[Ascii, Form(max_length=40)],
    client_bid_id: Annotated[Ascii, Form(min_length=1, max_length=64)],
) -> Response:
    try:
        read.published_auction(db, auction_id)
        amount_fen = yuan_to_fen(amount_yuan.strip().replace(",", ""), field="amount_yuan")
        if amount_fen < 1:
            raise InvalidInput(field="amount_yuan", reason_zh="须大于零", reason_en="must be more than zero")
        placed = service.place_bid(
            db, actor, auction_id=auction_id, amount_fen=amount_fen, client_bid_id=client_bid_id, now=now
        )
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    db.flush()
    context = _context(request, db, actor, auction_id, now) | {"result": placed}
    return render(request, "ws_auction_bidder.html", context, status=200 if placed.replayed else 201)


@router.post(
    "/workspace/bidder/auctions/{auction_id}/deposits/release",
    summary="A plate of the trade, once the bidding has ended: the deposits it decided ordered back (decision 0053)",
    responses=problem_responses(
        NotFound,
        errors.NotTheSellerNorBidder,
        errors.DepositsAlreadyReleased,
        errors.ReleaseTooEarly,
        errors.AuctionPhaseWrong,
    ),
)
def release(auction_id: Id, request: Request, actor: AuctionBidder, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        read.published_auction(db, auction_id)
        service.release_deposits(db, actor, auction_id=auction_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, auction_id, now, error)
    return see_other(f"/workspace/bidder/auctions/{auction_id}#deposits-release", done=DEPOSITS_RELEASED)
