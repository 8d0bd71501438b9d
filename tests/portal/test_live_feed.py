"""The hall's fan-out (ggzy.portal.live_feed): one poll loop woken by commits, slow watchers dropped, not blocking."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ggzy.core.clock import FixedClock
from ggzy.portal import live_feed
from ggzy.portal.live import HallStream
from ggzy.portal.live_feed import QUEUE_LIMIT, HallEvent, LiveHub
from ggzy.wiring import session_factory
from tests.aio import run_async
from tests.browser.live_opening import LiveOpening
from tests.conftest import TEST_NOW


def _item(index: int, tender_id: int) -> HallEvent:
    return HallEvent(index, index, tender_id, "bid.decrypted", datetime(2026, 1, 1, tzinfo=UTC), {"bidder": "x"})


def test_a_watcher_too_far_behind_is_dropped_and_others_go_on(fresh_engine: Engine) -> None:
    hub = LiveHub(session_factory(fresh_engine))

    async def scenario() -> None:
        slow, other = await hub.subscribe(7), await hub.subscribe(8)
        hub.deliver([_item(i, 7) for i in range(QUEUE_LIMIT + 1)] + [_item(QUEUE_LIMIT + 1, 8)])
        assert hub.watchers == 1  # the slow one is gone; it reconnects with Last-Event-ID and catches up
        queued = [slow.queue.get_nowait() for _ in range(slow.queue.qsize())]
        assert queued[-1] is None
        assert [item.index for item in queued[:-1]] == list(range(QUEUE_LIMIT))
        assert other.queue.get_nowait().index == QUEUE_LIMIT + 1
        hub.unsubscribe(other)

    run_async(scenario())


@pytest.fixture(autouse=True)
def _channel_of_this_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL a NOTIFY reaches every listener of the database, and the test workers' fresh schemas share
    one: a commit in another worker's test would wake these tests' listeners. Each test here listens and notifies
    on a channel of its own (the code reads the channel's name when it listens and when it notifies)."""
    monkeypatch.setattr(live_feed, "NOTIFY_CHANNEL", f"ggzy_ledger_{uuid.uuid4().hex[:12]}")


def test_a_commit_in_this_process_wakes_the_one_loop_at_once(fresh_engine: Engine, gm_ca: Path) -> None:
    factory = session_factory(fresh_engine)
    live = LiveOpening(factory, gm_ca, [1_000_000, 2_000_000, 3_000_000]).prepare()
    hub = LiveHub(factory, poll=60)  # a poll alone would take a minute
    clock = FixedClock(TEST_NOW)

    async def scenario() -> float:
        watchers = [await hub.subscribe(live.tender_id) for _ in range(50)]
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        threading.Thread(target=live.start, args=(clock,)).start()  # the host's commit, in another thread
        first = await asyncio.wait_for(watchers[0].queue.get(), timeout=10)
        assert first is not None
        assert first.action == "opening.started"
        assert all(w.queue.get_nowait().index == first.index for w in watchers[1:])
        assert hub.polls <= 2  # one read served all fifty
        for watcher in watchers:
            hub.unsubscribe(watcher)
        return time.perf_counter() - started

    assert run_async(scenario()) < 5


def _postgresql_url(engine: Engine) -> str:
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite other processes' commits are seen by the poll")
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def test_on_postgresql_a_commit_that_numbers_events_notifies_other_processes(fresh_engine: Engine) -> None:
    import psycopg

    from ggzy.core.db import unit_of_work
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities import service

    with psycopg.connect(_postgresql_url(fresh_engine), autocommit=True) as other:
        other.execute(f"LISTEN {live_feed.NOTIFY_CHANNEL}")
        with unit_of_work(session_factory(fresh_engine)) as db:
            service.create_centre(db, SYSTEM, name="通知测试中心", region_code="530000", parent_id=None, now=TEST_NOW)
        assert len(list(other.notifies(timeout=5, stop_after=1))) == 1
        with unit_of_work(session_factory(fresh_engine), read_only=True) as db:
            db.execute(select(1))  # a commit that numbers nothing says nothing
        assert list(other.notifies(timeout=0.5)) == []


def test_on_postgresql_another_processs_notify_wakes_the_loop(fresh_engine: Engine) -> None:
    import psycopg

    url = _postgresql_url(fresh_engine)
    hub = LiveHub(session_factory(fresh_engine), poll=60)

    async def scenario() -> None:
        watcher = await hub.subscribe(1)
        await asyncio.sleep(1.0)  # the listener connects
        polls = hub.polls
        with psycopg.connect(url, autocommit=True) as other:
            other.execute(f"NOTIFY {live_feed.NOTIFY_CHANNEL}")
        for _ in range(100):
            if hub.polls > polls:
                break
            await asyncio.sleep(0.05)
        assert hub.polls > polls  # woken within 5 s, where the poll alone would take a minute
        hub.unsubscribe(watcher)

    run_async(scenario())


