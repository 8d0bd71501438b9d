"""Two bookings of one venue never overlap, whatever the timing (two real connections, both databases).

Booking locks the venue's row before it looks for a clash: on PostgreSQL (READ COMMITTED) a second booking of the
venue waits at its ``SELECT … FOR UPDATE`` until the first commits, then sees it and is refused; on SQLite a writing
transaction takes the write lock at BEGIN, so the second waits there. Without the lock both would find no clash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Principal
from ggzy.venues import service as venues
from ggzy.venues.models import VenueBooking
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.schemas import BookingIn
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW
from tests.factories import make_published_tender, principal
from tests.venues.venue_support import evaluation_span, make_venue, opening_span

REFUSED = "409 venue_booking_overlaps"


class _Race:
    """A published tender and an evaluation room of its centre, committed on a fresh database."""

    def __init__(self, engine: Engine) -> None:
        self.factory = session_factory(engine)
        with unit_of_work(self.factory) as db:
            tender, setup = make_published_tender(db)
            self.tender_id = tender.id
            self.actor: Principal = principal(db, setup["staff"], Permission.VENUE_MANAGE)
            self.venue_ids = [make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM).id for _ in range(4)]
            self.span = evaluation_span(tender)

    def book(self, venue_id: int, starts_at: datetime, ends_at: datetime) -> str:
        data = BookingIn(venue_id=venue_id, purpose=Purpose.EVALUATION, starts_at=starts_at, ends_at=ends_at)
        try:
            with unit_of_work(self.factory) as db:
                venues.book_venue(db, self.actor, tender_id=self.tender_id, data=data, now=TEST_NOW)
        except venues.BookingOverlaps as refused:
            return f"{refused.status} {refused.code}"
        return "ok"

    def run(self, first: Callable[[], str], second: Callable[[], str]) -> list[str]:
        outcomes: dict[str, str] = {}
        errors: list[BaseException] = []

        def attempt(name: str, work: Callable[[], str]) -> None:
            try:
                outcomes[name] = work()
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=attempt, args=(n, w), name=n) for n, w in (("A", first), ("B", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        return [outcomes["A"], outcomes["B"]]

    def rows_and_events(self, venue_id: int) -> tuple[int, int]:
        with unit_of_work(self.factory, read_only=True) as db:
            return _count(db, venue_id), db.scalar(
                select(func.count()).select_from(Event).where(Event.action == "venue.evaluation_booked")
            ) or 0


def _count(db: Session, venue_id: int) -> int:
    query = select(func.count()).select_from(VenueBooking).where(VenueBooking.venue_id == venue_id)
    return db.scalar(query) or 0


def test_a_booking_that_reads_while_another_is_being_written_waits_and_is_refused(fresh_engine: Engine) -> None:
    """A has locked the venue and found no clash; B starts then. B must not look for clashes until A committed."""
    race = _Race(fresh_engine)
    venue_id = race.venue_ids[0]
    starts_at, ends_at = race.span
    postgresql = fresh_engine.dialect.name == "postgresql"
    a_checked, b_locking = threading.Event(), threading.Event()

    def before(_conn, _cursor, statement: str, *_args: Any) -> None:  # type: ignore[no-untyped-def]
        sql = " ".join(statement.upper().split())
        if threading.current_thread().name == "B" and sql.startswith("SELECT") and "FROM VENUES " in sql + " ":
            b_locking.set()

    def after(_conn, _cursor, statement: str, *_args: Any) -> None:  # type: ignore[no-untyped-def]
        sql = " ".join(statement.upper().split())
        a_looks = threading.current_thread().name == "A" and sql.startswith("SELECT") and "FROM VENUE_BOOKINGS" in sql
        if a_looks and not a_checked.is_set():
            a_checked.set()
            if postgresql:  # on SQLite B waits at BEGIN for A's write lock and never reaches its SELECT
                assert b_locking.wait(timeout=30), "B never asked for the venue"
                time.sleep(0.5)  # B's SELECT … FOR UPDATE is at the server now, waiting for A's lock

    def second() -> str:
        assert a_checked.wait(timeout=30), "A never looked for clashes"
        return race.book(venue_id, starts_at + timedelta(hours=1), ends_at + timedelta(hours=1))

    event.listen(fresh_engine, "before_cursor_execute", before)
    event.listen(fresh_engine, "after_cursor_execute", after)
    try:
        outcomes = race.run(lambda: race.book(venue_id, starts_at, ends_at), second)
    finally:
        event.remove(fresh_engine, "before_cursor_execute", before)
        event.remove(fresh_engine, "after_cursor_execute", after)
    assert outcomes == ["ok", REFUSED]
    assert race.rows_and_events(venue_id) == (1, 1), "the refused booking left no row and no event"


def test_overlapping_bookings_lined_up_by_a_barrier_never_both_succeed(fresh_engine: Engine) -> None:
    race = _Race(fresh_engine)
    starts_at, ends_at = race.span
    for venue_id in race.venue_ids:
        barrier = threading.Barrier(2)

        def lined_up(shift: int, venue_id: int = venue_id, barrier: threading.Barrier = barrier) -> Callable[[], str]:
            def book() -> str:
                barrier.wait(timeout=30)
                return race.book(venue_id, starts_at + timedelta(minutes=shift), ends_at + timedelta(minutes=shift))

            return book

        outcomes = race.run(lined_up(0), lined_up(30))
        assert sorted(outcomes) == [REFUSED, "ok"], outcomes
        with unit_of_work(race.factory, read_only=True) as db:
            assert _count(db, venue_id) == 1


def test_two_opening_rooms_booked_at_once_for_one_tender_give_it_one(fresh_engine: Engine) -> None:
    """招标投标法 第34条: the opening is held at the one place the documents name. Two staff booking two different
    rooms at the same moment lock different venues; the tender's row is what lines them up."""
    factory = session_factory(fresh_engine)
    with unit_of_work(factory) as db:
        tender, setup = make_published_tender(db)
        tender_id = tender.id
        actor = principal(db, setup["staff"], Permission.VENUE_MANAGE)
        rooms = [make_venue(db, setup, kind=VenueKind.OPENING_ROOM).id for _ in range(2)]
        starts_at, ends_at = opening_span(tender)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(venue_id: int) -> None:
        data = BookingIn(venue_id=venue_id, purpose=Purpose.OPENING, starts_at=starts_at, ends_at=ends_at)
        barrier.wait(timeout=30)
        try:
            with unit_of_work(factory) as db:
                venues.book_venue(db, actor, tender_id=tender_id, data=data, now=TEST_NOW)
            outcomes.append("ok")
        except venues.OpeningAlreadyBooked as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=book, args=(room,)) for room in rooms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok", "opening_venue_already_booked"]
    with unit_of_work(factory, read_only=True) as db:
        booked = select(func.count()).select_from(VenueBooking).where(VenueBooking.tender_id == tender_id)
        assert db.scalar(booked) == 1
