"""Rights trades' rounds and money (decision 0051): one auction per deposit round (its index made unique).

Revision ID: 0045
Revises: 0041
"""

from __future__ import annotations

from alembic import op

revision = "0045"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auctions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auctions_tender_id"))
        batch_op.create_index(batch_op.f("ix_auctions_tender_id"), ["tender_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("auctions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auctions_tender_id"))
        batch_op.create_index(batch_op.f("ix_auctions_tender_id"), ["tender_id"], unique=False)
