"""Expert pools shared down the centre hierarchy (decision 0041): the rule a draw followed, and the pool (the
register's region: 省级总库, 市州综合库, 县区子库) each drawn expert came from.

Revision ID: 0034
Revises: 0038
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_rule", sa.String(length=16), nullable=True))
    with op.batch_alter_table("committee_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_region_code", sa.String(length=6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("committee_members", schema=None) as batch_op:
        batch_op.drop_column("pool_region_code")
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.drop_column("pool_rule")
