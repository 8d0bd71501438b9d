"""Builders of the venue tests (and of the event walk in tests/core/test_events.py), through the services."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Principal
from ggzy.tendering.models import Tender
from ggzy.venues import service as venues
from ggzy.venues.models import Venue, VenueBooking
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.schemas import BookingIn, VenueIn
from tests.conftest import TEST_NOW
from tests.factories import make_published_tender, principal

_names = itertools.count(1)


def staff(db: Session, setup: dict) -> Principal:
    """The city centre's staff member of ``make_accepted_project``, acting under ``venue.manage``."""
    return principal(db, setup["staff"], Permission.VENUE_MANAGE)


def make_venue(
    db: Session, setup: dict, *, kind: VenueKind = VenueKind.OPENING_ROOM, seats: int = 9, name: str | None = None
) -> Venue:
    word = "开标室" if kind is VenueKind.OPENING_ROOM else "评标室"
    data = VenueIn(name=name or f"第{next(_names)}{word}", kind=kind, seats=seats)
    return venues.create_venue(db, staff(db, setup), centre_id=setup["centres"]["city"].id, data=data, now=TEST_NOW)


def opening_span(tender: Tender) -> tuple[datetime, datetime]:
    """Half an hour before the bid deadline to two hours after: the opening at the deadline (招标投标法 第34条)."""
    return tender.bid_deadline - timedelta(minutes=30), tender.bid_deadline + timedelta(hours=2)


def evaluation_span(tender: Tender) -> tuple[datetime, datetime]:
    return tender.bid_deadline + timedelta(hours=3), tender.bid_deadline + timedelta(hours=9)


def book(
    db: Session,
    setup: dict,
    tender: Tender,
    venue: Venue,
    *,
    purpose: Purpose = Purpose.OPENING,
    span: tuple[datetime, datetime] | None = None,
    now: datetime = TEST_NOW,
) -> VenueBooking:
    starts_at, ends_at = span or (opening_span(tender) if purpose is Purpose.OPENING else evaluation_span(tender))
    data = BookingIn(venue_id=venue.id, purpose=purpose, starts_at=starts_at, ends_at=ends_at)
    return venues.book_venue(db, staff(db, setup), tender_id=tender.id, data=data, now=now)


VENUE_ACTIONS = (
    "venue.created",
    "venue.retired",
    "venue.opening_booked",
    "venue.evaluation_booked",
    "venue.opening_booking_cancelled",
    "venue.evaluation_booking_cancelled",
)


def venue_scenario(db: Session, action: str) -> Callable[[], object]:
    """Each venue service, prepared up to the step before it."""
    tender, setup = make_published_tender(db)
    actor = staff(db, setup)
    if action == "venue.created":
        data = VenueIn(name="事件开标室", kind=VenueKind.OPENING_ROOM, seats=20)
        centre_id = setup["centres"]["city"].id
        return lambda: venues.create_venue(db, actor, centre_id=centre_id, data=data, now=TEST_NOW)
    if action == "venue.retired":
        venue = make_venue(db, setup)
        return lambda: venues.retire_venue(db, actor, venue_id=venue.id, now=TEST_NOW)
    purpose = Purpose.OPENING if "opening" in action else Purpose.EVALUATION
    kind = VenueKind.OPENING_ROOM if purpose is Purpose.OPENING else VenueKind.EVALUATION_ROOM
    venue = make_venue(db, setup, kind=kind)
    if action.endswith("_booked"):
        return lambda: book(db, setup, tender, venue, purpose=purpose)
    booking = book(db, setup, tender, venue, purpose=purpose)
    return lambda: venues.cancel_booking(db, actor, booking_id=booking.id, reason="改期", now=TEST_NOW)
