"""The bank simulator as the platform meets it: its own process (``python -m ggzy bank serve``) on a free port with
its own directory, and a small notice receiver standing in for the platform's webhook."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import ggzy
from ggzy.core.clock import to_china_time
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import RefundOrder, Statement, SubAccount
from ggzy.finance.bank.wire import SIGNATURE_HEADER

SOURCES = Path(ggzy.__file__).resolve().parents[1]  # this checkout's ggzy, for the simulator's process
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    body: bytes
    signature: str


class NoticeReceiver:
    """An HTTP server on a free port that takes the bank's notices: it answers 500 to the next ``refuse`` of them,
    204 to the others, and keeps every request it got."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refused = 0
        self.refuse = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    if receiver.refuse > 0:
                        receiver.refuse -= 1
                        receiver.refused += 1
                        status = 500
                    else:
                        receiver.received.append(Received(body, self.headers.get(SIGNATURE_HEADER, "")))
                        status = 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/notices"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, *, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} notices received, {count} expected")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class BankProcess:
    """``ggzy bank serve`` in a process of its own, which a test may kill -9 and start again on the same directory."""

    def __init__(self, directory: Path, notify_url: str) -> None:
        self.directory, self.notify_url = directory, notify_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory.parent / f"bank-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = os.environ | {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCES), os.environ.get("PYTHONPATH")])),
            "COLUMNS": "200",
        }
        command = [sys.executable, "-m", "ggzy", "bank", "serve", "--dir", str(self.directory),
                   "--port", str(self.port), "--notify-url", self.notify_url, "--retry-seconds", "0.1",
                   "--max-retry-seconds", "0.5"]  # fmt: skip
        with self.log.open("a") as log:
            self.process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"ggzy bank serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/info", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"ggzy bank serve did not answer in {START_TIMEOUT} s:\n{self.log.read_text()}")
            time.sleep(0.1)

    def kill_9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    # what the operator and the payers do (not the platform's protocol)

    def info(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/info", timeout=5).json())

    def fund(self, amount_fen: int) -> str:
        """The centre pays its own money into the settlement account's own balance (it pays refunds' interest)."""
        return self.pay_in(self.info()["settlement_account"], amount_fen, payer="3101000000000001", name="交易中心")

    def pay_in(self, sub_account: str, amount_fen: int, *, payer: str = "1001", name: str = "某建设有限公司") -> str:
        answer = httpx.post(
            f"{self.url}/teller/transfers",
            json={
                "sub_account": sub_account,
                "amount_fen": amount_fen,
                "payer_account": payer,
                "payer_name": name,
                "payer_bank": "中国工商银行兰州分行",
            },
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["bank_txn_id"])

    def faults(self, **faults: Any) -> None:
        answer = httpx.post(f"{self.url}/admin/faults", json=faults, timeout=5)
        assert answer.status_code == 200, answer.text

    def deliveries(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/admin/deliveries", timeout=5).json())

    def advance_clock(self, seconds: float) -> None:
        assert httpx.post(f"{self.url}/admin/clock", json={"advance_seconds": seconds}, timeout=5).status_code == 200

    def balance(self, sub_account: str) -> int:
        return int(httpx.get(f"{self.url}/sub-accounts/{sub_account}", timeout=5).json()["balance_fen"])


def refund(
    sub_account: SubAccount, *, key: str, amount_fen: int, to_account: str = "1001", interest_fen: int = 0
) -> RefundOrder:
    return RefundOrder(
        idempotency_key=key,
        from_sub_account=sub_account.number,
        to_account=to_account,
        to_name="某建设有限公司",
        to_bank="中国工商银行兰州分行",
        principal_fen=amount_fen,
        interest_fen=interest_fen,
        purpose="退还投标保证金及利息",
    )


def bank_day(bank: BankProcess) -> date:
    return to_china_time(datetime.fromisoformat(bank.info()["now"])).date()


def debits(statement: Statement, key: str) -> list[int]:
    """The debits under an order's key: its principal, then its interest (from the settlement account's own
    balance) if any."""
    return [line.amount_fen for line in statement.lines if line.idempotency_key == key]


@pytest.fixture
def receiver() -> Iterator[NoticeReceiver]:
    server = NoticeReceiver()
    yield server
    server.close()


@pytest.fixture
def bank(tmp_path: Path, receiver: NoticeReceiver) -> Iterator[BankProcess]:
    process = BankProcess(tmp_path / "bank-data", receiver.url)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def adapter(bank: BankProcess) -> Iterator[HttpBankAdapter]:
    with HttpBankAdapter.pinned(bank.url, public_key=bank.info()["public_key"], timeout=1.0) as pinned:
        yield pinned
