"""The credit interception check (issue 13, decision 0040) against 1,000,000 credit records: p99 under 2 ms on SQLite
and PostgreSQL, at bid submission (by the envelope's credit code) and at tender registration (by the entity's id:
one more read, of the entity's code).

Set-up (not timed, its rate reported): a fresh SQLite database migrated to head (and, given ``--pg``, a fresh schema
on PostgreSQL), N credit records bulk-inserted — one per distinct credit code (GB 32100 codes), of which a third
restrict in force, a third restricted once (expired) and a third are bad records that restrict nothing — and 200
entities registered through the service, half of them under a suspension decided through the service.

Timed: ``credit.service.screen_entity`` (the screen ``core.screening`` calls in ``tendering.bids.submit_bid`` and
``tendering.service.register_for_tender``) in one session, alternating entities that pass and that are intercepted
(the refusal is raised and caught; its recording after the rollback is not part of the check). Reported: wall-clock
p50/p99/max, the p99 of each outcome, and the p99 of the thread's CPU time (what the check itself costs the Python
process, without the time spent waiting for a CPU on a loaded machine; on PostgreSQL the server's share is not in
it). Beside the bid submission it guards: bench/submit.py's figures in bench/RESULTS.md.

Prints one JSON line. ``--n`` (default 1000000); ``--checks`` (default 5000); ``--quick`` runs 20,000 records and
500 checks; ``--pg URL`` also runs on PostgreSQL (``postgresql+psycopg://postgres@127.0.0.1:5432/test``).

    .venv/bin/python bench/credit.py [--n 1000000] [--pg postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.factories: the service-driven entities

from _quick import parse_args
from sqlalchemy import Engine, insert, text
from tests.conftest import TEST_NOW
from tests.credit.support import supervisor, suspend
from tests.factories import credit_code, make_entity

from ggzy.core.db import is_sqlite, make_engine, unit_of_work
from ggzy.core.migrate import upgrade
from ggzy.core.permissions import SYSTEM
from ggzy.core.screening import Checkpoint
from ggzy.credit import service
from ggzy.credit.models import CreditRecord
from ggzy.credit.rules import CreditIntercepted
from ggzy.wiring import session_factory

BATCH = 20_000
ENTITIES = 200


def _records(n: int) -> Any:
    """N records, one per code: restricting in force, restricting expired, bad and not restricting, in turn."""
    past, future = TEST_NOW - timedelta(days=800), TEST_NOW + timedelta(days=400)
    for index in range(n):
        kind = index % 3
        yield {
            "subject_kind": "entity", "credit_code": credit_code(serial=10_000_000 + index), "subject_name": "基准企业",
            "polarity": "bad", "points": 0, "restricts": kind != 2, "grounds": "基准", "legal_basis": "联合惩戒",
            "source": "list", "source_name": "基准名单", "valid_from": past,
            "valid_until": future if kind == 0 else TEST_NOW - timedelta(days=30), "created_at": TEST_NOW,
        }  # fmt: skip


def _fill(engine: Engine, n: int) -> float:
    started = time.perf_counter()
    rows = _records(n)
    with engine.begin() as connection:
        while True:
            batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
            if not batch:
                break
            connection.execute(insert(CreditRecord), batch)
    if not is_sqlite(str(engine.url)):
        with engine.begin() as connection:
            connection.execute(text("ANALYZE credit_records"))
    return time.perf_counter() - started


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def _run(engine: Engine, n: int, checks: int) -> dict[str, Any]:
    upgrade(engine)
    fill_seconds = _fill(engine, n)
    factory = session_factory(engine)
    with unit_of_work(factory) as db:
        entities = [make_entity(db) for _ in range(ENTITIES)]
        for entity in entities[::2]:
            suspend(db, entity.credit_code)
        people = [(entity.id, entity.credit_code, index % 2 == 0) for index, entity in enumerate(entities)]
        actor = supervisor(db)
    result: dict[str, Any] = {
        "records": n,
        "fill_seconds": round(fill_seconds, 1),
        "rows_per_second": int(n / fill_seconds),
    }
    with unit_of_work(factory, read_only=True) as db:
        for checkpoint, by_id in ((Checkpoint.BID_SUBMISSION, False), (Checkpoint.TENDER_REGISTRATION, True)):
            samples: list[float] = []
            cpu: list[float] = []
            by_outcome: dict[bool, list[float]] = {True: [], False: []}
            intercepted = 0
            for index in range(checks):
                entity_id, code, barred = people[index % len(people)]
                started, started_cpu = time.perf_counter(), time.thread_time()
                try:
                    service.screen_entity(
                        db, actor if barred else SYSTEM, checkpoint=checkpoint,
                        credit_code=None if by_id else code, entity_id=entity_id if by_id else None,
                        law="tendering_law",
                        subject_type="tender", subject_id=1, now=TEST_NOW,
                    )  # fmt: skip
                except CreditIntercepted:
                    intercepted += 1
                elapsed = time.perf_counter() - started
                samples.append(elapsed)
                cpu.append(time.thread_time() - started_cpu)
                by_outcome[barred].append(elapsed)
            assert intercepted == (checks + 1) // 2, intercepted
            result[checkpoint.value] = {
                "checks": checks, "intercepted": intercepted, **_percentiles(samples),
                "cpu_p99_ms": _percentiles(cpu)["p99_ms"],
                "passed_p99_ms": _percentiles(by_outcome[False])["p99_ms"],
                "intercepted_p99_ms": _percentiles(by_outcome[True])["p99_ms"],
            }  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="credit records in the table")
    parser.add_argument("--checks", type=int, default=5000, help="checks timed per checkpoint")
    parser.add_argument("--pg", default=os.environ.get("GGZY_BENCH_PG_URL"), help="also run on this PostgreSQL")
    args = parse_args(parser, n=20_000, checks=500)
    out: dict[str, Any] = {
        "bench": "credit", "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.python_version()}",
        "load_average_before": round(os.getloadavg()[0], 1),
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'credit.db'}")
        out["sqlite"] = _run(engine, args.n, args.checks)
        engine.dispose()
    if args.pg:
        schema = f"bench_credit_{uuid.uuid4().hex[:8]}"
        plain = make_engine(args.pg)
        with plain.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine = make_engine(args.pg, connect_args={"options": f"-csearch_path={schema} -csynchronous_commit=off"})
        try:
            out["postgresql"] = _run(engine, args.n, args.checks)
        finally:
            engine.dispose()
            with plain.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            plain.dispose()
    out["load_average_after"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
