"""Tables of the expert register (专家库) and of the draw of a tender's evaluation committee (专家抽取).

Who sits on a committee is secret until the result is known (招标投标法 第37条: 评标委员会成员的名单在中标结果确定前
应当保密): these rows are read only through ``ggzy.evaluation.access``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime, one_current


class Expert(Base):
    """An evaluation expert in the register; ``tier`` is the pool it belongs to (省级总库, 市州综合库, 子库)."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    employer_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    tier: Mapped[str] = mapped_column(String(16))  # province | city | county
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExpertSpecialty(Base):
    """One specialty (专业分类) an expert may evaluate."""

    __tablename__ = "expert_specialties"
    __table_args__ = (UniqueConstraint("expert_id", "specialty_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    specialty_code: Mapped[str] = mapped_column(String(16), index=True)


CURRENT_DRAW_INDEX = "uq_draws_one_current"
CURRENT_SEAT_INDEX = "uq_committee_members_one_current_seat"


class Draw(Base):
    """The draw of a tender's committee: what was asked, and how many experts were considered and recused.

    ``superseded_at``: a complaint's decision ordered re-evaluation by a new committee (招标投标法实施条例 第81条);
    the draw and its seats stay for the record, and a new draw is made. At most one draw of a tender is current."""

    __tablename__ = "draws"
    __table_args__ = (one_current(CURRENT_DRAW_INDEX, "tender_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    specialty_code: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)  # members of the committee, owner's representatives included
    owner_representatives: Mapped[int] = mapped_column(Integer)
    reserve: Mapped[int] = mapped_column(Integer)  # reserve experts (备选) drawn besides
    candidates: Mapped[int] = mapped_column(Integer)  # active experts of the specialty in the pools open to the centre
    recused: Mapped[int] = mapped_column(Integer)  # of those, employed by the owner, the agent or a bidder (回避)
    # the rule that ordered the pools (experts.rules.POOL_RULES, decision 0041); None: drawn before pools were shared
    pool_rule: Mapped[str | None] = mapped_column(String(16))
    drawn_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommitteeMember(Base):
    """A seat on a tender's committee: a drawn expert, a reserve expert, or one of the owner's representatives; one
    current seat per person and tender (``superseded_at`` with its draw)."""

    __tablename__ = "committee_members"
    __table_args__ = (one_current(CURRENT_SEAT_INDEX, "tender_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # expert | owner_representative | reserve
    position: Mapped[int] = mapped_column(Integer)  # order of the draw (reserve experts are called in this order)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # the pool a drawn expert came from: its register's region (省级总库 530000, 市州综合库 530100, 县区子库 530102);
    # None for an owner's representative and for seats drawn before pools were shared (decision 0041)
    pool_region_code: Mapped[str | None] = mapped_column(String(6))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attendance(Base):
    """A committee member checked in (签到) at the evaluation venue by the centre's staff: who, when, by whom. A member
    not checked in takes no part in the evaluation (``ggzy.evaluation.access.present_member_for``). One per seat."""

    __tablename__ = "committee_attendance"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    checked_in_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
