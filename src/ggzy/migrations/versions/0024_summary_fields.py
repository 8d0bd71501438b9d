"""The opening summary (开标一览表) a tender declares: its items, kinds and which are required (the price always).

Existing tenders get the default declaration, the price alone, required: what evaluation already demanded of them.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# ggzy.tendering.summary_form.to_json(DEFAULT_FIELDS), written out: a migration never imports the code it migrates
DEFAULT_DECLARATION = (
    '[{"key":"price_fen","kind":"amount","label_en":"Bid price","label_zh":"投标报价","required":true}]'
)


def upgrade() -> None:
    # a plain ADD COLUMN (a constant default fills the existing rows): on SQLite, a batch copy of ``tenders`` would
    # drop the table that many others refer to
    op.add_column("tenders", sa.Column("summary_fields", sa.Text(), server_default=DEFAULT_DECLARATION, nullable=False))


def downgrade() -> None:
    op.drop_column("tenders", "summary_fields")  # SQLite 3.35+ drops a column in place
