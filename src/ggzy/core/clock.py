"""Time is the server's (DESIGN §4.4).

Business code never reads the system clock: the request, job or CLI edge takes ``now`` from a :class:`Clock` and
passes it in. Times are timezone-aware UTC inside the platform and shown in China Standard Time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and demos: it stands still until moved."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as aware UTC; a naive value is taken as UTC (how SQLite hands it back)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_china_time(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(CHINA_STANDARD_TIME)
