"""Refund orders through ``HttpBankAdapter`` against the bank simulator in its own process (decision 0034).

For each N (default 1,000 and 10,000), a fresh simulator (``python -m ggzy bank serve`` on a free port, its own
directory): N sub-accounts are opened and N payers' transfers booked at its teller (set-up, its rate reported too),
then timed, one client thread as the platform's refund batch sends them:

- N refund orders, each from its own sub-account, each executed (balance check, debit booked, order kept, one
  fsync'd SQLite transaction) — orders per second;
- the same N orders sent again with their idempotency keys (a retried batch) — answered from the kept receipts;
- the day's statement (2N lines) fetched and parsed.

Prints one JSON line. Growth: an order is constant work in N (indexed lookups of its key and its sub-account's
movements, one append); the statement is O(N) in the lines of the day.

    .venv/bin/python bench/bank.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from _quick import parse_args

import ggzy
from ggzy.core.clock import to_china_time
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import OrderStatus, RefundOrder

DEPOSIT_FEN = 200_000_00  # ¥200,000, a works tender's deposit


@contextmanager
def _simulator(directory: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sources = str(Path(ggzy.__file__).resolve().parents[1])
    environment = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [sources, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "ggzy", "bank", "serve", "--dir", str(directory), "--port", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the bank simulator did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _run(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch, _simulator(Path(scratch) / "bank") as url:
        info = httpx.get(f"{url}/info").json()
        with (
            HttpBankAdapter.pinned(url, public_key=info["public_key"], timeout=30) as adapter,
            httpx.Client() as teller,
        ):
            started = time.perf_counter()
            orders = []
            for bidder in range(n):
                sub_account = adapter.open_sub_account(reference=f"lot-1/bidder-{bidder}", name=f"保证金专户-{bidder}")
                payer = f"62220202{bidder:011d}"
                teller.post(
                    f"{url}/teller/transfers",
                    json={"sub_account": sub_account.number, "amount_fen": DEPOSIT_FEN, "payer_account": payer,
                          "payer_name": f"投标人{bidder}", "payer_bank": "中国工商银行"},
                ).raise_for_status()  # fmt: skip
                orders.append(
                    RefundOrder(
                        idempotency_key=f"refund-lot-1-bidder-{bidder}",
                        from_sub_account=sub_account.number,
                        to_account=payer,  # along the route the money came
                        to_name=f"投标人{bidder}",
                        to_bank="中国工商银行",
                        principal_fen=DEPOSIT_FEN,
                        interest_fen=0,
                        purpose="退还投标保证金 标段 1",
                    )
                )
            set_up = time.perf_counter() - started

            started = time.perf_counter()
            receipts = [adapter.order(order) for order in orders]
            ordering = time.perf_counter() - started
            assert all(receipt.status is OrderStatus.EXECUTED for receipt in receipts)

            started = time.perf_counter()
            again = [adapter.order(order) for order in orders]
            replaying = time.perf_counter() - started
            assert again == receipts

            started = time.perf_counter()
            day = to_china_time(datetime.fromisoformat(info["now"])).date()
            statement = adapter.statement(day)
            reading = time.perf_counter() - started
            assert len(statement.lines) == 2 * n
            assert statement.closing_balance_fen == statement.opening_balance_fen == 0
    return {
        "n": n,
        "orders_per_s": round(n / ordering, 1),
        "ms_per_order": round(1000 * ordering / n, 2),
        "replays_per_s": round(n / replaying, 1),
        "set_up_per_s": round(n / set_up, 1),  # a sub-account opened and a transfer booked, per bidder
        "statement_ms": round(1000 * reading, 1),
        "statement_lines": len(statement.lines),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="numbers of orders, comma-separated")
    args = parse_args(parser, sizes="100")
    results = [_run(int(size)) for size in args.sizes.split(",")]
    print(
        json.dumps(
            {
                "name": "bank",
                "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
                "cpus": os.cpu_count(),
                "load_average": [round(value, 2) for value in os.getloadavg()],
                "results": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
