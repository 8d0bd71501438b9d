"""竞争性谈判 and 竞争性磋商: rounds of sealed quotations, their keys and shares, the quotations, and the notices of
changes to the negotiation documents (政府采购法 第38条 (四)、(五))

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quotation_rounds",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("deadline", _TIME, nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("called_by", _ID, nullable=False),
        sa.Column("called_at", _TIME, nullable=False),
        sa.Column("opened_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["called_by"], ["users.id"], name=op.f("fk_quotation_rounds_called_by_users")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_quotation_rounds_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotation_rounds")),
        sa.UniqueConstraint("tender_id", "number", name=op.f("uq_quotation_rounds_tender_id_number")),
    )
    op.create_index(op.f("ix_quotation_rounds_tender_id"), "quotation_rounds", ["tender_id"], unique=False)
    op.create_table(
        "quotation_keys",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("round_id", _ID, nullable=False),
        sa.Column("suite", sa.String(length=8), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["quotation_rounds.id"], name=op.f("fk_quotation_keys_round_id_quotation_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotation_keys")),
        sa.UniqueConstraint("round_id", "suite", name=op.f("uq_quotation_keys_round_id_suite")),
    )
    op.create_index(op.f("ix_quotation_keys_round_id"), "quotation_keys", ["round_id"], unique=False)
    op.create_table(
        "quotation_key_shares",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key_id", _ID, nullable=False),
        sa.Column("custodian_id", _ID, nullable=False),
        sa.Column("share_index", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("released", sa.LargeBinary(), nullable=True),
        sa.Column("released_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["custodian_id"], ["custodians.id"], name=op.f("fk_quotation_key_shares_custodian_id_custodians")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["quotation_keys.id"], name=op.f("fk_quotation_key_shares_key_id_quotation_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotation_key_shares")),
        sa.UniqueConstraint("key_id", "custodian_id", name=op.f("uq_quotation_key_shares_key_id_custodian_id")),
    )
    op.create_index(op.f("ix_quotation_key_shares_key_id"), "quotation_key_shares", ["key_id"], unique=False)
    op.create_table(
        "sealed_quotations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("round_id", _ID, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("suite", sa.String(length=8), nullable=False),
        sa.Column("header", sa.Text(), nullable=False),
        sa.Column("certificate_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(length=64), nullable=False),
        sa.Column("ciphertext_size", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", _TIME, nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("data_key", sa.LargeBinary(), nullable=True),
        sa.Column("opened_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_sealed_quotations_entity_id_entities")),
        sa.ForeignKeyConstraint(
            ["round_id"], ["quotation_rounds.id"], name=op.f("fk_sealed_quotations_round_id_quotation_rounds")
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_sealed_quotations_tender_id_tenders")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sealed_quotations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_quotations")),
        sa.UniqueConstraint("round_id", "entity_id", name=op.f("uq_sealed_quotations_round_id_entity_id")),
    )
    op.create_index(op.f("ix_sealed_quotations_round_id"), "sealed_quotations", ["round_id"], unique=False)
    op.create_index(op.f("ix_sealed_quotations_tender_id"), "sealed_quotations", ["tender_id"], unique=False)
    op.create_table(
        "negotiation_notices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("notified_by", _ID, nullable=False),
        sa.Column("notified_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["notified_by"], ["users.id"], name=op.f("fk_negotiation_notices_notified_by_users")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_negotiation_notices_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_negotiation_notices")),
    )
    op.create_index(op.f("ix_negotiation_notices_tender_id"), "negotiation_notices", ["tender_id"], unique=False)


def downgrade() -> None:
    for table in ("negotiation_notices", "sealed_quotations", "quotation_key_shares", "quotation_keys"):
        op.drop_table(table)
    op.drop_table("quotation_rounds")
