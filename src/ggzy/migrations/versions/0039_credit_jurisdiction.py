"""Credit decisions carry their supervisor's jurisdiction (decision 0040, after the security review): penalties,
records and lists get the deciding grant's region and trade type.

Revision ID: 0039
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0030"
branch_labels = None
depends_on = None

TABLES = ("credit_lists", "credit_penalties", "credit_records")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))
            batch_op.add_column(sa.Column("trade_type", sa.String(length=32), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("trade_type")
            batch_op.drop_column("region_code")
