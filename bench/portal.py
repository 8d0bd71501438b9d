"""The public portal under concurrent load: the notice list and project pages served by 2 workers on loopback.

Set-up (not timed): a database migrated with ``ggzy.core.migrate.upgrade`` — PostgreSQL database ``bench_portal``
created on the admin URL and dropped afterwards, or SQLite cached under ``var/bench/portal-sqlite-<n>/`` (built once
per size; delete the directory after a schema change if the cached copy no longer upgrades). Through the services
(``_scenario.published_tender``): centres, a CA, owner and agent, an accepted project and one published tender with
its documents and events. Then N notices in bulk, copies of that tender's row in the shape the services leave
(stage ``published``, ``published_at`` set, documents attached), one per lot, in N / 4 projects copied from the
template project (trade types and Kunming districts in turn); titles and texts from the vocabulary of the search
figures in decision 0008, one notice every 10 minutes back from now. The search index is filled as migration 0008
fills it: on SQLite by its FTS5 triggers, row by row; on PostgreSQL the bigram GIN index is dropped before the copy
and recreated afterwards from its own definition (``pg_get_indexdef``). The copied notices have no ledger events
(copying events would break the ledger's chain), so their project pages list the documents without a proof link;
the template project, made through the services, has them and is in the mix.

Load: uvicorn serves ``ggzy.app:serve_app`` with 2 workers (as ``bench/submit.py`` starts it); client processes
(2 by default), each with threads on their own keep-alive HTTP/1.1 connections (``http.client``; --concurrency in
all, 16 by default), request in turn ``/notices`` (first page), a later keyset page (``after`` = the cursor of page
50), a search for a common and a rarer word, filters by trade type and by region, the template's project page, and
five project pages each drawn at random from all N / 4 projects (the long tail, which a cache seldom holds), for
--warmup seconds unmeasured, then --seconds measured. The server keeps visitors' pages for the second
(``ggzy.portal.page_cache``): the list pages are mostly answered from it, the drawn project pages mostly rendered;
``--no-page-cache`` renders every request. Prints one JSON line per
database: answers per second in the measured window, p50 and p99 latency, errors (any answer but 200, or a 200
without the page's marker), per-kind p99, and the CPU of the server processes per request. The client shares the 2
cores with the server (and PostgreSQL), so the figures are a lower bound for a server with its own machine.
``--floor`` runs the same load on ``/api/v1/health`` alone (the same server stack and one ``SELECT 1``, no page):
what this machine, client and 2 workers can answer at all.

    .venv/bin/python bench/portal.py [--notices 100000] [--db sqlite|postgres|both] [--seconds 15] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _quick import parse_args
from _scenario import published_tender
from sqlalchemy import create_engine, text
from submit import _free_port, _percentile, _server_cpu, _wait_for, server_python_path

from ggzy.app import load_secret_key
from ggzy.config import Settings
from ggzy.core.db import make_engine, unit_of_work
from ggzy.core.migrate import upgrade
from ggzy.core.trade_types import TradeType
from ggzy.crypto import Suite
from ggzy.ledger.service import LedgerKeys
from ggzy.portal import search
from ggzy.storage import LocalBlobStore
from ggzy.wiring import session_factory

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "bench_portal"
CACHE = Path(__file__).resolve().parent.parent / "var" / "bench"
WORDS = ["道路", "改造", "工程", "施工", "监理", "设计", "采购", "设备", "医院", "学校", "教学楼", "污水处理", "绿化",
         "桥梁", "供水", "管网", "安装", "装修", "信息化", "服务"]  # fmt: skip
REGIONS = ["530102", "530103", "530111", "530112", "530113", "530114"]
LOTS_PER_PROJECT = 4
BATCH = 5_000


def _row(connection: Any, table: str, row_id: int) -> dict[str, Any]:
    return dict(connection.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id}).mappings().one())


def _insert(connection: Any, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start : start + BATCH])


def _load(url: str, data_dir: Path, n: int) -> dict[str, Any]:
    """The template through the services, then n notices in bulk; returns the template's project id."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with unit_of_work(session_factory(engine)) as db:
        tender, *_ = published_tender(db, data_dir, LocalBlobStore(data_dir / "blobs"), now, Suite.INTL)
        tender_id = tender.id
    rnd = random.Random(1)
    postgres = engine.dialect.name == "postgresql"
    started = time.perf_counter()
    with engine.begin() as connection:
        template_tender = _row(connection, "tenders", tender_id)
        template_lot = _row(connection, "lots", template_tender["lot_id"])
        template_project = _row(connection, "projects", template_lot["project_id"])
        trade_types = list(TradeType)
        projects = []
        for k in range((n + LOTS_PER_PROJECT - 1) // LOTS_PER_PROJECT):
            row = {key: value for key, value in template_project.items() if key != "id"}
            row |= {
                "code": f"BENCH{k:08d}",
                "name": "".join(rnd.sample(WORDS, 3)) + f"项目{k}",
                "trade_type": trade_types[k % len(trade_types)].value,
                "region_code": REGIONS[k % len(REGIONS)],
            }
            projects.append(row)
        _insert(connection, "projects", projects)
        project_ids = list(
            connection.execute(text("SELECT id FROM projects WHERE code LIKE 'BENCH%' ORDER BY id")).scalars()
        )
        lots = [
            {key: value for key, value in template_lot.items() if key != "id"}
            | {
                "project_id": project_ids[i // LOTS_PER_PROJECT],
                "number": i % LOTS_PER_PROJECT + 1,
                "name": f"第{i % LOTS_PER_PROJECT + 1}标段",
            }
            for i in range(n)
        ]
        _insert(connection, "lots", lots)
        lot_ids = list(
            connection.execute(
                text("SELECT id FROM lots WHERE project_id >= :first ORDER BY id"), {"first": project_ids[0]}
            ).scalars()
        )
        index = None
        if postgres:  # one build of the GIN index after the copy instead of 100,000 updates of it
            index = connection.execute(
                text("SELECT pg_get_indexdef('ix_tenders_notice_bigrams'::regclass)")
            ).scalar_one()
            connection.execute(text("DROP INDEX ix_tenders_notice_bigrams"))
        tenders = []
        for i, lot_id in enumerate(lot_ids):
            published_at = now - timedelta(minutes=10 * (i + 1))
            row = {key: value for key, value in template_tender.items() if key != "id"}
            row |= {
                "lot_id": lot_id,
                "title": "".join(rnd.sample(WORDS, 4)) + f"项目{i}",
                "notice_text": f"招标公告：{'，'.join(rnd.choice(WORDS) + rnd.choice(WORDS) for _ in range(40))}。",
                "published_at": published_at,
                "created_at": published_at - timedelta(hours=1),
                "documents_until": published_at + timedelta(days=20),
                "bid_deadline": published_at + timedelta(days=25),
            }
            tenders.append(row)
        _insert(connection, "tenders", tenders)
        if index is not None:
            connection.execute(text(index))
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return {"template_project_id": template_project["id"], "load_seconds": round(time.perf_counter() - started, 1)}


MixEntry = tuple[str, str | list[str], bytes]  # kind, the path or paths to draw one from, a marker the answer must hold


def _paths(url: str, template_project_id: int, n: int) -> list[MixEntry]:
    """The request mix: (kind, path, a marker the answer must hold)."""
    engine = make_engine(url)
    with unit_of_work(session_factory(engine), read_only=True) as db:
        cursor = None
        for _ in range(min(50, max(1, n // search.PAGE_SIZE - 1))):
            cursor = search.search_notices(db, search.NoticeQuery(after=cursor)).next_cursor
        project_ids = list(db.execute(text("SELECT id FROM projects WHERE code LIKE 'BENCH%' ORDER BY id")).scalars())
    engine.dispose()
    row = b'href="/projects/'
    paths: list[MixEntry] = [
        ("first_page", "/notices", row),
        ("keyset_page", f"/notices?after={cursor}", row),
        ("search_common", f"/notices?q={quote('道路')}", row),
        ("search_rare", f"/notices?q={quote('污水处理 桥梁')}", row),
        ("filter_trade_type", "/notices?trade_type=construction", row),
        ("filter_region", "/notices?region=530111", row),
        ("project", f"/projects/{template_project_id}", "压测教学楼工程".encode()),
    ]
    # The long tail: each of these requests draws one of all the projects, a page a cache seldom holds.
    any_project = [f"/projects/{project_id}" for project_id in project_ids]
    paths += [("project", any_project, b"BENCH") for _ in range(5)]
    return paths


def _mix(url: str, template_project_id: int, args: argparse.Namespace) -> list[MixEntry]:
    if args.floor:
        return [("health", "/api/v1/health", b'"status":"ok"')]
    return _paths(url, template_project_id, args.notices)


def _client(port: int, paths: list[MixEntry], threads: int, warmup: float, seconds: float, seed: int):  # type: ignore[no-untyped-def]
    """One client process: threads on keep-alive connections request the mix in turn; returns the measured answers
    as (kind, latency seconds, ok)."""
    start = time.monotonic() + warmup
    end = start + seconds
    results: list[tuple[str, float, bool]] = []
    lock = threading.Lock()

    def run(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        i = offset
        draw = random.Random(offset)
        while True:
            kind, where, marker = paths[i % len(paths)]
            path = where if isinstance(where, str) else draw.choice(where)
            i += 1
            began = time.monotonic()
            if began >= end:
                break
            ok = False
            try:
                connection.request("GET", path, headers={"Accept-Language": "zh-CN"})
                response = connection.getresponse()
                body = response.read()
                ok = response.status == 200 and marker in body
            except (http.client.HTTPException, OSError):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            finished = time.monotonic()
            if began >= start:
                mine.append((kind, finished - began, ok))
        connection.close()
        with lock:
            results.extend(mine)

    workers = [threading.Thread(target=run, args=(seed * 7919 + k * 13,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def _measure(url: str, data_dir: Path, args: argparse.Namespace, paths: list[MixEntry]) -> dict:
    settings = Settings(data_dir=data_dir, database_url=url)
    LedgerKeys.load_or_create(data_dir, settings.ledger_origin)  # once, before the workers race to it
    load_secret_key(settings)
    port = _free_port()
    environment = os.environ | {
        "GGZY_DATABASE_URL": url,
        "GGZY_DATA_DIR": str(data_dir),
        "GGZY_LEDGER_BACKGROUND": "true",
        "GGZY_PORTAL_PAGE_CACHE": "false" if args.no_page_cache else "true",
        "PYTHONPATH": server_python_path(),
    }
    command = [sys.executable, "-m", "uvicorn", "ggzy.app:serve_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, cwd=data_dir, env=environment)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/v1/health", server)
        time.sleep(1.0)  # let the second worker finish starting
        load_before = os.getloadavg()[0]
        processes = args.client_processes
        per_process = max(1, args.concurrency // processes)
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            pending = [
                pool.apply_async(_client, (port, paths, per_process, args.warmup, args.seconds, seed))
                for seed in range(processes)
            ]
            time.sleep(args.warmup)
            server_cpu = _server_cpu(server.pid)
            results = [answer for job in pending for answer in job.get(timeout=args.warmup + args.seconds + 120)]
            server_cpu = _server_cpu(server.pid) - server_cpu  # includes the last requests' tail: a little high
    finally:
        server.terminate()
        server.wait(timeout=30)
    if not results:
        raise SystemExit(f"no request began and ended within the {args.seconds} s measured: the server is too slow")
    latencies = [latency for _, latency, _ in results]
    kinds: dict[str, list[float]] = {}
    for kind, latency, _ in results:
        kinds.setdefault(kind, []).append(latency)
    return {
        "per_second": round(len(results) / args.seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "errors": sum(1 for *_, ok in results if not ok),
        "requests": len(results),
        "p99_ms_by_kind": {kind: round(_percentile(values, 0.99) * 1000, 1) for kind, values in sorted(kinds.items())},
        "p50_ms_by_kind": {kind: round(statistics.median(values) * 1000, 1) for kind, values in sorted(kinds.items())},
        "server_cpu_ms_per_request": round(server_cpu / max(1, len(results)) * 1000, 2),
        "load_average_before": round(load_before, 2),
    }


def _sqlite(args: argparse.Namespace) -> dict:
    cache = CACHE / f"portal-sqlite-{args.notices}"
    url = f"sqlite:///{(cache / 'ggzy.db').as_posix()}"
    setup: dict[str, Any]
    if (cache / "ready.json").exists():
        setup = json.loads((cache / "ready.json").read_text()) | {"cached": True}
        engine = make_engine(url)
        upgrade(engine)  # a newer migration since the cache was built
        engine.dispose()
    else:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        setup = _load(url, cache, args.notices)
        (cache / "ready.json").write_text(json.dumps(setup))
        setup["cached"] = False
    return setup | _measure(url, cache, args, _mix(url, setup["template_project_id"], args))


def _postgres(args: argparse.Namespace) -> dict:
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    try:
        url = admin.url.set(database=DATABASE).render_as_string(hide_password=False)
        with tempfile.TemporaryDirectory(prefix="ggzy-bench-portal-") as directory:
            setup = _load(url, Path(directory), args.notices)
            return setup | _measure(url, Path(directory), args, _mix(url, setup["template_project_id"], args))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL URL allowed to create databases")
    parser.add_argument("--seconds", type=float, default=15, help="measured duration")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured load before it")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections in all")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--no-page-cache", action="store_true", help="every request rendered (ggzy.portal.page_cache switched off)"
    )
    parser.add_argument(
        "--floor", action="store_true", help="request only /api/v1/health (same stack, SELECT 1, no page): the ceiling"
    )
    args = parse_args(
        parser, notices=200, db="sqlite", seconds=3, warmup=2, concurrency=4, client_processes=1, workers=1
    )
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        figures = _sqlite(args) if db == "sqlite" else _postgres(args)
        result = {
            "name": "portal-floor-health" if args.floor else "portal",
            "db": db,
            "notices": args.notices,
            "workers": args.workers,
            "page_cache": not args.no_page_cache,
            "per_second": figures.pop("per_second"),
            "p50_ms": figures.pop("p50_ms"),
            "p99_ms": figures.pop("p99_ms"),
            "errors": figures.pop("errors"),
            **figures,
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
