"""The supervisors' watch list (重点关注对象名单, decision 0046).

Revision ID: 0040
Revises: 0043
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0043"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "watch_entries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("trade_type", sa.String(length=32), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("added_by", _ID, nullable=False),
        sa.Column("added_at", _TIME, nullable=False),
        sa.Column("removed_by", _ID, nullable=True),
        sa.Column("removed_at", _TIME, nullable=True),
        sa.Column("removal_reason", sa.Text(), nullable=True),
        _fk("watch_entries", "entity_id", "entities"),
        _fk("watch_entries", "added_by", "users"),
        _fk("watch_entries", "removed_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_entries")),
    )
    with op.batch_alter_table("watch_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watch_entries_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_watch_entries_region_code"), ["region_code"], unique=False)


def downgrade() -> None:
    op.drop_table("watch_entries")
