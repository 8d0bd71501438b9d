"""Statutory periods: each one declared once (its length, how its days are counted, the article), and one
arithmetic for all of them (DESIGN §4.4, §5).

How a period is counted (民法典 第二百零一条、第二百零三条; the 民法典 is the general law on periods, and the
tendering laws count in 日 or in 工作日 without rules of their own):

* ``日`` (:attr:`DayCount.DAYS`): the day of the event is not counted (第201条); when the last day is a statutory
  day off, the period ends on the first working day after it (第203条 第1款); the last day ends at 24:00
  (第203条 第2款). :meth:`WorkingDayCalendar.period_end` does exactly this.
* ``工作日`` (:attr:`DayCount.WORKING_DAYS`), where the law says so (e.g. 招标投标法实施条例 第61条): working days on
  the holiday calendar, swapped working days (调休) included, the day of the event not counted; such a period
  always ends on a working day.

Every period runs forward from an event to its last day (:meth:`StatutoryPeriod.last_day`). The law uses it in
three ways, all through that one function:

* a time to act within (答复、投诉、签订合同 within N days): the act is in time up to 24:00 of the last day;
* a time that must run before a later step (the bid period of 招标投标法 第24条, the documents on offer, the
  publicity): the later step may not fall before the last day (:meth:`StatutoryPeriod.has_run`);
* a time counted back from a fixed moment (an objection ``投标截止时间10日前``, a clarification ``至少15日前``): the
  period from the event to that moment must have run, so the last day an event may happen is the latest whose
  period has run by then (:meth:`StatutoryPeriod.last_event_day`). Extending the period (第203条) therefore moves
  this day earlier, never later: the party the period protects keeps all of its days.

A period that reaches a year whose holiday schedule is not loaded raises
:class:`~ggzy.core.calendar.CalendarYearUnknown`: it is never guessed.

Each period is registered once under its key (:func:`statutory_period`), so that tests and pages can list every
period with its article (:func:`registered_periods`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ggzy.core.calendar import WorkingDayCalendar

__all__ = ["DayCount", "StatutoryPeriod", "registered_periods", "statutory_period"]

_ONE_DAY = timedelta(days=1)


class DayCount(StrEnum):
    """How the days of a period are counted."""

    DAYS = "days"  # 日: 民法典 第201条, 第203条
    WORKING_DAYS = "working_days"  # 工作日: the working-day calendar


@dataclass(frozen=True)
class StatutoryPeriod:
    """One statutory period: ``length`` days counted as ``unit`` says, from the day after its event."""

    key: str
    name_zh: str
    name_en: str
    length: int
    unit: DayCount
    article: str  # the law and article, as the law spells it: "招标投标法实施条例 第二十二条"

    def __post_init__(self) -> None:
        if self.length < 1:
            raise ValueError("a period has at least one day")

    def words(self) -> dict[str, str]:
        """The period's length and article as an error message quotes them ("20 日" / "5 个工作日")."""
        working = self.unit is DayCount.WORKING_DAYS
        return {
            "days": str(self.length),
            "unit_zh": "个工作日" if working else "日",
            "unit_en": "working days" if working else "days",
            "article": self.article,
        }

    def last_day(self, calendar: WorkingDayCalendar, event_day: date, *, days_not_counted: int = 0) -> date:
        """The last day of the period that starts the day after ``event_day``.

        ``days_not_counted`` lengthens the period by days the law leaves out of it (实施条例 第60条: the days an
        objection waited for its answer). Raises :class:`CalendarYearUnknown` for a year not loaded.
        """
        if days_not_counted < 0:
            raise ValueError("days_not_counted must be zero or more")
        length = self.length + days_not_counted
        if self.unit is DayCount.WORKING_DAYS:
            return calendar.add_working_days(event_day, length)
        return calendar.period_end(event_day, length)

    def has_run(self, calendar: WorkingDayCalendar, *, event_day: date, by: date) -> bool:
        """Whether the period that starts after ``event_day`` has reached its last day on ``by``."""
        return by >= self.last_day(calendar, event_day)

    def last_event_day(self, calendar: WorkingDayCalendar, *, until: date) -> date:
        """The last day an event may happen so that its period has run by ``until`` (a period counted back from a
        fixed moment, such as ``投标截止时间10日前``)."""
        day = until - timedelta(days=self.length)
        while self.last_day(calendar, day) > until:  # the last day moved past ``until`` (第203条): one day earlier
            day -= _ONE_DAY
        return day


_REGISTRY: dict[str, StatutoryPeriod] = {}


def statutory_period(
    key: str, *, name_zh: str, name_en: str, length: int, unit: DayCount, article: str
) -> StatutoryPeriod:
    """Declare a period and register it under ``key``; declaring the same period twice returns it, a different
    period under a key already taken is an error (a changed rule is a new key, STYLE 7)."""
    period = StatutoryPeriod(key=key, name_zh=name_zh, name_en=name_en, length=length, unit=unit, article=article)
    known = _REGISTRY.setdefault(key, period)
    if known != period:
        raise ValueError(f"statutory period {key!r} is already declared differently")
    return known


def registered_periods() -> list[StatutoryPeriod]:
    """Every period declared so far (the domains declare theirs when their rules are imported), by key."""
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]
