"""Tables of the random inspections (双随机一公开, decision 0042): a plan with its frozen candidates, its draw (seeded
by the first ledger checkpoint after the plan) and the findings on each drawn lot.

The candidates and the drawn are kept as JSON lists in the plan's row, exactly as its events carry them: the draw is
replayed from the ledger, never from these rows (:func:`ggzy.supervision.inspections.replay`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class InspectionPlan(Base):
    """One random inspection: its scope (a region and, optionally, a trade type), the window of bid deadlines whose
    rounds it may draw, how many rounds and inspectors it draws, and what became of it."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    trade_type: Mapped[str | None] = mapped_column(String(32))
    window_start: Mapped[date] = mapped_column(Date)  # China Standard Time days, both included
    window_end: Mapped[date] = mapped_column(Date)
    rounds_to_draw: Mapped[int] = mapped_column(Integer)
    inspectors_to_draw: Mapped[int] = mapped_column(Integer)
    candidate_rounds: Mapped[str] = mapped_column(Text)  # JSON: [tender id, …] ascending
    candidate_inspectors: Mapped[str] = mapped_column(Text)  # JSON: [user id, …] ascending
    planned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    plan_event_id: Mapped[int] = mapped_column(BigInteger, index=True)  # the inspection.planned event
    # the draw: the checkpoint whose root is the seed, and what it drew (JSON lists, in the order drawn)
    seed_tree_size: Mapped[int | None] = mapped_column(BigInteger)
    seed_root_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    drawn_rounds: Mapped[str | None] = mapped_column(Text)
    drawn_inspectors: Mapped[str | None] = mapped_column(Text)
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class InspectionFinding(Base):
    """What the drawn inspectors found on one drawn round: one finding per round, by one of them."""

    __tablename__ = "inspection_findings"
    __table_args__ = (UniqueConstraint("plan_id", "tender_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"))
    outcome: Mapped[str] = mapped_column(String(24))  # inspections.Outcome
    text: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Tipoff(Base):
    """A report (举报 / 问题线索) from anyone, anonymous allowed, routed to the supervisors of its region and trade.

    The reporter follows it by a code shown once; only its SHA-256 is kept. Who reported is kept only when the
    reporter chose to be named (``reporter_user_id``, ``contact``), and only the handling supervisors read it
    (浙江省招标投标条例 第48条: 为举报人保密)."""

    __tablename__ = "tipoffs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    trade_type: Mapped[str | None] = mapped_column(String(32))
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id"))
    subject: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(24), index=True)  # tipoffs.Status
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)  # what the reporter is told: why not accepted, or the result


class WatchEntry(Base):
    """An entity on the watch list (重点关注对象名单, decision 0046): put there by a supervisor, with its grounds and
    optionally a last day, in that supervisor's jurisdiction (its grant's region and trade type; None: all); taken
    off with a reason. The row stays after its removal, for the record; its lots are tracked while it is in force."""

    __tablename__ = "watch_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    trade_type: Mapped[str | None] = mapped_column(String(32))
    grounds: Mapped[str] = mapped_column(Text)
    until: Mapped[date | None] = mapped_column(Date)  # China Standard Time, the last day included
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removal_reason: Mapped[str | None] = mapped_column(Text)
