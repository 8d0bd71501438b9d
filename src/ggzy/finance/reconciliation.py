"""Reconciliation (对账, decision 0031 "The worker and the reconciliation"): the bank's statement of a China Standard
Time day against the books' settlement account.

Every statement line is matched with the books: a credit by its ``bank_txn_id`` (``finance_credits``: a deposit, the
centre funding the settlement account's own balance, an institution paying a claim), a debit by the idempotency key
of the platform's order (``finance_refund_orders`` answered as executed) — its principal from the sub-account, its
interest from the settlement account's own balance, two lines (decision 0036) — and the amounts compared. Every
entry of the books that the bank booked that day (a credit by the bank's booking time, an executed refund by the time
of the bank's receipt) must be on the statement; the statement's opening and closing balances
must be the books' at the day's bounds. Each difference becomes an alert for the centre (``finance_alerts``, with
the run that found it) and is never corrected here: the books change only through their services, on the centre's
decision. A run is recorded (``finance_reconciliations``) with its event, whether it found differences or none.

The statement is fetched from the bank outside any transaction (:func:`fetch_and_reconcile`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.core.db import unit_of_work
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import SYSTEM, Principal
from ggzy.finance.access import check_alert_staff
from ggzy.finance.bank.protocol import BankAdapter, Direction, Statement, StatementLine
from ggzy.finance.models import BankCredit, FinanceAlert, ReconciliationRun, RefundOrderRow
from ggzy.finance.refunds import EXECUTED
from ggzy.finance.worker import AfterCommit


class Difference(StrEnum):
    """The kinds of alert a reconciliation raises (``finance_alerts.kind``)."""

    NOT_IN_BOOKS = "statement_line_not_in_books"  # the bank booked it, the books have no such entry
    NOT_AT_BANK = "books_entry_not_at_bank"  # the books have it for the day, the statement does not
    AMOUNT = "statement_amount_differs"  # the same transaction, another amount
    OPENING = "opening_balance_differs"
    CLOSING = "closing_balance_differs"


def china_day_bounds(day: date) -> tuple[datetime, datetime]:
    """A China Standard Time day, as the bank's statements cut them: [midnight, next midnight)."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class BooksEntry:
    """A movement of the settlement account as the books hold it, with the bank's time."""

    key: str  # the bank_txn_id of a credit, the idempotency key of an order
    direction: Direction
    amount_fen: int
    at: datetime


@dataclass(frozen=True)
class Found:
    kind: Difference
    detail: str
    credit_id: int | None = None


def _credits_between(db: Session, start: datetime | None, end: datetime) -> list[BankCredit]:
    query = select(BankCredit).where(BankCredit.booked_at < end)
    if start is not None:
        query = query.where(BankCredit.booked_at >= start)
    return list(db.scalars(query.order_by(BankCredit.id)))


def _refunds_between(db: Session, start: datetime | None, end: datetime) -> list[RefundOrderRow]:
    query = select(RefundOrderRow).where(RefundOrderRow.status == EXECUTED, RefundOrderRow.answered_at < end)
    if start is not None:
        query = query.where(RefundOrderRow.answered_at >= start)
    return list(db.scalars(query.order_by(RefundOrderRow.id)))


def books_balance_at(db: Session, moment: datetime) -> int:
    """The settlement account's balance in the books as the bank's times place it: the credits the bank booked before
    ``moment`` less the refunds it executed before then (what the statement's balance must be)."""
    credited = db.scalar(select(func.coalesce(func.sum(BankCredit.amount_fen), 0)).where(BankCredit.booked_at < moment))
    refunded = db.scalar(
        select(func.coalesce(func.sum(RefundOrderRow.principal_fen + RefundOrderRow.interest_fen), 0)).where(
            RefundOrderRow.status == EXECUTED, RefundOrderRow.answered_at < moment
        )
    )
    return int(credited or 0) - int(refunded or 0)


INTEREST = " interest"  # the books' key of an order's interest line: the order's key and this


