"""The live halls' feed: the ledger's opening and auction events, fanned out to every watcher from one poll per process.

A hall shows exactly what the public ledger holds (``ggzy.publishing.feed``): disclosed events of a tender's
opening (the opening hall, ``ggzy.portal.live``) or of an auction (the auction hall, ``ggzy.portal.auction_hall``),
in ledger-index order. The ledger index is the SSE ``id``: indexes are given at commit, in commit order and
without gaps, so a watcher that resumes after index N (``Last-Event-ID``) can never miss a line that committed late
nor see one twice.

Cheap for a thousand watchers: one :class:`LiveHub` per process runs ONE poll loop for every hall of both kinds (reading
the ledger head, then the new hall events past its cursor) and hands each new event to the watchers of its subject (a
tender or an auction): written at once to the socket of each watcher that waits for it, queued for one whose last write
is still under way (a client reading slowly). A commit in this process wakes the loop at once (an ``after_commit``
listener that ``ggzy.wiring`` installs on every session factory); on PostgreSQL a commit that numbers events also sends
``NOTIFY ggzy_ledger``, which wakes the hubs of the other processes (a second worker, the CLI) at once too; on SQLite
they see it at the next poll. A watcher that falls too far behind is dropped: its browser reconnects with its
``Last-Event-ID`` and catches up from the database, losing nothing.

Before the bid deadline there is nothing to show: the tender's opening events only exist after it, and the sealed
events (registrations, bids) are never read here — they are undisclosed, as in the public ledger (招标投标法 第22条).
An auction's registration is undisclosed too (网络司法拍卖规定 第十八条: the bidder known by its plate, its identity
kept secret), and its requests for timed bidding, which name plates that may never bid and count them, are not read
out: the auction hall shows bids by plate only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, event, or_, text
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.ledger.sequencer import NUMBERED_KEY
from ggzy.ledger.service import numbered_count, numbered_events

logger = logging.getLogger(__name__)

# What the hall reads out, all disclosed events of the tender (subject "tender:<id>") recorded from the opening on;
# a cancellation ends the hall's wait.
HALL_ACTIONS = (
    "opening.started",
    "bid.decrypted",
    "opening.share_released",
    "bid.opened_by_custodians",
    "opening.objection_raised",
    "opening.objection_answered",
    "opening.recorded",
    "tender.cancelled",
)
# What the auction hall reads out (subject "auction:<id>"): the notice, every accepted bid, a suspension with its
# published reason and the resumption (the countdowns move: the page asks for the new end), the reserve opened at
# the end, the result. Never the registrations nor the timed-bidding requests (undisclosed: plates and a count).
AUCTION_HALL_ACTIONS = (
    "auction.published",
    "auction.bid_placed",
    "auction.suspended",
    "auction.resumed",
    "auction.reserve_opened",
    "auction.closed",
)
# Each kind of hall: the subject type its events are recorded under, and the actions it reads out.
HALLS: dict[str, tuple[str, ...]] = {"tender": HALL_ACTIONS, "auction": AUCTION_HALL_ACTIONS}
POLL_SECONDS = 0.5  # commits by other processes are seen within this
KEEP_ALIVE_SECONDS = 15.0  # a beat to every watcher this often: keeps proxies open, resyncs the countdowns
QUEUE_LIMIT = 1000  # a watcher this far behind is dropped and catches up on reconnect
FRAME_CACHE = 4096
NOTIFY_CHANNEL = "ggzy_ledger"  # PostgreSQL: a commit that numbered ledger entries
_NOTIFIED_KEY = "ggzy.live.notified"


Topic = tuple[str, int]  # what a watcher watches: (subject type, id), e.g. ("auction", 7)


@dataclass(frozen=True, slots=True)
class HallEvent:
    index: int  # the ledger index: the SSE id
    event_id: int
    subject_id: int  # the tender's id, or the auction's
    action: str
    time: datetime
    payload: dict[str, Any]
    subject_type: str = "tender"

    @property
    def tender_id(self) -> int:
        return self.subject_id

    @property
    def topic(self) -> Topic:
        return (self.subject_type, self.subject_id)


def hall_events(
    db: Session,
    *,
    after: int,
    before: int | None = None,
    tender_id: int | None = None,
    auction_id: int | None = None,
) -> list[HallEvent]:
    """Disclosed hall events with a ledger index in (``after``, ``before``): of one tender, of one auction, or of
    every hall (the hub's poll)."""
    if tender_id is not None:
        where = [_hall_of("tender"), Event.subject_id == str(tender_id)]
    elif auction_id is not None:
        where = [_hall_of("auction"), Event.subject_id == str(auction_id)]
    else:
        where = [or_(*(_hall_of(kind) for kind in HALLS))]
    return [
        HallEvent(
            index=index,
            event_id=event.id,
            subject_id=int(event.subject_id),
            action=event.action,
            time=event.occurred_at,
            payload=json.loads(event.payload),
            subject_type=event.subject_type,
        )
        for index, event in numbered_events(db, after=after, before=before, where=[Event.disclosed.is_(True), *where])
    ]


def _hall_of(subject_type: str) -> Any:
    return and_(Event.subject_type == subject_type, Event.action.in_(HALLS[subject_type]))


def numbered(db: Session) -> int:
    """How many ledger entries are numbered (the next index)."""
    return numbered_count(db)


class Beat:
    """In a watcher's queue: no event, but time to say the server's clock (every :data:`KEEP_ALIVE_SECONDS`)."""


BEAT = Beat()


Item = HallEvent | Beat


@dataclass(eq=False)
class Watcher:
    """One watcher: the events of its hall reach it through ``write`` while it has one (its stream waits for nothing
    else: the hub writes to it at once), else through ``queue``. In the queue, ``None`` means: dropped (or gone), end
    the stream; :data:`BEAT`: the keep-alive; an awaitable: a write to finish before the next."""

    topic: Topic
    queue: asyncio.Queue[Item | Awaitable[None] | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT + 1))
    write: Callable[[Item], None] | None = None


