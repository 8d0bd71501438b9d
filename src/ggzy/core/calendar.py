"""Working days under the Chinese public holiday calendar, swapped working days (调休) included (DESIGN §4.4).

The calendar is data, not code. Each year the State Council (国务院办公厅) publishes next year's holiday
schedule in November or December; the ``chinese_calendar`` package only knows the years before its release
(1.11.0: 2004–2026). A :class:`WorkingDayCalendar` therefore holds, per *known* year, two sets of dates:

* ``holidays``: days off. Official schedules list whole blocks (e.g. 10-01 … 10-07) including the weekend days
  inside them; those are accepted and change nothing, since a weekend day is a day off anyway.
* ``workdays``: swapped working days (调休上班), which are always Saturdays or Sundays.

Every other Monday–Friday is a working day and every other Saturday/Sunday is not.

A question about a year the calendar does not know is never answered by a guess: it raises
:class:`CalendarYearUnknown`, which tells centre staff to load that year's schedule (see
:func:`parse_year_schedule` for the file format). A centre may configure a *provisional* calendar
(``provisional=True``): then the ``*_checked`` methods count unknown years on weekends alone and return a
result whose ``provisional`` flag is set, so the caller must record or show that the date is provisional. The
plain methods (``add_working_days`` …) always raise on an unknown year, provisional or not: a bare ``date``
cannot carry the flag, so it is never allowed to hide a guess.

How periods are counted (民法典 第二百零一条、第二百零三条):

* 第201条: a period counted in days starts the next day; the day of the event is not counted.
* 第203条: when the last day of a period is a statutory day off (法定休假日, which in the courts' practice
  includes weekends), the period ends on the first working day after it; the last day ends at 24:00.

:meth:`WorkingDayCalendar.period_end` applies both rules to calendar-day periods;
:meth:`WorkingDayCalendar.add_working_days` counts working days with the start day excluded, so its result is
always a working day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ggzy.core.errors import DomainError, InvalidInput
from ggzy.core.inputs import name_or_refuse

__all__ = [
    "CalendarYearUnknown",
    "WorkingDayCalendar",
    "WorkingDayCount",
    "WorkingDayResult",
    "YearSchedule",
    "parse_year_schedule",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
# Years a schedule may be loaded for: national holiday schedules with swapped days began in 1999; 2200 is
# far enough to reject typos such as 20277.
_FIRST_YEAR = 1999
_LAST_YEAR = 2200
_SCHEDULE_KEYS = frozenset({"year", "holidays", "workdays", "source"})


class CalendarYearUnknown(DomainError):
    """A period reaches a year whose holiday schedule has not been loaded."""

    code = "calendar_year_unknown"
    status = 409
    message_zh = (
        "尚未载入 {year} 年的节假日安排，无法计算工作日；请中心工作人员载入国务院办公厅公布的 {year} 年节假日安排"
    )
    message_en = (
        "The holiday schedule for {year} has not been loaded, so working days cannot be counted; "
        "centre staff must load the State Council's {year} holiday schedule"
    )

    def __init__(self, *, year: int) -> None:
        super().__init__(year=year)
        self.year = year


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: days off and swapped working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str | None = None

    def __post_init__(self) -> None:
        _check_schedule(self.year, self.holidays, self.workdays)

    def to_json(self) -> str:
        """The schedule in the format :func:`parse_year_schedule` reads."""
        body: dict[str, Any] = {
            "year": self.year,
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }
        if self.source is not None:
            body["source"] = self.source
        return json.dumps(body, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class WorkingDayResult:
    """A date computed by the calendar.

    ``provisional`` is True when an unknown year was counted on weekends alone; ``unknown_years`` names them.
    """

    day: date
    provisional: bool
    unknown_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class WorkingDayCount:
    """A count of working days; ``provisional`` as in :class:`WorkingDayResult`."""

    count: int
    provisional: bool
    unknown_years: tuple[int, ...] = ()


class _Counter:
    """Answers day by day and remembers which unknown years it had to count on weekends alone."""

    def __init__(self, calendar: WorkingDayCalendar, *, lenient: bool) -> None:
        self._calendar = calendar
        self._lenient = lenient
        self.unknown_years: set[int] = set()

    def is_working_day(self, day: date) -> bool:
        schedule = self._calendar._years.get(day.year)
        if schedule is None:
            if not self._lenient:
                raise CalendarYearUnknown(year=day.year)
            self.unknown_years.add(day.year)
            return day.weekday() < _SATURDAY
        if day in schedule.workdays:
            return True
        if day in schedule.holidays:
            return False
        return day.weekday() < _SATURDAY

    def result(self, day: date) -> WorkingDayResult:
        years = tuple(sorted(self.unknown_years))
        return WorkingDayResult(day=day, provisional=bool(years), unknown_years=years)

    def count(self, count: int) -> WorkingDayCount:
        years = tuple(sorted(self.unknown_years))
        return WorkingDayCount(count=count, provisional=bool(years), unknown_years=years)


class WorkingDayCalendar:
    """An immutable working-day calendar built from explicit per-year schedules."""

    def __init__(self, schedules: Iterable[YearSchedule] = (), *, provisional: bool = False) -> None:
        years: dict[int, YearSchedule] = {}
        for schedule in schedules:
            if schedule.year in years:
                raise ValueError(f"two schedules for year {schedule.year}")
            years[schedule.year] = schedule
        self._years: Mapping[int, YearSchedule] = years
        self._provisional = provisional

    @property
    def provisional(self) -> bool:
        """Whether the ``*_checked`` methods may count an unknown year on weekends alone (flagged)."""
        return self._provisional

    # -- construction ---------------------------------------------------------------------------------------

    @classmethod
    def from_chinese_calendar(cls, *, provisional: bool = False) -> WorkingDayCalendar:
        """Every year the installed ``chinese_calendar`` package knows (1.11.0: 2004–2026)."""
        import chinese_calendar

        holidays: dict[int, set[date]] = {}
        workdays: dict[int, set[date]] = {}
        for day in chinese_calendar.holidays:
            holidays.setdefault(day.year, set()).add(day)
        for day in chinese_calendar.workdays:
            workdays.setdefault(day.year, set()).add(day)
        schedules = [
            YearSchedule(
                year=year,
                holidays=frozenset(holidays.get(year, ())),
                workdays=frozenset(workdays.get(year, ())),
                source=f"chinese_calendar {getattr(chinese_calendar, '__version__', '')}".strip(),
            )
            for year in sorted(holidays.keys() | workdays.keys())
        ]
        return cls(schedules, provisional=provisional)

    def with_year(
        self, year: int, *, holidays: Iterable[date], workdays: Iterable[date] = (), source: str | None = None
    ) -> WorkingDayCalendar:
        """A new calendar with ``year`` added, or replaced if already known (e.g. a corrected notice)."""
        schedule = YearSchedule(year=year, holidays=frozenset(holidays), workdays=frozenset(workdays), source=source)
        return self.with_schedule(schedule)

    def with_schedule(self, schedule: YearSchedule) -> WorkingDayCalendar:
        others = (s for y, s in self._years.items() if y != schedule.year)
        return WorkingDayCalendar([*others, schedule], provisional=self.provisional)

    # -- what it knows --------------------------------------------------------------------------------------

    @property
    def known_years(self) -> frozenset[int]:
        return frozenset(self._years)

    def schedule(self, year: int) -> YearSchedule:
        try:
            return self._years[year]
        except KeyError:
            raise CalendarYearUnknown(year=year) from None

    def missing_years(self, first: date, last: date) -> list[int]:
        """The years between two dates (inclusive) whose schedule is not loaded: what staff must load."""
        low, high = sorted((first.year, last.year))
        return [year for year in range(low, high + 1) if year not in self._years]

    # -- questions ------------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return _Counter(self, lenient=False).is_working_day(day)

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; ``start`` itself is never counted (民法典 第201条).

        ``add_working_days(d, 0)`` is ``d``. For ``n >= 1`` the result is always a working day, and
        ``working_days_between(start, result) == n``. Raises :class:`CalendarYearUnknown` if a year on the way
        is not loaded (even on a provisional calendar; use :meth:`add_working_days_checked` there).
        """
        return self._add(start, n, _Counter(self, lenient=False)).day

    def add_working_days_checked(self, start: date, n: int) -> WorkingDayResult:
        """As :meth:`add_working_days`; on a provisional calendar an unknown year is counted on weekends alone
        and the result is flagged ``provisional``."""
        return self._add(start, n, _Counter(self, lenient=self.provisional))

    def period_end(self, start: date, days: int) -> date:
        """The last day of a period of ``days`` calendar days that starts on the day after ``start``.

        民法典 第201条: the start day is not counted, so the uncorrected end is ``start + days``;
        第203条: if that day is a day off (holiday or weekend), the period ends on the next working day.
        """
        return self._period_end(start, days, _Counter(self, lenient=False)).day

    def period_end_checked(self, start: date, days: int) -> WorkingDayResult:
        return self._period_end(start, days, _Counter(self, lenient=self.provisional))

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days ``d`` with ``a < d <= b``.

        If ``b < a`` the answer is minus the count over ``(b, a]``, so the function is antisymmetric.
        """
        return self._between(a, b, _Counter(self, lenient=False)).count

    def working_days_between_checked(self, a: date, b: date) -> WorkingDayCount:
        return self._between(a, b, _Counter(self, lenient=self.provisional))

    # -- implementation -------------------------------------------------------------------------------------

    @staticmethod
    def _add(start: date, n: int, counter: _Counter) -> WorkingDayResult:
        if n < 0:
            raise ValueError("n must be zero or more")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if counter.is_working_day(day):
                remaining -= 1
        return counter.result(day)

    @staticmethod
    def _period_end(start: date, days: int, counter: _Counter) -> WorkingDayResult:
        if days < 1:
            raise ValueError("a period has at least one day")
        day = start + timedelta(days=days)
        while not counter.is_working_day(day):  # 民法典 第203条
            day += _ONE_DAY
        return counter.result(day)

    @staticmethod
    def _between(a: date, b: date, counter: _Counter) -> WorkingDayCount:
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        count = sum(1 for day in _days_after(a, b) if counter.is_working_day(day))
        return counter.count(sign * count)


def _days_after(a: date, b: date) -> Iterator[date]:
    """The days ``d`` with ``a < d <= b``."""
    day = a + _ONE_DAY
    while day <= b:
        yield day
        day += _ONE_DAY


# -- the schedule file --------------------------------------------------------------------------------------


def parse_year_schedule(text: str | bytes) -> YearSchedule:
    """Read one year's holiday schedule from JSON, as centre staff load it each November or December.

    Format (UTF-8 JSON object; dates ISO 8601 ``YYYY-MM-DD``)::

        {
          "year": 2027,
          "holidays": ["2027-01-01", "2027-02-06", ...],
          "workdays": ["2027-02-14", ...],
          "source": "国办发明电〔2026〕N号"
        }

    * ``year``: the year the schedule is for (an integer).
    * ``holidays``: every day off the notice lists (放假), copied as published: weekend days inside a holiday
      block may be included or left out, it makes no difference. At least one date.
    * ``workdays``: the swapped working days (调休上班); each must be a Saturday or a Sunday, since a weekday
      is a working day already and listing one is almost certainly a typo. May be empty or omitted.
    * ``source``: optional, the notice the dates come from.

    Every date must lie in ``year``, appear once, and not be both a holiday and a working day; no other keys
    are allowed (a misspelt key would otherwise silently drop a list). Errors are :class:`InvalidInput` naming
    the offending field, e.g. ``holidays[3]``.
    """
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(
            field="schedule", reason_zh=f"不是有效的 JSON（{error}）", reason_en=f"not valid JSON ({error})"
        ) from None
    if not isinstance(body, dict):
        raise InvalidInput(field="schedule", reason_zh="应为 JSON 对象", reason_en="must be a JSON object")
    unknown = sorted(set(body) - _SCHEDULE_KEYS)
    if unknown:
        raise InvalidInput(
            field=unknown[0],
            reason_zh="不是可识别的键（允许 year、holidays、workdays、source）",
            reason_en="is not a recognised key (allowed: year, holidays, workdays, source)",
        )
    year = body.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise InvalidInput(field="year", reason_zh="应为整数年份", reason_en="must be an integer year")
    source = body.get("source")
    if source is not None and not isinstance(source, str):
        raise InvalidInput(field="source", reason_zh="应为字符串", reason_en="must be a string")
    if source is not None:
        source = name_or_refuse(source, field="source")  # NUL and controls: refused as in every name
    holidays = _parse_dates(body.get("holidays"), field="holidays")
    workdays = _parse_dates(body.get("workdays", []), field="workdays")
    return YearSchedule(year=year, holidays=frozenset(holidays), workdays=frozenset(workdays), source=source)


def _parse_dates(value: object, *, field: str) -> list[date]:
    if not isinstance(value, list):
        raise InvalidInput(field=field, reason_zh="应为日期字符串列表", reason_en="must be a list of date strings")
    days: list[date] = []
    seen: set[date] = set()
    for index, item in enumerate(value):
        item_field = f"{field}[{index}]"
        try:
            if not isinstance(item, str) or len(item) != 10:
                raise ValueError
            day = date.fromisoformat(item)
        except ValueError:
            raise InvalidInput(
                field=item_field,
                reason_zh="应为 YYYY-MM-DD 格式的日期",
                reason_en="must be a YYYY-MM-DD date",
            ) from None
        if day in seen:
            raise InvalidInput(field=item_field, reason_zh=f"{item} 重复", reason_en=f"{item} is listed twice")
        seen.add(day)
        days.append(day)
    return days


def _check_schedule(year: int, holidays: frozenset[date], workdays: frozenset[date]) -> None:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise InvalidInput(
            field="year",
            reason_zh=f"年份应在 {_FIRST_YEAR}–{_LAST_YEAR} 之间",
            reason_en=f"must be between {_FIRST_YEAR} and {_LAST_YEAR}",
        )
    if not holidays:
        raise InvalidInput(
            field="holidays",
            reason_zh="至少应有一个放假日期",
            reason_en="must list at least one day off",
        )
    for name, days in (("holidays", holidays), ("workdays", workdays)):
        for day in sorted(days):
            if day.year != year:
                raise InvalidInput(
                    field=name,
                    reason_zh=f"{day.isoformat()} 不在 {year} 年内",
                    reason_en=f"{day.isoformat()} is not in {year}",
                )
    for day in sorted(workdays):
        if day.weekday() < _SATURDAY:
            raise InvalidInput(
                field="workdays",
                reason_zh=f"{day.isoformat()} 不是周六或周日，无需列为调休上班日",
                reason_en=f"{day.isoformat()} is not a Saturday or Sunday, so not a swapped working day",
            )
    both = sorted(holidays & workdays)
    if both:
        raise InvalidInput(
            field="workdays",
            reason_zh=f"{both[0].isoformat()} 同时列为放假日和上班日",
            reason_en=f"{both[0].isoformat()} is listed both as a day off and as a working day",
        )
