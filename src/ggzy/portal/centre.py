"""The trading centre staff's workspace (交易中心): accept or return project registrations, watch the day's openings,
manage the centre's rooms and book them.

The same services as the API under the same permissions: registrations through ``ggzy.projects.service``
(``project.review``), rooms through ``ggzy.venues.service`` (``venue.manage``); everything is of the staff
member's own centres (``ggzy.projects.access``). The day's openings list the tenders whose deadline falls today
(China Standard Time) with their stage and a link to the live opening hall; nothing about their bidders before the
opening (招标投标法 第22条).

The rooms section lists the centre's venues (开标室, 评标室, 远程异地评标室) and, for today or a chosen day, each
room's bookings as a table in time order; a form books a room for one of the centre's published tenders (its opening
over the bid deadline, 招标投标法 第34条, or its evaluation), times entered in China Standard Time, and each booking
can be cancelled with its reason. Evaluation bookings are shown here only: where a tender is evaluated is not public.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME, to_china_time
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Day, Id, Name, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.entities.service import get_centre
from ggzy.portal import labels
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_china_time, form_refused, see_other
from ggzy.projects import service as projects
from ggzy.projects.access import NotYourCentre, staff_centres
from ggzy.tendering.lifecycle import stage_of
from ggzy.tendering.service import published_tenders_closing
from ggzy.venues import service as venues
from ggzy.venues.api import BOOK_PROBLEMS, CANCEL_PROBLEMS, RETIRE_PROBLEMS, VENUE_PROBLEMS
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.schemas import BookingIn, VenueIn

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Reviewer = Annotated[Principal, Depends(require(Permission.PROJECT_REVIEW))]
RoomManager = Annotated[Principal, Depends(require(Permission.VENUE_MANAGE))]
HOME = "/workspace/centre"

REGISTRATION_ACCEPTED = outcome("registration_accepted", N_("项目登记已受理，招标人或代理机构可以发布公告。"))
REGISTRATION_RETURNED = outcome("registration_returned", N_("项目登记已退回，退回理由已告知登记人。"))
ROOM_ADDED = outcome("room_added", N_("场地已登记。"))
ROOM_RETIRED = outcome("room_retired", N_("场地已停用，不能再预约；已有记录保留。"))
ROOM_BOOKED = outcome("room_booked", N_("场地已预约。"))
BOOKING_CANCELLED = outcome("booking_cancelled", N_("预约已取消，理由已记录。"))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA_STANDARD_TIME)


def _context(db: Session, actor: Principal, now: datetime, day: date | None = None) -> dict[str, Any]:
    # the registrations this centre reviews: its own, not those of the centres below it (decision 0041)
    pending, _ = projects.list_projects(
        db, actor, status=projects.SUBMITTED, limit=100, centre_ids=staff_centres(actor)
    )
    today = to_china_time(now).date()
    start = _day_start(today)
    openings = published_tenders_closing(
        db, centre_ids=staff_centres(actor), start=start, end=start + timedelta(days=1)
    )
    return {
        "active": "workspace",
        "section": "centre",
        "pending": [{"project": p, "lots": lots} for p, lots in _with_lots(db, pending)],
        "openings": [{"tender": t, "project": p, "stage": stage_of(t, now).value} for t, p in openings],
        "today": today,
        **_rooms_context(db, actor, now, day or today),
    }


def _rooms_context(db: Session, actor: Principal, now: datetime, day: date) -> dict[str, Any]:
    start = _day_start(day)
    centre_ids = sorted(staff_centres(actor))
    rooms = venues.venues_of_centres(db, set(centre_ids))
    return {
        "rooms": rooms,
        "room_day": day,
        "room_bookings": venues.centre_bookings(db, actor, start=start, end=start + timedelta(days=1)),
        "staff_centres": [(centre_id, get_centre(db, centre_id).name) for centre_id in centre_ids],
        "bookable": [{"tender": t, "project": p} for t, p in venues.bookable_tenders(db, actor)],
        "venue_kinds": labels.VENUE_KINDS,
        "booking_purposes": labels.BOOKING_PURPOSES,
        "booking_status": labels.BOOKING_STATUS,
    }


def _with_lots(db: Session, rows: list[Any]) -> list[tuple[Any, list[Any]]]:
    lots = projects.lots_of(db, [project.id for project in rows])
    return [(project, lots[project.id]) for project in rows]


@router.get(HOME, summary="Centre staff workspace: registrations to accept, today's openings, rooms and bookings")
def centre_home(request: Request, db: DB, actor: Reviewer, now: Now, day: Day | None = None) -> HTMLResponse:
    return render(request, "ws_centre.html", _context(db, actor, now, day))


_REVIEW_PROBLEMS = (NotFound, NotYourCentre, projects.RegistrationNotPending)


@router.post(
    "/workspace/centre/projects/{project_id}/accept",
    summary="Accept a project registration (进场登记受理)",
    responses=problem_responses(*_REVIEW_PROBLEMS),
)
def accept(project_id: Id, request: Request, actor: Reviewer, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        projects.accept_registration(db, actor, project_id=project_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(HOME, done=REGISTRATION_ACCEPTED)


@router.post(
    "/workspace/centre/projects/{project_id}/return",
    summary="Return a project registration with its reason",
    responses=problem_responses(*_REVIEW_PROBLEMS),
)
def return_registration(
    project_id: Id,
    request: Request,
    actor: Reviewer,
    _: CsrfChecked,
    db: DB,
    now: Now,
    reason: Annotated[Text, Form(min_length=2, max_length=2000)],
) -> Response:
    try:
        projects.return_registration(db, actor, project_id=project_id, reason=reason.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(HOME, done=REGISTRATION_RETURNED)


# --- rooms (场地) and their bookings ----------------------------------------------------------------------------


def _refused(
    request: Request, db: Session, actor: Principal, now: datetime, error: DomainError, day: date | None = None
) -> HTMLResponse:
    return form_refused(request, db, "ws_centre.html", lambda: _context(db, actor, now, day), error)


def _rooms_page(day: date | None = None) -> str:
    return f"{HOME}?day={day.isoformat()}#rooms" if day else f"{HOME}#rooms"


@router.post(
    "/workspace/centre/venues",
    summary="Add a room to the centre (开标室, 评标室, 远程异地评标室)",
    responses=problem_responses(*VENUE_PROBLEMS, InvalidInput),
)
def create_venue(
    request: Request,
    actor: RoomManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    centre_id: Annotated[Id, Form()],
    name: Annotated[Name, Form(min_length=1, max_length=100)],
    kind: Annotated[Name, Form(max_length=24)],
    seats: Annotated[int, Form(ge=1, le=1000)],
) -> Response:
    try:
        if kind not in set(VenueKind):
            raise InvalidInput(field="kind", reason_zh="不是已知的场地类型", reason_en="is not a known kind of venue")
        try:
            data = VenueIn(name=name, kind=VenueKind(kind), seats=seats)
        except ValidationError as invalid:
            field = str(invalid.errors()[0]["loc"][0])
            raise InvalidInput(field=field, reason_zh="内容不符合要求", reason_en=invalid.errors()[0]["msg"]) from None
        venues.create_venue(db, actor, centre_id=centre_id, data=data, now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(_rooms_page(), done=ROOM_ADDED)


@router.post(
    "/workspace/centre/venues/{venue_id}/retire",
    summary="Retire a room (kept, never deleted)",
    responses=problem_responses(*RETIRE_PROBLEMS),
)
def retire_venue(venue_id: Id, request: Request, actor: RoomManager, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        venues.retire_venue(db, actor, venue_id=venue_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(_rooms_page(), done=ROOM_RETIRED)


@router.post(
    "/workspace/centre/bookings",
    summary="Book a room for a tender's opening or evaluation (times in China Standard Time)",
    responses=problem_responses(*BOOK_PROBLEMS, InvalidInput),
)
def book_room(
    request: Request,
    actor: RoomManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    venue_id: Annotated[Id, Form()],
    purpose: Annotated[Name, Form(max_length=16)],
    starts_at: Annotated[Name, Form(max_length=40)],
    ends_at: Annotated[Name, Form(max_length=40)],
) -> Response:
    day: date | None = None
    try:
        if purpose not in set(Purpose):
            raise InvalidInput(field="purpose", reason_zh="须为开标或评标", reason_en="must be opening or evaluation")
        start = form_china_time(starts_at, "starts_at")
        day = start.date()
        data = BookingIn(
            venue_id=venue_id, purpose=Purpose(purpose), starts_at=start, ends_at=form_china_time(ends_at, "ends_at")
        )
        venues.book_venue(db, actor, tender_id=tender_id, data=data, now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error, day)
    return see_other(_rooms_page(day), done=ROOM_BOOKED)


@router.post(
    "/workspace/centre/bookings/{booking_id}/cancel",
    summary="Cancel a room booking with its reason (kept, never deleted)",
    responses=problem_responses(*CANCEL_PROBLEMS),
)
def cancel_booking(
    booking_id: Id,
    request: Request,
    actor: RoomManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    reason: Annotated[Text, Form(min_length=2, max_length=2000)],
    day: Annotated[Day | None, Form()] = None,
) -> Response:
    try:
        venues.cancel_booking(db, actor, booking_id=booking_id, reason=reason.strip(), now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error, day)
    return see_other(_rooms_page(day), done=BOOKING_CANCELLED)
