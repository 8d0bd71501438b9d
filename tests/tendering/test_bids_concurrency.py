"""One active sealed bid per bidder and lot, whatever the timing (招标投标法 第29条: the last envelope counts).

The database decides between simultaneous submissions of one bidder: a partial unique index on the active bids
(migration 0009) and a replacement that only replaces a bid still active. On PostgreSQL (READ COMMITTED) the second
request waits for the first's locks and is then refused with ``bid_submission_concurrent``; on SQLite writers
serialize, so it sees the first and replaces it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, func, select, table, text
from sqlalchemy import column as column_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission, Principal
from ggzy.core.public_ids import BID, new_public_id
from ggzy.entities.login import add_trust_anchor
from ggzy.storage import LocalBlobStore
from ggzy.tendering import bids
from ggzy.tendering.models import SealedBid
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import make_published_tender, principal
from tests.tendering.test_bids import Bidder, _counts, _post, seal

MIB = 1024 * 1024
REFUSED = "409 bid_submission_concurrent"


def _statuses(db: Session, tender_id: int) -> list[str]:
    query = select(SealedBid.status).where(SealedBid.tender_id == tender_id).order_by(SealedBid.id)
    return list(db.scalars(query))


# --- the index itself -------------------------------------------------------------------------------------------


def test_the_database_refuses_a_second_active_bid_of_one_bidder_for_a_lot_招标投标法第29条(
    db: Session,
    tender,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    user = Bidder(db, gm_ca, tender.id).user

    def row(status: str) -> SealedBid:
        return _row(tender.id, user.entity_id, user.id, status)  # type: ignore[arg-type]

    db.add_all([row(bids.ACTIVE), row(bids.REPLACED), row(bids.WITHDRAWN)])
    db.flush()  # ended envelopes are kept beside the active one
    with pytest.raises(IntegrityError) as refused, db.begin_nested():
        db.add(row(bids.ACTIVE))
        db.flush()
    assert bids._is_one_active_bid_violation(refused.value)
    assert _statuses(db, tender.id) == ["active", "replaced", "withdrawn"]


def test_migration_0009_stops_on_a_database_where_the_race_already_left_two_active_bids(
    fresh_engine: Engine, gm_ca: Path
) -> None:
    """Which of two active envelopes counts is the centre's recorded decision, not the migration's: it names them."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from ggzy.core.migrate import alembic_config, upgrade

    config = alembic_config(fresh_engine.url.render_as_string(hide_password=False))
    with unit_of_work(session_factory(fresh_engine)) as db:  # the models are the newest schema's
        tender, _ = make_published_tender(db)
        user = Bidder(db, gm_ca, tender.id).user
        rows = [_row(tender.id, user.entity_id, user.id, bids.ACTIVE) for _ in range(2)]  # type: ignore[arg-type]
        pair = f"tender {tender.id} / entity {user.entity_id}: 2 active"
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
        # the rows as they were before migration 0013 gave bids a public id
        columns = [column for column in SealedBid.__table__.columns if column.name not in {"id", "public_id"}]
        connection.execute(
            table("sealed_bids", *(column_(column.name) for column in columns)).insert(),
            [{column.name: getattr(row, column.name) for column in columns} for row in rows],
        )
    with pytest.raises(RuntimeError, match=pair):
        upgrade(fresh_engine)
    with fresh_engine.begin() as connection:  # the centre records its decision; then the upgrade goes through
        connection.execute(
            text("UPDATE sealed_bids SET status = 'replaced' WHERE id = (SELECT min(id) FROM sealed_bids)")
        )
    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:  # through 0009 to the newest migration
        head = ScriptDirectory.from_config(config).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head


def _row(tender_id: int, entity_id: int, user_id: int, status: str) -> SealedBid:
    return SealedBid(
        tender_id=tender_id,
        entity_id=entity_id,
        user_id=user_id,
        suite="gm",
        header="{}",
        certificate_fingerprint="f" * 64,
        ciphertext_sha256="c" * 64,
        ciphertext_size=1,
        status=status,
        submitted_at=TEST_NOW,
        submission_details="{}",
    )


@pytest.fixture
def tender(db: Session, trusted: dict[str, int]):  # type: ignore[no-untyped-def]
    tender, _ = make_published_tender(db)
    return tender


# --- a concurrent request committed between our read and our write (one connection, both databases) -------------


