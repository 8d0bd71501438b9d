"""Rights trades through their services, on SQLite and PostgreSQL (decision 0049): every rule with its source, and
every refusal leaving no row and no event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.auctions import errors, reserve, service, state
from ggzy.auctions.models import AuctionBid, AuctionRegistration
from ggzy.auctions.rules import Method, Phase, TradeKind
from ggzy.core.events import events_for
from ggzy.crypto.errors import DecryptionFailed
from tests.auctions.support import (
    AUCTION_END,
    AUCTION_START,
    JUDICIAL_END,
    JUDICIAL_START,
    LISTING_END,
    LISTING_START,
    RESERVE,
    START,
    STEP,
    VIEWING,
    bid,
    counts,
    make_trade,
    paid_bidder,
    registered,
    seal_reserve_envelope,
)
from tests.conftest import TEST_NOW

DURING = LISTING_START + timedelta(days=1)
MS = timedelta(milliseconds=1)


def _refused_publication(
    db: Session, kind: TradeKind, method: Method, **schedule: object
) -> errors.ScheduleBreaksRules:
    trade = make_trade(db, kind=kind, method=method, publish=False, **schedule)  # type: ignore[arg-type]
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.ScheduleBreaksRules) as refused:
        service.publish_auction(db, trade.seller, auction_id=trade.auction.id, now=TEST_NOW)
    assert counts(db, trade.auction.id) == before
    return refused.value


# --- the schedules ---------------------------------------------------------------------------------------------------


def test_a_listing_notice_comes_at_least_20_days_before_the_listing_starts_centre_rules(db: Session) -> None:
    refused = _refused_publication(
        db, TradeKind.LAND, Method.LISTING, bidding_start=TEST_NOW + timedelta(days=19),
        bidding_end=TEST_NOW + timedelta(days=40),
    )  # fmt: skip
    assert refused.field == "bidding_start"
    assert "20" in refused.detail_zh
    assert make_trade(db).auction.status == "published"  # 21 days: published


def test_a_listing_lasts_at_least_10_days_centre_rules(db: Session) -> None:
    refused = _refused_publication(
        db, TradeKind.MINING, Method.LISTING, bidding_start=LISTING_START, bidding_end=LISTING_START + timedelta(days=9)
    )
    assert refused.field == "bidding_end"
    assert "10" in refused.detail_en


def test_an_auction_notice_comes_7_days_before_the_auction_拍卖法第45条(db: Session) -> None:
    refused = _refused_publication(
        db, TradeKind.LAND, Method.AUCTION, bidding_start=TEST_NOW + timedelta(days=6),
        bidding_end=TEST_NOW + timedelta(days=6, hours=1),
    )  # fmt: skip
    assert "拍卖法 第四十五条" in refused.detail_zh
    assert make_trade(db, method=Method.AUCTION).auction.status == "published"


def test_the_lot_is_viewed_at_least_two_days_before_the_auction_拍卖法第48条(db: Session) -> None:
    refused = _refused_publication(
        db, TradeKind.PROPERTY, Method.AUCTION, viewing_start=VIEWING[0], viewing_end=VIEWING[0] + timedelta(days=1)
    )
    assert "拍卖法 第四十八条" in refused.detail_zh
    refused = _refused_publication(
        db, TradeKind.PROPERTY, Method.AUCTION, viewing_start=VIEWING[0], viewing_end=AUCTION_START + timedelta(hours=1)
    )
    assert refused.field == "viewing_end"  # the viewing comes before the auction


def test_a_judicial_auction_is_noticed_30_days_before_and_bids_for_24_hours_规定第12条_第20条(db: Session) -> None:
    refused = _refused_publication(
        db, TradeKind.JUDICIAL, Method.AUCTION, bidding_start=TEST_NOW + timedelta(days=29),
        bidding_end=TEST_NOW + timedelta(days=30),
    )  # fmt: skip
    assert "第十二条" in refused.detail_zh
    refused = _refused_publication(
        db, TradeKind.JUDICIAL, Method.AUCTION, bidding_end=JUDICIAL_START + timedelta(hours=23, minutes=59)
    )
    assert "24" in refused.detail_en
    assert "第二十条" in refused.detail_zh


def test_judicial_trades_are_not_listed_and_have_no_sealed_reserve_规定第10条(db: Session) -> None:
    with pytest.raises(errors.NoRulesForTrade):
        make_trade(db, kind=TradeKind.JUDICIAL, method=Method.LISTING)
    trade = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    with pytest.raises(errors.ReserveNotSealedHere):
        reserve.seal_reserve(db, trade.seller, auction_id=trade.auction.id, envelope=b"x", now=TEST_NOW)


# --- registration -----------------------------------------------------------------------------------------------


def test_a_bidder_without_a_paid_deposit_gets_no_plate_规定第17条_第18条(db: Session) -> None:
    trade = make_trade(db)
    unpaid = paid_bidder(db, trade, pay=False)
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.DepositNotPaid) as refused:
        service.register_bidder(db, unpaid, auction_id=trade.auction.id, now=TEST_NOW)
    assert refused.value.status == 409
    assert counts(db, trade.auction.id) == before
    assert db.scalar(select(AuctionRegistration).where(AuctionRegistration.auction_id == trade.auction.id)) is None


def test_an_entity_on_a_joint_punishment_list_is_intercepted_at_the_auctions_registration(db: Session) -> None:
    """信用拦截 (decision 0040) at 竞买登记: a restriction of every trade (a joint-punishment list) bars the plate;
    nothing is registered, and the interception is counted under its own checkpoint. A 招标投标法 第五十三条
    suspension (the tendering law's trades) does not bar a rights trade."""
    from ggzy.core.screening import Checkpoint
    from ggzy.credit import service as credit
    from ggzy.credit.rules import CreditIntercepted
    from ggzy.entities.service import get_entity
    from tests.credit.support import csv_list, supervisor, suspend

    trade = make_trade(db)
    listed, suspended = paid_bidder(db, trade), paid_bidder(db, trade)
    code = get_entity(db, listed.entity_id or 0).credit_code
    credit.import_list(
        db, supervisor(db), source="信用中国", published_on=TEST_NOW.date(),
        content=csv_list((code, "失信企业", "失信被执行人", "2026-01-01", "")), now=TEST_NOW,
    )  # fmt: skip
    suspend(db, get_entity(db, suspended.entity_id or 0).credit_code)
    before = counts(db, trade.auction.id), credit.interception_counts(db)["auction_registration"]
    with pytest.raises(CreditIntercepted) as refused:
        service.register_bidder(db, listed, auction_id=trade.auction.id, now=TEST_NOW)
    assert refused.value.status == 403
    assert db.scalar(select(AuctionRegistration).where(AuctionRegistration.entity_id == listed.entity_id)) is None
    refused.value.record_after_rollback(db)  # type: ignore[attr-defined]  # what the unit of work does
    assert credit.interception_counts(db)[Checkpoint.AUCTION_REGISTRATION.value] == before[1] + 1
    assert counts(db, trade.auction.id) == before[0]
    assert service.register_bidder(db, suspended, auction_id=trade.auction.id, now=TEST_NOW).plate


def test_a_plate_whose_bidder_is_listed_after_registering_is_intercepted_at_its_bid(db: Session) -> None:
    """信用拦截 at each bid (decision 0040): a restriction of every trade imposed after the plate was given bars the
    bids that follow; nothing is recorded, the interception is counted at 竞买报价 under the trade's round, which
    the supervisors of its project's jurisdiction read."""
    from ggzy.core.screening import Checkpoint
    from ggzy.credit import service as credit
    from ggzy.credit.models import CreditInterception
    from ggzy.credit.rules import CreditIntercepted
    from ggzy.entities.service import get_entity
    from tests.credit.support import csv_list, supervisor

    trade = make_trade(db)
    (listed,) = registered(db, trade, 1)
    code = get_entity(db, listed.entity_id or 0).credit_code
    credit.import_list(
        db, supervisor(db), source="信用中国", published_on=TEST_NOW.date(),
        content=csv_list((code, "失信企业", "失信被执行人", "2026-01-01", "")), now=TEST_NOW,
    )  # fmt: skip
    before = counts(db, trade.auction.id), credit.interception_counts(db).get(Checkpoint.AUCTION_BID.value, 0)
    with pytest.raises(CreditIntercepted) as refused:
        bid(db, trade, listed, START, DURING)
    assert counts(db, trade.auction.id) == before[0]
    refused.value.record_after_rollback(db)  # type: ignore[attr-defined]  # what the unit of work does
    assert credit.interception_counts(db)[Checkpoint.AUCTION_BID.value] == before[1] + 1
    row = db.scalar(select(CreditInterception).order_by(CreditInterception.id.desc()).limit(1))
    assert row is not None
    assert (row.subject_type, row.subject_id) == ("tender", str(trade.auction.tender_id))


def test_plates_are_random_unique_and_asking_again_gives_the_same_plate(db: Session) -> None:
    trade = make_trade(db)
    first, second = registered(db, trade, 2)
    plate = service.register_bidder(db, first, auction_id=trade.auction.id, now=TEST_NOW).plate
    other = service.register_bidder(db, second, auction_id=trade.auction.id, now=TEST_NOW).plate
    assert plate != other
    assert len(plate) == service.PLATE_LENGTH
    assert set(plate) <= set(service.PLATE_ALPHABET)
    assert counts(db, trade.auction.id)[1] == 2 + 2  # created, published, two registrations: no more on asking again


def test_the_seller_and_its_agent_may_not_bid_拍卖法第30条(db: Session) -> None:
    trade = make_trade(db)
    with pytest.raises(errors.SellerCannotBid):
        service.register_bidder(db, trade.seller, auction_id=trade.auction.id, now=TEST_NOW)


# --- bids ------------------------------------------------------------------------------------------------------------


def test_the_first_bid_is_at_least_the_start_price_规定第20条(db: Session) -> None:
    trade = make_trade(db)
    (bidder,) = registered(db, trade)
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.BidTooLow) as refused:
        bid(db, trade, bidder, START - STEP, DURING)
    assert refused.value.problem()["minimum_fen"] == START
    assert counts(db, trade.auction.id) == before  # a refused bid: no row, no event
    placed = bid(db, trade, bidder, START, DURING)
    assert placed.bid.sequence == 1  # type: ignore[attr-defined]


