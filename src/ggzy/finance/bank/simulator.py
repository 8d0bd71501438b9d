"""The bank simulator's books: a bank of its own, kept durably in a directory, that the platform can only reach over
HTTP (``ggzy bank serve``; the server is ``simulator_server``).

The directory holds:

    bank-key.pem     the bank's Ed25519 signing key (mode 0600), made at the first start; notices are signed with it
    bank.sqlite3     the bank's database (stdlib sqlite3, WAL, synchronous=FULL: an answered call survives kill -9):
                     its settlement account, sub-accounts, transactions, orders, signed notices and their deliveries

The bank holds the platform's settlement account (结算账户) and the virtual sub-accounts under it; the settlement
account's balance is the sum of its sub-accounts' and of its own balance (the centre's funds, 自有资金: kept as the
row of ``sub_accounts`` whose number is the settlement account itself, credited at the teller like any account). An
order pays its principal out of its sub-account and its interest out of the own balance, both or neither: two
transactions under the order's key (the interest's in ``order_key``). Every state change is one SQLite
transaction: a credit books the transaction, the signed notice and its deliveries together (an outbox), so a notice
is never lost nor sent for a credit that was not booked. Amounts are integer 分.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.core.events import canonical_json
from ggzy.finance.bank.protocol import (
    OWN_FUNDS_SHORT,
    CreditNotice,
    Direction,
    OrderReceipt,
    OrderStatus,
    RefundOrder,
    Statement,
    StatementLine,
    SubAccount,
)
from ggzy.finance.bank.wire import encode_order, notice_body, public_key_text, sign_notice

BANK_NAME = "ggzy 模拟银行 (bank simulator)"
OWN_FUNDS_REFERENCE = "settlement-account-own-funds"  # the platform's references are deposit-…, never this

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sub_accounts (
    number TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, name TEXT NOT NULL, opened_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY, bank_txn_id TEXT NOT NULL UNIQUE,
    sub_account TEXT NOT NULL REFERENCES sub_accounts(number), direction TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0), counterparty_account TEXT NOT NULL,
    counterparty_name TEXT NOT NULL, counterparty_bank TEXT NOT NULL, booked_us INTEGER NOT NULL,
    idempotency_key TEXT UNIQUE);
CREATE INDEX IF NOT EXISTS transactions_booked ON transactions (booked_us);
CREATE INDEX IF NOT EXISTS transactions_sub_account ON transactions (sub_account);
CREATE TABLE IF NOT EXISTS orders (
    idempotency_key TEXT PRIMARY KEY, request TEXT NOT NULL, status TEXT NOT NULL, bank_txn_id TEXT,
    reason TEXT, at_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notices (
    bank_txn_id TEXT PRIMARY KEY REFERENCES transactions(bank_txn_id), body BLOB NOT NULL, signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, bank_txn_id TEXT NOT NULL REFERENCES notices(bank_txn_id),
    due_us INTEGER, attempts INTEGER NOT NULL DEFAULT 0, delivered_us INTEGER, last_error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (delivered_us, due_us);
"""


