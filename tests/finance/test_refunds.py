"""Refund orders (decision 0031): back along the route the money came, with the interest the law gives, ordered once
and posted once when the bank executes them; a rejection is an alert, never silently fixed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import NotFound
from ggzy.finance import books, refunds
from ggzy.finance import service as finance
from ggzy.finance.bank.protocol import OWN_FUNDS_SHORT, OrderStatus
from ggzy.finance.models import FinanceAlert, Posting, RefundOrderRow
from ggzy.finance.refund_rules import RefundGround
from ggzy.finance.rules import AccountPurpose, AlertKind
from tests.conftest import TEST_NOW
from tests.factories import event_count
from tests.finance.support import DEPOSIT_FEN, deposit_tender, notice, opened, order, paid, receipt


def _deposit(db: Session, row: object) -> int:
    return books.balance(db, books.deposit_account(db, tender_id=row.tender_id, entity_id=row.entity_id, now=TEST_NOW))  # type: ignore[attr-defined]


def _counts(db: Session) -> tuple[int, int, int, int]:
    def count(model: type) -> int:
        return db.scalar(select(func.count()).select_from(model)) or 0

    return count(RefundOrderRow), count(Posting), count(FinanceAlert), event_count(db)


def test_regulations_art_57_the_deposit_goes_back_along_its_route_with_interest_ordered_once_posted_once(
    db: Session,
) -> None:
    tender, _ = deposit_tender(db)
    row = paid(db, tender)
    (ordered,) = order(db, row, days=36)  # booked 25 November (CST), refunded 30 December: 35 days
    assert (ordered.principal_fen, ordered.interest_fen) == (DEPOSIT_FEN, 681)  # 2,000,000 × 0.35% × 35 / 360 = 680.6
    assert ordered.to_account == "530100000001"  # the account it came from
    before = _counts(db)
    assert order(db, row) == []  # ordered twice is one refund
    assert _counts(db) == before
    (sent,) = [o for o in refunds.refund_orders_to_send(db) if o.idempotency_key == ordered.idempotency_key]
    assert (sent.principal_fen, sent.interest_fen, sent.amount_fen) == (DEPOSIT_FEN, 681, DEPOSIT_FEN + 681)
    assert _deposit(db, row) == DEPOSIT_FEN  # nothing posted until the bank executes it
    refunds.record_order_receipt(db, receipt(ordered.idempotency_key, OrderStatus.ACCEPTED), now=TEST_NOW)
    expense = books.account(db, AccountPurpose.INTEREST_EXPENSE, now=TEST_NOW)
    interest_before = books.balance(db, expense)
    refunds.record_order_receipt(db, receipt(ordered.idempotency_key, OrderStatus.EXECUTED, txn="B9"), now=TEST_NOW)
    assert (_deposit(db, row), books.balance(db, expense)) == (0, interest_before + 681)
    before = _counts(db)
    for status in (OrderStatus.EXECUTED, OrderStatus.ACCEPTED):  # a repeated or late answer changes nothing
        refunds.record_order_receipt(db, receipt(ordered.idempotency_key, status, txn="B9"), now=TEST_NOW)
    assert _counts(db) == before
    assert ordered.idempotency_key not in {o.idempotency_key for o in refunds.refund_orders_to_send(db)}


def test_procurement_regulations_art_33_the_refund_carries_no_interest(db: Session) -> None:
    tender, _ = deposit_tender(db, trade_type="gov_procurement")
    (ordered,) = order(db, paid(db, tender), ground=RefundGround.UNSUCCESSFUL, days=5)
    assert ordered.interest_fen == 0


def test_regulations_art_35_a_withdrawal_refunds_the_deposit_without_interest(db: Session) -> None:
    tender, _ = deposit_tender(db)
    (ordered,) = order(db, paid(db, tender), ground=RefundGround.WITHDRAWN, days=3)
    assert (ordered.principal_fen, ordered.interest_fen) == (DEPOSIT_FEN, 0)


def test_a_rejected_refund_keeps_the_deposit_and_alerts_the_centre(db: Session) -> None:
    tender, setup = deposit_tender(db)
    row = paid(db, tender)
    (ordered,) = order(db, row)
    refunds.record_order_receipt(
        db, receipt(ordered.idempotency_key, OrderStatus.REJECTED, reason="账户已销户"), now=TEST_NOW
    )
    assert _deposit(db, row) == DEPOSIT_FEN
    alerts = finance.alerts(db, centre_id=setup["project"].centre_id, kind=AlertKind.REFUND_REJECTED)
    assert [alert.credit_id for alert in alerts] == [ordered.credit_id]


def test_a_receipt_for_an_order_nobody_made_is_refused_and_leaves_nothing(db: Session) -> None:
    before = _counts(db)
    with pytest.raises(NotFound):
        refunds.record_order_receipt(db, receipt("refund-nobody", OrderStatus.EXECUTED, txn="X"), now=TEST_NOW)
    assert _counts(db) == before


_STEPS = st.lists(
    st.tuples(st.sampled_from(["pay", "repeat", "unknown", "fund", "order", "execute", "reject"]), st.integers(0, 3)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_STEPS)
def test_the_books_stay_balanced_and_equal_to_the_bank_through_payments_refunds_and_repeats(
    db: Session, steps: list
) -> None:
    """DESIGN §4.5 over random sequences of payments, repeated notices, unknown sub-accounts, the centre funding the
    settlement account, refund orders with interest (招标投标法实施条例 第57条, at the configured 0.35%) and the
    bank's answers (repeated, or arriving after a crash: the same answer again; an order whose interest the centre's
    own funds cannot pay rejected whole, as the bank does, decision 0036): every posting balances; the settlement
    account equals the deposits plus suspense plus the centre's funds less the interest it paid; the money at the
    bank (credits in, executed principal and interest out) equals the settlement account; the centre's funds never
    go below zero."""
    tender, _ = deposit_tender(db)
    rows = [opened(db, tender)[0] for _ in range(4)]
    sent: list = []
    start = books.balances_by_purpose(db)  # the examples share the test's transaction
    own = start[AccountPurpose.PLATFORM_FUNDS] - start[AccountPurpose.INTEREST_EXPENSE]  # the bank's own balance
    for step, index in steps:
        row = rows[index]
        if step == "pay":
            sent.append(notice(row.number or "", 100_000 + index))
            finance.record_credit(db, sent[-1], now=TEST_NOW)
        elif step == "repeat" and sent:
            finance.record_credit(db, sent[index % len(sent)], now=TEST_NOW)
        elif step == "unknown":
            finance.record_credit(db, notice(f"NOBODY{index}", 777), now=TEST_NOW)
        elif step == "fund":
            finance.record_credit(db, notice("SETTLEMENT", 20 * (index + 1), own_funds=True), now=TEST_NOW)
            own += 20 * (index + 1)
        elif step == "order":
            order(db, row, days=30 + 10 * index)
        elif step in ("execute", "reject"):
            for pending in refunds.refund_orders_to_send(db)[:1]:
                status, reason = (OrderStatus.EXECUTED, None) if step == "execute" else (OrderStatus.REJECTED, "x")
                if status is OrderStatus.EXECUTED and own < pending.interest_fen:
                    status, reason = OrderStatus.REJECTED, f"{OWN_FUNDS_SHORT} {own} < {pending.interest_fen}"
                if status is OrderStatus.EXECUTED:
                    own -= pending.interest_fen
                for _ in range(2):  # every answer arrives twice
                    refunds.record_order_receipt(
                        db, receipt(pending.idempotency_key, status, txn="B", reason=reason), now=TEST_NOW
                    )
    totals = books.balances_by_purpose(db)
    assert books.incomplete_postings(db) == []
    assert totals[AccountPurpose.SETTLEMENT] == (
        totals[AccountPurpose.DEPOSIT] + totals[AccountPurpose.SUSPENSE] + totals[AccountPurpose.PLATFORM_FUNDS]
        - totals[AccountPurpose.INTEREST_EXPENSE]
    )  # fmt: skip
    assert totals[AccountPurpose.PLATFORM_FUNDS] - totals[AccountPurpose.INTEREST_EXPENSE] == own >= 0
    from ggzy.finance.models import BankCredit

    money_in = db.scalar(select(func.sum(BankCredit.amount_fen))) or 0
    money_out = db.scalar(
        select(func.sum(RefundOrderRow.principal_fen + RefundOrderRow.interest_fen)).where(
            RefundOrderRow.status == "executed"
        )
    )
    assert totals[AccountPurpose.SETTLEMENT] == money_in - (money_out or 0)
    assert all(balance >= 0 for balance in [_deposit(db, row) for row in rows])
    ordered = db.scalars(select(RefundOrderRow.interest_fen)).all()
    assert all(interest > 0 for interest in ordered)  # every refund here carries interest
    unfunded = finance.alerts(db, kind=AlertKind.INTEREST_UNFUNDED)
    assert len(unfunded) == len(
        db.scalars(select(RefundOrderRow.id).where(RefundOrderRow.reason.startswith(OWN_FUNDS_SHORT))).all()
    )
