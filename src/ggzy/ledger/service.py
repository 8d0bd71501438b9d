"""The ledger's services: keys, checkpoints, proofs, witnesses and their cosignatures, receipts.

Checkpoints and cosignatures are the ledger's own bookkeeping, not platform events: recording them as events
would feed the log into itself. They are append-only rows checked by ``ggzy ledger verify``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.clock import Clock, as_utc
from ggzy.core.db import unit_of_work
from ggzy.core.errors import DomainError, NotFound
from ggzy.core.events import Event, changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.ledger.entries import entry_bytes, entry_document, entry_leaf_hash
from ggzy.ledger.keys import LedgerKeys, load_ledger_keys
from ggzy.ledger.merkle import consistency_proof, inclusion_proof, root_at
from ggzy.ledger.models import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerHead,
    LedgerWitness,
)
from ggzy.ledger.note import (
    Checkpoint,
    CosignatureVerifier,
    NoteError,
    add_signatures,
    open_note,
    parse_checkpoint,
    parse_signature_line,
    parse_verifier_key,
    sign_note,
)
from ggzy.ledger.sequencer import HEAD_ID, NUMBERED_KEY, SqlNodeReader, integrate, lock_head

MAX_ENTRIES_PER_PAGE = 1000


class ProofRangeInvalid(DomainError):
    code = "ledger_range_invalid"
    status = 400
    message_zh = "账本范围无效：{reason_zh}"
    message_en = "Invalid ledger range: {reason_en}"


class CosignatureRejected(DomainError):
    code = "cosignature_rejected"
    status = 422
    message_zh = "见证签名被拒绝：{reason_zh}"
    message_en = "The cosignature is rejected: {reason_en}"


class WitnessExists(DomainError):
    code = "witness_exists"
    status = 409
    message_zh = "名为 {name} 的见证方已登记"
    message_en = "A witness named {name} is already registered"


# --- integration and checkpoints ---------------------------------------------------------------------------------


def latest_checkpoint(db: Session) -> LedgerCheckpoint | None:
    return db.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))


def publish_checkpoint(
    db: Session, keys: LedgerKeys, *, now: datetime, min_interval: timedelta = timedelta(0)
) -> LedgerCheckpoint | None:
    """Sign a checkpoint of the integrated tree if it grew (and the last one is at least ``min_interval`` old)."""
    head = lock_head(db)
    last = latest_checkpoint(db)
    if last is not None and (last.size >= head.tree_size or as_utc(last.created_at) + min_interval > now):
        return None
    root = root_at(head.tree_size, SqlNodeReader(db))
    note = sign_note(Checkpoint(keys.origin, head.tree_size, root).body(), keys.signers)
    checkpoint = LedgerCheckpoint(size=head.tree_size, root_hash=root, note=note, created_at=now)
    db.add(checkpoint)
    head.checkpoints_issued += 1  # so that a deleted checkpoint is noticed (ggzy.ledger.verify)
    head.checkpoint_size = head.tree_size
    db.flush()
    return checkpoint


def first_checkpoint_covering(db: Session, *, event_id: int) -> LedgerCheckpoint | None:
    """The first signed checkpoint whose tree holds the event (None: the event is not numbered or not yet under a
    checkpoint). Its root could not be known when the event was recorded: a seed for a draw anyone can replay."""
    index = db.scalar(select(LedgerEntry.index).where(LedgerEntry.event_id == event_id))
    if index is None:
        return None
    return db.scalar(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.size > index)
        .order_by(LedgerCheckpoint.size, LedgerCheckpoint.id)
        .limit(1)
    )


def first_checkpoint_after(db: Session, *, moment: datetime) -> LedgerCheckpoint | None:
    """The first signed checkpoint created after ``moment`` whose tree holds an event recorded after ``moment``
    (None: none yet). Nobody could know its root at ``moment``, nor change it by acting before: a seed for a draw
    among what was done by then (the price cap's lottery, decision 0052)."""
    index = db.scalar(
        select(LedgerEntry.index)
        .join(Event, Event.id == LedgerEntry.event_id)
        .where(Event.occurred_at > moment)
        .order_by(LedgerEntry.index)
        .limit(1)
    )
    if index is None:
        return None
    return db.scalar(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.size > index, LedgerCheckpoint.created_at > moment)
        .order_by(LedgerCheckpoint.size, LedgerCheckpoint.id)
        .limit(1)
    )


