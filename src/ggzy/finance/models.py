"""Tables of the books (double entry in 分), the bidders' deposit sub-accounts, the bank's credits and the centre's
alerts (decision 0031).

A posting and its lines are append-only, and the database itself refuses a complete posting whose lines do not sum
to zero (migration 0026): a line carries its number, the posting how many it has, and the last line checks the sum.
Balances are never stored: they are the sum of an account's lines (``ggzy.finance.books.balance``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class FinanceAccount(Base):
    """An account of the books: the settlement account at the bank (asset), a bidder's deposit for one tender
    (liability, its virtual sub-account), the suspense account (money nobody can be matched to yet), …

    ``key`` names it uniquely (``settlement``, ``suspense``, ``deposit:<tender>:<entity>``), so that the same account
    is found again however often it is asked for."""

    __tablename__ = "finance_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    purpose: Mapped[str] = mapped_column(String(32), index=True)  # rules.AccountPurpose
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Posting(Base):
    """One balanced movement of money: its lines sum to zero. Made by a service that records ``event_id`` in the
    same transaction (DESIGN §4.1)."""

    __tablename__ = "finance_postings"
    __table_args__ = (CheckConstraint("line_count >= 2", name="two_lines_at_least"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # rules.PostingKind
    line_count: Mapped[int] = mapped_column(Integer)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    memo: Mapped[str] = mapped_column(String(200))


class PostingLine(Base):
    """A line of a posting: a debit (positive 分) or a credit (negative 分) to one account."""

    __tablename__ = "finance_posting_lines"
    __table_args__ = (
        UniqueConstraint("posting_id", "line_no"),
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        CheckConstraint("line_no >= 1", name="line_no_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("finance_postings.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("finance_accounts.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class DepositSubAccount(Base):
    """A bidder's virtual sub-account (子账号) for one tender: requested by the platform (``number`` NULL: the bank
    worker still has to open it, the outbox), then recorded from the bank's answer."""

    __tablename__ = "finance_sub_accounts"
    __table_args__ = (UniqueConstraint("tender_id", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("finance_accounts.id"), unique=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # the platform's reference sent to the bank
    name: Mapped[str] = mapped_column(String(200))  # the account name asked for
    number: Mapped[str | None] = mapped_column(String(40), unique=True)  # 子账号, once the bank opened it
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BankCredit(Base):
    """A credit the bank notified (its signature verified), once per ``bank_txn_id`` however often it is repeated.

    ``sub_account_id`` NULL: the sub-account is unknown, the money sits in suspense. ``payer_check``: whether the
    payer is the bidder's basic account where 招标投标法实施条例 第26条 requires it (rules.PayerCheck)."""

    __tablename__ = "finance_credits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_txn_id: Mapped[str] = mapped_column(String(64), unique=True)
    sub_account_number: Mapped[str] = mapped_column(String(40), index=True)
    sub_account_id: Mapped[int | None] = mapped_column(ForeignKey("finance_sub_accounts.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payer_account: Mapped[str] = mapped_column(String(40))
    payer_name: Mapped[str] = mapped_column(String(200))
    payer_bank: Mapped[str] = mapped_column(String(200))
    payer_check: Mapped[str] = mapped_column(String(24))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posting_id: Mapped[int] = mapped_column(ForeignKey("finance_postings.id"), unique=True)


class FinanceAlert(Base):
    """Something about money the centre must look at (a credit nobody can be matched to, a payer that is not the
    bidder's basic account, a statement that differs from the books): never silently fixed."""

    __tablename__ = "finance_alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # rules.AlertKind
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("finance_credits.id"), index=True)
    detail: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    # the reconciliation run that found it (a difference between the bank's statement and the books), if any
    reconciliation_id: Mapped[int | None] = mapped_column(ForeignKey("finance_reconciliations.id"), index=True)
    # how a centre's staff resolved it (migration 0032): the alert stays, with who resolved it, when and what was done
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)


class RefundOrderRow(Base):
    """A refund the platform wants the bank to make (the outbox the bank worker reads), one per credit, back along
    the route the money came (to the payer's account), with its idempotency key: sending it twice is one transfer.
    Posted once, when the bank's receipt says it was executed (``posting_id``)."""

    __tablename__ = "finance_refund_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("finance_credits.id"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    ground: Mapped[str] = mapped_column(String(16))  # refund_rules.RefundGround
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    from_sub_account: Mapped[str] = mapped_column(String(40))
    to_account: Mapped[str] = mapped_column(String(40))
    to_name: Mapped[str] = mapped_column(String(200))
    to_bank: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | accepted | executed | rejected
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_txn_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("finance_postings.id"), unique=True)
    # when the worker first handed it to the bank (migration 0027): from then on its outcome is asked for by its
    # idempotency key (``BankAdapter.order_status``) before it is ever sent again
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the last day the law allows for this refund (refund_rules.RefundDue.last_day; None: 及时 or no period held),
    # computed when it is ordered (migration 0028)
    due_on: Mapped[date | None] = mapped_column(Date)


class ReconciliationRun(Base):
    """One comparison of the bank's statement of a China Standard Time day with the books' settlement account
    (``ggzy.finance.reconciliation``): what each side said, and how many differences became alerts."""

    __tablename__ = "finance_reconciliations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    account: Mapped[str] = mapped_column(String(40))
    bank_opening_fen: Mapped[int] = mapped_column(BigInteger)
    bank_closing_fen: Mapped[int] = mapped_column(BigInteger)
    books_opening_fen: Mapped[int] = mapped_column(BigInteger)
    books_closing_fen: Mapped[int] = mapped_column(BigInteger)
    statement_lines: Mapped[int] = mapped_column(Integer)
    matched_lines: Mapped[int] = mapped_column(Integer)
    differences: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))


class Forfeiture(Base):
    """A deposit kept by the owner's decision where the law allows it (招标投标法实施条例 第35条 第2款: a bid revoked
    after the deadline; 第74条: the winner refusing the contract or the performance security), with its reasons and
    who decided; posted from the bidder's deposit to forfeited deposits (``posting_id``). The bidder may complain to
    the supervisor until ``appeal_until`` (第60条). One per bidder and tender (migration 0028).

    A deposit met by an electronic guarantee (``guarantee_id``, migration 0030) has no money in the books to move:
    the decision lodges the claim on the guarantee, ``posting_id`` stays empty, and the institution's payment, when it
    arrives at the bank in the bidder's sub-account, is posted to forfeited deposits (decision 0036)."""

    __tablename__ = "finance_forfeitures"
    __table_args__ = (UniqueConstraint("tender_id", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    ground: Mapped[str] = mapped_column(String(32))  # forfeiture.ForfeitureGround
    article: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_role: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appeal_until: Mapped[date] = mapped_column(Date)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("finance_postings.id"), unique=True)
    guarantee_id: Mapped[int | None] = mapped_column(ForeignKey("finance_guarantees.id"), unique=True)
