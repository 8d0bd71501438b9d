"""One writer per auction (decision 0049): bids placed at the same instant by separate sessions are taken one after
the other — exactly one wins at a price, the others are told the new price; sequences are strictly increasing, none
lost, none doubled.

The guard is the auction row's lock (``SELECT … FOR UPDATE``, ``ggzy.auctions.state._locked``). Without it, on
PostgreSQL (READ COMMITTED) the second bid reads the price before the first commits, passes its checks and then
fails on the (auction, sequence) key — an IntegrityError instead of the clear refusal — or, with the key gone, is
accepted at the same price: these tests fail either way. On SQLite every writing transaction already takes the
database's write lock at ``BEGIN IMMEDIATE`` (``ggzy.core.db.make_engine``), which serializes the bids by itself: the
row lock is a no-op there, and the tests prove the serialization holds.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, func, select

from ggzy.auctions import errors, service
from ggzy.auctions.models import AuctionBid
from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.core.permissions import Principal
from ggzy.wiring import session_factory
from tests.auctions.support import LISTING_START, START, STEP, make_trade, registered

AT = LISTING_START  # every bid at the same instant by the server's clock


def _setup(engine: Engine, bidders: int) -> tuple[int, list[Principal]]:
    with unit_of_work(session_factory(engine)) as db:
        trade = make_trade(db)
        plates = registered(db, trade, bidders)
        return trade.auction.id, plates


def _bid(engine: Engine, bidder: Principal, auction_id: int, amount: int, name: str) -> object:
    try:
        with unit_of_work(session_factory(engine)) as db:
            placed = service.place_bid(db, bidder, auction_id=auction_id, amount_fen=amount, client_bid_id=name, now=AT)
            return placed.bid.sequence
    except errors.BidTooLow as refused:
        return refused


def _accepted(engine: Engine, auction_id: int) -> list[tuple[int, int]]:
    with unit_of_work(session_factory(engine), read_only=True) as db:
        rows = db.execute(
            select(AuctionBid.sequence, AuctionBid.amount_fen)
            .where(AuctionBid.auction_id == auction_id)
            .order_by(AuctionBid.sequence)
        )
        return [(sequence, amount) for sequence, amount in rows]


def _bid_events(engine: Engine, auction_id: int) -> int:
    with unit_of_work(session_factory(engine), read_only=True) as db:
        query = select(func.count()).where(
            Event.action == "auction.bid_placed", Event.subject_type == "auction", Event.subject_id == str(auction_id)
        )
        return db.scalar(query) or 0


def test_the_second_of_two_simultaneous_bids_waits_for_the_first_and_is_told_its_price(fresh_engine: Engine) -> None:
    auction_id, (first, second) = _setup(fresh_engine, 2)
    factory = session_factory(fresh_engine)
    holding = factory()  # the first bid's transaction, kept open while the second arrives
    service.place_bid(holding, first, auction_id=auction_id, amount_fen=START, client_bid_id="a", now=AT)
    holding.flush()
    outcome: dict[str, object] = {}
    second_bid = threading.Thread(target=lambda: outcome.update(b=_bid(fresh_engine, second, auction_id, START, "b")))
    second_bid.start()
    time.sleep(0.5)
    assert second_bid.is_alive(), "the second bid must wait for the one writer"
    holding.commit()
    holding.close()
    second_bid.join(20)
    refused = outcome["b"]
    assert isinstance(refused, errors.BidTooLow), refused
    assert refused.problem()["current_price_fen"] == START  # told the new price
    assert _accepted(fresh_engine, auction_id) == [(1, START)]
    assert _bid_events(fresh_engine, auction_id) == 1


def test_many_bids_at_one_instant_are_strictly_ordered_none_lost_none_doubled(fresh_engine: Engine) -> None:
    count = 8
    auction_id, bidders = _setup(fresh_engine, count)
    outcomes: list[object] = [None] * count

    def race(amounts: list[int], round_name: str) -> None:
        barrier = threading.Barrier(count)

        def run(index: int) -> None:
            barrier.wait()
            outcomes[index] = _bid(fresh_engine, bidders[index], auction_id, amounts[index], f"{round_name}{index}")

        threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    race([START] * count, "same-")  # everyone at the start price: exactly one wins
    winners = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert winners == [1], outcomes
    assert all(isinstance(outcome, errors.BidTooLow) for outcome in outcomes if not isinstance(outcome, int))
    amounts = [START + (index + 1) * STEP for index in range(count)]  # then distinct prices, all at once
    race(amounts, "up-")
    assert all(isinstance(outcome, int | errors.BidTooLow) for outcome in outcomes), outcomes
    accepted = _accepted(fresh_engine, auction_id)
    sequences = [sequence for sequence, _ in accepted]
    assert sequences == list(range(1, len(accepted) + 1))  # strictly increasing, no gap, no double
    prices = [amount for _, amount in accepted]
    assert prices == sorted(set(prices))  # each accepted bid above the one before
    accepted_now = sum(isinstance(outcome, int) for outcome in outcomes)
    assert len(accepted) == 1 + accepted_now  # every acceptance reported is a row; nothing else is
    assert _bid_events(fresh_engine, auction_id) == len(accepted)
