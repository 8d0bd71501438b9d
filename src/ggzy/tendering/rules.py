"""The statutory rules of a tender, as pure functions of times and a procedure (STYLE 4).

Periods are the procedure's statutory periods (:mod:`ggzy.core.periods`), counted on China Standard Time dates by
their one arithmetic: the start day not counted (民法典 第201条), a last day on a statutory day off moved to the
next working day (第203条). Documents issued on Monday 2 November 2026 allow a bid deadline on Monday 23 November
at the earliest (招标投标法 第24条: the 20th day, Sunday 22 November, is a day off).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from ggzy.core.calendar import WorkingDayCalendar
from ggzy.core.clock import as_utc, to_china_time
from ggzy.core.errors import DomainError
from ggzy.core.money import format_yuan
from ggzy.core.violations import MissedPeriod, missed
from ggzy.tendering.procedures import Procedure


class BidPeriodTooShort(DomainError):
    code = "bid_period_too_short"
    status = 422
    message_zh = (
        "自招标文件开始发出之日至投标截止之日不得少于 {days} {unit_zh}（{article}）；最早可定于 {earliest}"
        "（期间最后一日为法定休假日的顺延，民法典 第二百零三条）"
    )
    message_en = (
        "At least {days} {unit_en} must run from the issue of the tender documents to the bid deadline "
        "({article}); the earliest deadline is {earliest} (a last day on a statutory day off moves to "
        "the next working day, Civil Code art. 203)"
    )


class DocumentsOfferTooShort(DomainError):
    code = "documents_offer_too_short"
    status = 422
    message_zh = "招标文件的发售（获取）期不得少于 {days} {unit_zh}（{article}），最早可至 {earliest}"
    message_en = (
        "The tender documents must be on offer for at least {days} {unit_en} ({article}), "
        "at the earliest until {earliest}"
    )


class ChallengeTooLate(DomainError):
    code = "challenge_too_late"
    status = 422
    message_zh = (
        "供应商应在知道或者应知其权益受到损害之日起 {days} {unit_zh}内以书面形式提出质疑（{article}；"
        "对采购文件的质疑，自收到采购文件之日或者采购文件公告期限届满之日起算，政府采购法实施条例 第五十三条），"
        "截止于 {last_day}"
    )
    message_en = (
        "A challenge is made in writing within {days} {unit_en} of knowing ({article}; for the procurement "
        "documents, from receiving them or the end of their notice period, Implementing Regulations art. 53); "
        "the last day was {last_day}"
    )


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


def earliest_deadline_date(calendar: WorkingDayCalendar, issued_at: datetime, procedure: Procedure) -> date:
    """招标投标法 第24条: the first day a bid deadline may fall on, the last day of the 20 days (民法典 第203条:
    moved past a statutory day off)."""
    return procedure.periods.bid_period.last_day(calendar, china_date(issued_at))


def check_bid_period(
    calendar: WorkingDayCalendar, *, issued_at: datetime, bid_deadline: datetime, procedure: Procedure
) -> None:
    """招标投标法 第24条: at least 20 days from the first issue of the documents to the bid deadline."""
    earliest = earliest_deadline_date(calendar, issued_at, procedure)
    if china_date(bid_deadline) < earliest:
        raise BidPeriodTooShort(
            field="bid_deadline", earliest=earliest.isoformat(), **procedure.periods.bid_period.words()
        )


def check_documents_offer(
    calendar: WorkingDayCalendar, *, offered_from: datetime, offered_until: datetime, procedure: Procedure
) -> None:
    """招标投标法实施条例 第16条: the documents are on offer for at least 5 days."""
    period = procedure.periods.documents_on_offer
    first_day = china_date(offered_from)
    if not period.has_run(calendar, event_day=first_day, by=china_date(offered_until)):
        raise DocumentsOfferTooShort(
            field="documents_until", earliest=period.last_day(calendar, first_day).isoformat(), **period.words()
        )


def deadline_after_clarification(
    calendar: WorkingDayCalendar, *, clarified_at: datetime, bid_deadline: datetime, procedure: Procedure
) -> datetime:
    """招标投标法 第23条, 实施条例 第21条: a clarification or amendment that may affect the bids must reach every
    holder of the documents at least 15 days before the deadline; if it is later, the deadline moves to the last day
    of the 15 days (same time of day). Returns the deadline that applies, never earlier than the one given."""
    last_day = procedure.periods.clarification_before_deadline.last_day(calendar, china_date(clarified_at))
    local_deadline = to_china_time(bid_deadline)
    if local_deadline.date() >= last_day:
        return as_utc(bid_deadline)
    return as_utc(local_deadline + timedelta(days=(last_day - local_deadline.date()).days))


def last_objection_day(
    calendar: WorkingDayCalendar, *, bid_deadline: datetime, procedure: Procedure, knew_at: datetime | None = None
) -> date:
    """The last day to object to the documents.

    招标投标法实施条例 第22条: until 10 days before the bid deadline, the last day whose 10 days have run by the
    deadline's day. 政府采购法 第52条 with 实施条例 第53条 (一): a challenge (质疑) within 7 working days of the day
    the supplier received the documents, or of the end of their notice period (``knew_at``)."""
    periods = procedure.periods
    if periods.objection_before_deadline is not None:
        return periods.objection_before_deadline.last_event_day(calendar, until=china_date(bid_deadline))
    assert periods.challenge is not None
    assert knew_at is not None
    return periods.challenge.last_day(calendar, china_date(knew_at))


def check_objection_in_time(
    calendar: WorkingDayCalendar,
    *,
    raised_at: datetime,
    bid_deadline: datetime,
    procedure: Procedure,
    knew_at: datetime | None = None,
) -> None:
    last_day = last_objection_day(calendar, bid_deadline=bid_deadline, procedure=procedure, knew_at=knew_at)
    if procedure.periods.objection_before_deadline is None and china_date(raised_at) > last_day:
        assert procedure.periods.challenge is not None
        raise ChallengeTooLate(field="raised_at", last_day=last_day.isoformat(), **procedure.periods.challenge.words())
    if china_date(raised_at) > last_day:
        raise ObjectionTooLate(
            field="raised_at",
            days=procedure.periods.objection_before_deadline.length,  # type: ignore[union-attr]
            last_day=last_day.isoformat(),
        )


def objection_answer_due(calendar: WorkingDayCalendar, *, received_at: datetime, procedure: Procedure) -> date:
    """招标投标法实施条例 第22条: the owner answers within 3 days of receiving the objection (the last day)."""
    return procedure.periods.objection_answer.last_day(calendar, china_date(received_at))


def answer_missed(*, answer_due: date, answered_at: datetime, procedure: Procedure) -> MissedPeriod | None:
    """招标投标法实施条例 第22条: an answer after its 3 days is still given (the tender stays paused until it is, so
    refusing it would lock the lot) and the missed period is recorded (decision 0021)."""
    return missed(procedure.periods.objection_answer, due=answer_due, happened_on=china_date(answered_at))


def enough_bidders_to_open(bidder_count: int, procedure: Procedure) -> bool:
    """招标投标法实施条例 第44条 (招标投标法 第28条): with fewer than 3 bidders at the deadline the bids are not
    opened and the lot is re-tendered."""
    return bidder_count >= procedure.opening.minimum_bidders


def fails_after_decryption(decrypted_count: int, procedure: Procedure) -> bool:
    """Whether an opened lot fails when its decryption closes. 第44条 counted the bidders already; a bid that did
    not decrypt is revoked or withdrawn (电子招标投标办法 第三十一条) and the others are opened all the same. So
    the lot fails only when no bid was opened at all, or when the procedure carries a stricter local rule
    (:class:`~ggzy.tendering.procedures.OpeningRule`, with its source)."""
    minimum = procedure.opening.minimum_decrypted
    return decrypted_count == 0 or (minimum is not None and decrypted_count < minimum)


def committee_is_lawful(*, members: int, experts: int, procedure: Procedure) -> bool:
    """招标投标法 第37条: five or more members, an odd number, technical and economic experts at least two thirds."""
    rule = procedure.committee
    if members < rule.minimum_members or (rule.odd and members % 2 == 0):
        return False
    return experts * rule.expert_share_denominator >= members * rule.expert_share_numerator


# The bid deposit (投标保证金) a tender may require: at most 2% of the lot's estimate (招标投标法实施条例 第26条:
# 招标项目估算价) or of its budget (政府采购法实施条例 第33条: 采购项目预算金额), which the lot's ``budget_fen`` holds.
DEPOSIT_CAP_PERCENT = 2
DEPOSIT_ARTICLES = {
    "tendering_law": ("招标投标法实施条例 第二十六条", "估算价", "estimate"),
    "procurement_law": ("政府采购法实施条例 第三十三条", "预算金额", "budget"),
}
MAX_BID_VALIDITY_DAYS = 365


class DepositAboveCap(DomainError):
    code = "deposit_above_cap"
    status = 422
    message_zh = "投标保证金不得超过项目{basis_zh}的 2%，即 {cap} 元（{article}）"
    message_en = "The bid deposit may not exceed 2% of the lot's {basis_en}, {cap} yuan ({article})"


class DepositWithoutBidValidity(DomainError):
    code = "deposit_without_bid_validity"
    status = 422
    message_zh = (
        "要求投标保证金的，须载明投标有效期：投标保证金有效期应当与投标有效期一致"
        "（招标投标法实施条例 第二十五条、第二十六条）"
    )
    message_en = (
        "A tender requiring a bid deposit states its bid validity: the deposit's validity equals it "
        "(Regulations art. 25, 26)"
    )


def deposit_cap_fen(budget_fen: int) -> int:
    """2% of the estimate or budget, in whole 分 (rounded down: the cap is never exceeded)."""
    return budget_fen * DEPOSIT_CAP_PERCENT // 100


def deposit_of_percent(budget_fen: int, percent: Decimal) -> int:
    """A deposit declared as a percentage of the estimate or budget, in whole 分 (rounded down)."""
    return int(Decimal(budget_fen) * percent / 100 // 1)


def check_deposit(
    *, law_key: str, deposit_fen: int | None, budget_fen: int, bid_validity_days: int | None, field: str = "deposit"
) -> None:
    """A tender's bid deposit is within the cap of its law, and its bid validity is stated (招标投标法实施条例
    第25条、第26条; 政府采购法实施条例 第33条)."""
    if deposit_fen is None:
        return
    if law_key not in DEPOSIT_ARTICLES:  # a rights trade's deposit (decision 0051): no cap among the laws held
        return
    article, basis_zh, basis_en = DEPOSIT_ARTICLES[law_key]
    cap = deposit_cap_fen(budget_fen)
    if deposit_fen > cap:
        raise DepositAboveCap(field=field, basis_zh=basis_zh, basis_en=basis_en, cap=format_yuan(cap), article=article)
    if bid_validity_days is None:
        raise DepositWithoutBidValidity(field="bid_validity_days")


def bid_validity_ends(bid_deadline: datetime, bid_validity_days: int) -> datetime:
    """投标有效期 runs from the bid deadline (招标投标法实施条例 第25条); the deposit's validity ends with it
    (第26条)."""
    return bid_deadline + timedelta(days=bid_validity_days)
