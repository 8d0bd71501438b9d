"""The statutory periods of government procurement (政府采购法, 政府采购法实施条例), each test named after its article,
each across National Day and the Spring Festival with a swapped working day (调休).

The calendar is the one the period tests load (:func:`ggzy.core.calendar_store.package_calendar`, the
``chinese_calendar`` package, which carries the State Council's schedules). Every expected day below is counted by
hand from those schedules, not from ggzy's arithmetic:

* 2025 Spring Festival: off Tuesday 28 January – Tuesday 4 February; Sunday 26 January and Saturday 8 February
  are working days.
* 2025 National Day and Mid-Autumn: off Wednesday 1 – Wednesday 8 October; Sunday 28 September and Saturday
  11 October are working days.
* 2026 Spring Festival: off Sunday 15 – Monday 23 February; Saturday 14 and Saturday 28 February are working days.
* 2026 Mid-Autumn: off Friday 25 September (with the weekend of 26–27 September).
* 2026 National Day: off Thursday 1 – Wednesday 7 October; Sunday 20 September and Saturday 10 October are working
  days.

How a day is counted (民法典 第201条, 第203条, see :mod:`ggzy.core.periods`): the day of the event is not counted;
a period in 日 whose last day is a day off ends on the next working day, a swapped working day included; a period
in 工作日 counts working days only, swapped working days included.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import date

import pytest

from ggzy.core.calendar_store import package_calendar
from ggzy.core.periods import DayCount, StatutoryPeriod, registered_periods
from ggzy.tendering.procurement_periods import PROCUREMENT_ARTICLES, PROCUREMENT_PERIODS

CALENDAR = package_calendar()
P = PROCUREMENT_PERIODS
# "政府采购法 第三十五条", "政府采购法 第三十六条、第三十七条", "政府采购法 第五十二条至第五十七条"
ARTICLE = re.compile(r"\S+ 第[一二三四五六七八九十]+条([、至]第[一二三四五六七八九十]+条)?")


def _declared(period: StatutoryPeriod, length: int, unit: DayCount, article: str) -> None:
    """The period is declared as the article reads, and once in the registry."""
    assert (period.length, period.unit, period.article) == (length, unit, article)
    assert period in registered_periods()


def _last_days(period: StatutoryPeriod, cases: dict[date, date]) -> None:
    for event_day, last_day in cases.items():
        assert period.last_day(CALENDAR, event_day) == last_day, (period.key, event_day)
        assert CALENDAR.is_working_day(last_day)


# -- tendering of goods and services ---------------------------------------------------------------------------


def test_bid_period_政府采购法第三十五条_20日_from_the_first_issue_of_the_documents() -> None:
    _declared(P.bid_period, 20, DayCount.DAYS, "政府采购法 第三十五条")
    _last_days(
        P.bid_period,
        {
            date(2025, 9, 18): date(2025, 10, 9),  # 18 Sep + 20 = Wed 8 Oct 2025, a holiday: Thu 9 Oct
            date(2025, 1, 9): date(2025, 2, 5),  # 9 Jan + 20 = Wed 29 Jan 2025, Spring Festival to 4 Feb: Wed 5 Feb
            date(2026, 9, 11): date(2026, 10, 8),  # 11 Sep + 20 = Thu 1 Oct 2026, holiday to 7 Oct: Thu 8 Oct
            date(2026, 1, 27): date(2026, 2, 24),  # 27 Jan + 20 = Mon 16 Feb 2026, holiday to 23 Feb: Tue 24 Feb
            date(2026, 9, 20): date(2026, 10, 10),  # 20 Sep + 20 = Sat 10 Oct 2026, a swapped working day: no move
        },
    )
    # must run: documents issued 11 September 2026, a deadline on 7 October is too early, 8 October is not
    assert not P.bid_period.has_run(CALENDAR, event_day=date(2026, 9, 11), by=date(2026, 10, 7))
    assert P.bid_period.has_run(CALENDAR, event_day=date(2026, 9, 11), by=date(2026, 10, 8))


def test_prequalification_submission_政府采购法实施条例第二十一条_5个工作日_from_the_notice() -> None:
    _declared(P.prequalification_submission, 5, DayCount.WORKING_DAYS, "政府采购法实施条例 第二十一条")
    _last_days(
        P.prequalification_submission,
        {
            # notice Mon 28 Sep 2026: 29, 30 Sep, (1–7 Oct off) 8, 9 Oct, Sat 10 Oct (调休) is the 5th
            date(2026, 9, 28): date(2026, 10, 10),
            # notice Thu 12 Feb 2026: 13, Sat 14 (调休), (15–23 off) 24, 25, 26 Feb
            date(2026, 2, 12): date(2026, 2, 26),
        },
    )


def test_documents_on_offer_政府采购法实施条例第三十一条_5个工作日_from_the_first_issue() -> None:
    _declared(P.documents_on_offer, 5, DayCount.WORKING_DAYS, "政府采购法实施条例 第三十一条")
    _last_days(
        P.documents_on_offer,
        {
            # issued Thu 24 Sep 2026: Fri 25 Sep is Mid-Autumn; 28, 29, 30 Sep, (1–7 Oct off) 8, 9 Oct
            date(2026, 9, 24): date(2026, 10, 9),
            # issued Fri 24 Jan 2025: Sun 26 Jan (调休), Mon 27 Jan, (28 Jan–4 Feb off) 5, 6, 7 Feb
            date(2025, 1, 24): date(2025, 2, 7),
        },
    )


def test_clarification_before_deadline_政府采购法实施条例第三十一条_15日_or_the_deadline_moves() -> None:
    _declared(P.clarification_before_deadline, 15, DayCount.DAYS, "政府采购法实施条例 第三十一条")
    _last_days(
        P.clarification_before_deadline,
        {
            date(2026, 9, 18): date(2026, 10, 8),  # 18 Sep + 15 = Sat 3 Oct 2026, holiday to 7 Oct: Thu 8 Oct
            date(2026, 2, 1): date(2026, 2, 24),  # 1 Feb + 15 = Mon 16 Feb 2026, holiday to 23 Feb: Tue 24 Feb
            date(2026, 2, 13): date(2026, 2, 28),  # 13 Feb + 15 = Sat 28 Feb 2026, a swapped working day: no move
        },
    )
    # counted back from a deadline on Thu 8 Oct 2026: 8 Oct − 15 = 23 Sep, whose 15 days end on 8 Oct itself
    assert P.clarification_before_deadline.last_event_day(CALENDAR, until=date(2026, 10, 8)) == date(2026, 9, 23)
    # a deadline on Wed 7 Oct 2026 (a holiday): 22 Sep + 15 = 7 Oct moves to 8 Oct, too late, and so on back to
    # 15 Sep, whose 15 days end on Wed 30 Sep, a working day
    assert P.clarification_before_deadline.last_event_day(CALENDAR, until=date(2026, 10, 7)) == date(2026, 9, 15)


def test_deposit_refund_unsuccessful_政府采购法实施条例第三十三条_5个工作日_from_the_letter_of_award() -> None:
    _declared(P.deposit_refund_unsuccessful, 5, DayCount.WORKING_DAYS, "政府采购法实施条例 第三十三条")
    _last_days(
        P.deposit_refund_unsuccessful,
        {
            # letter Fri 26 Sep 2025: Sun 28 Sep (调休), 29, 30 Sep, (1–8 Oct off) 9, 10 Oct
            date(2025, 9, 26): date(2025, 10, 10),
            # letter Tue 24 Feb 2026: 25, 26, 27, Sat 28 Feb (调休), Mon 2 Mar
            date(2026, 2, 24): date(2026, 3, 2),
        },
    )


def test_deposit_refund_successful_政府采购法实施条例第三十三条_5个工作日_from_the_contract() -> None:
    _declared(P.deposit_refund_successful, 5, DayCount.WORKING_DAYS, "政府采购法实施条例 第三十三条")
    _last_days(
        P.deposit_refund_successful,
        {
            # signed Mon 27 Jan 2025: (28 Jan–4 Feb off) 5, 6, 7 Feb, Sat 8 Feb (调休), Mon 10 Feb
            date(2025, 1, 27): date(2025, 2, 10),
            # signed Mon 28 Sep 2026: 29, 30 Sep, 8, 9 Oct, Sat 10 Oct (调休)
            date(2026, 9, 28): date(2026, 10, 10),
        },
    )


# -- single source -----------------------------------------------------------------------------------------------


def test_sole_supplier_publicity_政府采购法实施条例第三十八条_5个工作日_from_publication() -> None:
    _declared(P.sole_supplier_publicity, 5, DayCount.WORKING_DAYS, "政府采购法实施条例 第三十八条")
    _last_days(
        P.sole_supplier_publicity,
        {
            date(2026, 9, 24): date(2026, 10, 9),  # 28, 29, 30 Sep, 8, 9 Oct (25 Sep Mid-Autumn, 1–7 Oct off)
            date(2026, 2, 12): date(2026, 2, 26),  # 13, Sat 14 (调休), 24, 25, 26 Feb
            date(2026, 9, 28): date(2026, 10, 10),  # 29, 30 Sep, 8, 9 Oct, Sat 10 Oct (调休)
        },
    )
    # must run: published 24 September 2026, the publicity has not run on 8 October
    assert not P.sole_supplier_publicity.has_run(CALENDAR, event_day=date(2026, 9, 24), by=date(2026, 10, 8))


# -- evaluation, award and contract -------------------------------------------------------------------------------


def test_evaluation_report_政府采购法实施条例第四十三条_2个工作日_from_the_end_of_the_evaluation() -> None:
    _declared(P.evaluation_report, 2, DayCount.WORKING_DAYS, "政府采购法实施条例 第四十三条")
    _last_days(
        P.evaluation_report,
        {
            date(2026, 9, 29): date(2026, 10, 8),  # Wed 30 Sep, (1–7 Oct off) Thu 8 Oct
            date(2026, 2, 13): date(2026, 2, 24),  # Sat 14 Feb (调休), (15–23 off) Tue 24 Feb
        },
    )


def test_supplier_determination_政府采购法实施条例第四十三条_5个工作日_from_receiving_the_report() -> None:
    _declared(P.supplier_determination, 5, DayCount.WORKING_DAYS, "政府采购法实施条例 第四十三条")
    _last_days(
        P.supplier_determination,
        {
            date(2025, 9, 26): date(2025, 10, 10),  # Sun 28 Sep (调休), 29, 30 Sep, (1–8 Oct off) 9, 10 Oct
            date(2025, 1, 24): date(2025, 2, 7),  # Sun 26 Jan (调休), 27 Jan, (28 Jan–4 Feb off) 5, 6, 7 Feb
        },
    )


def test_result_notice_政府采购法实施条例第四十三条_2个工作日_from_the_determination() -> None:
    _declared(P.result_notice, 2, DayCount.WORKING_DAYS, "政府采购法实施条例 第四十三条")
    _last_days(
        P.result_notice,
        {
            date(2025, 9, 30): date(2025, 10, 10),  # (1–8 Oct 2025 off) Thu 9, Fri 10 Oct
            date(2025, 1, 27): date(2025, 2, 6),  # (28 Jan–4 Feb off) Wed 5, Thu 6 Feb
            date(2025, 10, 9): date(2025, 10, 11),  # Fri 10 Oct, Sat 11 Oct (调休)
        },
    )


def test_contract_政府采购法第四十六条_30日_from_the_letter_of_award() -> None:
    _declared(P.contract, 30, DayCount.DAYS, "政府采购法 第四十六条")
    _last_days(
        P.contract,
        {
            date(2025, 9, 1): date(2025, 10, 9),  # 1 Sep + 30 = Wed 1 Oct 2025, holiday to 8 Oct: Thu 9 Oct
            date(2026, 1, 17): date(2026, 2, 24),  # 17 Jan + 30 = Mon 16 Feb 2026, holiday to 23 Feb: Tue 24 Feb
            date(2025, 9, 11): date(2025, 10, 11),  # 11 Sep + 30 = Sat 11 Oct 2025, a swapped working day: no move
        },
    )


def test_contract_filing_政府采购法第四十七条_7个工作日_from_signing() -> None:
    _declared(P.contract_filing, 7, DayCount.WORKING_DAYS, "政府采购法 第四十七条")
    _last_days(
        P.contract_filing,
        {
            # signed Mon 28 Sep 2026: 29, 30 Sep, 8, 9, Sat 10 (调休), Mon 12, Tue 13 Oct
            date(2026, 9, 28): date(2026, 10, 13),
            # signed Thu 12 Feb 2026: 13, Sat 14 (调休), 24, 25, 26, 27, Sat 28 Feb (调休)
            date(2026, 2, 12): date(2026, 2, 28),
        },
    )


def test_contract_publication_政府采购法实施条例第五十条_2个工作日_from_signing() -> None:
    _declared(P.contract_publication, 2, DayCount.WORKING_DAYS, "政府采购法实施条例 第五十条")
    _last_days(
        P.contract_publication,
        {
            date(2026, 10, 8): date(2026, 10, 10),  # Fri 9 Oct, Sat 10 Oct 2026 (调休)
            date(2026, 2, 13): date(2026, 2, 24),  # Sat 14 Feb (调休), Tue 24 Feb
            date(2026, 9, 30): date(2026, 10, 9),  # (1–7 Oct off) Thu 8, Fri 9 Oct
        },
    )


# -- inquiries, challenges and complaints -------------------------------------------------------------------------


def test_inquiry_answer_政府采购法实施条例第五十二条_3个工作日() -> None:
    _declared(P.inquiry_answer, 3, DayCount.WORKING_DAYS, "政府采购法实施条例 第五十二条")
    _last_days(
        P.inquiry_answer,
        {
            date(2026, 9, 29): date(2026, 10, 9),  # Wed 30 Sep, Thu 8, Fri 9 Oct
            date(2025, 1, 24): date(2025, 2, 5),  # Sun 26 Jan (调休), Mon 27 Jan, Wed 5 Feb
            date(2026, 10, 8): date(2026, 10, 12),  # Fri 9, Sat 10 (调休), Mon 12 Oct
        },
    )


def test_challenge_政府采购法第五十二条_7个工作日_from_knowing_of_the_harm() -> None:
    _declared(P.challenge, 7, DayCount.WORKING_DAYS, "政府采购法 第五十二条；政府采购法实施条例 第五十三条")
    _last_days(
        P.challenge,
        {
            # knew Fri 26 Sep 2025: Sun 28 (调休), 29, 30 Sep, 9, 10, Sat 11 (调休), Mon 13 Oct
            date(2025, 9, 26): date(2025, 10, 13),
            # knew Thu 23 Jan 2025: 24, Sun 26 (调休), 27 Jan, 5, 6, 7, Sat 8 Feb (调休)
            date(2025, 1, 23): date(2025, 2, 8),
        },
    )


def test_challenge_answer_政府采购法第五十三条_7个工作日_from_receipt() -> None:
    _declared(P.challenge_answer, 7, DayCount.WORKING_DAYS, "政府采购法 第五十三条")
    _last_days(
        P.challenge_answer,
        {
            # received Mon 21 Sep 2026: 22, 23, 24, (25 Mid-Autumn) 28, 29, 30 Sep, Thu 8 Oct
            date(2026, 9, 21): date(2026, 10, 8),
            # received Thu 12 Feb 2026: 13, Sat 14 (调休), 24, 25, 26, 27, Sat 28 Feb (调休)
            date(2026, 2, 12): date(2026, 2, 28),
        },
    )


def test_complaint_lodging_政府采购法第五十五条_15个工作日_after_the_answer_period() -> None:
    _declared(P.complaint_lodging, 15, DayCount.WORKING_DAYS, "政府采购法 第五十五条")
    _last_days(
        P.complaint_lodging,
        {
            # answer period ended Thu 24 Sep 2026: 28, 29, 30 Sep (3); 8, 9, Sat 10 (调休) (6); 12–16 Oct (11);
            # 19, 20, 21, 22 Oct (15)
            date(2026, 9, 24): date(2026, 10, 22),
            # ended Tue 10 Feb 2026: 11, 12, 13, Sat 14 (调休) (4); 24, 25, 26, 27, Sat 28 (调休) (9);
            # 2–6 Mar (14); Mon 9 Mar (15)
            date(2026, 2, 10): date(2026, 3, 9),
        },
    )
    # 第53条 then 第55条: a challenge received Mon 21 Sep 2026 is to be answered by Thu 8 Oct; the complaint may
    # be lodged for 15 working days after that: 9, Sat 10 (调休) (2); 12–16 (7); 19–23 (12); 26, 27, 28 Oct (15)
    answer_period_ends = P.challenge_answer.last_day(CALENDAR, date(2026, 9, 21))
    assert P.complaint_lodging.last_day(CALENDAR, answer_period_ends) == date(2026, 10, 28)


def test_complaint_decision_政府采购法第五十六条_30个工作日_from_receipt_实施条例第五十八条() -> None:
    _declared(P.complaint_decision, 30, DayCount.WORKING_DAYS, "政府采购法 第五十六条；政府采购法实施条例 第五十八条")
    _last_days(
        P.complaint_decision,
        {
            # received Thu 24 Sep 2026: 28–30 Sep (3); 8, 9, Sat 10 Oct (调休) (6); 12–16 (11); 19–23 (16);
            # 26–30 Oct (21); 2–6 Nov (26); 9, 10, 11, 12 Nov (30)
            date(2026, 9, 24): date(2026, 11, 12),
            # received Tue 10 Feb 2026: 11, 12, 13, Sat 14 (调休) (4); 24–27, Sat 28 (调休) (9); 2–6 Mar (14);
            # 9–13 (19); 16–20 (24); 23–27 (29); Mon 30 Mar (30)
            date(2026, 2, 10): date(2026, 3, 30),
        },
    )
    # 实施条例 第58条: 5 working days of expert review are not counted: 13, 16, 17, 18, 19 Nov
    assert P.complaint_decision.last_day(CALENDAR, date(2026, 9, 24), days_not_counted=5) == date(2026, 11, 19)


def test_complaint_suspension_政府采购法第五十七条_at_most_30日_from_the_notice() -> None:
    _declared(P.complaint_suspension, 30, DayCount.DAYS, "政府采购法 第五十七条")
    _last_days(
        P.complaint_suspension,
        {
            date(2026, 9, 1): date(2026, 10, 8),  # 1 Sep + 30 = Thu 1 Oct 2026, holiday to 7 Oct: Thu 8 Oct
            date(2025, 1, 1): date(2025, 2, 5),  # 1 Jan + 30 = Fri 31 Jan 2025, holiday to 4 Feb: Wed 5 Feb
            date(2026, 1, 15): date(2026, 2, 14),  # 15 Jan + 30 = Sat 14 Feb 2026, a swapped working day: no move
        },
    )


# -- the structure handed to the procedure registry --------------------------------------------------------------


def test_every_procurement_period_has_a_test_above_and_is_registered_once() -> None:
    periods = [getattr(P, field.name) for field in fields(P)]
    assert len({period.key for period in periods}) == len(periods) == 19
    tested = {name for name in globals() if name.startswith("test_")}
    for field in fields(P):
        assert any(name.startswith(f"test_{field.name}_") for name in tested), field.name
    assert all(period.key.startswith("procurement.") for period in periods)


def test_the_methods_of_政府采购法第二十六条_each_with_its_articles_and_periods() -> None:
    # 竞争性磋商 (consultation) is the Ministry of Finance's, whose measures are not among the law texts held
    assert set(PROCUREMENT_ARTICLES) == {"open", "invited", "negotiation", "single_source", "rfq"}
    items = [entry.listed_in for entry in PROCUREMENT_ARTICLES.values()]
    assert items == [f"政府采购法 第二十六条 第一款 第（{n}）项" for n in "一二三四五"]
    every_period = {getattr(P, field.name) for field in fields(P)}
    used: set[StatutoryPeriod] = set()
    for entry in PROCUREMENT_ARTICLES.values():
        assert entry.use, entry.key
        assert entry.steps, entry.key
        for summary in (*entry.use, *entry.steps):
            for cited in summary.article.split("；"):
                assert cited.split()[0] in {"政府采购法", "政府采购法实施条例"}, summary.article
                assert ARTICLE.fullmatch(cited), cited
            assert summary.summary_zh, summary.article
            assert summary.summary_en, summary.article
        assert set(entry.periods) <= every_period, entry.key
        used |= set(entry.periods)
    assert used == every_period
    # 实施条例 第38条 is single source's alone; 政府采购法 第35条 binds the two tendering methods only
    assert [key for key, entry in PROCUREMENT_ARTICLES.items() if P.sole_supplier_publicity in entry.periods] == [
        "single_source"
    ]
    assert [key for key, entry in PROCUREMENT_ARTICLES.items() if P.bid_period in entry.periods] == ["open", "invited"]


@pytest.mark.parametrize("key", ["negotiation", "rfq"])
def test_negotiation_and_rfq_have_no_response_period_in_政府采购法第三十八条_第四十条(key: str) -> None:
    """Neither law sets the time from the documents to the responses of 竞争性谈判 or 询价: no such period is
    declared from them (it would need the Ministry of Finance's rules, which are not among the texts)."""
    periods = PROCUREMENT_ARTICLES[key].periods
    assert P.bid_period not in periods
    assert P.documents_on_offer not in periods
    assert P.clarification_before_deadline not in periods
