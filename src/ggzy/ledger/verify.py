"""Verification: re-derive the whole ledger from the events, and check evidence packages offline.

``verify_ledger`` recomputes every leaf from its event, rebuilds the tree in memory, and checks every stored node,
every checkpoint (root and signatures) and every cosignature. It stops at the first disagreement and names it: the
event whose entry no longer matches, the missing entry, the checkpoint whose root the events do not give.

``export_evidence`` writes what a third party needs to check a project's history with no database: the entries,
their inclusion proofs against one cosigned checkpoint, and the keys. ``verify_evidence`` checks such a package.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import as_utc
from ggzy.core.events import Event
from ggzy.ledger.entries import entry_bytes, entry_document
from ggzy.ledger.merkle import MemoryNodeStore, ProofError, leaf_hash, root_at, verify_inclusion
from ggzy.ledger.models import LedgerCheckpoint, LedgerCosignature, LedgerEntry, LedgerHead, LedgerNode, LedgerWitness
from ggzy.ledger.note import NoteError, NoteVerifier, open_note, parse_checkpoint, parse_verifier_key
from ggzy.ledger.sequencer import HEAD_ID

EVIDENCE_FORMAT = "ggzy-ledger-evidence/v1"
BATCH = 5_000


class LedgerDamaged(Exception):
    """The ledger does not match its events, or a checkpoint does not match the tree."""


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    checkpoints: int
    cosignatures: int
    root_hex: str
    tree: MemoryNodeStore = field(default_factory=MemoryNodeStore, repr=False)
    """The tree rebuilt from the events, to compare with what a witness holds."""
    checkpoint_roots: dict[int, bytes] = field(default_factory=dict, repr=False)
    """Size → root of every checkpoint the ledger still holds."""


@dataclass(frozen=True)
class WitnessAgreement:
    """A witness's newest checkpoint, found consistent with the ledger."""

    witness: str
    size: int
    tree_size: int


def _entries(db: Session) -> Iterator[tuple[int, Event | None]]:
    last = -1
    while True:
        rows = db.execute(
            select(LedgerEntry.index, Event)
            .outerjoin(Event, Event.id == LedgerEntry.event_id)
            .where(LedgerEntry.index > last)
            .order_by(LedgerEntry.index)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]
        db.expunge_all()