def catch_up(
    factory: sessionmaker[Session], keys: LedgerKeys, clock: Clock, *, min_interval: timedelta = timedelta(0)
) -> int:
    """Integrate what is numbered and publish a checkpoint if due, in its own transaction; returns the tree size."""
    with unit_of_work(factory) as db:
        size = integrate(db)
        publish_checkpoint(db, keys, now=clock.now(), min_interval=min_interval)
    return size


def after_commit_hook(keys: LedgerKeys, clock: Clock, *, min_interval: timedelta):  # type: ignore[no-untyped-def]
    """The request edge's after-commit work: integrate the events a transaction just numbered."""

    def after_commit(factory: sessionmaker[Session], info: dict[str, Any]) -> None:
        if info.get(NUMBERED_KEY):
            catch_up(factory, keys, clock, min_interval=min_interval)

    return after_commit


PROMISE_HEADER = "Ggzy-Ledger-Promise"


def promise(keys: LedgerKeys, numbered: list[tuple[int, Event]], *, now: datetime) -> str:
    """A signed promise of inclusion for events just committed: a signed note (Ed25519, so that writes stay fast)

        <origin>
        promise/v1
        time <unix seconds>
        entry <index> <event id> <base64 leaf hash>
        ...

    returned at once with the write; the inclusion proof follows at ``GET /api/v1/ledger/events/{id}``.
    """
    lines = [keys.origin, "promise/v1", f"time {int(now.timestamp())}"]
    lines += [
        f"entry {index} {event.id} {base64.b64encode(entry_leaf_hash(event)).decode()}" for index, event in numbered
    ]
    return sign_note("".join(line + "\n" for line in lines), [keys.ed25519])


def promise_headers(keys: LedgerKeys, clock: Clock):  # type: ignore[no-untyped-def]
    """Response headers of a committed write: its promise of inclusion, base64 (a note has newlines)."""

    def headers(info: dict[str, Any]) -> dict[str, str]:
        numbered = info.get(NUMBERED_KEY)
        if not numbered:
            return {}
        note = promise(keys, numbered, now=clock.now())
        return {PROMISE_HEADER: base64.b64encode(note.encode()).decode()}

    return headers


def tree_size(db: Session) -> int:
    size = db.connection().execute(select(LedgerHead.tree_size).where(LedgerHead.id == HEAD_ID)).scalar()
    return size or 0


# --- serving -----------------------------------------------------------------------------------------------------


def checkpoint_note(db: Session, *, size: int | None = None) -> str:
    """The newest checkpoint (or the one at ``size``) as a signed note with every cosignature received for it."""
    query = select(LedgerCheckpoint)
    if size is not None:
        query = query.where(LedgerCheckpoint.size == size)
    checkpoint = db.scalar(query.order_by(LedgerCheckpoint.id.desc()).limit(1))
    if checkpoint is None:
        raise NotFound(field="size", what_zh="账本检查点", what_en="Ledger checkpoint")
    lines = db.scalars(
        select(LedgerCosignature.signature_line)
        .where(LedgerCosignature.checkpoint_id == checkpoint.id)
        .order_by(LedgerCosignature.id)
    )
    return add_signatures(checkpoint.note, list(lines))


def entries(db: Session, *, start: int, end: int) -> list[dict[str, Any]]:
    size = tree_size(db)
    if not 0 <= start < end or end > size or end - start > MAX_ENTRIES_PER_PAGE:
        raise ProofRangeInvalid(
            field="end",
            reason_zh=f"需 0 ≤ start < end ≤ {size}，且一次不超过 {MAX_ENTRIES_PER_PAGE} 条",
            reason_en=f"need 0 ≤ start < end ≤ {size}, at most {MAX_ENTRIES_PER_PAGE} at a time",
        )
    rows = db.execute(
        select(LedgerEntry.index, Event)
        .join(Event, Event.id == LedgerEntry.event_id)
        .where(LedgerEntry.index >= start, LedgerEntry.index < end)
        .order_by(LedgerEntry.index)
    )
    return [
        {"index": index, "event_id": event.id, "data": base64.b64encode(entry_bytes(event)).decode()}
        for index, event in rows
    ]


def _check_size(db: Session, size: int, field: str) -> None:
    current = tree_size(db)
    if not 1 <= size <= current:
        raise ProofRangeInvalid(
            field=field, reason_zh=f"树大小须在 1 到 {current} 之间", reason_en=f"tree size must be 1 to {current}"
        )


