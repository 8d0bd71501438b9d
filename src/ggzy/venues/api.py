"""API of venues and bookings (场地预约): a centre's staff manage its rooms and book them for tenders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Id, Moment
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.projects.access import NotYourCentre
from ggzy.venues import rules, service
from ggzy.venues.access import BookingsNotYours, VenueNotYourCentre
from ggzy.venues.models import Venue, VenueBooking
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.schemas import BookingIn, BookingOut, CancelIn, VenueIn, VenueOut

router = APIRouter(tags=["venues"], route_class=PermissionedRoute)

Manager = Annotated[Principal, Depends(require(Permission.VENUE_MANAGE))]
BookingReader = Annotated[Principal, Depends(require(Permission.VENUE_BOOKING_READ))]

# Every refusal of a booking, shared by the API and the staff's page.
BOOK_PROBLEMS = (
    NotFound,
    NotYourCentre,
    VenueNotYourCentre,
    rules.BookingSpanInvalid,
    rules.BookingInPast,
    rules.VenueKindWrong,
    rules.OpeningMissesDeadline,
    rules.EvaluationBeforeDeadline,
    rules.SeatsTooFew,
    service.VenueOfAnotherCentre,
    service.VenueRetired,
    service.BookingOverlaps,
    service.OpeningAlreadyBooked,
    service.TenderNotBookable,
)
CANCEL_PROBLEMS = (NotFound, VenueNotYourCentre, service.BookingNotActive, service.BookingOver)
VENUE_PROBLEMS = (NotFound, VenueNotYourCentre, service.VenueNameTaken)
RETIRE_PROBLEMS = (NotFound, VenueNotYourCentre, service.VenueRetired, service.VenueHasBookings)


def venue_out(venue: Venue) -> VenueOut:
    return VenueOut(
        id=venue.id,
        centre_id=venue.centre_id,
        name=venue.name,
        kind=VenueKind(venue.kind),
        seats=venue.seats,
        active=venue.active,
        created_at=venue.created_at,
        retired_at=venue.retired_at,
    )


def booking_out(booking: VenueBooking) -> BookingOut:
    return BookingOut(
        id=booking.id,
        venue_id=booking.venue_id,
        tender_id=booking.tender_id,
        purpose=Purpose(booking.purpose),
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        status=booking.status,
        booked_at=booking.booked_at,
        cancelled_at=booking.cancelled_at,
        cancel_reason=booking.cancel_reason,
    )


@router.get(
    "/centres/{centre_id}/venues",
    response_model=list[VenueOut],
    summary="The centre's venues, retired ones included (its staff)",
    responses=problem_responses(VenueNotYourCentre),
)
def list_venues(centre_id: Id, db: DB, actor: Manager) -> list[VenueOut]:
    return [venue_out(venue) for venue in service.list_venues(db, actor, centre_id=centre_id)]


@router.post(
    "/centres/{centre_id}/venues",
    response_model=VenueOut,
    status_code=201,
    summary="Add a venue to the centre: 开标室, 评标室 or 远程异地评标 (its staff)",
    responses=problem_responses(*VENUE_PROBLEMS),
)
def create_venue(centre_id: Id, body: VenueIn, db: DB, actor: Manager, now: Now) -> VenueOut:
    return venue_out(service.create_venue(db, actor, centre_id=centre_id, data=body, now=now))


@router.post(
    "/venues/{venue_id}/retire",
    response_model=VenueOut,
    summary="Retire a venue (kept, never deleted); its bookings not yet over must be cancelled first",
    responses=problem_responses(*RETIRE_PROBLEMS),
)
def retire_venue(venue_id: Id, db: DB, actor: Manager, now: Now) -> VenueOut:
    return venue_out(service.retire_venue(db, actor, venue_id=venue_id, now=now))


@router.get(
    "/venues/{venue_id}/bookings",
    response_model=list[BookingOut],
    summary="A venue's bookings overlapping [start, end) (its centre's staff)",
    responses=problem_responses(NotFound, VenueNotYourCentre, InvalidInput),
)
def venue_bookings(
    venue_id: Id,
    db: DB,
    actor: Manager,
    start: Annotated[Moment, Query(description="ISO 8601 with offset, e.g. 2026-12-19T00:00:00+08:00")],
    end: Annotated[Moment, Query(description="ISO 8601 with offset; after start, at most 31 days later")],
    include_cancelled: bool = False,
) -> list[BookingOut]:
    _check_range(start, end)
    found = service.bookings_of_venue(
        db, actor, venue_id=venue_id, start=start, end=end, include_cancelled=include_cancelled
    )
    return [booking_out(booking) for booking in found]


def _check_range(start: datetime, end: datetime) -> None:
    if not start < end or (end - start).days > 31:
        raise InvalidInput(
            field="end",
            reason_zh="须晚于开始时间，且不超过31天",
            reason_en="must come after start, at most 31 days later",
        )


@router.get(
    "/tenders/{tender_id}/venue-bookings",
    response_model=list[BookingOut],
    summary="A tender's venue bookings (staff of its centre, its owner and agent; never bidders nor visitors)",
    responses=problem_responses(NotFound, BookingsNotYours),
)
def tender_bookings(tender_id: Id, db: DB, actor: BookingReader) -> list[BookingOut]:
    return [booking_out(booking) for booking, _ in service.bookings_of_tender(db, actor, tender_id=tender_id)]


@router.post(
    "/tenders/{tender_id}/venue-bookings",
    response_model=BookingOut,
    status_code=201,
    summary="Book a venue for the tender's opening (over its deadline) or evaluation (its centre's staff)",
    responses=problem_responses(*BOOK_PROBLEMS),
)
def book_venue(tender_id: Id, body: BookingIn, db: DB, actor: Manager, now: Now) -> BookingOut:
    return booking_out(service.book_venue(db, actor, tender_id=tender_id, data=body, now=now))


@router.post(
    "/venue-bookings/{booking_id}/cancel",
    response_model=BookingOut,
    summary="Cancel a booking with its reason (kept, never deleted); the slot is free again",
    responses=problem_responses(*CANCEL_PROBLEMS),
)
def cancel_booking(booking_id: Id, body: CancelIn, db: DB, actor: Manager, now: Now) -> BookingOut:
    return booking_out(service.cancel_booking(db, actor, booking_id=booking_id, reason=body.reason, now=now))