_hubs: weakref.WeakSet[LiveHub] = weakref.WeakSet()


class LiveHub:
    """One poll loop per process, shared by every watcher of every hall."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        poll: float = POLL_SECONDS,
        keep_alive: float = KEEP_ALIVE_SECONDS,
    ) -> None:
        self._factory = session_factory
        self._poll = poll
        self._keep_alive = keep_alive
        self._watchers: dict[Topic, set[Watcher]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting: asyncio.Lock | None = None
        self._listener: threading.Thread | None = None
        self._cursor = -1
        self._frames: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        self.polls = 0  # for tests and the benchmark: the loop's reads of the database
        _hubs.add(self)

    @property
    def watchers(self) -> int:
        return sum(len(group) for group in self._watchers.values())

    def frame(self, item: HallEvent, language: str, render: Callable[[HallEvent, str], bytes]) -> bytes:
        """The SSE message of ``item`` in ``language`` as its hall's ``render`` makes it, rendered once for all
        watchers (a ledger index is one event: one hall's)."""
        key = (item.index, language)
        cached = self._frames.get(key)
        if cached is None:
            cached = self._frames[key] = render(item, language)
            if len(self._frames) > FRAME_CACHE:
                self._frames.popitem(last=False)
        return cached

    async def subscribe(self, subject_id: int, subject_type: str = "tender") -> Watcher:
        """Start watching the hall of ``subject_type`` ``subject_id`` (call from the event loop); events committed
        from now on reach the queue."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._starting is None:  # a new event loop (tests): begin afresh on it
            self._loop, self._wake, self._task, self._watchers = loop, asyncio.Event(), None, {}
            self._starting = asyncio.Lock()
        watcher = Watcher((subject_type, subject_id))
        self._watchers.setdefault(watcher.topic, set()).add(watcher)
        try:
            async with self._starting:  # one loop, even when the first watchers arrive together
                if self._task is None or self._task.done():
                    # The head is read before the watcher reads its history: every event is in one or the other.
                    self._cursor = await asyncio.to_thread(self._read_head)
                    self._task = loop.create_task(self._run(), name="ggzy-live-hub")
                self._listen_to_other_processes()  # (again if its thread ended, its last watcher gone meanwhile)
        except BaseException:  # the client left (cancelled) or the database failed: no watcher left behind
            self.unsubscribe(watcher)
            raise
        return watcher

    def unsubscribe(self, watcher: Watcher) -> None:
        group = self._watchers.get(watcher.topic)
        if group is not None:
            group.discard(watcher)
            if not group:
                del self._watchers[watcher.topic]

    def wake(self) -> None:
        """A commit numbered events: poll now (safe from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(wake.set)

    def _listen_to_other_processes(self) -> None:
        """On PostgreSQL, one thread per hub LISTENs for other processes' commits and wakes the loop."""
        engine = self._factory.kw.get("bind")
        if self._listener is not None or not isinstance(engine, Engine) or engine.dialect.name != "postgresql":
            return
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener = threading.Thread(target=self._listen, args=(conninfo,), name="ggzy-live-listen", daemon=True)
        self._listener.start()

    def _listen(self, conninfo: str) -> None:
        """LISTEN while the hub has watchers; with none left (looked at every 5 s) the thread ends and its connection
        closes — the next first watcher starts another (an idle hub holds no connection, and a database gone with
        its last watcher is not called again and again)."""
        import psycopg

        try:
            while self._watchers:
                try:
                    with psycopg.connect(conninfo, autocommit=True) as connection:
                        connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                        while self._watchers:
                            for _ in connection.notifies(timeout=5.0):
                                self.wake()
                except Exception:
                    if not self._watchers:
                        return
                    logger.exception("the live hall lost its LISTEN connection; polling until it is back")
                    threading.Event().wait(5.0)
        finally:
            self._listener = None

    def _read_head(self) -> int:
        with unit_of_work(self._factory, read_only=True) as db:
            return numbered(db) - 1

    def _read_new(self, cursor: int) -> tuple[int, list[HallEvent]]:
        """New hall events past ``cursor`` up to the head read first: every entry below it has committed (the head
        moves in the same transaction as its entries), so the next read starts exactly where this one stopped."""
        with unit_of_work(self._factory, read_only=True) as db:
            head = numbered(db)
            if head - 1 <= cursor:
                return cursor, []
            return head - 1, hall_events(db, after=cursor, before=head)

    async def _run(self) -> None:
        assert self._wake is not None
        assert self._loop is not None
        wake, loop = self._wake, self._loop
        beat = loop.time() + self._keep_alive
        while self._watchers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=min(self._poll, max(0.0, beat - loop.time())))
            wake.clear()
            try:
                if loop.time() >= beat:  # one timer for every watcher, not one per watcher
                    beat = loop.time() + self._keep_alive
                    self.beat()
                self._cursor, items = await asyncio.to_thread(self._read_new, self._cursor)
                self.polls += 1
                self.deliver(items)
            except Exception:  # the loop never dies with watchers waiting (security review L1)
                logger.exception("the live hall could not read or hand over the ledger's events; retrying")

    def beat(self) -> None:
        """The keep-alive to every watcher (one not reading its queue is not waited for: it is dropped later)."""
        for group in list(self._watchers.values()):
            for watcher in list(group):
                if watcher.write is not None:
                    watcher.write(BEAT)
                elif watcher.queue.qsize() < QUEUE_LIMIT:
                    watcher.queue.put_nowait(BEAT)

    def deliver(self, items: list[HallEvent]) -> None:
        """Hand each event to its hall's watchers: written at once to a watcher waiting for it, else queued; one too
        far behind is dropped (``None``) to catch up later."""
        for item in items:
            for watcher in list(self._watchers.get(item.topic, ())):
                if watcher.write is not None:
                    watcher.write(item)
                elif watcher.queue.qsize() >= QUEUE_LIMIT:
                    self.unsubscribe(watcher)
                    with contextlib.suppress(asyncio.QueueFull):  # full: it ends with a None already
                        watcher.queue.put_nowait(None)
                else:
                    watcher.queue.put_nowait(item)


def install_wake_up(factory: sessionmaker[Session]) -> None:
    """Wake this process's hubs after, and (PostgreSQL) notify other processes' at, each commit of ``factory``'s
    sessions that numbered ledger entries (called once per factory by ``ggzy.wiring.session_factory``, after the
    ledger's numbering; decision 0018)."""
    event.listen(factory, "before_commit", _notify_other_processes)
    event.listen(factory, "after_commit", _wake_hubs)


def _wake_hubs(session: Session) -> None:
    if session.info.get(NUMBERED_KEY):
        for hub in list(_hubs):
            hub.wake()


def _notify_other_processes(session: Session) -> None:
    """PostgreSQL: tell other processes' hubs that this commit numbers ledger entries (delivered at commit, not at
    all on rollback). Runs after the sequencer numbered them (``install_numbering`` puts its listener first)."""
    numbered = session.info.get(NUMBERED_KEY)
    if not numbered or session.info.get(_NOTIFIED_KEY) == len(numbered):
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    session.info[_NOTIFIED_KEY] = len(numbered)
    session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