def test_a_bid_is_at_least_the_current_price_plus_the_increment_in_whole_increments(db: Session) -> None:
    trade = make_trade(db)
    first, second = registered(db, trade, 2)
    bid(db, trade, first, START + STEP, DURING)
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.BidTooLow) as refused:
        bid(db, trade, second, START + STEP, DURING)  # the same price again
    problem = refused.value.problem()
    assert problem["current_price_fen"] == START + STEP
    assert problem["minimum_fen"] == START + 2 * STEP
    with pytest.raises(errors.BidNotInIncrements):
        bid(db, trade, second, START + 2 * STEP + 1, DURING)
    assert counts(db, trade.auction.id) == before
    bid(db, trade, second, START + 3 * STEP, DURING)
    assert trade.auction.current_price_fen == START + 3 * STEP


def test_a_bid_one_millisecond_after_the_end_is_refused_with_the_servers_time(db: Session) -> None:
    trade = make_trade(db)
    (bidder,) = registered(db, trade)
    bid(db, trade, bidder, START, LISTING_END - MS)  # the last millisecond is still in time
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.BiddingClosed) as refused:
        bid(db, trade, bidder, START + STEP, LISTING_END + MS)
    problem = refused.value.problem()
    assert problem["status"] == 409
    assert problem["server_time"] == (LISTING_END + MS).isoformat(timespec="milliseconds")
    assert problem["closes_at"] == LISTING_END.isoformat(timespec="milliseconds")
    assert counts(db, trade.auction.id) == before


