"""The hall's event stream over real HTTP (uvicorn): ids are ledger indexes, a reconnect resumes exactly, nothing
is said before the deadline, and every watcher shares one poll loop."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.ledger.models import LedgerEntry
from ggzy.portal.live_feed import HALL_ACTIONS
from tests.browser.conftest import Site
from tests.browser.live_opening import LiveOpening

PRICES = [77_000_000, 75_500_000, 79_900_000]


def read_stream(url: str, *, headers: dict[str, str] | None = None, want: int = 0, quiet: float = 1.5) -> list[dict]:
    """The messages of an event stream until ``want`` hall events came, or nothing came for ``quiet`` seconds after
    the first message (the first may take longer on a loaded machine)."""
    lines: queue.Queue[str | None] = queue.Queue()
    client = httpx.Client(timeout=httpx.Timeout(30))
    seen: dict[str, object] = {}

    def read() -> None:
        try:
            with client.stream("GET", url, headers=headers or {}) as response:
                seen.update(status=response.status_code, type=response.headers["content-type"])
                for line in response.iter_lines():
                    lines.put(line)
        except httpx.HTTPError:
            pass  # closed by the test when it has read enough
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    messages: list[dict] = []
    current: dict = {}
    hall = 0
    try:
        while True:
            try:
                line = lines.get(timeout=quiet if messages else 20)
            except queue.Empty:
                break
            if line is None:
                break
            if line == "":
                if current:
                    messages.append(current)
                    hall += current.get("event") == "hall"
                current = {}
                if want and hall >= want:
                    break
                continue
            field, _, value = line.partition(": ")
            current[field] = current[field] + "\n" + value if field in current else value
    finally:
        client.close()
    assert seen["status"] == 200
    assert str(seen["type"]).startswith("text/event-stream")
    return messages


def _hall(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m.get("event") == "hall"]


@pytest.fixture
def live(site: Site, gm_ca: Path) -> LiveOpening:
    return LiveOpening(site.factory, gm_ca, PRICES).prepare()


def test_before_the_deadline_the_stream_says_nothing_about_bidders_招标投标法第22条(
    site: Site, live: LiveOpening
) -> None:
    messages = read_stream(f"{site.url}/openings/{live.tender_id}/events?lang=zh")
    assert [m["event"] for m in messages] == ["clock"]  # the server time for the countdown, nothing else
    text = repr(messages)
    for name in live.bidder_names:
        assert name not in text
    assert "bids" not in text


def test_ids_are_ledger_indexes_and_a_reconnect_resumes_without_loss_or_repeat(site: Site, live: LiveOpening) -> None:
    site.clock.set(live.deadline - time_delta_seconds(5))
    live.start(site.clock)
    for number in range(len(PRICES)):
        live.decrypt(number, site.clock)
    live.finish(site.clock)
    url = f"{site.url}/openings/{live.tender_id}/events"
    everything = _hall(read_stream(url, want=5))
    with unit_of_work(site.factory, read_only=True) as db:
        indexes = list(
            db.scalars(
                select(LedgerEntry.index)
                .join(Event, Event.id == LedgerEntry.event_id)
                .where(Event.subject_type == "tender", Event.subject_id == str(live.tender_id))
                .where(Event.action.in_(HALL_ACTIONS))
                .order_by(LedgerEntry.index)
            )
        )
    assert [int(m["id"]) for m in everything] == indexes
    assert len(indexes) == 5  # started, three decryptions, the record
    resumed = _hall(read_stream(url, headers={"Last-Event-ID": str(indexes[2])}))
    assert [int(m["id"]) for m in resumed] == indexes[3:]
    assert resumed == everything[3:]
    assert _hall(read_stream(f"{url}?after={indexes[-1]}")) == []


def test_watchers_share_one_poll_loop_and_all_see_a_new_line(site: Site, live: LiveOpening) -> None:
    site.clock.set(live.deadline - time_delta_seconds(5))
    url = f"{site.url}/openings/{live.tender_id}/events?lang=en"
    results: list[list[dict]] = []

    def watch() -> None:
        results.append(_hall(read_stream(url, want=1, quiet=8)))

    watchers = [threading.Thread(target=watch) for _ in range(20)]
    for thread in watchers:
        thread.start()
    hub = None
    for _ in range(200):
        hub = getattr(site.app.state, "live_hub", None)
        if hub is not None and hub.watchers >= 20:
            break
        time.sleep(0.05)
    assert hub is not None
    assert hub.watchers >= 20
    polls = hub.polls
    live.start(site.clock)
    for thread in watchers:
        thread.join(timeout=15)
    assert len(results) == 20
    assert all(len(r) == 1 and "The opening has started: 3 bids" in r[0]["data"] for r in results)
    # one loop for all: a handful of reads of the database, not one per watcher
    assert hub.polls - polls < 20


def time_delta_seconds(seconds: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(seconds=seconds)
