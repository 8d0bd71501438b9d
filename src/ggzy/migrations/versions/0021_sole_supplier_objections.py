"""Objections to a sole supplier's publicity (政府采购法实施条例 第38条)

A supplier may object during the 5 working days a single-source procurement publicises its sole supplier; the
purchaser answers before the procurement is published.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TABLE = "sole_supplier_objections"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("raised_by", _ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f(f"fk_{_TABLE}_tender_id_tenders")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f(f"fk_{_TABLE}_entity_id_entities")),
        sa.ForeignKeyConstraint(["raised_by"], ["users.id"], name=op.f(f"fk_{_TABLE}_raised_by_users")),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"], name=op.f(f"fk_{_TABLE}_answered_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_TABLE}")),
        sa.UniqueConstraint("public_id", name=op.f(f"uq_{_TABLE}_public_id")),
    )
    with op.batch_alter_table(_TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{_TABLE}_tender_id"), ["tender_id"], unique=False)


def downgrade() -> None:
    op.drop_table(_TABLE)
