"""Missed statutory periods recorded as violations (decision 0021): the late step goes ahead, the violation is kept

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "period_violations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("centre_id", _ID, nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("period_key", sa.String(length=64), nullable=False),
        sa.Column("article", sa.String(length=128), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("actor_user_id", _ID, nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_period_violations_actor_user_id_users")),
        sa.ForeignKeyConstraint(["centre_id"], ["centres.id"], name=op.f("fk_period_violations_centre_id_centres")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_period_violations_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_violations")),
        sa.UniqueConstraint("event_id", name=op.f("uq_period_violations_event_id")),
    )
    with op.batch_alter_table("period_violations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_period_violations_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index("ix_period_violations_subject", ["subject_type", "subject_id"], unique=False)
    # Like the events that carried them (0002), violations are append-only: the database refuses UPDATE and DELETE.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION period_violations_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'period violations are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER period_violations_refuse_update_delete BEFORE UPDATE OR DELETE ON period_violations "
            "FOR EACH ROW EXECUTE FUNCTION period_violations_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER period_violations_refuse_truncate BEFORE TRUNCATE ON period_violations "
            "FOR EACH STATEMENT EXECUTE FUNCTION period_violations_refuse_change()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER period_violations_refuse_{verb.lower()} BEFORE {verb} ON period_violations "
                "BEGIN SELECT RAISE(ABORT, 'period violations are append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("period_violations")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION period_violations_refuse_change()")
