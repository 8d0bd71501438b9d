"""Working days under the Chinese holiday calendar (DESIGN §4.4; 民法典 第201条、第203条)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.core.calendar import (
    CalendarYearUnknown,
    WorkingDayCalendar,
    YearSchedule,
    parse_year_schedule,
)
from ggzy.core.errors import InvalidInput


@cache
def official() -> WorkingDayCalendar:
    return WorkingDayCalendar.from_chinese_calendar()


def schedule_2027_json(**overrides: object) -> str:
    """A made-up 2027 schedule in the loader's format (the real one is published in late 2026)."""
    body: dict[str, object] = {
        "year": 2027,
        "holidays": ["2027-01-01", "2027-10-01", "2027-10-04", "2027-10-05", "2027-10-06", "2027-10-07"],
        "workdays": ["2027-09-26", "2027-10-09"],
        "source": "test fixture",
    }
    body.update(overrides)
    return json.dumps(body)


# -- known facts ------------------------------------------------------------------------------------------


def test_package_years_are_known() -> None:
    assert set(range(2004, 2027)) <= official().known_years
    assert 2027 not in official().known_years


def test_national_day_2024_is_seven_days_off() -> None:
    for day in range(1, 8):
        assert not official().is_working_day(date(2024, 10, day))
    assert official().is_working_day(date(2024, 10, 8))


def test_swapped_working_days_around_national_day_2024() -> None:
    assert date(2024, 9, 29).weekday() == 6  # a Sunday
    assert date(2024, 10, 12).weekday() == 5  # a Saturday
    assert official().is_working_day(date(2024, 9, 29))
    assert official().is_working_day(date(2024, 10, 12))
    assert not official().is_working_day(date(2024, 10, 13))  # an ordinary Sunday


def test_spring_festival_2025() -> None:
    for day in [date(2025, 1, 28), *(date(2025, 2, d) for d in range(1, 5))]:
        assert not official().is_working_day(day)
    assert official().is_working_day(date(2025, 1, 26))  # Sunday, swapped
    assert official().is_working_day(date(2025, 2, 8))  # Saturday, swapped
    assert official().is_working_day(date(2025, 2, 5))


def test_national_day_2026() -> None:
    for day in range(1, 8):
        assert not official().is_working_day(date(2026, 10, day))
    assert official().is_working_day(date(2026, 9, 20))  # Sunday, swapped
    assert official().is_working_day(date(2026, 10, 10))  # Saturday, swapped


def test_ordinary_weekdays_and_weekends() -> None:
    assert official().is_working_day(date(2024, 3, 13))  # a Wednesday
    assert not official().is_working_day(date(2024, 3, 16))  # a Saturday


# -- counting ---------------------------------------------------------------------------------------------


def test_start_day_is_not_counted() -> None:
    # 民法典 第201条: Monday + 1 working day is Tuesday.
    assert official().add_working_days(date(2024, 3, 11), 1) == date(2024, 3, 12)
    assert official().add_working_days(date(2024, 3, 11), 0) == date(2024, 3, 11)


def test_add_working_days_across_golden_week_2024() -> None:
    # From Friday 2024-09-27: 9-29 (Sunday, swapped) is the 1st, 9-30 the 2nd, 10-01..07 off, 10-08 the 3rd.
    assert official().add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert official().add_working_days(date(2024, 9, 27), 3) == date(2024, 10, 8)
    assert official().add_working_days(date(2024, 9, 27), 7) == date(2024, 10, 12)
    assert official().working_days_between(date(2024, 9, 27), date(2024, 10, 12)) == 7


def test_working_days_between_is_antisymmetric() -> None:
    a, b = date(2024, 9, 27), date(2024, 10, 12)
    assert official().working_days_between(b, a) == -7
    assert official().working_days_between(a, a) == 0


