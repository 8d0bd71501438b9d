"""Credit (decision 0040): joint-punishment lists, penalty decisions, credit records (the interception entries
among them, looked up by credit code or expert) and the interceptions.

Revision ID: 0033
Revises: 0034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0034"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "credit_lists",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("imported_at", _TIME, nullable=False),
        sa.Column("imported_by", _ID, nullable=True),
        sa.Column("rows_listed", sa.Integer(), nullable=False),
        _fk("credit_lists", "imported_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lists")),
        sa.UniqueConstraint("source", name=op.f("uq_credit_lists_source")),
    )
    op.create_table(
        "credit_penalties",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("decision_number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("expert_id", _ID, nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=16), nullable=False),
        sa.Column("article", sa.String(length=200), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("fine_fen", sa.BigInteger(), nullable=True),
        sa.Column("basis_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("months", sa.Integer(), nullable=True),
        sa.Column("effective_from", _TIME, nullable=False),
        sa.Column("effective_until", _TIME, nullable=True),
        sa.Column("appeal_route", sa.Text(), nullable=False),
        sa.Column("decided_by", _ID, nullable=True),
        sa.Column("decided_at", _TIME, nullable=False),
        _fk("credit_penalties", "expert_id", "experts"),
        _fk("credit_penalties", "decided_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_penalties")),
        sa.UniqueConstraint("decision_number", name=op.f("uq_credit_penalties_decision_number")),
    )
    _indexes("credit_penalties", "credit_code", "expert_id")
    op.create_table(
        "credit_records",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("expert_id", _ID, nullable=True),
        sa.Column("person_id_digest", sa.String(length=64), nullable=True),
        sa.Column("person_id_masked", sa.String(length=18), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("polarity", sa.String(length=8), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("restricts", sa.Boolean(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("penalty_id", _ID, nullable=True),
        sa.Column("list_id", _ID, nullable=True),
        sa.Column("valid_from", _TIME, nullable=False),
        sa.Column("valid_until", _TIME, nullable=True),
        sa.Column("ended_at", _TIME, nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        _fk("credit_records", "expert_id", "experts"),
        _fk("credit_records", "penalty_id", "credit_penalties"),
        _fk("credit_records", "list_id", "credit_lists"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
    )
    _indexes("credit_records", "credit_code", "person_id_digest", "list_id")
    op.create_index("ix_credit_records_expert_id", "credit_records", ["expert_id"], unique=False)
    op.create_table(
        "credit_interceptions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("checkpoint", sa.String(length=24), nullable=False),
        sa.Column("record_id", _ID, nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("expert_id", _ID, nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", _ID, nullable=True),
        sa.Column("intercepted_at", _TIME, nullable=False),
        _fk("credit_interceptions", "record_id", "credit_records"),
        _fk("credit_interceptions", "expert_id", "experts"),
        _fk("credit_interceptions", "actor_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_interceptions")),
    )
    _indexes("credit_interceptions", "checkpoint", "record_id")


def downgrade() -> None:
    op.drop_table("credit_interceptions")
    op.drop_table("credit_records")
    op.drop_table("credit_penalties")
    op.drop_table("credit_lists")
