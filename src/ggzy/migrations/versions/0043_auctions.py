"""Rights trades (decision 0049): auctions and listings, their bidders' plates, their bids.

Revision ID: 0043
Revises: 0044
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0044"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "auctions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("centre_id", _ID, nullable=False),
        sa.Column("trade_kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("rules_key", sa.String(length=32), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("increment_fen", sa.BigInteger(), nullable=False),
        sa.Column("reserve_holder_user_id", _ID, nullable=True),
        sa.Column("reserve_header", sa.Text(), nullable=True),
        sa.Column("reserve_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("reserve_sha256", sa.String(length=64), nullable=True),
        sa.Column("reserve_sealed_at", _TIME, nullable=True),
        sa.Column("reserve_fen", sa.BigInteger(), nullable=True),
        sa.Column("reserve_opened_at", _TIME, nullable=True),
        sa.Column("viewing_start", _TIME, nullable=True),
        sa.Column("viewing_end", _TIME, nullable=True),
        sa.Column("bidding_start", _TIME, nullable=False),
        sa.Column("bidding_end", _TIME, nullable=False),
        sa.Column("closes_at", _TIME, nullable=False),
        sa.Column("timed_closes_at", _TIME, nullable=True),
        sa.Column("timed_requests", sa.Integer(), nullable=False),
        sa.Column("current_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("current_plate", sa.String(length=16), nullable=True),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("published_at", _TIME, nullable=True),
        sa.Column("closed_at", _TIME, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("created_by", _ID, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.CheckConstraint("start_price_fen > 0", name=op.f("ck_auctions_start_price_positive")),
        sa.CheckConstraint("increment_fen > 0", name=op.f("ck_auctions_increment_positive")),
        _fk("auctions", "tender_id", "tenders"),
        _fk("auctions", "centre_id", "centres"),
        _fk("auctions", "reserve_holder_user_id", "users"),
        _fk("auctions", "created_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auctions")),
    )
    with op.batch_alter_table("auctions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auctions_tender_id"), ["tender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auctions_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auctions_status"), ["status"], unique=False)
    op.create_table(
        "auction_registrations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("auction_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("registered_at", _TIME, nullable=False),
        sa.Column("wants_timed", sa.Boolean(), nullable=False),
        _fk("auction_registrations", "auction_id", "auctions"),
        _fk("auction_registrations", "entity_id", "entities"),
        _fk("auction_registrations", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_registrations")),
        sa.UniqueConstraint("auction_id", "entity_id", name=op.f("uq_auction_registrations_auction_id_entity_id")),
        sa.UniqueConstraint("auction_id", "plate", name=op.f("uq_auction_registrations_auction_id_plate")),
    )
    with op.batch_alter_table("auction_registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_registrations_auction_id"), ["auction_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_registrations_entity_id"), ["entity_id"], unique=False)
    op.create_table(
        "auction_bids",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("auction_id", _ID, nullable=False),
        sa.Column("registration_id", _ID, nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("placed_at", _TIME, nullable=False),
        sa.Column("client_bid_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_auction_bids_amount_positive")),
        _fk("auction_bids", "auction_id", "auctions"),
        _fk("auction_bids", "registration_id", "auction_registrations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_bids")),
        sa.UniqueConstraint("auction_id", "sequence", name=op.f("uq_auction_bids_auction_id_sequence")),
        sa.UniqueConstraint(
            "registration_id", "client_bid_id", name=op.f("uq_auction_bids_registration_id_client_bid_id")
        ),
    )
    with op.batch_alter_table("auction_bids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_bids_auction_id"), ["auction_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_bids_registration_id"), ["registration_id"], unique=False)


def downgrade() -> None:
    op.drop_table("auction_bids")
    op.drop_table("auction_registrations")
    op.drop_table("auctions")
