"""kill -9 during a refund batch (the issue's "Done when"): the bank simulator and the worker each in a process of its
own, the platform's database a file (SQLite) or a schema of its own (PostgreSQL, when GGZY_TEST_DATABASE_URL names
one). The worker is killed while the bank holds an order it executed and the books have not recorded; run again, it
asks before sending, and every refund is transferred exactly once at the bank and posted exactly once in the books,
the books equal to the bank."""

# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.clock import FixedClock
from ggzy.core.db import is_sqlite, make_engine
from ggzy.core.permissions import SYSTEM
from ggzy.finance import books, refunds
from ggzy.finance import service as finance
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.models import Posting, RefundOrderRow
from ggzy.finance.refund_rules import RefundGround
from ggzy.finance.rules import AccountPurpose
from ggzy.finance.worker import FinanceWorker
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW
from tests.finance.bank.conftest import SOURCES, BankProcess, NoticeReceiver, bank_day, debits
from tests.finance.support import RATE, deposit_tender, requested, with_basic_account
from tests.finance.worker_support import PAYER, adapter, bank, engine, platform_db, receiver  # noqa: F401 (fixtures)

BIDDERS = 30
FUNDS = 100_000  # the centre's own money at the bank: it pays the refunds' interest (decision 0036)
HANG = 0.4  # seconds each order's answer is held back by the bank, after it executed the order


def _environment(url: str, bank: BankProcess, data: Path) -> dict[str, str]:
    return os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCES), os.environ.get("PYTHONPATH")])),
        "GGZY_DATABASE_URL": url, "GGZY_DATA_DIR": str(data), "GGZY_BANK_URL": bank.url,
        "GGZY_BANK_PUBLIC_KEY": bank.info()["public_key"], "GGZY_BANK_TIMEOUT_SECONDS": "10", "COLUMNS": "200",
    }  # fmt: skip


def _worker(url: str, bank: BankProcess, data: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ggzy", "finance", "work", "--once"], env=_environment(url, bank, data), stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def _prepare(
    factory: sessionmaker[Session], adapter: HttpBankAdapter, bank: BankProcess, receiver: NoticeReceiver
) -> list[str]:
    """BIDDERS deposits paid at the bank and recorded, the centre's own funds paid into the settlement account, a
    refund ordered for each 31 days after, with interest (招标投标法实施条例 第57条): the outbox the worker drains."""
    with factory() as db:
        tender, _ = deposit_tender(db)
        for _ in range(BIDDERS):
            _, user = requested(db, tender)
            with_basic_account(db, user, PAYER)
        db.commit()
    assert FinanceWorker(factory, adapter, FixedClock(TEST_NOW)).work_once().opened == BIDDERS
    with factory() as db:
        rows = finance.sub_accounts_to_open(db)  # none left
        assert rows == []
        numbers = list(db.scalars(select(finance.DepositSubAccount.number).order_by(finance.DepositSubAccount.id)))
        for position, number in enumerate(numbers):
            bank.pay_in(number or "", 100_000 + position, payer=PAYER)
        bank.fund(FUNDS)
        for signed in receiver.wait_for(BIDDERS + 1, timeout=60):
            finance.record_credit(db, adapter.verify_notice(signed.body, signed.signature), now=TEST_NOW)
        later = datetime.fromisoformat(bank.info()["now"]) + timedelta(days=31)
        for row in db.scalars(select(finance.DepositSubAccount)):
            refunds.order_refunds(
                db, SYSTEM, tender_id=row.tender_id, entity_id=row.entity_id, ground=RefundGround.UNSUCCESSFUL,
                annual_rate=RATE, day_basis=360, now=later,
            )  # fmt: skip
        db.commit()
        assert all(db.scalars(select(RefundOrderRow.interest_fen)))  # each with interest
        return list(db.scalars(select(RefundOrderRow.idempotency_key).order_by(RefundOrderRow.id)))


def _interest(db: Session) -> int:
    return int(db.scalar(select(func.sum(RefundOrderRow.interest_fen))) or 0)


def _orders_at_bank(adapter: HttpBankAdapter, day: date) -> int:
    """The orders the bank executed that day (an order's principal and interest are two lines under its key)."""
    return len({line.idempotency_key for line in adapter.statement(day).lines if line.idempotency_key})


