"""Engine, sessions and the unit of work.

A request, a job or a CLI command is exactly one transaction: the edge opens a session with :func:`unit_of_work`,
and commits or rolls back. Services only ``flush()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, Index, MetaData, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from ggzy.core.clock import as_utc

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A 64-bit integer primary key on PostgreSQL that is still SQLite's rowid alias (INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite").with_variant(postgresql.BIGINT(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always handed back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC time from core.clock")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_current(name: str, *columns: str) -> Index:
    """At most one row not superseded per ``columns``: a partial unique index (SQLite and PostgreSQL alike)."""
    return Index(
        name, *columns, unique=True, sqlite_where=text("superseded_at IS NULL"),
        postgresql_where=text("superseded_at IS NULL"),
    )  # fmt: skip


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


SQLITE_BEGIN = "ggzy_sqlite_begin"


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and real transactions."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so that SAVEPOINT and rollback behave as on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes cannot wait for the write lock (SQLite returns BUSY at
        # once to avoid a deadlock), so writing transactions take it at BEGIN and wait up to the busy timeout.
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_session_factory(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, **kwargs)


AfterCommit = Callable[[sessionmaker[Session], dict[str, Any]], None]


@contextmanager
def unit_of_work(
    factory: sessionmaker[Session], *, after_commit: AfterCommit | None = None, read_only: bool = False
) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception.

    ``after_commit`` runs once the commit has succeeded, with the factory and the session's ``info`` (how the ledger
    integrates the events just committed); its failure is logged, never turned into a failure of the committed work.
    """
    session = factory()
    if read_only:  # readers never wait for the write lock (WAL readers see the last commit)
        session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
    try:
        yield session
        session.commit()
        info = dict(session.info)
    except BaseException as error:
        session.rollback()
        _record_after_rollback(factory, error, after_commit)
        raise
    finally:
        session.close()
    if after_commit is not None:
        try:
            after_commit(factory, info)
        except Exception:
            logger.exception("after-commit work failed; it is caught up later")


def _record_after_rollback(
    factory: sessionmaker[Session], error: BaseException, after_commit: AfterCommit | None
) -> None:
    """A refusal that is itself a recorded fact (a credit interception, decision 0040): the refused work is rolled
    back, then the error's ``record_after_rollback(session)`` runs in a unit of work of its own. Its failure is
    logged and never hides the refusal."""
    record = getattr(error, "record_after_rollback", None)
    if record is None:
        return
    try:
        with unit_of_work(factory, after_commit=after_commit) as again:
            record(again)
    except Exception:
        logger.exception("recording a refusal after its rollback failed")
