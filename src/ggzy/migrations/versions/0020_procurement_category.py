"""What a project procures: goods, works, services, or goods or services related to construction

Under 政府采购 the category picks the law of a tendering procedure (政府采购法实施条例 第7条): works and the goods and
services related to construction, procured by tendering, follow 招标投标法 and its 实施条例; by other methods,
政府采购法. Existing projects keep no category (None: not stated), and run as before.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("procurement_category", sa.String(16), nullable=True))


def downgrade() -> None:
    # in place (SQLite 3.35+ drops a column without rebuilding the table, which others reference)
    op.drop_column("projects", "procurement_category")