def _refund_entries(row: RefundOrderRow) -> list[BooksEntry]:
    """An executed refund as the statement shows it: the principal (from the sub-account) and, if any, the interest
    (from the settlement account's own balance), each under the order's key."""
    assert row.answered_at is not None
    entries = [BooksEntry(row.idempotency_key, Direction.DEBIT, row.principal_fen, row.answered_at)]
    if row.interest_fen:
        entries.append(BooksEntry(row.idempotency_key + INTEREST, Direction.DEBIT, row.interest_fen, row.answered_at))
    return entries


def books_entries(db: Session, day: date) -> list[BooksEntry]:
    start, end = china_day_bounds(day)
    entries = [
        BooksEntry(credit.bank_txn_id, Direction.CREDIT, credit.amount_fen, credit.booked_at)
        for credit in _credits_between(db, start, end)
    ]
    for row in _refunds_between(db, start, end):
        if row.answered_at is not None:
            entries += _refund_entries(row)
    return entries


def compare(db: Session, statement: Statement) -> tuple[list[Found], int, int, int]:
    """The differences between ``statement`` and the books, the lines matched, and the books' opening and closing
    balances."""
    start, end = china_day_bounds(statement.day)
    found: list[Found] = []
    matched = 0
    ours = {(entry.direction, entry.key): entry for entry in books_entries(db, statement.day)}
    for line in statement.lines:
        key = _key_of(line, statement.account)
        entry = ours.pop((line.direction, key), None)
        if entry is None:
            entry = _elsewhere(db, line, key)
        if entry is None:
            found.append(Found(Difference.NOT_IN_BOOKS, _describe(line), _credit_id(db, line)))
            continue
        if entry.amount_fen != line.amount_fen:
            found.append(
                Found(
                    Difference.AMOUNT,
                    f"{_describe(line)}; 账簿 books {entry.amount_fen} 分",
                    _credit_id(db, line),
                )
            )
            continue
        matched += 1
    for entry in ours.values():
        found.append(
            Found(
                Difference.NOT_AT_BANK,
                f"{entry.direction.value} {entry.key} {entry.amount_fen} 分 @ {entry.at.isoformat()}: 对账单无此笔 "
                "not on the bank's statement",
            )
        )
    opening, closing = books_balance_at(db, start), books_balance_at(db, end)
    if opening != statement.opening_balance_fen:
        found.append(
            Found(
                Difference.OPENING,
                f"期初 opening: 银行 bank {statement.opening_balance_fen} 分, 账簿 books {opening} 分",
            )
        )
    if closing != statement.closing_balance_fen:
        found.append(
            Found(
                Difference.CLOSING,
                f"期末 closing: 银行 bank {statement.closing_balance_fen} 分, 账簿 books {closing} 分",
            )
        )
    return found, matched, opening, closing


def _key_of(line: StatementLine, account: str) -> str:
    if line.direction is Direction.DEBIT and line.idempotency_key:
        return line.idempotency_key + (INTEREST if line.own_funds(account) else "")
    return line.bank_txn_id


def _elsewhere(db: Session, line: StatementLine, key: str) -> BooksEntry | None:
    """The books' entry for a statement line recorded at another time than the day (a credit the bank booked that day
    but dated otherwise in the books): matched, and its amount still compared."""
    if line.direction is Direction.CREDIT:
        credit = db.scalar(select(BankCredit).where(BankCredit.bank_txn_id == key))
        if credit is not None:
            return BooksEntry(key, Direction.CREDIT, credit.amount_fen, credit.booked_at)
        return None
    row = db.scalar(select(RefundOrderRow).where(RefundOrderRow.idempotency_key == key.removesuffix(INTEREST)))
    if row is not None and row.status == EXECUTED and row.answered_at is not None:
        return next((entry for entry in _refund_entries(row) if entry.key == key), None)
    return None


def _credit_id(db: Session, line: StatementLine) -> int | None:
    if line.direction is not Direction.CREDIT:
        return None
    return db.scalar(select(BankCredit.id).where(BankCredit.bank_txn_id == line.bank_txn_id))


def _describe(line: StatementLine) -> str:
    key = f" ({line.idempotency_key})" if line.idempotency_key else ""
    return (
        f"{line.direction.value} {line.bank_txn_id}{key} {line.amount_fen} 分 {line.sub_account} ↔ "
        f"{line.counterparty_account} @ {line.booked_at.isoformat()}"
    )


