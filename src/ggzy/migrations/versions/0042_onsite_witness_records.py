"""On-site records (现场见证记录, decision 0048) and the penalties that cite them as evidence.

Revision ID: 0042
Revises: 0040
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0040"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "site_records",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("centre_id", _ID, nullable=False),
        sa.Column("session", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("expert_id", _ID, nullable=True),
        sa.Column("expert_user_id", _ID, nullable=True),
        sa.Column("entity_id", _ID, nullable=True),
        sa.Column("representative_name", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("amends_id", _ID, nullable=True),
        sa.Column("recorded_by", _ID, nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("withdrawn_by", _ID, nullable=True),
        sa.Column("withdrawn_at", _TIME, nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        _fk("site_records", "tender_id", "tenders"),
        _fk("site_records", "project_id", "projects"),
        _fk("site_records", "centre_id", "centres"),
        _fk("site_records", "expert_id", "experts"),
        _fk("site_records", "expert_user_id", "users"),
        _fk("site_records", "entity_id", "entities"),
        _fk("site_records", "amends_id", "site_records"),
        _fk("site_records", "recorded_by", "users"),
        _fk("site_records", "withdrawn_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_records")),
        sa.UniqueConstraint("amends_id", name=op.f("uq_site_records_amends_id")),
    )
    with op.batch_alter_table("site_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_records_tender_id"), ["tender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_records_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_records_expert_id"), ["expert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_records_entity_id"), ["entity_id"], unique=False)
    op.create_table(
        "credit_penalty_site_records",
        sa.Column("penalty_id", _ID, nullable=False),
        sa.Column("site_record_id", _ID, nullable=False),
        _fk("credit_penalty_site_records", "penalty_id", "credit_penalties"),
        _fk("credit_penalty_site_records", "site_record_id", "site_records"),
        sa.PrimaryKeyConstraint("penalty_id", "site_record_id", name=op.f("pk_credit_penalty_site_records")),
    )
    with op.batch_alter_table("credit_penalty_site_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_penalty_site_records_site_record_id"), ["site_record_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("credit_penalty_site_records")
    op.drop_table("site_records")
