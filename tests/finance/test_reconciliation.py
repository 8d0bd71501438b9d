"""Reconciliation of the bank's daily statement with the books: each difference an alert for the centre, never
silently fixed; every run recorded with its event."""

# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.finance import books, refunds
from ggzy.finance import service as finance
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import OrderReceipt, OrderStatus, Statement, SubAccount
from ggzy.finance.models import FinanceAlert, Posting, ReconciliationRun
from ggzy.finance.reconciliation import Difference, china_day_bounds, reconcile
from ggzy.finance.rules import AccountPurpose
from ggzy.finance.worker import FinanceWorker
from tests.conftest import TEST_NOW
from tests.factories import token_for, user_with_role
from tests.finance.bank.conftest import BankProcess, NoticeReceiver, bank_day, refund
from tests.finance.support import DEPOSIT_FEN, deposit_tender
from tests.finance.worker_support import (  # noqa: F401 (fixtures)
    PAYER,
    adapter,
    bank,
    credit_from_bank,
    factory,
    open_at_bank,
    order_back,
    orders,
    receiver,
    worker,
)


def _kinds(db: Session, run: ReconciliationRun) -> list[str]:
    query = select(FinanceAlert.kind).where(FinanceAlert.reconciliation_id == run.id).order_by(FinanceAlert.id)
    return list(db.scalars(query))


def _settlement(db: Session) -> int:
    return books.balance(db, books.account(db, AccountPurpose.SETTLEMENT, now=TEST_NOW))


def _paid_and_refunded(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
):  # type: ignore[no-untyped-def]
    """Two bidders paid at the bank and recorded; the first one's refund executed and posted."""
    tender, _ = deposit_tender(db)
    first, second = open_at_bank(db, worker, tender), open_at_bank(db, worker, tender)
    credit_from_bank(db, bank, receiver, adapter, first)
    credit_from_bank(db, bank, receiver, adapter, second, DEPOSIT_FEN + 1)
    order_back(db, first)
    assert worker.work_once().executed == 1
    return tender, first, second


