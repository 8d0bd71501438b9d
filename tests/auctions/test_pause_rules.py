"""The pure rules of suspension, resumption and the price cap (decision 0052), without a database."""

from __future__ import annotations

from datetime import timedelta

from ggzy.auctions import rules
from ggzy.auctions.rules import JUDICIAL, LISTING, CapVerdict, Phase, Status
from tests.conftest import TEST_NOW

START = TEST_NOW + timedelta(days=21)
END = START + timedelta(days=10)
US = timedelta(microseconds=1)


def _state(**changes: object) -> rules.Clocked:
    base = {"status": Status.PUBLISHED, "bidding_start": START, "closes_at": END, "timed_requests": 0,
            "timed_closes_at": None, "suspended_at": None}  # fmt: skip
    return rules.Clocked(**(base | changes))  # type: ignore[arg-type]


def test_a_suspended_trade_is_suspended_whatever_the_clock_says() -> None:
    state = _state(suspended_at=START + timedelta(days=1))
    for moment in (TEST_NOW, START, END + timedelta(days=30)):
        assert rules.phase(LISTING, state, moment) is Phase.SUSPENDED
    assert rules.phase(LISTING, _state(status=Status.SOLD, suspended_at=START), END) is Phase.SOLD


def test_resumption_gives_back_each_countdown_to_the_microsecond() -> None:
    suspended, resumed = START + timedelta(days=1) + 7 * US, START + timedelta(days=3) + 11 * US
    times = rules.resumed_times(LISTING, _state(), suspended_at=suspended, resumed_at=resumed)
    assert times.closes_at - resumed == END - suspended
    assert times.bidding_start == START  # already passed: stays
    assert times.timed_closes_at is None  # still derived from the listing's end


def test_resumption_in_the_notice_moves_the_start_and_the_end() -> None:
    suspended, resumed = TEST_NOW + timedelta(days=1), TEST_NOW + timedelta(days=2, seconds=5)
    times = rules.resumed_times(LISTING, _state(), suspended_at=suspended, resumed_at=resumed)
    assert times.bidding_start == START + timedelta(days=1, seconds=5)
    assert times.closes_at == END + timedelta(days=1, seconds=5)


def test_resumption_in_the_timed_phase_writes_down_the_timed_end() -> None:
    state = _state(timed_requests=2)
    suspended = END + timedelta(minutes=3)  # one minute left of the 4-minute countdown
    assert rules.phase(LISTING, state, suspended) is Phase.TIMED
    resumed = suspended + timedelta(hours=5)
    times = rules.resumed_times(LISTING, state, suspended_at=suspended, resumed_at=resumed)
    assert times.closes_at == END
    assert times.timed_closes_at == resumed + timedelta(minutes=1)
    after = rules.Clocked(Status.PUBLISHED, START, times.closes_at, 2, times.timed_closes_at)
    assert rules.phase(LISTING, after, resumed + timedelta(seconds=59)) is Phase.TIMED
    assert rules.phase(LISTING, after, resumed + timedelta(minutes=1)) is Phase.ENDED


def test_only_the_judicial_sale_has_a_resumption_period_of_five_days_article_28() -> None:
    assert JUDICIAL.resumption is not None
    assert JUDICIAL.resumption.length == 5
    assert JUDICIAL.resumption.article == "最高人民法院关于人民法院网络司法拍卖若干问题的规定 第二十八条"
    assert LISTING.resumption is None  # 宁波市条例 第25条: "及时", no number of days
    assert "第二十五条" in rules.SuspensionGround.SYSTEM_FAILURE.source


def test_where_a_bid_stands_against_the_cap() -> None:
    assert rules.cap_verdict(amount_fen=90, cap_fen=None, current_fen=None) is CapVerdict.BELOW
    assert rules.cap_verdict(amount_fen=90, cap_fen=100, current_fen=80) is CapVerdict.BELOW
    assert rules.cap_verdict(amount_fen=100, cap_fen=100, current_fen=90) is CapVerdict.REACHES
    assert rules.cap_verdict(amount_fen=100, cap_fen=100, current_fen=100) is CapVerdict.ACCEPTS
    assert rules.cap_verdict(amount_fen=110, cap_fen=100, current_fen=90) is CapVerdict.ABOVE
    assert rules.cap_on_grid(cap_fen=150, start_fen=100, increment_fen=10)
    assert not rules.cap_on_grid(cap_fen=155, start_fen=100, increment_fen=10)
    assert not rules.cap_on_grid(cap_fen=90, start_fen=100, increment_fen=10)
