"""The public change feed: every disclosable event, in commit order, from a cursor.

The cursor is the ledger index. Indexes are given at commit, in commit order and without gaps (DESIGN §4.2), so a
reader that resumes after index N can never miss an event that committed late: it would have got a later index.
ProZorro's feed needs a time watermark with a safety margin for this; numbering at commit makes it exact. Undisclosed
events (logins, registrations, sealed bids before opening) appear as sealed entries — their position is public, their
content is not — so the feed reveals what the public ledger does, no more.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ggzy.ledger.entries import entry_document
from ggzy.ledger.service import numbered_count, numbered_events

MAX_PAGE = 500


def feed_page(db: Session, *, cursor: int, limit: int) -> dict[str, Any]:
    """Entries after ``cursor`` (an index; -1 for the start), at most ``limit``, with the cursor to resume from."""
    numbered = numbered_count(db)
    rows = numbered_events(db, after=cursor, limit=min(limit, MAX_PAGE))
    items = [{"index": index} | entry_document(event) for index, event in rows]
    next_cursor = rows[-1][0] if rows else cursor
    return {"items": items, "next_cursor": next_cursor, "more": next_cursor + 1 < numbered}
