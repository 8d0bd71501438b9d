"""Suspension and resumption of rights trades (decision 0052), on SQLite and PostgreSQL: 宁波市公共资源交易管理条例
第二十五条 (中止交易, 及时恢复) and 最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十八条 (暂缓/中止, the reason
published, resumed within five days). While suspended nothing moves; the resumption gives every countdown back what
was left of it, to the microsecond; a late judicial resumption is a recorded violation, never a lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.auctions import cap, errors, service, state, suspension
from ggzy.auctions.models import AuctionSuspension
from ggzy.auctions.rules import Method, Phase, SuspensionGround, TradeKind
from ggzy.core.clock import as_utc
from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.permissions import Permission, Principal
from ggzy.core.violations import PeriodViolation
from tests.auctions.pause_support import centre_staff, suspend
from tests.auctions.support import (
    JUDICIAL_START,
    LISTING_END,
    LISTING_START,
    START,
    STEP,
    Trade,
    bid,
    counts,
    last_payload,
    make_trade,
    paid_bidder,
    registered,
)
from tests.conftest import TEST_NOW
from tests.factories import principal

DURING = LISTING_START + timedelta(days=1)
MS = timedelta(milliseconds=1)


def test_bids_during_a_suspension_are_refused_with_the_reason_and_since_when_and_leave_nothing(db: Session) -> None:
    trade = make_trade(db)
    (bidder,) = registered(db, trade)
    staff = centre_staff(db, trade)
    at = DURING + 123 * MS
    suspend(db, trade, staff, at, reason="电子交易系统故障，备用方案无法弥补")
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.AuctionSuspended) as refused:
        bid(db, trade, bidder, START, DURING + timedelta(hours=1))
    problem = refused.value.problem()
    assert problem["code"] == "auction_suspended"
    assert problem["reason"] == "电子交易系统故障，备用方案无法弥补"
    assert problem["suspended_since"] == as_utc(at).isoformat(timespec="milliseconds")
    assert counts(db, trade.auction.id) == before  # no row, no event
    # the clock is frozen: long after the listing's published end the trade is still suspended, not ended
    assert state.phase_of(trade.auction, LISTING_END + timedelta(days=3)) is Phase.SUSPENDED
    with pytest.raises(errors.AuctionSuspended):
        service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=LISTING_END + timedelta(days=3))
    with pytest.raises(errors.AuctionSuspended):  # nor a new plate
        service.register_bidder(db, paid_bidder(db, trade), auction_id=trade.auction.id, now=DURING)
    assert counts(db, trade.auction.id) == before


def test_the_suspension_records_its_ground_source_reason_and_the_time_left(db: Session) -> None:
    trade = make_trade(db)
    at = DURING + 123 * MS
    row = suspend(db, trade, centre_staff(db, trade), at)
    assert isinstance(row, AuctionSuspension)
    assert row.bidding_left_ms == (LISTING_END - at) // MS
    payload = last_payload(db, trade.auction.id, "auction.suspended")
    assert payload["ground"] == SuspensionGround.SYSTEM_FAILURE.value
    assert "宁波市公共资源交易管理条例 第二十五条" in payload["source"]
    assert payload["reason"] == "电子交易系统故障"
    assert payload["phase"] == "bidding"


def test_resumption_gives_back_the_time_left_of_the_listing_to_the_millisecond(db: Session) -> None:
    trade = make_trade(db)
    (bidder,) = registered(db, trade)
    staff = centre_staff(db, trade)
    suspended_at, resumed_at = DURING + 123 * MS, DURING + timedelta(hours=3, milliseconds=7)
    left = LISTING_END - suspended_at
    suspend(db, trade, staff, suspended_at)
    suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=resumed_at)
    assert as_utc(trade.auction.closes_at) - resumed_at == left
    assert as_utc(trade.auction.closes_at) == LISTING_END + timedelta(hours=3, milliseconds=7) - 123 * MS
    assert state.phase_of(trade.auction, resumed_at) is Phase.BIDDING
    payload = last_payload(db, trade.auction.id, "auction.resumed")
    assert payload["suspended_at"] == suspended_at.isoformat(timespec="microseconds")
    assert payload["resumed_at"] == resumed_at.isoformat(timespec="microseconds")
    assert payload["after"]["closes_at"] == (resumed_at + left).isoformat(timespec="microseconds")
    assert "violation" not in payload
    bid(db, trade, bidder, START, resumed_at + MS)  # bidding goes on
    assert trade.auction.current_price_fen == START


def test_resumption_in_the_timed_phase_gives_back_the_countdown_left(db: Session) -> None:
    trade = make_trade(db)
    first, second = registered(db, trade, 2)
    for bidder in (first, second):
        service.request_timed_bidding(db, bidder, auction_id=trade.auction.id, now=DURING)
    staff = centre_staff(db, trade)
    in_timed = LISTING_END + timedelta(minutes=1, milliseconds=250)  # the 4-minute countdown, no bid yet
    assert state.phase_of(trade.auction, in_timed) is Phase.TIMED
    suspend(db, trade, staff, in_timed)
    resumed_at = in_timed + timedelta(minutes=30)
    suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=resumed_at)
    ends = state.bidding_ends_at(trade.auction, resumed_at)
    assert ends - resumed_at == timedelta(minutes=2, seconds=59, milliseconds=750)  # 4 min less 1 min 250 ms
    assert state.phase_of(trade.auction, resumed_at) is Phase.TIMED
    bid(db, trade, first, START, resumed_at + timedelta(minutes=1))  # a timed bid resets the countdown
    reset_end = state.bidding_ends_at(trade.auction, resumed_at + timedelta(minutes=1))
    suspend(db, trade, staff, resumed_at + timedelta(minutes=2))
    suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=resumed_at + timedelta(hours=1))
    again = state.bidding_ends_at(trade.auction, resumed_at + timedelta(hours=1))
    assert again - (resumed_at + timedelta(hours=1)) == reset_end - (resumed_at + timedelta(minutes=2))


@pytest.mark.parametrize("asking", [1, 2])
def test_a_suspension_in_the_bidding_says_nothing_of_how_many_plates_asked_for_timed_bidding(
    db: Session, asking: int
) -> None:
    """Security review H2: the row, the published event and the resumption read the same whether one plate asked for
    timed bidding (no timed phase to come) or two (one to come); and with two, the timed phase still follows."""
    trade = make_trade(db)
    bidders = registered(db, trade, 2)
    for bidder in bidders[:asking]:
        service.request_timed_bidding(db, bidder, auction_id=trade.auction.id, now=DURING)
    staff = centre_staff(db, trade)
    row = suspend(db, trade, staff, DURING + timedelta(hours=1))
    assert isinstance(row, AuctionSuspension)
    assert (row.until_start_ms, row.bidding_left_ms, row.timed_left_ms) == (
        None, (LISTING_END - DURING - timedelta(hours=1)) // MS, None,
    )  # fmt: skip
    payload = last_payload(db, trade.auction.id, "auction.suspended")
    assert payload["timed_left_ms"] is None
    resumed_at = DURING + timedelta(hours=3)
    suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=resumed_at)
    resumed = last_payload(db, trade.auction.id, "auction.resumed")
    assert resumed["timed_left_ms"] is None
    assert resumed["after"]["timed_closes_at"] is None
    closes = as_utc(trade.auction.closes_at)
    assert closes == LISTING_END + timedelta(hours=2)
    after_end = state.phase_of(trade.auction, closes + timedelta(minutes=1))
    assert after_end is (Phase.TIMED if asking == 2 else Phase.ENDED)
    if asking == 2:  # the whole countdown, from the resumed end
        assert state.bidding_ends_at(trade.auction, closes + timedelta(minutes=1)) == closes + timedelta(minutes=4)


def test_a_suspension_during_the_notice_moves_the_start_and_the_end_by_its_length(db: Session) -> None:
    trade = make_trade(db)
    staff = centre_staff(db, trade)
    at = TEST_NOW + timedelta(days=2)
    suspend(db, trade, staff, at)
    suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=at + timedelta(days=1))
    assert as_utc(trade.auction.bidding_start) == LISTING_START + timedelta(days=1)
    assert as_utc(trade.auction.closes_at) == LISTING_END + timedelta(days=1)


def test_who_may_suspend_the_centres_staff_and_in_a_judicial_sale_the_court(db: Session) -> None:
    listing = make_trade(db)
    seller_as_owner = principal(db, listing.holder_user, Permission.AUCTION_SUSPEND)
    before = counts(db, listing.auction.id)
    with pytest.raises(errors.NotTheCentre):  # a land listing's seller does not suspend the centre's trade
        suspend(db, listing, seller_as_owner, DURING)
    other = make_trade(db)
    with pytest.raises(errors.NotTheCentre):  # staff of another centre
        suspend(db, listing, centre_staff(db, other), DURING)
    assert counts(db, listing.auction.id) == before
    judicial = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    court = principal(db, judicial.holder_user, Permission.AUCTION_SUSPEND)
    row = suspension.suspend_auction(
        db, court, auction_id=judicial.auction.id, ground=SuspensionGround.COURT_ORDER, reason="案外人异议，裁定中止",
        now=JUDICIAL_START + timedelta(hours=1),
    )  # fmt: skip
    assert row.phase == "bidding"


def test_what_cannot_be_suspended_or_resumed_is_refused_and_leaves_nothing(db: Session) -> None:
    trade = make_trade(db)
    staff = centre_staff(db, trade)
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.NotSuspended):
        suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=DURING)
    with pytest.raises(errors.AuctionPhaseWrong):  # ended: nothing left to suspend
        suspend(db, trade, staff, LISTING_END + timedelta(seconds=1))
    with pytest.raises(InvalidInput):
        suspend(db, trade, staff, DURING, reason="   ")
    assert counts(db, trade.auction.id) == before
    suspend(db, trade, staff, DURING)
    after_one = counts(db, trade.auction.id)
    with pytest.raises(errors.AuctionSuspended):  # suspended already
        suspend(db, trade, staff, DURING + timedelta(minutes=1))
    assert counts(db, trade.auction.id) == after_one


def _judicial_suspended(db: Session) -> tuple[Trade, Principal]:
    trade = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    staff = centre_staff(db, trade)
    suspension.suspend_auction(
        db, staff, auction_id=trade.auction.id, ground=SuspensionGround.COURT_ORDER, reason="执行异议，暂缓拍卖",
        now=JUDICIAL_START + timedelta(hours=1),
    )  # fmt: skip
    return trade, staff


def _violations(db: Session, auction_id: int) -> list[PeriodViolation]:
    query = select(PeriodViolation).where(
        PeriodViolation.subject_type == "auction", PeriodViolation.subject_id == str(auction_id)
    )
    return list(db.scalars(query))


def test_a_judicial_sale_resumed_within_five_days_of_the_cause_ending_is_in_time_article_28(db: Session) -> None:
    trade, staff = _judicial_suspended(db)
    cause_ended = JUDICIAL_START + timedelta(hours=2)  # 25 Dec 2026 (Beijing)
    suspension.resume_auction(
        db, staff, auction_id=trade.auction.id, cause_ended_at=cause_ended, now=cause_ended + timedelta(days=4)
    )
    assert _violations(db, trade.auction.id) == []


def test_a_judicial_sale_resumed_after_five_days_is_a_recorded_violation_not_a_lock_article_28(db: Session) -> None:
    trade, staff = _judicial_suspended(db)
    auction_id = trade.auction.id
    cause_ended = JUDICIAL_START + timedelta(hours=2)
    late = cause_ended + timedelta(days=6)
    suspension.resume_auction(db, staff, auction_id=auction_id, cause_ended_at=cause_ended, now=late)
    (violation,) = _violations(db, auction_id)
    assert violation.period_key == "auction.judicial_resumption"
    assert violation.article == "最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十八条"
    assert violation.days_late == 1
    assert last_payload(db, auction_id, "auction.resumed")["violation"]["days_late"] == 1
    assert state.phase_of(trade.auction, late) is Phase.BIDDING  # resumed all the same


def test_a_listing_has_no_resumption_limit_in_the_texts_held_and_records_none(db: Session) -> None:
    trade = make_trade(db)
    staff = centre_staff(db, trade)
    suspend(db, trade, staff, DURING)
    suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=DURING + timedelta(days=8))
    assert _violations(db, trade.auction.id) == []
    assert as_utc(trade.auction.closes_at) == LISTING_END + timedelta(days=8)
    assert STEP  # the grid is untouched by a suspension


def test_a_draft_is_not_found_by_those_who_would_suspend_resume_or_draw_it_decision_0051_L3(db: Session) -> None:
    """Review L6: suspend, resume and draw read the auction before the actor's right, so a draft answered 409 (its
    phase) or 403 to anyone: now it is not found (404) but by the seller's side, as for every other action."""
    trade = make_trade(db, publish=False)
    staff = centre_staff(db, trade)
    drawer = centre_staff(db, trade, Permission.AUCTION_DRAW)
    before = counts(db, trade.auction.id)
    with pytest.raises(NotFound):
        suspend(db, trade, staff, DURING)
    with pytest.raises(NotFound):
        suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=DURING)
    with pytest.raises(NotFound):
        cap.draw_cap_lottery(db, drawer, auction_id=trade.auction.id, now=LISTING_END + MS)
    with pytest.raises(errors.NotTheCentre):  # the seller sees its draft; it may not suspend a listing
        suspend(db, trade, trade.seller, DURING)
    assert counts(db, trade.auction.id) == before
