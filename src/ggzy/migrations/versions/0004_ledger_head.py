"""The ledger's head row: nothing numbered, an empty tree

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("INSERT INTO ledger_head (id, next_index, tree_size) VALUES (1, 0, 0)")


def downgrade() -> None:
    op.execute("DELETE FROM ledger_head WHERE id = 1")
