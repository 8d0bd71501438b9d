"""The live opening hall under 1,000 watchers: time from an opening event to the last watcher's browser stream.

A real server (``ggzy serve``, one worker by default, the demo on embedded SQLite) and 1,000 Server-Sent-Events
clients on loopback (plain asyncio sockets, so the client side costs little), all watching the demo's open
re-tender. When all are subscribed (each has had the stream's first ``clock`` message), the host terminates the
tender through the API — a hall event (``tender.cancelled``) committed by the server itself, which wakes the hall's
one poll loop at once — and every client notes when its ``hall`` message arrives. Prints one JSON line: the API
call's own time, and the time from sending that call to the first, median and last watcher.

    .venv/bin/python bench/portal_sse.py [--clients 1000] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _quick import parse_args
from sqlalchemy import select

from ggzy.core.db import make_engine, unit_of_work
from ggzy.entities import login
from ggzy.entities.models import Entity, User
from ggzy.wiring import session_factory

GGZY = [sys.executable, "-m", "ggzy"]  # this interpreter's ggzy (a clone run with PYTHONPATH=src gets its own)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _agent_token(database_url: str) -> str:
    """A session for the demo's agent (as its certificate login would open)."""
    engine = make_engine(database_url)
    with unit_of_work(session_factory(engine)) as db:
        agent = db.scalar(select(Entity.id).where(Entity.name == "云南建诚招标代理有限公司"))
        user = db.scalar(select(User).where(User.entity_id == agent))
        assert user is not None
        token, _ = login.open_session(
            db, user, method="certificate", certificate_id=None, now=datetime.now(UTC), lifetime=timedelta(hours=1)
        )
    engine.dispose()
    return token


async def _watch(port: int, path: str, subscribed: asyncio.Event, counter: list[int], clients: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    seen_clock = False
    try:
        while True:
            line = await reader.readline()
            if not line:
                raise RuntimeError("stream closed")
            if not seen_clock and line.startswith(b"event: clock"):
                seen_clock = True
                counter[0] += 1
                if counter[0] == clients:
                    subscribed.set()
            elif line.startswith(b"event: hall"):
                return time.perf_counter()
    finally:
        writer.close()


async def _run(port: int, tender_id: int, token: str, clients: int) -> dict[str, float]:
    subscribed, counter = asyncio.Event(), [0]
    path = f"/openings/{tender_id}/events"
    started = time.perf_counter()
    watchers = [asyncio.create_task(_watch(port, path, subscribed, counter, clients)) for _ in range(clients)]
    await asyncio.wait_for(subscribed.wait(), timeout=120)
    connected = time.perf_counter() - started
    await asyncio.sleep(1.0)  # let the server settle
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        sent = time.perf_counter()
        response = await client.post(
            f"/api/v1/tenders/{tender_id}/cancel",
            json={"text": "基准测试：终止招标（实施条例第31条）"},
            headers={"authorization": f"Bearer {token}"},
        )
        answered = time.perf_counter()
    response.raise_for_status()
    arrivals = sorted(await asyncio.wait_for(asyncio.gather(*watchers), timeout=60))
    return {
        "connect_all_s": round(connected, 2),
        "api_call_ms": round((answered - sent) * 1000, 1),
        "event_to_first_ms": round((arrivals[0] - sent) * 1000, 1),
        "event_to_median_ms": round((statistics.median(arrivals) - sent) * 1000, 1),
        "event_to_last_ms": round((arrivals[-1] - sent) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=1, help="server workers: with 2, half the watchers learn of the event by poll"
    )
    args = parse_args(parser, clients=20)
    with tempfile.TemporaryDirectory() as directory:
        env = os.environ | {"GGZY_DATA_DIR": directory, "GGZY_DATABASE_URL": ""}
        report = json.loads(
            subprocess.run(
                [*GGZY, "demo", "--json"], env=env, check=True, capture_output=True, text=True
            ).stdout.splitlines()[-1]
        )
        tender_id = next(lot["tender_id"] for lot in report["lots"] if lot["round"] == 2)
        database_url = f"sqlite:///{Path(directory) / 'ggzy.db'}"
        token = _agent_token(database_url)
        port = _free_port()
        server = subprocess.Popen(
            [*GGZY, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(directory) / "serve.log", "w"),  # noqa: SIM115
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            try:
                figures = asyncio.run(_run(port, tender_id, token, args.clients))
            except Exception:
                sys.stderr.write((Path(directory) / "serve.log").read_text()[-3000:])
                raise
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(
        json.dumps(
            {
                "bench": "portal_sse",
                "clients": args.clients,
                "database": "sqlite",
                "server_workers": args.workers,
                **figures,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
