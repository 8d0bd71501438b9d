"""Refunds with interest reach the payee (decision 0036): at the bank simulator in its own process, the principal
leaves the bidder's sub-account and the interest the settlement account's own balance (the centre's funds,
招标投标法实施条例 第31条、第57条: 银行同期存款利息), one order, two statement lines; the books post the principal from
the deposit and the interest as the centre's expense, and equal the bank to the fen. Own funds short: the order is
rejected whole and the centre alerted. A bank's 4xx on an order is an alert and is not sent again."""

# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.finance import books
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import SubAccount
from ggzy.finance.models import FinanceAlert, Posting
from ggzy.finance.reconciliation import reconcile
from ggzy.finance.refund_rules import RefundGround
from ggzy.finance.rules import AccountPurpose, AlertKind
from ggzy.finance.worker import FinanceWorker
from tests.conftest import TEST_NOW
from tests.finance.bank.conftest import BankProcess, NoticeReceiver, bank_day, debits, refund
from tests.finance.support import DEPOSIT_FEN, RATE, deposit_tender
from tests.finance.worker_support import (  # noqa: F401 (fixtures)
    PAYER,
    adapter,
    bank,
    bank_now,
    credit_from_bank,
    factory,
    fund_from_bank,
    open_at_bank,
    order_back,
    orders,
    receiver,
    worker,
)

FUNDS = 10_000  # 100 元 of the centre's own money at the bank


def _balance(db: Session, purpose: AccountPurpose) -> int:
    return books.balances_by_purpose(db)[purpose]


def test_regulations_art_57_a_refund_with_interest_is_executed_by_the_bank_and_the_books_equal_it(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit_from_bank(db, bank, receiver, adapter, row)
    fund_from_bank(db, bank, receiver, adapter, FUNDS)
    # refunded 31 days after the bank booked the deposit (招标投标法实施条例 第57条, with the bank's interest)
    order_back(db, row, RefundGround.SUCCESSFUL, annual_rate=RATE, now=bank_now(bank) + timedelta(days=31))
    [ordered] = orders(db)
    assert ordered.interest_fen == round(DEPOSIT_FEN * RATE * 31 / 360) > 0  # 2,000,000 × 0.35% × 31 / 360 = 602.8

    report = worker.work_once()

    assert (report.sent, report.executed, report.rejected) == (1, 1, 0), report
    [done] = orders(db)
    assert done.status == "executed"
    settlement_number = bank.info()["settlement_account"]
    assert bank.balance(row.number or "") == 0
    assert bank.balance(settlement_number) == FUNDS - done.interest_fen  # the interest left the centre's funds
    statement = adapter.statement(bank_day(bank))
    assert debits(statement, done.idempotency_key) == [DEPOSIT_FEN, done.interest_fen]
    paid_out = [line for line in statement.lines if line.idempotency_key == done.idempotency_key]
    assert [line.sub_account for line in paid_out] == [row.number, settlement_number]
    assert {line.counterparty_account for line in paid_out} == {PAYER}  # both to the payee, along the route
    # the books: principal from the deposit, interest as the centre's expense, equal to the bank to the fen
    assert books.incomplete_postings(db) == []
    assert _balance(db, AccountPurpose.DEPOSIT) == 0
    assert _balance(db, AccountPurpose.PLATFORM_FUNDS) == FUNDS
    assert _balance(db, AccountPurpose.INTEREST_EXPENSE) == done.interest_fen
    assert _balance(db, AccountPurpose.SETTLEMENT) == statement.closing_balance_fen == FUNDS - done.interest_fen
    run = reconcile(db, statement, now=TEST_NOW)
    assert (run.differences, run.matched_lines, run.statement_lines) == (0, 4, 4)  # deposit, funds, principal, interest


def test_interest_the_centres_funds_cannot_pay_is_rejected_whole_and_alerted_never_paid_in_part(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    tender, setup = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit = credit_from_bank(db, bank, receiver, adapter, row)
    order_back(db, row, RefundGround.SUCCESSFUL, annual_rate=RATE, now=bank_now(bank) + timedelta(days=31))

    report = worker.work_once()

    assert (report.rejected, report.executed) == (1, 0), report
    [order] = orders(db)
    assert (order.status, order.posting_id) == ("rejected", None)
    assert "自有资金不足" in (order.reason or "")
    assert bank.balance(row.number or "") == DEPOSIT_FEN  # the principal did not leave alone
    assert debits(adapter.statement(bank_day(bank)), order.idempotency_key) == []
    alert = db.scalar(select(FinanceAlert).where(FinanceAlert.kind == AlertKind.INTEREST_UNFUNDED.value))
    assert alert is not None
    assert (alert.credit_id, alert.centre_id) == (credit.id, setup["project"].centre_id)
    assert _balance(db, AccountPurpose.DEPOSIT) == DEPOSIT_FEN
    assert worker.work_once().answered == 0  # not sent again


def test_an_order_the_bank_refuses_as_a_request_is_an_alert_and_never_sent_again(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    """A 4xx (here: the order's idempotency key already names another order at the bank, 409) cannot be cured by
    sending it again: the order leaves the outbox as refused and the centre is alerted."""
    tender, setup = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit = credit_from_bank(db, bank, receiver, adapter, row)
    key = f"refund-{credit.bank_txn_id}"  # the key the platform's order will carry
    adapter.order(refund(SubAccount(row.number or "", row.name, row.reference), key=key, amount_fen=1))
    order_back(db, row)

    report = worker.work_once()

    assert (report.sent, report.answered, len(report.refused)) == (0, 0, 1), report
    [order] = orders(db)
    assert order.idempotency_key == key
    assert (order.status, order.posting_id) == ("refused", None)
    assert "409" in (order.reason or "")
    alert = db.scalar(select(FinanceAlert).where(FinanceAlert.kind == AlertKind.ORDER_REFUSED.value))
    assert alert is not None
    assert (alert.credit_id, alert.centre_id) == (credit.id, setup["project"].centre_id)
    refused_events = select(func.count()).select_from(Event).where(Event.action == "deposit.refund_refused")
    assert db.scalar(refused_events) == 1
    again = worker.work_once()
    assert (again.sent, again.asked, again.refused) == (0, 0, [])  # never sent again
    assert db.scalar(refused_events) == 1
    assert db.scalar(select(func.count()).select_from(Posting).where(Posting.kind == "refund")) == 0
