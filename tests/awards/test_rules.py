"""The award stage's pure rules (实施条例 第54条, 第55条; 招标投标法 第46条), each test named after its article."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.awards import rules
from ggzy.core.calendar import CalendarYearUnknown, parse_year_schedule
from ggzy.core.calendar_store import package_calendar
from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.tendering.procedures import OPEN

CALENDAR = package_calendar()  # the years the chinese_calendar package knows (2004–2026)


def cst(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_STANDARD_TIME)


CANDIDATES = [rules.Candidate(1, 11, 101, 1_000_00), rules.Candidate(2, 12, 102, 1_100_00),
              rules.Candidate(3, 13, 103, 1_200_00)]  # fmt: skip


def test_regulations_art_54_publicity_started_after_3_days_of_the_report_is_a_violation_not_a_refusal() -> None:
    """实施条例 第54条: the last day to publicise is the 3rd day after receipt; a start on the 4th day is the owner's
    missed period (a violation with the article, one day late), never a refusal that would lock the lot."""
    received = cst(2026, 12, 1, 17)
    in_time = rules.publicity_start_missed(
        CALENDAR, report_received_at=received, starts_at=cst(2026, 12, 4, 23, 59), procedure=OPEN
    )
    assert in_time is None
    late = rules.publicity_start_missed(
        CALENDAR, report_received_at=received, starts_at=cst(2026, 12, 5, 0, 0), procedure=OPEN
    )
    assert late is not None
    assert late.period.key == "award.publicity_start"
    assert late.period.article == "招标投标法实施条例 第五十四条"
    assert (late.due, late.happened_on, late.days_late) == (date(2026, 12, 4), date(2026, 12, 5), 1)


def test_regulations_art_54_publicity_lasts_at_least_3_days_the_start_day_not_counted() -> None:
    """Started on 1 December at 17:00: the days are 2, 3 and 4 December, so it runs until 24:00 on the 4th."""
    starts = cst(2026, 12, 1, 17)
    earliest = rules.earliest_publicity_end(CALENDAR, starts_at=starts, procedure=OPEN)
    assert earliest == cst(2026, 12, 5, 0, 0)
    assert earliest >= starts + timedelta(days=3)
    rules.check_publicity_end(CALENDAR, starts_at=starts, ends_at=earliest, procedure=OPEN)
    rules.check_publicity_end(
        CALENDAR, starts_at=starts, ends_at=cst(2026, 12, 10, 12), procedure=OPEN
    )  # longer is fine
    with pytest.raises(rules.PublicityTooShort) as refused:
        rules.check_publicity_end(CALENDAR, starts_at=starts, ends_at=earliest - timedelta(seconds=1), procedure=OPEN)
    assert refused.value.field == "ends_at"
    assert "第五十四条" in refused.value.detail_zh


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 20)))
def test_regulations_art_54_the_shortest_publicity_is_never_under_3_full_days(naive: datetime) -> None:
    starts = naive.replace(tzinfo=CHINA_STANDARD_TIME)
    earliest = rules.earliest_publicity_end(CALENDAR, starts_at=starts, procedure=OPEN)
    assert starts + timedelta(days=3) < earliest
    local = earliest.astimezone(CHINA_STANDARD_TIME)
    assert local.time().hour == 0
    last_day = local.date() - timedelta(days=1)
    assert CALENDAR.is_working_day(last_day)  # 民法典 第203条: never ends on a day off
    if CALENDAR.is_working_day(starts.date() + timedelta(days=3)):
        assert earliest <= starts + timedelta(days=4)


def test_regulations_art_54_a_publicity_into_national_day_runs_until_24_00_on_8_october_民法典第203条() -> None:
    starts = cst(2026, 9, 29, 17)  # the 3rd day, 2 October, is in the holiday
    assert rules.earliest_publicity_end(CALENDAR, starts_at=starts, procedure=OPEN) == cst(2026, 10, 9, 0, 0)
    with pytest.raises(rules.PublicityTooShort):
        rules.check_publicity_end(CALENDAR, starts_at=starts, ends_at=cst(2026, 10, 3, 0, 0), procedure=OPEN)


def test_regulations_art_54_a_report_received_before_the_spring_festival_is_publicised_by_24_february() -> None:
    """Received Friday 13 February 2026: the 3rd day, 16 February, is in the Spring Festival (15–23 February), so
    the last day to publicise is Tuesday 24 February (民法典 第203条)."""
    received = cst(2026, 2, 13, 17)
    assert rules.last_publicity_start_day(CALENDAR, report_received_at=received, procedure=OPEN) == date(2026, 2, 24)
    missed = rules.publicity_start_missed(
        CALENDAR, report_received_at=received, starts_at=cst(2026, 2, 24, 23), procedure=OPEN
    )
    assert missed is None


def test_regulations_art_54_objections_only_while_the_publicity_runs() -> None:
    starts, ends = cst(2026, 12, 1, 17), cst(2026, 12, 5, 0)
    rules.check_objection_in_publicity(starts_at=starts, ends_at=ends, now=starts)
    rules.check_objection_in_publicity(starts_at=starts, ends_at=ends, now=ends - timedelta(seconds=1))
    for moment in (starts - timedelta(seconds=1), ends):
        with pytest.raises(rules.ObjectionOutsidePublicity):
            rules.check_objection_in_publicity(starts_at=starts, ends_at=ends, now=moment)


def test_regulations_art_54_objection_answered_within_3_days_else_a_violation_is_recorded() -> None:
    due = rules.objection_answer_due(CALENDAR, received_at=cst(2026, 12, 1, 23, 30), procedure=OPEN)
    assert due == date(2026, 12, 4)
    assert rules.answer_missed(answer_due=due, answered_at=cst(2026, 12, 4, 23, 59), procedure=OPEN) is None
    late = rules.answer_missed(answer_due=due, answered_at=cst(2026, 12, 5, 0, 0), procedure=OPEN)
    assert late is not None
    assert (late.period.key, late.period.article) == ("award.result_objection_answer", "招标投标法实施条例 第五十四条")


def test_regulations_art_54_an_objection_received_30_september_is_answered_by_8_october_民法典第203条() -> None:
    due = rules.objection_answer_due(CALENDAR, received_at=cst(2026, 9, 30, 10), procedure=OPEN)
    assert due == date(2026, 10, 8)
    assert rules.answer_missed(answer_due=due, answered_at=cst(2026, 10, 8, 23, 59), procedure=OPEN) is None


def test_regulations_art_54_no_award_before_the_publicity_ends() -> None:
    ends = cst(2026, 12, 5, 0)
    rules.check_publicity_ended(ends_at=ends, now=ends)
    with pytest.raises(rules.PublicityNotEnded) as refused:
        rules.check_publicity_ended(ends_at=ends, now=ends - timedelta(seconds=1))
    assert "第五十四条" in refused.value.detail_zh


def test_regulations_art_55_the_first_candidate_needs_no_reason() -> None:
    assert rules.check_choice(CANDIDATES, bid_id=11, passed_over=[]).rank == 1
    with pytest.raises(rules.WinnerNotInOrder):
        rules.check_choice(CANDIDATES, bid_id=11, passed_over=[rules.PassedOver(12, "gave_up", "放弃")])


def test_regulations_art_55_a_later_candidate_only_in_order_with_a_ground_of_the_article() -> None:
    with pytest.raises(rules.WinnerNotInOrder) as refused:
        rules.check_choice(CANDIDATES, bid_id=12, passed_over=[])
    assert "第五十五条" in refused.value.detail_zh
    with pytest.raises(rules.WinnerNotInOrder):  # the second passed over too, for the third
        rules.check_choice(CANDIDATES, bid_id=13, passed_over=[rules.PassedOver(11, "gave_up", "书面放弃")])
    with pytest.raises(rules.WinnerNotInOrder):
        rules.check_choice(CANDIDATES, bid_id=12, passed_over=[rules.PassedOver(11, "cheaper_elsewhere", "理由")])
    with pytest.raises(rules.WinnerNotInOrder):
        rules.check_choice(CANDIDATES, bid_id=99, passed_over=[])
    third = rules.check_choice(
        CANDIDATES,
        bid_id=13,
        passed_over=[
            rules.PassedOver(11, "gave_up", "书面放弃"),
            rules.PassedOver(12, "no_performance_security", "逾期"),
        ],
    )
    assert third.rank == 3


def test_tendering_law_art_46_contract_due_30_days_after_the_letter() -> None:
    assert rules.contract_due(CALENDAR, letter_issued_at=cst(2026, 11, 2, 0, 30), procedure=OPEN) == date(2026, 12, 2)


def test_tendering_law_art_46_a_contract_due_in_national_day_is_due_on_8_october_民法典第203条() -> None:
    assert rules.contract_due(CALENDAR, letter_issued_at=cst(2026, 9, 2, 10), procedure=OPEN) == date(2026, 10, 8)


def test_tendering_law_art_46_a_contract_due_in_a_year_the_calendar_does_not_know_is_an_explicit_error() -> None:
    """DESIGN §4.4: never a guess. With 2027's schedule loaded (test data) the day is counted."""
    letter = cst(2026, 12, 5, 0, 30)
    with pytest.raises(CalendarYearUnknown) as unknown:
        rules.contract_due(CALENDAR, letter_issued_at=letter, procedure=OPEN)
    assert unknown.value.year == 2027
    loaded = CALENDAR.with_schedule(parse_year_schedule('{"year": 2027, "holidays": ["2027-01-01"]}'))
    assert rules.contract_due(loaded, letter_issued_at=letter, procedure=OPEN) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("signed_on", "late"), [(date(2026, 10, 8), False), (date(2026, 10, 9), True), (date(2026, 10, 1), False)]
)
def test_tendering_law_art_46_lateness_is_measured_to_the_signing_date(signed_on: date, late: bool) -> None:
    missed = rules.contract_missed(contract_due=date(2026, 10, 8), signed_on=signed_on, procedure=OPEN)
    assert (missed is not None) is late
    if missed is not None:
        assert (missed.period.article, missed.days_late) == ("招标投标法 第四十六条", 1)


def test_tendering_law_art_46_contract_amount_equals_the_award_price() -> None:
    rules.check_contract_amount(amount_fen=98_765_432, award_price_fen=98_765_432)
    with pytest.raises(rules.ContractAmountDeparts) as refused:
        rules.check_contract_amount(amount_fen=98_765_433, award_price_fen=98_765_432)
    assert "第四十六条" in refused.value.detail_zh
    assert "987,654.33" in refused.value.detail_en