def inclusion(db: Session, *, index: int, size: int) -> dict[str, Any]:
    _check_size(db, size, "tree_size")
    if not 0 <= index < size:
        raise ProofRangeInvalid(
            field="index", reason_zh="序号须小于树大小", reason_en="the index must be below the tree size"
        )
    reader = _WithLeaf(SqlNodeReader(db), (0, index))
    proof = inclusion_proof(index, size, reader)
    if not reader.leaf:  # a one-entry tree has an empty proof: no query was made
        reader.get_nodes([])
    return {
        "index": index,
        "tree_size": size,
        "leaf_hash": base64.b64encode(reader.leaf).decode(),
        "proof": [base64.b64encode(h).decode() for h in proof],
    }


class _WithLeaf:
    """Fetches the proven leaf in the same query as the proof's nodes (one round trip per proof)."""

    def __init__(self, reader: SqlNodeReader, leaf_key: tuple[int, int]) -> None:
        self.reader, self.leaf_key, self.leaf = reader, leaf_key, b""

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = self.reader.get_nodes([*keys, self.leaf_key])
        self.leaf = self.leaf or found.get(self.leaf_key, b"")
        if self.leaf_key not in keys:
            found.pop(self.leaf_key, None)
        return found


def consistency(db: Session, *, first: int, second: int) -> dict[str, Any]:
    _check_size(db, second, "second")
    if not 1 <= first <= second:
        raise ProofRangeInvalid(field="first", reason_zh="须 1 ≤ first ≤ second", reason_en="need 1 ≤ first ≤ second")
    proof = consistency_proof(first, second, SqlNodeReader(db))
    return {"first": first, "second": second, "proof": [base64.b64encode(h).decode() for h in proof]}


def event_receipt(db: Session, *, event_id: int) -> dict[str, Any]:
    """Where an event is in the log, with its inclusion proof against the newest checkpoint that covers it."""
    row = db.execute(
        select(LedgerEntry.index, Event).join(Event, Event.id == LedgerEntry.event_id).where(Event.id == event_id)
    ).first()
    if row is None:
        raise NotFound(field="event_id", what_zh="账本条目", what_en="Ledger entry")
    index, event = row
    receipt: dict[str, Any] = {
        "event_id": event_id,
        "index": index,
        "leaf_hash": base64.b64encode(entry_leaf_hash(event)).decode(),
        "entry": entry_document(event),
    }
    checkpoint = latest_checkpoint(db)
    if checkpoint is not None and checkpoint.size > index:
        receipt["checkpoint"] = checkpoint_note(db, size=checkpoint.size)
        receipt["inclusion"] = inclusion(db, index=index, size=checkpoint.size)
    return receipt


# --- witnesses ---------------------------------------------------------------------------------------------------


def add_witness(db: Session, *, name: str, verifier_key: str, now: datetime) -> LedgerWitness:
    """Store an independent witness's cosignature key. The witnessing job calls this on first contact with a
    witness it was configured with (``_register``: it records no event, since it runs in the middle of sending a
    checkpoint); the administrator registers one with :func:`register_witness`, which records the event."""
    try:
        verifier = parse_verifier_key(verifier_key)
    except NoteError as error:
        raise CosignatureRejected(field="verifier_key", reason_zh="见证方公钥格式错误", reason_en=str(error)) from None
    if not isinstance(verifier, CosignatureVerifier):
        raise CosignatureRejected(
            field="verifier_key", reason_zh="须为 cosignature/v1 公钥", reason_en="must be a cosignature/v1 key"
        )
    if verifier.name != name:
        raise CosignatureRejected(
            field="name", reason_zh="名称与公钥中的名称不一致", reason_en="the name differs from the key's name"
        )
    if db.scalar(select(LedgerWitness.id).where(LedgerWitness.name == name)) is not None:
        raise WitnessExists(field="name", name=name)
    witness = LedgerWitness(name=name, verifier_key=verifier_key, added_at=now)
    db.add(witness)
    db.flush()
    return witness


@changes_state("ledger.witness_added")
def register_witness(db: Session, actor: Principal, *, name: str, verifier_key: str, now: datetime) -> LedgerWitness:
    """The platform administrator registers a witness's cosignature key (the API and the administrator's page); the
    event names the witness and its key, so the ledger shows whose cosignatures the platform keeps."""
    witness = add_witness(db, name=name, verifier_key=verifier_key, now=now)
    record_event(
        db,
        actor,
        action="ledger.witness_added",
        subject_type="ledger_witness",
        subject_id=witness.id,
        payload={"name": name, "verifier_key": verifier_key},
        now=now,
    )
    return witness


