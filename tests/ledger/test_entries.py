"""The entry bytes are exactly the RFC 8785 canonical JSON of the documented entry (docs/ledger.md)."""

from __future__ import annotations

import hashlib
import json

import rfc8785
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.ledger.entries import commitment, entry_bytes, entry_document, full_event_document
from tests.factories import make_entity, make_user


def test_entry_bytes_are_the_canonical_json_of_the_entry_document(db: Session) -> None:
    make_entity(db, name='引号"与\\反斜杠企业')  # escaped in canonical JSON; a name is one line (core.inputs.Name)
    make_user(db, username="entry-user")
    events = list(db.scalars(select(Event)))
    assert events
    for event in events:
        assert entry_bytes(event) == rfc8785.dumps(entry_document(event))
        full = rfc8785.dumps(full_event_document(event))
        assert commitment(event) == hashlib.sha256(bytes.fromhex(event.salt) + full).hexdigest()


def test_an_undisclosed_entry_shows_neither_payload_nor_action_nor_subject(db: Session) -> None:
    make_entity(db)
    event = db.scalars(select(Event)).first()
    assert event is not None
    event.disclosed = False  # as an auth event would be (not flushed: the table refuses updates)
    document = json.loads(entry_bytes(event))
    assert document == {"commitment": commitment(event), "event_id": event.id, "time": document["time"], "v": 1}
    assert entry_bytes(event) == rfc8785.dumps(entry_document(event))
