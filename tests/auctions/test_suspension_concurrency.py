"""A bid racing a suspension (decision 0052): one writer per auction, so a bid is either accepted before the
suspension (its row and event first, the suspension's time left counted after it) or refused after it
(``auction_suspended``, nothing written) — never accepted once the suspension is in."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, func, select

from ggzy.auctions import errors, service, suspension
from ggzy.auctions.models import AuctionBid
from ggzy.auctions.rules import SuspensionGround
from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.core.permissions import Principal
from ggzy.wiring import session_factory
from tests.auctions.pause_support import centre_staff
from tests.auctions.support import LISTING_START, START, make_trade, registered

AT = LISTING_START


def _setup(engine: Engine) -> tuple[int, Principal, Principal]:
    with unit_of_work(session_factory(engine)) as db:
        trade = make_trade(db)
        (bidder,) = registered(db, trade)
        return trade.auction.id, bidder, centre_staff(db, trade)


def _bid(engine: Engine, bidder: Principal, auction_id: int) -> object:
    try:
        with unit_of_work(session_factory(engine)) as db:
            return service.place_bid(db, bidder, auction_id=auction_id, amount_fen=START, client_bid_id="x", now=AT)
    except errors.AuctionSuspended as refused:
        return refused


def _suspend(engine: Engine, staff: Principal, auction_id: int) -> None:
    with unit_of_work(session_factory(engine)) as db:
        suspension.suspend_auction(
            db, staff, auction_id=auction_id, ground=SuspensionGround.SYSTEM_FAILURE, reason="系统故障", now=AT
        )


def _actions(engine: Engine, auction_id: int) -> list[str]:
    with unit_of_work(session_factory(engine), read_only=True) as db:
        query = (
            select(Event.action)
            .where(Event.subject_type == "auction", Event.subject_id == str(auction_id))
            .where(Event.action.in_(("auction.bid_placed", "auction.suspended")))
            .order_by(Event.id)
        )
        return list(db.scalars(query))


def _bids(engine: Engine, auction_id: int) -> int:
    with unit_of_work(session_factory(engine), read_only=True) as db:
        return db.scalar(select(func.count()).select_from(AuctionBid).where(AuctionBid.auction_id == auction_id)) or 0


def test_a_bid_waiting_behind_a_suspension_is_refused_and_writes_nothing(fresh_engine: Engine) -> None:
    auction_id, bidder, staff = _setup(fresh_engine)
    holding = session_factory(fresh_engine)()  # the suspension's transaction, open while the bid arrives
    suspension.suspend_auction(
        holding, staff, auction_id=auction_id, ground=SuspensionGround.SYSTEM_FAILURE, reason="系统故障", now=AT
    )
    holding.flush()
    outcome: dict[str, object] = {}
    racing = threading.Thread(target=lambda: outcome.update(bid=_bid(fresh_engine, bidder, auction_id)))
    racing.start()
    time.sleep(0.5)
    assert racing.is_alive(), "the bid must wait for the one writer"
    holding.commit()
    holding.close()
    racing.join(20)
    assert isinstance(outcome["bid"], errors.AuctionSuspended), outcome
    assert _bids(fresh_engine, auction_id) == 0
    assert _actions(fresh_engine, auction_id) == ["auction.suspended"]


def test_a_suspension_waiting_behind_a_bid_comes_after_it(fresh_engine: Engine) -> None:
    auction_id, bidder, staff = _setup(fresh_engine)
    holding = session_factory(fresh_engine)()  # the bid's transaction, open while the suspension arrives
    service.place_bid(holding, bidder, auction_id=auction_id, amount_fen=START, client_bid_id="x", now=AT)
    holding.flush()
    racing = threading.Thread(target=lambda: _suspend(fresh_engine, staff, auction_id))
    racing.start()
    time.sleep(0.5)
    assert racing.is_alive(), "the suspension must wait for the one writer"
    holding.commit()
    holding.close()
    racing.join(20)
    assert _bids(fresh_engine, auction_id) == 1
    assert _actions(fresh_engine, auction_id) == ["auction.bid_placed", "auction.suspended"]


def _race(engine: Engine) -> tuple[int, object]:
    """A bid and a suspension released at one instant; the bid's outcome."""
    auction_id, bidder, staff = _setup(engine)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def bidding() -> None:
        barrier.wait()
        outcome["bid"] = _bid(engine, bidder, auction_id)

    def suspending() -> None:
        barrier.wait()
        _suspend(engine, staff, auction_id)

    threads = [threading.Thread(target=bidding), threading.Thread(target=suspending)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return auction_id, outcome["bid"]


def test_a_bid_and_a_suspension_at_one_instant_are_one_before_the_other(fresh_engine: Engine) -> None:
    for _ in range(3):
        auction_id, outcome = _race(fresh_engine)
        actions = _actions(fresh_engine, auction_id)
        if isinstance(outcome, errors.AuctionSuspended):  # refused after: nothing of it
            assert actions == ["auction.suspended"]
            assert _bids(fresh_engine, auction_id) == 0
        else:  # accepted before: its row and event precede the suspension
            assert isinstance(outcome, service.PlacedBid), outcome
            assert actions == ["auction.bid_placed", "auction.suspended"]
            assert _bids(fresh_engine, auction_id) == 1
