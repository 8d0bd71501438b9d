"""``ggzy serve`` as an operator starts it, in its own process on a free port: an empty production database gets no
demo — no administrator with a published password, no CA whose key sits in the data directory — and the operator is
told how to create the first administrator; ``--demo`` (``make run``) loads the demo, which says so from then on,
across restarts. A demo loaded before demo instances were marked is recognised and marked at start; the demo is
never loaded into a database that holds users, trust anchors or events. Uploads a crash left staged are settled
before the first request is answered."""

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
from ggzy.core.permissions import SYSTEM, Role
from ggzy.crypto import Suite, init_ca
from ggzy.demo import DEMO_PASSWORD
from ggzy.entities.login import add_trust_anchor
from ggzy.entities.models import Centre, TrustAnchor, User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.entities.service import create_user
from ggzy.storage import MIB, LocalBlobStore
from ggzy.wiring import session_factory

SOURCES = Path(ggzy.__file__).resolve().parents[1]  # this checkout's ggzy, for the server's process
START_TIMEOUT = 180  # seconds: loading the demo runs its whole tender story


@dataclass
class Server:
    url: str
    output: Path


@contextmanager
def _serving(database_url: str, data_dir: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output = data_dir.parent / f"serve-{port}.log"
    environment = (
        os.environ
        | {
            "GGZY_DATABASE_URL": database_url,
            "GGZY_DATA_DIR": str(data_dir),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCES), os.environ.get("PYTHONPATH")])),
            "COLUMNS": "200",
        }
        | (env or {})
    )
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
    with session_factory(engine)() as db:
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
    with session_factory(fresh_engine)() as db:
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
    with session_factory(fresh_engine)() as db:
        assert db.scalar(select(User.id).where(User.username == "admin")) is not None
    assert "no platform administrator" not in server.output.read_text()

    # Restarted without --demo (another process, the same database): still a demo, and says so.
    with _serving(fresh_database_url, data_dir) as server:
        health = httpx.get(f"{server.url}/api/v1/health").json()
        english = httpx.get(f"{server.url}/notices?lang=en").text
    assert health["demo"] is True
    assert "Demo instance" in english
    assert "passwords are public" in english


def _admin(db: Session, username: str, password: str) -> None:
    create_user(
        db, SYSTEM, username=username, display_name="管理员", password=password, entity_id=None,
        roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)], now=datetime.now(UTC),
    )  # fmt: skip


def test_serve_marks_a_demo_loaded_before_the_mark_existed_and_warns(
    fresh_engine: Engine, fresh_database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    # What the old default `ggzy serve` left, unmarked: admin / ggzy-demo-2026, a trusted CA whose key is in var/demo.
    with session_factory(fresh_engine)() as db:
        certificate = init_ca(data_dir / "demo" / "ca-gm", suite=Suite.GM, name="云南数字证书认证中心（演示）",
                              now=datetime.now(UTC))  # fmt: skip
        add_trust_anchor(db, SYSTEM, certificate_pem=certificate.pem, name=None, now=datetime.now(UTC))
        _admin(db, "admin", DEMO_PASSWORD)
        db.commit()
        assert db.scalar(select(Event.id).where(Event.action == DEMO_LOADED)) is None

    with _serving(fresh_database_url, data_dir) as server:
        health = httpx.get(f"{server.url}/api/v1/health").json()
        home = httpx.get(f"{server.url}/").text

    assert health["demo"] is True
    assert "演示环境" in home
    assert "demo loaded before demo instances were marked" in server.output.read_text()
    with session_factory(fresh_engine)() as db:
        assert db.scalar(select(func.count()).where(Event.action == DEMO_LOADED)) == 1
    assert _count(fresh_engine, Centre) == 0  # marked, not loaded again


def test_serve_demo_on_a_platform_with_an_administrator_and_a_ca_but_no_centre_loads_no_demo_and_says_why(
    fresh_engine: Engine, fresh_database_url: str, tmp_path: Path, gm_ca: Path
) -> None:
    data_dir = tmp_path / "var"
    with session_factory(fresh_engine)() as db:
        _admin(db, "ops-admin", "a-real-password-of-its-own")
        add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=datetime.now(UTC))
        db.commit()
    counts = {model: _count(fresh_engine, model) for model in (User, TrustAnchor, Event, Centre)}

    for options, env in ((("--demo",), {}), ((), {"GGZY_DEMO_ON_FIRST_START": "true"})):
        with _serving(fresh_database_url, data_dir, *options, env=env) as server:
            health = httpx.get(f"{server.url}/api/v1/health").json()
        output = server.output.read_text()
        assert "demo not loaded: the database is not empty (it holds users, trust anchors, events)" in output
        assert health["demo"] is False
        assert {model: _count(fresh_engine, model) for model in counts} == counts  # no row, no event
        assert not (data_dir / "demo").exists()  # no demo CA key written
