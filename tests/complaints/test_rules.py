"""The statutory periods of complaints as pure functions (招标投标法实施条例 第60条, 第61条)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.complaints import rules
from ggzy.core.calendar import WorkingDayCalendar, parse_year_schedule

CALENDAR = WorkingDayCalendar.from_chinese_calendar().with_schedule(
    parse_year_schedule('{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}')
)


def test_complaint_within_10_days_of_knowing_实施条例第60条() -> None:
    assert rules.check_lodged_in_time(
        CALENDAR, knew_on=date(2026, 11, 24), today=date(2026, 12, 4), excluded_days=0
    ) == date(2026, 12, 4)
    with pytest.raises(rules.ComplaintTooLate):
        rules.check_lodged_in_time(CALENDAR, knew_on=date(2026, 11, 24), today=date(2026, 12, 5), excluded_days=0)


def test_a_complaint_lodged_8_october_about_a_fact_known_21_september_is_in_time_实施条例第60条_民法典第203条() -> None:
    """The 10th day, 1 October, is in the National Day holiday (1–7 October 2026): the last day is 8 October."""
    last = rules.check_lodged_in_time(CALENDAR, knew_on=date(2026, 9, 21), today=date(2026, 10, 8), excluded_days=0)
    assert last == date(2026, 10, 8)
    with pytest.raises(rules.ComplaintTooLate) as late:
        rules.check_lodged_in_time(CALENDAR, knew_on=date(2026, 9, 21), today=date(2026, 10, 9), excluded_days=0)
    assert "2026-10-08" in late.value.detail_zh


@given(
    knew=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    wait=st.integers(min_value=0, max_value=30),
)
def test_the_objection_answer_period_is_not_counted_into_the_10_days_实施条例第60条(knew: date, wait: int) -> None:
    last = rules.last_lodging_day(CALENDAR, knew_on=knew, excluded_days=wait)
    assert last == CALENDAR.period_end(knew, 10 + wait)  # 民法典 第201条, 第203条
    assert (last - knew).days >= 10 + wait
    raised = knew
    answered = date.fromordinal(raised.toordinal() + wait)
    assert rules.objection_wait_days(raised_on=raised, answered_on=answered, today=answered) == wait
    # an objection still unanswered keeps waiting until today
    assert rules.objection_wait_days(raised_on=raised, answered_on=None, today=answered) == wait


def test_acceptance_within_3_working_days_of_receipt_实施条例第61条() -> None:
    # received on Friday 27 November 2026: Monday, Tuesday, Wednesday
    assert rules.acceptance_due(CALENDAR, received_on=date(2026, 11, 27)) == date(2026, 12, 2)


def test_decision_within_30_working_days_reviews_not_counted_实施条例第61条() -> None:
    accepted = date(2026, 12, 3)
    assert rules.decision_due(CALENDAR, accepted_on=accepted, excluded_working_days=0) == date(2027, 1, 15)
    days = rules.review_working_days(CALENDAR, started_on=date(2027, 1, 4), ended_on=date(2027, 1, 8))
    assert days == 4
    assert rules.decision_due(CALENDAR, accepted_on=accepted, excluded_working_days=days) == date(2027, 1, 21)


def test_complaints_move_only_along_their_transitions() -> None:
    assert rules.move(current=rules.LODGED, target=rules.ACCEPTED, action_zh="x", action_en="x") == rules.ACCEPTED
    for current, target in (
        (rules.LODGED, rules.UPHELD),
        (rules.REFUSED, rules.ACCEPTED),
        (rules.UPHELD, rules.DISMISSED),
        (rules.ACCEPTED, rules.REFUSED),
    ):
        with pytest.raises(rules.ComplaintStateWrong):
            rules.move(current=current, target=target, action_zh="x", action_en="x")
