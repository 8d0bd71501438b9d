"""The statutory rules of a tender, as pure functions of times and a procedure (STYLE 4).

Periods are counted in calendar days on China Standard Time dates, the start day not counted (民法典 第201条):
documents issued on 1 November allow a bid deadline on 21 November at the earliest (招标投标法 第24条: 20 days).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ggzy.core.clock import as_utc, to_china_time
from ggzy.core.errors import DomainError
from ggzy.tendering.procedures import Procedure, Stage


class BidPeriodTooShort(DomainError):
    code = "bid_period_too_short"
    status = 422
    message_zh = (
        "自招标文件开始发出之日至投标截止之日不得少于 {days} 日（招标投标法 第二十四条）；最早可定于 {earliest}"
    )
    message_en = (
        "At least {days} days must run from the issue of the tender documents to the bid deadline "
        "(Tendering Law art. 24); the earliest deadline is {earliest}"
    )


class DocumentsOfferTooShort(DomainError):
    code = "documents_offer_too_short"
    status = 422
    message_zh = "招标文件的发售（获取）期不得少于 {days} 日（招标投标法实施条例 第十六条）"
    message_en = "The tender documents must be on offer for at least {days} days (Regulations art. 16)"


class ObjectionTooLate(DomainError):
    code = "objection_too_late"
    status = 422
    message_zh = (
        "对招标文件的异议应当在投标截止时间 {days} 日前提出（招标投标法实施条例 第二十二条），截止于 {last_day}"
    )
    message_en = (
        "Objections to the tender documents must be raised {days} days before the bid deadline "
        "(Regulations art. 22); the last day was {last_day}"
    )


def china_date(moment: datetime) -> date:
    return to_china_time(moment).date()


def days_between(start: datetime, end: datetime) -> int:
    """Whole calendar days from the day of ``start`` to the day of ``end`` (China time), the start day not counted."""
    return (china_date(end) - china_date(start)).days


def earliest_deadline_date(issued_at: datetime, procedure: Procedure) -> date:
    """招标投标法 第24条: the first day a bid deadline may fall on."""
    return china_date(issued_at) + timedelta(days=procedure.periods.issue_to_deadline_days)


def check_bid_period(*, issued_at: datetime, bid_deadline: datetime, procedure: Procedure) -> None:
    """招标投标法 第24条: at least 20 days from the first issue of the documents to the bid deadline."""
    earliest = earliest_deadline_date(issued_at, procedure)
    if china_date(bid_deadline) < earliest:
        raise BidPeriodTooShort(
            field="bid_deadline", days=procedure.periods.issue_to_deadline_days, earliest=earliest.isoformat()
        )


def check_documents_offer(*, offered_from: datetime, offered_until: datetime, procedure: Procedure) -> None:
    """招标投标法实施条例 第16条: the documents are on offer for at least 5 days."""
    if days_between(offered_from, offered_until) < procedure.periods.documents_on_offer_days:
        raise DocumentsOfferTooShort(field="documents_until", days=procedure.periods.documents_on_offer_days)


def deadline_after_clarification(*, clarified_at: datetime, bid_deadline: datetime, procedure: Procedure) -> datetime:
    """招标投标法 第23条, 实施条例 第21条: a clarification or amendment that may affect the bids must reach every
    holder of the documents at least 15 days before the deadline; if it is later, the deadline moves so that 15 days
    remain (same time of day). Returns the deadline that applies, never earlier than the one given."""
    days = procedure.periods.clarification_before_deadline_days
    if days_between(clarified_at, bid_deadline) >= days:
        return as_utc(bid_deadline)
    local_deadline = to_china_time(bid_deadline)
    moved = local_deadline + timedelta(days=days - days_between(clarified_at, bid_deadline))
    return as_utc(moved)


def last_objection_day(*, bid_deadline: datetime, procedure: Procedure) -> date:
    """招标投标法实施条例 第22条: objections to the tender documents until 10 days before the bid deadline."""
    return china_date(bid_deadline) - timedelta(days=procedure.periods.objection_before_deadline_days)


def check_objection_in_time(*, raised_at: datetime, bid_deadline: datetime, procedure: Procedure) -> None:
    last_day = last_objection_day(bid_deadline=bid_deadline, procedure=procedure)
    if china_date(raised_at) > last_day:
        raise ObjectionTooLate(
            field="raised_at", days=procedure.periods.objection_before_deadline_days, last_day=last_day.isoformat()
        )


def objection_answer_due(*, received_at: datetime, procedure: Procedure) -> date:
    """招标投标法实施条例 第22条: the owner answers within 3 days of receiving the objection (the last day)."""
    return china_date(received_at) + timedelta(days=procedure.periods.objection_answer_days)


def stage_at(*, recorded: Stage, bid_deadline: datetime | None, now: datetime) -> Stage:
    """The stage of a lot now: a published lot is closed once the clock passes its deadline — derived from time,
    never from a job that might run late (DESIGN §5)."""
    if recorded == Stage.PUBLISHED and bid_deadline is not None and as_utc(now) >= as_utc(bid_deadline):
        return Stage.CLOSED
    return recorded


def enough_bids_to_open(bid_count: int, procedure: Procedure) -> bool:
    """招标投标法实施条例 第44条: with fewer than 3 bids the bids are not opened and the lot is re-tendered."""
    return bid_count >= procedure.periods.minimum_bids


def committee_is_lawful(*, members: int, experts: int, procedure: Procedure) -> bool:
    """招标投标法 第37条: five or more members, an odd number, technical and economic experts at least two thirds."""
    rule = procedure.committee
    if members < rule.minimum_members or (rule.odd and members % 2 == 0):
        return False
    return experts * rule.expert_share_denominator >= members * rule.expert_share_numerator
