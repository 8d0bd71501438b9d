# ruff: noqa: F811 (the fixtures imported from the bank's conftest are the parameters of the same name)
"""The finance worker's tests meet the real bank: ``ggzy bank serve`` in its own process (tests/finance/bank), its
notices caught by a receiver standing in for the platform's address, then handed to the platform as the bank sent
them (signed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.clock import FixedClock
from ggzy.core.db import is_sqlite
from ggzy.core.permissions import SYSTEM
from ggzy.finance import refunds
from ggzy.finance import service as finance
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.models import BankCredit, DepositSubAccount, RefundOrderRow
from ggzy.finance.refund_rules import RefundGround
from ggzy.finance.worker import FinanceWorker
from ggzy.tendering.models import Tender
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW, pg_copy_of_template, sqlite_copy_of_template

# the bank simulator's fixtures, one definition (tests/finance/bank/conftest.py), for the tests outside that folder
from tests.finance.bank.conftest import BankProcess, NoticeReceiver, adapter, bank, receiver  # noqa: F401
from tests.finance.support import DEPOSIT_FEN, requested, with_basic_account

PAYER = "6222000011112222"


@pytest.fixture
def factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions on the test's connection: the worker's transactions become savepoints of the test's."""
    return session_factory(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def worker(factory: sessionmaker[Session], adapter: HttpBankAdapter, clock: FixedClock) -> FinanceWorker:
    return FinanceWorker(factory, adapter, clock)


@pytest.fixture
def platform_db(engine: Engine) -> str:
    """The URL of the test's own database (not the rolled-back transaction of the other tests), for the worker's
    process."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database of the test's own, migrated: a copy of the migrated template (a file, or a database)."""
    url = os.environ.get("GGZY_TEST_DATABASE_URL")
    if not url or is_sqlite(url):
        with sqlite_copy_of_template(
            request.getfixturevalue("_migrated_sqlite_template"), tmp_path / "platform.db"
        ) as made:
            yield made
        return
    with pg_copy_of_template(url, request.getfixturevalue("_migrated_pg_template"), "crash") as made:
        yield made


def open_at_bank(db: Session, worker: FinanceWorker, tender: Tender) -> DepositSubAccount:
    """A bidder (its basic account PAYER) asks for its sub-account and the worker has the bank open it."""
    row, user = requested(db, tender)
    with_basic_account(db, user, PAYER)
    db.commit()
    report = worker.work_once()
    assert report.opened >= 1, report
    assert not report.unavailable, report
    db.expire_all()
    assert row.number is not None
    return row


def credit_from_bank(
    db: Session, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter, row: DepositSubAccount,
    amount_fen: int = DEPOSIT_FEN,
) -> BankCredit:  # fmt: skip
    """The bidder pays at the bank; the bank's signed notice, as received, recorded by the platform."""
    before = len(receiver.received)
    txn = bank.pay_in(row.number or "", amount_fen, payer=PAYER)
    received = receiver.wait_for(before + 1)
    delivered = next(item for item in received if txn.encode() in item.body)
    outcome = finance.record_credit(db, adapter.verify_notice(delivered.body, delivered.signature), now=TEST_NOW)
    db.commit()
    return outcome.credit


def order_back(
    db: Session, row: DepositSubAccount, ground: RefundGround = RefundGround.UNSUCCESSFUL, *,
    annual_rate: Decimal = Decimal(0), now: datetime = TEST_NOW,
) -> None:  # fmt: skip
    refunds.order_refunds(
        db, SYSTEM, tender_id=row.tender_id, entity_id=row.entity_id, ground=ground, annual_rate=annual_rate,
        day_basis=360, now=now,
    )  # fmt: skip
    db.commit()


def fund_from_bank(
    db: Session, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter, amount_fen: int
) -> BankCredit:
    """The centre pays its own money into the settlement account at the bank (it pays the refunds' interest); the
    bank's signed notice, as received, recorded by the platform as the centre's funds."""
    before = len(receiver.received)
    txn = bank.fund(amount_fen)
    received = receiver.wait_for(before + 1)
    delivered = next(item for item in received if txn.encode() in item.body)
    notice = adapter.verify_notice(delivered.body, delivered.signature)
    assert notice.own_funds
    outcome = finance.record_credit(db, notice, now=TEST_NOW)
    db.commit()
    return outcome.credit


def bank_now(bank: BankProcess) -> datetime:
    return datetime.fromisoformat(bank.info()["now"])


def orders(db: Session) -> list[RefundOrderRow]:
    db.expire_all()
    return list(db.scalars(select(RefundOrderRow).order_by(RefundOrderRow.id)))
