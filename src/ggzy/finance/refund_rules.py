"""When a bid deposit is due back, and with how much interest (pure functions, decision 0031).

Who is due a refund when, in the words of the law texts this project holds:

* 招标投标法实施条例 第57条: the owner refunds the winner and the unsuccessful bidders their deposits **with the bank's
  interest for the same period** at the latest within 5 日 of signing the written contract;
* 第35条: a bid withdrawn before the deadline: the deposit within 5 日 of receiving the written withdrawal (the
  article names no interest);
* 第31条: a terminated tender: the deposits with interest, **promptly** (及时: no number of days; the platform orders
  them the day of the termination, its goal for every refund);
* 政府采购法实施条例 第33条: the unsuccessful suppliers within 5 工作日 of the letter of award, the successful one
  within 5 工作日 of the contract (the article names no interest).

The interest rate (a bank's demand-deposit rate, 活期存款利率) and the day count are configuration
(``ggzy.config.Settings``: ``deposit_interest_annual_rate``, ``deposit_interest_day_basis``): the rate is the bank's,
not the law's. Interest runs from the day the deposit was booked to the day before the refund (a bank counts the
first day and not the last), on the principal, at ``rate × days ÷ basis``, rounded to the fen half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ggzy.core.calendar import WorkingDayCalendar
from ggzy.core.periods import DayCount, StatutoryPeriod, statutory_period
from ggzy.tendering.procurement_periods import PROCUREMENT_PERIODS


class RefundGround(StrEnum):
    UNSUCCESSFUL = "unsuccessful"  # a bidder not awarded
    SUCCESSFUL = "successful"  # the winner
    WITHDRAWN = "withdrawn"  # a bid withdrawn before the deadline
    TERMINATED = "terminated"  # the tender terminated


AFTER_CONTRACT = statutory_period(
    "tendering.deposit_refund_after_contract",
    name_zh="书面合同签订后向中标人和未中标的投标人退还投标保证金及银行同期存款利息",
    name_en="Deposits and the bank's interest refunded to the winner and the other bidders after the contract",
    length=5,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第五十七条",
)
AFTER_WITHDRAWAL = statutory_period(
    "tendering.deposit_refund_after_withdrawal",
    name_zh="自收到投标人书面撤回通知之日起退还投标保证金",
    name_en="A withdrawn bid's deposit refunded after the written withdrawal is received",
    length=5,
    unit=DayCount.DAYS,
    article="招标投标法实施条例 第三十五条",
)
TERMINATION_ARTICLE = "招标投标法实施条例 第三十一条"


@dataclass(frozen=True)
class RefundDue:
    """A refund's event (the contract, the letter of award, the withdrawal, the termination) and its last day."""

    ground: RefundGround
    event: str  # contract | award_letter | withdrawal | termination
    period: StatutoryPeriod | None  # None: the law says 及时 (promptly) or names no period
    article: str
    with_interest: bool

    def last_day(self, calendar: WorkingDayCalendar, event_day: date) -> date | None:
        """The last day of the refund (None: no statutory period; the platform orders it on the event's day)."""
        return self.period.last_day(calendar, event_day) if self.period is not None else None


def _due(ground: RefundGround, event: str, period: StatutoryPeriod, *, with_interest: bool) -> RefundDue:
    return RefundDue(ground, event, period, period.article, with_interest)


_G = RefundGround
_TENDERING = {
    _G.UNSUCCESSFUL: _due(_G.UNSUCCESSFUL, "contract", AFTER_CONTRACT, with_interest=True),
    _G.SUCCESSFUL: _due(_G.SUCCESSFUL, "contract", AFTER_CONTRACT, with_interest=True),
    _G.WITHDRAWN: _due(_G.WITHDRAWN, "withdrawal", AFTER_WITHDRAWAL, with_interest=False),
    _G.TERMINATED: RefundDue(_G.TERMINATED, "termination", None, TERMINATION_ARTICLE, True),
}
_PROCUREMENT = {
    _G.UNSUCCESSFUL: _due(
        _G.UNSUCCESSFUL, "award_letter", PROCUREMENT_PERIODS.deposit_refund_unsuccessful, with_interest=False
    ),
    _G.SUCCESSFUL: _due(_G.SUCCESSFUL, "contract", PROCUREMENT_PERIODS.deposit_refund_successful, with_interest=False),
}


def refund_due(law_key: str, ground: RefundGround) -> RefundDue:
    """When the deposit is due back on ``ground`` under the law ``law_key`` (a procedure's ``law.key``). Under
    政府采购法 a withdrawal or a termination has no article among the law texts held: the refund is due on the
    event's day, without a statutory period (``period`` None) and without an article."""
    if law_key not in ("tendering_law", "procurement_law"):  # a rights trade's round: the auction's rule (0051)
        return RefundDue(ground, "auction_close", None, "", False)
    table = _TENDERING if law_key == "tendering_law" else _PROCUREMENT
    found = table.get(ground)
    if found is not None:
        return found
    event = "withdrawal" if ground is RefundGround.WITHDRAWN else "termination"
    return RefundDue(ground, event, None, "", False)


def interest_fen(
    principal_fen: int, *, booked_on: date, refunded_on: date, annual_rate: Decimal, day_basis: int
) -> int:
    """Demand-deposit interest on ``principal_fen`` from the day it was booked to the day before the refund, at
    ``annual_rate`` (0.0035 is 0.35% a year) over a year of ``day_basis`` days, rounded to the fen half up."""
    if principal_fen < 0 or annual_rate < 0 or day_basis <= 0:
        raise ValueError("principal, rate and day basis must be positive")
    days = max((refunded_on - booked_on).days, 0)
    exact = Decimal(principal_fen) * annual_rate * days / day_basis
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