def _stored_nodes(db: Session) -> Iterator[tuple[int, int, bytes]]:
    """Every stored node, level by level in index order (primary-key range scans)."""
    level = 0
    while True:
        after, found = -1, False
        while True:
            rows = db.execute(
                select(LedgerNode.index, LedgerNode.hash)
                .where(LedgerNode.level == level, LedgerNode.index > after)
                .order_by(LedgerNode.index)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            found = True
            yield from ((level, index, bytes(value)) for index, value in rows)
            after = rows[-1][0]
        if not found:
            return
        level += 1


def verify_ledger(
    db: Session, verifiers: list[NoteVerifier], *, progress: Callable[[int, int], None] | None = None
) -> VerifyReport:
    """Check the whole ledger against the events; raises LedgerDamaged naming the first problem."""
    head = db.get(LedgerHead, HEAD_ID)
    if head is None:
        raise LedgerDamaged("the ledger head row is missing")
    events = db.scalar(select(func.count()).select_from(Event)) or 0
    total = head.next_index
    tree = MemoryNodeStore()
    batch: list[bytes] = []
    expected = 0
    for index, event in _entries(db):
        if index != expected:
            raise LedgerDamaged(f"ledger entry {expected} is missing (next is {index})")
        if event is None:
            raise LedgerDamaged(f"ledger entry {index} points to an event that no longer exists")
        batch.append(leaf_hash(entry_bytes(event)))
        expected += 1
        if len(batch) == BATCH:
            tree.append_leaf_hashes(batch)
            batch = []
            if progress:
                progress(expected, total)
    tree.append_leaf_hashes(batch)
    if progress:
        progress(expected, total)
    if expected != total:
        raise LedgerDamaged(f"the head says {total} entries were numbered, but {expected} exist")
    if events != expected:
        raise LedgerDamaged(f"{events} events exist but {expected} are in the ledger: an event was added unseen")

    for level, index, value in _stored_nodes(db):
        if level == 0 and index >= head.tree_size:
            raise LedgerDamaged(f"a leaf at {index} is stored beyond the tree size {head.tree_size}")
        if tree.node(level, index) != value:
            if level == 0:
                event_id = db.scalar(select(LedgerEntry.event_id).where(LedgerEntry.index == index))
                raise LedgerDamaged(f"event {event_id} (entry {index}) does not match its leaf in the ledger")
            raise LedgerDamaged(f"stored tree node ({level}, {index}) does not match the events")

    witnesses = {w.id: parse_verifier_key(w.verifier_key) for w in db.scalars(select(LedgerWitness))}
    checkpoints = cosignatures = 0
    checkpoint_roots: dict[int, bytes] = {}
    for checkpoint in db.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id)):
        if checkpoint.size > head.tree_size:
            raise LedgerDamaged(f"checkpoint {checkpoint.id} is beyond the tree size")
        root = root_at(checkpoint.size, tree)
        try:
            note = open_note(checkpoint.note, verifiers)
        except NoteError as error:
            raise LedgerDamaged(f"checkpoint {checkpoint.id}: {error}") from None
        signed = parse_checkpoint(note.body)
        if signed.size != checkpoint.size or signed.root_hash != root or bytes(checkpoint.root_hash) != root:
            raise LedgerDamaged(
                f"checkpoint {checkpoint.id} at size {checkpoint.size} does not match the root the events give"
            )
        if len(note.verifiers) != len(verifiers):
            raise LedgerDamaged(f"checkpoint {checkpoint.id} lacks a signature by one of the platform's keys")
        for row in db.scalars(select(LedgerCosignature).where(LedgerCosignature.checkpoint_id == checkpoint.id)):
            witness = witnesses.get(row.witness_id)
            try:
                open_note(note.body + "\n" + row.signature_line, [witness] if witness else [])
            except NoteError as error:
                raise LedgerDamaged(f"cosignature {row.id} on checkpoint {checkpoint.id}: {error}") from None
            cosignatures += 1
        checkpoints += 1
        checkpoint_roots[checkpoint.size] = root
    if checkpoints != head.checkpoints_issued:
        raise LedgerDamaged(
            f"the ledger issued {head.checkpoints_issued} checkpoints but {checkpoints} remain: "
            "checkpoints were deleted"
        )
    if head.checkpoints_issued and head.checkpoint_size not in checkpoint_roots:
        raise LedgerDamaged(
            f"the newest checkpoint the ledger issued (size {head.checkpoint_size}) is gone: checkpoints were deleted"
        )
    return VerifyReport(
        entries=expected,
        checkpoints=checkpoints,
        cosignatures=cosignatures,
        root_hex=root_at(head.tree_size, tree).hex() if head.tree_size else "",
        tree=tree,
        checkpoint_roots=checkpoint_roots,
    )


def check_against_witness(
    report: VerifyReport,
    note_text: str,
    *,
    platform: list[NoteVerifier],
    witnesses: list[NoteVerifier],
    cosigned_before: int = 0,
) -> WitnessAgreement:
    """Compare the ledger, rebuilt from its events, with the newest checkpoint a witness holds.

    The witness's checkpoint must carry the platform's signatures and a cosignature by one of ``witnesses`` (keys
    the verifier trusts: pinned, or asked of the witness itself). Then the events must give the same root at the
    witness's size — else history was rewritten, even if re-signed with the platform's own keys — and the ledger
    must still hold that checkpoint — else checkpoints were deleted. ``cosigned_before`` is the largest size the
    ledger holds a (verified) cosignature for by this witness: a witness that holds less forgot what it cosigned —
    its storage was lost, rolled back or reset — and cannot vouch for what it no longer holds. Raises LedgerDamaged
    naming what differs.
    """
    try:
        note = open_note(note_text, [*platform, *witnesses])
    except NoteError as error:
        raise LedgerDamaged(f"the witness's checkpoint does not verify: {error}") from None
    cosigners = [verifier.name for verifier in note.verifiers if verifier in witnesses]
    if not cosigners:
        raise LedgerDamaged("the witness's checkpoint carries no cosignature by the witness's key")
    if sum(verifier in platform for verifier in note.verifiers) != len(platform):
        raise LedgerDamaged(
            "the witness's checkpoint is not signed by the platform's current keys: the keys were replaced"
        )
    held = parse_checkpoint(note.body)
    witness, tree_size = cosigners[0], report.entries
    if held.size > tree_size:
        raise LedgerDamaged(
            f"witness {witness} cosigned a tree of {held.size} entries but the ledger has {tree_size}: "
            "entries were removed"
        )
    if held.size < cosigned_before:
        raise LedgerDamaged(
            f"witness {witness} holds a tree of {held.size} entries, but the ledger holds its cosignature on "
            f"{cosigned_before}: the witness forgot what it cosigned (its storage was lost, rolled back or reset)"
        )
    root = root_at(held.size, report.tree) if held.size else held.root_hash
    if root != held.root_hash:
        raise LedgerDamaged(
            f"history was rewritten: at size {held.size} the events give root {root.hex()}, but witness {witness} "
            f"cosigned {held.root_hash.hex()}"
        )
    if report.checkpoint_roots.get(held.size) != held.root_hash:
        raise LedgerDamaged(
            f"witness {witness} holds the checkpoint of size {held.size}, which the ledger no longer has: "
            "checkpoints were deleted"
        )
    return WitnessAgreement(witness=witness, size=held.size, tree_size=tree_size)