# --- one watcher's stream (ggzy.portal.live.HallStream): what a thousand of them cost is bench/auction.py's ---------


def test_the_keep_alive_is_one_beat_of_the_hub_to_every_watcher(fresh_engine: Engine) -> None:
    hub = LiveHub(session_factory(fresh_engine), poll=60, keep_alive=0.2)  # no commit, no poll: only the beat

    async def scenario() -> None:
        watchers = [await hub.subscribe(7), await hub.subscribe(8, "auction")]
        beats = [await asyncio.wait_for(w.queue.get(), timeout=5) for w in watchers]
        assert beats == [live_feed.BEAT, live_feed.BEAT]
        for watcher in watchers:
            hub.unsubscribe(watcher)

    run_async(scenario())


def _stream(hub: LiveHub, *, history: list[HallEvent], clock_each: bool) -> HallStream:
    return HallStream(
        hub, ("auction", 7), after=-1, language="zh", now=lambda: TEST_NOW, history=lambda _after: history,
        render=lambda item, _language: f"id: {item.index}\n\n".encode(), clock_each=clock_each,
    )  # fmt: skip


def test_a_stream_sends_the_history_then_each_live_event_once_with_the_clock_and_ends_when_the_watcher_goes(
    fresh_engine: Engine,
) -> None:
    hub = LiveHub(session_factory(fresh_engine), poll=60)
    sent: list[bytes] = []
    gone = asyncio.Event()

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            assert dict(message["headers"])[b"content-type"].startswith(b"text/event-stream")
            assert b"content-length" not in dict(message["headers"])  # a stream: chunked, never a length
        else:
            sent.append(message["body"])

    async def receive() -> dict:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def scenario() -> None:
        stream = _stream(hub, history=[_item(1, 7), _item(2, 7)], clock_each=True)
        running = asyncio.create_task(stream({"type": "http"}, receive, send))
        while hub.watchers == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the history is sent
        hub.deliver([HallEvent(2, 2, 7, "auction.bid_placed", TEST_NOW, {}, "auction")])  # in the history: not again
        hub.deliver([HallEvent(3, 3, 7, "auction.bid_placed", TEST_NOW, {}, "auction")])
        hub.deliver([HallEvent(4, 4, 8, "auction.bid_placed", TEST_NOW, {}, "auction")])  # another hall's
        await asyncio.sleep(0.05)
        gone.set()
        await asyncio.wait_for(running, timeout=5)

    run_async(scenario())
    assert hub.watchers == 0  # the watcher that went is gone from the hub
    assert sent[0].startswith(b"retry: ")
    clock = f"event: clock\ndata: {TEST_NOW.isoformat()}\n\n".encode()
    assert sent[1:] == [b"id: 1\n\n", b"id: 2\n\n", clock + b"id: 3\n\n"]  # the clock before live events only


def test_a_stream_whose_client_cannot_be_read_ends_and_leaves_no_watcher(fresh_engine: Engine) -> None:
    """Security review H1: a GET declaring a body beyond the limit is refused at its first read (the body limit's
    413); the stream must end there too, not write every later event and beat to no one for good."""
    hub = LiveHub(session_factory(fresh_engine), poll=60)

    async def send(message: dict) -> None:
        return None  # uvicorn: a send after the client left returns silently

    async def receive() -> dict:
        raise RuntimeError("413: the declared body is too large")

    async def scenario() -> None:
        stream = _stream(hub, history=[], clock_each=False)
        await asyncio.wait_for(stream({"type": "http"}, receive, send), timeout=5)

    run_async(scenario())
    assert hub.watchers == 0


def test_on_postgresql_an_idle_hub_lets_its_listen_connection_go(fresh_engine: Engine) -> None:
    """With no watcher left the LISTEN thread ends (within its 5-second look) and closes its connection: an idle hub
    holds none, and a database dropped after its last watcher is not called again and again."""
    _postgresql_url(fresh_engine)
    hub = LiveHub(session_factory(fresh_engine), poll=60)

    async def scenario() -> threading.Thread:
        watcher = await hub.subscribe(1)
        listener = hub._listener
        assert listener is not None
        assert listener.is_alive()
        hub.unsubscribe(watcher)
        return listener

    listener = run_async(scenario())
    listener.join(timeout=15)
    assert not listener.is_alive()
    assert hub._listener is None


