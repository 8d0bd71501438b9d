"""Sealed-bid submission under load: N bidders submit 1 MB sealed bids at once to a server on loopback.

Set-up (not timed): a fresh database — PostgreSQL database ``ggzy_bench`` created on the admin URL and dropped
afterwards, or SQLite in the data directory — migrated with ``ggzy.core.migrate.upgrade``; through the services:
centres, an INTL CA, owner and agent, an accepted project, three custodians, a tender published with its deadline
21 days ahead of the real clock, and N bidders logged in with their own certificates (``certificate_login``, which
registers each entity and opens its session through ``login.open_session``; the bearer tokens are kept), each
registered for the tender and holding a sealed 1 MB envelope (random content) made offline with ``seal_bid``.

Then uvicorn serves ``ggzy.app:serve_app`` (``--factory``, 2 workers by default) on a free loopback port with
``GGZY_DATABASE_URL``, ``GGZY_DATA_DIR`` and ``GGZY_LEDGER_BACKGROUND=true`` (the background beat integrates and
checkpoints the ledger; requests do not), as ``ggzy serve`` runs it, and a pool of client threads (32 by default),
each on its own keep-alive HTTP/1.1 connection (``http.client``: the client shares the 2 cores, so it must be cheap;
the bodies are built before timing), POSTs every envelope as multipart ``envelope`` to ``/api/v1/tenders/{id}/bids``
at once. Timed: the wall time from the first request to the last answer (``per_second`` = 201 answers / that time)
and each request's latency (``p50_ms``, ``p99_ms``). Afterwards the database is checked: ``lost`` = answered 201 but
not stored as an active SealedBid whose ciphertext is in the blob store; ``failed`` = requests not answered 201.

Prints one JSON line, with the CPU spent per bid by the uvicorn processes, by the PostgreSQL backends of the
benchmark's database and by the client (Linux ``/proc``); ``--app`` runs another factory (for experiments), and
``--floor raw|fastapi`` serves ``bench/_floor.py`` instead, the same load with nothing of ggzy: the upload received
and written once with an fsync (raw ASGI, or a FastAPI ``UploadFile`` endpoint) — the floor the product is measured
against. The client runs on the same 2 cores as the server (and PostgreSQL), so the figures are a lower bound for a
server with its own machine. Growth: each submission is constant work in N (1 MB received, parsed from multipart,
hashed, written and fsynced; a header signature and certificate chain check; 7 SQL statements in 2 transactions —
authentication, then one read and the inserts; one event); the rate is bounded by the cores and by the ledger head
row, locked by every writing transaction from its numbering to its commit, so commits serialise there; latency
grows linearly with the concurrency once the cores are saturated.

    .venv/bin/python bench/submit.py [--n 400] [--db postgresql|sqlite] [--threads 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from _quick import parse_args
from _scenario import certificate_user, published_tender
from sqlalchemy import create_engine, func, select, text

from ggzy.app import load_secret_key
from ggzy.config import Settings
from ggzy.core.db import make_engine, unit_of_work
from ggzy.core.migrate import upgrade
from ggzy.core.permissions import Permission
from ggzy.crypto import Suite, load_public_key_pem
from ggzy.crypto.envelope import seal_bid
from ggzy.demo import demo_credit_code
from ggzy.entities import login
from ggzy.ledger.service import LedgerKeys
from ggzy.storage import MIB, LocalBlobStore
from ggzy.tendering import bids, keys
from ggzy.tendering import service as tendering
from ggzy.tendering.models import SealedBid
from ggzy.wiring import session_factory

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "ggzy_bench"


def _prepare(url: str, data_dir: Path, n: int, mb: float) -> tuple[int, list[tuple[str, bytes, str]]]:
    """Everything before the load; returns the tender id and, per bidder, (token, multipart body, content type)."""
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    store = LocalBlobStore(data_dir / "blobs")
    now = datetime.now(UTC)
    suite = Suite.INTL
    with unit_of_work(factory) as db:
        tender, code, ca_dir, _ = published_tender(db, data_dir, store, now, suite)
        opening_key = next(k for k in keys.opening_keys_of(db, tender.id) if k.suite == suite.value)
        opening_public_key = load_public_key_pem(opening_key.public_key_pem)
        tender_id = tender.id

    prepared = []
    with unit_of_work(factory) as db:
        for index in range(n):
            user, key, pem, token = certificate_user(
                db, ca_dir, name=f"压测投标人{index}", code=demo_credit_code("530100", f"N{index:08d}"), now=now
            )
            actor = login.principal_for(db, user).holding(Permission.TENDER_REGISTER)
            tendering.register_for_tender(db, actor, tender_id=tender_id, now=now)
            out = io.BytesIO()
            seal_bid(
                lot_code=code, suite=suite, summary={"price_fen": 1_700_000_000 + index, "schedule_days": 540},
                files={"投标文件.pdf": os.urandom(int(mb * MIB))}, bidder_certificate_pem=pem, bidder_private_key=key,
                opening_public_key=opening_public_key, out=out, now=now,
            )  # fmt: skip
            boundary = f"ggzy-{secrets.token_hex(16)}"
            body = b"".join(
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="envelope"; filename="bid.ggzy"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n".encode(),
                    out.getvalue(),
                    f"\r\n--{boundary}--\r\n".encode(),
                )
            )
            prepared.append((token, body, f"multipart/form-data; boundary={boundary}"))
    engine.dispose()
    return tender_id, prepared


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


_connections = threading.local()


def _submit(port: int, path: str, token: str, body: bytes, content_type: str) -> tuple[int, float]:
    """POST one envelope on this client thread's keep-alive connection (reopened if the server closed it)."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Accept": "application/json",
        "Ggzy-Device": '{"mac": "00:11:22:33:44:55"}',
    }
    started = time.perf_counter()
    for attempt in (1, 2):
        connection = getattr(_connections, "connection", None)
        if connection is None:
            connection = _connections.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, time.perf_counter() - started
        except (http.client.HTTPException, OSError):
            connection.close()
            _connections.connection = None
            if attempt == 2:
                break
    return 0, time.perf_counter() - started


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), 0 if it is gone or unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu(pid: int) -> float:
    """CPU of the uvicorn supervisor and its worker processes."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return _cpu_seconds(pid) + sum(_cpu_seconds(int(child)) for child in children)


def _database_cpu(url: str) -> float:
    """CPU of the PostgreSQL backends connected to the benchmark's database (they live as long as the pools)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
            {"name": DATABASE},
        ).scalars()
        total = sum(_cpu_seconds(pid) for pid in pids)
    engine.dispose()
    return total


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def server_python_path() -> str:
    """PYTHONPATH for a server started in another directory: bench/ (``--floor``'s apps) and this process's own
    entries made absolute, so that a checkout run with ``PYTHONPATH=src`` serves its own ggzy."""
    entries = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return os.pathsep.join([str(Path(__file__).resolve().parent), *(str(Path(entry).resolve()) for entry in entries)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400, help="bidders, one 1 MB bid each")
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL URL allowed to create databases")
    parser.add_argument("--threads", type=int, default=32, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--mb", type=float, default=1, help="plaintext size of each bid, MiB")
    parser.add_argument("--app", default="ggzy.app:serve_app", help="the app factory, as an import string")
    parser.add_argument(
        "--floor", choices=["raw", "fastapi"], help="serve bench/_floor.py's app instead: the cost of the upload alone"
    )
    args = parse_args(parser, n=10, db="sqlite", threads=4)
    if args.floor:
        args.app = f"_floor:{args.floor}"

    admin = None
    if args.db == "postgresql":
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="ggzy-bench-submit-") as directory:
            data_dir = Path(directory)
            if admin is not None:
                url = admin.url.set(database=DATABASE).render_as_string(hide_password=False)
            else:
                url = f"sqlite:///{(data_dir / 'ggzy.db').as_posix()}"
            tender_id, prepared = _prepare(url, data_dir, args.n, args.mb)
            settings = Settings(data_dir=data_dir, database_url=url)
            LedgerKeys.load_or_create(data_dir, settings.ledger_origin)  # once, before the workers race to it
            load_secret_key(settings)

            port = _free_port()
            environment = os.environ | {
                "GGZY_DATABASE_URL": url,
                "GGZY_DATA_DIR": str(data_dir),
                "GGZY_LEDGER_BACKGROUND": "true",
                "PYTHONPATH": server_python_path(),
            }
            command = [sys.executable, "-m", "uvicorn", args.app, "--factory", "--host", "127.0.0.1"]
            command += ["--port", str(port), "--workers", str(args.workers), "--log-level", "warning"]
            server = subprocess.Popen(
                [*command, "--no-access-log"],
                cwd=data_dir,  # no stray .env
                env=environment,
            )
            base = f"http://127.0.0.1:{port}/api/v1"
            _wait_for(f"{base}/health", server)
            time.sleep(1.0)  # let the second worker finish starting
            bids_path = f"/api/v1/tenders/{tender_id}/bids"

            load_before = os.getloadavg()[0]
            server_cpu = _server_cpu(server.pid)
            client_cpu = time.process_time()
            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                started = time.perf_counter()
                results = list(pool.map(lambda item: _submit(port, bids_path, *item), prepared))
                seconds = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
            server_cpu = _server_cpu(server.pid) - server_cpu
            database_cpu = _database_cpu(url) if admin is not None else None
            server.terminate()
            server.wait(timeout=30)
            server = None

            accepted = sum(1 for status, _ in results if status == 201)
            statuses: dict[str, int] = {}
            for status, _ in results:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            latencies = [latency for _, latency in results]
            engine = make_engine(url)
            store = LocalBlobStore(data_dir / "blobs")
            with unit_of_work(session_factory(engine), read_only=True) as db:
                stored = (
                    []
                    if args.floor
                    else list(
                        db.scalars(
                            select(SealedBid.ciphertext_sha256).where(
                                SealedBid.tender_id == tender_id, SealedBid.status == bids.ACTIVE
                            )
                        )
                    )
                )
                entities = db.scalar(
                    select(func.count(func.distinct(SealedBid.entity_id))).where(SealedBid.tender_id == tender_id)
                )
            engine.dispose()
            intact = sum(1 for sha256 in stored if store.exists(sha256))
            if args.floor:  # one fsynced file per accepted upload
                intact = entities = len(list((data_dir / "floor").glob("*.bid")))
            result = {
                "name": f"submit-floor-{args.floor}" if args.floor else "submit",
                "db": args.db,
                "n": args.n,
                "per_second": round(accepted / seconds, 1),
                "p50_ms": round(statistics.median(latencies) * 1000, 1),
                "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
                "lost": accepted - intact,
                "failed": args.n - accepted,
                "statuses": statuses,
                "stored": len(stored),
                "bidders_stored": entities,
                "seconds": round(seconds, 2),
                "server_cpu_ms_per_bid": round(server_cpu / args.n * 1000, 1),
                "client_cpu_ms_per_bid": round(client_cpu / args.n * 1000, 1),
                "postgresql_cpu_ms_per_bid": None if database_cpu is None else round(database_cpu / args.n * 1000, 1),
                "threads": args.threads,
                "workers": args.workers,
                "load_average_before": round(load_before, 2),
                "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
            }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            admin.dispose()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
