"""Refund orders (decision 0031): what the platform wants the bank to pay back, and what the bank answered.

:func:`order_refunds` writes one order per credit of a bidder's deposit — back to the account the money came from
(the original route), with the interest the law gives (:mod:`ggzy.finance.refund_rules`) and an idempotency key —
in the transaction of its event; nothing is posted yet. The bank worker sends :func:`refund_orders_to_send` outside
any transaction (the same key twice is one transfer at the bank) and records each answer with
:func:`record_order_receipt`, which posts the refund once, when the bank says it was executed: a crash between the
order and its posting loses nothing (the order is sent again, the bank answers with the first receipt) and doubles
nothing (the order's posting is unique).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.periods import StatutoryPeriod
from ggzy.core.permissions import SYSTEM, Principal
from ggzy.core.violations import missed, record_missed, violation_entry
from ggzy.finance import books
from ggzy.finance.bank.protocol import OWN_FUNDS_SHORT, OrderReceipt, OrderStatus, RefundOrder
from ggzy.finance.models import BankCredit, FinanceAlert, RefundOrderRow
from ggzy.finance.purpose_accounts import account_of_credit
from ggzy.finance.refund_rules import RefundGround, interest_fen, refund_due
from ggzy.finance.rules import AccountPurpose, AlertKind, PostingKind
from ggzy.finance.service import credits_of, sub_account_of
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import procedure

PENDING, ACCEPTED, EXECUTED, REJECTED = "pending", "accepted", "executed", "rejected"
# the bank refused the order as a request (HTTP 4xx: malformed, its key used for another order): resending it cannot
# cure it, so the worker stops and the centre is alerted (decision 0036)
REFUSED = "refused"
ANSWERED = (EXECUTED, REJECTED, REFUSED)


def _refunded_credit_ids(db: Session, credit_ids: list[int]) -> set[int]:
    if not credit_ids:
        return set()
    return set(db.scalars(select(RefundOrderRow.credit_id).where(RefundOrderRow.credit_id.in_(credit_ids))))


@changes_state("deposit.refund_ordered", disclosed=False)
def order_refunds(
    db: Session, actor: Principal, *, tender_id: int, entity_id: int, ground: RefundGround, annual_rate: Decimal,
    day_basis: int, now: datetime, due_on: date | None = None, period: StatutoryPeriod | None = None,
    credit_ids: set[int] | None = None, article: str | None = None,
) -> list[RefundOrderRow]:  # fmt: skip
    """Order the refund of every credit of a bidder's deposit not yet ordered back, the interest included where the
    law gives it (computed to the order's China Standard Time day: the bank executes it that day). Ordering again
    orders nothing and records nothing (a refund ordered twice is one refund).

    ``due_on`` is the refund's last lawful day (``period``'s, computed by the caller through the one period
    function): each order carries it, and an order made after it is still made and recorded as a missed period
    (a violation, never a refusal). ``credit_ids`` limits the orders to those credits (None: every credit).
    ``article``: the rule the caller orders under when the round's law has none (a rights trade's close, 0051)."""
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    row = sub_account_of(db, tender_id=tender_id, entity_id=entity_id)
    if row is None:
        raise NotFound(field="entity_id", what_zh="保证金子账号", what_en="Deposit sub-account")
    credits = credits_of(db, row.id)
    already = _refunded_credit_ids(db, [credit.id for credit in credits])
    due = refund_due(procedure(tender.procedure).law.key, ground)
    today = to_china_time(now).date()
    orders = [
        _order(
            credit,
            row.number or "",
            tender_id,
            entity_id,
            ground,
            due.with_interest,
            annual_rate,
            day_basis,
            today,
            now,
        )
        for credit in credits
        if credit.id not in already and (credit_ids is None or credit.id in credit_ids)
    ]
    if not orders:
        return []
    for made in orders:
        made.due_on = due_on
    db.add_all(orders)
    db.flush()
    late = missed(period, due=due_on, happened_on=today) if period is not None and due_on is not None else None
    event = record_event(
        db, actor, action="deposit.refund_ordered", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={
            "entity_id": entity_id, "ground": ground.value,
            "article": article or due.article,
            "due_on": due_on.isoformat() if due_on is not None else None,
            "orders": [{"key": o.idempotency_key, "principal_fen": o.principal_fen, "interest_fen": o.interest_fen}
                       for o in orders],
            **violation_entry(late),
        },
    )  # fmt: skip
    record_missed(db, late, subject_type="tender", subject_id=tender_id, event=event)
    return orders


def _order(
    credit: BankCredit, sub_account: str, tender_id: int, entity_id: int, ground: RefundGround, with_interest: bool,
    annual_rate: Decimal, day_basis: int, today: date, now: datetime,
) -> RefundOrderRow:  # fmt: skip
    booked_on = to_china_time(credit.booked_at).date()
    interest = (
        interest_fen(
            credit.amount_fen, booked_on=booked_on, refunded_on=today, annual_rate=annual_rate, day_basis=day_basis
        )
        if with_interest
        else 0
    )
    return RefundOrderRow(
        idempotency_key=f"refund-{credit.bank_txn_id}"[:64], credit_id=credit.id, tender_id=tender_id,
        entity_id=entity_id, ground=ground.value, principal_fen=credit.amount_fen, interest_fen=interest,
        from_sub_account=sub_account, to_account=credit.payer_account, to_name=credit.payer_name,
        to_bank=credit.payer_bank, purpose=f"退还投标保证金{'及利息' if interest else ''} {credit.bank_txn_id}"[:200],
        status=PENDING, ordered_at=now,
    )  # fmt: skip


def refund_orders_to_send(db: Session, *, limit: int = 1000) -> list[RefundOrder]:
    """The outbox: orders the bank has not answered as executed or rejected, oldest first, as the bank reads them."""
    query = select(RefundOrderRow).where(RefundOrderRow.status.in_([PENDING, ACCEPTED])).order_by(RefundOrderRow.id)
    return [as_order(row) for row in db.scalars(query.limit(limit))]


def as_order(row: RefundOrderRow) -> RefundOrder:
    """The order as the bank reads it: the principal from the bidder's sub-account, the interest from the settlement
    account's own balance (the centre's funds: 第57条 gives the bidder the bank's interest, which the deposit's
    sub-account never earned at the simulator)."""
    return RefundOrder(
        idempotency_key=row.idempotency_key,
        from_sub_account=row.from_sub_account,
        to_account=row.to_account,
        to_name=row.to_name,
        to_bank=row.to_bank,
        principal_fen=row.principal_fen,
        interest_fen=row.interest_fen,
        purpose=row.purpose,
    )


@changes_state("deposit.refund_answered", disclosed=False)
def record_order_receipt(
    db: Session, receipt: OrderReceipt, *, now: datetime, actor: Principal = SYSTEM
) -> RefundOrderRow:
    """Record the bank's answer to a refund order. Executed: posted once — the deposit debited by the principal and
    the interest expense by the interest (the centre's own funds, ``platform_funds`` less ``interest_expense``), the
    settlement account credited by each, as the bank's statement shows them (two lines); the same answer again
    changes nothing. Rejected: an alert for the centre (the money stays in the deposit until the centre acts) — of
    kind ``interest_unfunded`` when the settlement account's own balance could not pay the interest (the bank pays
    both parts or neither: never the principal alone)."""
    row = db.scalar(select(RefundOrderRow).where(RefundOrderRow.idempotency_key == receipt.idempotency_key))
    if row is None:
        raise NotFound(field="idempotency_key", what_zh="退款指令", what_en="Refund order")
    status = receipt.status.value
    if row.status in ANSWERED or row.status == status:
        return row  # answered before: nothing changes
    tender = tendering.get_tender(db, row.tender_id)
    project, _ = tendering.project_of(db, tender)
    event = record_event(
        db, actor, action="deposit.refund_answered", subject_type="tender", subject_id=row.tender_id,
        centre_id=project.centre_id, now=now,
        payload={"key": row.idempotency_key, "status": status, "bank_txn_id": receipt.bank_txn_id,
                 "reason": receipt.reason},
    )  # fmt: skip
    row.status, row.answered_at, row.bank_txn_id, row.reason = status, receipt.at, receipt.bank_txn_id, receipt.reason
    if receipt.status is OrderStatus.EXECUTED:
        # a performance security's credit is debited from its own account (decision 0037), a deposit's from the deposit
        deposit = account_of_credit(db, row.credit_id) or books.deposit_account(
            db, tender_id=row.tender_id, entity_id=row.entity_id, now=now
        )
        settlement = books.account(db, AccountPurpose.SETTLEMENT, now=now)
        lines = [(deposit, row.principal_fen), (settlement, -row.principal_fen)]
        if row.interest_fen:
            expense = books.account(db, AccountPurpose.INTEREST_EXPENSE, now=now)
            lines += [(expense, row.interest_fen), (settlement, -row.interest_fen)]
        posting = books.post(db, event=event, kind=PostingKind.REFUND, lines=lines, memo=row.purpose, now=now)
        row.posting_id = posting.id
    elif receipt.status is OrderStatus.REJECTED:
        unfunded = (receipt.reason or "").startswith(OWN_FUNDS_SHORT)
        kind = AlertKind.INTEREST_UNFUNDED if unfunded else AlertKind.REFUND_REJECTED
        db.add(
            FinanceAlert(
                centre_id=project.centre_id, kind=kind.value, credit_id=row.credit_id,
                raised_at=now, resolved=False, detail=f"{row.idempotency_key}: {receipt.reason or ''}",
            )
        )  # fmt: skip
    db.flush()
    return row


@changes_state("deposit.refund_refused", disclosed=False)
def record_order_refused(
    db: Session, idempotency_key: str, *, reason: str, now: datetime, actor: Principal = SYSTEM
) -> RefundOrderRow:
    """The bank refused a refund order as a request (HTTP 4xx: malformed, or its idempotency key already names another
    order): resending cannot cure it, so the order leaves the outbox (``refused``) and the centre is alerted
    (``order_refused``). An order already answered is left as it is."""
    row = db.scalar(select(RefundOrderRow).where(RefundOrderRow.idempotency_key == idempotency_key))
    if row is None:
        raise NotFound(field="idempotency_key", what_zh="退款指令", what_en="Refund order")
    if row.status in ANSWERED:
        return row
    tender = tendering.get_tender(db, row.tender_id)
    project, _ = tendering.project_of(db, tender)
    record_event(
        db, actor, action="deposit.refund_refused", subject_type="tender", subject_id=row.tender_id,
        centre_id=project.centre_id, now=now, payload={"key": row.idempotency_key, "reason": reason[:500]},
    )  # fmt: skip
    row.status, row.answered_at, row.reason = REFUSED, now, reason
    db.add(
        FinanceAlert(
            centre_id=project.centre_id, kind=AlertKind.ORDER_REFUSED.value, credit_id=row.credit_id, raised_at=now,
            resolved=False, detail=f"{row.idempotency_key}: {reason}"[:2000],
        )
    )  # fmt: skip
    db.flush()
    return row
