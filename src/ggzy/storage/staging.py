"""Blobs that belong to a transaction: published when it commits, deleted when it rolls back (DESIGN §4.6).

A request that uploads a file and then fails must leave no file behind. :func:`stage_blob` writes the file into the
store's staging area and remembers it in the session's ``info``, tagged with the session transaction (or SAVEPOINT)
that was innermost at the time. Three listeners, registered once per session instance, settle it:

- ``after_commit`` of the outermost transaction promotes every pending blob to its object path;
- ``after_soft_rollback`` deletes the blobs staged inside the transaction or SAVEPOINT that rolled back (a released
  SAVEPOINT's blobs belong to its parent from then on);
- ``after_transaction_end`` of the outermost transaction deletes whatever is still pending (a session closed without
  commit or rollback).

Until the commit, only the staging session can read the blob (:func:`open_blob`). Promotion happens after the
database commit, so a crash between the two leaves the file in ``staged/`` (named ``<sha256>.<random>``) rather than
in ``objects/``; promotion and deletion failures are logged, never raised into the commit or rollback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ggzy.storage.blobs import BlobRef, BlobSource, BlobStore, StagedBlob, validate_sha256

logger = logging.getLogger(__name__)

_PENDING_KEY = "ggzy.storage.pending_blobs"


@dataclass(frozen=True, slots=True)
class _Pending:
    store: BlobStore
    staged: StagedBlob
    transaction: SessionTransaction


def stage_blob(
    db: Session, store: BlobStore, source: BlobSource, *, max_bytes: int, expected_sha256: str | None = None
) -> BlobRef:
    """Store a blob as part of ``db``'s transaction: it exists for everyone once the transaction commits, and not
    at all if it rolls back. Size and digest errors as for :meth:`BlobStore.put`."""
    transaction = db.get_nested_transaction() or db.get_transaction() or db.begin()
    _listen(db)
    staged = store.stage(source, max_bytes=max_bytes, expected_sha256=expected_sha256)
    db.info.setdefault(_PENDING_KEY, []).append(_Pending(store=store, staged=staged, transaction=transaction))
    return staged.ref


def open_blob(db: Session, store: BlobStore, sha256: str) -> BinaryIO:
    """Open a blob as ``db``'s transaction sees it: its own staged blobs first, then the committed ones."""
    validate_sha256(sha256)
    for pending in reversed(_pending(db)):
        if pending.store is store and pending.staged.ref.sha256 == sha256:
            return store.open_staged(pending.staged)
    return store.open(sha256)


def pending_blobs(db: Session) -> list[BlobRef]:
    """The blobs staged in ``db``'s current transaction, in staging order."""
    return [pending.staged.ref for pending in _pending(db)]


def _pending(db: Session) -> list[_Pending]:
    pending: list[_Pending] = db.info.get(_PENDING_KEY, [])
    return pending


def _listen(db: Session) -> None:
    if not event.contains(db, "after_commit", _promote_on_commit):
        event.listen(db, "after_commit", _promote_on_commit)
        event.listen(db, "after_soft_rollback", _discard_on_rollback)
        event.listen(db, "after_transaction_end", _discard_leftovers)


def _promote_on_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a released SAVEPOINT: the outer transaction may still roll back
        return
    for pending in session.info.pop(_PENDING_KEY, []):
        try:
            pending.store.promote(pending.staged)
        except Exception:
            # The database has committed; raising now would report a failure for committed work. The staged file
            # stays where it is, named by its digest, for an operator (or a recovery sweep) to publish.
            logger.exception("committed blob %s could not be published; it stays staged", pending.staged.ref.sha256)


def _discard_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = _pending(session)
    if not pending:
        return
    kept = []
    for entry in pending:
        if _is_within(entry.transaction, previous_transaction):
            _discard(entry)
        else:
            kept.append(entry)
    session.info[_PENDING_KEY] = kept


def _discard_leftovers(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    for entry in session.info.pop(_PENDING_KEY, []):
        _discard(entry)


def _is_within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _discard(entry: _Pending) -> None:
    try:
        entry.store.discard(entry.staged)
    except Exception:
        logger.exception("rolled-back blob %s could not be deleted from staging", entry.staged.ref.sha256)
