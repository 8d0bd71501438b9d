"""No one holds the bidders' money by never closing (decision 0053, security review M6), on SQLite and PostgreSQL.

The deposits the end of the bidding decided go back without waiting for the seller's close (网络司法拍卖规定 第二十三条:
其他竞买人交纳的保证金应当在竞价程序结束后二十四小时内退还 — counted from the end of the bidding), ordered by the
seller's side, the centre's staff or a plate of the trade; the highest plate's deposit waits for the result. Once the
other bidders' deposits were due back, the centre's staff may close a trade the seller left open; a reserve its holder
never opened by then cannot be shown to be reached, so the highest bid has no effect (拍卖法 第五十条) and every
deposit goes back."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ggzy.app import create_app
from ggzy.auctions import errors, reserve, service
from ggzy.auctions.models import Auction
from ggzy.auctions.rules import RIGHTS_REFUND, Method, TradeKind, china_day
from ggzy.config import Settings
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.db import unit_of_work
from ggzy.core.events import events_for
from ggzy.core.permissions import Permission
from ggzy.finance import refund_triggers
from ggzy.wiring import session_factory
from tests.auctions.pause_support import AFTER, CAP, DURING, capped_with_plates, centre_staff, suspend
from tests.auctions.support import (
    JUDICIAL_END,
    JUDICIAL_START,
    LISTING_END,
    RESERVE,
    START,
    STEP,
    bid,
    counts,
    last_payload,
    make_trade,
    paid_bidder,
    refund_orders_by_entity,
    registered,
    seal_reserve_envelope,
)
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import event_count

RELEASABLE = AFTER + service.RELEASE_GRACE  # bids sent before the end are let in first (review M1)


def test_a_losing_plate_has_the_deposits_released_at_the_end_without_the_close_规定第二十三条(db: Session) -> None:
    trade = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    first, second, highest = registered(db, trade, 3)
    during = JUDICIAL_START + timedelta(hours=1)
    bid(db, trade, first, START, during)
    bid(db, trade, second, START + STEP, during)
    bid(db, trade, highest, START + 2 * STEP, during)
    ended = JUDICIAL_END + timedelta(minutes=5)
    service.release_deposits(db, first, auction_id=trade.auction.id, now=ended)  # a loser asks for what is owed
    orders = refund_orders_by_entity(db, trade.tender.id)
    assert set(orders) == {first.entity_id, second.entity_id}  # the highest plate's waits for the result
    assert all(rows[0].due_on == china_day(JUDICIAL_END + timedelta(hours=24)) for rows in orders.values())
    assert trade.auction.losers_released_at == ended
    assert trade.auction.closed_at is None  # not closed: only the money the end decided moved
    released = last_payload(db, trade.auction.id, "auction.deposits_released")
    assert set(released) == {"kept_plates", "deposits_due_on", "refund_source"}  # no count of the depositors
    assert released["kept_plates"] == [trade.auction.current_plate]
    assert "第二十三条" in released["refund_source"]
    service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=ended + timedelta(hours=2))
    after_close = refund_orders_by_entity(db, trade.tender.id)
    assert {entity: len(rows) for entity, rows in after_close.items()} == {first.entity_id: 1, second.entity_id: 1}
    assert trade.auction.outcome == "sold"  # the buyer's deposit kept, set against the price


def test_a_release_before_the_end_twice_or_by_a_stranger_is_refused_and_writes_nothing(db: Session) -> None:
    trade = make_trade(db)
    first, second = registered(db, trade, 2)
    bid(db, trade, first, START, DURING)
    bid(db, trade, second, START + STEP, DURING)
    stranger = paid_bidder(db, make_trade(db))  # a bidder of another trade
    before = (counts(db, trade.auction.id), event_count(db), len(refund_orders_by_entity(db, trade.tender.id)))
    with pytest.raises(errors.AuctionPhaseWrong):
        service.release_deposits(db, first, auction_id=trade.auction.id, now=DURING)
    with pytest.raises(errors.NotTheSellerNorBidder) as stranger_refused:
        service.release_deposits(db, stranger, auction_id=trade.auction.id, now=RELEASABLE)
    assert stranger_refused.value.problem()["status"] == 403
    assert (counts(db, trade.auction.id), event_count(db), len(refund_orders_by_entity(db, trade.tender.id))) == before
    staff = centre_staff(db, trade, Permission.AUCTION_RELEASE)
    service.release_deposits(db, staff, auction_id=trade.auction.id, now=RELEASABLE)  # the centre's staff may too
    assert set(refund_orders_by_entity(db, trade.tender.id)) == {first.entity_id}
    again = (event_count(db), len(refund_triggers.refund_orders_of(db, trade.tender.id)))
    with pytest.raises(errors.DepositsAlreadyReleased) as twice:
        service.release_deposits(db, trade.seller, auction_id=trade.auction.id, now=RELEASABLE + timedelta(hours=1))
    assert twice.value.problem()["status"] == 409
    assert (event_count(db), len(refund_triggers.refund_orders_of(db, trade.tender.id))) == again


def test_the_release_waits_for_bids_on_their_way_and_no_bid_lands_after_it(db: Session) -> None:
    """Review M1 (of 0053): a bid's time is its receipt's, taken before it waits for the one writer; a release right
    at the end could refuse an on-time bid for want of its deposit, or let the highest plate bid again alone. The
    release waits a minute after the end, and once released the end is decided: no bid, whatever its time."""
    trade = make_trade(db)
    low, high = registered(db, trade, 2)
    bid(db, trade, low, START, DURING)
    bid(db, trade, high, START + STEP, DURING)
    before = (counts(db, trade.auction.id), event_count(db), len(refund_orders_by_entity(db, trade.tender.id)))
    with pytest.raises(errors.ReleaseTooEarly) as early:
        service.release_deposits(
            db, low, auction_id=trade.auction.id, now=LISTING_END + service.RELEASE_GRACE - timedelta(milliseconds=1)
        )
    assert early.value.problem()["status"] == 409
    assert (counts(db, trade.auction.id), event_count(db), len(refund_orders_by_entity(db, trade.tender.id))) == before
    assert (
        service.release_ended(db, now=LISTING_END + service.RELEASE_GRACE - timedelta(milliseconds=1)) == []
    )  # nor the beat
    service.release_deposits(db, low, auction_id=trade.auction.id, now=RELEASABLE)
    stamped_before_the_end = LISTING_END - timedelta(milliseconds=50)
    with pytest.raises(errors.BiddingClosed):  # a bid received on time but reaching the writer after the release
        bid(db, trade, high, START + 2 * STEP, stamped_before_the_end)
    with pytest.raises(errors.AuctionPhaseWrong):  # nor a suspension
        suspend(db, trade, centre_staff(db, trade), stamped_before_the_end)


def test_at_a_reached_cap_every_plate_that_accepted_it_waits_for_the_draw(db: Session) -> None:
    trade, bidders = capped_with_plates(db, 2)
    below = paid_bidder(db, trade)
    service.register_bidder(db, below, auction_id=trade.auction.id, now=DURING)
    service.release_deposits(db, below, auction_id=trade.auction.id, now=RELEASABLE)
    assert trade.auction.current_price_fen == CAP
    assert set(refund_orders_by_entity(db, trade.tender.id)) == {
        below.entity_id
    }  # the two at the cap wait for the lottery
    assert len(last_payload(db, trade.auction.id, "auction.deposits_released")["kept_plates"]) == len(bidders)


def test_the_centre_closes_a_trade_the_seller_left_and_an_unopened_reserve_fails_it_拍卖法第五十条(
    db: Session,
) -> None:
    trade = make_trade(db)
    assert trade.holder is not None
    sealed = seal_reserve_envelope(db, trade, RESERVE)
    reserve.seal_reserve(db, trade.holder, auction_id=trade.auction.id, envelope=sealed.envelope, now=TEST_NOW)
    low, high = registered(db, trade, 2)
    bid(db, trade, low, START, DURING)
    bid(db, trade, high, RESERVE + STEP, DURING)  # above the reserve, which its holder never opens
    staff = centre_staff(db, trade, Permission.AUCTION_CLOSE)
    due_on = RIGHTS_REFUND.due_on(working_day_calendar(db), LISTING_END)
    on_the_last_day = LISTING_END.replace(hour=3) + (due_on - china_day(LISTING_END))
    assert china_day(on_the_last_day) == due_on
    before = (counts(db, trade.auction.id), event_count(db), len(refund_orders_by_entity(db, trade.tender.id)))
    with pytest.raises(errors.CloseNotYetForTheCentre) as early:
        service.close_auction(db, staff, auction_id=trade.auction.id, now=on_the_last_day)  # the seller's time
    assert early.value.problem()["due_on"] == due_on.isoformat()
    with pytest.raises(errors.ReserveNotOpened):  # the seller itself still cannot close past its own reserve
        service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=on_the_last_day)
    assert (counts(db, trade.auction.id), event_count(db), len(refund_orders_by_entity(db, trade.tender.id))) == before
    service.close_auction(db, staff, auction_id=trade.auction.id, now=on_the_last_day + timedelta(days=1))
    assert trade.auction.status == "failed"
    assert trade.auction.outcome == "reserve_unopened"
    assert trade.auction.buyer_entity_id is None
    assert set(refund_orders_by_entity(db, trade.tender.id)) == {low.entity_id, high.entity_id}  # every deposit back
    closed = last_payload(db, trade.auction.id, "auction.closed")
    assert closed["closed_by"] == "centre"
    assert closed["reserve_unopened"] is True
    assert closed["reserve_fen"] is None  # still sealed: never read


def test_a_bidder_cannot_close_and_the_seller_may_close_before_the_centre_may(db: Session) -> None:
    trade = make_trade(db, kind=TradeKind.PROPERTY)
    (only,) = registered(db, trade, 1)
    bid(db, trade, only, START, DURING)
    before = event_count(db)
    with pytest.raises(errors.NotTheSeller):
        service.close_auction(db, only, auction_id=trade.auction.id, now=AFTER)
    assert event_count(db) == before
    service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=AFTER)
    assert last_payload(db, trade.auction.id, "auction.closed")["closed_by"] == "seller"


def test_the_platform_releases_at_its_beat_every_ended_trade_and_no_other(db: Session) -> None:
    """Decision 0053: the 24 hours of 规定 第二十三条 run from the end whether or not anyone clicks: the platform's
    beat releases every trade whose bidding ended (not one in bidding, suspended, closed or already released)."""
    ended, bidding, closed, released = (make_trade(db) for _ in range(4))
    for trade in (ended, bidding, closed, released):
        low, high = registered(db, trade, 2)
        bid(db, trade, low, START, DURING)
        bid(db, trade, high, START + STEP, DURING)
    suspended = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    (only,) = registered(db, suspended, 1)
    bid(db, suspended, only, START, JUDICIAL_START + timedelta(hours=1))
    suspend(db, suspended, centre_staff(db, suspended), JUDICIAL_START + timedelta(hours=2))
    at = JUDICIAL_END + timedelta(days=1)  # after every end, the suspended judicial sale's included
    bidding.auction.closes_at = at + timedelta(days=1)  # still in its bidding at ``at``
    service.close_auction(db, closed.seller, auction_id=closed.auction.id, now=AFTER)
    service.release_deposits(db, released.seller, auction_id=released.auction.id, now=RELEASABLE)
    db.flush()
    assert service.release_ended(db, now=at) == [ended.auction.id]
    assert ended.auction.losers_released_at == at
    (event,) = [e for e in events_for(db, "auction", ended.auction.id) if e.action == "auction.deposits_released"]
    assert (event.actor_user_id, event.actor_role) == (None, "platform_admin")  # the platform itself
    assert service.release_ended(db, now=at + timedelta(minutes=1)) == []  # once


def test_a_running_platform_releases_an_ended_trade_by_itself(fresh_engine: Engine, tmp_path: Path) -> None:
    """The beat runs in the server (``auction_sweep_seconds``), beside the ledger's."""
    factory = session_factory(fresh_engine)
    with unit_of_work(factory) as db:
        trade = make_trade(db)
        low, high = registered(db, trade, 2)
        bid(db, trade, low, START, DURING)
        bid(db, trade, high, START + STEP, DURING)
        auction_id, loser = trade.auction.id, low.entity_id
    settings = Settings(data_dir=tmp_path, ledger_background=True, auction_sweep_seconds=0.1)
    app = create_app(settings, engine=fresh_engine, clock=FixedClock(RELEASABLE), ledger_keys=LEDGER_KEYS)
    with TestClient(app):  # the lifespan starts the beats
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with unit_of_work(factory, read_only=True) as db:
                auction = db.get(Auction, auction_id)
                assert auction is not None
                if auction.losers_released_at is not None:
                    orders = {row.entity_id for row in refund_triggers.refund_orders_of(db, auction.tender_id)}
                    break
            time.sleep(0.1)
    assert auction.losers_released_at == RELEASABLE
    assert orders == {loser}


def test_one_trade_the_beat_cannot_release_stops_no_other(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review M2 (of 0053): each trade in a savepoint of its own; the failing one is tried again at the next beat."""
    broken, fine = make_trade(db), make_trade(db)
    for trade in (broken, fine):
        low, high = registered(db, trade, 2)
        bid(db, trade, low, START, DURING)
        bid(db, trade, high, START + STEP, DURING)
    release = service._release

    def failing(db: Session, actor: object, auction: Auction, now: object) -> None:
        if auction.id == broken.auction.id:
            raise RuntimeError("a calendar year not loaded")
        release(db, actor, auction, now)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_release", failing)
    assert service.release_ended(db, now=RELEASABLE) == [fine.auction.id]
    assert broken.auction.losers_released_at is None
    monkeypatch.setattr(service, "_release", release)
    assert service.release_ended(db, now=RELEASABLE + timedelta(minutes=1)) == [broken.auction.id]