def test_period_end_rolls_forward_from_a_holiday() -> None:
    # 民法典 第203条: a 5-day period from 2024-09-26 would end on 10-01, a holiday, so it ends on 10-08.
    assert official().period_end(date(2024, 9, 26), 5) == date(2024, 10, 8)
    # Ending on a swapped working day (Saturday 2024-10-12) stays there.
    assert official().period_end(date(2024, 10, 2), 10) == date(2024, 10, 12)
    # Ending on an ordinary Saturday rolls to Monday.
    assert official().period_end(date(2024, 3, 11), 5) == date(2024, 3, 18)
    # Ending on a working day is not moved.
    assert official().period_end(date(2024, 3, 11), 3) == date(2024, 3, 14)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        official().add_working_days(date(2024, 3, 11), -1)
    with pytest.raises(ValueError, match="at least one day"):
        official().period_end(date(2024, 3, 11), 0)


# -- unknown years ----------------------------------------------------------------------------------------


def test_a_period_into_an_unknown_year_is_refused_with_the_year_named() -> None:
    with pytest.raises(CalendarYearUnknown) as caught:
        official().add_working_days(date(2026, 12, 28), 10)
    error = caught.value
    assert error.code == "calendar_year_unknown"
    assert error.status == 409
    assert error.year == 2027
    assert "2027" in error.detail_zh
    assert "载入" in error.detail_zh
    assert "2027" in error.detail_en
    assert error.problem()["code"] == "calendar_year_unknown"


def test_every_question_about_an_unknown_year_is_refused() -> None:
    with pytest.raises(CalendarYearUnknown):
        official().is_working_day(date(2027, 1, 4))
    with pytest.raises(CalendarYearUnknown):
        official().working_days_between(date(2026, 12, 1), date(2027, 1, 10))
    with pytest.raises(CalendarYearUnknown):
        official().period_end(date(2026, 12, 20), 20)
    with pytest.raises(CalendarYearUnknown):
        official().schedule(2027)


def test_missing_years_tells_staff_what_to_load() -> None:
    assert official().missing_years(date(2026, 6, 1), date(2028, 1, 1)) == [2027, 2028]
    assert official().missing_years(date(2024, 6, 1), date(2025, 1, 1)) == []


def test_loading_the_2027_schedule_makes_2027_work() -> None:
    calendar = official().with_schedule(parse_year_schedule(schedule_2027_json()))
    assert 2027 in calendar.known_years
    assert 2027 not in official().known_years  # the original is unchanged
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 9, 26))  # Sunday, swapped
    # From Thursday 2027-09-30: 10-01..07 off (10-02, 10-03 a weekend), 10-08 Friday, 10-09 Saturday swapped.
    assert calendar.add_working_days(date(2027, 9, 30), 2) == date(2027, 10, 9)
    assert calendar.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)


def test_with_year_replaces_a_year() -> None:
    calendar = official().with_year(2024, holidays=[date(2024, 1, 1)], workdays=[])
    assert calendar.is_working_day(date(2024, 10, 1))
    assert not official().is_working_day(date(2024, 10, 1))


def test_provisional_calendar_flags_results_that_touch_an_unknown_year() -> None:
    calendar = WorkingDayCalendar.from_chinese_calendar(provisional=True)
    result = calendar.add_working_days_checked(date(2026, 12, 30), 2)
    # 12-31 Thursday, then 2027-01-01, a Friday, counted as working: a guess the real schedule will correct.
    assert result.day == date(2027, 1, 1)
    loaded = official().with_schedule(parse_year_schedule(schedule_2027_json()))
    assert loaded.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)
    assert result.provisional
    assert result.unknown_years == (2027,)
    count = calendar.working_days_between_checked(date(2026, 12, 30), date(2027, 1, 4))
    assert count.count == 3
    assert count.provisional
    end = calendar.period_end_checked(date(2026, 12, 30), 2)  # 2027-01-01 a Friday, not known as a holiday
    assert end.day == date(2027, 1, 1)
    assert end.provisional


def test_provisional_calendar_within_known_years_is_not_flagged() -> None:
    calendar = WorkingDayCalendar.from_chinese_calendar(provisional=True)
    result = calendar.add_working_days_checked(date(2024, 9, 27), 3)
    assert result.day == date(2024, 10, 8)
    assert not result.provisional
    assert result.unknown_years == ()


