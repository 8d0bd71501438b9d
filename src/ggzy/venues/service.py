"""Venues and their bookings: the only code that changes them, each change with its event (DESIGN §4.1).

What the public ledger carries: a venue's creation and retirement, and an opening room's booking and cancellation,
are disclosed (the opening is public, at the place the tender documents name, 招标投标法 第34条); an evaluation
booking and its cancellation are undisclosed — where a tender is evaluated is kept confidential (招标投标法 第38条).

Two bookings of one venue never overlap, whatever the timing: booking locks the venue's row first (PostgreSQL
``SELECT … FOR UPDATE``; SQLite's writers take the write lock at BEGIN), so a second booking of the venue waits for
the first's commit and then sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.clock import as_utc, to_china_time
from ggzy.core.errors import DomainError, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.entities.service import get_centre
from ggzy.experts.service import sitting_members
from ggzy.projects.access import staff_centres
from ggzy.tendering.lifecycle import stage_of
from ggzy.tendering.procedures import procedure
from ggzy.tendering.read import titles_and_deadlines
from ggzy.tendering.service import (
    get_tender,
    lock_tender,
    project_of,
    published_tenders_of_centres,
)
from ggzy.tendering.stages import Stage
from ggzy.venues import rules
from ggzy.venues.access import check_booking_reader, check_tender_of_centre, check_venue_manager
from ggzy.venues.models import Venue, VenueBooking
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.schemas import BookingIn, VenueIn

if TYPE_CHECKING:  # the objects the tendering service hands over; their tables are read there, never here
    from ggzy.projects.models import Project
    from ggzy.tendering.models import Tender

BOOKED = "booked"
CANCELLED = "cancelled"
# A tender not yet published, cancelled, or failed (流标) has no opening or evaluation to hold.
_NOT_BOOKABLE = {Stage.DRAFT, Stage.CANCELLED, Stage.FAILED}


class VenueNameTaken(DomainError):
    code = "venue_name_taken"
    status = 409
    message_zh = "本中心已有名为“{name}”的场地（含已停用的）"
    message_en = "The centre already has a venue named {name} (retired ones included)"


class VenueRetired(DomainError):
    code = "venue_retired"
    status = 409
    message_zh = "场地“{name}”已停用，不能再预约或停用"
    message_en = "The venue {name} is retired; it cannot be booked or retired again"


class VenueHasBookings(DomainError):
    code = "venue_has_bookings"
    status = 409
    message_zh = "场地“{name}”还有 {count} 个未结束的预约，请先取消后再停用"
    message_en = "The venue {name} still has {count} booking(s) not yet over; cancel them before retiring it"


class VenueOfAnotherCentre(DomainError):
    code = "venue_centre_mismatch"
    status = 422
    message_zh = "场地须属于该项目进场的交易中心（{centre}）"
    message_en = "The venue must belong to the centre that handles the project ({centre})"


class BookingOverlaps(DomainError):
    code = "venue_booking_overlaps"
    status = 409
    message_zh = "场地“{name}”在 {starts_at} 至 {ends_at}（中国标准时间）已被预约"
    message_en = "The venue {name} is already booked from {starts_at} to {ends_at} (China Standard Time)"


class OpeningAlreadyBooked(DomainError):
    code = "opening_venue_already_booked"
    status = 409
    message_zh = "该招标项目已预约开标室（开标在招标文件载明的一个地点进行，招标投标法 第34条）；如需更换请先取消原预约"
    message_en = (
        "The tender already has an opening room (the opening is held at the one place its documents name, Bidding "
        "Law art. 34); cancel that booking to change it"
    )


class TenderNotBookable(DomainError):
    code = "tender_not_bookable"
    status = 409
    message_zh = "该招标项目当前阶段为 {stage}，不能预约场地"
    message_en = "The tender is {stage}; no venue can be booked for it"


class BookingNotActive(DomainError):
    code = "venue_booking_not_active"
    status = 409
    message_zh = "该预约已取消"
    message_en = "The booking is already cancelled"


class BookingOver(DomainError):
    code = "venue_booking_over"
    status = 409
    message_zh = "该预约已于 {ends_at} 结束，不能再取消"
    message_en = "The booking ended at {ends_at}; it can no longer be cancelled"


def _at(moment: datetime) -> str:
    return f"{to_china_time(moment):%Y-%m-%d %H:%M}"


def _venue_payload(venue: Venue) -> dict[str, Any]:
    return {"name": venue.name, "kind": venue.kind, "seats": venue.seats}


# --- venues ----------------------------------------------------------------------------------------------------


def get_venue(db: Session, venue_id: int, *, lock: bool = False) -> Venue:
    query = select(Venue).where(Venue.id == venue_id)
    venue = db.scalar(query.with_for_update() if lock else query)
    if venue is None:
        raise NotFound(field="venue_id", what_zh="场地", what_en="Venue")
    return venue


@changes_state("venue.created")
def create_venue(db: Session, actor: Principal, *, centre_id: int, data: VenueIn, now: datetime) -> Venue:
    """Centre staff add a room of their own centre."""
    actor = check_venue_manager(actor, centre_id, field="centre_id")
    get_centre(db, centre_id)
    name = data.name.strip()
    taken = select(Venue.id).where(Venue.centre_id == centre_id, Venue.name == name)
    if db.scalar(taken) is not None:
        raise VenueNameTaken(field="name", name=name)
    venue = Venue(
        centre_id=centre_id,
        name=name,
        kind=data.kind.value,
        seats=data.seats,
        active=True,
        created_by=actor.user_id,
        created_at=now,
    )
    try:
        with db.begin_nested():  # another request added the name meanwhile: the unique index decides
            db.add(venue)
            db.flush()
    except IntegrityError:
        raise VenueNameTaken(field="name", name=name) from None
    record_event(
        db,
        actor,
        action="venue.created",
        subject_type="venue",
        subject_id=venue.id,
        centre_id=centre_id,
        payload=_venue_payload(venue),
        now=now,
    )
    return venue


@changes_state("venue.retired")
def retire_venue(db: Session, actor: Principal, *, venue_id: int, now: datetime) -> Venue:
    """A room leaves service; it is kept, with its bookings, never deleted. Bookings not yet over go first."""
    venue = get_venue(db, venue_id, lock=True)
    actor = check_venue_manager(actor, venue.centre_id)
    if not venue.active:
        raise VenueRetired(field="venue_id", name=venue.name)
    pending = list(
        db.scalars(
            select(VenueBooking.id).where(
                VenueBooking.venue_id == venue.id, VenueBooking.status == BOOKED, VenueBooking.ends_at > now
            )
        )
    )
    if pending:
        raise VenueHasBookings(field="venue_id", name=venue.name, count=len(pending))
    venue.active = False
    venue.retired_by = actor.user_id
    venue.retired_at = now
    db.flush()
    record_event(
        db,
        actor,
        action="venue.retired",
        subject_type="venue",
        subject_id=venue.id,
        centre_id=venue.centre_id,
        payload=_venue_payload(venue),
        now=now,
    )
    return venue


def list_venues(db: Session, actor: Principal, *, centre_id: int, include_retired: bool = True) -> list[Venue]:
    check_venue_manager(actor, centre_id, field="centre_id")
    query = select(Venue).where(Venue.centre_id == centre_id)
    if not include_retired:
        query = query.where(Venue.active.is_(True))
    return list(db.scalars(query.order_by(Venue.active.desc(), Venue.kind, Venue.name)))


def venues_of_centres(db: Session, centre_ids: set[int]) -> list[Venue]:
    """Every venue of these centres (the staff page reads its staff's own centres)."""
    if not centre_ids:
        return []
    query = select(Venue).where(Venue.centre_id.in_(centre_ids))
    return list(db.scalars(query.order_by(Venue.centre_id, Venue.active.desc(), Venue.kind, Venue.name)))


# --- bookings --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    actor: Principal
    venue: Venue
    tender: Tender
    project: Project


def _check_booking(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    venue_id: int,
    purpose: Purpose,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> _Checked:
    rules.check_span(starts_at=starts_at, ends_at=ends_at, now=now)
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    check_tender_of_centre(actor, project)
    stage = stage_of(tender, now)
    if tender.published_at is None or stage in _NOT_BOOKABLE:
        raise TenderNotBookable(field="tender_id", stage=stage.value)
    # The venue's row is locked until the transaction ends: a simultaneous booking of it waits, then sees this one.
    venue = get_venue(db, venue_id, lock=True)
    actor = check_venue_manager(actor, venue.centre_id)
    if venue.centre_id != project.centre_id:
        raise VenueOfAnotherCentre(field="venue_id", centre=get_centre(db, project.centre_id).name)
    if not venue.active:
        raise VenueRetired(field="venue_id", name=venue.name)
    kind = VenueKind(venue.kind)
    rules.check_kind(purpose=purpose, kind=kind)
    rules.check_timing(purpose=purpose, starts_at=starts_at, ends_at=ends_at, bid_deadline=tender.bid_deadline)
    if purpose is Purpose.EVALUATION:
        # The committee is usually drawn after the booking (its size is then not known): the lawful least is asked.
        needed = rules.seats_needed(
            kind=kind,
            committee_minimum=procedure(tender.procedure).committee.minimum_members,
            committee_size=len(sitting_members(db, tender.id)),
        )
        rules.check_seats(seats=venue.seats, needed=needed)
    if purpose is Purpose.OPENING:
        # One opening room per tender, also when two staff book two different rooms at once: the tender's row is
        # locked (after the venue's, always in that order) before looking for its opening booking.
        lock_tender(db, tender.id)
        already = select(VenueBooking.id).where(
            VenueBooking.tender_id == tender.id,
            VenueBooking.purpose == Purpose.OPENING.value,
            VenueBooking.status == BOOKED,
        )
        if db.scalar(already) is not None:
            raise OpeningAlreadyBooked(field="tender_id")
    clash = db.scalar(
        select(VenueBooking)
        .where(
            VenueBooking.venue_id == venue.id,
            VenueBooking.status == BOOKED,
            VenueBooking.starts_at < ends_at,
            VenueBooking.ends_at > starts_at,
        )
        .order_by(VenueBooking.starts_at)
        .limit(1)
    )
    if clash is not None:
        raise BookingOverlaps(
            field="starts_at", name=venue.name, starts_at=_at(clash.starts_at), ends_at=_at(clash.ends_at)
        )
    return _Checked(actor=actor, venue=venue, tender=tender, project=project)


def _book(
    db: Session, checked: _Checked, *, purpose: Purpose, starts_at: datetime, ends_at: datetime, now: datetime
) -> VenueBooking:
    starts_at, ends_at = as_utc(starts_at), as_utc(ends_at)  # stored and answered in UTC, shown in China time
    booking = VenueBooking(
        venue_id=checked.venue.id,
        tender_id=checked.tender.id,
        purpose=purpose.value,
        starts_at=starts_at,
        ends_at=ends_at,
        status=BOOKED,
        booked_by=checked.actor.user_id,
        booked_at=now,
    )
    db.add(booking)
    db.flush()
    record_event(
        db,
        checked.actor,
        action=f"venue.{purpose.value}_booked",
        subject_type="venue_booking",
        subject_id=booking.id,
        centre_id=checked.project.centre_id,
        payload={
            "tender_id": checked.tender.id,
            "venue_id": checked.venue.id,
            "venue_name": checked.venue.name,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
        now=now,
    )
    return booking


@changes_state("venue.opening_booked")
def book_opening(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    venue_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> VenueBooking:
    """Book an opening room over the tender's bid deadline (招标投标法 第34条). Disclosed: the opening is public."""
    checked = _check_booking(
        db, actor, tender_id=tender_id, venue_id=venue_id, purpose=Purpose.OPENING, starts_at=starts_at,
        ends_at=ends_at, now=now,
    )  # fmt: skip
    return _book(db, checked, purpose=Purpose.OPENING, starts_at=starts_at, ends_at=ends_at, now=now)


@changes_state(
    "venue.evaluation_booked", disclosed=False
)  # 招标投标法 第38条: where it is evaluated stays confidential
def book_evaluation(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    venue_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> VenueBooking:
    """Book an evaluation room (or a remote-evaluation hall) from the bid deadline on, with seats for the committee."""
    checked = _check_booking(
        db, actor, tender_id=tender_id, venue_id=venue_id, purpose=Purpose.EVALUATION, starts_at=starts_at,
        ends_at=ends_at, now=now,
    )  # fmt: skip
    return _book(db, checked, purpose=Purpose.EVALUATION, starts_at=starts_at, ends_at=ends_at, now=now)


def book_venue(db: Session, actor: Principal, *, tender_id: int, data: BookingIn, now: datetime) -> VenueBooking:
    """Book ``data.venue_id`` for the tender's opening or evaluation (the API's and the page's one entry)."""
    book = book_opening if data.purpose is Purpose.OPENING else book_evaluation
    return book(
        db, actor, tender_id=tender_id, venue_id=data.venue_id, starts_at=data.starts_at, ends_at=data.ends_at, now=now
    )


def _check_cancel(db: Session, actor: Principal, booking_id: int, now: datetime) -> tuple[Principal, VenueBooking]:
    booking = db.get(VenueBooking, booking_id)
    if booking is None:
        raise NotFound(field="booking_id", what_zh="场地预约", what_en="Venue booking")
    venue = get_venue(db, booking.venue_id, lock=True)
    actor = check_venue_manager(actor, venue.centre_id, field="booking_id")
    db.refresh(booking)  # read again under the venue's lock: a simultaneous cancellation is seen
    if booking.status != BOOKED:
        raise BookingNotActive(field="booking_id")
    if booking.ends_at <= now:
        raise BookingOver(field="booking_id", ends_at=_at(booking.ends_at))
    return actor, booking


def _cancel(
    db: Session, actor: Principal, booking: VenueBooking, *, reason: str, now: datetime, action: str
) -> VenueBooking:
    booking.status = CANCELLED
    booking.cancelled_by = actor.user_id
    booking.cancelled_at = now
    booking.cancel_reason = reason.strip()
    db.flush()
    venue = get_venue(db, booking.venue_id)
    record_event(
        db,
        actor,
        action=action,
        subject_type="venue_booking",
        subject_id=booking.id,
        centre_id=venue.centre_id,
        payload={"tender_id": booking.tender_id, "venue_id": venue.id, "reason": booking.cancel_reason},
        now=now,
    )
    return booking


class _WrongPurpose(Exception):
    """A purpose-specific cancellation given the other purpose's booking (a programming error, not the user's)."""


@changes_state("venue.opening_booking_cancelled")
def cancel_opening_booking(
    db: Session, actor: Principal, *, booking_id: int, reason: str, now: datetime
) -> VenueBooking:
    actor, booking = _check_cancel(db, actor, booking_id, now)
    if booking.purpose != Purpose.OPENING.value:
        raise _WrongPurpose(booking.purpose)
    return _cancel(db, actor, booking, reason=reason, now=now, action="venue.opening_booking_cancelled")


@changes_state("venue.evaluation_booking_cancelled", disclosed=False)  # 招标投标法 第38条, as its booking
def cancel_evaluation_booking(
    db: Session, actor: Principal, *, booking_id: int, reason: str, now: datetime
) -> VenueBooking:
    actor, booking = _check_cancel(db, actor, booking_id, now)
    if booking.purpose != Purpose.EVALUATION.value:
        raise _WrongPurpose(booking.purpose)
    return _cancel(db, actor, booking, reason=reason, now=now, action="venue.evaluation_booking_cancelled")


def cancel_booking(db: Session, actor: Principal, *, booking_id: int, reason: str, now: datetime) -> VenueBooking:
    """Cancel a booking, with the reason; it is kept, and its slot is free again."""
    booking = db.get(VenueBooking, booking_id)
    if booking is None:
        raise NotFound(field="booking_id", what_zh="场地预约", what_en="Venue booking")
    cancel = cancel_opening_booking if booking.purpose == Purpose.OPENING.value else cancel_evaluation_booking
    return cancel(db, actor, booking_id=booking_id, reason=reason, now=now)


def bookings_of_venue(
    db: Session, actor: Principal, *, venue_id: int, start: datetime, end: datetime, include_cancelled: bool = False
) -> list[VenueBooking]:
    """A venue's bookings that overlap [start, end), for its centre's staff."""
    venue = get_venue(db, venue_id)
    check_venue_manager(actor, venue.centre_id)
    return _bookings_in_span(db, [venue.id], start=start, end=end, include_cancelled=include_cancelled)


def _bookings_in_span(
    db: Session, venue_ids: list[int], *, start: datetime, end: datetime, include_cancelled: bool
) -> list[VenueBooking]:
    if not venue_ids:
        return []
    query = select(VenueBooking).where(
        VenueBooking.venue_id.in_(venue_ids), VenueBooking.starts_at < end, VenueBooking.ends_at > start
    )
    if not include_cancelled:
        query = query.where(VenueBooking.status == BOOKED)
    return list(db.scalars(query.order_by(VenueBooking.starts_at, VenueBooking.id)))


@dataclass(frozen=True)
class DayBooking:
    """A booking on the staff's day view, with its tender's title; ``misses_deadline`` flags an active opening
    booking that no longer covers the bid deadline (a clarification moved it, 实施条例 第21条): book again."""

    booking: VenueBooking
    tender_title: str
    tender_id: int
    misses_deadline: bool


def centre_bookings(
    db: Session, actor: Principal, *, start: datetime, end: datetime, include_cancelled: bool = True
) -> dict[int, list[DayBooking]]:
    """The bookings of every venue of the staff member's own centres overlapping [start, end), by venue."""
    venue_ids = [venue.id for venue in venues_of_centres(db, staff_centres(actor))]
    bookings = _bookings_in_span(db, venue_ids, start=start, end=end, include_cancelled=include_cancelled)
    tenders = titles_and_deadlines(db, {booking.tender_id for booking in bookings})
    by_venue: dict[int, list[DayBooking]] = {venue_id: [] for venue_id in venue_ids}
    for booking in bookings:
        title, deadline = tenders[booking.tender_id]
        misses = (
            booking.status == BOOKED
            and booking.purpose == Purpose.OPENING.value
            and not booking.starts_at <= deadline < booking.ends_at
        )
        by_venue[booking.venue_id].append(DayBooking(booking, title, booking.tender_id, misses))
    return by_venue


def bookings_of_tender(
    db: Session, actor: Principal, *, tender_id: int, include_cancelled: bool = True
) -> list[tuple[VenueBooking, Venue]]:
    """A tender's bookings, for its centre's staff and its owner and agent (never for bidders or visitors)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    check_booking_reader(actor, project)
    query = select(VenueBooking, Venue).join(Venue, Venue.id == VenueBooking.venue_id)
    query = query.where(VenueBooking.tender_id == tender.id)
    if not include_cancelled:
        query = query.where(VenueBooking.status == BOOKED)
    return [(b, v) for b, v in db.execute(query.order_by(VenueBooking.starts_at, VenueBooking.id))]


def bookable_tenders(db: Session, actor: Principal, *, limit: int = 200) -> list[tuple[Tender, Project]]:
    """The published tenders of the staff member's own centres that may still need a room (not cancelled, not yet
    evaluated), newest deadline first: the choices of the staff page's booking form."""
    return published_tenders_of_centres(
        db,
        centre_ids=staff_centres(actor),
        stages={Stage.PUBLISHED, Stage.OPENED, Stage.EVALUATING},
        limit=limit,
    )


def opening_room(db: Session, tender_id: int) -> Venue | None:
    """Where the tender is opened, for everyone (招标投标法 第34条: at the place the documents name, in public); the
    only booking any visitor may read — never an evaluation room."""
    query = (
        select(Venue)
        .join(VenueBooking, VenueBooking.venue_id == Venue.id)
        .where(
            VenueBooking.tender_id == tender_id,
            VenueBooking.purpose == Purpose.OPENING.value,
            VenueBooking.status == BOOKED,
        )
        .order_by(VenueBooking.id)
        .limit(1)
    )
    return db.scalar(query)
