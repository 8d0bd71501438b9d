"""A centre's venues and their bookings. Venues are retired, never deleted; bookings are cancelled, never deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class Venue(Base):
    """A room of a centre: 开标室 (``opening_room``), 评标室 (``evaluation_room``) or 远程异地评标 hall
    (``remote_evaluation``), with its seats (评标工位)."""

    __tablename__ = "venues"
    __table_args__ = (
        UniqueConstraint("centre_id", "name"),
        CheckConstraint("seats >= 1", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))  # opening_room | evaluation_room | remote_evaluation
    seats: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VenueBooking(Base):
    """A venue booked for a tender's opening or evaluation over [starts_at, ends_at)."""

    __tablename__ = "venue_bookings"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="span_positive"),
        # the bookings of a venue in a span (the overlap check, the day's timeline)
        Index("ix_venue_bookings_venue_span", "venue_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # opening | evaluation
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # booked | cancelled
    booked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class SiteRecord(Base):
    """An on-site record (现场见证记录, decision 0048): what a centre's staff member saw at a tender's opening or
    evaluation — who (an expert of its committee, a bidder and its representative, the owner or the agent), when,
    which misconduct, the description and the digests of the evidence files. Never overwritten: a correction is a new
    record that ``amends`` it; a withdrawal keeps the row with its reason."""

    __tablename__ = "site_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)  # the readers' scope
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    session: Mapped[str] = mapped_column(String(16))  # site_record_rules.Session
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject_kind: Mapped[str] = mapped_column(String(8))  # site_record_rules.SubjectKind
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"), index=True)
    expert_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the expert reads it after the result
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    representative_name: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))  # site_record_rules.Category
    description: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # canonical JSON: [{"name", "sha256"}, …]
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("site_records.id"), unique=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
