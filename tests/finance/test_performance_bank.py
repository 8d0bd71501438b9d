# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
"""Performance security and fees against the bank simulator in its own process (decision 0037): the worker opens
their sub-accounts at the same bank as the deposits', the bank's signed notices are matched, and a performance
security paid in cash goes back to the payer's account through the same refund orders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.finance import fees, performance, purpose_accounts
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.models import FinanceAlert, Posting
from ggzy.finance.purpose_models import PurposeSubAccount
from ggzy.finance.worker import FinanceWorker
from tests.conftest import TEST_NOW
from tests.finance.bank.conftest import BankProcess, NoticeReceiver, bank_day, debits
from tests.finance.performance_support import awarded_with_security, contract, manager_of, save
from tests.finance.worker_support import (  # noqa: F401 (fixtures)
    PAYER,
    adapter,
    bank,
    factory,
    orders,
    receiver,
    worker,
)


def _paid_at_bank(
    db: Session, bank: BankProcess, receiver: NoticeReceiver, adapter: HttpBankAdapter, row: PurposeSubAccount,
    amount_fen: int,
) -> None:  # fmt: skip
    before = len(receiver.received)
    txn = bank.pay_in(row.number or "", amount_fen, payer=PAYER)
    delivered = next(item for item in receiver.wait_for(before + 1) if txn.encode() in item.body)
    notice = adapter.verify_notice(delivered.body, delivered.signature)
    assert purpose_accounts.is_purpose_number(db, notice.sub_account)  # the webhook's dispatch
    purpose_accounts.record_credit(db, notice, now=TEST_NOW)
    db.commit()


def test_a_cash_performance_security_goes_back_to_the_payer_through_the_bank_after_completion(
    db: Session, gm_ca: Path, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver,
    adapter: HttpBankAdapter,
) -> None:  # fmt: skip
    scene = awarded_with_security(db, gm_ca, percent="5")
    tender = scene["tender"]
    db.commit()
    assert worker.work_once().opened == 1
    db.expire_all()
    row = purpose_accounts.of_tender(db, "performance", tender.id)
    assert row is not None
    assert row.number
    security = performance.security_of(db, tender.id)
    assert security is not None
    _paid_at_bank(db, bank, receiver, adapter, row, security.required_fen)
    assert bank.balance(row.number) == security.required_fen
    assert performance.status(db, security).provided
    contract(db, scene)
    day = to_china_time(scene["award"].awarded_at).date()
    performance.record_completion(
        db, manager_of(db, tender), tender_id=tender.id, completed_on=day,
        now=scene["award"].awarded_at + timedelta(days=2),
    )  # fmt: skip
    db.commit()

    report = worker.work_once()

    [order] = [o for o in orders(db) if o.ground == "performance"]
    assert (report.sent, report.executed) == (1, 1)
    assert order.status == "executed"
    assert order.to_account == PAYER
    assert bank.balance(row.number) == 0
    assert debits(adapter.statement(bank_day(bank)), order.idempotency_key) == [security.required_fen]
    assert performance.performance_balance(db, security) == 0
    assert worker.work_once().answered == 0  # nothing twice


def test_a_fee_paid_at_the_bank_is_matched_to_its_notice(
    db: Session, gm_ca: Path, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver,
    adapter: HttpBankAdapter,
) -> None:  # fmt: skip
    from ggzy.tendering import service as tendering
    from tests.factories import make_awarded_tender

    scene = make_awarded_tender(
        db, gm_ca, before_opening=lambda t, u: save(db, tendering.project_of(db, t)[0].centre_id)
    )
    db.commit()
    assert worker.work_once().opened == 1
    db.expire_all()
    notice = fees.notice_of(db, scene["tender"].id)
    assert notice is not None
    view = fees.view(db, notice)
    _paid_at_bank(db, bank, receiver, adapter, view.sub_account, notice.amount_fen)
    assert fees.view(db, notice).status is fees.FeeStatus.PAID
    assert db.scalar(select(func.count()).select_from(Posting).where(Posting.kind == "fee_credit")) == 1


def test_the_webhook_matches_a_fee_credit_to_its_notice_once_however_often_the_bank_sends_it(
    app: Any, client: TestClient, db: Session, gm_ca: Path, worker: FinanceWorker, bank: BankProcess,
    receiver: NoticeReceiver, adapter: HttpBankAdapter,
) -> None:  # fmt: skip
    from ggzy.finance.bank.wire import SIGNATURE_HEADER
    from ggzy.finance.worker import BankLink
    from ggzy.tendering import service as tendering
    from tests.factories import make_awarded_tender

    app.state.bank = BankLink(app.state.settings, adapter)
    scene = make_awarded_tender(
        db, gm_ca, before_opening=lambda t, u: save(db, tendering.project_of(db, t)[0].centre_id)
    )
    db.commit()
    worker.work_once()
    db.expire_all()
    notice = fees.notice_of(db, scene["tender"].id)
    assert notice is not None
    number = fees.view(db, notice).sub_account.number or ""
    before = len(receiver.received)
    txn = bank.pay_in(number, notice.amount_fen - 1, payer=PAYER)  # one fen short
    delivered = next(item for item in receiver.wait_for(before + 1) if txn.encode() in item.body)
    headers = {SIGNATURE_HEADER: delivered.signature, "Content-Type": "application/json"}
    first = client.post("/api/v1/finance/bank/notices", content=delivered.body, headers=headers)
    again = client.post("/api/v1/finance/bank/notices", content=delivered.body, headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert (first.json()["repeated"], again.json()["repeated"]) == (False, True)
    assert fees.view(db, notice).status is fees.FeeStatus.SHORT
    assert db.scalar(select(func.count()).select_from(Posting).where(Posting.kind == "fee_credit")) == 1
    assert db.scalar(select(func.count()).select_from(FinanceAlert).where(FinanceAlert.kind == "payment_short")) == 1
