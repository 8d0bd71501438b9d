"""DESIGN §4.4: the calendar is data the platform updates; a period into an unknown year is an error, never a guess.

招标投标法 第24条 counts 20 days from document issue to the bid deadline, and later issues count statutory periods
in working days; every such count goes through this calendar.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.permissions import Role
from ggzy.entities.schemas import RoleGrantIn
from tests.factories import event_count, make_user, token_for

# Test data in the official format; not the State Council's real 2027 schedule.
SCHEDULE_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"],
    "workdays": ["2027-02-06"],
    "source": "test schedule",
}


def _admin(db: Session) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)]))


def test_a_period_into_a_year_without_a_schedule_is_refused_with_the_year_named(client: TestClient) -> None:
    response = client.get("/api/v1/calendar/working-days", params={"start": "2026-12-20", "days": 20})
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "calendar_year_unknown"
    assert "2027" in problem["message_zh"]
    assert "2027" in problem["message_en"]


def test_periods_within_known_years_count_holidays_and_swapped_days(client: TestClient) -> None:
    # 2026-09-30 (Wed): Oct 1–7 is the National Day holiday (Oct 1–8 in 2026 with the Mid-Autumn Festival), so
    # the first working day after it is Oct 9 — chinese_calendar's data decides, not this test's arithmetic.
    response = client.get("/api/v1/calendar/working-days", params={"start": "2026-09-30", "days": 1})
    assert response.status_code == 200
    end = date.fromisoformat(response.json()["end"])
    assert end > date(2026, 10, 7)


def test_loading_next_years_schedule_makes_periods_into_it_countable(client: TestClient, db: Session) -> None:
    response = client.put("/api/v1/calendar/years/2027", json=SCHEDULE_2027, headers=_admin(db))
    assert response.status_code == 200, response.text
    assert event_count(db, "calendar.year_loaded") == 1

    counted = client.get("/api/v1/calendar/working-days", params={"start": "2027-02-05", "days": 2})
    assert counted.status_code == 200
    # Fri 5th → Sat 6th is a swapped working day (1) → Mon 8th–Fri 12th are off → Mon 15th (2).
    assert counted.json()["end"] == "2027-02-15"
    assert 2027 in client.get("/api/v1/calendar/years").json()["years"]
    assert working_day_calendar(db).is_working_day(date(2027, 2, 6))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"year": 2028, "holidays": ["2028-01-01"], "workdays": []}, "year"),  # not the year in the address
        ({"workdays": ["2027-02-03"]}, "workdays"),  # a Wednesday cannot be a swapped working day
        ({"holidays": ["2026-12-31"]}, "holidays"),  # outside the year
        ({"holydays": []}, "holydays"),  # a misspelt key must not silently drop a list
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_loaded(
    client: TestClient, db: Session, change: dict, field: str
) -> None:
    headers = _admin(db)
    before = event_count(db)
    response = client.put("/api/v1/calendar/years/2027", json={**SCHEDULE_2027, **change}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert event_count(db) == before
    assert 2027 not in working_day_calendar(db).known_years


def test_cli_loads_a_schedule_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ggzy.cli import app
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GGZY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False))
    try:
        runner = CliRunner()
        loaded = runner.invoke(app, ["calendar", "load", str(schedule)])
        assert loaded.exit_code == 0, loaded.output
        years = runner.invoke(app, ["calendar", "years"])
        assert "2004–2027" in years.output
    finally:
        get_settings.cache_clear()
