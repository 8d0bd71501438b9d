"""An opened bid keeps its verified data key; its files are read from the stored ciphertext (docs/decisions/0005)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decrypted_bids", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_key", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decrypted_bids", schema=None) as batch_op:
        batch_op.drop_column("data_key")
