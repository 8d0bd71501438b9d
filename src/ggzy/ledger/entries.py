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
      "payload": {...}                     # only when the event is disclosed
    }

The commitment binds the whole event — actor user and entity, and the payload even when it is not disclosed — so an
inspector holding the database, or anyone the event is later disclosed to, can check it against the public leaf;
the random salt stops anyone guessing an undisclosed payload from the commitment.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ggzy.core.clock import as_utc
from ggzy.core.events import Event, canonical_json
from ggzy.ledger.merkle import leaf_hash

ENTRY_VERSION = 1


def _time(event: Event) -> str:
    return as_utc(event.occurred_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def full_event_document(event: Event) -> dict[str, Any]:
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


def commitment(event: Event) -> str:
    full = canonical_json(full_event_document(event)).encode()
    return hashlib.sha256(bytes.fromhex(event.salt) + full).hexdigest()


def entry_document(event: Event) -> dict[str, Any]:
    document: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "event_id": event.id,
        "time": _time(event),
        "centre_id": event.centre_id,
        "action": event.action,
        "actor_role": event.actor_role,
        "subject": f"{event.subject_type}:{event.subject_id}",
        "commitment": commitment(event),
    }
    if event.disclosed:
        document["payload"] = json.loads(event.payload)
    return document


def entry_bytes(event: Event) -> bytes:
    return canonical_json(entry_document(event)).encode()


def entry_leaf_hash(event: Event) -> bytes:
    return leaf_hash(entry_bytes(event))
