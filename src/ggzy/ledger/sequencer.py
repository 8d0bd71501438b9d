"""The sequencer: number events in commit order, then integrate them into the Merkle tree (DESIGN §4.2).

Numbering happens inside each writing transaction, just before it commits: it advances the single ``ledger_head``
row (which locks it), gives the transaction's events the indexes reserved and releases the lock with the commit.
Transactions that write events therefore commit one after another through that row, and the indexes follow commit
order with no gap — a rolled-back transaction numbers nothing. (On SQLite the database's one writer already
serialises them.) It is installed on a session factory by :func:`install_numbering`, which
``ggzy.wiring.session_factory`` calls for every entry point; importing this module installs nothing (decision 0018).

Integration is separate and idempotent: under the same lock it reads the numbered entries past the tree size,
hashes them (RFC 9162 leaves over the entry bytes of ``ggzy.ledger.entries``), stores the complete-subtree nodes
they create and advances the tree size. The request edge runs it right after its commit, so a proof exists at once;
``ggzy ledger integrate`` and the background publisher catch up after a crash. Only one integrator works at a time
(the row lock), safely on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import DateTime, event, insert, inspect, select, type_coerce, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.events import NEW_EVENTS_KEY, NUMBERING_INSTALLED_KEY, Event
from ggzy.ledger.entries import entry_leaf_hash
from ggzy.ledger.merkle import NodeKey, new_nodes
from ggzy.ledger.models import LedgerEntry, LedgerHead

HEAD_ID = 1
NUMBERED_KEY = "ggzy.ledger.numbered"  # [(index, event)] numbered by the session's commit
INTEGRATION_BATCH = 10_000


def lock_head(db: Session) -> LedgerHead:
    """The head row, locked until the end of the transaction (PostgreSQL ``FOR UPDATE``; SQLite's write lock)."""
    return db.execute(select(LedgerHead).where(LedgerHead.id == HEAD_ID).with_for_update()).scalar_one()


def install_numbering(factory: sessionmaker[Session]) -> None:
    """Number the events of every session ``factory`` makes at its commit, and mark its sessions as numbered (the mark
    :func:`ggzy.core.events.record_event` demands). Idempotent. The listeners go on this factory alone, never on the
    global ``Session`` class: which sessions are numbered is decided where they are made, not by what was imported."""
    info = dict(factory.kw.get("info") or {})
    # The mark on the factory says whether it is installed (event.contains is no test: SQLAlchemy's listener
    # registry keys targets by id(), and a new factory's session class may reuse a collected one's id).
    if info.get(NUMBERING_INSTALLED_KEY):
        return
    # First of the commit's listeners (insert=True), also before those on the global Session class: the portal's
    # notification reads what this numbered.
    event.listen(factory, "before_commit", _number_new_events, insert=True)
    event.listen(factory, "after_soft_rollback", _forget_new_events)
    factory.configure(info={**info, NUMBERING_INSTALLED_KEY: True})


def _number_new_events(session: Session) -> None:
    recorded: list[Event] = session.info.pop(NEW_EVENTS_KEY, [])
    # Events added in a savepoint that was rolled back are no longer persistent: they never happened.
    new = sorted((e for e in recorded if inspect(e).persistent), key=lambda e: e.id)
    if not new:
        return
    # One statement locks the head row and reserves the indexes (UPDATE … RETURNING): the lock is held from here to
    # the commit, so every round trip in between lengthens the time all other writers queue behind it.
    end = session.execute(
        update(LedgerHead)
        .where(LedgerHead.id == HEAD_ID)
        .values(next_index=LedgerHead.next_index + len(new))
        .returning(LedgerHead.next_index)
    ).scalar_one()
    start = end - len(new)
    session.execute(insert(LedgerEntry), [{"index": start + offset, "event_id": e.id} for offset, e in enumerate(new)])
    session.info.setdefault(NUMBERED_KEY, []).extend(zip(range(start, start + len(new)), new, strict=True))


def _forget_new_events(session: Session, previous_transaction: object) -> None:
    if not session.in_transaction():
        session.info.pop(NEW_EVENTS_KEY, None)


class SqlNodeReader:
    """Reads complete-subtree hashes from ``ledger_nodes`` in one query per batch."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        by_level: dict[int, list[int]] = {}
        for level, index in dict.fromkeys(keys):
            by_level.setdefault(level, []).append(index)
        if not by_level:
            return {}
        # One statement; per level an IN list on the primary key (both databases answer it from the index, where
        # SQLite would scan the table for a row-value IN). Sent through the driver: a proof's shape differs from
        # call to call, and compiling it each time would cost more than the query (a proof must take < 1 ms).
        connection = self.db.connection()
        mark = _placeholder(connection)
        where = " OR ".join(
            f'(level = {mark} AND "index" IN ({", ".join([mark] * len(indexes))}))' for indexes in by_level.values()
        )
        parameters = [value for level, indexes in by_level.items() for value in (level, *indexes)]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(f'SELECT level, "index", hash FROM ledger_nodes WHERE {where}', parameters)  # noqa: S608
            return {(level, index): bytes(value) for level, index, value in cursor.fetchall()}
        finally:
            cursor.close()


def _placeholder(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _insert_nodes(connection: Connection, nodes: list[tuple[NodeKey, bytes]]) -> None:
    """Bulk insert through the driver's executemany: the hot path of integration (two nodes per event)."""
    placeholder = _placeholder(connection)
    statement = f'INSERT INTO ledger_nodes (level, "index", hash) VALUES ({placeholder}, {placeholder}, {placeholder})'  # noqa: S608
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(statement, [(level, index, value) for (level, index), value in nodes])
    finally:
        cursor.close()


# The event columns, the time read as the database gives it (naive UTC on SQLite, aware on PostgreSQL): the entry's
# time text is made from it directly, without the per-row conversion UTCDateTime applies (integration's hot path).
_EVENT_COLUMNS = [
    type_coerce(column, DateTime(timezone=True)).label("occurred_at") if column.name == "occurred_at" else column
    for column in Event.__table__.columns
]


def integrate(db: Session, *, batch: int = INTEGRATION_BATCH) -> int:
    """Integrate every numbered entry into the tree; returns the new tree size."""
    head = lock_head(db)
    reader = SqlNodeReader(db)
    while head.tree_size < head.next_index:
        size = head.tree_size
        connection = db.connection()
        events = connection.execute(
            select(*_EVENT_COLUMNS)
            .join(LedgerEntry.__table__, LedgerEntry.event_id == Event.id)
            .where(LedgerEntry.index >= size, LedgerEntry.index < size + batch)
            .order_by(LedgerEntry.index)
        ).all()
        hashes = [entry_leaf_hash(e) for e in events]
        if len(hashes) != min(batch, head.next_index - size):
            raise RuntimeError(f"ledger entries from {size} are not contiguous: the log is damaged")
        nodes = new_nodes(size, hashes, reader)
        _insert_nodes(connection, nodes)
        head.tree_size = size + len(hashes)
        db.flush()
    return head.tree_size
