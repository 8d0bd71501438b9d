"""Refund triggers and forfeitures (decision 0031): each refund order's last lawful day, and the owner's recorded
decisions to keep a deposit (招标投标法实施条例 第35条 第2款, 第74条).

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("finance_refund_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
    op.create_table(
        "finance_forfeitures",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("article", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("decided_by", _ID, nullable=True),
        sa.Column("decided_role", sa.String(length=32), nullable=False),
        sa.Column("decided_at", _TIME, nullable=False),
        sa.Column("appeal_until", sa.Date(), nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("posting_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_finance_forfeitures_decided_by_users")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_finance_forfeitures_entity_id_entities")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_finance_forfeitures_event_id_events")),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["finance_postings.id"], name=op.f("fk_finance_forfeitures_posting_id_finance_postings")
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_finance_forfeitures_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_forfeitures")),
        sa.UniqueConstraint("event_id", name=op.f("uq_finance_forfeitures_event_id")),
        sa.UniqueConstraint("posting_id", name=op.f("uq_finance_forfeitures_posting_id")),
        sa.UniqueConstraint("tender_id", "entity_id", name=op.f("uq_finance_forfeitures_tender_id_entity_id")),
    )
    with op.batch_alter_table("finance_forfeitures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_forfeitures_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_forfeitures_tender_id"), ["tender_id"], unique=False)


def downgrade() -> None:
    op.drop_table("finance_forfeitures")
    with op.batch_alter_table("finance_refund_orders", schema=None) as batch_op:
        batch_op.drop_column("due_on")
