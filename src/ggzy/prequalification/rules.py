"""The statutory rules of prequalification (资格预审), as pure functions of times and the law (STYLE 4).

Sources, and only these: 招标投标法实施条例 第15–22条 and 政府采购法实施条例 第21条. Each period is declared once
(:func:`ggzy.core.periods.statutory_period`) and counted by its one arithmetic (民法典 第201条, 第203条).

* 招标投标法实施条例 第16条: the prequalification documents are on offer for at least 5 日.
* 第17条: for a project that must be tendered, applications are due at least 5 日 after the documents *stop* being
  on offer (自资格预审文件停止发售之日起).
* 第19条: the applicants are sent their results; fewer than 3 passing and the lot is tendered again.
* 第21条: a clarification or amendment that may affect the applications is notified at least 3 日 before the
  application deadline, or the deadline moves.
* 第22条: objections to the prequalification documents until 2 日 before the application deadline; answered within
  3 日; the procedure paused until then.
* 政府采购法实施条例 第21条: the notice in the designated media; applications due at least 5 工作日 after the notice
  is published. Neither law text sets a clarification period or an objection for the prequalification documents
  of a government procurement (a supplier's remedy there is the challenge, 政府采购法 第52条, handled by
  complaints), so those two rules apply to the 招标投标法 only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ggzy.core.calendar import WorkingDayCalendar
from ggzy.core.clock import as_utc, to_china_time
from ggzy.core.errors import DomainError
from ggzy.core.periods import DayCount, StatutoryPeriod, statutory_period
from ggzy.core.trade_types import TradeType
from ggzy.tendering.procurement_periods import PROCUREMENT_PERIODS

DOCUMENTS_ON_OFFER = statutory_period(
    "prequalification.documents_on_offer",
    name_zh="资格预审文件发售期",
    name_en="Prequalification documents on offer",
    length=5,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第十六条",
)
APPLICATION_PERIOD = statutory_period(
    "prequalification.application_period",
    name_zh="自资格预审文件停止发售之日起至提交资格预审申请文件截止",
    name_en="From the end of the documents' offer to the application deadline",
    length=5,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第十七条",
)
CLARIFICATION_BEFORE_DEADLINE = statutory_period(
    "prequalification.clarification_before_deadline",
    name_zh="澄清或者修改资格预审文件至提交资格预审申请文件截止时间",
    name_en="From a clarification of the prequalification documents to the application deadline",
    length=3,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第二十一条",
)
OBJECTION_BEFORE_DEADLINE = statutory_period(
    "prequalification.objection_before_deadline",
    name_zh="对资格预审文件的异议至提交资格预审申请文件截止时间",
    name_en="From an objection to the prequalification documents to the application deadline",
    length=2,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第二十二条",
)
OBJECTION_ANSWER = statutory_period(
    "prequalification.objection_answer",
    name_zh="招标人答复对资格预审文件的异议",
    name_en="The owner answers an objection to the prequalification documents",
    length=3,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第二十二条",
)


@dataclass(frozen=True)
class PrequalificationLaw:
    """What a prequalification follows under the law of its project's trade type."""

    key: str
    procedure_key: str  # the tender by invitation that follows (the procedure registry's key)
    documents_on_offer: StatutoryPeriod | None
    application_period: StatutoryPeriod
    application_period_from_notice: bool  # counted from the notice (政府采购) or from the end of the offer
    application_article: str
    clarification_before_deadline: StatutoryPeriod | None
    objection_before_deadline: StatutoryPeriod | None
    objection_answer: StatutoryPeriod | None
    minimum_passed: int
    minimum_passed_article: str


TENDERING = PrequalificationLaw(
    key="tendering_law",
    procedure_key="invited",
    documents_on_offer=DOCUMENTS_ON_OFFER,
    application_period=APPLICATION_PERIOD,
    application_period_from_notice=False,
    application_article="招标投标法实施条例 第十七条",
    clarification_before_deadline=CLARIFICATION_BEFORE_DEADLINE,
    objection_before_deadline=OBJECTION_BEFORE_DEADLINE,
    objection_answer=OBJECTION_ANSWER,
    minimum_passed=3,
    minimum_passed_article="招标投标法实施条例 第十九条",
)
PROCUREMENT = PrequalificationLaw(
    key="procurement_law",
    procedure_key="gp_invited",
    documents_on_offer=None,
    application_period=PROCUREMENT_PERIODS.prequalification_submission,
    application_period_from_notice=True,
    application_article="政府采购法实施条例 第二十一条",
    clarification_before_deadline=None,
    objection_before_deadline=None,
    objection_answer=None,
    # 政府采购法 第34条: the invited tender goes to three or more qualified suppliers
    minimum_passed=3,
    minimum_passed_article="政府采购法 第三十四条",
)


def law_for(trade_type: TradeType) -> PrequalificationLaw:
    """The trade type picks the law (DESIGN §5); the invited procedure itself is checked by the registry."""
    return PROCUREMENT if trade_type is TradeType.GOV_PROCUREMENT else TENDERING


