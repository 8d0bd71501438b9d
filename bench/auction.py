"""One auction under load: N bidders bidding as fast as the rules allow for D seconds, W watchers on its live hall.

Set-up (not timed): a fresh SQLite database in a temporary directory (or, with ``--pg``, a PostgreSQL database of
its own), migrated; through the services (the test
factories, as bench/refunds.py does): a published listing (挂牌) of a land use right whose deposit round is a
project of trade type 其他, N bidders each with its deposit paid, registered for a plate and logged in (a bearer
token). The server's clock is shifted so that the listing is in its bidding phase (挂牌期) while the bench runs.

Then uvicorn serves ``serve_app`` as ``ggzy serve`` does (through :func:`shifted_app`, one worker, or ``--workers
N``: each its own hub, woken by PostgreSQL's NOTIFY at another worker's commit) on a free loopback port. W SSE clients
(bare asyncio protocols, cheap: no task per watcher) watch ``/auctions/{id}/events``; once all have their first
message, C bidding loops
(``--concurrency``, each on its own keep-alive connection, each bid by the next of the N bidders' tokens) POST to
``/api/v1/auctions/{id}/bids`` at the lowest acceptable amount they know (a refusal ``auction_bid_too_low`` tells
them the new minimum: "as fast as the rules allow") for D seconds. Measured: accepted bids per second; for each
accepted bid, the time from sending its request to its event reaching the LAST of the W watchers (p50, p99), and
on the way its API answer (p50, p99) and the first watcher (p50);
``lost`` = (accepted bid, watcher) pairs that never arrived (the watchers are given 10 s after the end); ``reordered``
= messages a watcher received with a sequence not above the last it saw. Prints one JSON line.

    .venv/bin/python bench/auction.py [--bidders 1000] [--seconds 60] [--watchers 1000] [--concurrency 16]
        [--workers 2 --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.*: the service-driven scene
from _quick import parse_args

SEQUENCE = re.compile(rb'data-sequence="(\d+)"')
DURING_OFFSET_ENV = "GGZY_BENCH_CLOCK_AT"  # the server's "now" at its start (ISO), then ticking with the real clock


class ShiftedClock:
    """The real clock moved to a moment of the scenario: time passes at the real pace from it."""

    def __init__(self, at: datetime) -> None:
        self._offset = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def shifted_app() -> Any:
    """The app as ``ggzy serve`` makes it (settings from the environment), its clock moved (uvicorn ``--factory``)."""
    from ggzy.app import serve_app

    return serve_app(clock=ShiftedClock(datetime.fromisoformat(os.environ[DURING_OFFSET_ENV])))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scene(database_url: str, bidders: int) -> tuple[int, list[str], datetime]:
    from tests.auctions.support import LISTING_START, make_trade, paid_bidder

    from ggzy.auctions import service, state
    from ggzy.core.db import make_engine, unit_of_work
    from ggzy.core.migrate import upgrade
    from ggzy.entities import login
    from ggzy.entities.models import User
    from ggzy.wiring import session_factory

    during = LISTING_START + timedelta(days=1)
    engine = make_engine(database_url)
    upgrade(engine)
    factory = session_factory(engine)
    tokens: list[str] = []
    with unit_of_work(factory) as db:
        trade = make_trade(db)
        auction_id = trade.auction.id
    for start in range(0, bidders, 200):
        with unit_of_work(factory) as db:
            trade.auction = state.get_auction(db, auction_id)
            for _ in range(min(200, bidders - start)):
                bidder = paid_bidder(db, trade)
                service.register_bidder(db, bidder, auction_id=auction_id, now=during)
                user = db.get(User, bidder.user_id)
                assert user is not None
                token, _ = login.open_session(
                    db, user, method="password", certificate_id=None, now=during, lifetime=timedelta(days=30)
                )
                tokens.append(token)
    engine.dispose()
    return auction_id, tokens, during


class Watchers:
    def __init__(self, count: int) -> None:
        self.count = count
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.arrivals: dict[int, list[float]] = {}  # sequence → arrival times (one per watcher)
        self.reordered = 0

    async def watch(self, port: int, path: str) -> asyncio.Transport:
        """One watcher: a bare protocol (no task, no stream reader: its bytes are read as the socket has them), so
        that the client's own work, on the same cores as the server's, stays small."""
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(lambda: _Watch(self, request), "127.0.0.1", port)
        return transport


class _Watch(asyncio.Protocol):
    def __init__(self, watchers: Watchers, request: bytes) -> None:
        self.watchers, self.request = watchers, request
        self.last, self.tail, self.first = 0, b"", True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.request)

    def data_received(self, chunk: bytes) -> None:
        now = time.perf_counter()
        watchers = self.watchers
        if self.first:
            self.first = False
            watchers.connected += 1
            if watchers.connected == watchers.count:
                watchers.all_connected.set()
        data = self.tail + chunk
        cut = data.rfind(b"\n\n")  # whole messages only; the rest waits for the next chunk
        whole, self.tail = (data[: cut + 2], data[cut + 2 :]) if cut >= 0 else (b"", data)
        for found in SEQUENCE.finditer(whole):
            sequence = int(found.group(1))
            if sequence <= self.last:
                watchers.reordered += 1
            self.last = max(self.last, sequence)
            watchers.arrivals.setdefault(sequence, []).append(now)


async def _bid_loop(
    port: int, auction_id: int, tokens: list[str], offset: int, step: int, until: float, state: dict[str, Any]
) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        turn = offset
        while time.perf_counter() < until:
            token = tokens[turn % len(tokens)]
            turn += step
            amount = state["minimum"]
            sent = time.perf_counter()
            response = await client.post(
                f"/api/v1/auctions/{auction_id}/bids",
                json={"amount_fen": amount, "client_bid_id": uuid.uuid4().hex},
                headers={"authorization": f"Bearer {token}"},
            )
            if response.status_code == 201:
                body = response.json()
                state["sent"][body["sequence"]] = sent
                state["answered"][body["sequence"]] = time.perf_counter()
                state["minimum"] = max(state["minimum"], amount + state["increment"])
            else:
                problem = response.json()
                if problem.get("code") != "auction_bid_too_low":
                    state["errors"] += 1
                    continue
                state["too_low"] += 1
                state["minimum"] = max(state["minimum"], int(problem["minimum_fen"]))


async def _run(port: int, auction_id: int, tokens: list[str], args: argparse.Namespace) -> dict[str, Any]:
    from tests.auctions.support import START, STEP

    watchers = Watchers(args.watchers)
    path = f"/auctions/{auction_id}/events"
    started = time.perf_counter()
    transports = await asyncio.gather(*(watchers.watch(port, path) for _ in range(args.watchers)))
    await asyncio.wait_for(watchers.all_connected.wait(), timeout=180)
    connect_s = time.perf_counter() - started
    await asyncio.sleep(1.0)
    state: dict[str, Any] = {
        "minimum": START, "increment": STEP, "sent": {}, "answered": {}, "too_low": 0, "errors": 0
    }  # fmt: skip
    begin = time.perf_counter()
    until = begin + args.seconds
    loops = [
        _bid_loop(port, auction_id, tokens, offset, args.concurrency, until, state)
        for offset in range(args.concurrency)
    ]
    await asyncio.gather(*loops)
    elapsed = time.perf_counter() - begin
    accepted = len(state["sent"])
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        if all(len(watchers.arrivals.get(sequence, ())) >= args.watchers for sequence in state["sent"]):
            break
        await asyncio.sleep(0.2)
    for transport in transports:
        transport.close()
    delivered = {
        sequence: sent
        for sequence, sent in state["sent"].items()
        if len(watchers.arrivals.get(sequence, ())) >= args.watchers
    }
    latencies = sorted((max(watchers.arrivals[sequence]) - sent) * 1000 for sequence, sent in delivered.items())
    firsts = sorted((min(watchers.arrivals[sequence]) - sent) * 1000 for sequence, sent in delivered.items())
    answers = sorted((state["answered"][sequence] - sent) * 1000 for sequence, sent in state["sent"].items())
    lost = sum(args.watchers - len(watchers.arrivals.get(sequence, ())) for sequence in state["sent"])
    return {
        "connect_all_s": round(connect_s, 2),
        "accepted": accepted,
        "accepted_per_s": round(accepted / elapsed, 1),
        "refused_too_low": state["too_low"],
        "errors": state["errors"],
        "answer_p50_ms": _percentile(answers, 0.5),
        "answer_p99_ms": _percentile(answers, 0.99),
        "to_first_watcher_p50_ms": _percentile(firsts, 0.5),
        "to_all_watchers_p50_ms": _percentile(latencies, 0.5),
        "to_all_watchers_p99_ms": _percentile(latencies, 0.99),
        "lost": lost,
        "reordered": watchers.reordered,
        "sequences_gapless": sorted(state["sent"]) == list(range(1, accepted + 1)),
    }


@contextlib.contextmanager
def _database(pg: str | None, directory: str) -> Iterator[str]:
    """The run's database: SQLite in ``directory``, or a PostgreSQL database of its own on ``pg`` (dropped after)."""
    if pg is None:
        yield f"sqlite:///{Path(directory) / 'ggzy.db'}"
        return
    import psycopg

    name = f"bench_auction_{uuid.uuid4().hex[:8]}"
    server = make_url(pg).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield make_url(pg).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _percentile(ordered: list[float], fraction: float) -> float | None:
    return round(ordered[int(fraction * (len(ordered) - 1))], 1) if ordered else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bidders", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16, help="bidding loops at once (keep-alive connections)")
    parser.add_argument("--workers", type=int, default=1, help="server processes, each with its own hub (use --pg)")
    parser.add_argument(
        "--pg", default=None, help="a PostgreSQL server (postgresql+psycopg://postgres@127.0.0.1:5432/postgres): a "
        "database of the run's own is made there and dropped; its commits' NOTIFY wake every worker's hub at once",
    )  # fmt: skip
    args = parse_args(parser, bidders=10, seconds=3, watchers=20, concurrency=4)
    with tempfile.TemporaryDirectory() as directory, _database(args.pg, directory) as database_url:
        setup_started = time.perf_counter()
        auction_id, tokens, during = _scene(database_url, args.bidders)
        setup_s = time.perf_counter() - setup_started
        port = _free_port()
        env = os.environ | {
            "GGZY_DATA_DIR": directory,
            "GGZY_DATABASE_URL": database_url,
            DURING_OFFSET_ENV: during.isoformat(),
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")]),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "auction:shifted_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(args.workers), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(Path(directory) / "serve.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            try:
                figures = asyncio.run(_run(port, auction_id, tokens, args))
            except Exception:
                sys.stderr.write((Path(directory) / "serve.log").read_text()[-3000:])
                raise
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(
        json.dumps(
            {
                "bench": "auction",
                "bidders": args.bidders,
                "watchers": args.watchers,
                "seconds": args.seconds,
                "concurrency": args.concurrency,
                "database": "postgresql" if args.pg else "sqlite",
                "server_workers": args.workers,
                "setup_s": round(setup_s, 1),
                **figures,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