def test_a_bid_before_the_listing_starts_or_by_no_plate_is_refused(db: Session) -> None:
    trade = make_trade(db)
    (bidder,) = registered(db, trade)
    stranger = paid_bidder(db, trade)
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.AuctionPhaseWrong):
        bid(db, trade, bidder, START, LISTING_START - MS)
    with pytest.raises(errors.NotRegistered):
        bid(db, trade, stranger, START, DURING)
    assert counts(db, trade.auction.id) == before


def test_a_replayed_bid_is_answered_with_the_same_bid_and_never_changed_拍卖法第36条(db: Session) -> None:
    trade = make_trade(db)
    (bidder,) = registered(db, trade)
    first = bid(db, trade, bidder, START, DURING, client_id="c-1")
    before = counts(db, trade.auction.id)
    again = bid(db, trade, bidder, START, DURING + timedelta(seconds=5), client_id="c-1")
    assert again.replayed
    assert again.bid.id == first.bid.id
    with pytest.raises(errors.BidReplayDiffers):  # a bid once made is not withdrawn nor changed
        bid(db, trade, bidder, START + STEP, DURING, client_id="c-1")
    assert counts(db, trade.auction.id) == before


def test_a_lower_bid_stands_once_made_拍卖法第36条(db: Session) -> None:
    """第36条: a bid once made is not withdrawn; it only loses its force when another bids higher. The service has
    no withdrawal, and every accepted bid stays in the history."""
    trade = make_trade(db)
    first, second = registered(db, trade, 2)
    bid(db, trade, first, START, DURING)
    bid(db, trade, second, START + STEP, DURING)
    assert [row.amount_fen for row in service.bids_of(db, trade.auction.id)] == [START, START + STEP]
    assert not hasattr(service, "withdraw_bid")


# --- the reserve ---------------------------------------------------------------------------------------------------


