"""API of the working-day calendar: which years are known, load a year, count a period."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query

from ggzy.core import calendar_store
from ggzy.core.calendar import CalendarYearUnknown, parse_year_schedule
from ggzy.core.errors import InvalidInput
from ggzy.core.inputs import FIRST_DAY, LAST_DAY, Day
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public

router = APIRouter(tags=["calendar"], route_class=PermissionedRoute)

CalendarManager = Annotated[Principal, Depends(require(Permission.CALENDAR_MANAGE))]

SCHEDULE_EXAMPLE = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
    "workdays": [],
    "source": "国务院办公厅关于2027年部分节假日安排的通知",
}


@router.get("/calendar/years", summary="Years whose holiday schedule the platform knows")
def known_years(db: DB, _: Public) -> dict[str, Any]:
    calendar = calendar_store.working_day_calendar(db)
    loaded = {row.year: row for row in calendar_store.loaded_years(db)}
    return {
        "years": sorted(calendar.known_years),
        "loaded": [
            {"year": year, "source": row.source, "loaded_at": row.loaded_at} for year, row in sorted(loaded.items())
        ],
    }


@router.put(
    "/calendar/years/{year}",
    summary="Load or replace one year's holiday schedule (platform administrator)",
    responses=problem_responses(InvalidInput),
)
def load_year(
    year: Annotated[int, Path(ge=FIRST_DAY.year, le=LAST_DAY.year)],
    db: DB,
    actor: CalendarManager,
    now: Now,
    schedule: Annotated[dict[str, Any], Body(examples=[SCHEDULE_EXAMPLE])],
) -> dict[str, Any]:
    parsed = parse_year_schedule(json.dumps(schedule))
    if parsed.year != year:
        raise InvalidInput(
            field="year",
            reason_zh=f"地址中的年份 {year} 与内容中的 {parsed.year} 不一致",
            reason_en=f"the year in the path ({year}) differs from the schedule's ({parsed.year})",
        )
    row = calendar_store.load_calendar_year(db, actor, schedule=parsed, now=now)
    return {"year": row.year, "source": row.source, "loaded_at": row.loaded_at}


@router.get(
    "/calendar/working-days",
    summary="The day a period ends: n working days after a date, the start day not counted",
    responses=problem_responses(CalendarYearUnknown),
)
def working_days(
    db: DB,
    _: Public,
    start: Annotated[Day, Query(description="The day of the event (not counted)")],
    days: Annotated[int, Query(ge=0, le=3660)],
) -> dict[str, Any]:
    end = calendar_store.working_day_calendar(db).add_working_days(start, days)
    return {"start": start, "working_days": days, "end": end}