@pytest.fixture
def meanwhile(connection: Connection) -> Iterator[Callable[[str, str], None]]:
    """``meanwhile(prefix, sql)``: run ``sql`` once, just before the request's first statement starting with
    ``prefix`` — as if another request had committed it after the submission read its facts."""
    hooks: list[tuple[str, str]] = []

    def before(conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        for hook in list(hooks):
            if statement.lstrip().upper().startswith(hook[0]):
                hooks.remove(hook)
                conn.exec_driver_sql(hook[1])

    event.listen(connection, "before_cursor_execute", before)
    yield lambda prefix, sql: hooks.append((prefix, sql))
    event.remove(connection, "before_cursor_execute", before)


def test_a_submission_whose_replaced_bid_changed_meanwhile_is_refused_and_leaves_nothing_招标投标法第29条(
    client: TestClient,
    db: Session,
    app,
    tender,
    gm_ca: Path,
    meanwhile,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    assert _post(client, tender.id, seal(db, tender, bidder), bidder.headers).status_code == 201
    first = db.scalars(select(SealedBid)).one()
    # The other request replaced the first bid with its own (here: only the replacement, which is what we meet).
    meanwhile("UPDATE SEALED_BIDS", f"UPDATE sealed_bids SET status = 'replaced' WHERE id = {first.id}")
    before = _counts(db, app)
    response = _post(client, tender.id, seal(db, tender, bidder, summary={"price_fen": 2}), bidder.headers)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "bid_submission_concurrent"
    assert "最后递交" in problem["message_zh"]
    assert "last envelope counts" in problem["message_en"]
    assert _counts(db, app) == before, "a refused bid leaves no row, event or file"


def test_a_submission_meeting_another_active_bid_at_insert_is_refused_and_leaves_nothing_招标投标法第29条(
    client: TestClient,
    db: Session,
    app,
    tender,
    gm_ca: Path,
    meanwhile,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    envelope = seal(db, tender, bidder)
    # The other request's envelope arrived after our read: a copy of the row its insert left.
    meanwhile(
        "INSERT INTO SEALED_BIDS",
        "INSERT INTO sealed_bids (public_id, tender_id, entity_id, user_id, suite, header, certificate_fingerprint, "
        "ciphertext_sha256, ciphertext_size, status, submitted_at, submission_details) "
        f"VALUES ('{new_public_id(BID)}', {tender.id}, {bidder.user.entity_id}, {bidder.user.id}, 'gm', '{{}}', "
        f"'{'f' * 64}', "
        f"'{'c' * 64}', 1, 'active', '2026-11-24 06:00:00+00:00', '{{}}')",
    )
    before = _counts(db, app)
    response = _post(client, tender.id, envelope, bidder.headers)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "bid_submission_concurrent"
    assert _counts(db, app) == before, "a refused bid leaves no row, event or file (the other's row rolled back too)"


def test_a_withdrawal_whose_bid_was_replaced_meanwhile_is_refused_招标投标法第29条(
    client: TestClient,
    db: Session,
    app,
    tender,
    gm_ca: Path,
    meanwhile,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    assert _post(client, tender.id, seal(db, tender, bidder), bidder.headers).status_code == 201
    first = db.scalars(select(SealedBid)).one()
    meanwhile("UPDATE SEALED_BIDS", f"UPDATE sealed_bids SET status = 'replaced' WHERE id = {first.id}")
    before = _counts(db, app)
    response = client.post(f"/api/v1/tenders/{tender.id}/bids/withdraw", headers=bidder.headers)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "bid_submission_concurrent"
    assert _counts(db, app) == before
    db.expire_all()
    assert _statuses(db, tender.id) == ["active"], "the withdrawal did not overwrite what it did not read"


# --- two real connections at once -----------------------------------------------------------------------------


class _Race:
    """A published tender with one registered bidder on a fresh, committed database, and two of its envelopes."""

    def __init__(self, engine: Engine, gm_ca: Path, intl_ca: Path, blobs: Path, *, previous: bool) -> None:
        self.factory = session_factory(engine)
        self.store = LocalBlobStore(blobs)
        with unit_of_work(self.factory) as db:
            for directory in (gm_ca, intl_ca):
                pem = (directory / "ca.pem").read_text()
                add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW)
            tender, _ = make_published_tender(db)
            bidder = Bidder(db, gm_ca, tender.id)
            self.tender_id = tender.id
            self.actor: Principal = principal(db, bidder.user, Permission.TENDER_REGISTER)
            self.envelopes = [seal(db, tender, bidder, summary={"price_fen": n}) for n in (1, 2, 3)]
        if previous:
            assert self.submit(self.envelopes[2]) == "ok"

    def submit(self, envelope: bytes) -> str:
        try:
            with unit_of_work(self.factory) as db:
                bids.submit_bid(
                    db,
                    self.actor,
                    tender_id=self.tender_id,
                    envelope=io.BytesIO(envelope),
                    store=self.store,
                    max_bytes=16 * MIB,
                    details={},
                    signer=LEDGER_KEYS.ed25519_key,
                    now=TEST_NOW + timedelta(hours=1),
                )
        except bids.ConcurrentSubmission as refused:
            return f"{refused.status} {refused.code}"
        return "ok"

    def run(self, first: Callable[[], str], second: Callable[[], str]) -> list[str]:
        outcomes: dict[str, str] = {}
        errors: list[BaseException] = []

        def attempt(name: str, work: Callable[[], str]) -> None:
            try:
                outcomes[name] = work()
            except BaseException as error:  # reported by the test below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=attempt, args=(n, w), name=n) for n, w in (("A", first), ("B", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        return [outcomes["A"], outcomes["B"]]

    def check(self, outcomes: list[str], *, previous: bool) -> None:
        assert set(outcomes) <= {"ok", REFUSED}
        assert "ok" in outcomes
        accepted = outcomes.count("ok") + previous
        with unit_of_work(self.factory, read_only=True) as db:
            statuses = _statuses(db, self.tender_id)
            submitted = db.scalar(select(func.count()).select_from(Event).where(Event.action == "bid.submitted"))
        assert statuses.count("active") == 1, statuses
        assert len(statuses) == accepted, "a refused envelope leaves no row"
        assert submitted == accepted, "nor an event"
        assert not [p for p in (self.store.root / "staged").rglob("*") if p.is_file()], "nor a staged file"
        assert len([p for p in (self.store.root / "objects").rglob("*") if p.is_file()]) == accepted


@pytest.mark.parametrize("previous", [False, True], ids=["first-bid", "replacing"])
def test_two_simultaneous_envelopes_of_one_bidder_leave_exactly_one_active_bid_招标投标法第29条(
    fresh_engine: Engine, gm_ca: Path, intl_ca: Path, tmp_path: Path, previous: bool
) -> None:
    """Both requests read before either writes; the second then waits for the first's lock. PostgreSQL refuses it
    with the 409 problem; SQLite lets the second in only after the first committed, so it replaces that one."""
    race = _Race(fresh_engine, gm_ca, intl_ca, tmp_path / "blobs", previous=previous)
    postgresql = fresh_engine.dialect.name == "postgresql"
    a_wrote, b_read = threading.Event(), threading.Event()

    def after(_conn, _cursor, statement: str, *_args: Any) -> None:
        sql = statement.lstrip().upper()
        thread = threading.current_thread().name
        if thread == "A" and sql.startswith("INSERT INTO SEALED_BIDS"):
            a_wrote.set()
            if postgresql:  # on SQLite B cannot read while A holds the write lock: A goes on
                assert b_read.wait(timeout=30), "B never read its facts"
        if thread == "B" and sql.startswith("SELECT") and "SEALED_BIDS" in sql:
            b_read.set()

    def second() -> str:
        assert a_wrote.wait(timeout=30), "A never wrote"
        return race.submit(race.envelopes[1])

    event.listen(fresh_engine, "after_cursor_execute", after)
    try:
        outcomes = race.run(lambda: race.submit(race.envelopes[0]), second)
    finally:
        event.remove(fresh_engine, "after_cursor_execute", after)
    assert outcomes == (["ok", REFUSED] if postgresql else ["ok", "ok"])
    race.check(outcomes, previous=previous)


def test_envelopes_lined_up_by_a_barrier_never_leave_two_active_bids_招标投标法第29条(
    fresh_engine: Engine, gm_ca: Path, intl_ca: Path, tmp_path: Path
) -> None:
    """The benchmark's finding, unorchestrated: rounds of two submissions released at once by a barrier."""
    race = _Race(fresh_engine, gm_ca, intl_ca, tmp_path / "blobs", previous=False)
    accepted = 0
    for _ in range(4):
        barrier = threading.Barrier(2)

        def lined_up(envelope: bytes, barrier: threading.Barrier = barrier) -> Callable[[], str]:
            def submit() -> str:
                barrier.wait(timeout=30)
                return race.submit(envelope)

            return submit

        outcomes = race.run(lined_up(race.envelopes[0]), lined_up(race.envelopes[1]))
        accepted += outcomes.count("ok")
        assert set(outcomes) <= {"ok", REFUSED}
        assert "ok" in outcomes
    with unit_of_work(race.factory, read_only=True) as db:
        statuses = _statuses(db, race.tender_id)
        rows = db.execute(text("SELECT count(*) FROM sealed_bids")).scalar_one()
    assert statuses.count("active") == 1
    assert rows == accepted == len(statuses)
