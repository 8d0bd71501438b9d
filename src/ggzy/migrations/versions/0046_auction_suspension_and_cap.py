"""Rights trades (decision 0052): suspension and resumption (中止/恢复), the price cap (最高限价) and its draw.

Revision ID: 0046
Revises: 0045
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    with op.batch_alter_table("auctions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("price_cap_fen", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("cap_drawn_at", _TIME, nullable=True))
    op.create_table(
        "auction_suspensions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("auction_id", _ID, nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("suspended_at", _TIME, nullable=False),
        sa.Column("suspended_by", _ID, nullable=True),
        sa.Column("until_start_ms", sa.BigInteger(), nullable=True),
        sa.Column("bidding_left_ms", sa.BigInteger(), nullable=True),
        sa.Column("timed_left_ms", sa.BigInteger(), nullable=True),
        sa.Column("resumed_at", _TIME, nullable=True),
        sa.Column("resumed_by", _ID, nullable=True),
        sa.Column("cause_ended_at", _TIME, nullable=True),
        _fk("auction_suspensions", "auction_id", "auctions"),
        _fk("auction_suspensions", "suspended_by", "users"),
        _fk("auction_suspensions", "resumed_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_suspensions")),
    )
    with op.batch_alter_table("auction_suspensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_suspensions_auction_id"), ["auction_id"], unique=False)


def downgrade() -> None:
    op.drop_table("auction_suspensions")
    with op.batch_alter_table("auctions", schema=None) as batch_op:
        batch_op.drop_column("cap_drawn_at")
        batch_op.drop_column("price_cap_fen")
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_at")
