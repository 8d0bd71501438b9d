"""Opaque public identifiers: a bidder learns nothing countable from the names of its own bids and registration
(招标投标法 第22条: how many potential bidders there are stays secret).

Bids, registrations and objections took their ids from sequences shared by the whole platform, and the API showed
them: a bidder that submitted, waited, and re-submitted read off how many bids others had submitted in between.
They are now named by random public ids (``ggzy.core.public_ids``); the integer keys stay inside.
"""

from __future__ import annotations

import base64
import difflib
import html
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.db import unit_of_work
from ggzy.core.migrate import alembic_config, upgrade
from ggzy.core.permissions import SYSTEM, Permission
from ggzy.core.public_ids import BID, OBJECTION, REGISTRATION, new_public_id, pattern
from ggzy.entities.login import add_trust_anchor
from ggzy.entities.models import Entity, User
from ggzy.ledger.service import PROMISE_HEADER
from ggzy.portal.live_feed import hall_events
from ggzy.projects.models import Lot, Project
from ggzy.tendering import service as tendering
from ggzy.tendering.models import DocumentObjection, Registration, SealedBid, Tender
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, event_count, issue, make_published_tender, principal, token_for
from tests.portal.ws_support import browser_login, csrf_from
from tests.tendering.test_bids import Bidder, _post, seal

PUBLIC_ID = re.compile(r"\b(?:bid|reg|obj|oobj)_[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])")
HEX_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")
LONG_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{40,}={0,2}")


@pytest.fixture
def published(db: Session, trusted: dict[str, int]) -> Callable[[], Tender]:
    """A new published tender, each in its own project (one per world)."""

    def make() -> Tender:
        tender, _ = make_published_tender(db)
        return tender

    return make


class FirstBidder:
    """The bidder whose view we record: it registers, submits, waits while others bid, re-submits."""

    def __init__(self, db: Session, gm_ca: Path) -> None:
        self.user: User = bidder_user(db)
        entity = db.get(Entity, self.user.entity_id)
        assert entity is not None
        self.entity = entity
        self.issued = issue(gm_ca, name=entity.name, code=entity.credit_code)
        self.headers = token_for(db, self.user)


def _world(
    client: TestClient, db: Session, gm_ca: Path, tender: Tender, *, others: int
) -> tuple[list[str], dict[str, Any]]:
    """Everything the first bidder sees, in order, in a world where ``others`` bids arrive between its two
    submissions; and the raw facts the normalisation needs."""
    first = FirstBidder(db, gm_ca)
    api = f"/api/v1/tenders/{tender.id}"
    seen: list[str] = []
    positions: list[int] = []

    def record(response: Any, *, status: int) -> Any:
        assert response.status_code == status, response.text
        promise = response.headers.get(PROMISE_HEADER)
        seen.append(response.text)
        if promise is not None:
            note = base64.b64decode(promise).decode()
            for line in note.splitlines():
                if line.startswith("entry "):
                    _, index, event_id, _leaf = line.split(" ")
                    positions.extend([int(index), int(event_id)])
            seen.append(note)
        return response

    record(client.post(f"{api}/registrations", headers=first.headers), status=201)
    receipt = record(_post(client, tender.id, seal(db, tender, first), first.headers), status=201).json()  # type: ignore[arg-type]
    for _ in range(others):  # other bidders register and submit meanwhile
        other = Bidder(db, gm_ca, tender.id)
        assert _post(client, tender.id, seal(db, tender, other), other.headers).status_code == 201
    again = record(_post(client, tender.id, seal(db, tender, first), first.headers), status=201).json()  # type: ignore[arg-type]
    record(client.post(f"{api}/registrations", headers=first.headers), status=409)  # registering again
    record(client.get(f"{api}/bids/mine", headers=first.headers), status=200)
    record(client.get("/api/v1/registrations/mine", headers=first.headers), status=200)
    record(client.get(api), status=200)
    record(client.get(f"{api}/opening"), status=200)
    indexes = []
    for event_id in (receipt["event_id"], again["event_id"]):  # its receipts' public ledger entries
        ledger = client.get(f"/api/v1/ledger/events/{event_id}").json()
        indexes.append(ledger["index"])
        positions.extend([ledger["index"], event_id])
        seen.append(json.dumps(ledger["entry"], sort_keys=True))
    # The pages: its tender page (its envelopes, their receipts), its registrations, the live hall and its feed.
    browser_login(client, db, first.user)
    page = f"/workspace/bidder/tenders/{tender.id}"
    seen.append(client.get(page).text)
    workspace = client.get("/workspace/bidder").text  # (its list of open tenders holds the other world's tender)
    seen.append(workspace[workspace.index('<section aria-labelledby="mine">') :].split("</section>")[0])
    seen.append(client.get(f"/openings/{tender.id}").text)
    seen.append(repr(hall_events(db, after=0, tender_id=tender.id)))
    # A third envelope through the page, whose answer is the receipt page.
    portal = client.post(
        f"{page}/bids",
        data={"csrf_token": csrf_from(client, page)},
        files={"envelope": ("BID.ggzy", seal(db, tender, first))},  # type: ignore[arg-type]
    )
    record(portal, status=201)
    positions.extend(int(n) for n in re.findall(r"/api/v1/ledger/events/(\d+)", portal.text))
    client.cookies.clear()
    lot = db.get(Lot, tender.lot_id)
    assert lot is not None
    project = db.get(Project, lot.project_id)
    assert project is not None
    facts = {
        "tender": tender.id,
        "lot": tender.lot_id,
        "project": project.id,
        "names": [first.entity.name, first.entity.credit_code, first.user.username, project.code, project.name],
        "positions": positions,
        "indexes": indexes,
    }
    return seen, facts


