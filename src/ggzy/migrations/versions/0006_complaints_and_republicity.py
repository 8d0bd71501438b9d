"""Complaints and suspensions (投诉, 实施条例 第60条–第62条); objections by other interested parties (第22条, 第54条);
rounds and states of the candidates' publicity (re-publicity, 第54条)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("lodged_by", _ID, nullable=False),
        sa.Column("matter", sa.String(length=24), nullable=False),
        sa.Column("objection_id", _ID, nullable=True),
        sa.Column("interest", sa.Text(), nullable=True),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("knew_on", sa.Date(), nullable=False),
        sa.Column("lodged_at", _TIME, nullable=False),
        sa.Column("lodge_due", sa.Date(), nullable=False),
        sa.Column("acceptance_due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("accepted_at", _TIME, nullable=True),
        sa.Column("acceptance_late", sa.Boolean(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("review_kind", sa.String(length=16), nullable=True),
        sa.Column("review_started_at", _TIME, nullable=True),
        sa.Column("excluded_working_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("handled_by", _ID, nullable=True),
        sa.Column("decided_at", _TIME, nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("remedy", sa.String(length=24), nullable=True),
        sa.Column("false_complaint", sa.Boolean(), nullable=True),
        sa.Column("decided_late", sa.Boolean(), nullable=True),
        _fk("complaints", "tender_id", "tenders"),
        _fk("complaints", "project_id", "projects"),
        _fk("complaints", "entity_id", "entities"),
        _fk("complaints", "lodged_by", "users"),
        _fk("complaints", "handled_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        for column in ("tender_id", "project_id", "entity_id", "status"):
            batch_op.create_index(batch_op.f(f"ix_complaints_{column}"), [column], unique=False)
    op.create_table(
        "tender_suspensions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("complaint_id", _ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ordered_by", _ID, nullable=False),
        sa.Column("ordered_at", _TIME, nullable=False),
        sa.Column("lifted_by", _ID, nullable=True),
        sa.Column("lifted_at", _TIME, nullable=True),
        _fk("tender_suspensions", "tender_id", "tenders"),
        _fk("tender_suspensions", "complaint_id", "complaints"),
        _fk("tender_suspensions", "ordered_by", "users"),
        _fk("tender_suspensions", "lifted_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_suspensions")),
    )
    with op.batch_alter_table("tender_suspensions", schema=None) as batch_op:
        for column in ("tender_id", "complaint_id"):
            batch_op.create_index(batch_op.f(f"ix_tender_suspensions_{column}"), [column], unique=False)
    # 实施条例 第54条: a publicity has rounds; 第22条, 第54条: objections by other interested parties
    op.add_column("candidate_publicities", sa.Column("round", sa.Integer(), server_default="1", nullable=False))
    op.add_column(
        "candidate_publicities",
        sa.Column("state", sa.String(length=16), server_default="publicised", nullable=False),
    )
    op.add_column("publicity_objections", sa.Column("interest", sa.Text(), nullable=True))
    op.add_column("publicity_objections", sa.Column("changes_result", sa.Boolean(), nullable=True))
    op.add_column("document_objections", sa.Column("interest", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_objections", schema=None) as batch_op:
        batch_op.drop_column("interest")
    with op.batch_alter_table("publicity_objections", schema=None) as batch_op:
        batch_op.drop_column("changes_result")
        batch_op.drop_column("interest")
    with op.batch_alter_table("candidate_publicities", schema=None) as batch_op:
        batch_op.drop_column("state")
        batch_op.drop_column("round")
    op.drop_table("tender_suspensions")
    op.drop_table("complaints")