def test_the_hub_writes_to_a_waiting_stream_at_once_and_a_full_socket_queues_the_rest_in_order(
    fresh_engine: Engine,
) -> None:
    """A caught-up stream is written to by the hub itself (no task woken per watcher); a write the socket cannot
    take at once (the server's flow control makes ``send`` wait) is finished by the stream's task, and the events
    that come meanwhile follow it in order, each once."""
    hub = LiveHub(session_factory(fresh_engine), poll=60)
    sent: list[bytes] = []
    writable = asyncio.Event()
    writable.set()
    gone = asyncio.Event()

    async def send(message: dict) -> None:  # as uvicorn's: waits while the transport is paused, then writes
        if not writable.is_set():
            await writable.wait()
        if message["type"] == "http.response.body":
            sent.append(message["body"])

    async def receive() -> dict:
        await gone.wait()
        return {"type": "http.disconnect"}

    def event(index: int) -> HallEvent:
        return HallEvent(index, index, 7, "auction.bid_placed", TEST_NOW, {}, "auction")

    async def scenario() -> None:
        stream = _stream(hub, history=[_item(1, 7)], clock_each=False)
        running = asyncio.create_task(stream({"type": "http"}, receive, send))
        while hub.watchers == 0 or len(sent) < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)  # the stream waits
        hub.deliver([event(2)])
        assert sent[-1] == b"id: 2\n\n"  # written by the hub, before any task ran
        writable.clear()  # the client stops reading
        hub.deliver([event(3)])
        hub.deliver([event(4), event(3), event(5)])
        await asyncio.sleep(0.05)
        assert sent[-1] == b"id: 2\n\n"  # nothing written past the full socket
        writable.set()
        await asyncio.sleep(0.05)
        assert sent[2:] == [b"id: 2\n\n", b"id: 3\n\n", b"id: 4\n\n", b"id: 5\n\n"]
        hub.deliver([event(6)])
        assert sent[-1] == b"id: 6\n\n"  # caught up again: written at once
        hub.beat()
        assert sent[-1] == f"event: clock\ndata: {TEST_NOW.isoformat()}\n\n".encode()
        gone.set()
        await asyncio.wait_for(running, timeout=5)

    run_async(scenario())
    assert hub.watchers == 0


def test_a_write_that_fails_ends_that_stream_only(fresh_engine: Engine) -> None:
    hub = LiveHub(session_factory(fresh_engine), poll=60)
    written: list[bytes] = []

    def sender(broken: bool) -> object:
        async def send(message: dict) -> None:
            if broken and b"id: 2" in message.get("body", b""):
                raise OSError("the socket is gone")
            if message["type"] == "http.response.body":
                written.append(message["body"])

        return send

    async def receive() -> dict:
        await asyncio.Event().wait()  # the client never says it left
        return {"type": "http.disconnect"}

    async def scenario() -> None:
        broken = asyncio.create_task(
            _stream(hub, history=[], clock_each=False)({"type": "http"}, receive, sender(True))
        )
        fine = asyncio.create_task(_stream(hub, history=[], clock_each=False)({"type": "http"}, receive, sender(False)))
        while hub.watchers < 2 or len(written) < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)
        hub.deliver([HallEvent(2, 2, 7, "auction.bid_placed", TEST_NOW, {}, "auction")])
        await asyncio.wait_for(broken, timeout=5)  # ended
        assert hub.watchers == 1
        assert written[-1] == b"id: 2\n\n"  # the other stream had it
        fine.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await fine

    run_async(scenario())
    assert hub.watchers == 0


def test_a_stream_cancelled_with_a_write_unfinished_leaves_no_coroutine_behind(fresh_engine: Engine) -> None:
    """Security review L1 (2026-12-05): the server cancels a stream (its shutdown) while the rest of a write waits in
    its queue: the rest is closed, not left to be collected as a coroutine never awaited."""
    import gc
    import warnings

    hub = LiveHub(session_factory(fresh_engine), poll=60)
    writable = asyncio.Event()
    writable.set()

    async def send(message: dict) -> None:
        if not writable.is_set():
            await writable.wait()

    async def receive() -> dict:
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def scenario() -> None:
        stream = _stream(hub, history=[], clock_each=False)
        running = asyncio.create_task(stream({"type": "http"}, receive, send))
        while getattr(stream, "_watcher", None) is None or stream._watcher.write is None:  # caught up, waiting
            await asyncio.sleep(0.01)
        writable.clear()
        hub.deliver([HallEvent(2, 2, 7, "auction.bid_placed", TEST_NOW, {}, "auction")])
        assert stream._watcher.queue.qsize() == 1  # the rest of the write
        running.cancel()  # before the stream's task ran again
        with contextlib.suppress(asyncio.CancelledError):
            await running

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_async(scenario())
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert hub.watchers == 0
