"""Electronic guarantees (decision 0035): onboarded financial institutions, their quotes and guarantees (the signed
document kept as signed), and the letters of award bidders offer them for loans (中标贷).

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
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
        "finance_institutions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("certificate_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("centre_id", _ID, nullable=False),
        sa.Column("onboarded_at", _TIME, nullable=False),
        _fk("finance_institutions", "entity_id", "entities"),
        _fk("finance_institutions", "centre_id", "centres"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_institutions")),
        sa.UniqueConstraint("entity_id", name=op.f("uq_finance_institutions_entity_id")),
    )
    _indexes("finance_institutions", "centre_id")
    op.create_table(
        "finance_guarantee_quotes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("institution_id", _ID, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("applicant_entity_id", _ID, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", _TIME, nullable=False),
        sa.Column("quoted_at", _TIME, nullable=False),
        _fk("finance_guarantee_quotes", "institution_id", "finance_institutions"),
        _fk("finance_guarantee_quotes", "tender_id", "tenders"),
        _fk("finance_guarantee_quotes", "applicant_entity_id", "entities"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_guarantee_quotes")),
    )
    _indexes("finance_guarantee_quotes", "applicant_entity_id", "institution_id", "tender_id")
    op.create_table(
        "finance_guarantees",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("institution_id", _ID, nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("applicant_entity_id", _ID, nullable=False),
        sa.Column("beneficiary_entity_id", _ID, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", _TIME, nullable=False),
        sa.Column("valid_until", _TIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("certificate_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("claim_reason", sa.Text(), nullable=True),
        sa.Column("claimed_at", _TIME, nullable=True),
        sa.Column("claimed_by_entity_id", _ID, nullable=True),
        sa.Column("paid_at", _TIME, nullable=True),
        sa.Column("payment_reference", sa.String(length=64), nullable=True),
        _fk("finance_guarantees", "institution_id", "finance_institutions"),
        _fk("finance_guarantees", "tender_id", "tenders"),
        _fk("finance_guarantees", "applicant_entity_id", "entities"),
        _fk("finance_guarantees", "beneficiary_entity_id", "entities"),
        _fk("finance_guarantees", "claimed_by_entity_id", "entities"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_guarantees")),
        sa.UniqueConstraint("institution_id", "number", name=op.f("uq_finance_guarantees_institution_id_number")),
    )
    _indexes("finance_guarantees", "applicant_entity_id", "institution_id", "status", "tender_id")
    op.create_table(
        "finance_award_loan_offers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("institution_id", _ID, nullable=False),
        sa.Column("letter_sha256", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("offered_at", _TIME, nullable=False),
        _fk("finance_award_loan_offers", "tender_id", "tenders"),
        _fk("finance_award_loan_offers", "entity_id", "entities"),
        _fk("finance_award_loan_offers", "institution_id", "finance_institutions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_award_loan_offers")),
        sa.UniqueConstraint(
            "tender_id",
            "entity_id",
            "institution_id",
            name=op.f("uq_finance_award_loan_offers_tender_id_entity_id_institution_id"),
        ),
    )
    _indexes("finance_award_loan_offers", "entity_id", "institution_id", "tender_id")


def downgrade() -> None:
    for table in (
        "finance_award_loan_offers",
        "finance_guarantees",
        "finance_guarantee_quotes",
        "finance_institutions",
    ):
        op.drop_table(table)
