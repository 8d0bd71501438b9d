"""The finance worker (decision 0031, "The worker and the reconciliation"): what connects the books to the bank.

One pass (:func:`work_once`):

1. every sub-account asked for and not yet opened (``service.sub_accounts_to_open``) is opened at the bank and
   recorded (``service.record_sub_account``): the same reference is the same sub-account at the bank, so a crash
   between the bank's answer and its recording opens nothing twice;
2. every refund order of the outbox not yet answered as executed or rejected is handed to the bank and its receipt
   recorded (``refunds.record_order_receipt``, which posts an executed refund once). An order is first marked as
   sent (``sent_at``) in a transaction committed *before* the bank is called; from then on its outcome is unknown
   until the bank answered, so the worker asks ``order_status`` with the order's idempotency key before it ever sends
   it again (a crash after sending, a timeout, a 5xx: the bank may have executed it). An order the bank refuses as a
   request (a 4xx: malformed, its key naming another order) is recorded as refused with an alert for the centre
   (``refunds.record_order_refused``) and never sent again: resending cannot cure it (decision 0036).

The bank is never called inside a database transaction: read the outbox → commit → call the bank → record the answer
in a new transaction. A bank that does not answer (:class:`BankUnavailable`) ends the pass; the next pass takes up
where this one stopped. Two workers at once (the app's thread and ``ggzy finance work``) double nothing: the bank
executes one transfer per idempotency key and the recording locks the order's row.

Run by the app's lifespan as a background thread while ``GGZY_BANK_URL`` is set (every ``bank_worker_seconds``), and
by ``ggzy finance work [--once]``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.config import Settings
from ggzy.core.clock import Clock
from ggzy.core.db import unit_of_work
from ggzy.core.errors import DomainError
from ggzy.finance import purpose_accounts, refunds, service
from ggzy.finance.bank.protocol import BankAdapter, BankUnavailable, OrderReceipt, RefundOrder, SubAccount
from ggzy.finance.models import DepositSubAccount, RefundOrderRow
from ggzy.finance.purpose_models import PurposeSubAccount

logger = logging.getLogger(__name__)

BATCH = 200  # rows read from an outbox per transaction
AfterCommit = Callable[[sessionmaker[Session], dict[str, Any]], None]


class NoBankConnected(DomainError):
    """No bank is configured: there is no counterpart whose notices this platform takes, so the webhook is not
    there (404), rather than out of order (a 5xx would say the platform failed)."""

    code = "no_bank_connected"
    status = 404
    message_zh = "平台尚未连接银行（未配置 GGZY_BANK_URL），无法接收银行通知"
    message_en = "No bank is connected to the platform (GGZY_BANK_URL is not set); bank notices cannot be received"


class BankLink:
    """The configured bank adapter, made on first use (the bank may start after the platform) and then kept."""

    def __init__(self, settings: Settings, adapter: BankAdapter | None = None) -> None:
        self._settings = settings
        self._adapter = adapter
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return self._adapter is not None or bool(self._settings.bank_url)

    def adapter(self) -> BankAdapter:
        """The adapter, or :class:`NoBankConnected`; :class:`BankUnavailable` while the bank cannot be reached."""
        with self._lock:
            if self._adapter is None:
                from ggzy.finance.bank.http_adapter import adapter_from_settings

                made = adapter_from_settings(self._settings)
                if made is None:
                    raise NoBankConnected()
                self._adapter = made
            return self._adapter

    def close(self) -> None:
        with self._lock:
            close = getattr(self._adapter, "close", None)
            if close is not None and self._settings.bank_url:  # only what it made itself
                close()


@dataclass
class PassReport:
    """What one pass did."""

    opened: int = 0  # sub-accounts opened and recorded
    sent: int = 0  # orders handed to the bank (first time or again after the bank said it never got them)
    asked: int = 0  # orders whose outcome was asked for by their idempotency key
    executed: int = 0
    rejected: int = 0
    accepted: int = 0  # the bank has them, not executed yet
    unavailable: bool = False  # the bank stopped answering: the pass ended early
    refused: list[str] = field(default_factory=list)  # requests the bank refused as such (4xx): logged, left as is

    @property
    def answered(self) -> int:
        return self.executed + self.rejected + self.accepted

    def as_dict(self) -> dict[str, Any]:
        return {"opened": self.opened, "sent": self.sent, "asked": self.asked, "executed": self.executed,
                "rejected": self.rejected, "accepted": self.accepted, "unavailable": self.unavailable,
                "refused": list(self.refused)}  # fmt: skip


class FinanceWorker:
    """Drains the books' outboxes to the bank (see the module's text)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        adapter: BankAdapter,
        clock: Clock,
        *,
        after_commit: AfterCommit | None = None,
        batch: int = BATCH,
    ) -> None:
        self.factory, self.adapter, self.clock = factory, adapter, clock
        self.after_commit, self.batch = after_commit, batch

    def work_once(self) -> PassReport:
        report = PassReport()
        try:
            self._open_sub_accounts(report)
            self._open_purpose_sub_accounts(report)  # performance security and fees (decision 0037)
            self._send_refund_orders(report)
        except BankUnavailable as error:
            report.unavailable = True
            logger.warning("the bank did not answer (%s): the next pass takes up from here", error.detail_en)
        return report

    # --- sub-accounts ------------------------------------------------------------------------------------------------

    def _open_sub_accounts(self, report: PassReport) -> None:
        done: set[str] = set()
        while True:
            with unit_of_work(self.factory, read_only=True) as db:
                wanted = [(row.reference, row.name) for row in service.sub_accounts_to_open(db, limit=self.batch)]
            wanted = [item for item in wanted if item[0] not in done]
            if not wanted:
                return
            for reference, name in wanted:
                done.add(reference)
                try:
                    answer = self.adapter.open_sub_account(reference=reference, name=name)
                except BankUnavailable:
                    raise
                except DomainError as error:  # the bank refused the request itself: the centre must look
                    report.refused.append(f"sub-account {reference}: {error.detail_en}")
                    logger.error("the bank refused to open sub-account %s: %s", reference, error.detail_en)
                    continue
                self._record_sub_account(answer)
                report.opened += 1

    def _open_purpose_sub_accounts(self, report: PassReport) -> None:
        with unit_of_work(self.factory, read_only=True) as db:
            wanted = [(row.reference, row.name) for row in purpose_accounts.to_open(db, limit=self.batch)]
        for reference, name in wanted:
            try:
                answer = self.adapter.open_sub_account(reference=reference, name=name)
            except BankUnavailable:
                raise
            except DomainError as error:
                report.refused.append(f"sub-account {reference}: {error.detail_en}")
                continue
            with self._transaction() as db:
                _lock(db, select(PurposeSubAccount).where(PurposeSubAccount.reference == answer.reference))
                purpose_accounts.record_opened(db, sub_account=answer, now=self.clock.now())
            report.opened += 1

    def _record_sub_account(self, answer: SubAccount) -> None:
        with self._transaction() as db:
            _lock(db, select(DepositSubAccount).where(DepositSubAccount.reference == answer.reference))
            service.record_sub_account(db, sub_account=answer, now=self.clock.now())

    # --- refund orders -----------------------------------------------------------------------------------------------

    def _send_refund_orders(self, report: PassReport) -> None:
        after_id = 0
        while True:
            batch = self._claim(after_id)
            if not batch:
                return
            after_id = batch[-1][0]
            for _, order, sent_before in batch:
                receipt = self._hand_over(order, sent_before, report)
                if receipt is not None:
                    self._record_receipt(receipt, report)

    def _claim(self, after_id: int) -> list[tuple[int, RefundOrder, bool]]:
        """The next orders of the outbox, those never sent marked as sent now, committed before any is sent."""
        with self._transaction() as db:
            query = (
                select(RefundOrderRow)
                .where(RefundOrderRow.status.in_([refunds.PENDING, refunds.ACCEPTED]), RefundOrderRow.id > after_id)
                .order_by(RefundOrderRow.id)
                .limit(self.batch)
            )
            rows = list(db.scalars(query))
            now = self.clock.now()
            claimed = []
            for row in rows:
                sent_before = row.sent_at is not None or row.status != refunds.PENDING
                if row.sent_at is None:
                    row.sent_at = now
                claimed.append((row.id, _order_of(row), sent_before))
            db.flush()
        return claimed

    def _hand_over(self, order: RefundOrder, sent_before: bool, report: PassReport) -> OrderReceipt | None:
        try:
            if sent_before:  # its outcome is unknown: ask before ever sending it again
                report.asked += 1
                receipt = self.adapter.order_status(order.idempotency_key)
                if receipt is not None:
                    return receipt
            receipt = self.adapter.order(order)
        except BankUnavailable:
            raise
        except DomainError as error:  # the request itself is wrong (4xx): recorded, alerted, never sent again
            report.refused.append(f"order {order.idempotency_key}: {error.detail_en}")
            logger.error("the bank refused order %s: %s", order.idempotency_key, error.detail_en)
            with self._transaction() as db:
                _lock(db, select(RefundOrderRow).where(RefundOrderRow.idempotency_key == order.idempotency_key))
                refunds.record_order_refused(db, order.idempotency_key, reason=error.detail_en, now=self.clock.now())
            return None
        report.sent += 1
        return receipt

    def _record_receipt(self, receipt: OrderReceipt, report: PassReport) -> None:
        with self._transaction() as db:
            _lock(db, select(RefundOrderRow).where(RefundOrderRow.idempotency_key == receipt.idempotency_key))
            refunds.record_order_receipt(db, receipt, now=self.clock.now())
        counter = receipt.status.value
        setattr(report, counter, getattr(report, counter) + 1)

    def _transaction(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.factory, after_commit=self.after_commit)


def _lock(db: Session, query: Any) -> None:
    """Lock the row a recording changes (PostgreSQL; SQLite's writers are one at a time already), so that two workers
    recording the same answer post it once: the second reads what the first committed."""
    db.execute(query.with_for_update()).all()


def _order_of(row: RefundOrderRow) -> RefundOrder:
    return refunds.as_order(row)


def run_forever(
    make_worker: Callable[[], FinanceWorker], *, period: float, stop: threading.Event,
    on_pass: Callable[[PassReport], None] | None = None,
) -> None:  # fmt: skip
    """Run a pass every ``period`` seconds until ``stop`` is set; a failed pass is logged and retried at the next
    beat (a bank not reachable yet is a warning, not a crash)."""
    worker: FinanceWorker | None = None
    while True:
        try:
            worker = worker or make_worker()
            report = worker.work_once()
            if on_pass is not None:
                on_pass(report)
        except BankUnavailable as error:
            logger.warning("the bank cannot be reached yet (%s); retrying", error.detail_en)
        except Exception:
            logger.exception("finance worker pass failed; retrying at the next beat")
        if stop.wait(period):
            return