class BankRefusal(Exception):
    """A request the bank refuses outright (HTTP 4xx), as opposed to an order it takes and rejects."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _us(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def _moment(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def china_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME)
    return start, start + timedelta(days=1)


def _load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())
    return key


@dataclass(frozen=True)
class Delivery:
    id: int
    bank_txn_id: str
    body: bytes
    signature: str
    attempts: int


class BankBooks:
    """The simulator's state. Thread-safe: one connection, one lock, one SQLite transaction per operation."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._key = _load_or_create_key(directory / "bank-key.pem")
        self.public_key = public_key_text(self._key.public_key())
        self._lock = threading.Lock()
        self._db = sqlite3.connect(directory / "bank.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'settlement_account'").fetchone()
            if row is None:
                # 19 digits, as Chinese banks write account numbers; random so two simulators never share one
                account = "6217" + "".join(str(secrets.randbelow(10)) for _ in range(15))
                db.execute("INSERT INTO meta VALUES ('settlement_account', ?)", (account,))
                db.execute("INSERT INTO meta VALUES ('clock_offset_us', '0')")
            else:
                account = row[0]
            columns = {column[1] for column in db.execute("PRAGMA table_info(transactions)")}
            if "order_key" not in columns:  # a bank directory made before refunds paid interest (decision 0036)
                db.execute("ALTER TABLE transactions ADD COLUMN order_key TEXT")
            db.execute(
                "INSERT OR IGNORE INTO sub_accounts VALUES (?, ?, ?, 0)",
                (account, OWN_FUNDS_REFERENCE, "结算账户自有资金 the settlement account's own funds"),
            )
        self.settlement_account: str = account

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- the simulator's clock (the system's, moved on demand: forward to reach another day, or set by a demo) ------

    def now(self) -> datetime:
        with self._lock:
            offset = int(self._db.execute("SELECT value FROM meta WHERE key = 'clock_offset_us'").fetchone()[0])
        return datetime.now(UTC) + timedelta(microseconds=offset)

    def advance_clock(self, seconds: float) -> datetime:
        with self._transaction() as db:
            db.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'clock_offset_us'",
                (round(seconds * 1_000_000),),
            )
        return self.now()

    def latest_booked(self) -> datetime | None:
        """The time of the latest line the bank booked or order it answered (None: its books are empty)."""
        with self._lock:
            return self._latest_booked(self._db)

    def _latest_booked(self, db: sqlite3.Connection) -> datetime | None:
        row = db.execute(
            "SELECT max(at) FROM (SELECT max(booked_us) AS at FROM transactions"
            " UNION ALL SELECT max(at_us) FROM orders)"
        ).fetchone()
        return None if row[0] is None else _moment(row[0])

    def set_clock(self, moment: datetime) -> datetime:
        """Set the bank's clock to ``moment`` (it runs on from there), forward or back — but never before the latest
        line it booked or order it answered, so that its books stay in the order of their times and no statement
        already given changes (decision 0039: the demo drives it along its story's clock)."""
        with self._transaction() as db:
            latest = self._latest_booked(db)
            if latest is not None and moment < latest:
                raise BankRefusal(
                    409,
                    "clock_before_booked_line",
                    f"the bank's clock cannot be set to {moment.isoformat()}: it booked a line at {latest.isoformat()}",
                )
            offset = _us(moment) - _us(datetime.now(UTC))
            db.execute("UPDATE meta SET value = ? WHERE key = 'clock_offset_us'", (str(offset),))
        return self.now()

    # --- sub-accounts ------------------------------------------------------------------------------------------------

    def open_sub_account(self, *, reference: str, name: str, now: datetime) -> tuple[SubAccount, bool]:
        """The sub-account for ``reference`` (the one opened before, with its first name, if any) and whether it is
        new."""
        with self._transaction() as db:
            row = db.execute("SELECT number, name FROM sub_accounts WHERE reference = ?", (reference,)).fetchone()
            if row is not None:
                return SubAccount(number=row[0], name=row[1], reference=reference), False
            serial = db.execute(
                "SELECT count(*) + 1 FROM sub_accounts WHERE number <> ?", (self.settlement_account,)
            ).fetchone()[0]
            number = f"{self.settlement_account}{serial:06d}"
            db.execute("INSERT INTO sub_accounts VALUES (?, ?, ?, ?)", (number, reference, name, _us(now)))
        return SubAccount(number=number, name=name, reference=reference), True

    def balance(self, sub_account: str) -> int:
        with self._lock:
            return self._balance(self._db, sub_account)

    def _balance(self, db: sqlite3.Connection, sub_account: str) -> int:
        if db.execute("SELECT 1 FROM sub_accounts WHERE number = ?", (sub_account,)).fetchone() is None:
            raise BankRefusal(404, "unknown_sub_account", f"no sub-account {sub_account}")
        row = db.execute(
            "SELECT coalesce(sum(CASE direction WHEN 'credit' THEN amount_fen ELSE -amount_fen END), 0)"
            " FROM transactions WHERE sub_account = ?",
            (sub_account,),
        ).fetchone()
        return int(row[0])

    def _book(
        self,
        db: sqlite3.Connection,
        *,
        sub_account: str,
        direction: Direction,
        amount_fen: int,
        counterparty: tuple[str, str, str],
        now: datetime,
        idempotency_key: str | None = None,
        order_key: str | None = None,
    ) -> str:
        seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM transactions").fetchone()[0]
        bank_txn_id = f"T{now.astimezone(CHINA_STANDARD_TIME):%Y%m%d}{seq:010d}"
        db.execute(
            "INSERT INTO transactions (seq, bank_txn_id, sub_account, direction, amount_fen, counterparty_account,"
            " counterparty_name, counterparty_bank, booked_us, idempotency_key, order_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                bank_txn_id,
                sub_account,
                direction.value,
                amount_fen,
                *counterparty,
                _us(now),
                idempotency_key,
                order_key,
            ),
        )
        return bank_txn_id

    # --- a payer's transfer in (the teller), with its signed notice ---------------------------------------------------

    def credit(
        self,
        *,
        sub_account: str,
        amount_fen: int,
        payer_account: str,
        payer_name: str,
        payer_bank: str,
        now: datetime,
        deliveries: Sequence[datetime | None],
    ) -> CreditNotice:
        """Book a payer's transfer into ``sub_account`` and queue its signed notice: one delivery per element of
        ``deliveries`` (its due time; ``None``: held until released)."""
        with self._transaction() as db:
            self._balance(db, sub_account)  # refuses an unknown sub-account: the money goes back to the payer
            bank_txn_id = self._book(
                db,
                sub_account=sub_account,
                direction=Direction.CREDIT,
                amount_fen=amount_fen,
                counterparty=(payer_account, payer_name, payer_bank),
                now=now,
            )
            notice = CreditNotice(
                bank_txn_id=bank_txn_id,
                sub_account=sub_account,
                amount_fen=amount_fen,
                payer_account=payer_account,
                payer_name=payer_name,
                payer_bank=payer_bank,
                booked_at=now,
            )
            body = notice_body(notice, account=self.settlement_account)
            db.execute("INSERT INTO notices VALUES (?, ?, ?)", (bank_txn_id, body, sign_notice(self._key, body)))
            db.executemany(
                "INSERT INTO deliveries (bank_txn_id, due_us) VALUES (?, ?)",
                [(bank_txn_id, None if due is None else _us(due)) for due in deliveries],
            )
        return notice

    # --- orders ------------------------------------------------------------------------------------------------------

    def order(self, order: RefundOrder, *, now: datetime) -> OrderReceipt:
        """Execute an order at once if the sub-account's balance covers its principal and the settlement account's own
        balance its interest (one transfer to the payee, two lines of the statement), else reject it whole; the same
        idempotency key returns the first answer (and a different order under a used key is refused)."""
        request = canonical_json(encode_order(order))
        with self._transaction() as db:
            row = db.execute(
                "SELECT request FROM orders WHERE idempotency_key = ?", (order.idempotency_key,)
            ).fetchone()
            if row is not None:
                if row[0] != request:
                    raise BankRefusal(
                        409, "idempotency_key_reused", f"idempotency key {order.idempotency_key} names another order"
                    )
                receipt = self._receipt(db, order.idempotency_key)
                assert receipt is not None
                return receipt
            reason = self._rejection(db, order)
            bank_txn_id = None
            if reason is None:
                payee = (order.to_account, order.to_name, order.to_bank)
                bank_txn_id = self._book(
                    db, sub_account=order.from_sub_account, direction=Direction.DEBIT, amount_fen=order.principal_fen,
                    counterparty=payee, now=now, idempotency_key=order.idempotency_key,
                )  # fmt: skip
                if order.interest_fen:
                    self._book(
                        db, sub_account=self.settlement_account, direction=Direction.DEBIT,
                        amount_fen=order.interest_fen, counterparty=payee, now=now, order_key=order.idempotency_key,
                    )  # fmt: skip
            status = OrderStatus.REJECTED if reason else OrderStatus.EXECUTED
            db.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)",
                (order.idempotency_key, request, status.value, bank_txn_id, reason, _us(now)),
            )
        return OrderReceipt(
            idempotency_key=order.idempotency_key, bank_txn_id=bank_txn_id, status=status, at=now, reason=reason
        )

    def _rejection(self, db: sqlite3.Connection, order: RefundOrder) -> str | None:
        if order.from_sub_account == self.settlement_account:
            return f"账户不存在 no sub-account {order.from_sub_account}"  # the own balance pays interest, not refunds
        try:
            balance = self._balance(db, order.from_sub_account)
        except BankRefusal:
            return f"账户不存在 no sub-account {order.from_sub_account}"
        if balance < order.principal_fen:
            return f"余额不足 insufficient balance: {balance} 分 < {order.principal_fen} 分"
        own = self._balance(db, self.settlement_account)
        if own < order.interest_fen:
            return (
                f"{OWN_FUNDS_SHORT} the settlement account's own funds cannot pay the interest: {own} 分 < "
                f"{order.interest_fen} 分"
            )
        return None

    def order_status(self, idempotency_key: str) -> OrderReceipt | None:
        with self._lock:
            return self._receipt(self._db, idempotency_key)

    def _receipt(self, db: sqlite3.Connection, idempotency_key: str) -> OrderReceipt | None:
        row = db.execute(
            "SELECT status, bank_txn_id, reason, at_us FROM orders WHERE idempotency_key = ?", (idempotency_key,)
        ).fetchone()
        if row is None:
            return None
        return OrderReceipt(
            idempotency_key=idempotency_key,
            bank_txn_id=row[1],
            status=OrderStatus(row[0]),
            at=_moment(row[3]),
            reason=row[2],
        )

    # --- statements --------------------------------------------------------------------------------------------------

    def statement(self, day: date) -> Statement:
        start, end = china_day_bounds(day)
        with self._lock:
            opening = self._db.execute(
                "SELECT coalesce(sum(CASE direction WHEN 'credit' THEN amount_fen ELSE -amount_fen END), 0)"
                " FROM transactions WHERE booked_us < ?",
                (_us(start),),
            ).fetchone()[0]
            rows = self._db.execute(
                "SELECT bank_txn_id, sub_account, direction, amount_fen, counterparty_account, counterparty_name,"
                " booked_us, coalesce(idempotency_key, order_key) FROM transactions"
                " WHERE booked_us >= ? AND booked_us < ? ORDER BY seq",
                (_us(start), _us(end)),
            ).fetchall()
        lines = tuple(
            StatementLine(
                bank_txn_id=row[0],
                sub_account=row[1],
                direction=Direction(row[2]),
                amount_fen=row[3],
                counterparty_account=row[4],
                counterparty_name=row[5],
                booked_at=_moment(row[6]),
                idempotency_key=row[7],
            )
            for row in rows
        )
        moved = sum(line.amount_fen if line.direction is Direction.CREDIT else -line.amount_fen for line in lines)
        return Statement(
            account=self.settlement_account,
            day=day,
            opening_balance_fen=opening,
            closing_balance_fen=opening + moved,
            lines=lines,
        )

    # --- notice deliveries (the outbox the notifier drains) -----------------------------------------------------------

    def due_deliveries(self, now: datetime, *, limit: int = 100) -> list[Delivery]:
        with self._lock:
            rows = self._db.execute(
                "SELECT d.id, d.bank_txn_id, n.body, n.signature, d.attempts FROM deliveries d"
                " JOIN notices n USING (bank_txn_id)"
                " WHERE d.delivered_us IS NULL AND d.due_us IS NOT NULL AND d.due_us <= ? ORDER BY d.due_us, d.id"
                " LIMIT ?",
                (_us(now), limit),
            ).fetchall()
        return [Delivery(id=row[0], bank_txn_id=row[1], body=row[2], signature=row[3], attempts=row[4]) for row in rows]

    def next_due(self) -> datetime | None:
        with self._lock:
            row = self._db.execute(
                "SELECT min(due_us) FROM deliveries WHERE delivered_us IS NULL AND due_us IS NOT NULL"
            ).fetchone()
        return None if row[0] is None else _moment(row[0])

    def delivered(self, delivery_id: int, *, now: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE deliveries SET delivered_us = ?, attempts = attempts + 1 WHERE id = ?", (_us(now), delivery_id)
            )

    def failed(self, delivery_id: int, *, error: str, retry_at: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, due_us = ? WHERE id = ?",
                (error[:500], _us(retry_at), delivery_id),
            )

    def release_held(self, *, now: datetime, reverse: bool) -> int:
        """Make every held delivery due now, one microsecond apart, in booking order or its reverse."""
        with self._transaction() as db:
            held = [row[0] for row in db.execute("SELECT id FROM deliveries WHERE due_us IS NULL ORDER BY id")]
            order = list(reversed(held)) if reverse else held
            db.executemany(
                "UPDATE deliveries SET due_us = ? WHERE id = ?",
                [(_us(now) + position, delivery_id) for position, delivery_id in enumerate(order)],
            )
        return len(held)

    def deliveries(self) -> list[dict[str, object]]:
        """Every delivery, for the operator (and the tests): which notice, due when, attempts, delivered when."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, bank_txn_id, due_us, attempts, delivered_us, last_error FROM deliveries ORDER BY id"
            ).fetchall()
        return [
            {
                "id": row[0],
                "bank_txn_id": row[1],
                "due_at": None if row[2] is None else _moment(row[2]).isoformat(),
                "attempts": row[3],
                "delivered_at": None if row[4] is None else _moment(row[4]).isoformat(),
                "last_error": row[5],
            }
            for row in rows
        ]
