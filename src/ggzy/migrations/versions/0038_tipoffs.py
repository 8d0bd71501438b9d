"""Tip-offs (举报 / 问题线索, decision 0045): reports from anyone, anonymous allowed, followed by a code.

Revision ID: 0038
Revises: 0036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0036"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "tipoffs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("trade_type", sa.String(length=32), nullable=True),
        sa.Column("tender_id", _ID, nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("reporter_user_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("handled_by", _ID, nullable=True),
        sa.Column("accepted_at", _TIME, nullable=True),
        sa.Column("closed_at", _TIME, nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        _fk("tipoffs", "tender_id", "tenders"),
        _fk("tipoffs", "reporter_user_id", "users"),
        _fk("tipoffs", "handled_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipoffs")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_tipoffs_code_sha256")),
    )
    with op.batch_alter_table("tipoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tipoffs_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_tipoffs_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("tipoffs")
