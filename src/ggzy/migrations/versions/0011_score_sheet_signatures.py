"""Committee members' signing keys, and score sheets signed by them (ggzy.evaluation.signing)

A member enrols an ECDSA P-256 key generated non-extractable in their browser; one key per user is in force (a
partial unique index), a new enrolment revokes the previous one and keeps it. A score sheet keeps the message
signed, the signature and the key's fingerprint; sheets submitted before keys existed keep NULL there.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)
IN_FORCE = "uq_signing_keys_one_in_force"


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_signing_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_signing_keys_fingerprint")),
    )
    op.create_index(op.f("ix_signing_keys_user_id"), "signing_keys", ["user_id"], unique=False)
    op.create_index(
        IN_FORCE,
        "signing_keys",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.add_column("score_sheets", sa.Column("signed_message", sa.Text(), nullable=True))
    op.add_column("score_sheets", sa.Column("signature", sa.String(length=128), nullable=True))
    op.add_column("score_sheets", sa.Column("key_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("score_sheets") as batch:
        batch.drop_column("key_fingerprint")
        batch.drop_column("signature")
        batch.drop_column("signed_message")
    op.drop_index(IN_FORCE, table_name="signing_keys")
    op.drop_index(op.f("ix_signing_keys_user_id"), table_name="signing_keys")
    op.drop_table("signing_keys")
