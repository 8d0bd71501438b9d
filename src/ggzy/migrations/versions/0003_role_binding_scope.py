"""One role binding per user, role and scope; NULL scopes compare equal (COALESCE)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_role_bindings_scope",
        "role_bindings",
        [
            "user_id",
            "role",
            sa.text("coalesce(centre_id, 0)"),
            sa.text("coalesce(region_code, '')"),
            sa.text("coalesce(trade_type, '')"),
        ],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_role_bindings_scope", table_name="role_bindings")