def test_plain_methods_never_guess_even_on_a_provisional_calendar() -> None:
    calendar = WorkingDayCalendar.from_chinese_calendar(provisional=True)
    with pytest.raises(CalendarYearUnknown):
        calendar.add_working_days(date(2026, 12, 30), 2)


def test_checked_methods_on_a_strict_calendar_still_refuse() -> None:
    with pytest.raises(CalendarYearUnknown):
        official().add_working_days_checked(date(2026, 12, 30), 2)


# -- the schedule file ------------------------------------------------------------------------------------


def test_schedule_round_trips_through_json() -> None:
    schedule = parse_year_schedule(schedule_2027_json())
    assert schedule.year == 2027
    assert date(2027, 10, 9) in schedule.workdays
    assert parse_year_schedule(schedule.to_json()) == schedule


def test_holiday_blocks_may_include_weekend_days() -> None:
    schedule = parse_year_schedule(schedule_2027_json(holidays=["2027-10-01", "2027-10-02", "2027-10-03"]))
    assert date(2027, 10, 2) in schedule.holidays


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"year": "2027"}, "year"),
        ({"year": 1900}, "year"),
        ({"holidays": ["2028-01-01"]}, "holidays"),
        ({"holidays": []}, "holidays"),
        ({"holidays": "2027-01-01"}, "holidays"),
        ({"holidays": ["2027-1-1"]}, "holidays[0]"),
        ({"holidays": ["2027-02-30"]}, "holidays[0]"),
        ({"holidays": ["2027-01-01", "2027-01-01"]}, "holidays[1]"),
        ({"workdays": ["2027-10-08"]}, "workdays"),  # a Friday cannot be a swapped working day
        ({"workdays": ["2027-10-02"], "holidays": ["2027-10-02"]}, "workdays"),
        ({"holiday": ["2027-01-01"]}, "holiday"),  # misspelt key
        ({"source": 7}, "source"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_year_schedule(schedule_2027_json(**overrides))
    assert caught.value.field == field


def test_a_schedule_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_year_schedule("year: 2027")
    with pytest.raises(InvalidInput):
        parse_year_schedule("[]")


def test_two_schedules_for_one_year_are_refused() -> None:
    schedule = YearSchedule(year=2027, holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset())
    with pytest.raises(ValueError, match="two schedules"):
        WorkingDayCalendar([schedule, schedule])


# -- properties -------------------------------------------------------------------------------------------

known_days = st.dates(min_value=date(2004, 1, 1), max_value=date(2025, 12, 31))


@given(start=known_days, n=st.integers(min_value=1, max_value=200))
def test_add_working_days_lands_on_a_working_day_n_working_days_later(start: date, n: int) -> None:
    result = official().add_working_days(start, n)
    assert official().is_working_day(result)
    assert result > start
    assert official().working_days_between(start, result) == n


@given(start=known_days, n=st.integers(min_value=0, max_value=150), extra=st.integers(min_value=1, max_value=50))
def test_add_working_days_is_strictly_increasing_in_n(start: date, n: int, extra: int) -> None:
    assert official().add_working_days(start, n) < official().add_working_days(start, n + extra)


@given(start=known_days, days=st.integers(min_value=1, max_value=200))
def test_period_end_is_the_first_working_day_on_or_after_the_plain_end(start: date, days: int) -> None:
    end = official().period_end(start, days)
    plain_end = start + timedelta(days=days)
    assert end >= plain_end
    assert official().is_working_day(end)
    assert official().working_days_between(plain_end - timedelta(days=1), end - timedelta(days=1)) == 0


@given(a=known_days, b=known_days, c=known_days)
def test_working_days_between_adds_up(a: date, b: date, c: date) -> None:
    calendar = official()
    assert calendar.working_days_between(a, b) + calendar.working_days_between(b, c) == (
        calendar.working_days_between(a, c)
    )
