"""Each certificate remembers the trust anchor its chain ended at when it was first bound (decision 0013)

A certificate of an entity reaches the user of the entity's earlier certificates only when both came from the same
anchor; a certificate from another anchor gets a user of its own. Rows bound before this revision learn their anchor
at their next login (the chain is validated there anyway).

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
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("anchor_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("anchor_fingerprint")
