"""What the public and the bidders read of rights trades (the auction hall, decision 0050): published trades, one
trade by the server's clock, a bidder's own plate; and the trades of a centre as its staff see them. Reads only: the
rules of the trade stay in ``service``.

Nothing here names or counts a bidder: a registration is only ever read for its own bidder (``own_registration``);
the hall knows the bids by plate (网络司法拍卖规定 第十八条: the identity kept secret).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.auctions import cap, rules, service, state
from ggzy.auctions.models import Auction, AuctionRegistration
from ggzy.auctions.rules import Method, Phase, Status
from ggzy.core.errors import NotFound
from ggzy.core.permissions import Principal, Role


@dataclass(frozen=True)
class AuctionNow:
    """A published trade as the server sees it at ``server_time``: the hall's page and the bidder's."""

    auction: Auction
    phase: Phase
    ends_at: datetime  # the end of the bidding under way (or to come), extensions and resets included
    server_time: datetime
    minimum_fen: int  # the lowest bid the next bidder may make
    timed_countdown_minutes: int | None  # the timed phase's countdown (a listing's), for the page to say
    extension_minutes: int | None  # an auction's: a bid this close to the end extends it

    @property
    def is_listing(self) -> bool:
        return self.auction.method == Method.LISTING.value

    @property
    def open_for_bids(self) -> bool:
        return self.phase in (Phase.BIDDING, Phase.TIMED)


def published_auctions(db: Session, *, limit: int = 200) -> list[Auction]:
    """Every published trade (never a draft), the latest bidding first."""
    query = (
        select(Auction)
        .where(Auction.status != Status.DRAFT.value)
        .order_by(Auction.bidding_start.desc(), Auction.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def published_auction(db: Session, auction_id: int) -> Auction:
    """The trade, unless it is a draft (its seller's business only): not found."""
    auction = state.get_auction(db, auction_id)
    if auction.status == Status.DRAFT.value:
        raise NotFound(field="auction_id", what_zh="拍卖（挂牌）项目", what_en="Auction")
    return auction


def auction_now(db: Session, auction_id: int, now: datetime) -> AuctionNow:
    auction = published_auction(db, auction_id)
    entry = state.entry_of(auction)
    return AuctionNow(
        auction=auction,
        phase=state.phase_of(auction, now),
        ends_at=state.bidding_ends_at(auction, now),
        server_time=now,
        minimum_fen=rules.lowest_acceptable(
            start_fen=auction.start_price_fen,
            increment_fen=auction.increment_fen,
            current_fen=auction.current_price_fen,
        ),
        timed_countdown_minutes=entry.timed.countdown.minutes if entry.timed is not None else None,
        extension_minutes=entry.extension.minutes if entry.extension is not None else None,
    )


def phase_of(auction: Auction, now: datetime) -> Phase:
    return state.phase_of(auction, now)


def own_registration(db: Session, *, auction_id: int, entity_id: int) -> AuctionRegistration | None:
    """The bidder's own plate for this trade, if it has one."""
    return service.registration_of(db, auction_id=auction_id, entity_id=entity_id)


# --- the centre's staff (the trades their centre runs) -------------------------------------------------------------


def staff_centre_ids(actor: Principal) -> set[int]:
    """The centres where ``actor`` is staff (a CENTRE_STAFF grant each)."""
    return {grant.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF) if grant.centre_id is not None}


def centre_auctions(db: Session, actor: Principal, *, limit: int = 200) -> list[Auction]:
    """The published trades of the centres where ``actor`` is staff, the latest published first (never a draft: it
    is its seller's business only)."""
    centres = staff_centre_ids(actor)
    if not centres:
        return []
    query = (
        select(Auction)
        .where(Auction.centre_id.in_(centres), Auction.status != Status.DRAFT.value)
        .order_by(Auction.published_at.desc(), Auction.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def centre_auction(db: Session, actor: Principal, auction_id: int) -> Auction:
    """One published trade for the staff of its centre: another centre's, or a draft, is not found."""
    auction = published_auction(db, auction_id)
    if auction.centre_id not in staff_centre_ids(actor):
        raise NotFound(field="auction_id", what_zh="拍卖（挂牌）项目", what_en="Auction")
    return auction


def cap_lottery_pending(db: Session, auction: Auction, now: datetime) -> bool:
    """Whether the lottery among the plates at a reached cap is still to be drawn (decision 0052): the bidding has
    ended, the entry breaks ties by lot, and two plates or more bid the cap."""
    entry = state.entry_of(auction)
    return (
        state.phase_of(auction, now) is Phase.ENDED
        and entry.cap is not None
        and entry.cap.tie_break is rules.TieBreak.LOTTERY
        and auction.cap_drawn_at is None
        and len(cap.plates_at_cap(db, auction)) > 1
    )
