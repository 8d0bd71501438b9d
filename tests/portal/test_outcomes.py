"""What a page says after an action is carried once, in this browser, never in the URL (ggzy.portal.outcomes): a
link with ``?done=…`` shows nothing; the sentence shows on the next page and not again; a cookie not sealed for
this browser shows nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.portal.csrf import CSRF_COOKIE
from ggzy.portal.outcomes import OUTCOME_COOKIE
from tests.factories import make_published_tender
from tests.portal.ws_support import browser_login, csrf_from, outcome_code

PAGE = "/workspace/centre"
SAID = "场地已登记。"
FLASH = 'class="notice-ok flash-done"'


def _add_room(client: TestClient, centre_id: int, name: str):  # type: ignore[no-untyped-def]
    form = {"csrf_token": csrf_from(client, PAGE), "centre_id": centre_id, "name": name, "kind": "opening_room",
            "seats": "30"}  # fmt: skip
    return client.post(f"{PAGE}/venues", data=form, follow_redirects=False)


def test_a_crafted_done_link_shows_nothing_and_the_outcome_of_an_action_shows_once(
    client: TestClient, db: Session
) -> None:
    _, setup = make_published_tender(db)
    browser_login(client, db, setup["staff"])
    crafted = client.get(f"{PAGE}?done=room_added").text  # a link someone sends: nothing was done
    assert FLASH not in crafted
    assert SAID not in crafted

    added = _add_room(client, setup["centres"]["city"].id, "一号开标室")
    assert added.status_code == 303, added.text
    assert "done" not in added.headers["location"]
    assert outcome_code(added) == "room_added"
    cookie = next(h for h in added.headers.get_list("set-cookie") if h.startswith(f"{OUTCOME_COOKIE}="))
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    landed = client.get(added.headers["location"])
    assert SAID in landed.text  # the page the browser lands on says what was done
    assert any(h.startswith(f"{OUTCOME_COOKIE}=") for h in landed.headers.get_list("set-cookie"))  # deleted
    assert OUTCOME_COOKIE not in client.cookies
    again = client.get(added.headers["location"]).text
    assert SAID not in again  # once only: a reload shows the page alone
    assert FLASH not in again


def test_an_outcome_cookie_not_sealed_for_this_browser_shows_nothing(client: TestClient, db: Session) -> None:
    _, setup = make_published_tender(db)
    browser_login(client, db, setup["staff"])
    added = _add_room(client, setup["centres"]["city"].id, "二号开标室")
    value = client.cookies.get(OUTCOME_COOKIE)
    assert value is not None
    assert value.startswith("room_added.")

    client.cookies.delete(CSRF_COOKIE)
    client.cookies.set(CSRF_COOKIE, "another-browsers-seed")  # the same cookie taken to another browser
    assert SAID not in client.get(added.headers["location"]).text
    for forged in ("room_added", "room_added.0000", "room_added." + "0" * 64):  # unsealed or forged
        client.cookies.delete(OUTCOME_COOKIE)
        client.cookies.set(OUTCOME_COOKIE, forged)
        assert SAID not in client.get(PAGE).text
