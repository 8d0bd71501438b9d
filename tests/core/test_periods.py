"""Every statutory period in the registry is counted by the one arithmetic (民法典 第201条: the day of the event is
not counted; 第203条: a last day on a statutory day off moves to the next working day; 工作日 where the law says
so), and every rule that uses a period gives that day, across National Day and the Spring Festival of 2026.

The expected days come from the ``chinese_calendar`` package directly, not from ggzy's calendar. The holidays
of 2026 (国办发明电〔2025〕7号 as the package carries it): Spring Festival 15–23 February, with Saturday 14 and
Saturday 28 February working days; National Day and Mid-Autumn 1–7 October, with Sunday 20 September and
Saturday 10 October working days.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest

from ggzy.auctions import rules as auction_rules
from ggzy.awards import rules as award_rules
from ggzy.complaints import rules as complaint_rules
from ggzy.core.calendar import CalendarYearUnknown, WorkingDayCalendar
from ggzy.core.calendar_store import package_calendar
from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.core.periods import DayCount, StatutoryPeriod, registered_periods, statutory_period
from ggzy.finance import forfeiture, refund_rules
from ggzy.prequalification import rules as prequalification_rules
from ggzy.tendering import rules as tender_rules
from ggzy.tendering.procedures import OPEN, RIGHTS
from ggzy.tendering.procurement_periods import CONSULTATION_PERIODS, PROCUREMENT_PERIODS

CALENDAR = package_calendar()
ONE_DAY = timedelta(days=1)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CHINA_STANDARD_TIME)


def _earliest_accepted(event_day: date, check: Callable[[date], None]) -> date:
    """The first day after the event that a rule accepts (it refuses every day before)."""
    day = event_day + ONE_DAY
    while True:
        try:
            check(day)
        except tender_rules.DocumentsOfferTooShort:
            day += ONE_DAY
            continue
        return day


def _earliest_deadline_after_objection(calendar: WorkingDayCalendar, event_day: date) -> date:
    """实施条例 第22条 read from the rule: the first deadline day for which an objection on ``event_day`` is in time."""
    day = event_day + ONE_DAY
    while tender_rules.last_objection_day(calendar, bid_deadline=_at(day), procedure=OPEN) < event_day:
        day += ONE_DAY
    return day


# The last day each rule gives for an event on ``event_day``: the rules themselves, not the period objects.
RULES: dict[str, Callable[[WorkingDayCalendar, date], date]] = {
    "tender.bid_period": lambda cal, day: tender_rules.earliest_deadline_date(cal, _at(day), OPEN),
    "tender.documents_on_offer": lambda cal, day: _earliest_accepted(
        day,
        lambda until: tender_rules.check_documents_offer(
            cal, offered_from=_at(day), offered_until=_at(until), procedure=OPEN
        ),
    ),
    "tender.clarification_before_deadline": lambda cal, day: tender_rules.china_date(
        tender_rules.deadline_after_clarification(cal, clarified_at=_at(day), bid_deadline=_at(day), procedure=OPEN)
    ),
    "tender.documents_objection_before_deadline": _earliest_deadline_after_objection,
    "tender.documents_objection_answer": lambda cal, day: tender_rules.objection_answer_due(
        cal, received_at=_at(day), procedure=OPEN
    ),
    "award.publicity_start": lambda cal, day: award_rules.last_publicity_start_day(
        cal, report_received_at=_at(day), procedure=OPEN
    ),
    "award.publicity": lambda cal, day: (
        award_rules.earliest_publicity_end(cal, starts_at=_at(day), procedure=OPEN).astimezone(CHINA_STANDARD_TIME)
        - ONE_DAY
    ).date(),
    "award.result_objection_answer": lambda cal, day: award_rules.objection_answer_due(
        cal, received_at=_at(day), procedure=OPEN
    ),
    "award.contract": lambda cal, day: award_rules.contract_due(cal, letter_issued_at=_at(day), procedure=OPEN),
    "complaint.lodging": lambda cal, day: complaint_rules.last_lodging_day(cal, knew_on=day, excluded_days=0),
    "complaint.acceptance": lambda cal, day: complaint_rules.acceptance_due(cal, received_on=day),
    "complaint.decision": lambda cal, day: complaint_rules.decision_due(cal, accepted_on=day, excluded_working_days=0),
}


def _first_day_accepted(event_day: date, check: Callable[[date], None], refusal: type[Exception]) -> date:
    """The first day after the event that a prequalification rule accepts."""
    day = event_day + ONE_DAY
    while True:
        try:
            check(day)
        except refusal:
            day += ONE_DAY
            continue
        return day


_PQ = prequalification_rules
RULES.update(
    {
        # 招标投标法实施条例 第16条, 第17条, 第21条, 第22条, read from the prequalification's rules
        "prequalification.documents_on_offer": lambda cal, day: _first_day_accepted(
            day,
            lambda until: _PQ.check_documents_offer(
                cal, _PQ.TENDERING, offered_from=_at(day), offered_until=_at(until)
            ),
            _PQ.DocumentsOfferTooShort,
        ),
        "prequalification.application_period": lambda cal, day: _first_day_accepted(
            day,
            lambda deadline: _PQ.check_application_period(
                cal, _PQ.TENDERING, published_at=_at(day), documents_until=_at(day), application_deadline=_at(deadline)
            ),
            _PQ.ApplicationPeriodTooShort,
        ),
        "prequalification.clarification_before_deadline": lambda cal, day: _PQ.china_date(
            _PQ.deadline_after_clarification(cal, _PQ.TENDERING, clarified_at=_at(day), application_deadline=_at(day))
        ),
        "prequalification.objection_before_deadline": lambda cal, day: _first_day_accepted(
            day,
            lambda deadline: _PQ.check_objection_in_time(
                cal, _PQ.TENDERING, raised_at=_at(day), application_deadline=_at(deadline)
            ),
            _PQ.ObjectionTooLate,
        ),
        "procurement.prequalification_submission": lambda cal, day: _first_day_accepted(  # 政府采购法实施条例 第21条
            day,
            lambda deadline: _PQ.check_application_period(
                cal,
                _PQ.PROCUREMENT,
                published_at=_at(day),
                documents_until=_at(day),
                application_deadline=_at(deadline),
            ),
            _PQ.ApplicationPeriodTooShort,
        ),
        "prequalification.objection_answer": lambda cal, day: _PQ.objection_answer_due(
            cal, _PQ.TENDERING, received_at=_at(day)
        ),
    }
)


def _procurement_period(key: str) -> Callable[[WorkingDayCalendar, date], date]:
    period = next(period for period in vars(PROCUREMENT_PERIODS).values() if period.key == key)
    return lambda cal, day: period.last_day(cal, day)


# 政府采购法 and its 实施条例: no rule uses these periods yet (they wait for the procedure registry's government
# procurement entries), so each period stands for its rule here; replace an entry with the rule once one uses it.
RULES.update(
    {
        key: _procurement_period(key)
        for key in (
            "procurement.bid_period",  # 政府采购法 第35条
            "procurement.documents_on_offer",  # 实施条例 第31条
            "procurement.clarification_before_deadline",  # 实施条例 第31条
            "procurement.deposit_refund_unsuccessful",  # 实施条例 第33条
            "procurement.deposit_refund_successful",  # 实施条例 第33条
            "procurement.sole_supplier_publicity",  # 实施条例 第38条
            "procurement.evaluation_report",  # 实施条例 第43条
            "procurement.supplier_determination",  # 实施条例 第43条
            "procurement.result_notice",  # 实施条例 第43条
            "procurement.contract",  # 政府采购法 第46条
            "procurement.contract_filing",  # 政府采购法 第47条
            "procurement.contract_publication",  # 实施条例 第50条
            "procurement.inquiry_answer",  # 实施条例 第52条
            "procurement.challenge",  # 政府采购法 第52条
            "procurement.challenge_answer",  # 政府采购法 第53条
            "procurement.complaint_lodging",  # 政府采购法 第55条
            "procurement.complaint_decision",  # 政府采购法 第56条
            "procurement.complaint_suspension",  # 政府采购法 第57条
        )
    }
)

# 竞争性磋商 (政府采购竞争性磋商采购方式管理暂行办法 第十条): the registry's ``consultation`` counts them with last_day
RULES.update(
    {
        period.key: (lambda cal, day, period=period: period.last_day(cal, day))
        for period in vars(CONSULTATION_PERIODS).values()
    }
)


def _refund_last_day(ground: refund_rules.RefundGround) -> Callable[[WorkingDayCalendar, date], date]:
    def last_day(cal: WorkingDayCalendar, day: date) -> date:
        found = refund_rules.refund_due("tendering_law", ground).last_day(cal, day)
        assert found is not None
        return found

    return last_day


# 招标投标法实施条例 第57条 (after the contract), 第35条 (after a withdrawal): read from finance's refund rules; and the
# bidder's complaint against a forfeiture (第60条), which must end where any complaint's lodging ends
RULES.update(
    {
        "finance.forfeiture_complaint": lambda cal, day: forfeiture.APPEAL.last_day(cal, day),
        "tendering.deposit_refund_after_contract": _refund_last_day(refund_rules.RefundGround.SUCCESSFUL),
        "tendering.deposit_refund_after_withdrawal": _refund_last_day(refund_rules.RefundGround.WITHDRAWN),
    }
)


def _auction_rule(entry: auction_rules.AuctionRules, field: str) -> Callable[[WorkingDayCalendar, date], date]:
    """The first day the entry's schedule check accepts for ``field`` after an event on ``event_day``: the listing's
    (or viewing's) end after its start, the bidding's start after the notice (rights trades, decision 0049)."""

    def schedule(event_day: date, day: date) -> auction_rules.Schedule:
        if field == "bidding_start":  # the notice on event_day, the bidding from day
            return auction_rules.Schedule(_at(event_day), _at(day), _at(day) + timedelta(days=60))
        if field == "viewing_end":  # the viewing from event_day to day, the auction long after
            far = _at(event_day) + timedelta(days=60)
            return auction_rules.Schedule(_at(event_day, 8), far, far + timedelta(hours=30), _at(event_day), _at(day))
        return auction_rules.Schedule(_at(event_day) - timedelta(days=60), _at(event_day), _at(day))

    def last_day(calendar: WorkingDayCalendar, event_day: date) -> date:
        day = event_day + ONE_DAY
        while any(f.field == field for f in auction_rules.schedule_faults(entry, calendar, schedule(event_day, day))):
            day += ONE_DAY
        return day

    return last_day


RULES.update(
    {
        "auction.listing_notice": _auction_rule(auction_rules.LISTING, "bidding_start"),
        "auction.listing_period": _auction_rule(auction_rules.LISTING, "bidding_end"),
        "auction.auction_notice": _auction_rule(auction_rules.AUCTION, "bidding_start"),
        "auction.viewing": _auction_rule(auction_rules.AUCTION, "viewing_end"),
        "auction.judicial_notice": _auction_rule(auction_rules.JUDICIAL, "bidding_start"),
        # a rights trade's deposit round (decision 0051): its deadline a day after its notice at the earliest
        "rights.deposit_round": lambda cal, day: tender_rules.earliest_deadline_date(cal, _at(day), RIGHTS),
        # the other bidders' deposits after a listing or an auction (decision 0051), counted from the bidding's end
        "auction.losers_refund": lambda cal, day: auction_rules.RIGHTS_REFUND.due_on(cal, _at(day)),
        # a judicial sale resumed within 5 days of its cause ending (decision 0052): the entry's own period
        "auction.judicial_resumption": lambda cal, day: _needed(auction_rules.JUDICIAL.resumption).last_day(cal, day),
    }
)


def _needed(period: StatutoryPeriod | None) -> StatutoryPeriod:
    assert period is not None
    return period


# Periods that are a centre's rules, not a law's (the national land regulations are not among the texts held): data
# the centre maintains, citing no article (decision 0049)
CENTRE_RULE_PERIODS = {
    "auction.listing_notice", "auction.listing_period", "auction.losers_refund", "rights.deposit_round",
}  # fmt: skip

PERIODS = registered_periods()
HOLIDAYS = {
    "national_day_2026": date(2026, 10, 1),  # 国庆节、中秋节 1–7 October
    "spring_festival_2026": date(2026, 2, 16),  # 春节 15–23 February
}


def _expected(period: StatutoryPeriod, event_day: date) -> date:
    """The last day, from the package's own data (not ggzy's calendar)."""
    if period.unit is DayCount.WORKING_DAYS:
        day, left = event_day, period.length
        while left:
            day += ONE_DAY
            left -= chinese_calendar.is_workday(day)
        return day
    day = event_day + timedelta(days=period.length)  # 民法典 第201条
    while not chinese_calendar.is_workday(day):  # 民法典 第203条
        day += ONE_DAY
    return day


def _event_days(period: StatutoryPeriod, holiday: date) -> list[date]:
    """Events whose period ends inside the holiday (calendar days), or runs across it (working days)."""
    if period.unit is DayCount.WORKING_DAYS:
        return [holiday - timedelta(days=2), holiday - ONE_DAY]
    return [holiday - timedelta(days=period.length), holiday - timedelta(days=period.length - 2)]


# The Ministry of Finance's measures for 竞争性磋商 (财库〔2014〕214号): only 第十条 is cited (procurement_periods)
LAWS = {
    "招标投标法", "招标投标法实施条例", "政府采购法", "政府采购法实施条例", "政府采购竞争性磋商采购方式管理暂行办法",
    "拍卖法", "最高人民法院关于人民法院网络司法拍卖若干问题的规定",
}  # fmt: skip


def test_the_registry_lists_every_period_of_the_procedures_and_of_complaints_with_its_article() -> None:
    keys = {period.key for period in PERIODS}
    assert keys == set(RULES)
    for period in PERIODS:
        if period.key in CENTRE_RULE_PERIODS:
            assert period.article == auction_rules.CENTRE_RULES, period.key
            continue
        assert period.article.split()[0] in LAWS, period.article
        assert re.search(r"第[一二三四五六七八九十百]+条", period.article), period.article
        assert period.name_zh, period.key
        assert period.name_en, period.key
    working = {period.key for period in PERIODS if period.unit is DayCount.WORKING_DAYS}
    # 招标投标法实施条例 第61条 says 工作日; so do these articles of 政府采购法 and its 实施条例, every other period 日
    assert working == {
        "complaint.acceptance",
        "complaint.decision",
        "procurement.prequalification_submission",  # 政府采购法实施条例 第21条
        "procurement.documents_on_offer",  # 政府采购法实施条例 第31条 第1款
        "consultation.documents_on_offer",  # 竞争性磋商 measures 第十条
        "procurement.deposit_refund_unsuccessful",  # 政府采购法实施条例 第33条
        "procurement.deposit_refund_successful",  # 政府采购法实施条例 第33条
        "procurement.sole_supplier_publicity",  # 政府采购法实施条例 第38条
        "procurement.evaluation_report",  # 政府采购法实施条例 第43条
        "procurement.supplier_determination",  # 政府采购法实施条例 第43条
        "procurement.result_notice",  # 政府采购法实施条例 第43条
        "procurement.contract_filing",  # 政府采购法 第47条
        "procurement.contract_publication",  # 政府采购法实施条例 第50条
        "procurement.inquiry_answer",  # 政府采购法实施条例 第52条
        "procurement.challenge",  # 政府采购法 第52条
        "procurement.challenge_answer",  # 政府采购法 第53条
        "procurement.complaint_lodging",  # 政府采购法 第55条
        "procurement.complaint_decision",  # 政府采购法 第56条
    }


@pytest.mark.parametrize("holiday", sorted(HOLIDAYS), ids=str)
@pytest.mark.parametrize("period", PERIODS, ids=lambda period: f"{period.key}-{period.article.replace(' ', '')}")
def test_every_period_ends_on_a_working_day_after_the_holiday_民法典第201条_第203条(
    period: StatutoryPeriod, holiday: str
) -> None:
    for event_day in _event_days(period, HOLIDAYS[holiday]):
        expected = _expected(period, event_day)
        assert period.last_day(CALENDAR, event_day) == expected
        assert RULES[period.key](CALENDAR, event_day) == expected, (period.article, event_day)
        assert chinese_calendar.is_workday(expected)


@pytest.mark.parametrize("period", PERIODS, ids=lambda period: period.key)
def test_every_period_reaching_a_year_the_calendar_does_not_know_is_an_explicit_error(period: StatutoryPeriod) -> None:
    """DESIGN §4.4: a period that runs into an unknown year is never guessed (the package knows up to 2026)."""
    with pytest.raises(CalendarYearUnknown) as unknown:
        RULES[period.key](CALENDAR, date(2026, 12, 31))
    assert unknown.value.year == 2027


def test_a_forfeitures_appeal_ends_where_a_complaints_lodging_ends_实施条例第60条() -> None:
    for day in (date(2026, 9, 21), date(2026, 9, 30), date(2026, 2, 5)):
        assert forfeiture.APPEAL.last_day(CALENDAR, day) == complaint_rules.LODGING.last_day(CALENDAR, day)


def test_the_examples_of_issue_9() -> None:
    objection_answer = OPEN.periods.objection_answer
    assert objection_answer.last_day(CALENDAR, date(2026, 9, 30)) == date(2026, 10, 8)  # not 3 October
    lodging = complaint_rules.LODGING
    assert lodging.has_run(CALENDAR, event_day=date(2026, 9, 21), by=date(2026, 10, 7)) is False
    assert lodging.last_day(CALENDAR, date(2026, 9, 21)) == date(2026, 10, 8)  # lodged on 8 October: in time


def test_a_swapped_working_day_ends_a_period_民法典第203条() -> None:
    # 10 days from 30 September end on Saturday 10 October, a swapped working day (调休上班): no move
    assert complaint_rules.LODGING.last_day(CALENDAR, date(2026, 9, 30)) == date(2026, 10, 10)


def test_a_period_counted_back_from_a_deadline_keeps_all_its_days() -> None:
    period = OPEN.periods.objection_before_deadline
    # a working-day deadline: 10 days before it, as the article reads
    assert period.last_event_day(CALENDAR, until=date(2026, 12, 1)) == date(2026, 11, 21)
    # a Sunday deadline (11 October 2026): 1 October's 10 days would run to Monday 12 October
    assert period.last_event_day(CALENDAR, until=date(2026, 10, 11)) == date(2026, 9, 30)
    for until in (date(2026, 10, 11), date(2026, 2, 22), date(2026, 12, 1)):
        last = period.last_event_day(CALENDAR, until=until)
        assert period.has_run(CALENDAR, event_day=last, by=until)
        assert not period.has_run(CALENDAR, event_day=last + ONE_DAY, by=until)


def test_days_not_counted_lengthen_a_period_实施条例第60条() -> None:
    # known 21 September, the objection waited 2 days for its answer: 12 days, to 3 October, moved to 8 October
    assert complaint_rules.LODGING.last_day(CALENDAR, date(2026, 9, 21), days_not_counted=2) == date(2026, 10, 8)
    with pytest.raises(ValueError, match="zero or more"):
        complaint_rules.LODGING.last_day(CALENDAR, date(2026, 9, 21), days_not_counted=-1)


def test_a_period_is_declared_once_a_different_one_under_its_key_is_refused() -> None:
    again = statutory_period(
        "complaint.lodging",
        name_zh=complaint_rules.LODGING.name_zh,
        name_en=complaint_rules.LODGING.name_en,
        length=10,
        unit=DayCount.DAYS,
        article="招标投标法实施条例 第六十条",
    )
    assert again is complaint_rules.LODGING
    with pytest.raises(ValueError, match="already declared differently"):
        statutory_period(
            "complaint.lodging",
            name_zh="x",
            name_en="x",
            length=15,
            unit=DayCount.DAYS,
            article="招标投标法实施条例 第六十条",
        )
    with pytest.raises(ValueError, match="at least one day"):
        StatutoryPeriod(key="k", name_zh="x", name_en="x", length=0, unit=DayCount.DAYS, article="x")
    assert {period.key for period in registered_periods()} == set(RULES)
