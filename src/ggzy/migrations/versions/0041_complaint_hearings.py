"""Investigation records and hearings of a complaint (调查记录, 听证/质证记录; decision 0047).

Revision ID: 0041
Revises: 0042
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0042"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "complaint_investigations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("complaint_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("heard_role", sa.String(length=16), nullable=True),
        sa.Column("heard_name", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("review_event_id", _ID, nullable=True),
        sa.Column("recorded_by", _ID, nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        _fk("complaint_investigations", "complaint_id", "complaints"),
        _fk("complaint_investigations", "recorded_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_investigations")),
    )
    with op.batch_alter_table("complaint_investigations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_investigations_complaint_id"), ["complaint_id"], unique=False)
    op.create_table(
        "complaint_hearings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("complaint_id", _ID, nullable=False),
        sa.Column("held_at", _TIME, nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("matters", sa.Text(), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("scheduled_by", _ID, nullable=False),
        sa.Column("scheduled_at", _TIME, nullable=False),
        sa.Column("record", sa.Text(), nullable=True),
        sa.Column("record_sha256", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", _ID, nullable=True),
        sa.Column("recorded_at", _TIME, nullable=True),
        _fk("complaint_hearings", "complaint_id", "complaints"),
        _fk("complaint_hearings", "scheduled_by", "users"),
        _fk("complaint_hearings", "recorded_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_hearings")),
    )
    with op.batch_alter_table("complaint_hearings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_hearings_complaint_id"), ["complaint_id"], unique=False)


def downgrade() -> None:
    op.drop_table("complaint_hearings")
    op.drop_table("complaint_investigations")
