"""The books in double entry (DESIGN §4.5): accounts, balanced postings in integer 分, balances derived by query.

Nothing here records an event: :func:`post` takes the event of the service that moves the money, so a posting cannot
exist without the event of its transaction (DESIGN §4.1). Postings are append-only (the database refuses UPDATE and
DELETE, and an unbalanced posting, migration 0026); a mistake is corrected by a reversing posting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.finance.models import FinanceAccount, Posting, PostingLine
from ggzy.finance.rules import KIND_OF, SINGLE_ACCOUNTS, AccountPurpose, PostingKind, check_balanced, normal_balance


def deposit_key(tender_id: int, entity_id: int) -> str:
    return f"deposit:{tender_id}:{entity_id}"


def account(db: Session, purpose: AccountPurpose, *, now: datetime) -> FinanceAccount:
    """One of the single accounts (settlement, suspense, …), opened the first time it is needed."""
    assert purpose in SINGLE_ACCOUNTS, purpose
    return _account(db, purpose.value, purpose, tender_id=None, entity_id=None, now=now)


def deposit_account(db: Session, *, tender_id: int, entity_id: int, now: datetime) -> FinanceAccount:
    """What the platform owes a bidder for its deposit on one tender."""
    return _account(
        db, deposit_key(tender_id, entity_id), AccountPurpose.DEPOSIT, tender_id=tender_id, entity_id=entity_id,
        now=now,
    )  # fmt: skip


def _account(
    db: Session, key: str, purpose: AccountPurpose, *, tender_id: int | None, entity_id: int | None, now: datetime
) -> FinanceAccount:
    found = db.scalar(select(FinanceAccount).where(FinanceAccount.key == key))
    if found is not None:
        return found
    created = FinanceAccount(key=key, purpose=purpose.value, tender_id=tender_id, entity_id=entity_id, opened_at=now)
    db.add(created)
    db.flush()
    return created


def post(
    db: Session,
    *,
    event: Event,
    kind: PostingKind,
    lines: Sequence[tuple[FinanceAccount, int]],
    memo: str,
    now: datetime,
) -> Posting:
    """Post balanced ``lines`` (account, 分: debits positive, credits negative) under the service's ``event``.

    Refused before anything is written when the lines do not sum to zero (and by the database, should code ever
    bypass this check)."""
    check_balanced([amount for _, amount in lines])
    posting = Posting(event_id=event.id, kind=kind.value, line_count=len(lines), posted_at=now, memo=memo[:200])
    db.add(posting)
    db.flush()
    db.add_all(
        PostingLine(posting_id=posting.id, line_no=number, account_id=target.id, amount_fen=amount)
        for number, (target, amount) in enumerate(lines, start=1)
    )
    db.flush()
    return posting


def debit_minus_credit(db: Session, account_id: int) -> int:
    total = db.scalar(
        select(func.coalesce(func.sum(PostingLine.amount_fen), 0)).where(PostingLine.account_id == account_id)
    )
    return int(total or 0)


def balance(db: Session, target: FinanceAccount) -> int:
    """An account's balance in 分 as its kind reads it (an asset by its debits, a liability by its credits)."""
    return normal_balance(KIND_OF[AccountPurpose(target.purpose)], debit_minus_credit(db, target.id))


def balances_by_purpose(db: Session) -> dict[AccountPurpose, int]:
    """Every purpose's total balance, as its kind reads it (one query)."""
    rows = db.execute(
        select(FinanceAccount.purpose, func.coalesce(func.sum(PostingLine.amount_fen), 0))
        .join(PostingLine, PostingLine.account_id == FinanceAccount.id)
        .group_by(FinanceAccount.purpose)
    )
    totals = {AccountPurpose(purpose): int(total) for purpose, total in rows}
    return {purpose: normal_balance(KIND_OF[purpose], totals.get(purpose, 0)) for purpose in AccountPurpose}


def lines_of(db: Session, posting_id: int) -> list[PostingLine]:
    return list(
        db.scalars(select(PostingLine).where(PostingLine.posting_id == posting_id).order_by(PostingLine.line_no))
    )


def incomplete_postings(db: Session) -> list[Posting]:
    """Postings whose lines are not as many as they state or do not sum to zero: none, ever (the audit of what the
    database checks; on SQLite the only check of a posting left without its last line)."""
    sums = (
        select(
            PostingLine.posting_id,
            func.count().label("counted"),
            func.coalesce(func.sum(PostingLine.amount_fen), 0).label("total"),
        )
        .group_by(PostingLine.posting_id)
        .subquery()
    )
    query = (
        select(Posting)
        .outerjoin(sums, sums.c.posting_id == Posting.id)
        .where((func.coalesce(sums.c.counted, 0) != Posting.line_count) | (func.coalesce(sums.c.total, 0) != 0))
        .order_by(Posting.id)
    )
    return list(db.scalars(query))