def test_the_reserve_is_sealed_by_its_holder_only_before_the_bidding_starts_and_kept_secret_拍卖法第28条(
    db: Session,
) -> None:
    trade = make_trade(db)
    sealed = seal_reserve_envelope(db, trade, RESERVE)
    auction_id = trade.auction.id
    before = counts(db, auction_id)
    with pytest.raises(errors.NotTheReserveHolder):
        reserve.seal_reserve(db, trade.seller, auction_id=auction_id, envelope=sealed.envelope, now=TEST_NOW)
    assert trade.holder is not None
    with pytest.raises(errors.AuctionPhaseWrong):
        reserve.seal_reserve(db, trade.holder, auction_id=auction_id, envelope=sealed.envelope, now=LISTING_END)
    other = seal_reserve_envelope(db, trade, RESERVE, lot_code="AUCTION-999-RESERVE")
    with pytest.raises(errors.ReserveEnvelopeWrong):
        reserve.seal_reserve(db, trade.holder, auction_id=auction_id, envelope=other.envelope, now=TEST_NOW)
    with pytest.raises(errors.ReserveSealingClosed) as bidding:  # review M3: not once bids can be seen
        reserve.seal_reserve(db, trade.holder, auction_id=auction_id, envelope=sealed.envelope, now=LISTING_START)
    assert bidding.value.problem()["code"] == "auction_reserve_sealing_closed"
    assert counts(db, auction_id) == before
    assert trade.auction.reserve_sealed_at is None
    reserve.seal_reserve(db, trade.holder, auction_id=auction_id, envelope=sealed.envelope, now=LISTING_START - MS)
    assert trade.auction.reserve_fen is None  # stored sealed: ciphertext and digest
    assert str(RESERVE).encode() not in (trade.auction.reserve_ciphertext or b"")
    assert trade.auction.reserve_sha256 is not None
    assert len(trade.auction.reserve_sha256) == 64
    with pytest.raises(errors.ReserveAlreadySealed):
        reserve.seal_reserve(db, trade.holder, auction_id=auction_id, envelope=sealed.envelope, now=DURING)


def test_the_reserve_is_opened_only_at_the_end_and_only_with_its_key(db: Session) -> None:
    trade = make_trade(db)
    assert trade.holder is not None
    sealed = seal_reserve_envelope(db, trade, RESERVE)
    reserve.seal_reserve(db, trade.holder, auction_id=trade.auction.id, envelope=sealed.envelope, now=TEST_NOW)
    with pytest.raises(errors.AuctionPhaseWrong):
        reserve.open_reserve(db, trade.holder, auction_id=trade.auction.id, data_key=sealed.data_key, now=DURING)
    after = LISTING_END + MS
    with pytest.raises(DecryptionFailed):
        reserve.open_reserve(db, trade.holder, auction_id=trade.auction.id, data_key=b"k" * 32, now=after)
    with pytest.raises(errors.ReserveNotOpened):
        service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=after)
    reserve.open_reserve(db, trade.holder, auction_id=trade.auction.id, data_key=sealed.data_key, now=after)
    assert trade.auction.reserve_fen == RESERVE


# --- the close -------------------------------------------------------------------------------------------------------


def _sealed(db: Session, reserve_fen: int = RESERVE):  # type: ignore[no-untyped-def]
    trade = make_trade(db)
    assert trade.holder is not None
    sealed = seal_reserve_envelope(db, trade, reserve_fen)
    reserve.seal_reserve(db, trade.holder, auction_id=trade.auction.id, envelope=sealed.envelope, now=TEST_NOW)
    return trade, sealed


def _close(db: Session, trade, sealed, at):  # type: ignore[no-untyped-def]
    reserve.open_reserve(db, trade.holder, auction_id=trade.auction.id, data_key=sealed.data_key, now=at)
    return service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=at)


def test_one_bidder_at_or_above_the_reserve_buys_at_the_listings_end(db: Session) -> None:
    trade, sealed = _sealed(db)
    (bidder,) = registered(db, trade)
    bid(db, trade, bidder, RESERVE, DURING)
    with pytest.raises(errors.AuctionPhaseWrong):  # not before the end
        service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=LISTING_END - MS)
    closed = _close(db, trade, sealed, LISTING_END)
    assert (closed.status, closed.outcome, closed.current_price_fen) == ("sold", "sold", RESERVE)


