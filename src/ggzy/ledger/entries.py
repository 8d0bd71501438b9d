"""The bytes of a ledger entry: what anyone can recompute a leaf from (documented in docs/ledger.md).

A leaf is ``SHA-256(0x00 ‖ entry bytes)`` (RFC 9162), where the entry bytes are the RFC 8785 canonical JSON of::

    {
      "v": 1,
      "event_id": 42,
      "time": "2026-11-24T06:00:00.000000Z",
      "centre_id": 2,                      # or null
      "action": "project.registered",
      "actor_role": "agent",
      "subject": "project:7",
      "commitment": "<hex SHA-256(salt ‖ canonical JSON of the whole event)>",
      "payload": {...}
    }

An undisclosed event (a login, a bidder's registration, a sealed bid before opening) is only
``{"commitment", "event_id", "time", "v"}``.

The commitment binds the whole event — actor user and entity, and the payload even when it is not disclosed — so an
inspector holding the database, or anyone the event is later disclosed to, can check it against the public leaf;
the random salt stops anyone guessing an undisclosed payload from the commitment.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from hashlib import sha256
from json.encoder import encode_basestring
from typing import Any, Protocol

from ggzy.ledger.merkle import leaf_hash

ENTRY_VERSION = 1


class EventRow(Protocol):
    """An event as stored: an ORM ``Event`` or a plain row of the events table."""

    id: int
    occurred_at: datetime
    centre_id: int | None
    actor_user_id: int | None
    actor_entity_id: int | None
    actor_role: str
    action: str
    subject_type: str
    subject_id: str
    payload: str
    disclosed: bool
    salt: str


def _time(event: EventRow) -> str:
    moment = event.occurred_at  # aware, or naive UTC as SQLite hands it back
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def full_event_document(event: EventRow) -> dict[str, Any]:
    """Everything the event row says (what the commitment binds)."""
    return {
        "event_id": event.id,
        "time": _time(event),
        "centre_id": event.centre_id,
        "actor_user_id": event.actor_user_id,
        "actor_entity_id": event.actor_entity_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "payload": json.loads(event.payload),
    }


def entry_document(event: EventRow) -> dict[str, Any]:
    """The public entry, readable; its canonical JSON is :func:`entry_bytes`.

    An undisclosed event shows only its number, time and commitment: not even its action or subject, since counting
    the entries of one tender's registrations would reveal how many bidders registered (招标投标法 第22条).
    """
    if not event.disclosed:
        return {"v": ENTRY_VERSION, "event_id": event.id, "time": _time(event), "commitment": commitment(event)}
    return {
        "v": ENTRY_VERSION,
        "event_id": event.id,
        "time": _time(event),
        "centre_id": event.centre_id,
        "action": event.action,
        "actor_role": event.actor_role,
        "subject": f"{event.subject_type}:{event.subject_id}",
        "commitment": commitment(event),
        "payload": json.loads(event.payload),
    }


# The same bytes as canonical_json(full_event_document(e)) and canonical_json(entry_document(e)), assembled from the
# stored payload, which is already canonical, instead of parsing and re-serialising it: integration and
# verification run this once per event. tests/ledger/test_entries.py proves the two agree.


_text = encode_basestring  # what json.dumps(value, ensure_ascii=False) does to a string, without its set-up


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


def _full_event_bytes(event: EventRow, time: str) -> bytes:
    return (
        f'{{"action":{_text(event.action)},"actor_entity_id":{_number(event.actor_entity_id)},'
        f'"actor_role":{_text(event.actor_role)},"actor_user_id":{_number(event.actor_user_id)},'
        f'"centre_id":{_number(event.centre_id)},"event_id":{event.id},"payload":{event.payload},'
        f'"subject_id":{_text(event.subject_id)},"subject_type":{_text(event.subject_type)},"time":"{time}"}}'
    ).encode()


def _commitment(event: EventRow, time: str) -> str:
    return sha256(bytes.fromhex(event.salt) + _full_event_bytes(event, time)).hexdigest()


def commitment(event: EventRow) -> str:
    """Hex SHA-256 over the salt and the canonical whole event."""
    return _commitment(event, _time(event))


def entry_bytes(event: EventRow) -> bytes:
    time = _time(event)
    if not event.disclosed:
        hidden = _commitment(event, time)
        return f'{{"commitment":"{hidden}","event_id":{event.id},"time":"{time}","v":{ENTRY_VERSION}}}'.encode()
    return (
        f'{{"action":{_text(event.action)},"actor_role":{_text(event.actor_role)},'
        f'"centre_id":{_number(event.centre_id)},"commitment":"{_commitment(event, time)}","event_id":{event.id},'
        f'"payload":{event.payload},"subject":{_text(event.subject_type + ":" + event.subject_id)},"time":"{time}",'
        f'"v":{ENTRY_VERSION}}}'
    ).encode()


def entry_leaf_hash(event: EventRow) -> bytes:
    return leaf_hash(entry_bytes(event))
