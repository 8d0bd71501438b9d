"""The finance worker against the bank simulator in its own process: sub-accounts opened, refund orders sent and
posted once, an order whose outcome is unknown asked after by its idempotency key before it is ever sent again."""

# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.finance import books
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.models import FinanceAlert, Posting
from ggzy.finance.rules import AccountPurpose, AlertKind
from ggzy.finance.worker import FinanceWorker
from tests.finance.bank.conftest import BankProcess, NoticeReceiver, bank_day, debits
from tests.finance.support import DEPOSIT_FEN, deposit_tender, requested
from tests.finance.worker_support import (  # noqa: F401 (fixtures)
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


def _events(db: Session, action: str) -> int:
    return int(db.scalar(select(func.count()).select_from(Event).where(Event.action == action)) or 0)


def test_the_worker_opens_each_sub_account_asked_for_at_the_bank_once(
    db: Session, worker: FinanceWorker, bank: BankProcess
) -> None:
    tender, _ = deposit_tender(db)
    first, _ = requested(db, tender)
    second, _ = requested(db, tender)
    db.commit()

    report = worker.work_once()

    assert (report.opened, report.unavailable) == (2, False)
    db.expire_all()
    assert first.number
    assert second.number
    assert first.number != second.number
    assert bank.balance(first.number) == 0  # the bank knows it
    assert _events(db, "deposit.sub_account_opened") == 2
    again = worker.work_once()
    assert again.opened == 0
    assert _events(db, "deposit.sub_account_opened") == 2


def test_a_bank_that_does_not_answer_opens_nothing_until_it_does(
    db: Session, worker: FinanceWorker, bank: BankProcess
) -> None:
    tender, _ = deposit_tender(db)
    row, _ = requested(db, tender)
    db.commit()
    bank.faults(fail={"count": 1, "status": 503, "path": "/sub-accounts"})

    down = worker.work_once()

    db.expire_all()
    assert down.unavailable
    assert down.opened == 0
    assert row.number is None
    assert worker.work_once().opened == 1
    db.expire_all()
    assert row.number is not None


def test_a_refund_order_is_sent_executed_and_posted_once(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit_from_bank(db, bank, receiver, adapter, row)
    order_back(db, row)

    report = worker.work_once()

    assert (report.sent, report.executed, report.asked) == (1, 1, 0)
    [order] = orders(db)
    assert order.status == "executed"
    assert order.posting_id is not None
    assert order.sent_at is not None
    assert bank.balance(row.number or "") == 0
    assert (
        books.balance(db, books.deposit_account(db, tender_id=tender.id, entity_id=row.entity_id, now=order.ordered_at))
        == 0
    )
    assert worker.work_once().answered == 0  # nothing left to send
    statement = adapter.statement(bank_day(bank))
    assert debits(statement, order.idempotency_key) == [DEPOSIT_FEN]
    assert db.scalar(select(func.count()).select_from(Posting).where(Posting.kind == "refund")) == 1


def test_an_answer_lost_after_the_bank_executed_is_asked_for_not_sent_again(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    """A crash between the order and its posting: the bank booked it, its answer never arrived (a timeout). The next
    pass asks the bank by the idempotency key, records the first receipt, and the money moved once."""
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit_from_bank(db, bank, receiver, adapter, row)
    order_back(db, row)
    bank.faults(hang={"count": 1, "seconds": 3, "after": True, "path": "/orders"})

    lost = worker.work_once()

    [order] = orders(db)
    assert lost.unavailable
    assert order.status == "pending"
    assert order.sent_at is not None
    assert order.posting_id is None
    assert bank.balance(row.number or "") == 0  # executed at the bank all the same
    again = worker.work_once()
    assert (again.asked, again.sent, again.executed) == (1, 0, 1)
    [order] = orders(db)
    assert order.status == "executed"
    assert order.posting_id is not None
    assert debits(adapter.statement(bank_day(bank)), order.idempotency_key) == [DEPOSIT_FEN]


def test_an_order_the_bank_never_received_is_sent_after_asking(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit_from_bank(db, bank, receiver, adapter, row)
    order_back(db, row)
    bank.faults(fail={"count": 1, "status": 503, "path": "/orders"})

    failed = worker.work_once()

    assert failed.unavailable
    assert orders(db)[0].status == "pending"
    again = worker.work_once()
    assert (again.asked, again.sent, again.executed) == (1, 1, 1)
    assert debits(adapter.statement(bank_day(bank)), orders(db)[0].idempotency_key) == [DEPOSIT_FEN]


def test_a_refund_the_bank_rejects_is_an_alert_and_moves_nothing(
    db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter
) -> None:
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    credit = credit_from_bank(db, bank, receiver, adapter, row)
    bank.faults()  # nothing pending
    # the money left the sub-account at the bank (another order under another key): the platform's order bounces
    from ggzy.finance.bank.protocol import SubAccount
    from tests.finance.bank.conftest import refund

    adapter.order(refund(SubAccount(row.number or "", row.name, row.reference), key="elsewhere", amount_fen=1))
    order_back(db, row)

    report = worker.work_once()

    assert (report.rejected, report.executed) == (1, 0)
    [order] = orders(db)
    assert order.status == "rejected"
    assert order.posting_id is None
    assert "余额不足" in (order.reason or "")
    alert = db.scalar(select(FinanceAlert).where(FinanceAlert.kind == AlertKind.REFUND_REJECTED.value))
    assert alert is not None
    assert alert.credit_id == credit.id
    assert books.balance(db, books.account(db, AccountPurpose.SETTLEMENT, now=order.ordered_at)) == DEPOSIT_FEN
    assert worker.work_once().answered == 0  # a rejected order is not sent again
