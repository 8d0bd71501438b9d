"""The public change feed: every disclosable event, in commit order, from a cursor.

The cursor is the ledger index. Indexes are given at commit, in commit order and without gaps (DESIGN §4.2), so a
reader that resumes after index N can never miss an event that committed late: it would have got a later index.
ProZorro's feed needs a time watermark with a safety margin for this; numbering at commit makes it exact. Undisclosed
events (logins, registrations, sealed bids before opening) appear as sealed entries — their position is public, their
content is not — so the feed reveals what the public ledger does, no more.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.ledger.entries import entry_document
from ggzy.ledger.models import LedgerEntry, LedgerHead
from ggzy.ledger.sequencer import HEAD_ID

MAX_PAGE = 500


def feed_page(db: Session, *, cursor: int, limit: int) -> dict[str, Any]:
    """Entries after ``cursor`` (an index; -1 for the start), at most ``limit``, with the cursor to resume from."""
    numbered = db.connection().execute(select(LedgerHead.next_index).where(LedgerHead.id == HEAD_ID)).scalar() or 0
    rows = db.execute(
        select(LedgerEntry.index, Event)
        .join(Event, Event.id == LedgerEntry.event_id)
        .where(LedgerEntry.index > cursor)
        .order_by(LedgerEntry.index)
        .limit(min(limit, MAX_PAGE))
    ).all()
    items = [{"index": index} | entry_document(event) for index, event in rows]
    next_cursor = rows[-1][0] if rows else cursor
    return {"items": items, "next_cursor": next_cursor, "more": next_cursor + 1 < numbered}