@changes_state("finance.reconciled", disclosed=False)
def reconcile(db: Session, statement: Statement, *, now: datetime, actor: Principal = SYSTEM) -> ReconciliationRun:
    """Compare the bank's ``statement`` with the books, record the run with its event and one alert per difference
    (for the staff of every centre: the settlement account is the platform's). Nothing in the books changes."""
    found, matched, opening, closing = compare(db, statement)
    event = record_event(
        db, actor, action="finance.reconciled", subject_type="statement", subject_id=statement.day.isoformat(),
        payload={
            "account": statement.account, "day": statement.day.isoformat(), "lines": len(statement.lines),
            "matched": matched, "bank_opening_fen": statement.opening_balance_fen,
            "bank_closing_fen": statement.closing_balance_fen, "books_opening_fen": opening,
            "books_closing_fen": closing, "differences": [{"kind": f.kind.value, "detail": f.detail} for f in found],
        },
        now=now,
    )  # fmt: skip
    run = ReconciliationRun(
        day=statement.day, account=statement.account, bank_opening_fen=statement.opening_balance_fen,
        bank_closing_fen=statement.closing_balance_fen, books_opening_fen=opening, books_closing_fen=closing,
        statement_lines=len(statement.lines), matched_lines=matched, differences=len(found), run_at=now,
        event_id=event.id,
    )  # fmt: skip
    db.add(run)
    db.flush()
    for item in found:
        db.add(
            FinanceAlert(
                centre_id=None, kind=item.kind.value, credit_id=item.credit_id, reconciliation_id=run.id,
                detail=f"{statement.day.isoformat()} {item.detail}", raised_at=now, resolved=False,
            )
        )  # fmt: skip
    db.flush()
    return run


def fetch_and_reconcile(
    factory: sessionmaker[Session], adapter: BankAdapter, day: date, *, now: datetime,
    after_commit: AfterCommit | None = None,
) -> ReconciliationRun:  # fmt: skip
    """Fetch the day's statement (no transaction open while the bank is asked), then reconcile it in one."""
    statement = adapter.statement(day)
    with unit_of_work(factory, after_commit=after_commit) as db:
        run = reconcile(db, statement, now=now)
        db.expunge(run)
    return run


def runs(db: Session, *, limit: int = 100) -> list[ReconciliationRun]:
    return list(db.scalars(select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(limit)))


def alerts_of(db: Session, run_ids: list[int]) -> dict[int, list[FinanceAlert]]:
    if not run_ids:
        return {}
    rows = db.scalars(select(FinanceAlert).where(FinanceAlert.reconciliation_id.in_(run_ids)).order_by(FinanceAlert.id))
    grouped: dict[int, list[FinanceAlert]] = {run_id: [] for run_id in run_ids}
    for alert in rows:
        assert alert.reconciliation_id is not None
        grouped[alert.reconciliation_id].append(alert)
    return grouped


@changes_state("finance.alert_resolved", disclosed=False)
def resolve_alert(db: Session, actor: Principal, *, alert_id: int, resolution: str, now: datetime) -> FinanceAlert:
    """A centre's staff member records how an alert was resolved (the books themselves change only through their
    own services): the alert is marked resolved with who, when and what, under its event, and stays in the history.
    Resolving it again is refused and changes nothing."""
    alert = db.get(FinanceAlert, alert_id)
    if alert is None:
        raise NotFound(field="alert_id", what_zh="资金告警", what_en="Finance alert")
    actor = check_alert_staff(actor, alert.centre_id)
    resolution = resolution.strip()
    if len(resolution) < 2:
        raise InvalidInput(field="resolution", reason_zh="须写明处理情况", reason_en="say how it was resolved")
    if alert.resolved:
        raise Conflict(field="alert_id", reason_zh="该告警已处理", reason_en="the alert is resolved already")
    record_event(
        db, actor, action="finance.alert_resolved", subject_type="finance_alert", subject_id=alert.id,
        centre_id=alert.centre_id, now=now,
        payload={"kind": alert.kind, "detail": alert.detail, "resolution": resolution},
    )  # fmt: skip
    alert.resolved, alert.resolved_at, alert.resolved_by, alert.resolution = True, now, actor.user_id, resolution
    db.flush()
    return alert
