"""Test set-up: a real database built by the migrations — SQLite by default, PostgreSQL when
``GGZY_TEST_DATABASE_URL`` names one — and one rolled-back transaction per test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.orm import Session

from ggzy.app import create_app
from ggzy.config import Settings
from ggzy.core.clock import FixedClock
from ggzy.core.db import is_sqlite, make_engine
from ggzy.core.migrate import upgrade
from ggzy.ledger.service import LedgerKeys
from ggzy.wiring import install_domains, session_factory

LEDGER_KEYS = LedgerKeys.generate("ggzy.test/ledger")
# Hypothesis's per-example deadline turns a loaded CI machine into failures; examples are bounded by their sizes.
settings.register_profile("ggzy", deadline=None)
settings.load_profile("ggzy")

DB_FIXTURES = {"engine", "connection", "db", "app", "client", "fresh_engine", "demo_copy"}
# A Tuesday afternoon in Beijing: 2026-11-24 14:00 CST.
TEST_NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


# Test-only password hashing: argon2id with the least work argon2 allows. The production hasher (RFC 9106's
# low-memory profile: 64 MiB, 3 passes, 4 lanes) costs ~0.13 s a hash or verification, and the suite makes thousands
# (five experts in every evaluated tender): about a third of its time. The production parameters stay under test:
# tests/entities/test_login.py::test_the_platform_hashes_passwords_with_rfc_9106_low_memory_parameters runs a
# separate interpreter, where this line does not run, and reads them from a hash it makes.
CHEAP_PASSWORD_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def pytest_configure(config: pytest.Config) -> None:
    install_domains()  # what the app, the CLI and every script do at start (ggzy.wiring)
    from ggzy.entities.service import PASSWORDS

    # The one hasher object every module imported (entities.service, login, enrolment, the demo), re-set in place.
    PASSWORDS.__init__(**CHEAP_PASSWORD_PARAMETERS)  # type: ignore[misc]


# Run first, in this order: the tests that take tens of seconds to minutes each (the contract fuzz ~2 min, the browser
# tests' journey ~50 s, servers and banks in processes of their own). pytest-xdist hands the first quarter of the tests
# out to its workers in turn, then the rest to whichever is free: begun last, a 2-minute test would leave the other
# worker idle at the end of the run. The order within each group is kept (the browser tests share one site).
RUN_FIRST = (
    "tests/test_contract_fuzz.py",
    "tests/browser/",
    "tests/test_serve.py",
    "tests/finance/test_worker_crash.py",
)


def _run_first_rank(item: pytest.Item) -> int:
    return next((rank for rank, prefix in enumerate(RUN_FIRST) if item.nodeid.startswith(prefix)), len(RUN_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
    items.sort(key=_run_first_rank)  # stable: every worker collects the same order, as xdist requires


def pytest_report_header(config: pytest.Config) -> str:
    return f"ggzy test database: {_database_url_label()}"


def _database_url_label() -> str:
    return os.environ.get("GGZY_TEST_DATABASE_URL") or "SQLite (temporary file)"


def _pg_options(schema: str) -> str:
    """A test connection's PostgreSQL options: its schema, and commits that do not wait for the WAL to reach the disk
    (``synchronous_commit=off``: what another transaction sees and when is unchanged, only a crash of the server
    could lose the last commits, of a test database dropped at the end anyway). The demo, the migrations and the
    commands under test commit often; on a slow disk every wait for the flush was ~10 ms."""
    return f"-csearch_path={schema} -csynchronous_commit=off"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = os.environ.get("GGZY_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    engine = make_engine(url)
    if not is_sqlite(url):
        # One schema per run and worker, so that two runs on one database (two developers, CI beside a
        # session) never share tables; dropped when the run ends.
        schema = f"test_{uuid.uuid4().hex[:8]}_{worker or 'main'}"
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        engine = make_engine(url, connect_args={"options": _pg_options(schema)})
    upgrade(engine)
    yield engine
    engine.dispose()
    if not is_sqlite(url):
        plain = make_engine(url)
        with plain.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        plain.dispose()


@pytest.fixture(autouse=True)
def _no_browser_event_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    """The browser tests' Playwright (sync API, one per test process) parks its event loop in a greenlet that is
    still inside ``run_forever``: the thread's *running loop* stays set between browser tests, and any later test on
    the same worker that calls ``asyncio.run`` (pyHanko's signature validation, the async clients) fails with "cannot
    be called from a running event loop". Outside the browser tests, that loop is not running: it is unset for the
    test and set back after it."""
    parked = asyncio._get_running_loop()
    if parked is None or "browser" in request.fixturenames:
        yield
        return
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(parked)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session inside the test's transaction; its commits become savepoints, rolled back after the test."""
    factory = session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session:
        yield session


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def app(connection: Connection, clock: FixedClock, tmp_path: Path) -> FastAPI:
    return create_app(
        # the TestClient's origin, as a deployment configures its own (GGZY_PUBLIC_ORIGIN; http for the test only)
        Settings.model_construct(
            **Settings(data_dir=tmp_path, database_url="sqlite://", ledger_background=False).model_dump()
            | {"public_origin": "http://testserver"}
        ),
        session_factory=session_factory(connection, join_transaction_mode="create_savepoint"),
        clock=clock,
        secret_key=b"test-secret-key-test-secret-key!",
        ledger_keys=LEDGER_KEYS,
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def gm_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GM-suite (SM2) demo CA, valid from a month before the test time."""
    from ggzy.crypto import Suite, init_ca

    directory = tmp_path_factory.mktemp("ca-gm")
    init_ca(directory, suite=Suite.GM, name="测试国密CA", now=TEST_NOW - timedelta(days=30))
    return directory


@pytest.fixture(scope="session")
def intl_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An INTL-suite (ECDSA P-256) demo CA from another authority."""
    from ggzy.crypto import Suite, init_ca

    directory = tmp_path_factory.mktemp("ca-intl")
    init_ca(directory, suite=Suite.INTL, name="Test International CA", now=TEST_NOW - timedelta(days=30))
    return directory


@pytest.fixture(scope="session")
def stranger_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA the platform does not trust."""
    from ggzy.crypto import Suite, init_ca

    directory = tmp_path_factory.mktemp("ca-stranger")
    init_ca(directory, suite=Suite.GM, name="未受信任CA", now=TEST_NOW - timedelta(days=30))
    return directory


@pytest.fixture
def trusted(db: Session, gm_ca: Path, intl_ca: Path) -> dict[str, int]:
    """Both CAs in the platform's trust store (mutual recognition)."""
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities.login import add_trust_anchor

    anchors = {}
    for key, directory in (("gm", gm_ca), ("intl", intl_ca)):
        pem = (directory / "ca.pem").read_text()
        anchors[key] = add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW).id
    db.commit()
    return anchors


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database the migrations built, once per test process: ``fresh_engine`` copies it (~10 ms)
    instead of running every migration again (~0.5 s a test). The migrations themselves stay under test here and in
    tests/core/test_migrations.py."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade(template)
    template.dispose()  # the last connection closes: the WAL is checkpointed into the file
    return path


@pytest.fixture(scope="session")
def _migrated_pg_template() -> Iterator[str]:
    """On PostgreSQL, a database the migrations built, once per test process: ``fresh_engine`` creates its databases
    from it (``CREATE DATABASE … TEMPLATE``, ~0.3 s) instead of running every migration again (3–8 s a test). The
    migrations themselves stay under test here and in tests/core/test_migrations.py. (It reads the URL itself, not
    the ``engine`` fixture, which some modules replace by a database of each test's.)"""
    url = os.environ["GGZY_TEST_DATABASE_URL"]
    name = f"ggzy_template_{uuid.uuid4().hex[:8]}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with _pg_server(url) as server:
        server.execute(text(f"CREATE DATABASE {name}"))
    template = make_engine(_in_database(url, name), connect_args={"options": "-csynchronous_commit=off"})
    upgrade(template)
    template.dispose()  # a template database is copied only while nobody is connected to it
    yield name
    with _pg_server(url) as server:
        server.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextlib.contextmanager
def _pg_server(url: str) -> Iterator[Connection]:
    """A connection outside any transaction (CREATE and DROP DATABASE run in none), to the server of ``url``."""
    server = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            yield connection
    finally:
        server.dispose()


def _in_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def pg_copy_of_template(url: str, template: str, prefix: str) -> Iterator[Engine]:
    """A new PostgreSQL database, migrated (a copy of ``template``), on the server of ``url``; dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _pg_server(url) as server:
        server.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    fresh = make_engine(_in_database(url, name), connect_args={"options": "-csynchronous_commit=off"})
    try:
        yield fresh
    finally:
        fresh.dispose()
        with _pg_server(url) as server:  # FORCE: a command or server under test may still hold a connection
            server.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextlib.contextmanager
def sqlite_copy_of_template(template: Path, path: Path) -> Iterator[Engine]:
    """A new SQLite database at ``path``, migrated (a page-by-page copy of ``template``, ~10 ms)."""
    import sqlite3

    source, target = sqlite3.connect(template), sqlite3.connect(path)
    with target:
        source.backup(target)  # as SQLite itself copies a database
    source.close()
    target.close()
    fresh = make_engine(f"sqlite:///{path}")
    try:
        yield fresh
    finally:
        fresh.dispose()


@pytest.fixture
def fresh_engine(engine: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A new, empty, migrated database of the same kind as the test database (for commands that commit)."""
    if is_sqlite(engine.url.render_as_string(hide_password=False)):
        template = request.getfixturevalue("_migrated_sqlite_template")
        with sqlite_copy_of_template(template, tmp_path / "fresh.db") as fresh:
            yield fresh
        return
    url, template = engine.url.render_as_string(hide_password=False), request.getfixturevalue("_migrated_pg_template")
    with pg_copy_of_template(url, template, "fresh") as fresh:
        yield fresh


@pytest.fixture
def fresh_database_url(fresh_engine: Engine) -> str:
    """The URL of ``fresh_engine``'s database, for a command or a server in another process (on PostgreSQL, a
    database of its own; its commits need not wait for the disk, as the test connections')."""
    url = fresh_engine.url
    if not is_sqlite(url.render_as_string(hide_password=False)):
        url = url.update_query_dict({"options": "-csynchronous_commit=off"})
    return url.render_as_string(hide_password=False)


def demo_parts(directory: Path) -> dict[str, object]:
    """The blob store and ledger keys ``load_demo`` writes with, for tests."""
    from ggzy.storage import LocalBlobStore

    return {"store": LocalBlobStore(directory / "blobs"), "ledger_keys": LEDGER_KEYS}


@dataclass(frozen=True)
class Demo:
    """A copy of the demo data, loaded at ``TEST_NOW`` with ``LEDGER_KEYS``: its database, and beside it the
    directory a platform serving it would have: ``var/`` (its data directory, holding the ledger's checkpoint keys as
    ``make run`` keeps them; their origin is ``LEDGER_KEYS.origin``), ``demo/`` (what a person trying it reads:
    ``demo.json``, passwords, certificates and their keys) and ``blobs/`` (its blob store)."""

    engine: Engine
    directory: Path

    @property
    def data_dir(self) -> Path:
        return self.directory / "var"

    @property
    def report(self) -> dict[str, Any]:
        return dict(json.loads((self.directory / "demo" / "demo.json").read_text()))


def _load_demo_into(engine: Engine, directory: Path) -> None:
    from ggzy.demo import load_demo

    load_demo(engine, directory=directory / "demo", clock=FixedClock(TEST_NOW), **demo_parts(directory))  # type: ignore[arg-type]
    data_dir = directory / "var"
    data_dir.mkdir()
    # LedgerKeys.load_or_create's two files, as a platform keeps its keys in its data directory
    for name, pem in (
        ("ledger-ed25519.pem", LEDGER_KEYS._ed25519_pem()),
        ("ledger-sm2.pem", LEDGER_KEYS.sm2_key.to_pem()),
    ):
        (data_dir / name).touch(mode=0o600)
        (data_dir / name).write_text(pem)


@pytest.fixture(scope="session")
def _demo_sqlite_template(_migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo loaded once per test process into a SQLite database (``ggzy.db``) beside its files: ``demo_copy``
    copies them (~50 ms) instead of loading the demo again (~2 s a test, more on PostgreSQL and on a loaded machine).
    Loading it stays under test in tests/test_cli.py, tests/test_demo_*.py and tests/test_serve.py."""
    directory = tmp_path_factory.mktemp("demo-template")
    with sqlite_copy_of_template(_migrated_sqlite_template, directory / "ggzy.db") as made:
        _load_demo_into(made, directory)
    return directory  # the engine is disposed: the WAL is checkpointed into the file


@pytest.fixture(scope="session")
def _demo_pg_template(
    _migrated_pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """On PostgreSQL, the demo loaded once per test process into a database (``demo_copy`` creates its databases from
    it), and its files."""
    directory = tmp_path_factory.mktemp("demo-template")
    with pg_copy_of_template(os.environ["GGZY_TEST_DATABASE_URL"], _migrated_pg_template, "demo_template") as made:
        _load_demo_into(made, directory)
        made.dispose()  # a template database is copied only while nobody is connected to it
        assert made.url.database is not None
        yield made.url.database, directory


@pytest.fixture
def demo_copy(engine: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Demo]:
    """The demo data, loaded once per test process and copied for this test (its database, and its files under
    ``tmp_path``), on the test database's kind: the test may change and commit anything."""
    url = engine.url.render_as_string(hide_password=False)
    if is_sqlite(url):
        with sqlite_copy_of_demo(request.getfixturevalue("_demo_sqlite_template"), tmp_path) as demo:
            yield demo
        return
    database, template = request.getfixturevalue("_demo_pg_template")
    _copy_demo_files(template, tmp_path)
    with pg_copy_of_template(url, database, "demo") as copied:
        yield Demo(copied, tmp_path)


@contextlib.contextmanager
def sqlite_copy_of_demo(template: Path, directory: Path) -> Iterator[Demo]:
    """A copy of the SQLite demo ``template`` (``_demo_sqlite_template``) in ``directory``."""
    _copy_demo_files(template, directory)
    with sqlite_copy_of_template(template / "ggzy.db", directory / "ggzy.db") as copied:
        yield Demo(copied, directory)


def _copy_demo_files(template: Path, directory: Path) -> None:
    for name in ("var", "demo", "blobs"):
        shutil.copytree(template / name, directory / name)  # modes kept: the keys stay 0600