class DocumentsOfferTooShort(DomainError):
    code = "prequalification_documents_offer_too_short"
    status = 422
    message_zh = "资格预审文件的发售期不得少于 {days} {unit_zh}（{article}），最早可至 {earliest}"
    message_en = (
        "The prequalification documents must be on offer for at least {days} {unit_en} ({article}), "
        "at the earliest until {earliest}"
    )


class ApplicationPeriodTooShort(DomainError):
    code = "prequalification_application_period_too_short"
    status = 422
    message_zh = (
        "{start_zh}至提交资格预审申请文件截止不得少于 {days} {unit_zh}（{article}）；截止时间最早可定于 {earliest}"
    )
    message_en = (
        "At least {days} {unit_en} must run from {start_en} to the application deadline ({article}); the earliest "
        "deadline is {earliest}"
    )


class ApplicationDeadlinePassed(DomainError):
    code = "prequalification_application_late"
    status = 409
    message_zh = "提交资格预审申请文件的截止时间 {deadline} 已过（{article}），申请文件不予接收"
    message_en = "The application deadline {deadline} has passed ({article}); the application is refused"


class ObjectionTooLate(DomainError):
    code = "prequalification_objection_too_late"
    status = 422
    message_zh = (
        "对资格预审文件的异议应当在提交资格预审申请文件截止时间 {days} 日前提出（{article}），截止于 {last_day}"
    )
    message_en = (
        "Objections to the prequalification documents must be raised {days} days before the application "
        "deadline ({article}); the last day was {last_day}"
    )


class NoObjectionUnderThisLaw(DomainError):
    code = "prequalification_objection_not_available"
    status = 409
    message_zh = "政府采购的资格预审不适用招标投标法实施条例 第二十二条的异议；供应商可依政府采购法 第五十二条提出质疑"
    message_en = (
        "Objections under Regulations art. 22 do not apply to a government procurement's prequalification; a "
        "supplier may challenge under Government Procurement Law art. 52"
    )


def china_date(moment: datetime) -> date:
    return to_china_time(moment).date()


def check_documents_offer(
    calendar: WorkingDayCalendar, law: PrequalificationLaw, *, offered_from: datetime, offered_until: datetime
) -> None:
    """招标投标法实施条例 第16条: the prequalification documents are on offer for at least 5 日."""
    period = law.documents_on_offer
    if period is None:
        return
    first_day = china_date(offered_from)
    if not period.has_run(calendar, event_day=first_day, by=china_date(offered_until)):
        raise DocumentsOfferTooShort(
            field="documents_until", earliest=period.last_day(calendar, first_day).isoformat(), **period.words()
        )


def check_application_period(
    calendar: WorkingDayCalendar,
    law: PrequalificationLaw,
    *,
    published_at: datetime,
    documents_until: datetime,
    application_deadline: datetime,
) -> None:
    """实施条例 第17条: 5 日 from the day the documents stop being on offer; 政府采购法实施条例 第21条: 5 工作日
    from the notice's publication."""
    period = law.application_period
    start = published_at if law.application_period_from_notice else documents_until
    start_day = china_date(start)
    if not period.has_run(calendar, event_day=start_day, by=china_date(application_deadline)):
        notice = law.application_period_from_notice
        raise ApplicationPeriodTooShort(
            field="application_deadline",
            start_zh="自资格预审公告发布之日起" if notice else "自资格预审文件停止发售之日起",
            start_en="the publication of the notice" if notice else "the end of the documents' offer",
            earliest=period.last_day(calendar, start_day).isoformat(),
            **period.words(),
        )


def deadline_after_clarification(
    calendar: WorkingDayCalendar, law: PrequalificationLaw, *, clarified_at: datetime, application_deadline: datetime
) -> datetime:
    """实施条例 第21条: a clarification that may affect the applications comes at least 3 日 before the application
    deadline; later, the deadline moves to the last day of the 3 日 (same time of day). Never earlier."""
    period = law.clarification_before_deadline
    if period is None:
        return as_utc(application_deadline)
    last_day = period.last_day(calendar, china_date(clarified_at))
    local = to_china_time(application_deadline)
    if local.date() >= last_day:
        return as_utc(application_deadline)
    return as_utc(local + timedelta(days=(last_day - local.date()).days))


def check_objection_in_time(
    calendar: WorkingDayCalendar, law: PrequalificationLaw, *, raised_at: datetime, application_deadline: datetime
) -> None:
    """实施条例 第22条: objections to the prequalification documents until 2 日 before the application deadline."""
    period = law.objection_before_deadline
    if period is None:
        raise NoObjectionUnderThisLaw(field="prequalification_id")
    last_day = period.last_event_day(calendar, until=china_date(application_deadline))
    if china_date(raised_at) > last_day:
        raise ObjectionTooLate(
            field="raised_at", days=period.length, article=period.article, last_day=last_day.isoformat()
        )


def objection_answer_due(calendar: WorkingDayCalendar, law: PrequalificationLaw, *, received_at: datetime) -> date:
    """实施条例 第22条: answered within 3 日 of receipt."""
    assert law.objection_answer is not None
    return law.objection_answer.last_day(calendar, china_date(received_at))


def enough_passed(passed: int, law: PrequalificationLaw) -> bool:
    """实施条例 第19条: fewer than 3 passing and the lot is tendered again."""
    return passed >= law.minimum_passed