def _normalised(seen: list[str], facts: dict[str, Any]) -> list[str]:
    """What differs between two worlds whatever the others do: the tender and project (each world has its own), the
    bidder's name, random values (public ids, digests, signatures, salts, CSRF tokens) — each replaced by its order
    of first appearance, so that equal stays equal — and the ledger positions (see the test's docstring)."""
    tokens: dict[str, str] = {}

    def token(kind: str) -> Callable[[re.Match[str]], str]:
        return lambda found: tokens.setdefault(found.group(0), f"<{kind}{len(tokens)}>")

    out = []
    for text_ in seen:
        text_ = html.unescape(text_)
        for name in facts["names"]:
            text_ = text_.replace(name, "<name>")
        text_ = PUBLIC_ID.sub(token("id"), text_)
        text_ = HEX_DIGEST.sub(token("hex"), text_)
        text_ = LONG_BASE64.sub(token("b64"), text_)
        text_ = re.sub(r'("event_id": ?)\d+', r"\1<position>", text_)
        text_ = re.sub(r"(/ledger/events/)\d+", r"\1<position>", text_)
        text_ = re.sub(r"#\d+", "#<position>", text_)
        text_ = re.sub(r"entry \d+ \d+ ", "entry <position> <position> ", text_)
        text_ = text_.replace(
            f"/projects/{facts['project']}#tender-{facts['tender']}", "/projects/<project>#tender-<tender>"
        )
        text_ = re.sub(rf"(/tenders/|/openings/|\"tender_id\": ?|'tender_id': ?|tender_id=){facts['tender']}\b",
                       r"\1<tender>", text_)  # fmt: skip
        tender_and_lot = f'{{"id":{facts["tender"]},"lot_id":{facts["lot"]},'
        text_ = text_.replace(tender_and_lot, '{"id":<tender>,"lot_id":<lot>,')
        out.append(text_)
    return out


def _differences(quiet: list[str], busy: list[str]) -> str:
    return "\n".join(
        "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), f"quiet[{n}]", f"busy[{n}]", lineterm=""))
        for n, (a, b) in enumerate(zip(quiet, busy, strict=True))
        if a != b
    )


