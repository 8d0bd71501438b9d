"""The books in double entry (DESIGN §4.5): a posting balances, or neither the code nor the database takes it;
postings are append-only; balances are derived from the lines."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.finance import books
from ggzy.finance.models import Posting, PostingLine
from ggzy.finance.rules import AccountPurpose, PostingKind, PostingMalformed, PostingUnbalanced, check_balanced
from tests.conftest import TEST_NOW
from tests.factories import make_entity


def _an_event(db: Session) -> Event:
    make_entity(db)
    event = db.scalar(select(Event).order_by(Event.id.desc()).limit(1))
    assert event is not None
    return event


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("amounts", "error"),
    [
        ([100, -99], PostingUnbalanced),
        ([100], PostingMalformed),
        ([100, 0, -100], PostingMalformed),
        ([], PostingMalformed),
    ],
)
def test_a_posting_must_balance_in_integer_fen(amounts: list[int], error: type[Exception]) -> None:
    with pytest.raises(error):
        check_balanced(amounts)


def test_an_unbalanced_posting_is_refused_before_anything_is_written(db: Session) -> None:
    event = _an_event(db)
    settlement = books.account(db, AccountPurpose.SETTLEMENT, now=TEST_NOW)
    suspense = books.account(db, AccountPurpose.SUSPENSE, now=TEST_NOW)
    before = _count(db, Posting), _count(db, PostingLine)
    with pytest.raises(PostingUnbalanced):
        books.post(
            db, event=event, kind=PostingKind.SUSPENSE_CREDIT, lines=[(settlement, 10_000), (suspense, -9_999)],
            memo="差一分", now=TEST_NOW,
        )  # fmt: skip
    assert (_count(db, Posting), _count(db, PostingLine)) == before


def test_balances_are_derived_from_the_lines(db: Session) -> None:
    event = _an_event(db)
    settlement = books.account(db, AccountPurpose.SETTLEMENT, now=TEST_NOW)
    suspense = books.account(db, AccountPurpose.SUSPENSE, now=TEST_NOW)
    deposit = books.deposit_account(db, tender_id=_a_tender_id(db), entity_id=make_entity(db).id, now=TEST_NOW)
    start = books.balance(db, settlement), books.balance(db, suspense), books.balance(db, deposit)
    books.post(
        db, event=event, kind=PostingKind.DEPOSIT_CREDIT,
        lines=[(settlement, 2_000_000), (deposit, -1_500_000), (suspense, -500_000)], memo="入账", now=TEST_NOW,
    )  # fmt: skip
    assert books.balance(db, settlement) == start[0] + 2_000_000  # an asset reads its debits
    assert books.balance(db, suspense) == start[1] + 500_000  # a liability its credits
    assert books.balance(db, deposit) == 1_500_000
    assert (
        books.deposit_account(db, tender_id=deposit.tender_id or 0, entity_id=deposit.entity_id or 0, now=TEST_NOW).id
        == deposit.id
    )


def _a_tender_id(db: Session) -> int:
    from tests.factories import make_published_tender

    tender, _ = make_published_tender(db)
    return tender.id


def _raw_posting(db: Session, event: Event, amounts: list[int], *, line_count: int | None = None) -> None:
    settlement = books.account(db, AccountPurpose.SETTLEMENT, now=TEST_NOW)
    suspense = books.account(db, AccountPurpose.SUSPENSE, now=TEST_NOW)
    posting_id = db.execute(
        insert(Posting)
        .values(
            event_id=event.id,
            kind="suspense_credit",
            line_count=line_count or len(amounts),
            posted_at=TEST_NOW,
            memo="x",
        )
        .returning(Posting.id)
    ).scalar_one()
    for number, amount in enumerate(amounts, start=1):
        db.execute(
            insert(PostingLine).values(
                posting_id=posting_id, line_no=number, account_id=(settlement if number == 1 else suspense).id,
                amount_fen=amount,
            )
        )  # fmt: skip


@pytest.mark.parametrize(("amounts", "line_count"), [([100, -99], None), ([100, -50, -49], None), ([100, -100, 5], 2)])
def test_the_database_refuses_an_unbalanced_posting(db: Session, amounts: list[int], line_count: int | None) -> None:
    """Should code ever bypass books.post, the database itself refuses lines that do not sum to zero, or a line
    beyond the count the posting states."""
    event = _an_event(db)
    before = _count(db, PostingLine)
    with pytest.raises(DBAPIError, match="postings must balance"), db.begin_nested():
        _raw_posting(db, event, amounts, line_count=line_count)
    assert _count(db, PostingLine) == before


def test_the_database_takes_a_balanced_posting(db: Session) -> None:
    event = _an_event(db)
    before = _count(db, PostingLine)
    with db.begin_nested():
        _raw_posting(db, event, [300, -100, -200])
    assert _count(db, PostingLine) == before + 3


def test_a_posting_left_with_fewer_lines_than_it_states_is_found_and_refused_at_commit_on_postgresql(
    db: Session,
) -> None:
    """SQLite has no deferred trigger: there the audit query finds such a posting; PostgreSQL refuses it at commit."""
    event = _an_event(db)
    with db.begin_nested() as savepoint:
        _raw_posting(db, event, [100], line_count=2)
        assert [posting.line_count for posting in books.incomplete_postings(db)] == [2]
        if db.get_bind().dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="postings must balance"), db.begin_nested():
                db.execute(text("SET CONSTRAINTS finance_postings_complete IMMEDIATE"))
        savepoint.rollback()
    assert books.incomplete_postings(db) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE finance_posting_lines SET amount_fen = amount_fen * 2",
        "DELETE FROM finance_posting_lines",
        "UPDATE finance_postings SET memo = 'forged'",
        "DELETE FROM finance_postings",
    ],
)
def test_the_database_refuses_update_and_delete_of_postings(db: Session, statement: str) -> None:
    event = _an_event(db)
    with db.begin_nested():
        _raw_posting(db, event, [700, -700])
    before = _count(db, PostingLine), _count(db, Posting)
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))
    assert (_count(db, PostingLine), _count(db, Posting)) == before
