"""The statutory periods and rules of a tender, each test named after its article."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.core.calendar_store import package_calendar
from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.tendering import lifecycle, rules
from ggzy.tendering.procedures import INVITED, OPEN, PROCEDURES, OpeningRule, ProcedureUnknown, procedure
from ggzy.tendering.stages import Stage

CALENDAR = package_calendar()  # the years the chinese_calendar package knows (2004–2026)


def cst(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_STANDARD_TIME)


def test_tendering_law_art_24_bid_deadline_at_least_20_days_after_documents_issue_民法典第203条() -> None:
    issued = cst(2026, 11, 2, 9)  # Monday; the 20th day, Sunday 22 November, is a day off: Monday 23 November
    rules.check_bid_period(CALENDAR, issued_at=issued, bid_deadline=cst(2026, 11, 23, 9), procedure=OPEN)
    with pytest.raises(rules.BidPeriodTooShort) as refused:
        rules.check_bid_period(CALENDAR, issued_at=issued, bid_deadline=cst(2026, 11, 22, 23, 59), procedure=OPEN)
    assert refused.value.field == "bid_deadline"
    assert "2026-11-23" in refused.value.detail_en
    assert "第二十四条" in refused.value.detail_zh
    assert "第二百零三条" in refused.value.detail_zh


def test_tendering_law_art_24_a_bid_period_ending_in_national_day_runs_to_8_october_民法典第203条() -> None:
    issued = cst(2026, 9, 11, 9)  # the 20th day is 1 October
    assert rules.earliest_deadline_date(CALENDAR, issued, OPEN) == date(2026, 10, 8)
    with pytest.raises(rules.BidPeriodTooShort):
        rules.check_bid_period(CALENDAR, issued_at=issued, bid_deadline=cst(2026, 10, 1, 9), procedure=OPEN)
    rules.check_bid_period(CALENDAR, issued_at=issued, bid_deadline=cst(2026, 10, 8, 9), procedure=OPEN)


def test_days_are_counted_on_china_dates_not_utc() -> None:
    # 23:30 on 3 November in Beijing is still 3 November, though it is 15:30 UTC.
    issued = cst(2026, 11, 3, 23, 30)
    assert issued.astimezone(UTC).day == 3
    late_evening = datetime(2026, 11, 3, 16, 30, tzinfo=UTC)  # 00:30 on 4 November in Beijing
    assert rules.china_date(late_evening).day == 4
    rules.check_bid_period(CALENDAR, issued_at=issued, bid_deadline=cst(2026, 11, 23, 0, 5), procedure=OPEN)
    with pytest.raises(rules.BidPeriodTooShort):
        rules.check_bid_period(CALENDAR, issued_at=late_evening, bid_deadline=cst(2026, 11, 23, 9), procedure=OPEN)


def test_regulations_art_16_documents_on_offer_at_least_5_days() -> None:
    offered = cst(2026, 11, 4)  # Wednesday: the 5th day is Monday 9 November
    rules.check_documents_offer(CALENDAR, offered_from=offered, offered_until=cst(2026, 11, 9, 17), procedure=OPEN)
    with pytest.raises(rules.DocumentsOfferTooShort) as refused:
        rules.check_documents_offer(CALENDAR, offered_from=offered, offered_until=cst(2026, 11, 8, 23), procedure=OPEN)
    assert "2026-11-09" in refused.value.detail_zh


def test_regulations_art_16_documents_on_offer_into_national_day_stay_on_offer_until_8_october() -> None:
    offered = cst(2026, 9, 28)  # the 5th day, 3 October, is a holiday (民法典 第203条)
    with pytest.raises(rules.DocumentsOfferTooShort):
        rules.check_documents_offer(CALENDAR, offered_from=offered, offered_until=cst(2026, 10, 7, 17), procedure=OPEN)
    rules.check_documents_offer(CALENDAR, offered_from=offered, offered_until=cst(2026, 10, 8, 17), procedure=OPEN)


def test_regulations_art_21_late_clarification_moves_the_deadline_to_15_days() -> None:
    deadline = cst(2026, 12, 1, 9, 30)
    on_time = rules.deadline_after_clarification(
        CALENDAR, clarified_at=cst(2026, 11, 16), bid_deadline=deadline, procedure=OPEN
    )
    assert on_time == deadline.astimezone(UTC)  # 15 days remain: the deadline stands
    late = rules.deadline_after_clarification(
        CALENDAR, clarified_at=cst(2026, 11, 21), bid_deadline=deadline, procedure=OPEN
    )
    # the 15th day, 6 December, is a Sunday (民法典 第203条): moved to Monday 7 December, same time of day
    assert late == cst(2026, 12, 7, 9, 30).astimezone(UTC)


def test_regulations_art_22_objections_until_10_days_before_the_deadline() -> None:
    deadline = cst(2026, 12, 1, 9, 30)
    assert rules.last_objection_day(CALENDAR, bid_deadline=deadline, procedure=OPEN).isoformat() == "2026-11-21"
    rules.check_objection_in_time(CALENDAR, raised_at=cst(2026, 11, 21, 23, 59), bid_deadline=deadline, procedure=OPEN)
    with pytest.raises(rules.ObjectionTooLate) as refused:
        rules.check_objection_in_time(
            CALENDAR, raised_at=cst(2026, 11, 22, 0, 1), bid_deadline=deadline, procedure=OPEN
        )
    assert "2026-11-21" in refused.value.detail_zh


def test_regulations_art_22_the_owners_10_days_before_a_sunday_deadline_keep_every_day_民法典第203条() -> None:
    """Deadline Sunday 11 October 2026: an objection on 1 October would leave 10 days ending on a Sunday, which
    runs on to Monday 12 October, past the deadline; so the last day is 30 September (10 days to the 10th, a
    swapped working day)."""
    deadline = cst(2026, 10, 11, 9, 30)
    assert rules.last_objection_day(CALENDAR, bid_deadline=deadline, procedure=OPEN) == date(2026, 9, 30)


def test_regulations_art_22_objection_answered_within_3_days() -> None:
    due = rules.objection_answer_due(CALENDAR, received_at=cst(2026, 11, 10, 16), procedure=OPEN)
    assert due.isoformat() == "2026-11-13"


def test_regulations_art_22_an_objection_received_30_september_is_answered_by_8_october_民法典第203条() -> None:
    due = rules.objection_answer_due(CALENDAR, received_at=cst(2026, 9, 30, 16), procedure=OPEN)
    assert due == date(2026, 10, 8)  # the 3rd day, 3 October, is in the National Day holiday


def test_a_published_lot_is_closed_when_the_clock_passes_its_deadline() -> None:
    deadline = cst(2026, 12, 1, 9, 30)
    before, at = deadline - timedelta(seconds=1), deadline
    assert lifecycle.stage_at(recorded=Stage.PUBLISHED, bid_deadline=deadline, now=before) == Stage.PUBLISHED
    assert lifecycle.stage_at(recorded=Stage.PUBLISHED, bid_deadline=deadline, now=at) == Stage.CLOSED
    assert lifecycle.stage_at(recorded=Stage.CANCELLED, bid_deadline=deadline, now=at) == Stage.CANCELLED


def test_regulations_art_44_fewer_than_3_bidders_are_not_opened() -> None:
    assert not rules.enough_bidders_to_open(2, OPEN)
    assert rules.enough_bidders_to_open(3, OPEN)


def test_regulations_art_44_counts_bidders_so_by_default_a_bid_that_fails_to_decrypt_does_not_fail_the_lot() -> None:
    """第44条 counts bidders at the deadline; an undecrypted bid is revoked or withdrawn (电子招标投标办法 第三十一条)
    and the others are opened: two of three decrypted, the lot goes on. Only a lot with no bid opened fails."""
    assert not rules.fails_after_decryption(2, OPEN)
    assert not rules.fails_after_decryption(1, OPEN)
    assert rules.fails_after_decryption(0, OPEN)


def test_a_stricter_local_rule_on_decrypted_bids_is_a_procedure_setting_with_its_source() -> None:
    strict = replace(
        OPEN,
        key="open_strict",
        opening=OpeningRule(minimum_decrypted=3, minimum_decrypted_source="某市不见面开标规则 第十条（示例）"),
    )
    assert rules.fails_after_decryption(2, strict)
    assert not rules.fails_after_decryption(3, strict)
    assert OPEN.opening.minimum_decrypted is None
    with pytest.raises(ValueError, match="needs its source"):
        OpeningRule(minimum_decrypted=3)  # no source: refused


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
    assert INVITED.invitations.minimum == 3
    assert not OPEN.by_invitation


def test_procedures_are_looked_up_by_key_with_a_clear_error() -> None:
    assert procedure("open") is OPEN
    assert set(PROCEDURES) == {
        "open", "invited", "gp_open", "gp_invited", "rfq", "single_source", "negotiation", "consultation", "rights",
    }  # fmt: skip
    with pytest.raises(ProcedureUnknown) as unknown:
        procedure("auction")
    assert "consultation, gp_invited, gp_open, invited, negotiation, open, rfq, rights, single_source" in (
        unknown.value.detail_en
    )


@given(
    issued=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)),
    extra_minutes=st.integers(min_value=0, max_value=60 * 24 * 60),
)
def test_the_earliest_deadline_always_satisfies_art_24_and_a_day_earlier_never_does(
    issued: datetime, extra_minutes: int
) -> None:
    earliest = rules.earliest_deadline_date(CALENDAR, issued, OPEN)
    assert CALENDAR.is_working_day(earliest)  # 民法典 第203条
    assert (earliest - rules.china_date(issued)).days >= 20
    on_earliest = datetime.combine(earliest, datetime.min.time(), CHINA_STANDARD_TIME) + timedelta(minutes=1)
    rules.check_bid_period(
        CALENDAR, issued_at=issued, bid_deadline=on_earliest + timedelta(minutes=extra_minutes), procedure=OPEN
    )
    with pytest.raises(rules.BidPeriodTooShort):
        rules.check_bid_period(
            CALENDAR, issued_at=issued, bid_deadline=on_earliest - timedelta(minutes=2), procedure=OPEN
        )


@given(
    clarified=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)),
    days_left=st.integers(min_value=0, max_value=40),
)
def test_after_any_clarification_at_least_15_days_remain(clarified: datetime, days_left: int) -> None:
    deadline = clarified + timedelta(days=days_left, hours=3)
    moved = rules.deadline_after_clarification(CALENDAR, clarified_at=clarified, bid_deadline=deadline, procedure=OPEN)
    assert moved >= deadline
    assert rules.days_between(clarified, moved) >= 15
    assert OPEN.periods.clarification_before_deadline.has_run(
        CALENDAR, event_day=rules.china_date(clarified), by=rules.china_date(moved)
    )