def test_a_bidder_that_resubmits_learns_nothing_of_the_bids_submitted_meanwhile_招标投标法第22条(
    client: TestClient, db: Session, gm_ca: Path, published: Callable[[], Tender]
) -> None:
    """The first bidder registers, submits, and re-submits after 0 — or 5 — other bidders submitted; it then
    registers again (refused), reads its bids, registrations, the tender, the opening, its receipts' ledger entries,
    its pages, the live hall and its feed, and submits once more through the page. What it sees is the same in both
    worlds.

    The one thing that moves is where its events sit in the public ledger (the receipt's ``event_id``, the promise's
    ``entry <index> <event id>``): a position in the append-only log that every visitor reads at
    ``GET /api/v1/ledger/entries`` and in the checkpoint's tree size. Between its two events the log holds the others'
    events as undisclosed entries — a commitment and a time, not even the action — mixed with every other undisclosed
    event of the platform (logins, registrations, bids of every tender), which the test asserts. So a position tells
    the bidder nothing a visitor does not see; hiding the log's growth itself is a question for the ledger (padding),
    not for the bid's name."""
    quiet, quiet_facts = _world(client, db, gm_ca, published(), others=0)
    busy, busy_facts = _world(client, db, gm_ca, published(), others=5)

    seen_quiet, seen_busy = _normalised(quiet, quiet_facts), _normalised(busy, busy_facts)
    assert seen_quiet == seen_busy, _differences(seen_quiet, seen_busy)
    # The positions are the only difference, and they are where the public log is: the entries between the first
    # bidder's two submissions are undisclosed to every visitor.
    assert quiet_facts["positions"] != busy_facts["positions"]
    first_index, second_index = busy_facts["indexes"]
    between = client.get(f"/api/v1/ledger/entries?start={first_index + 1}&end={second_index}").json()["entries"]
    assert len(between) >= 5
    undisclosed = 0
    for entry in between:
        public = json.loads(base64.b64decode(entry["data"]))
        if set(public) == {"v", "event_id", "time", "commitment"}:
            undisclosed += 1
            continue
        # what is disclosed in between is the other bidders' own entry into the register (their first certificate
        # login, made here between the two submissions), never a bid, a registration or anything of the tender
        assert public["action"].startswith(("entity.", "auth.", "user.")), public
        assert not str(public.get("subject", "")).startswith("tender"), public
    assert undisclosed >= 5


def test_public_ids_are_random_not_sequential_and_name_nothing_countable(
    client: TestClient, db: Session, gm_ca: Path, published: Callable[[], Tender]
) -> None:
    """Ids are 128 random bits behind a type prefix: consecutive bids share no order and no prefix beyond the type."""
    tender = published()
    bidders = [Bidder(db, gm_ca, tender.id) for _ in range(6)]
    receipts = [_post(client, tender.id, seal(db, tender, b), b.headers).json() for b in bidders]
    ids = [receipt["bid_id"] for receipt in receipts]
    assert all(re.fullmatch(pattern(BID), bid_id) for bid_id in ids), ids
    assert len(set(ids)) == len(ids)
    # Read as numbers, consecutive ids are nowhere near each other (a counter would differ by one; 128 random bits
    # land within 2**64 of each other once in 2**63 pairs).
    numbers = [int.from_bytes(base64.urlsafe_b64decode(bid_id.removeprefix("bid_") + "==")) for bid_id in ids]
    assert all(abs(b - a) > 2**64 for a, b in itertools.pairwise(numbers)), ids
    registrations = db.scalars(select(Registration.public_id).where(Registration.tender_id == tender.id)).all()
    assert all(re.fullmatch(pattern(REGISTRATION), r) for r in registrations)
    samples = {new_public_id(BID) for _ in range(1000)}
    assert len(samples) == 1000


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/tenders/{tender}/bids/{key}/custodian-open"),
        ("POST", "/api/v1/objections/{key}/answer"),
        ("POST", "/api/v1/opening-objections/{key}/answer"),
    ],
)
def test_an_integer_key_in_a_path_is_refused_never_resolved(
    client: TestClient, db: Session, gm_ca: Path, published: Callable[[], Tender], method: str, path: str
) -> None:
    """A path that names a bid or an objection takes only its public id: the integer key of an existing row answers
    422 problem+json and changes nothing."""
    tender = published()
    bidder = Bidder(db, gm_ca, tender.id)
    assert _post(client, tender.id, seal(db, tender, bidder), bidder.headers).status_code == 201
    objection = tendering.raise_objection(
        db, principal(db, bidder.user, Permission.TENDER_OBJECT), tender_id=tender.id, text="资格条件不合理",
        now=tender.published_at,  # type: ignore[arg-type]
    )  # fmt: skip
    bid = db.scalars(select(SealedBid).where(SealedBid.tender_id == tender.id)).one()
    key = {"bids": bid.id, "/objections/": objection.id, "opening-objections": objection.id}
    integer = next(value for marker, value in key.items() if marker in path)
    agent = token_for(db, tender_agent(db, tender))
    before = event_count(db)
    response = client.request(
        method, path.format(tender=tender.id, key=integer), json={"text": "答复内容"}, headers=agent
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] in {"bid_id", "objection_id"}
    assert event_count(db) == before
    db.refresh(objection)
    assert objection.answer is None


