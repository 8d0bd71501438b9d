"""Prequalification (资格预审, 招标投标法实施条例 第15–22条; 政府采购法实施条例 第21条): the notice and documents,
clarifications, objections, sealed applications with their opening keys and custodians' shares, the review
committee and each applicant's result.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "prequalifications",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lot_id", _ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("notice_text", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("documents_sha256", sa.String(length=64), nullable=True),
        sa.Column("documents_name", sa.String(length=200), nullable=True),
        sa.Column("documents_size", sa.BigInteger(), nullable=True),
        sa.Column("documents_until", _TIME, nullable=False),
        sa.Column("application_deadline", _TIME, nullable=False),
        sa.Column("published_at", _TIME, nullable=True),
        sa.Column("concluded_at", _TIME, nullable=True),
        sa.Column("tender_id", _ID, nullable=True),
        sa.Column("created_by", _ID, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_prequalifications_created_by_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_prequalifications_lot_id_lots")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_prequalifications_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prequalifications")),
        sa.UniqueConstraint("lot_id", "attempt", name=op.f("uq_prequalifications_lot_id_attempt")),
    )
    with op.batch_alter_table("prequalifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prequalifications_application_deadline"), ["application_deadline"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_prequalifications_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_prequalifications_stage"), ["stage"], unique=False)

    op.create_table(
        "prequalification_applications",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("prequalification_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("suite", sa.String(length=8), nullable=False),
        sa.Column("header", sa.Text(), nullable=False),
        sa.Column("certificate_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(length=64), nullable=False),
        sa.Column("ciphertext_size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("submitted_at", _TIME, nullable=False),
        sa.Column("ended_at", _TIME, nullable=True),
        sa.Column("data_key", sa.LargeBinary(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("files", sa.Text(), nullable=True),
        sa.Column("decrypted_at", _TIME, nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", _ID, nullable=True),
        sa.Column("reviewed_at", _TIME, nullable=True),
        sa.Column("notified_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_prequalification_applications_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["prequalification_id"],
            ["prequalifications.id"],
            name=op.f("fk_prequalification_applications_prequalification_id_prequalifications"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_prequalification_applications_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_prequalification_applications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prequalification_applications")),
        sa.UniqueConstraint("public_id", name=op.f("uq_prequalification_applications_public_id")),
    )
    with op.batch_alter_table("prequalification_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prequalification_applications_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_prequalification_applications_prequalification_id"), ["prequalification_id"], unique=False
        )
    op.create_index(
        "uq_prequalification_applications_one_active",
        "prequalification_applications",
        ["prequalification_id", "entity_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )

    op.create_table(
        "prequalification_clarifications",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("prequalification_id", _ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("affects_applications", sa.Boolean(), nullable=False),
        sa.Column("deadline_before", _TIME, nullable=False),
        sa.Column("deadline_after", _TIME, nullable=False),
        sa.Column("published_at", _TIME, nullable=False),
        sa.Column("published_by", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["prequalification_id"],
            ["prequalifications.id"],
            name=op.f("fk_prequalification_clarifications_prequalification_id_prequalifications"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_prequalification_clarifications_published_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prequalification_clarifications")),
    )
    with op.batch_alter_table("prequalification_clarifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prequalification_clarifications_prequalification_id"), ["prequalification_id"], unique=False
        )

    op.create_table(
        "prequalification_keys",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("prequalification_id", _ID, nullable=False),
        sa.Column("suite", sa.String(length=8), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["prequalification_id"],
            ["prequalifications.id"],
            name=op.f("fk_prequalification_keys_prequalification_id_prequalifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prequalification_keys")),
        sa.UniqueConstraint(
            "prequalification_id", "suite", name=op.f("uq_prequalification_keys_prequalification_id_suite")
        ),
    )
    with op.batch_alter_table("prequalification_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prequalification_keys_prequalification_id"), ["prequalification_id"], unique=False
        )

    op.create_table(
        "prequalification_objections",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("prequalification_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("raised_by", _ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_at", _TIME, nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_prequalification_objections_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["prequalification_id"],
            ["prequalifications.id"],
            name=op.f("fk_prequalification_objections_prequalification_id_prequalifications"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by"], ["users.id"], name=op.f("fk_prequalification_objections_raised_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prequalification_objections")),
        sa.UniqueConstraint("public_id", name=op.f("uq_prequalification_objections_public_id")),
    )
    with op.batch_alter_table("prequalification_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prequalification_objections_prequalification_id"), ["prequalification_id"], unique=False
        )

    op.create_table(
        "prequalification_reviewers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("prequalification_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("expert_id", _ID, nullable=True),
        sa.Column("appointed_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["experts.id"], name=op.f("fk_prequalification_reviewers_expert_id_experts")
        ),
        sa.ForeignKeyConstraint(
            ["prequalification_id"],
            ["prequalifications.id"],
            name=op.f("fk_prequalification_reviewers_prequalification_id_prequalifications"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_prequalification_reviewers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prequalification_reviewers")),
        sa.UniqueConstraint(
            "prequalification_id", "user_id", name=op.f("uq_prequalification_reviewers_prequalification_id_user_id")
        ),
    )
    with op.batch_alter_table("prequalification_reviewers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prequalification_reviewers_prequalification_id"), ["prequalification_id"], unique=False
        )

    op.create_table(
        "prequalification_key_shares",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key_id", _ID, nullable=False),
        sa.Column("custodian_id", _ID, nullable=False),
        sa.Column("share_index", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["custodian_id"], ["custodians.id"], name=op.f("fk_prequalification_key_shares_custodian_id_custodians")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["prequalification_keys.id"],
            name=op.f("fk_prequalification_key_shares_key_id_prequalification_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prequalification_key_shares")),
    )
    with op.batch_alter_table("prequalification_key_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prequalification_key_shares_key_id"), ["key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prequalification_key_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prequalification_key_shares_key_id"))

    op.drop_table("prequalification_key_shares")
    with op.batch_alter_table("prequalification_reviewers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prequalification_reviewers_prequalification_id"))

    op.drop_table("prequalification_reviewers")
    with op.batch_alter_table("prequalification_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prequalification_objections_prequalification_id"))

    op.drop_table("prequalification_objections")
    with op.batch_alter_table("prequalification_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prequalification_keys_prequalification_id"))

    op.drop_table("prequalification_keys")
    with op.batch_alter_table("prequalification_clarifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prequalification_clarifications_prequalification_id"))

    op.drop_table("prequalification_clarifications")
    with op.batch_alter_table("prequalification_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prequalification_applications_prequalification_id"))
        batch_op.drop_index(batch_op.f("ix_prequalification_applications_entity_id"))

    op.drop_index("uq_prequalification_applications_one_active", table_name="prequalification_applications")
    op.drop_table("prequalification_applications")
    with op.batch_alter_table("prequalifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prequalifications_stage"))
        batch_op.drop_index(batch_op.f("ix_prequalifications_lot_id"))
        batch_op.drop_index(batch_op.f("ix_prequalifications_application_deadline"))

    op.drop_table("prequalifications")
