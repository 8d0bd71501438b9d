"""Builders of the finance tests (and of the event walk in tests/core/test_events.py), through the services."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from ggzy.core.permissions import SYSTEM, Permission
from ggzy.entities.models import Entity, User
from ggzy.finance import refunds
from ggzy.finance import service as finance
from ggzy.finance.bank.protocol import CreditNotice, OrderReceipt, OrderStatus, SubAccount
from ggzy.finance.models import DepositSubAccount, RefundOrderRow
from ggzy.finance.refund_rules import RefundGround
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Method
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, load_test_calendar, make_accepted_project, principal

DEPOSIT_FEN = 2_000_000  # 20,000.00 yuan: 2% of make_accepted_project's 1,000,000.00 yuan lot
_serials = itertools.count(1)


def deposit_tender(
    db: Session, *, setup: dict | None = None, trade_type: str = "construction", deposit_fen: int = DEPOSIT_FEN
) -> tuple[Tender, dict]:
    """A tender published at TEST_NOW requiring ``deposit_fen``, valid 90 days; its deadline 25 days later."""
    load_test_calendar(db)
    setup = setup or make_accepted_project(db, trade_type=trade_type)
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    procedure = "gp_open" if trade_type == "gov_procurement" else "open"
    tender = tendering.create_tender(
        db, agent, lot_id=setup["lots"][0].id, procedure_key=procedure, method=Method.SCORING,
        title="保证金测试招标", notice_text="招标公告正文", documents_until=TEST_NOW + timedelta(days=10),
        bid_deadline=TEST_NOW + timedelta(days=25), invited_entity_ids=[], now=TEST_NOW, deposit_fen=deposit_fen,
        bid_validity_days=90,
    )  # fmt: skip
    tendering.attach_documents(db, agent, tender_id=tender.id, sha256="d" * 64, name="f.pdf", size=1, now=TEST_NOW)
    tendering.publish_tender(db, agent, tender_id=tender.id, now=TEST_NOW)
    return tender, setup


def with_basic_account(db: Session, user: User, account: str) -> Entity:
    from ggzy.entities.service import get_entity

    assert user.entity_id is not None
    entity = get_entity(db, user.entity_id)
    entity.basic_account = account
    db.flush()
    return entity


def requested(db: Session, tender: Tender, user: User | None = None) -> tuple[DepositSubAccount, User]:
    user = user or bidder_user(db)
    actor = principal(db, user, Permission.TENDER_REGISTER)
    return finance.request_sub_account(db, actor, tender_id=tender.id, now=TEST_NOW), user


def bank_answer(row: DepositSubAccount) -> SubAccount:
    return SubAccount(number=f"62220{row.tender_id:05d}{row.entity_id:06d}", name=row.name, reference=row.reference)


def opened(db: Session, tender: Tender, user: User | None = None) -> tuple[DepositSubAccount, User]:
    """A bidder's sub-account, asked for and opened by the bank."""
    row, user = requested(db, tender, user)
    finance.record_sub_account(db, sub_account=bank_answer(row), now=TEST_NOW)
    return row, user


def notice(
    sub_account: str, amount_fen: int, *, payer_account: str = "530100000001", booked_at: datetime | None = None,
    bank_txn_id: str | None = None, own_funds: bool = False,
) -> CreditNotice:  # fmt: skip
    return CreditNotice(
        bank_txn_id=bank_txn_id or f"TXN{next(_serials):08d}", sub_account=sub_account, amount_fen=amount_fen,
        payer_account=payer_account, payer_name="某建设有限公司", payer_bank="某银行昆明分行",
        booked_at=booked_at or TEST_NOW + timedelta(days=1), own_funds=own_funds,
    )  # fmt: skip


FINANCE_ACTIONS = (
    "deposit.sub_account_requested",
    "deposit.sub_account_opened",
    "deposit.credit_recorded",
    "deposit.refund_ordered",
    "deposit.refund_answered",
    "deposit.refund_refused",
    "finance.reconciled",
)
RATE, BASIS = Decimal("0.0035"), 360


