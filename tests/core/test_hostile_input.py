"""Hostile input gets a clear 4xx (DESIGN §4.6), never a server error, and leaves nothing behind.

Integers beyond a 64-bit column, days the database cannot store, text no person writes (NUL, control and bidi
override characters, lone surrogates, only invisible characters), money in other scripts' digits, and bodies larger
than an operation accepts: the API answers a problem+json with a stable code and zh/en messages, a page its friendly
error page with the code in ``x-problem-code``.
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import PROBLEM_CONTENT_TYPE, InvalidInput
from ggzy.core.inputs import Id, Moment, Name, SearchTerm, Text, file_name
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import Role
from ggzy.core.web import BODY_LIMIT
from ggzy.entities.models import Centre
from tests.factories import event_count, token_for, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, problem_code

BEYOND_64_BITS = 2**63  # one more than a BIGINT holds


def _problem(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    problem = response.json()
    assert problem["message_zh"]
    assert problem["message_en"]
    return problem


def _refused_page(response: Any, code: str, status: int = 422) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert problem_code(response) == code
    assert "出错了" in response.text


def _centres(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Centre)) or 0


# --- integers beyond their column ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/tenders/{BEYOND_64_BITS}",
        f"/api/v1/tenders/{2**64 - 1}/award",
        f"/api/v1/ledger/events/-{BEYOND_64_BITS}",
        f"/api/v1/tenders?offset={BEYOND_64_BITS}",
        f"/api/v1/feed?cursor={2**80}&limit=10",
        f"/api/v1/ledger/proofs/consistency?first=1&second={BEYOND_64_BITS}",
    ],
)
def test_ids_and_offsets_beyond_64_bits_are_refused_not_overflowed(client: TestClient, path: str) -> None:
    assert _problem(client.get(path))["code"] == "validation_failed"


def test_a_page_id_beyond_64_bits_is_the_friendly_error_page(client: TestClient) -> None:
    _refused_page(client.get(f"/projects/{2**64 - 1}"), "validation_failed")
    _refused_page(client.get(f"/openings/{BEYOND_64_BITS}"), "validation_failed")


def test_the_live_hall_stream_refuses_what_it_cannot_read(client: TestClient, db: Session) -> None:
    """The hall's Server-Sent Events (left out of the fuzzer: a stream never ends) refuse a tender id beyond 64 bits
    and an index below -1, and a Last-Event-ID that is not ASCII ("²".isdigit() is true, and int() refused it with a
    server error)."""
    _refused_page(client.get(f"/openings/{BEYOND_64_BITS}/events"), "validation_failed")
    _refused_page(client.get("/openings/1/events?after=-2"), "validation_failed")
    _refused_page(
        client.get("/openings/1/events", headers={"last-event-id": "²".encode("latin-1")}), "validation_failed"
    )


def test_a_csrf_token_in_other_characters_than_ascii_is_refused_not_a_server_error(client: TestClient) -> None:
    """compare_digest takes ASCII text only: a token "é" was a TypeError (500)."""
    csrf_from(client, "/login")
    response = client.post("/login/password", data={"csrf_token": "é", "username": "admin", "password": "x"})
    _refused_page(response, "csrf_invalid", status=403)


def test_an_id_beyond_64_bits_in_a_body_is_refused_and_writes_nothing(client: TestClient, db: Session) -> None:
    admin = user_with_role(db, Role.PLATFORM_ADMIN)
    before, events = _centres(db), event_count(db)
    response = client.post(
        "/api/v1/centres",
        json={"name": "昆明市测试中心", "region_code": "530100", "parent_id": BEYOND_64_BITS},
        headers=token_for(db, admin),
    )
    problem = _problem(response)
    assert problem["field"] == "parent_id"
    assert (_centres(db), event_count(db)) == (before, events)


def test_a_market_role_granted_to_a_user_without_an_entity_grants_nothing(client: TestClient, db: Session) -> None:
    """Found by make fuzz: the administrator granted itself the bidder role; the bidder's workspace then failed on
    the missing entity (500). No one grants a market entity's role any more (decision 0013): the grant is refused;
    and a role held without an entity acts for none: the page and the API refuse (403)."""
    admin = user_with_role(db, Role.PLATFORM_ADMIN)
    refused = client.post(f"/api/v1/users/{admin.id}/roles", json={"role": "bidder"}, headers=token_for(db, admin))
    assert _problem(refused, 403)["code"] == "entity_role_needs_enrolment"
    browser_login(client, db, admin)
    _refused_page(client.get("/workspace/bidder"), "permission_denied", status=403)
    client.cookies.clear()
    response = client.get("/api/v1/tenders/1/bids/mine", headers=token_for(db, admin))
    assert _problem(response, 403)["code"] == "permission_denied"


# --- days the database cannot store ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=9999-12-31&to=9999-12-31"])
def test_notice_filters_outside_the_stored_days_are_refused_on_the_page(client: TestClient, query: str) -> None:
    _refused_page(client.get(f"/notices?{query}"), "invalid_input")


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31"])
def test_working_days_from_a_day_the_calendar_cannot_hold_is_refused(client: TestClient, start: str) -> None:
    problem = _problem(client.get(f"/api/v1/calendar/working-days?start={start}&days=1"))
    assert problem["field"] == "start"
    assert "日期须在" in problem["message_zh"]


def test_the_centre_day_view_of_a_day_outside_the_calendar_is_refused(client: TestClient, db: Session) -> None:
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))
    _refused_page(client.get("/workspace/centre?day=9999-12-31"), "validation_failed")
    assert client.get("/workspace/centre?day=2026-11-24").status_code == 200


def test_a_booking_window_outside_the_stored_times_is_refused(client: TestClient, db: Session) -> None:
    staff = user_with_role(db, Role.CENTRE_STAFF)
    response = client.get(
        "/api/v1/venues/1/bookings",
        params={"start": "0001-01-01T00:00:00+08:00", "end": "0001-01-02T00:00:00+08:00"},
        headers=token_for(db, staff),
    )
    assert _problem(response)["field"] == "start"


# --- text no person writes --------------------------------------------------------------------------------------

ODD_NAMES = {
    "NUL": "测试中心\x00",
    "escape": "测试中心\x1b[31m",
    "bell": "测试\x07中心",
    "C1 next line": "测试\x85中心",
    "right-to-left override": "测试\u202e心中",
    "left-to-right isolate": "\u2066测试中心\u2069",
    "zero-width only": "\u200b\u200b\u200d",
    "line break in a name": "测试\n中心",
}


@pytest.mark.parametrize("name", ODD_NAMES.values(), ids=ODD_NAMES.keys())
def test_a_name_with_characters_no_person_writes_is_refused_and_writes_nothing(
    client: TestClient, db: Session, name: str
) -> None:
    """NUL was a server error on PostgreSQL and stored as written on SQLite; the rest were stored as written."""
    admin = user_with_role(db, Role.PLATFORM_ADMIN)
    before, events = _centres(db), event_count(db)
    response = client.post(
        "/api/v1/centres", json={"name": name, "region_code": "530100"}, headers=token_for(db, admin)
    )
    problem = _problem(response)
    assert problem["field"] == "name"
    assert problem["errors"][0]["type"].startswith("text_")
    assert (_centres(db), event_count(db)) == (before, events)


def test_a_holiday_schedule_whose_source_holds_nul_is_refused(client: TestClient, db: Session) -> None:
    """The schedule is a document read by hand: its source, stored as a name, was a server error on PostgreSQL."""
    admin = user_with_role(db, Role.PLATFORM_ADMIN)
    schedule = {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "国办发明电\x00"}
    problem = _problem(client.put("/api/v1/calendar/years/2027", json=schedule, headers=token_for(db, admin)))
    assert problem["field"] == "source"


def test_a_name_is_kept_in_nfc(client: TestClient, db: Session) -> None:
    admin = user_with_role(db, Role.PLATFORM_ADMIN)
    decomposed = "Cafe\u0301 测试中心"  # é as e + combining acute accent
    response = client.post(
        "/api/v1/centres", json={"name": decomposed, "region_code": "530000"}, headers=token_for(db, admin)
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == unicodedata.normalize("NFC", decomposed) == "Café 测试中心"


def test_a_lone_surrogate_in_the_login_name_is_refused(client: TestClient) -> None:
    """JSON may escape a lone surrogate; no encoding can store it (it was a server error on both databases)."""
    body = b'{"username": "admin\\ud800", "password": "ggzy-demo-2026"}'
    response = client.post("/api/v1/auth/password-login", content=body, headers={"content-type": "application/json"})
    problem = _problem(response)
    assert problem["field"] == "username"
    assert problem["errors"][0]["type"] == "text_surrogate"


def test_nul_in_the_login_form_is_the_friendly_error_page(client: TestClient) -> None:
    token = csrf_from(client, "/login")
    response = client.post(
        "/login/password", data={"csrf_token": token, "username": "admin\x00", "password": "ggzy-demo-2026"}
    )
    _refused_page(response, "validation_failed")


@pytest.mark.parametrize("term", ["\x00", "道路\x00工程", "\x1b", "\u202e工程"])
def test_a_search_with_nul_or_controls_is_refused_on_the_page_and_in_the_api(
    client: TestClient, db: Session, term: str
) -> None:
    """NUL in a search was a server error on PostgreSQL (a LIKE pattern cannot hold it)."""
    _refused_page(client.get("/notices", params={"q": term}), "validation_failed")
    staff = user_with_role(db, Role.CENTRE_STAFF)
    assert _problem(client.get("/api/v1/entities", params={"q": term}, headers=token_for(db, staff)))["field"] == "q"


def test_free_text_keeps_its_lines_and_tabs_but_not_other_controls() -> None:
    text = TypeAdapter(Text)
    assert text.validate_python("第一行\r\n\t第二行") == "第一行\r\n\t第二行"
    for odd in ("第一行\x00", "\x1b第二行", "\u202e", " \u200b\n", "\u200b"):
        with pytest.raises(ValidationError):
            text.validate_python(odd)


def test_names_and_search_terms_stay_on_one_line() -> None:
    assert TypeAdapter(Name).validate_python("  昆明市第一中学  ") == "昆明市第一中学"
    assert TypeAdapter(SearchTerm).validate_python("") == ""
    for adapter in (TypeAdapter(Name), TypeAdapter(SearchTerm)):
        with pytest.raises(ValidationError):
            adapter.validate_python("道路\t工程")


def test_ids_and_moments_have_the_bounds_of_their_columns() -> None:
    ids = TypeAdapter(Id)
    assert ids.validate_python(2**63 - 1) == 2**63 - 1
    for beyond in (0, -1, 2**63):
        with pytest.raises(ValidationError):
            ids.validate_python(beyond)
    with pytest.raises(ValidationError):
        TypeAdapter(Moment).validate_python("0001-01-01T00:00:00+08:00")


def test_an_uploaded_file_name_is_kept_without_controls_or_separators() -> None:
    assert file_name("..\\招标\x00文件\u202e.pdf", default="x") == ".._招标文件.pdf"
    assert file_name("\u200b", default="tender-documents") == "tender-documents"
    assert file_name(None, default="tender-documents") == "tender-documents"


@pytest.mark.parametrize("share", [".014695794e+1402441", "1e-1000000", "５１"])
def test_a_decimal_that_overflows_or_is_not_ascii_is_refused(client: TestClient, db: Session, share: str) -> None:
    """Found by make fuzz: a share of ".014695794e+1402441" parsed, then overflowed the first multiplication (500)."""
    admin = user_with_role(db, Role.PLATFORM_ADMIN)
    body = {"kind": "shareholding", "upper_entity_id": 1, "lower_entity_id": 2, "share_percent": share}
    problem = _problem(client.post("/api/v1/entity-relations", json=body, headers=token_for(db, admin)))
    assert problem["field"] == "share_percent"


# --- money only in ASCII digits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["１２３", "１２３.４５", "١٢٣", "12３"])
def test_money_in_other_digits_than_ascii_is_refused(amount: str) -> None:
    """Full-width digits were read as money (``\\d`` and ``Decimal`` take any script's digits)."""
    with pytest.raises(InvalidInput):
        yuan_to_fen(amount)


# --- bodies larger than an operation accepts -----------------------------------------------------------------------


def _call(app: FastAPI, method: str, path: str, chunks: Callable[[], Any], headers: list[tuple[bytes, bytes]]) -> Any:
    """Call the ASGI app with a body that arrives chunk by chunk; count what the app pulled."""
    pulled = 0
    sent: list[dict[str, Any]] = []
    source = chunks()

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(source, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body, pulled


def _fifty_megabytes() -> Any:
    chunk = b"x" * 65536
    return iter([chunk] * (50 * 1024 * 1024 // len(chunk)))


def test_a_json_body_beyond_one_megabyte_is_refused_after_one_megabyte_arrives(app: FastAPI) -> None:
    """Four anonymous 50 MB login bodies took the server to 1.36 GB: a body without a Content-Length is refused as
    soon as more than 1 MB has arrived, and what was read is all that was ever held."""
    status, headers, body, pulled = _call(
        app, "POST", "/api/v1/auth/password-login", _fifty_megabytes, [(b"content-type", b"application/json")]
    )
    assert status == 413
    assert headers[b"content-type"] == PROBLEM_CONTENT_TYPE.encode()
    problem = json.loads(body)
    assert problem["code"] == "body_too_large"
    assert str(BODY_LIMIT) in problem["message_zh"]
    assert BODY_LIMIT < pulled <= BODY_LIMIT + 65536


def test_a_declared_content_length_beyond_the_limit_is_refused_before_a_byte_is_read(app: FastAPI) -> None:
    status, _, body, pulled = _call(
        app,
        "POST",
        "/api/v1/auth/password-login",
        _fifty_megabytes,
        [(b"content-type", b"application/json"), (b"content-length", str(50 * 1024 * 1024).encode())],
    )
    assert (status, json.loads(body)["code"], pulled) == (413, "body_too_large", 0)


def test_a_page_form_beyond_the_limit_is_the_friendly_error_page(client: TestClient) -> None:
    response = client.post("/login/password", data={"username": "a" * (BODY_LIMIT + 1), "password": "x"})
    _refused_page(response, "body_too_large", status=413)


def test_uploads_keep_their_own_limit_above_the_json_limit(client: TestClient) -> None:
    """Tender documents (documents_max_mb) pass the 1 MB JSON limit: an anonymous upload of 2 MB is read and then
    refused for who sent it, not for its size."""
    files = {"file": ("招标文件.pdf", b"%PDF" + b"0" * (2 * 1024 * 1024), "application/pdf")}
    response = client.put("/api/v1/tenders/1/documents", files=files)
    assert _problem(response, 401)["code"] == "not_authenticated"


def test_an_unreadable_json_body_is_a_documented_400(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/password-login", content=b"\xff\xfe{", headers={"content-type": "application/json"}
    )
    assert _problem(response, 400)["code"] == "body_unreadable"


# --- every input is one of these types ----------------------------------------------------------------------------

_CONSTRAINED_STRINGS = ("x-text", "enum", "const", "pattern", "format", "contentMediaType")


def _request_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                yield f"{method} {path} {parameter['in']} {parameter['name']}", parameter["schema"]
            for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method} {path} body {media_type}", content.get("schema", {})


def _walk(schema: Any, document: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, list):
        for item in schema:
            yield from _walk(item, document, where, seen)
        return
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if reference is not None:
        if reference not in seen:
            seen.add(reference)
            target = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
            yield from _walk(target, document, f"{where} → {reference.rsplit('/', 1)[-1]}", seen)
        return
    yield where, schema
    for key in ("properties",):
        for name, child in schema.get(key, {}).items():
            yield from _walk(child, document, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties", "propertyNames", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            yield from _walk(schema[key], document, where, seen)


def test_every_string_and_integer_a_request_carries_is_checked(app: FastAPI) -> None:
    """Every string in a request is a checked kind of text (``x-text``: a name, free text, a search term, ASCII) or
    is constrained otherwise (an enum, a pattern, a date); every integer is bounded within 64 bits. A new field
    typed plain ``str`` or ``int`` fails here."""
    document = app.openapi()
    unchecked = []
    for where, root in _request_schemas(document):
        for place, schema in _walk(root, document, where, set()):
            if schema.get("type") == "string" and not any(key in schema for key in _CONSTRAINED_STRINGS):
                unchecked.append(f"{place}: unchecked string")
            if schema.get("type") == "integer" and not (
                schema.get("minimum", -(2**64)) >= -(2**63) and schema.get("maximum", 2**64) <= float(2**63 - 1)
            ):
                unchecked.append(f"{place}: unbounded integer")
    assert not unchecked, "\n".join(unchecked)