def _executed_in_books(factory: sessionmaker[Session]) -> int:
    with factory() as db:
        query = select(func.count()).select_from(RefundOrderRow).where(RefundOrderRow.status == "executed")
        return int(db.scalar(query) or 0)


def test_kill_9_during_a_refund_batch_transfers_and_posts_every_refund_exactly_once(
    engine: Engine, platform_db: str, adapter: HttpBankAdapter, bank: BankProcess, receiver: NoticeReceiver,
    tmp_path: Path,
) -> None:  # fmt: skip
    factory = session_factory(engine)
    keys = _prepare(factory, adapter, bank, receiver)
    # every order's answer held back HANG seconds after the bank executed it: the window a crash loses the answer in
    bank.faults(hang={"count": 10_000, "seconds": HANG, "after": True, "path": "/orders"})
    log = tmp_path / "worker.log"
    first = _worker(platform_db, bank, tmp_path / "data", log)
    day = bank_day(bank)
    deadline = time.monotonic() + 120
    while True:  # until the bank executed a few more orders than the books recorded, the last answer in flight
        at_bank = _orders_at_bank(adapter, day)
        if at_bank >= 3 and at_bank > _executed_in_books(factory):
            break
        assert first.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    at_bank = _orders_at_bank(adapter, day)
    in_books = _executed_in_books(factory)
    assert 0 < at_bank < BIDDERS
    assert in_books < at_bank
    assert httpx.delete(f"{bank.url}/admin/faults", timeout=5).status_code == 200
    log.write_text("")
    second = _worker(platform_db, bank, tmp_path / "data", log)
    assert second.wait(timeout=120) == 0, log.read_text()
    report = json.loads(log.read_text().strip().splitlines()[-1])
    # asked before sending: every order the first run had marked as sent; sent again only those the bank never got
    assert report["asked"] >= at_bank - in_books, report
    assert report["sent"] == BIDDERS - at_bank, report
    assert report["executed"] == BIDDERS - in_books

    statement = adapter.statement(day)
    with factory() as db:
        rows = list(db.scalars(select(RefundOrderRow).order_by(RefundOrderRow.id)))
        assert [row.idempotency_key for row in rows] == keys
        for row in rows:  # transferred once at the bank (principal and interest), posted once in the books
            assert (row.status, row.posting_id is not None) == ("executed", True), row.idempotency_key
            assert debits(statement, row.idempotency_key) == [row.principal_fen, row.interest_fen]
        refund_postings = db.scalar(select(func.count()).select_from(Posting).where(Posting.kind == "refund"))
        assert refund_postings == BIDDERS
        assert books.incomplete_postings(db) == []
        settlement = books.balance(db, books.account(db, AccountPurpose.SETTLEMENT, now=TEST_NOW))
        # the books equal the bank: every deposit back, the interest paid from the centre's funds
        assert settlement == statement.closing_balance_fen == FUNDS - _interest(db)
        assert books.balances_by_purpose(db)[AccountPurpose.DEPOSIT] == 0
    # and the reconciliation of the day, from the shell, finds nothing to say
    reconciled = subprocess.run(
        [sys.executable, "-m", "ggzy", "finance", "reconcile", "--day", day.isoformat()],
        env=_environment(platform_db, bank, tmp_path / "data"), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    # each deposit in, the centre's funds in, each refund's principal and interest out
    assert f"{3 * BIDDERS + 1} matched, 0 differences" in reconciled.stdout


class TransactionProbe:
    """The real adapter, which before each call to the bank checks that the worker holds no transaction open: on
    SQLite by taking the write lock at once from a connection of its own (it fails while the worker holds a writing
    transaction); on PostgreSQL by asking the server for the worker's connections left in a transaction."""

    CALLS = ("open_sub_account", "order", "order_status", "statement")

    def __init__(self, inner: HttpBankAdapter, platform_db: str, application: str) -> None:
        self.inner, self.platform_db, self.application = inner, platform_db, application
        self.checked = 0
        self.settlement_account = inner.settlement_account

    def _no_transaction_open(self) -> None:
        if is_sqlite(self.platform_db):
            probe = sqlite3.connect(self.platform_db.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")  # "database is locked" while a worker's transaction wrote
                probe.execute("ROLLBACK")
            finally:
                probe.close()
        else:
            plain = make_engine(self.platform_db)
            with plain.connect() as connection:
                holding = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                        "AND state LIKE 'idle in transaction%'"
                    ),
                    {"name": self.application},
                )
            plain.dispose()
            assert holding == 0, "the worker called the bank inside a transaction"
        self.checked += 1

    def __getattr__(self, name: str) -> object:
        target = getattr(self.inner, name)
        if name not in self.CALLS:
            return target

        def call(*args: object, **kwargs: object) -> object:
            self._no_transaction_open()
            return target(*args, **kwargs)

        return call