def test_a_statement_that_agrees_with_the_books_raises_nothing_and_the_run_is_recorded(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    _paid_and_refunded(db, worker, bank, receiver, adapter)
    statement = adapter.statement(bank_day(bank))

    run = reconcile(db, statement, now=TEST_NOW)

    assert (run.statement_lines, run.matched_lines, run.differences) == (3, 3, 0)
    assert run.bank_closing_fen == run.books_closing_fen == DEPOSIT_FEN + 1 == _settlement(db)
    assert run.bank_opening_fen == run.books_opening_fen == 0
    assert _kinds(db, run) == []
    event = db.get(Event, run.event_id)
    assert event is not None
    assert event.action == "finance.reconciled"
    assert json.loads(event.payload)["matched"] == 3


def test_a_credit_the_books_missed_is_an_alert_and_the_books_stay_as_they_are(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    _, first, _ = _paid_and_refunded(db, worker, bank, receiver, adapter)
    missed = bank.pay_in(first.number or "", 12_345, payer=PAYER)  # its notice never reaches the books
    postings = db.scalar(select(func.count()).select_from(Posting))

    run = reconcile(db, adapter.statement(bank_day(bank)), now=TEST_NOW)

    assert _kinds(db, run) == [Difference.NOT_IN_BOOKS.value, Difference.CLOSING.value]
    detail = db.scalar(select(FinanceAlert.detail).where(FinanceAlert.kind == Difference.NOT_IN_BOOKS.value))
    assert detail is not None
    assert missed in detail
    assert "12345" in detail
    assert run.bank_closing_fen - run.books_closing_fen == 12_345
    assert db.scalar(select(func.count()).select_from(Posting)) == postings  # never silently fixed
    assert _settlement(db) == DEPOSIT_FEN + 1


def test_an_amount_the_books_hold_otherwise_than_the_bank_is_an_alert(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    bank.pay_in(row.number or "", DEPOSIT_FEN, payer=PAYER)
    signed = receiver.wait_for(1)[0]
    notice = adapter.verify_notice(signed.body, signed.signature)
    finance.record_credit(db, replace(notice, amount_fen=DEPOSIT_FEN - 100), now=TEST_NOW)  # a books' error

    run = reconcile(db, adapter.statement(bank_day(bank)), now=TEST_NOW)

    assert _kinds(db, run) == [Difference.AMOUNT.value, Difference.CLOSING.value]
    alert = db.scalar(select(FinanceAlert).where(FinanceAlert.kind == Difference.AMOUNT.value))
    assert alert is not None
    assert alert.credit_id is not None
    assert notice.bank_txn_id in alert.detail
    assert (run.matched_lines, run.bank_closing_fen - run.books_closing_fen) == (0, 100)


def test_a_refund_the_bank_rejected_but_the_books_posted_is_an_alert(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit_from_bank(db, bank, receiver, adapter, row)
    adapter.order(refund(SubAccount(row.number or "", row.name, row.reference), key="drain", amount_fen=1))
    order_back(db, row)
    [order] = orders(db)
    rejected = adapter.order(worker._claim(0)[0][1])  # the bank rejects it (the sub-account is 1 分 short)
    assert rejected.status is OrderStatus.REJECTED
    # the books posted it all the same (a receipt misread as executed)
    refunds.record_order_receipt(
        db, OrderReceipt(order.idempotency_key, "FAKE1", OrderStatus.EXECUTED, rejected.at), now=TEST_NOW
    )

    run = reconcile(db, adapter.statement(bank_day(bank)), now=TEST_NOW)

    kinds = _kinds(db, run)
    assert kinds[0] == Difference.NOT_IN_BOOKS.value  # the bank's 1 分 "drain" debit: not the platform's order
    assert Difference.NOT_AT_BANK.value in kinds
    assert Difference.CLOSING.value in kinds
    alert = db.scalar(select(FinanceAlert).where(FinanceAlert.kind == Difference.NOT_AT_BANK.value))
    assert alert is not None
    assert order.idempotency_key in alert.detail


def test_a_day_is_cut_at_china_standard_time_midnight() -> None:
    start, end = china_day_bounds(date(2026, 12, 4))
    assert (start.isoformat(), (end - start).days) == ("2026-12-04T00:00:00+08:00", 1)


def test_the_next_day_opens_with_the_balance_carried_on_both_sides(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    _paid_and_refunded(db, worker, bank, receiver, adapter)
    bank.advance_clock(86_400)

    run = reconcile(db, adapter.statement(bank_day(bank)), now=TEST_NOW)

    assert (run.statement_lines, run.differences) == (0, 0)
    assert run.bank_opening_fen == run.books_opening_fen == run.books_closing_fen == DEPOSIT_FEN + 1


def test_an_empty_statement_against_empty_books_agrees(db: Session) -> None:
    run = reconcile(db, Statement("S", date(2026, 11, 24), 0, 0, ()), now=TEST_NOW)
    assert (run.differences, run.statement_lines) == (0, 0)


def test_an_opening_balance_the_books_do_not_have_is_an_alert(db: Session) -> None:
    run = reconcile(db, Statement("S", date(2026, 11, 24), 500, 500, ()), now=TEST_NOW)
    assert _kinds(db, run) == [Difference.OPENING.value, Difference.CLOSING.value]


def test_the_centre_staff_list_the_runs_with_their_alerts(client: TestClient, db: Session) -> None:
    reconcile(db, Statement("S", date(2026, 11, 24), 0, 0, ()), now=TEST_NOW)
    run = reconcile(db, Statement("S", date(2026, 11, 25), 0, 700, ()), now=TEST_NOW)
    db.flush()
    staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF))

    answer = client.get("/api/v1/finance/reconciliations", headers=staff)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [item["day"] for item in body] == ["2026-11-25", "2026-11-24"]
    assert body[0]["id"] == run.id
    assert [alert["kind"] for alert in body[0]["alerts"]] == ["closing_balance_differs"]
    assert body[1]["alerts"] == []
    bidder = token_for(db, user_with_role(db, Role.BIDDER, entity=True))
    refused = client.get("/api/v1/finance/reconciliations", headers=bidder)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
