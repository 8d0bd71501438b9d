"""The registry's entries and the pure rules of rights trades (decision 0049), without a database."""

from __future__ import annotations

from datetime import timedelta

from ggzy.auctions import rules
from ggzy.auctions.rules import AUCTION, JUDICIAL, LISTING, Method, Phase, ReserveRule, Status, TradeKind
from ggzy.core.periods import registered_periods
from tests.conftest import TEST_NOW


def test_each_kind_of_trade_is_an_entry_of_the_registry_not_a_branch() -> None:
    assert rules.rules_for(TradeKind.LAND, Method.LISTING) is LISTING
    assert rules.rules_for(TradeKind.MINING, Method.AUCTION) is AUCTION
    assert rules.rules_for(TradeKind.PROPERTY, Method.LISTING) is LISTING
    assert rules.rules_for(TradeKind.JUDICIAL, Method.AUCTION) is JUDICIAL
    assert rules.rules_for(TradeKind.JUDICIAL, Method.LISTING) is None  # 网络司法拍卖规定 第2条: by auction


def test_the_reserve_is_sealed_under_拍卖法第28条_and_is_the_start_price_under_规定第10条() -> None:
    assert LISTING.reserve is ReserveRule.SEALED
    assert AUCTION.reserve is ReserveRule.SEALED
    assert "拍卖法 第二十八条" in AUCTION.reserve_source
    assert JUDICIAL.reserve is ReserveRule.START_PRICE
    assert "第十条" in JUDICIAL.reserve_source


def test_every_period_is_declared_with_its_source() -> None:
    periods = {period.key: period for period in registered_periods()}
    assert periods["auction.auction_notice"].length == 7
    assert periods["auction.auction_notice"].article == "拍卖法 第四十五条"
    assert periods["auction.viewing"].length == 2
    assert periods["auction.viewing"].article == "拍卖法 第四十八条"
    assert periods["auction.judicial_notice"].length == 30
    assert "第十二条" in periods["auction.judicial_notice"].article
    # the land and property listing's numbers are the centre's rules: data, no article claimed
    assert periods["auction.listing_notice"].length == 20
    assert periods["auction.listing_period"].length == 10
    assert periods["auction.listing_notice"].article == rules.CENTRE_RULES


def test_timed_bidding_countdown_of_4_minutes_is_reset_by_every_bid() -> None:
    countdown = rules.TIMED_BIDDING.countdown
    ends = TEST_NOW + timedelta(minutes=4)
    for seconds in (1, 100, 239):
        bid_at = ends - timedelta(minutes=4) + timedelta(seconds=seconds)
        assert countdown.end_after(ends, bid_at) == bid_at + timedelta(minutes=4)


def test_a_judicial_bid_in_the_last_5_minutes_extends_the_bidding_by_5_minutes_规定第20条() -> None:
    extension = JUDICIAL.extension
    assert extension is not None
    assert extension.minutes == 5
    closes = TEST_NOW
    early = closes - timedelta(minutes=5, milliseconds=1)
    assert extension.end_after(closes, early) == closes  # outside the last five minutes: no extension
    late = closes - timedelta(minutes=1)
    assert extension.end_after(closes, late) == late + timedelta(minutes=5)


def test_phase_comes_from_the_clock_and_a_timed_phase_needs_two_plates() -> None:
    state = rules.Clocked(
        status=Status.PUBLISHED, bidding_start=TEST_NOW, closes_at=TEST_NOW + timedelta(days=10), timed_requests=1,
        timed_closes_at=None,
    )  # fmt: skip
    assert rules.phase(LISTING, state, TEST_NOW - timedelta(seconds=1)) is Phase.NOTICE
    assert rules.phase(LISTING, state, TEST_NOW) is Phase.BIDDING
    assert rules.phase(LISTING, state, state.closes_at) is Phase.ENDED  # one plate asked: no timed bidding
    two = rules.Clocked(**{**state.__dict__, "timed_requests": 2})
    assert rules.phase(LISTING, two, state.closes_at) is Phase.TIMED
    assert rules.phase(LISTING, two, state.closes_at + timedelta(minutes=4)) is Phase.ENDED


def test_the_highest_bid_sells_at_or_above_the_reserve_拍卖法第50条_第51条() -> None:
    assert rules.outcome(highest_fen=None, reserve_fen=None) is rules.Outcome.NO_BIDS
    assert rules.outcome(highest_fen=99, reserve_fen=100) is rules.Outcome.BELOW_RESERVE
    assert rules.outcome(highest_fen=100, reserve_fen=100) is rules.Outcome.SOLD
    assert rules.outcome(highest_fen=1, reserve_fen=None) is rules.Outcome.SOLD
