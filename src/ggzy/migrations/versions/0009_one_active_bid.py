"""One active sealed bid per bidder and lot, guaranteed by a partial unique index (招标投标法 第29条)

Two simultaneous submissions of one bidder could both stay active on PostgreSQL (READ COMMITTED): each read the
same previous bid. The index makes the second insert fail; the service turns that into ``bid_submission_concurrent``.

A database in which the race already happened cannot take the index. The upgrade then stops and names the pairs
instead of choosing a bid itself: a sealed bid's status changes only through a recorded event, and which envelope
counts is the centre's decision to record.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "uq_sealed_bids_one_active"


def upgrade() -> None:
    duplicates = op.get_bind().execute(
        sa.text(
            "SELECT tender_id, entity_id, count(*) FROM sealed_bids WHERE status = 'active' "
            "GROUP BY tender_id, entity_id HAVING count(*) > 1 ORDER BY tender_id, entity_id"
        )
    )
    pairs = [f"tender {row[0]} / entity {row[1]}: {row[2]} active" for row in duplicates]
    if pairs:
        raise RuntimeError(
            "sealed_bids holds more than one active bid for a bidder and lot (a past concurrent submission); "
            "resolve these before upgrading: " + "; ".join(pairs)
        )
    op.create_index(
        INDEX,
        "sealed_bids",
        ["tender_id", "entity_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="sealed_bids")