def cosigned_before(db: Session, witnesses: list[NoteVerifier]) -> int:
    """The largest size the ledger holds a cosignature for by any of these witness keys (0 if none)."""
    from ggzy.ledger.service import largest_cosigned

    found = [largest_cosigned(db, verifier_key=witness.verifier_key) for witness in witnesses]
    return max((stored[0] for stored in found if stored is not None), default=0)


def first_unwitnessed(db: Session, size: int) -> datetime | None:
    """When the event of entry ``size`` — the first that no witness's checkpoint covers — was recorded."""
    occurred = db.scalar(
        select(Event.occurred_at).join(LedgerEntry, LedgerEntry.event_id == Event.id).where(LedgerEntry.index == size)
    )
    return as_utc(occurred) if occurred is not None else None


# --- evidence packages ---------------------------------------------------------------------------------------


def export_evidence(
    db: Session, *, subject_type: str, subject_ids: list[str], verifier_keys: list[str]
) -> dict[str, Any]:
    """The events of some subjects, with inclusion proofs against the newest checkpoint and every key needed."""
    from ggzy.ledger.service import checkpoint_note, inclusion, latest_checkpoint

    checkpoint = latest_checkpoint(db)
    if checkpoint is None:
        raise LedgerDamaged("no checkpoint has been published yet")
    rows = db.execute(
        select(LedgerEntry.index, Event)
        .join(Event, Event.id == LedgerEntry.event_id)
        .where(Event.subject_type == subject_type, Event.subject_id.in_(subject_ids))
        .where(LedgerEntry.index < checkpoint.size)
        .order_by(LedgerEntry.index)
    ).all()
    return {
        "format": EVIDENCE_FORMAT,
        "subject": {"type": subject_type, "ids": subject_ids},
        "verifier_keys": verifier_keys,
        "witness_keys": [w.verifier_key for w in db.scalars(select(LedgerWitness).order_by(LedgerWitness.id))],
        "checkpoint": checkpoint_note(db, size=checkpoint.size),
        "entries": [
            {
                "index": index,
                "entry": entry_document(event),
                "data": base64.b64encode(entry_bytes(event)).decode(),
                "proof": inclusion(db, index=index, size=checkpoint.size)["proof"],
            }
            for index, event in rows
        ],
    }


def verify_evidence(package: dict[str, Any], *, trusted_keys: list[str] | None = None) -> dict[str, Any]:
    """Check an evidence package with no database. ``trusted_keys`` pins the platform's verifier keys (otherwise
    the package's own keys are used, and the caller should compare them with the published ones)."""
    if package.get("format") != EVIDENCE_FORMAT:
        raise LedgerDamaged(f"not a {EVIDENCE_FORMAT} package")
    platform = [parse_verifier_key(key) for key in (trusted_keys or package["verifier_keys"])]
    witnesses = [parse_verifier_key(key) for key in package.get("witness_keys", [])]
    try:
        note = open_note(package["checkpoint"], [*platform, *witnesses])
    except NoteError as error:
        raise LedgerDamaged(f"the checkpoint does not verify: {error}") from None
    if not any(verifier in note.verifiers for verifier in platform):
        raise LedgerDamaged("the checkpoint is not signed by the platform")
    checkpoint = parse_checkpoint(note.body)
    for item in package["entries"]:
        data = base64.b64decode(item["data"])
        if json.loads(data) != item["entry"]:
            raise LedgerDamaged(f"entry {item['index']}: the readable entry differs from its bytes")
        try:
            verify_inclusion(
                leaf_hash(data),
                item["index"],
                checkpoint.size,
                [base64.b64decode(h) for h in item["proof"]],
                checkpoint.root_hash,
            )
        except ProofError as error:
            raise LedgerDamaged(f"entry {item['index']} (event {item['entry']['event_id']}): {error}") from None
    return {
        "entries": len(package["entries"]),
        "tree_size": checkpoint.size,
        "cosigned_by": [v.name for v in note.verifiers if v in witnesses],
    }
