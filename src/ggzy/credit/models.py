"""The tables of credit (decision 0040).

A credit record (信用记录) is good or bad, about an entity (by its unified social credit code), one of its key people
(by name and a digest of the ID number: the record needs to find the person again, not to publish who it is) or an
expert. A record that *restricts* is an interception entry: while in force (``valid_from`` ≤ now < ``valid_until``,
not ended) the steps its subject takes are stopped. The interception's lookup is one indexed read by credit code (or
expert) — ``ix_credit_records_credit_code`` — a handful of rows per code at most.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class CreditList(Base):
    """A joint-punishment list (联合惩戒名单) as imported: its source (one row per source; a re-import updates it),
    the date the source published it, and when it was last imported."""

    __tablename__ = "credit_lists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), unique=True)
    published_on: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows_listed: Mapped[int] = mapped_column(Integer)
    # the jurisdiction of the supervisor who made it (credit.access; None: every region / every trade)
    region_code: Mapped[str | None] = mapped_column(String(6))
    trade_type: Mapped[str | None] = mapped_column(String(32))


class CreditPenalty(Base):
    """A penalty decided by a supervisor (行政处罚决定): its number (文号), kind, article, grounds and appeal route."""

    __tablename__ = "credit_penalties"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_number: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # rules.PenaltyKind
    subject_kind: Mapped[str] = mapped_column(String(8))  # entity | expert
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"), index=True)
    subject_name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(16))  # rules.LEGAL_BASES key
    article: Mapped[str] = mapped_column(String(200))
    grounds: Mapped[str] = mapped_column(Text)
    fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    basis_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    points: Mapped[int | None] = mapped_column(Integer)
    months: Mapped[int | None] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_route: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the jurisdiction of the supervisor who made it (credit.access; None: every region / every trade)
    region_code: Mapped[str | None] = mapped_column(String(6))
    trade_type: Mapped[str | None] = mapped_column(String(32))


class CreditPenaltySiteRecord(Base):
    """An on-site record (现场见证记录, ``ggzy.venues.site_records``) a penalty cites as evidence (decision 0048)."""

    __tablename__ = "credit_penalty_site_records"

    penalty_id: Mapped[int] = mapped_column(ForeignKey("credit_penalties.id"), primary_key=True)
    site_record_id: Mapped[int] = mapped_column(ForeignKey("site_records.id"), primary_key=True, index=True)


class CreditRecord(Base):
    """One credit record, good or bad; ``restricts`` makes it an interception entry while in force."""

    __tablename__ = "credit_records"
    __table_args__ = (Index("ix_credit_records_expert_id", "expert_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_kind: Mapped[str] = mapped_column(String(8))  # entity | person | expert
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"))
    person_id_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    person_id_masked: Mapped[str | None] = mapped_column(String(18))
    subject_name: Mapped[str] = mapped_column(String(200))
    polarity: Mapped[str] = mapped_column(String(8))  # good | bad
    points: Mapped[int] = mapped_column(Integer)
    restricts: Mapped[bool] = mapped_column(Boolean)
    # the law whose trades a restriction closes (a procedures' Law key: tendering_law | procurement_law); None: all
    law: Mapped[str | None] = mapped_column(String(24))
    grounds: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))  # decision | list | authority
    source_name: Mapped[str] = mapped_column(String(200))  # the decision's number, the list's or authority's name
    penalty_id: Mapped[int | None] = mapped_column(ForeignKey("credit_penalties.id"))
    list_id: Mapped[int | None] = mapped_column(ForeignKey("credit_lists.id"), index=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))  # revoked | delisted
    end_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the jurisdiction of the supervisor who made it (credit.access; None: every region / every trade)
    region_code: Mapped[str | None] = mapped_column(String(6))
    trade_type: Mapped[str | None] = mapped_column(String(32))


class CreditInterception(Base):
    """One interception (拦截): which checkpoint stopped whom, under which record, on which subject."""

    __tablename__ = "credit_interceptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    checkpoint: Mapped[str] = mapped_column(String(24), index=True)  # core.screening.Checkpoint
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    intercepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
