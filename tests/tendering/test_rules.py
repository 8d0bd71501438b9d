"""The statutory periods and rules of a tender, each test named after its article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.tendering import rules
from ggzy.tendering.procedures import INVITED, OPEN, PROCEDURES, ProcedureUnknown, Stage, procedure


def cst(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_STANDARD_TIME)


def test_tendering_law_art_24_bid_deadline_at_least_20_days_after_documents_issue() -> None:
    issued = cst(2026, 11, 2, 9)
    rules.check_bid_period(issued_at=issued, bid_deadline=cst(2026, 11, 22, 9), procedure=OPEN)  # exactly 20 days
    with pytest.raises(rules.BidPeriodTooShort) as refused:
        rules.check_bid_period(issued_at=issued, bid_deadline=cst(2026, 11, 21, 23, 59), procedure=OPEN)  # 19 days
    assert refused.value.field == "bid_deadline"
    assert "2026-11-22" in refused.value.detail_en
    assert "第二十四条" in refused.value.detail_zh


def test_days_are_counted_on_china_dates_not_utc() -> None:
    # 23:30 on 2 November in Beijing is still 2 November, though it is 15:30 UTC.
    issued = cst(2026, 11, 2, 23, 30)
    assert issued.astimezone(UTC).day == 2
    late_evening = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)  # 00:30 on 3 November in Beijing
    assert rules.china_date(late_evening).day == 3
    rules.check_bid_period(issued_at=issued, bid_deadline=cst(2026, 11, 22, 0, 5), procedure=OPEN)
    with pytest.raises(rules.BidPeriodTooShort):
        rules.check_bid_period(issued_at=late_evening, bid_deadline=cst(2026, 11, 22, 9), procedure=OPEN)


def test_regulations_art_16_documents_on_offer_at_least_5_days() -> None:
    rules.check_documents_offer(offered_from=cst(2026, 11, 2), offered_until=cst(2026, 11, 7, 17), procedure=OPEN)
    with pytest.raises(rules.DocumentsOfferTooShort):
        rules.check_documents_offer(offered_from=cst(2026, 11, 2), offered_until=cst(2026, 11, 6, 23), procedure=OPEN)


def test_regulations_art_21_late_clarification_moves_the_deadline_to_15_days() -> None:
    deadline = cst(2026, 12, 1, 9, 30)
    on_time = rules.deadline_after_clarification(clarified_at=cst(2026, 11, 16), bid_deadline=deadline, procedure=OPEN)
    assert on_time == deadline.astimezone(UTC)  # 15 days remain: the deadline stands
    late = rules.deadline_after_clarification(clarified_at=cst(2026, 11, 21), bid_deadline=deadline, procedure=OPEN)
    assert late == cst(2026, 12, 6, 9, 30).astimezone(UTC)  # 10 days before: moved 5 days, same time of day


def test_regulations_art_22_objections_until_10_days_before_the_deadline() -> None:
    deadline = cst(2026, 12, 1, 9, 30)
    assert rules.last_objection_day(bid_deadline=deadline, procedure=OPEN).isoformat() == "2026-11-21"
    rules.check_objection_in_time(raised_at=cst(2026, 11, 21, 23, 59), bid_deadline=deadline, procedure=OPEN)
    with pytest.raises(rules.ObjectionTooLate) as refused:
        rules.check_objection_in_time(raised_at=cst(2026, 11, 22, 0, 1), bid_deadline=deadline, procedure=OPEN)
    assert "2026-11-21" in refused.value.detail_zh


def test_regulations_art_22_objection_answered_within_3_days() -> None:
    assert rules.objection_answer_due(received_at=cst(2026, 11, 10, 16), procedure=OPEN).isoformat() == "2026-11-13"


def test_a_published_lot_is_closed_when_the_clock_passes_its_deadline() -> None:
    deadline = cst(2026, 12, 1, 9, 30)
    before, at = deadline - timedelta(seconds=1), deadline
    assert rules.stage_at(recorded=Stage.PUBLISHED, bid_deadline=deadline, now=before) == Stage.PUBLISHED
    assert rules.stage_at(recorded=Stage.PUBLISHED, bid_deadline=deadline, now=at) == Stage.CLOSED
    assert rules.stage_at(recorded=Stage.CANCELLED, bid_deadline=deadline, now=at) == Stage.CANCELLED


def test_regulations_art_44_fewer_than_3_bids_are_not_opened() -> None:
    assert not rules.enough_bids_to_open(2, OPEN)
    assert rules.enough_bids_to_open(3, OPEN)


@pytest.mark.parametrize(
    ("members", "experts", "lawful"),
    [(5, 4, True), (5, 3, False), (4, 4, False), (3, 3, False), (7, 5, True), (7, 4, False), (9, 6, True)],
)
def test_tendering_law_art_37_committee_of_5_or_more_odd_two_thirds_experts(
    members: int, experts: int, lawful: bool
) -> None:
    assert rules.committee_is_lawful(members=members, experts=experts, procedure=OPEN) is lawful


def test_tendering_law_art_17_invited_tendering_invites_at_least_3() -> None:
    assert INVITED.by_invitation
    assert INVITED.minimum_invitations == 3
    assert not OPEN.by_invitation


def test_procedures_are_looked_up_by_key_with_a_clear_error() -> None:
    assert procedure("open") is OPEN
    assert set(PROCEDURES) == {"open", "invited"}
    with pytest.raises(ProcedureUnknown) as unknown:
        procedure("auction")
    assert "invited, open" in unknown.value.detail_en


@given(
    issued=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    extra_minutes=st.integers(min_value=0, max_value=60 * 24 * 60),
)
def test_the_earliest_deadline_always_satisfies_art_24_and_a_day_earlier_never_does(
    issued: datetime, extra_minutes: int
) -> None:
    earliest = rules.earliest_deadline_date(issued, OPEN)
    on_earliest = datetime.combine(earliest, datetime.min.time(), CHINA_STANDARD_TIME) + timedelta(minutes=1)
    rules.check_bid_period(
        issued_at=issued, bid_deadline=on_earliest + timedelta(minutes=extra_minutes), procedure=OPEN
    )
    with pytest.raises(rules.BidPeriodTooShort):
        rules.check_bid_period(issued_at=issued, bid_deadline=on_earliest - timedelta(minutes=2), procedure=OPEN)


@given(
    clarified=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
    days_left=st.integers(min_value=0, max_value=40),
)
def test_after_any_clarification_at_least_15_days_remain(clarified: datetime, days_left: int) -> None:
    deadline = clarified + timedelta(days=days_left, hours=3)
    moved = rules.deadline_after_clarification(clarified_at=clarified, bid_deadline=deadline, procedure=OPEN)
    assert moved >= deadline
    assert rules.days_between(clarified, moved) >= 15
