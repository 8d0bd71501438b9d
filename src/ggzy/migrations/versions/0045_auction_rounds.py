"""Rights trades' rounds and money (decision 0051): one auction per deposit round (its index made unique); the sale's
confirmation (成交确认书): its buyer, text, digest and the buyer's signature.

Revision ID: 0045
Revises: 0041
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")

revision = "0045"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auctions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auctions_tender_id"))
        batch_op.create_index(batch_op.f("ix_auctions_tender_id"), ["tender_id"], unique=True)
        batch_op.add_column(sa.Column("buyer_entity_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("confirmation_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("confirmation_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("confirmation_signature", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("confirmation_certificate", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("confirmation_signed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_auctions_buyer_entity_id_entities"), "entities", ["buyer_entity_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("auctions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_auctions_buyer_entity_id_entities"), type_="foreignkey")
        for column in (
            "confirmation_signed_at", "confirmation_certificate", "confirmation_signature", "confirmation_sha256",
            "confirmation_text", "buyer_entity_id",
        ):  # fmt: skip
            batch_op.drop_column(column)
        batch_op.drop_index(batch_op.f("ix_auctions_tender_id"))
        batch_op.create_index(batch_op.f("ix_auctions_tender_id"), ["tender_id"], unique=False)
