"""The centre staff's rooms (场地预约) through the pages: add a room, book it for a tender in China time, see the
day's bookings, cancel; refusals shown inline and leaving nothing; the evaluation room shown nowhere public."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Role
from ggzy.venues.models import Venue, VenueBooking
from ggzy.venues.rules import Purpose, VenueKind
from tests.factories import bidder_user, event_count, make_published_tender, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code
from tests.venues.venue_support import book, make_venue

PAGE = "/workspace/centre"


def _bookings(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(VenueBooking)) or 0


def test_staff_add_a_room_book_the_opening_in_china_time_and_cancel_it_on_the_page(
    client: TestClient, db: Session
) -> None:
    tender, setup = make_published_tender(db)  # bid deadline 2026-12-19 14:00 CST
    browser_login(client, db, setup["staff"])
    home = client.get(PAGE)
    assert "场地预约" in home.text
    assert "本中心尚未登记场地。" in home.text
    token = csrf_from(client, PAGE)
    added = client.post(
        f"{PAGE}/venues",
        data={"csrf_token": token, "centre_id": setup["centres"]["city"].id, "name": "一号开标室",
              "kind": "opening_room", "seats": "30"},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303, added.text
    room = db.scalars(select(Venue).where(Venue.name == "一号开标室")).one()
    page = client.get(PAGE).text
    assert "一号开标室" in page
    assert tender.title in page  # among the tenders to book for
    form = {"csrf_token": token, "tender_id": tender.id, "venue_id": room.id, "purpose": "opening",
            "starts_at": "2026-12-19T13:30", "ends_at": "2026-12-19T16:00"}  # fmt: skip
    booked = client.post(f"{PAGE}/bookings", data=form, follow_redirects=False)
    assert booked.status_code == 303, booked.text
    assert booked.headers["location"] == f"{PAGE}?day=2026-12-19#rooms"
    assert outcome_code(booked) == "room_booked"
    assert "场地已预约。" in client.get(booked.headers["location"]).text  # the page says what was done
    booking = db.scalars(select(VenueBooking).where(VenueBooking.venue_id == room.id)).one()
    assert booking.starts_at.isoformat() == "2026-12-19T05:30:00+00:00"  # 13:30 China time, stored in UTC
    day = client.get(f"{PAGE}?day=2026-12-19").text.split('id="rooms"')[1]
    assert "2026年12月19日 13:30" in day
    assert "2026年12月19日 16:00" in day
    assert tender.title in day
    assert "已预约" in day
    assert "当日无预约。" in client.get(PAGE).text.split('id="rooms"')[1]  # today: nothing booked
    rows, events = _bookings(db), event_count(db)
    again = client.post(f"{PAGE}/bookings", data=form)
    assert (again.status_code, problem_code(again)) == (409, "opening_venue_already_booked")
    assert 'role="alert"' in again.text
    assert (_bookings(db), event_count(db)) == (rows, events)
    cancelled = client.post(
        f"{PAGE}/bookings/{booking.id}/cancel",
        data={"csrf_token": token, "reason": "开标室设备检修", "day": "2026-12-19"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303, cancelled.text
    assert "预约已取消，理由已记录。" in client.get(cancelled.headers["location"]).text
    day = client.get(f"{PAGE}?day=2026-12-19").text.split('id="rooms"')[1]
    assert "已取消" in day
    assert "开标室设备检修" in day
    english = client.get(f"{PAGE}?day=2026-12-19&lang=en").text
    assert "Room bookings" in english
    assert "Cancelled" in english


def test_an_opening_booking_that_misses_the_deadline_is_refused_inline_招标投标法第34条(
    client: TestClient, db: Session
) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup)
    browser_login(client, db, setup["staff"])
    token = csrf_from(client, PAGE)
    rows, events = _bookings(db), event_count(db)
    form = {"csrf_token": token, "tender_id": tender.id, "venue_id": room.id, "purpose": "opening",
            "starts_at": "2026-12-19T14:30", "ends_at": "2026-12-19T16:00"}  # fmt: skip
    refused = client.post(f"{PAGE}/bookings", data=form)
    assert (refused.status_code, problem_code(refused)) == (422, "opening_booking_misses_deadline")
    assert "招标投标法 第34条" in refused.text
    assert "2026年12月19日" in refused.text  # the page shows the day asked for
    bad_time = client.post(f"{PAGE}/bookings", data=form | {"ends_at": "明天下午"})
    assert (bad_time.status_code, problem_code(bad_time)) == (422, "invalid_input")
    assert (_bookings(db), event_count(db)) == (rows, events)


def test_bidders_and_visitors_cannot_reach_the_rooms(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup)
    form = {"tender_id": tender.id, "venue_id": room.id, "purpose": "opening",
            "starts_at": "2026-12-19T13:30", "ends_at": "2026-12-19T16:00"}  # fmt: skip
    assert problem_code(client.get(PAGE)) == "not_authenticated"
    assert problem_code(client.post(f"{PAGE}/bookings", data=form)) == "not_authenticated"
    browser_login(client, db, bidder_user(db))
    for response in (client.get(PAGE), client.post(f"{PAGE}/bookings", data=form),
                     client.post(f"{PAGE}/venues/{room.id}/retire")):  # fmt: skip
        assert (response.status_code, problem_code(response)) == (403, "permission_denied")
    assert _bookings(db) == 0


def test_staff_of_another_centre_neither_see_nor_cancel_its_bookings(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    room = make_venue(db, setup, name="本中心一号开标室")
    booking = book(db, setup, tender, room)
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))
    page = client.get(PAGE).text
    assert "本中心一号开标室" not in page
    assert tender.title not in page
    token = csrf_from(client, PAGE)
    refused = client.post(f"{PAGE}/bookings/{booking.id}/cancel", data={"csrf_token": token, "reason": "不是我的"})
    assert (refused.status_code, problem_code(refused)) == (403, "venue_centre_scope_denied")
    db.expire_all()
    assert db.get(VenueBooking, booking.id).status == "booked"  # type: ignore[union-attr]


def test_the_evaluation_room_is_shown_to_no_bidder_nor_visitor_招标投标法第38条(
    client: TestClient, db: Session
) -> None:
    tender, setup = make_published_tender(db)
    book(db, setup, tender, make_venue(db, setup, name="公开开标室"))
    secret_room = make_venue(db, setup, kind=VenueKind.EVALUATION_ROOM, name="保密评标室甲")
    book(db, setup, tender, secret_room, purpose=Purpose.EVALUATION)
    public_pages = ["/", "/notices", f"/projects/{setup['project'].id}", f"/openings/{tender.id}", "/openings"]
    for path in public_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "保密评标室甲" not in response.text, path
    browser_login(client, db, bidder_user(db))
    for path in [*public_pages, "/workspace/bidder", f"/workspace/bidder/tenders/{tender.id}"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "保密评标室甲" not in response.text, path
    client.cookies.clear()
    hall = client.get(f"/openings/{tender.id}").text  # the opening's place is public (招标投标法 第34条)
    assert "开标地点" in hall
    assert "公开开标室" in hall
    # its owner's agent sees where, read only
    browser_login(client, db, setup["agent_user"])
    own = client.get(f"/workspace/projects/tenders/{tender.id}").text.split('id="rooms"')[1]
    assert "保密评标室甲" in own
    assert "公开开标室" in own
    assert "/cancel" not in own


def test_an_opening_booking_left_behind_by_a_moved_deadline_is_flagged_实施条例第21条(
    client: TestClient, db: Session
) -> None:
    from datetime import timedelta

    from ggzy.core.permissions import Permission
    from ggzy.tendering import service as tendering
    from tests.conftest import TEST_NOW
    from tests.factories import principal

    tender, setup = make_published_tender(db)
    book(db, setup, tender, make_venue(db, setup))
    browser_login(client, db, setup["staff"])
    flag = "投标截止时间已变更"
    assert flag not in client.get(f"{PAGE}?day=2026-12-19").text
    # a clarification 10 days before the deadline that affects the bids moves it 15 days on (第21条)
    manager = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    tendering.clarify(db, manager, tender_id=tender.id, text="工程量清单更正", affects_bids=True,
                      now=TEST_NOW + timedelta(days=15))  # fmt: skip
    assert tender.bid_deadline > TEST_NOW + timedelta(days=25)
    assert flag in client.get(f"{PAGE}?day=2026-12-19").text


def test_a_booking_time_is_china_time_unless_it_names_its_own_offset() -> None:
    from datetime import timedelta as offset

    from ggzy.portal.session import form_china_time  # every page's datetime-local field

    assert form_china_time("2026-12-01T09:00", "starts_at").utcoffset() == offset(hours=8)
    assert form_china_time("2026-12-01T01:00+00:00", "starts_at").utcoffset() == offset(0)
