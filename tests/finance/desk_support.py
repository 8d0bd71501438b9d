"""Builders of the centre's finance desk tests (and of the event walk): alerts to resolve, through the services."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Role
from ggzy.finance import reconciliation
from ggzy.finance import service as finance
from ggzy.finance.models import FinanceAlert
from ggzy.finance.rules import AlertKind
from tests.conftest import TEST_NOW
from tests.factories import principal, user_with_role
from tests.finance.support import notice


def unmatched_alert(
    db: Session, *, sub_account: str = "6222099999999999", amount_fen: int = 123_456, bank_txn_id: str | None = None
) -> FinanceAlert:
    """Money credited to a sub-account nobody knows: it sits in suspense, and the platform's alert (of no centre)
    asks every centre's staff to look at it."""
    credited = notice(sub_account, amount_fen, bank_txn_id=bank_txn_id)
    credit = finance.record_credit(db, credited, now=TEST_NOW).credit
    alert = db.scalar(
        select(FinanceAlert).where(
            FinanceAlert.credit_id == credit.id, FinanceAlert.kind == AlertKind.UNKNOWN_SUB_ACCOUNT.value
        )
    )
    assert alert is not None
    return alert


def alert_resolution_scenario(db: Session) -> Callable[[], object]:
    alert = unmatched_alert(db)
    staff = principal(db, user_with_role(db, Role.CENTRE_STAFF), Permission.FINANCE_ALERT_RESOLVE)
    return lambda: reconciliation.resolve_alert(
        db, staff, alert_id=alert.id, resolution="已联系付款人，款项原路退回", now=TEST_NOW
    )
