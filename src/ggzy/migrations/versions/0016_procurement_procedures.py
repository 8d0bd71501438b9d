"""Government procurement procedures: an award without a candidate publicity, and the sole supplier's publicity

政府采购法 has no publicity of candidates: the purchaser determines the supplier from the report (政府采购法实施条例
第43条), so an award no longer always names a publicity. A single-source procurement publicises its sole supplier for
5 working days before it goes on (实施条例 第38条): the tender records when.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenders", sa.Column("sole_supplier_publicised_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tenders", sa.Column("sole_supplier_notice", sa.Text(), nullable=True))
    with op.batch_alter_table("awards") as batch:
        batch.alter_column("publicity_id", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("awards") as batch:
        batch.alter_column("publicity_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_column("tenders", "sole_supplier_notice")
    op.drop_column("tenders", "sole_supplier_publicised_at")
