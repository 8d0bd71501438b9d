"""Projects brought into a centre (进场登记) and their lots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class ProjectCodeSequence(Base):
    """The next serial of the unified project code, per region, year and trade type."""

    __tablename__ = "project_code_sequences"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    trade_type: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    approval_reference: Mapped[str | None] = mapped_column(String(200))
    # what is procured (core.trade_types.ProcurementCategory); under 政府采购 it picks the law of a tendering
    # procedure (政府采购法实施条例 第7条). None: not stated (registered before migration 0019, or not procurement).
    procurement_category: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # submitted | accepted | returned
    return_reason: Mapped[str | None] = mapped_column(Text)
    registered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Lot(Base):
    """A lot (标段/包): the unit that is tendered, bid on and awarded."""

    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        CheckConstraint("budget_fen > 0", name="budget_positive"),
        CheckConstraint(
            "ceiling_price_fen IS NULL OR (ceiling_price_fen > 0 AND ceiling_price_fen <= budget_fen)",
            name="ceiling_within_budget",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    ceiling_price_fen: Mapped[int | None] = mapped_column(BigInteger)
