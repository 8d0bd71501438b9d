"""The ledger head counts the checkpoints it issued and remembers the newest one's size

So that ``ggzy ledger verify`` reports a deleted checkpoint. Existing databases start from what they hold.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_head") as batch:
        batch.add_column(sa.Column("checkpoints_issued", sa.BigInteger(), server_default="0", nullable=False))
        batch.add_column(sa.Column("checkpoint_size", sa.BigInteger(), server_default="0", nullable=False))
    op.execute(
        "UPDATE ledger_head SET checkpoints_issued = (SELECT count(*) FROM ledger_checkpoints), "
        "checkpoint_size = COALESCE((SELECT max(size) FROM ledger_checkpoints), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("ledger_head") as batch:
        batch.drop_column("checkpoint_size")
        batch.drop_column("checkpoints_issued")