def test_a_reserve_beyond_any_bid_opens_as_unreachable_and_the_trade_fails_not_bricked(db: Session) -> None:
    """Review M3: a sealed 10³⁰-fen reserve crashed the opening (OverflowError) and, as it cannot be sealed again, left
    the trade unclosable. It opens as unreachable (recorded, the sealed figure kept as text) and the close fails."""
    trade, sealed = _sealed(db, 10**30)
    (bidder,) = registered(db, trade)
    bid(db, trade, bidder, RESERVE, DURING)
    closed = _close(db, trade, sealed, LISTING_END)
    assert (closed.status, closed.outcome, closed.reserve_fen) == ("failed", "below_reserve", 10**15 + 1)
    opened = next(
        e for e in reversed(events_for(db, "auction", trade.auction.id)) if e.action == "auction.reserve_opened"
    )
    assert json.loads(opened.payload) == {
        "reserve_fen": 10**15 + 1,
        "sealed_reserve_fen": str(10**30),
        "unreachable": True,
    }


def test_the_highest_bid_below_the_reserve_fails_the_trade_拍卖法第50条(db: Session) -> None:
    trade, sealed = _sealed(db)
    (bidder,) = registered(db, trade)
    bid(db, trade, bidder, RESERVE - STEP, DURING)
    closed = _close(db, trade, sealed, LISTING_END)
    assert (closed.status, closed.outcome) == ("failed", "below_reserve")


def test_two_plates_asking_go_on_to_timed_bidding_reset_by_each_bid_and_the_highest_at_expiry_buys(
    db: Session,
) -> None:
    trade, sealed = _sealed(db)
    first, second, third = registered(db, trade, 3)
    auction_id = trade.auction.id
    bid(db, trade, first, START, DURING)
    for bidder in (first, second):
        service.request_timed_bidding(db, bidder, auction_id=auction_id, now=DURING)
    assert state.phase_of(trade.auction, LISTING_END) is Phase.TIMED
    assert state.bidding_ends_at(trade.auction, LISTING_END) == LISTING_END + timedelta(minutes=4)
    with pytest.raises(errors.NotInTimedBidding):  # it did not ask to go on
        bid(db, trade, third, START + STEP, LISTING_END + timedelta(minutes=1))
    at = LISTING_END + timedelta(minutes=3)
    placed = bid(db, trade, second, START + STEP, at)
    assert placed.ends_at == at + timedelta(minutes=4)  # type: ignore[attr-defined]  # reset by the bid
    at2 = at + timedelta(minutes=3, seconds=59)
    bid(db, trade, first, RESERVE, at2)
    expiry = at2 + timedelta(minutes=4)
    with pytest.raises(errors.BiddingClosed):
        bid(db, trade, second, RESERVE + STEP, expiry + MS)
    assert state.phase_of(trade.auction, expiry) is Phase.ENDED
    closed = _close(db, trade, sealed, expiry)
    assert (closed.status, closed.current_price_fen) == ("sold", RESERVE)
    assert closed.current_plate == service.registration_of(db, auction_id=auction_id, entity_id=first.entity_id).plate  # type: ignore[arg-type,union-attr]
    phases = [row.phase for row in db.scalars(select(AuctionBid).where(AuctionBid.auction_id == auction_id))]
    assert phases == ["bidding", "timed", "timed"]


def test_a_judicial_bid_in_the_last_five_minutes_extends_the_bidding_and_one_bidder_buys_规定第11条_第20条(
    db: Session,
) -> None:
    trade = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    (bidder,) = registered(db, trade)
    late = JUDICIAL_END - timedelta(minutes=2)
    placed = bid(db, trade, bidder, START, late)
    assert placed.ends_at == late + timedelta(minutes=5)  # type: ignore[attr-defined]
    assert state.phase_of(trade.auction, JUDICIAL_END + timedelta(minutes=1)) is Phase.BIDDING
    closed = service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=late + timedelta(minutes=5))
    assert (closed.status, closed.current_price_fen) == ("sold", START)  # one bidder at the start price: sold


def test_a_judicial_auction_without_bids_fails_规定第26条(db: Session) -> None:
    trade = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    closed = service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=JUDICIAL_END)
    assert (closed.status, closed.outcome) == ("failed", "no_bids")


def test_an_auction_is_sold_when_its_countdown_runs_out_拍卖法第51条(db: Session) -> None:
    trade = make_trade(db, method=Method.AUCTION)
    (bidder,) = registered(db, trade)
    late = AUCTION_END - timedelta(minutes=1)
    placed = bid(db, trade, bidder, START, late)
    assert placed.ends_at == late + timedelta(minutes=4)  # type: ignore[attr-defined]
    with pytest.raises(errors.AuctionPhaseWrong):
        service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=AUCTION_END)
    closed = service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=late + timedelta(minutes=4))
    assert closed.status == "sold"  # no reserve sealed: the highest bid at the hammer
