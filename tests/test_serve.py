"""``ggzy serve`` as an operator starts it, in its own process on a free port: an empty production database gets no
demo — no administrator with a published password, no CA whose key sits in the data directory — and the operator is
told how to create the first administrator; ``--demo`` (``make run``) loads the demo, which says so from then on,
across restarts. Uploads a crash left staged are settled before the first request is answered."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import ggzy
from ggzy.core.events import Event
from ggzy.core.instance import DEMO_LOADED
from ggzy.entities.models import Centre, TrustAnchor, User
from ggzy.storage import MIB, LocalBlobStore

SOURCES = Path(ggzy.__file__).resolve().parents[1]  # this checkout's ggzy, for the server's process
START_TIMEOUT = 180  # seconds: loading the demo runs its whole tender story


@dataclass
class Server:
    url: str
    output: Path


@contextmanager
def _serving(database_url: str, data_dir: Path, *options: str) -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output = data_dir.parent / f"serve-{port}.log"
    environment = os.environ | {
        "GGZY_DATABASE_URL": database_url,
        "GGZY_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCES), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "200",
    }
    command = [sys.executable, "-m", "ggzy", "serve", "--host", "127.0.0.1", "--port", str(port), *options]
    with output.open("w") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir.parent)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise AssertionError(f"ggzy serve exited with {process.returncode}:\n{output.read_text()}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"ggzy serve did not answer in {START_TIMEOUT} s:\n{output.read_text()}")
            time.sleep(0.2)
        yield Server(url=url, output=output)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def _aged(path: Path, *, hours: float) -> None:
    then = (datetime.now(UTC) - timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def test_serve_on_an_empty_database_loads_no_demo_trusts_no_ca_and_says_how_to_create_the_first_administrator(
    fresh_engine: Engine, fresh_database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    # A crash left an upload staged that no committed row refers to, two days ago.
    store = LocalBlobStore(data_dir / "blobs")
    leftover = store.stage(b"staged by a request that died before its rollback", max_bytes=MIB)
    staged_file = data_dir / "blobs" / "staged" / leftover.key
    _aged(staged_file, hours=48)

    with _serving(fresh_database_url, data_dir) as server:
        # the first answer comes after the start-up recovery: the leftover is gone already
        assert not staged_file.exists()
        health = httpx.get(f"{server.url}/api/v1/health").json()
        home = httpx.get(f"{server.url}/").text

    assert health["demo"] is False
    assert "demo-banner" not in home
    assert "演示环境" not in home
    assert _count(fresh_engine, User) == 0  # no admin / ggzy-demo-2026
    assert _count(fresh_engine, TrustAnchor) == 0  # the trust store is empty: no demo CA
    assert _count(fresh_engine, Centre) == 0
    assert not (data_dir / "demo").exists()  # no CA private keys written
    with Session(fresh_engine) as db:
        assert db.scalar(select(Event.id).where(Event.action == DEMO_LOADED)) is None
    assert "ggzy admin create --username NAME" in server.output.read_text()


def test_serve_with_demo_loads_it_and_the_instance_says_it_is_a_demo_across_restarts(
    fresh_engine: Engine, fresh_database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    with _serving(fresh_database_url, data_dir, "--demo") as server:
        health = httpx.get(f"{server.url}/api/v1/health").json()
        home = httpx.get(f"{server.url}/").text

    assert health["demo"] is True
    assert "演示环境" in home
    assert _count(fresh_engine, TrustAnchor) == 2  # the two demo CAs, their keys under var/demo
    with Session(fresh_engine) as db:
        assert db.scalar(select(User.id).where(User.username == "admin")) is not None
    assert "no platform administrator" not in server.output.read_text()

    # Restarted without --demo (another process, the same database): still a demo, and says so.
    with _serving(fresh_database_url, data_dir) as server:
        health = httpx.get(f"{server.url}/api/v1/health").json()
        english = httpx.get(f"{server.url}/notices?lang=en").text
    assert health["demo"] is True
    assert "Demo instance" in english
    assert "passwords are public" in english
