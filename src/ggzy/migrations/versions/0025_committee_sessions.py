"""The committee at the venue and its report: members checked in (签到), the lead elected by the members
(评标委员会负责人, 浙江省招标投标条例 第29条), and the report signed by every member with dissent noted
(招标投标法实施条例 第53条).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "committee_attendance",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("checked_in_by", _ID, nullable=False),
        sa.Column("checked_in_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["committee_members.id"], name=op.f("fk_committee_attendance_member_id_committee_members")
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_committee_attendance_tender_id_tenders")),
        sa.ForeignKeyConstraint(
            ["checked_in_by"], ["users.id"], name=op.f("fk_committee_attendance_checked_in_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_attendance")),
        sa.UniqueConstraint("member_id", name=op.f("uq_committee_attendance_member_id")),
    )
    with op.batch_alter_table("committee_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_committee_attendance_tender_id"), ["tender_id"], unique=False)

    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_basis", sa.String(length=16), server_default="provisional", nullable=False))

    op.create_table(
        "chair_votes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("evaluation_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("candidate_member_id", _ID, nullable=False),
        sa.Column("voted_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluations.id"], name=op.f("fk_chair_votes_evaluation_id_evaluations")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["committee_members.id"], name=op.f("fk_chair_votes_member_id_committee_members")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_member_id"],
            ["committee_members.id"],
            name=op.f("fk_chair_votes_candidate_member_id_committee_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chair_votes")),
        sa.UniqueConstraint("evaluation_id", "member_id", name=op.f("uq_chair_votes_evaluation_id_member_id")),
    )
    with op.batch_alter_table("chair_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chair_votes_evaluation_id"), ["evaluation_id"], unique=False)

    op.create_table(
        "report_signatures",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("report_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("opinion", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("signed_message", sa.Text(), nullable=True),
        sa.Column("signature", sa.String(length=128), nullable=True),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", _ID, nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["evaluation_reports.id"], name=op.f("fk_report_signatures_report_id_evaluation_reports")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["committee_members.id"], name=op.f("fk_report_signatures_member_id_committee_members")
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_report_signatures_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_signatures")),
        sa.UniqueConstraint("report_id", "member_id", name=op.f("uq_report_signatures_report_id_member_id")),
    )
    with op.batch_alter_table("report_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_signatures_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    op.drop_table("report_signatures")
    op.drop_table("chair_votes")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_column("lead_basis")
    op.drop_table("committee_attendance")