def list_witnesses(db: Session) -> list[LedgerWitness]:
    return list(db.scalars(select(LedgerWitness).order_by(LedgerWitness.id)))


def largest_cosigned(db: Session, *, verifier_key: str) -> tuple[int, datetime] | None:
    """The largest checkpoint size the ledger holds a cosignature for by the witness with this key, and when that
    cosignature was received; None if it holds none. A witness that later reports a smaller size forgot it."""
    row = db.execute(
        select(LedgerCheckpoint.size, LedgerCosignature.received_at)
        .join(LedgerCosignature, LedgerCosignature.checkpoint_id == LedgerCheckpoint.id)
        .join(LedgerWitness, LedgerWitness.id == LedgerCosignature.witness_id)
        .where(LedgerWitness.verifier_key == verifier_key)
        .order_by(LedgerCheckpoint.size.desc(), LedgerCosignature.received_at.desc())
        .limit(1)
    ).first()
    return (int(row[0]), as_utc(row[1])) if row else None


def add_cosignature(db: Session, keys: LedgerKeys, *, note_text: str, now: datetime) -> list[str]:
    """Accept a witness's cosigned checkpoint: it must be one of ours, and each new cosignature must verify under
    a registered witness key. Returns the names of the witnesses whose cosignature was added."""
    witnesses = {w.name: (w, parse_verifier_key(w.verifier_key)) for w in list_witnesses(db)}
    try:
        note = open_note(note_text, [*keys.verifiers, *(verifier for _, verifier in witnesses.values())])
    except NoteError as error:
        raise CosignatureRejected(field="body", reason_zh="签名验证失败", reason_en=str(error)) from None
    if not any(verifier in note.verifiers for verifier in keys.verifiers):
        raise CosignatureRejected(field="body", reason_zh="不是本平台签发的检查点", reason_en="not our checkpoint")
    checkpoint = parse_checkpoint(note.body)
    stored = db.scalar(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.size == checkpoint.size, LedgerCheckpoint.root_hash == checkpoint.root_hash)
        .order_by(LedgerCheckpoint.id.desc())
        .limit(1)
    )
    if stored is None:
        raise CosignatureRejected(field="body", reason_zh="未找到该检查点", reason_en="no such checkpoint")
    added = []
    known = {signature.name: signature for signature in note.verified_signatures if signature.name in witnesses}
    already = set(
        db.scalars(
            select(LedgerWitness.name)
            .join(LedgerCosignature, LedgerCosignature.witness_id == LedgerWitness.id)
            .where(LedgerCosignature.checkpoint_id == stored.id)
        )
    )
    for name, signature in known.items():
        if name in already:
            continue
        db.add(
            LedgerCosignature(
                checkpoint_id=stored.id,
                witness_id=witnesses[name][0].id,
                signature_line=signature.line(),
                received_at=now,
            )
        )
        added.append(name)
    if not added and not already & known.keys():
        raise CosignatureRejected(
            field="body", reason_zh="没有已登记见证方的签名", reason_en="no cosignature by a registered witness"
        )
    db.flush()
    return added


__all__ = [
    "CosignatureRejected",
    "LedgerKeys",
    "ProofRangeInvalid",
    "add_cosignature",
    "add_witness",
    "catch_up",
    "checkpoint_note",
    "consistency",
    "entries",
    "event_receipt",
    "inclusion",
    "largest_cosigned",
    "load_ledger_keys",
    "parse_signature_line",
    "publish_checkpoint",
]


# --- read models for the domains above (publishing's change feed, the portal's live hall) -----------------------


def numbered_count(db: Session) -> int:
    """How many events the ledger has numbered: the next index."""
    return db.connection().execute(select(LedgerHead.next_index).where(LedgerHead.id == HEAD_ID)).scalar() or 0


def numbered_events(
    db: Session,
    *,
    after: int,
    before: int | None = None,
    limit: int | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[tuple[int, Event]]:
    """The numbered events with an index in (``after``, ``before``), by index, with their index; ``where`` narrows
    them by the event's own columns."""
    query = select(LedgerEntry.index, Event).join(Event, Event.id == LedgerEntry.event_id)
    query = query.where(LedgerEntry.index > after, *where).order_by(LedgerEntry.index)
    if before is not None:
        query = query.where(LedgerEntry.index < before)
    if limit is not None:
        query = query.limit(limit)
    return [(index, event) for index, event in db.execute(query)]