def tender_agent(db: Session, tender: Tender) -> User:
    """The agent user who prepared the tender (it answers objections and hosts the opening)."""
    user = db.get(User, tender.created_by)
    assert user is not None
    return user


def test_an_integer_key_in_a_page_path_is_refused_and_answers_nothing(
    client: TestClient, db: Session, gm_ca: Path, published: Callable[[], Tender]
) -> None:
    """The agent's page form answers an objection by its public id; the same form sent to the objection's integer key
    is refused (422) and the objection stays unanswered."""
    tender = published()
    objector = Bidder(db, gm_ca, tender.id)
    objection = tendering.raise_objection(
        db, principal(db, objector.user, Permission.TENDER_OBJECT), tender_id=tender.id, text="资格条件不合理",
        now=TEST_NOW,
    )  # fmt: skip
    browser_login(client, db, tender_agent(db, tender))
    page = f"/workspace/projects/tenders/{tender.id}"
    form = {"csrf_token": csrf_from(client, page), "tender_id": str(tender.id), "answer": "已修改"}
    assert f"/workspace/projects/objections/{objection.public_id}/answer" in client.get(page).text
    assert f"/workspace/projects/objections/{objection.id}/answer" not in client.get(page).text
    before = event_count(db)
    refused = client.post(f"/workspace/projects/objections/{objection.id}/answer", data=form, follow_redirects=False)
    assert refused.status_code == 422, refused.text
    assert event_count(db) == before
    db.refresh(objection)
    assert objection.answer is None
    answered = client.post(
        f"/workspace/projects/objections/{objection.public_id}/answer", data=form, follow_redirects=False
    )
    assert answered.status_code == 303, answered.text


def test_the_objection_and_registration_answers_carry_public_ids(
    client: TestClient, db: Session, gm_ca: Path, published: Callable[[], Tender]
) -> None:
    tender = published()
    bidder = FirstBidder(db, gm_ca)
    registered = client.post(f"/api/v1/tenders/{tender.id}/registrations", headers=bidder.headers)
    assert registered.status_code == 201, registered.text
    assert re.fullmatch(pattern(REGISTRATION), registered.json()["id"])
    objection = client.post(
        f"/api/v1/tenders/{tender.id}/objections", json={"text": "工期要求不合理"}, headers=bidder.headers
    )
    assert objection.status_code == 201, objection.text
    assert re.fullmatch(pattern(OBJECTION), objection.json()["id"])
    stored = db.scalars(select(DocumentObjection).where(DocumentObjection.tender_id == tender.id)).one()
    assert stored.public_id == objection.json()["id"]
    answered = client.post(
        f"/api/v1/objections/{stored.public_id}/answer",
        json={"text": "已修改"},
        headers=token_for(db, tender_agent(db, tender)),
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["id"] == stored.public_id


def test_migration_0013_gives_every_existing_row_its_own_random_public_id(fresh_engine: Engine, gm_ca: Path) -> None:
    """Rows made before the migration get a random, unique, well-formed public id each; the column is not null."""
    config = alembic_config(fresh_engine.url.render_as_string(hide_password=False))
    with unit_of_work(session_factory(fresh_engine)) as db:
        add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
        tender, _ = make_published_tender(db)
        for _ in range(3):
            Bidder(db, gm_ca, tender.id)
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
        assert "public_id" not in _columns(connection, "registrations")
    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        ids = [row[0] for row in connection.execute(text("SELECT public_id FROM registrations"))]
        assert len(ids) == 3
        assert len(set(ids)) == 3
        assert all(re.fullmatch(pattern(REGISTRATION), value) for value in ids)
        for table in ("sealed_bids", "document_objections", "opening_objections"):
            assert "public_id" in _columns(connection, table)
    with unit_of_work(session_factory(fresh_engine)) as db:
        row = db.scalars(select(Registration)).first()
        assert row is not None
        row.public_id = None  # type: ignore[assignment]
        with pytest.raises(IntegrityError, match=r"(?i)null"):
            db.flush()
        db.rollback()


def _columns(connection: Any, table: str) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns(table)}
