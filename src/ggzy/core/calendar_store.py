"""The working-day calendar as data that the platform administrator updates (DESIGN §4.4).

The calendar starts from the years the ``chinese_calendar`` package knows; each schedule loaded here (next
year's, as the State Council publishes it each November or December, or a correction) adds or replaces one year.
Loading is a state change with its event, so the ledger shows which schedule every deadline was counted with.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.core.calendar import WorkingDayCalendar, YearSchedule, parse_year_schedule
from ggzy.core.db import Base, UTCDateTime
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal


class CalendarYear(Base):
    """One year's holiday schedule loaded by the platform (overrides what the package knows)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    schedule: Mapped[str] = mapped_column(Text)  # the JSON that parse_year_schedule reads
    source: Mapped[str | None] = mapped_column(String(300))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    loaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


@lru_cache(maxsize=1)
def package_calendar() -> WorkingDayCalendar:
    """The years the installed ``chinese_calendar`` package knows (built once per process)."""
    return WorkingDayCalendar.from_chinese_calendar()


def working_day_calendar(db: Session) -> WorkingDayCalendar:
    """The platform's calendar: the package's years, with every loaded schedule on top."""
    calendar = package_calendar()
    for row in db.scalars(select(CalendarYear).order_by(CalendarYear.year)):
        calendar = calendar.with_schedule(parse_year_schedule(row.schedule))
    return calendar


def loaded_years(db: Session) -> list[CalendarYear]:
    return list(db.scalars(select(CalendarYear).order_by(CalendarYear.year)))


@changes_state("calendar.year_loaded")
def load_calendar_year(db: Session, actor: Principal, *, schedule: YearSchedule, now: datetime) -> CalendarYear:
    """Add or replace one year's holiday schedule."""
    text = schedule.to_json()
    row = db.get(CalendarYear, schedule.year)
    replaced = row is not None
    if row is None:
        row = CalendarYear(year=schedule.year)
        db.add(row)
    row.schedule = text
    row.source = schedule.source
    row.loaded_at = now
    row.loaded_by = actor.user_id
    db.flush()
    record_event(
        db,
        actor,
        action="calendar.year_loaded",
        subject_type="calendar_year",
        subject_id=schedule.year,
        payload={
            "year": schedule.year,
            "holidays": len(schedule.holidays),
            "workdays": len(schedule.workdays),
            "source": schedule.source,
            "replaced": replaced,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        },
        now=now,
    )
    return row
