"""Random inspections (双随机一公开, decision 0042): plans with their frozen candidates and draws, and the findings.

Revision ID: 0036
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0032"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "inspection_plans",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("trade_type", sa.String(length=32), nullable=True),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("rounds_to_draw", sa.Integer(), nullable=False),
        sa.Column("inspectors_to_draw", sa.Integer(), nullable=False),
        sa.Column("candidate_rounds", sa.Text(), nullable=False),
        sa.Column("candidate_inspectors", sa.Text(), nullable=False),
        sa.Column("planned_by", _ID, nullable=False),
        sa.Column("planned_at", _TIME, nullable=False),
        sa.Column("plan_event_id", sa.BigInteger(), nullable=False),
        sa.Column("seed_tree_size", sa.BigInteger(), nullable=True),
        sa.Column("seed_root_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("drawn_rounds", sa.Text(), nullable=True),
        sa.Column("drawn_inspectors", sa.Text(), nullable=True),
        sa.Column("drawn_by", _ID, nullable=True),
        sa.Column("drawn_at", _TIME, nullable=True),
        sa.Column("published_at", _TIME, nullable=True),
        sa.Column("published_by", _ID, nullable=True),
        _fk("inspection_plans", "planned_by", "users"),
        _fk("inspection_plans", "drawn_by", "users"),
        _fk("inspection_plans", "published_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_plans")),
    )
    with op.batch_alter_table("inspection_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_plans_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_plans_plan_event_id"), ["plan_event_id"], unique=False)
    op.create_table(
        "inspection_findings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_by", _ID, nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        _fk("inspection_findings", "plan_id", "inspection_plans"),
        _fk("inspection_findings", "tender_id", "tenders"),
        _fk("inspection_findings", "recorded_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_findings")),
        sa.UniqueConstraint("plan_id", "tender_id", name=op.f("uq_inspection_findings_plan_id_tender_id")),
    )
    with op.batch_alter_table("inspection_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_findings_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_table("inspection_findings")
    op.drop_table("inspection_plans")
