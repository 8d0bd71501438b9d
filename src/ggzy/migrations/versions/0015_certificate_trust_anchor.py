"""Each certificate remembers the trust anchor its chain ended at when it was first bound (decision 0013)

A certificate of an entity reaches the user of the entity's earlier certificates only when both came from the same
anchor; a certificate from another anchor gets a user of its own. Rows bound before this revision learn their anchor
at their next login (the chain is validated there anyway).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("certificates", sa.Column("anchor_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+), not a batch copy: other tables (entity_enrolments) reference certificates,
    # and SQLite refuses to drop the referenced table that a batch copy replaces.
    op.drop_column("certificates", "anchor_fingerprint")
