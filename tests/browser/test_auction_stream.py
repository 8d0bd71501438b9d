"""The auction hall's event stream over real HTTP (uvicorn), as any visitor reads it: every accepted bid by plate, in
the one writer's order, ids the ledger's indexes, resumed exactly after Last-Event-ID; a registration never."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import httpx

from ggzy.auctions import service, state
from ggzy.core.db import unit_of_work
from ggzy.entities.models import Entity
from tests.auctions.support import LISTING_START, START, STEP, bid, make_trade, paid_bidder
from tests.browser.conftest import Site
from tests.browser.test_live_stream import read_stream

DURING = LISTING_START + timedelta(days=1)


def _watch(url: str, *, when_connected: object, want: int) -> list[dict]:
    """Read the stream; once the notice (the history) came, start ``when_connected`` in a thread, so that the bids
    are committed while the watcher waits on the hub; stop after ``want`` hall events."""
    messages: list[dict] = []
    current: dict = {}
    writer: threading.Thread | None = None
    with httpx.Client(timeout=httpx.Timeout(30)) as client, client.stream("GET", url) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line:
                field, _, value = line.partition(": ")
                current[field] = current[field] + "\n" + value if field in current else value
                continue
            if current:
                messages.append(current)
            current = {}
            if writer is None and any(m.get("event") == "hall" for m in messages):
                writer = threading.Thread(target=when_connected, daemon=True)  # type: ignore[arg-type]
                writer.start()
            if len(_hall(messages)) >= want:
                break
    assert writer is not None
    writer.join(timeout=30)
    return messages


def _hall(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m.get("event") == "hall"]


def test_every_bid_reaches_the_watcher_in_order_by_plate_and_a_reconnect_resumes_exactly(site: Site) -> None:
    with unit_of_work(site.factory) as db:
        trade = make_trade(db)
        bidders = [paid_bidder(db, trade) for _ in range(2)]
        plates = [service.register_bidder(db, b, auction_id=trade.auction.id, now=DURING).plate for b in bidders]
        names = [e.name for e in (db.get(Entity, b.entity_id) for b in bidders) if e is not None]
        auction_id = trade.auction.id
    url = f"{site.url}/auctions/{auction_id}/events?lang=zh"

    def bids_later() -> None:  # committed while the watcher is connected: delivered by the hub
        for number in range(6):
            with unit_of_work(site.factory) as db:
                trade.auction = state.get_auction(db, auction_id)
                bid(db, trade, bidders[number % 2], START + number * STEP, DURING + timedelta(minutes=number))

    messages = _watch(url, when_connected=bids_later, want=7)  # the notice, then six bids
    hall = _hall(messages)
    assert len(hall) == 7
    ids = [int(m["id"]) for m in hall]
    assert ids == sorted(ids)
    assert len(set(ids)) == 7
    sequences = [int(s) for m in hall for s in re.findall(r'data-sequence="(\d+)"', m["data"])]
    assert sequences == [1, 2, 3, 4, 5, 6]  # none lost, none reordered
    text = "\n".join(m.get("data", "") for m in messages)
    assert plates[0] in text
    assert plates[1] in text
    for name in names:  # 网络司法拍卖规定 第十八条: the identity kept secret, the plate only
        assert name not in text
    assert "bidder_registered" not in text
    # the server's time comes before every event: the countdown is resynchronised with each bid
    kinds = [m.get("event") for m in messages]
    assert all(kinds[i - 1] == "clock" for i, kind in enumerate(kinds) if kind == "hall" and i > 1), kinds

    resumed = _hall(read_stream(url, headers={"Last-Event-ID": str(ids[3])}, quiet=1.0))
    assert [int(m["id"]) for m in resumed] == ids[4:]