def paid(db: Session, tender: Tender, amount_fen: int = DEPOSIT_FEN) -> DepositSubAccount:
    """A bidder's sub-account opened and ``amount_fen`` credited to it the day after TEST_NOW."""
    row, _ = opened(db, tender)
    finance.record_credit(db, notice(row.number or "", amount_fen), now=TEST_NOW)
    return row


def order(
    db: Session, row: DepositSubAccount, *, ground: RefundGround = RefundGround.SUCCESSFUL, days: int = 36
) -> list[RefundOrderRow]:
    """Order the refund of ``row``'s deposit ``days`` after TEST_NOW."""
    return refunds.order_refunds(
        db, SYSTEM, tender_id=row.tender_id, entity_id=row.entity_id, ground=ground, annual_rate=RATE,
        day_basis=BASIS, now=TEST_NOW + timedelta(days=days),
    )  # fmt: skip


def receipt(key: str, status: OrderStatus, *, txn: str | None = None, reason: str | None = None) -> OrderReceipt:
    return OrderReceipt(idempotency_key=key, bank_txn_id=txn, status=status, at=TEST_NOW, reason=reason)


def pay_in_full(db: Session, tender: Tender, users: list[User]) -> None:
    """Each of ``users`` opens its sub-account and pays the whole deposit, booked two days after TEST_NOW."""
    for user in users:
        row, _ = opened(db, tender, user)
        booked = TEST_NOW + timedelta(days=2)
        finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN, booked_at=booked), now=TEST_NOW)


def forfeiture_scenario(db: Session, ca_dir: Path) -> Callable[[], object]:
    """An opened tender whose three bidders paid: the agent keeps the first one's deposit (a bid revoked after the
    deadline, 招标投标法实施条例 第35条 第2款)."""
    from ggzy.finance.forfeiture import ForfeitureGround, forfeit_deposit
    from tests.factories import make_opened_tender

    scene = make_opened_tender(
        db, ca_dir, prices=[10_000_000, 11_000_000, 12_000_000], deposit_fen=DEPOSIT_FEN,
        before_opening=lambda tender, users: pay_in_full(db, tender, users),
    )  # fmt: skip
    agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    return lambda: forfeit_deposit(
        db, agent, tender_id=scene["tender"].id, entity_id=scene["bidders"][0].entity_id,
        ground=ForfeitureGround.REVOKED_AFTER_DEADLINE, reasons="投标截止后书面通知撤销投标文件",
        now=scene["opened_at"],
    )  # fmt: skip


def finance_scenario(db: Session, action: str) -> Callable[[], object]:
    """The call that records ``action`` (for the event walk), everything before it done."""
    if action == "finance.reconciled":
        from ggzy.finance.bank.protocol import Statement
        from ggzy.finance.reconciliation import reconcile

        return lambda: reconcile(db, Statement("S", TEST_NOW.date(), 0, 0, ()), now=TEST_NOW)
    tender, _ = deposit_tender(db)
    if action == "deposit.sub_account_requested":
        actor = principal(db, bidder_user(db), Permission.TENDER_REGISTER)
        return lambda: finance.request_sub_account(db, actor, tender_id=tender.id, now=TEST_NOW)
    if action == "deposit.sub_account_opened":
        row, _ = requested(db, tender)
        return lambda: finance.record_sub_account(db, sub_account=bank_answer(row), now=TEST_NOW)
    if action == "deposit.credit_recorded":
        row, _ = opened(db, tender)
        return lambda: finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
    row = paid(db, tender)
    if action == "deposit.refund_ordered":
        return lambda: order(db, row)
    key = order(db, row)[0].idempotency_key
    if action == "deposit.refund_refused":
        return lambda: refunds.record_order_refused(db, key, reason="HTTP 409 idempotency_key_reused", now=TEST_NOW)
    return lambda: refunds.record_order_receipt(db, receipt(key, OrderStatus.EXECUTED, txn="B1"), now=TEST_NOW)
