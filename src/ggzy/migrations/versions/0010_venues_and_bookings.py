"""A centre's venues (开标室, 评标室, 远程异地评标) and their bookings for tenders' openings and evaluations

Venues are retired, never deleted; bookings are cancelled, never deleted. Two indexes serve the reads: the bookings
of a venue in a span (the overlap check and the staff's day view) and the bookings of a tender.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("centre_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", _ID, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("retired_by", _ID, nullable=True),
        sa.Column("retired_at", _TIME, nullable=True),
        sa.CheckConstraint("seats >= 1", name=op.f("ck_venues_seats_positive")),
        _fk("venues", "centre_id", "centres"),
        _fk("venues", "created_by", "users"),
        _fk("venues", "retired_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
        sa.UniqueConstraint("centre_id", "name", name=op.f("uq_venues_centre_id_name")),
    )
    op.create_index(op.f("ix_venues_centre_id"), "venues", ["centre_id"], unique=False)
    op.create_table(
        "venue_bookings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("venue_id", _ID, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("starts_at", _TIME, nullable=False),
        sa.Column("ends_at", _TIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("booked_by", _ID, nullable=False),
        sa.Column("booked_at", _TIME, nullable=False),
        sa.Column("cancelled_by", _ID, nullable=True),
        sa.Column("cancelled_at", _TIME, nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_venue_bookings_span_positive")),
        _fk("venue_bookings", "venue_id", "venues"),
        _fk("venue_bookings", "tender_id", "tenders"),
        _fk("venue_bookings", "booked_by", "users"),
        _fk("venue_bookings", "cancelled_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_bookings")),
    )
    op.create_index(
        "ix_venue_bookings_venue_span", "venue_bookings", ["venue_id", "starts_at", "ends_at"], unique=False
    )
    op.create_index(op.f("ix_venue_bookings_tender_id"), "venue_bookings", ["tender_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_venue_bookings_tender_id"), table_name="venue_bookings")
    op.drop_index("ix_venue_bookings_venue_span", table_name="venue_bookings")
    op.drop_table("venue_bookings")
    op.drop_index(op.f("ix_venues_centre_id"), table_name="venues")
    op.drop_table("venues")
