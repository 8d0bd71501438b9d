"""The ledger at scale: integrate N events into the Merkle log on SQLite, prove, verify; pymerkle as the peer.

N events (default 1,000,000) are written to a fresh SQLite database as the platform writes them (events table and
their commit-order entries), then timed:

- ``integrate``: the sequencer's integration (entry bytes from each event row, leaf hashes, complete-subtree nodes
  persisted to SQLite) — events per second;
- 1,000 inclusion proofs and 1,000 consistency proofs at random sizes, read from SQLite — milliseconds per proof;
- ``ggzy ledger verify``'s work: every leaf recomputed from its event, the tree rebuilt, every stored node compared;
- the peer, ``pymerkle.InmemoryTree`` (RFC 9162 hashing, in memory, nothing persisted), fed the same entry bytes:
  appends per second and inclusion-proof milliseconds.

Prints one JSON line. Growth: integration and verification are O(N) (each event hashed once, ~2 nodes stored per
event); a proof reads O(log N) nodes in one query, so its cost grows with log N and the B-tree depth.

    .venv/bin/python bench/ledger.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _quick import parse_args
from sqlalchemy import insert, text

from ggzy.core.db import make_engine, unit_of_work
from ggzy.core.events import Event, canonical_json
from ggzy.core.migrate import upgrade
from ggzy.ledger.entries import entry_bytes
from ggzy.ledger.models import LedgerEntry, LedgerHead
from ggzy.ledger.sequencer import integrate
from ggzy.ledger.service import LedgerKeys, consistency, inclusion, publish_checkpoint
from ggzy.ledger.verify import verify_ledger
from ggzy.wiring import session_factory

START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
ACTIONS = ["entity.registered", "project.registered", "project.accepted", "auth.certificate_login"]


def _fill(factory, n: int) -> None:  # type: ignore[no-untyped-def]
    """N events and their entries, as committed transactions would leave them (bulk, for speed of set-up)."""
    batch = 20_000
    with unit_of_work(factory) as db:
        for offset in range(0, n, batch):
            count = min(batch, n - offset)
            rows = [
                {
                    "id": offset + i + 1,
                    "occurred_at": START + timedelta(milliseconds=offset + i),
                    "centre_id": None,
                    "actor_user_id": None,
                    "actor_entity_id": None,
                    "actor_role": "bidder",
                    "action": ACTIONS[(offset + i) % len(ACTIONS)],
                    "subject_type": "project",
                    "subject_id": str((offset + i) // 7),
                    "payload": canonical_json({"code": f"530100-2026-G{(offset + i) % 999999:06d}", "n": offset + i}),
                    "disclosed": (offset + i) % 4 != 3,
                    "salt": secrets.token_hex(16),
                }
                for i in range(count)
            ]
            db.execute(insert(Event), rows)
            db.execute(insert(LedgerEntry), [{"index": r["id"] - 1, "event_id": r["id"]} for r in rows])
        db.execute(text("UPDATE ledger_head SET next_index = :n WHERE id = 1"), {"n": n})


def _peer(data: list[bytes], proofs: int) -> tuple[float, float]:
    from pymerkle import InmemoryTree

    tree = InmemoryTree(algorithm="sha256")
    started = time.perf_counter()
    for item in data:
        tree.append_entry(item)
    append_rate = len(data) / (time.perf_counter() - started)
    timings = []
    for _ in range(proofs):
        index = random.randint(1, len(data))
        started = time.perf_counter()
        tree.prove_inclusion(index, len(data))
        timings.append(time.perf_counter() - started)
    return append_rate, statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1_000)
    args = parse_args(parser, n=2_000, proofs=50)
    n = args.n
    random.seed(9162)

    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'ledger.db'}")
        upgrade(engine)
        factory = session_factory(engine)
        _fill(factory, n)

        started = time.perf_counter()
        with unit_of_work(factory) as db:
            size = integrate(db)
        integrate_seconds = time.perf_counter() - started
        assert size == n

        keys = LedgerKeys.generate("bench.ggzy/ledger")
        with unit_of_work(factory) as db:
            publish_checkpoint(db, keys, now=START + timedelta(hours=1))

        with unit_of_work(factory, read_only=True) as db:
            inclusion_times, consistency_times = [], []
            for _ in range(args.proofs):
                index = random.randrange(n)
                tree_size = random.randint(index + 1, n)
                started = time.perf_counter()
                inclusion(db, index=index, size=tree_size)
                inclusion_times.append(time.perf_counter() - started)
            for _ in range(args.proofs):
                second = random.randint(2, n)
                first = random.randint(1, second - 1)
                started = time.perf_counter()
                consistency(db, first=first, second=second)
                consistency_times.append(time.perf_counter() - started)

            started = time.perf_counter()
            report = verify_ledger(db, keys.verifiers)
            verify_seconds = time.perf_counter() - started
            assert report.entries == n

            data = [entry_bytes(event) for event in db.query(Event).order_by(Event.id).yield_per(20_000)]
            head = db.get(LedgerHead, 1)
            assert head is not None
            assert head.tree_size == n
        engine.dispose()

    peer_append, peer_inclusion_ms = _peer(data, args.proofs)
    integrate_rate = n / integrate_seconds
    result = {
        "name": "ledger",
        "n": n,
        "integrate_per_second": round(integrate_rate),
        "inclusion_proof_ms": round(statistics.median(inclusion_times) * 1000, 3),
        "consistency_proof_ms": round(statistics.median(consistency_times) * 1000, 3),
        "verify_seconds": round(verify_seconds, 1),
        "peer_append_per_second": round(peer_append),
        "peer_inclusion_proof_ms": round(peer_inclusion_ms, 3),
        "integrate_vs_peer_append": round(integrate_rate / peer_append, 2),
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
