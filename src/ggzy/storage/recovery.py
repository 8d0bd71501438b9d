"""Recovering the staging area after a crash (docs/decisions/0004): a blob is promoted after its transaction commits,
so a crash between the two leaves a committed blob in ``staged/``; a crash before a rollback's clean-up leaves one
that nothing refers to; a crash during an upload leaves a file in ``tmp/``.

:func:`recover_staged_blobs` settles them. A staged blob whose digest a committed row holds is promoted (after
checking its bytes still hash to its name). One that no row mentions is deleted once it is older than the grace
period — younger ones may belong to a transaction still running. Temporary uploads older than the grace period are
deleted. Promotion is the safe direction (an orphan costs space, a missing file loses data), so "mentions" is taken
broadly: equal to a ``sha256``/``*_sha256`` column, or contained in any other text column of any table (JSON
documents such as an opened bid's file list, event payloads). The text search scans those tables once per staged
blob, which is fine for the handful a crash leaves.

:func:`recover_at_start` runs it when the server starts, before it accepts requests (the app's lifespan), so that
nothing a crash left waits for an operator; ``ggzy storage recover`` remains for a run by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, Text, inspect, literal, select, table
from sqlalchemy import column as column_of
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import ColumnClause

from ggzy.core.db import unit_of_work
from ggzy.storage.blobs import CHUNK_SIZE, LocalBlobStore, StagedBlob

logger = logging.getLogger(__name__)


@dataclass
class RecoveryReport:
    promoted: list[str] = field(default_factory=list)  # digests published from staged/
    deleted: list[str] = field(default_factory=list)  # unreferenced staged blobs past the grace period
    kept: list[str] = field(default_factory=list)  # unreferenced but younger than the grace period
    corrupt: list[str] = field(default_factory=list)  # referenced, but the bytes do not hash to the name: left alone
    temporary_deleted: int = 0


Columns = tuple[list[ColumnClause[str]], list[ColumnClause[str]]]


def _columns(db: Session) -> Columns:
    """(digest columns, other text columns) of every table of the database, read from the database itself: storage
    sits below every domain (DESIGN §3) and knows none of their models, and what matters is what committed rows
    hold, in whichever table."""
    inspector = inspect(db.connection())
    digests, texts = [], []
    for name in sorted(inspector.get_table_names()):
        for found in inspector.get_columns(name):
            kind = found["type"]
            if not isinstance(kind, String):  # Text is a String
                continue
            column: ColumnClause[str] = table(name, column_of(found["name"], kind)).c[found["name"]]
            if found["name"] == "sha256" or found["name"].endswith("_sha256"):
                digests.append(column)
            elif isinstance(kind, Text) or kind.length is None or kind.length >= 64:
                texts.append(column)
    return digests, texts


def is_referenced(db: Session, sha256: str, *, columns: Columns | None = None) -> bool:
    """Whether any committed row names this digest (see the module docstring for how broadly)."""
    digests, texts = columns if columns is not None else _columns(db)
    for column in digests:
        if db.execute(select(literal(1)).where(column == sha256).limit(1)).first() is not None:
            return True
    for column in texts:
        if db.execute(select(literal(1)).where(column.contains(sha256, autoescape=True)).limit(1)).first():
            return True
    return False


def _hashes_to_its_name(store: LocalBlobStore, staged: StagedBlob) -> bool:
    hasher = hashlib.sha256()
    with store.open_staged(staged) as file:
        while piece := file.read(CHUNK_SIZE):
            hasher.update(piece)
    return hasher.hexdigest() == staged.ref.sha256


def recover_staged_blobs(db: Session, store: LocalBlobStore, *, now: datetime, grace: timedelta) -> RecoveryReport:
    """Promote committed staged blobs, delete unreferenced ones and temporary uploads older than ``grace``."""
    report = RecoveryReport()
    cutoff = now - grace
    columns: Columns | None = None
    for staged, modified in store.staged_blobs():
        sha256 = staged.ref.sha256
        columns = columns if columns is not None else _columns(db)
        if is_referenced(db, sha256, columns=columns):
            if _hashes_to_its_name(store, staged):
                store.promote(staged)
                report.promoted.append(sha256)
            else:
                logger.error("staged blob %s is referenced but its bytes do not match its name", staged.key)
                report.corrupt.append(sha256)
        elif modified < cutoff:
            store.discard(staged)
            report.deleted.append(sha256)
        else:
            report.kept.append(sha256)
    report.temporary_deleted = store.delete_temporaries(older_than=cutoff)
    return report


def recover_at_start(
    factory: sessionmaker[Session], store: LocalBlobStore, *, now: datetime, grace: timedelta
) -> RecoveryReport:
    """:func:`recover_staged_blobs` when a server process starts, logged. The worker processes of one server start
    together: a lock file in the store's ``tmp/`` makes them take turns, so that one promotes and the next finds
    nothing. A store with nothing staged and no temporary upload is left untouched (no lock file either)."""
    if not store.has_leftovers():
        logger.info("no staged uploads to recover at start")
        return RecoveryReport()
    lock_path = store.root / "tmp" / "recovery.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        with unit_of_work(factory, read_only=True) as db:
            report = recover_staged_blobs(db, store, now=now, grace=grace)
    if report.promoted or report.deleted or report.corrupt or report.temporary_deleted:
        logger.warning(
            "staged uploads left by a crash, settled at start: promoted %d, deleted %d, corrupt %d (left alone), "
            "kept %d within the grace period; %d stale temporary uploads deleted",
            len(report.promoted),
            len(report.deleted),
            len(report.corrupt),
            len(report.kept),
            report.temporary_deleted,
        )
    else:
        logger.info("no staged uploads to recover at start (%d kept within the grace period)", len(report.kept))
    return report
