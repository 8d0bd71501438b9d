"""The simulator's settlement account has a balance of its own (the centre's funds, decision 0036): it pays the
interest of refund orders, both parts or neither, and a bank directory made before it existed is taken up as it
is."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ggzy.core.clock import to_china_time
from ggzy.finance.bank.protocol import OWN_FUNDS_SHORT, OrderStatus, RefundOrder
from ggzy.finance.bank.simulator import BankBooks

SETTLEMENT = "6217000000000000001"
OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sub_accounts (
    number TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, name TEXT NOT NULL, opened_us INTEGER NOT NULL);
CREATE TABLE transactions (
    seq INTEGER PRIMARY KEY, bank_txn_id TEXT NOT NULL UNIQUE,
    sub_account TEXT NOT NULL REFERENCES sub_accounts(number), direction TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0), counterparty_account TEXT NOT NULL,
    counterparty_name TEXT NOT NULL, counterparty_bank TEXT NOT NULL, booked_us INTEGER NOT NULL,
    idempotency_key TEXT UNIQUE);
"""


def _order(key: str, sub_account: str, principal: int, interest: int) -> RefundOrder:
    return RefundOrder(key, sub_account, "1001", "某建设有限公司", "某银行", principal, interest, "退还保证金及利息")


def test_a_bank_directory_from_before_own_funds_keeps_its_books_and_pays_interest_from_its_own_balance(
    tmp_path: Path,
) -> None:
    with sqlite3.connect(tmp_path / "bank.sqlite3") as old:  # as the simulator of decision 0034 left it
        old.executescript(OLD_SCHEMA)
        old.execute("INSERT INTO meta VALUES ('settlement_account', ?), ('clock_offset_us', '0')", (SETTLEMENT,))
        old.execute("INSERT INTO sub_accounts VALUES (?, 'deposit-1-1', '保证金', 0)", (SETTLEMENT + "000001",))
        old.execute(
            "INSERT INTO transactions VALUES (1, 'T1', ?, 'credit', 1000, '1001', '某建设有限公司', '某银行', 1, NULL)",
            (SETTLEMENT + "000001",),
        )
    books = BankBooks(tmp_path)
    now = datetime.now(UTC)
    try:
        short = books.order(_order("k1", SETTLEMENT + "000001", 1000, 30), now=now)
        assert short.status is OrderStatus.REJECTED
        assert (short.reason or "").startswith(OWN_FUNDS_SHORT)
        assert books.balance(SETTLEMENT + "000001") == 1000  # the principal did not leave alone
        books.credit(
            sub_account=SETTLEMENT, amount_fen=50, payer_account="3101", payer_name="交易中心", payer_bank="某银行",
            now=now, deliveries=[],
        )  # fmt: skip
        paid = books.order(_order("k2", SETTLEMENT + "000001", 1000, 30), now=now)
        assert paid.status is OrderStatus.EXECUTED
        new, created = books.open_sub_account(reference="deposit-1-2", name="保证金", now=now)
        assert (new.number, created) == (SETTLEMENT + "000002", True)  # the own balance is no sub-account's serial
        statement = books.statement(to_china_time(now).date())  # the bank's day is Beijing's
        assert [(line.sub_account, line.amount_fen, line.idempotency_key) for line in statement.lines] == [
            (SETTLEMENT, 50, None),
            (SETTLEMENT + "000001", 1000, "k2"),
            (SETTLEMENT, 30, "k2"),
        ]
        assert (statement.opening_balance_fen, statement.closing_balance_fen) == (1000, 20)
        assert books.balance(SETTLEMENT) == 20
    finally:
        books.close()
