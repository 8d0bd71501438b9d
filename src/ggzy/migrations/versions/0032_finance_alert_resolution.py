"""How a centre's staff resolved a finance alert (decision 0031: an alert is never silently fixed): who, when, and
what was done, the alert itself kept in the history.

Revision ID: 0032
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0029"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("finance_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", _ID, nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_finance_alerts_resolved_by_users"), "users", ["resolved_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("finance_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_finance_alerts_resolved_by_users"), type_="foreignkey")
        batch_op.drop_column("resolution")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")