def test_the_worker_never_calls_the_bank_inside_a_database_transaction(
    engine: Engine, platform_db: str, adapter: HttpBankAdapter, bank: BankProcess, receiver: NoticeReceiver
) -> None:
    application = f"ggzy-worker-{uuid.uuid4().hex[:6]}"
    separator = "&" if "?" in platform_db else "?"
    url = platform_db if is_sqlite(platform_db) else f"{platform_db}{separator}application_name={application}"
    worker_engine = make_engine(url)
    factory = session_factory(worker_engine)
    probe = TransactionProbe(adapter, platform_db, application)
    with factory() as db:
        tender, _ = deposit_tender(db)
        for _ in range(3):
            _, user = requested(db, tender)
            with_basic_account(db, user, PAYER)
        db.commit()
    worker = FinanceWorker(factory, probe, FixedClock(TEST_NOW))  # type: ignore[arg-type]
    assert worker.work_once().opened == 3
    with factory() as db:
        for number in db.scalars(select(finance.DepositSubAccount.number)):
            bank.pay_in(number or "", 50_000, payer=PAYER)
        for signed in receiver.wait_for(3):
            finance.record_credit(db, adapter.verify_notice(signed.body, signed.signature), now=TEST_NOW)
        for row in db.scalars(select(finance.DepositSubAccount)):
            refunds.order_refunds(
                db, SYSTEM, tender_id=row.tender_id, entity_id=row.entity_id, ground=RefundGround.UNSUCCESSFUL,
                annual_rate=Decimal(0), day_basis=360, now=TEST_NOW,
            )  # fmt: skip
        db.commit()
    bank.faults(fail={"count": 1, "status": 503, "path": "/orders"})
    assert worker.work_once().unavailable
    report = worker.work_once()
    # the batch was marked as sent before the bank failed: each is asked after first, then sent under its key
    assert (report.executed, report.asked, report.sent) == (3, 3, 3)
    assert probe.checked == 3 + 1 + 3 + 3  # every call to the bank was checked: opened, failed, asked, sent
    worker_engine.dispose()


def test_two_workers_at_once_transfer_and_post_each_refund_once(
    engine: Engine, platform_db: str, adapter: HttpBankAdapter, bank: BankProcess, receiver: NoticeReceiver,
    tmp_path: Path,
) -> None:  # fmt: skip
    factory = session_factory(engine)
    keys = _prepare(factory, adapter, bank, receiver)
    bank.faults(hang={"count": 10_000, "seconds": 0.05, "after": True, "path": "/orders"})
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    workers = [_worker(platform_db, bank, tmp_path / "data", log) for log in logs]
    for process, log in zip(workers, logs, strict=True):
        assert process.wait(timeout=180) == 0, log.read_text()

    statement = adapter.statement(bank_day(bank))
    with factory() as db:
        for row in db.scalars(select(RefundOrderRow).order_by(RefundOrderRow.id)):
            assert row.idempotency_key in keys
            assert (row.status, row.posting_id is not None) == ("executed", True)
            assert debits(statement, row.idempotency_key) == [row.principal_fen, row.interest_fen]
        assert db.scalar(select(func.count()).select_from(Posting).where(Posting.kind == "refund")) == BIDDERS
        settlement = books.balance(db, books.account(db, AccountPurpose.SETTLEMENT, now=TEST_NOW))
        assert settlement == statement.closing_balance_fen == FUNDS - _interest(db)
