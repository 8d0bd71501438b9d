"""Performance security (履约保证金) and transaction service fees (交易服务费), decision 0037: purpose sub-accounts
and their credits, the tenders' requirements and the winners' securities, the centres' fee schedules (versioned) and
the fee notices.

Revision ID: 0031
Revises: 0033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0033"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def _id() -> sa.Column:
    return sa.Column("id", _ID, autoincrement=True, nullable=False)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def upgrade() -> None:
    t = "finance_purpose_sub_accounts"
    op.create_table(
        t,
        _id(),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("expected_fen", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("opened_at", _TIME, nullable=True),
        _fk(t, "tender_id", "tenders"),
        _fk(t, "entity_id", "entities"),
        _fk(t, "account_id", "finance_accounts"),
        _pk(t),
        _unique(t, "purpose", "tender_id"),
        _unique(t, "reference"),
        _unique(t, "number"),
    )
    _indexes(t, "account_id", "entity_id", "tender_id")

    t = "finance_purpose_credits"
    op.create_table(
        t,
        _id(),
        sa.Column("credit_id", _ID, nullable=False),
        sa.Column("sub_account_id", _ID, nullable=False),
        _fk(t, "credit_id", "finance_credits"),
        _fk(t, "sub_account_id", "finance_purpose_sub_accounts"),
        _pk(t),
        _unique(t, "credit_id"),
    )
    _indexes(t, "sub_account_id")

    t = "finance_performance_requirements"
    op.create_table(
        t,
        _id(),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.Column("declared_by", _ID, nullable=True),
        sa.Column("declared_at", _TIME, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        _fk(t, "tender_id", "tenders"),
        _fk(t, "declared_by", "users"),
        _fk(t, "event_id", "events"),
        _pk(t),
        _unique(t, "tender_id"),
    )

    t = "finance_performance_securities"
    op.create_table(
        t,
        _id(),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("contract_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.Column("required_fen", sa.BigInteger(), nullable=False),
        sa.Column("required_at", _TIME, nullable=False),
        sa.Column("guarantee_institution_id", _ID, nullable=True),
        sa.Column("guarantee_number", sa.String(length=64), nullable=True),
        sa.Column("guarantee_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("guarantee_valid_until", _TIME, nullable=True),
        sa.Column("guarantee_document", sa.Text(), nullable=True),
        sa.Column("guarantee_signature", sa.Text(), nullable=True),
        sa.Column("guarantee_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("guarantee_attached_at", _TIME, nullable=True),
        sa.Column("at_contract", sa.String(length=16), nullable=True),
        sa.Column("completed_at", _TIME, nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completed_by", _ID, nullable=True),
        _fk(t, "tender_id", "tenders"),
        _fk(t, "entity_id", "entities"),
        _fk(t, "guarantee_institution_id", "finance_institutions"),
        _fk(t, "completed_by", "users"),
        _pk(t),
        _unique(t, "tender_id"),
    )
    _indexes(t, "entity_id")

    t = "finance_fee_schedules"
    op.create_table(
        t,
        _id(),
        sa.Column("centre_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=16), nullable=False),
        sa.Column("bands", sa.Text(), nullable=False),
        sa.Column("minimum_fen", sa.BigInteger(), nullable=True),
        sa.Column("maximum_fen", sa.BigInteger(), nullable=True),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("effective_at", _TIME, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("event_id", _ID, nullable=False),
        _fk(t, "centre_id", "centres"),
        _fk(t, "created_by", "users"),
        _fk(t, "event_id", "events"),
        _pk(t),
        _unique(t, "centre_id", "version"),
    )
    _indexes(t, "centre_id", "effective_at")

    t = "finance_fee_notices"
    op.create_table(
        t,
        _id(),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("centre_id", _ID, nullable=False),
        sa.Column("schedule_id", _ID, nullable=False),
        sa.Column("payer_entity_id", _ID, nullable=False),
        sa.Column("base_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("computation", sa.Text(), nullable=False),
        sa.Column("sub_account_id", _ID, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("issued_at", _TIME, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        _fk(t, "tender_id", "tenders"),
        _fk(t, "centre_id", "centres"),
        _fk(t, "schedule_id", "finance_fee_schedules"),
        _fk(t, "payer_entity_id", "entities"),
        _fk(t, "sub_account_id", "finance_purpose_sub_accounts"),
        _fk(t, "event_id", "events"),
        _pk(t),
        _unique(t, "tender_id"),
        _unique(t, "sub_account_id"),
    )
    _indexes(t, "centre_id", "payer_entity_id")


def downgrade() -> None:
    for table in (
        "finance_fee_notices",
        "finance_fee_schedules",
        "finance_performance_securities",
        "finance_performance_requirements",
        "finance_purpose_credits",
        "finance_purpose_sub_accounts",
    ):
        op.drop_table(table)
