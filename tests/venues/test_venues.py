"""Venues and their bookings (场地预约): the rules, through the services and the API, on both databases.

The opening is held at the bid deadline, at the place the tender documents name (招标投标法 第34条); the evaluation
follows it, by a committee of five or more (第37条), kept confidential (第38条).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import Method
from ggzy.venues import rules
from ggzy.venues import service as venues
from ggzy.venues.models import Venue, VenueBooking
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.schemas import VenueIn
from tests.conftest import TEST_NOW
from tests.factories import (
    bidder_user,
    event_count,
    make_accepted_project,
    make_published_tender,
    make_user,
    principal,
    token_for,
    user_with_role,
)
from tests.venues.venue_support import book, evaluation_span, make_venue, opening_span, staff


def _refused(code: str, call) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as refused:
        call()
    assert refused.value.code == code, refused.value.detail_en
    return refused.value


def _bookings(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(VenueBooking)) or 0


# --- rules (pure) -----------------------------------------------------------------------------------------------


def test_spans_are_half_open_back_to_back_bookings_do_not_overlap() -> None:
    a, b, c = TEST_NOW, TEST_NOW + timedelta(hours=1), TEST_NOW + timedelta(hours=2)
    assert not rules.overlaps(a, b, b, c)
    assert rules.overlaps(a, c, b, c)
    assert rules.overlaps(b, c, a, c + timedelta(hours=1))


def test_an_evaluation_room_seats_the_whole_committee_at_least_five_招标投标法第37条() -> None:
    assert rules.seats_needed(kind=VenueKind.EVALUATION_ROOM, committee_minimum=5, committee_size=0) == 5
    assert rules.seats_needed(kind=VenueKind.EVALUATION_ROOM, committee_minimum=5, committee_size=7) == 7
    # a remote-evaluation hall (主场/副场) seats the part of the committee dispatched there
    assert rules.seats_needed(kind=VenueKind.REMOTE_EVALUATION, committee_minimum=5, committee_size=7) == 1


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(rules.BookingSpanInvalid):
        rules.check_span(starts_at=TEST_NOW.replace(tzinfo=None), ends_at=TEST_NOW, now=TEST_NOW)


# --- venues ---------------------------------------------------------------------------------------------------


def test_staff_add_rooms_to_their_own_centre_only_and_names_are_unique(db: Session) -> None:
    setup = make_accepted_project(db)
    room = make_venue(db, setup, name="第一开标室", seats=30)
    assert (room.kind, room.seats, room.active) == ("opening_room", 30, True)
    data = VenueIn(name="第一开标室", kind=VenueKind.EVALUATION_ROOM, seats=9)
    city = setup["centres"]["city"].id
    _refused(
        "venue_name_taken", lambda: venues.create_venue(db, staff(db, setup), centre_id=city, data=data, now=TEST_NOW)
    )
    other = principal(db, user_with_role(db, Role.CENTRE_STAFF), Permission.VENUE_MANAGE)
    data = VenueIn(name="外中心评标室", kind=VenueKind.EVALUATION_ROOM, seats=9)
    _refused(
        "venue_centre_scope_denied", lambda: venues.create_venue(db, other, centre_id=city, data=data, now=TEST_NOW)
    )
    assert [v.name for v in venues.list_venues(db, staff(db, setup), centre_id=city)] == ["第一开标室"]


def test_a_retired_room_is_kept_and_cannot_be_booked(db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup)
    venues.retire_venue(db, staff(db, setup), venue_id=room.id, now=TEST_NOW)
    db.expire_all()
    kept = db.get(Venue, room.id)
    assert kept is not None
    assert (kept.active, kept.retired_at) == (False, TEST_NOW)
    _refused("venue_retired", lambda: book(db, setup, tender, room))
    _refused("venue_retired", lambda: venues.retire_venue(db, staff(db, setup), venue_id=room.id, now=TEST_NOW))


def test_a_room_with_bookings_not_yet_over_is_not_retired(db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup)
    booking = book(db, setup, tender, room)
    _refused("venue_has_bookings", lambda: venues.retire_venue(db, staff(db, setup), venue_id=room.id, now=TEST_NOW))
    # once the booking is over, the room may go
    venues.retire_venue(db, staff(db, setup), venue_id=room.id, now=booking.ends_at)
    assert not db.get(Venue, room.id).active  # type: ignore[union-attr]


# --- bookings ---------------------------------------------------------------------------------------------------


def test_the_opening_room_is_booked_over_the_bid_deadline_招标投标法第34条(db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup)
    deadline = tender.bid_deadline
    before = (deadline - timedelta(hours=3), deadline - timedelta(minutes=1))
    refused = _refused("opening_booking_misses_deadline", lambda: book(db, setup, tender, room, span=before))
    assert "招标投标法 第34条" in refused.detail_zh
    assert "art. 34" in refused.detail_en
    assert "2026-12-19 14:00" in refused.detail_zh  # the deadline in China Standard Time
    after = (deadline + timedelta(minutes=1), deadline + timedelta(hours=2))
    _refused("opening_booking_misses_deadline", lambda: book(db, setup, tender, room, span=after))
    ending_at_deadline = (deadline - timedelta(hours=1), deadline)  # the opening starts at the deadline: not covered
    _refused("opening_booking_misses_deadline", lambda: book(db, setup, tender, room, span=ending_at_deadline))
    booking = book(db, setup, tender, room, span=(deadline, deadline + timedelta(hours=1)))
    assert (booking.purpose, booking.status, booking.starts_at) == ("opening", "booked", deadline)


def test_one_opening_room_per_tender_the_place_the_documents_name_招标投标法第34条(db: Session) -> None:
    tender, setup = make_published_tender(db)
    book(db, setup, tender, make_venue(db, setup))
    _refused("opening_venue_already_booked", lambda: book(db, setup, tender, make_venue(db, setup)))


def test_the_evaluation_is_not_booked_before_the_deadline_招标投标法第34条(db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM)
    early = (tender.bid_deadline - timedelta(hours=1), tender.bid_deadline + timedelta(hours=4))
    refused = _refused(
        "evaluation_booking_before_deadline",
        lambda: book(db, setup, tender, room, purpose=Purpose.EVALUATION, span=early),
    )
    assert "第34条" in refused.detail_zh
    booking = book(db, setup, tender, room, purpose=Purpose.EVALUATION)
    assert booking.starts_at >= tender.bid_deadline


def test_a_room_of_the_wrong_kind_is_refused(db: Session) -> None:
    tender, setup = make_published_tender(db)
    evaluation_room = make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM)
    opening_room = make_venue(db, setup, kind=VenueKind.OPENING_ROOM)
    refused = _refused("venue_kind_wrong", lambda: book(db, setup, tender, evaluation_room))
    assert "开标室" in refused.detail_zh
    _refused("venue_kind_wrong", lambda: book(db, setup, tender, opening_room, purpose=Purpose.EVALUATION))
    hall = make_venue(db, setup, kind=VenueKind.REMOTE_EVALUATION, seats=2)
    assert book(db, setup, tender, hall, purpose=Purpose.EVALUATION).purpose == "evaluation"


def test_an_evaluation_room_too_small_for_a_committee_is_refused_招标投标法第37条(db: Session) -> None:
    tender, setup = make_published_tender(db)
    small = make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM, seats=4)
    refused = _refused("venue_seats_too_few", lambda: book(db, setup, tender, small, purpose=Purpose.EVALUATION))
    assert "第37条" in refused.detail_zh
    assert "needs 5" in refused.detail_en


def test_the_room_must_belong_to_the_centre_handling_the_project(db: Session) -> None:
    tender, setup = make_published_tender(db)
    centres = setup["centres"]
    both = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=centres["city"].id),
                                RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=centres["other_city"].id)])  # fmt: skip
    actor = principal(db, both, Permission.VENUE_MANAGE)
    data = VenueIn(name="曲靖开标室", kind=VenueKind.OPENING_ROOM, seats=20)
    elsewhere = venues.create_venue(db, actor, centre_id=centres["other_city"].id, data=data, now=TEST_NOW)
    starts_at, ends_at = opening_span(tender)
    from ggzy.venues.schemas import BookingIn

    body = BookingIn(venue_id=elsewhere.id, purpose=Purpose.OPENING, starts_at=starts_at, ends_at=ends_at)
    refused = _refused(
        "venue_centre_mismatch", lambda: venues.book_venue(db, actor, tender_id=tender.id, data=body, now=TEST_NOW)
    )
    assert centres["city"].name in refused.detail_zh
    # staff of the other centre only may not book for this centre's tender at all
    other = principal(db, user_with_role(db, Role.CENTRE_STAFF, centre_id=centres["other_city"].id),
                      Permission.VENUE_MANAGE)  # fmt: skip
    _refused("centre_scope_denied", lambda: venues.book_venue(db, other, tender_id=tender.id, data=body, now=TEST_NOW))


def test_no_booking_starts_in_the_past(db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM)
    span = evaluation_span(tender)
    later = span[0] + timedelta(minutes=1)  # the injected clock: it is now after the span started
    refused = _refused("venue_booking_in_past", lambda: book(db, setup, tender, room, purpose=Purpose.EVALUATION,
                                                              span=span, now=later))  # fmt: skip
    assert "中国标准时间" in refused.detail_zh
    _refused("venue_booking_span_invalid", lambda: book(db, setup, tender, room, purpose=Purpose.EVALUATION,
                                                         span=(span[1], span[0])))  # fmt: skip


def test_two_bookings_of_one_room_never_overlap_and_back_to_back_is_fine(db: Session) -> None:
    tender, setup = make_published_tender(db)
    other, _ = make_published_tender(db, setup=make_accepted_project(db))
    room = make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM)
    first = book(db, setup, tender, room, purpose=Purpose.EVALUATION)
    overlapping = (first.ends_at - timedelta(hours=1), first.ends_at + timedelta(hours=1))
    refused = _refused("venue_booking_overlaps", lambda: book(db, setup, tender, room, purpose=Purpose.EVALUATION,
                                                               span=overlapping))  # fmt: skip
    assert room.name in refused.detail_zh
    inside = (first.starts_at + timedelta(hours=1), first.starts_at + timedelta(hours=2))
    _refused("venue_booking_overlaps", lambda: book(db, setup, tender, room, purpose=Purpose.EVALUATION, span=inside))
    follows = (first.ends_at, first.ends_at + timedelta(hours=2))
    assert book(db, setup, tender, room, purpose=Purpose.EVALUATION, span=follows).starts_at == first.ends_at
    assert other.id != tender.id


def test_cancelling_keeps_the_booking_with_its_reason_and_frees_the_slot(db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup)
    booking = book(db, setup, tender, room)
    venues.cancel_booking(db, staff(db, setup), booking_id=booking.id, reason="开标室设备检修", now=TEST_NOW)
    db.expire_all()
    kept = db.get(VenueBooking, booking.id)
    assert kept is not None
    assert (kept.status, kept.cancel_reason, kept.cancelled_at) == ("cancelled", "开标室设备检修", TEST_NOW)
    again = book(db, setup, tender, room)  # the same slot, and the tender's one opening room, free again
    assert again.id != booking.id
    _refused("venue_booking_not_active", lambda: venues.cancel_booking(db, staff(db, setup), booking_id=booking.id,
                                                                      reason="重复", now=TEST_NOW))  # fmt: skip
    _refused("venue_booking_over", lambda: venues.cancel_booking(db, staff(db, setup), booking_id=again.id,
                                                                reason="太晚", now=again.ends_at))  # fmt: skip


def test_a_draft_or_cancelled_tender_gets_no_room(db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup)
    manager = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    tendering.cancel_tender(db, manager, tender_id=tender.id, reason="项目取消", now=TEST_NOW)
    _refused("tender_not_bookable", lambda: book(db, setup, tender, room))
    draft = tendering.create_tender(
        db, manager, lot_id=setup["lots"][0].id, procedure_key="open", method=Method.SCORING, title="草稿",
        notice_text="公告", documents_until=TEST_NOW + timedelta(days=10), bid_deadline=TEST_NOW + timedelta(days=25),
        invited_entity_ids=[], now=TEST_NOW,
    )  # fmt: skip
    _refused("tender_not_bookable", lambda: book(db, setup, draft, room))


def test_an_evaluation_booking_is_undisclosed_in_the_public_ledger_an_opening_booking_is_not_招标投标法第38条(
    db: Session,
) -> None:
    tender, setup = make_published_tender(db)
    opening = book(db, setup, tender, make_venue(db, setup))
    evaluation = book(db, setup, tender, make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM),
                      purpose=Purpose.EVALUATION)  # fmt: skip
    venues.cancel_booking(db, staff(db, setup), booking_id=evaluation.id, reason="改期", now=TEST_NOW)
    events = {
        e.action: e.disclosed
        for e in db.scalars(select(Event).where(Event.subject_type == "venue_booking",
                                                Event.subject_id.in_([str(opening.id), str(evaluation.id)])))
    }  # fmt: skip
    assert events == {
        "venue.opening_booked": True,
        "venue.evaluation_booked": False,
        "venue.evaluation_booking_cancelled": False,
    }


# --- the API ----------------------------------------------------------------------------------------------------


def _api_setup(db: Session) -> tuple:  # type: ignore[type-arg]
    tender, setup = make_published_tender(db)
    return tender, setup, token_for(db, setup["staff"])


def test_staff_manage_rooms_and_bookings_through_the_api(client: TestClient, db: Session) -> None:
    tender, setup, headers = _api_setup(db)
    city = setup["centres"]["city"].id
    created = client.post(f"/api/v1/centres/{city}/venues", json={"name": "一号开标室", "kind": "opening_room",
                                                                  "seats": 40}, headers=headers)  # fmt: skip
    assert created.status_code == 201, created.text
    venue_id = created.json()["id"]
    listed = client.get(f"/api/v1/centres/{city}/venues", headers=headers).json()
    assert [v["name"] for v in listed] == ["一号开标室"]
    # 2026-12-19 14:00 CST is the deadline: the booking is written in China time, stored in UTC
    body = {"venue_id": venue_id, "purpose": "opening", "starts_at": "2026-12-19T13:30:00+08:00",
            "ends_at": "2026-12-19T16:00:00+08:00"}  # fmt: skip
    booked = client.post(f"/api/v1/tenders/{tender.id}/venue-bookings", json=body, headers=headers)
    assert booked.status_code == 201, booked.text
    assert booked.json()["starts_at"].startswith("2026-12-19T05:30:00")
    day = {"start": "2026-12-19T00:00:00+08:00", "end": "2026-12-20T00:00:00+08:00"}
    in_day = client.get(f"/api/v1/venues/{venue_id}/bookings", params=day, headers=headers)
    assert [b["id"] for b in in_day.json()] == [booked.json()["id"]]
    next_day = {"start": "2026-12-20T00:00:00+08:00", "end": "2026-12-21T00:00:00+08:00"}
    assert client.get(f"/api/v1/venues/{venue_id}/bookings", params=next_day, headers=headers).json() == []
    naive_day = {"start": "2026-12-19T00:00:00", "end": "2026-12-20T00:00:00"}
    naive = client.get(f"/api/v1/venues/{venue_id}/bookings", params=naive_day, headers=headers)
    assert naive.status_code == 422
    backwards = client.get(f"/api/v1/venues/{venue_id}/bookings", params={"start": day["end"], "end": day["start"]},
                           headers=headers)  # fmt: skip
    assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid_input")
    overlap = client.post(f"/api/v1/tenders/{tender.id}/venue-bookings", json=body, headers=headers)
    assert (overlap.status_code, overlap.json()["code"]) == (409, "opening_venue_already_booked")
    cancelled = client.post(f"/api/v1/venue-bookings/{booked.json()['id']}/cancel", json={"reason": "改到二号室"},
                            headers=headers)  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    of_tender = client.get(f"/api/v1/tenders/{tender.id}/venue-bookings", headers=headers).json()
    assert [(b["status"], b["cancel_reason"]) for b in of_tender] == [("cancelled", "改到二号室")]
    retired = client.post(f"/api/v1/venues/{venue_id}/retire", headers=headers)
    assert (retired.status_code, retired.json()["active"]) == (200, False)


def test_refused_bookings_leave_no_row_and_no_event(client: TestClient, db: Session) -> None:
    tender, setup, headers = _api_setup(db)
    opening_room, evaluation_room = make_venue(db, setup), make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM)
    book(db, setup, tender, opening_room)
    small = make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM, seats=3)
    deadline = tender.bid_deadline
    attempts = {
        "opening_booking_misses_deadline": (opening_room, "opening", deadline - timedelta(hours=2), deadline),
        "opening_venue_already_booked": (opening_room, "opening", *opening_span(tender)),
        "venue_kind_wrong": (evaluation_room, "opening", *opening_span(tender)),
        "evaluation_booking_before_deadline": (evaluation_room, "evaluation", deadline - timedelta(hours=1),
                                               deadline + timedelta(hours=1)),
        "venue_seats_too_few": (small, "evaluation", *evaluation_span(tender)),
        "venue_booking_in_past": (evaluation_room, "evaluation", TEST_NOW - timedelta(hours=1), TEST_NOW),
    }  # fmt: skip
    rows, events = _bookings(db), event_count(db)
    for code, (venue, purpose, starts_at, ends_at) in attempts.items():
        body = {"venue_id": venue.id, "purpose": purpose, "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat()}  # fmt: skip
        response = client.post(f"/api/v1/tenders/{tender.id}/venue-bookings", json=body, headers=headers)
        assert (response.status_code // 100, response.json()["code"]) == (4, code), response.text
        assert response.json()["message_zh"]
        assert response.json()["message_en"]
    assert (_bookings(db), event_count(db)) == (rows, events)


def test_a_tenders_bookings_are_read_by_its_owner_and_agent_never_by_bidders_or_visitors(
    client: TestClient, db: Session
) -> None:
    tender, setup, _ = _api_setup(db)
    book(db, setup, tender, make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM), purpose=Purpose.EVALUATION)
    path = f"/api/v1/tenders/{tender.id}/venue-bookings"
    for user in (setup["owner_user"], setup["agent_user"]):
        response = client.get(path, headers=token_for(db, user))
        assert response.status_code == 200, response.text
        assert [b["purpose"] for b in response.json()] == ["evaluation"]
    stranger = make_accepted_project(db)["owner_user"]  # another project's owner
    response = client.get(path, headers=token_for(db, stranger))
    assert (response.status_code, response.json()["code"]) == (403, "venue_bookings_scope_denied")
    response = client.get(path, headers=token_for(db, bidder_user(db)))
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert client.get(path).status_code == 401
    other_staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF))
    response = client.get(path, headers=other_staff)
    assert (response.status_code, response.json()["code"]) == (403, "venue_bookings_scope_denied")


def test_staff_of_another_centre_see_and_change_none_of_its_rooms(client: TestClient, db: Session) -> None:
    tender, setup, _ = _api_setup(db)
    room = make_venue(db, setup)
    booking = book(db, setup, tender, room)
    other = token_for(db, user_with_role(db, Role.CENTRE_STAFF))
    city = setup["centres"]["city"].id
    checks = [
        client.get(f"/api/v1/centres/{city}/venues", headers=other),
        client.post(f"/api/v1/venues/{room.id}/retire", headers=other),
        client.get(f"/api/v1/venues/{room.id}/bookings", headers=other,
                   params={"start": "2026-12-19T00:00:00+08:00", "end": "2026-12-20T00:00:00+08:00"}),
        client.post(f"/api/v1/venue-bookings/{booking.id}/cancel", json={"reason": "不是我的"}, headers=other),
    ]  # fmt: skip
    assert [(r.status_code, r.json()["code"]) for r in checks] == [(403, "venue_centre_scope_denied")] * 4
    assert db.get(VenueBooking, booking.id).status == "booked"  # type: ignore[union-attr]


def test_the_system_principal_is_no_centre_staff(db: Session) -> None:
    """The platform administrator manages centres, not their rooms (venue.manage is the centre staff's)."""
    setup = make_accepted_project(db)
    data = VenueIn(name="管理员开标室", kind=VenueKind.OPENING_ROOM, seats=10)
    city = setup["centres"]["city"].id
    _refused("venue_centre_scope_denied", lambda: venues.create_venue(db, SYSTEM, centre_id=city, data=data,
                                                                      now=TEST_NOW))  # fmt: skip
