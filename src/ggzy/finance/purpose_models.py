"""Tables of performance security (履约保证金) and transaction service fees (交易服务费), decision 0037.

Money for either comes in through a virtual sub-account of its own at the same bank, opened through the same worker
as the deposits' (``PurposeSubAccount``: a purpose, a reference, the number the bank answered); each credit the bank
notifies for one is a ``BankCredit`` like any other, linked here to its sub-account (``PurposeCredit``), so that a
performance security paid in cash goes back along its route through the same refund orders as a deposit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime

PERFORMANCE, FEE = "performance", "fee"


class PurposeSubAccount(Base):
    """A sub-account for one purpose of one tender: the winner's performance security (``performance``) or the
    fee notice's payment (``fee``). ``number`` NULL: asked for, the bank worker has still to open it."""

    __tablename__ = "finance_purpose_sub_accounts"
    __table_args__ = (UniqueConstraint("purpose", "tender_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(16))
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)  # who is to pay into it
    account_id: Mapped[int] = mapped_column(ForeignKey("finance_accounts.id"), index=True)  # credited in the books
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    expected_fen: Mapped[int] = mapped_column(BigInteger)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PurposeCredit(Base):
    """A bank credit booked to a purpose sub-account (the credit itself is a ``finance_credits`` row)."""

    __tablename__ = "finance_purpose_credits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("finance_credits.id"), unique=True)
    sub_account_id: Mapped[int] = mapped_column(ForeignKey("finance_purpose_sub_accounts.id"), index=True)


class PerformanceRequirement(Base):
    """A tender's documents require performance security: ``basis_points`` of the contract amount (1000 = 10%, the
    cap of 招标投标法实施条例 第五十八条 and 政府采购法实施条例 第四十八条)."""

    __tablename__ = "finance_performance_requirements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), unique=True)
    basis_points: Mapped[int] = mapped_column(Integer)
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))


class PerformanceSecurity(Base):
    """What the winner owes once awarded, and how it provided it: cash into its sub-account (``form`` NULL until a
    credit covers it; derived from the credits) or a performance guarantee (``form`` = guarantee, the signed
    document kept as signed). ``completed_at``: the owner recorded the contract performed; the security is then
    returned (cash: refund orders along its route; a guarantee: released)."""

    __tablename__ = "finance_performance_securities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), unique=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    contract_amount_fen: Mapped[int] = mapped_column(BigInteger)  # the award price: the contract's (第57条)
    basis_points: Mapped[int] = mapped_column(Integer)
    required_fen: Mapped[int] = mapped_column(BigInteger)
    required_at: Mapped[datetime] = mapped_column(UTCDateTime)
    guarantee_institution_id: Mapped[int | None] = mapped_column(ForeignKey("finance_institutions.id"))
    guarantee_number: Mapped[str | None] = mapped_column(String(64))
    guarantee_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    guarantee_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guarantee_document: Mapped[str | None] = mapped_column(Text)  # canonical JSON, exactly the signed bytes
    guarantee_signature: Mapped[str | None] = mapped_column(Text)
    guarantee_fingerprint: Mapped[str | None] = mapped_column(String(64))
    guarantee_attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # what the contract's signing found (provided | not_provided), recorded, never a bar (第七十四条 is the owner's)
    at_contract: Mapped[str | None] = mapped_column(String(16))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_on: Mapped[date | None] = mapped_column(Date)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FeeSchedule(Base):
    """One version of a centre's fee schedule (收费标准): bands of the award amount with their rates, charged 差额定率
    累进 (each band's part of the amount at its rate), with an optional minimum and maximum; who pays; how many days
    to pay. Never changed: a new version is a new row, in force from ``effective_at``."""

    __tablename__ = "finance_fee_schedules"
    __table_args__ = (UniqueConstraint("centre_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    payer: Mapped[str] = mapped_column(String(16))  # fees.FeePayer
    bands: Mapped[str] = mapped_column(Text)  # canonical JSON: [{"up_to_fen": int | null, "rate_percent": "1.0"}]
    minimum_fen: Mapped[int | None] = mapped_column(BigInteger)
    maximum_fen: Mapped[int | None] = mapped_column(BigInteger)
    due_days: Mapped[int] = mapped_column(Integer)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))


class FeeNotice(Base):
    """A 缴费通知单, issued when the award notice is published: the schedule in force then, the payer, the amount and
    its computation band by band, the sub-account to pay into, the due day."""

    __tablename__ = "finance_fee_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("finance_fee_schedules.id"))
    payer_entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    base_fen: Mapped[int] = mapped_column(BigInteger)  # the award amount
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    computation: Mapped[str] = mapped_column(Text)  # canonical JSON of fees.Computation
    sub_account_id: Mapped[int] = mapped_column(ForeignKey("finance_purpose_sub_accounts.id"), unique=True)
    due_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
