"""Complaints, challenges and the post-evaluation periods under 政府采购法 (第52条–第57条; 实施条例 第43条, 第50条,
第53条, 第54条)

- ``result_challenges``: a supplier's challenge (质疑) of the result; while one is unanswered the contract waits
  (实施条例 第54条).
- ``tender_suspensions.expires_at``: a suspension of the procurement ends by itself after at most 30 days
  (政府采购法 第57条); None under 招标投标法 (实施条例 第62条).
- ``awards.determined_on``: the day the purchaser determined the supplier (实施条例 第43条).
- ``period_violations.event_id`` is no longer unique: one step may miss several periods at once (a contract signed
  after its 30 days and published after its 2 working days), each a row carried by the step's one event. SQLite
  drops a table constraint only by rebuilding the table, which drops its append-only triggers (0017): they are
  made again.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _sqlite_append_only_triggers() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS period_violations_refuse_{verb.lower()}")
        op.execute(
            f"CREATE TRIGGER period_violations_refuse_{verb.lower()} BEFORE {verb} ON period_violations "
            "BEGIN SELECT RAISE(ABORT, 'period violations are append-only'); END"
        )


def upgrade() -> None:
    op.create_table(
        "result_challenges",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("award_id", _ID, nullable=True),  # none when the round failed (政府采购法 第36条), or of the process
        sa.Column("matter", sa.String(16), nullable=False, server_default="result"),  # result | process
        sa.Column("tender_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("raised_by", _ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_at", _TIME, nullable=False),
        sa.Column("challenge_due", sa.Date(), nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", _ID, nullable=True),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.Column("answered_late", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["awards.id"], name=op.f("fk_result_challenges_award_id_awards")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_result_challenges_tender_id_tenders")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_result_challenges_entity_id_entities")),
        sa.ForeignKeyConstraint(["raised_by"], ["users.id"], name=op.f("fk_result_challenges_raised_by_users")),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"], name=op.f("fk_result_challenges_answered_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_challenges")),
    )
    for column in ("award_id", "tender_id", "entity_id"):
        op.create_index(op.f(f"ix_result_challenges_{column}"), "result_challenges", [column], unique=False)
    op.add_column("tender_suspensions", sa.Column("expires_at", _TIME, nullable=True))
    op.add_column("awards", sa.Column("determined_on", sa.Date(), nullable=True))
    with op.batch_alter_table("period_violations") as batch:
        batch.drop_constraint("uq_period_violations_event_id", type_="unique")
    op.create_index(op.f("ix_period_violations_event_id"), "period_violations", ["event_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_append_only_triggers()


def downgrade() -> None:
    op.drop_index(op.f("ix_period_violations_event_id"), table_name="period_violations")
    with op.batch_alter_table("period_violations") as batch:
        batch.create_unique_constraint("uq_period_violations_event_id", ["event_id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_append_only_triggers()
    with op.batch_alter_table("awards") as batch:
        batch.drop_column("determined_on")
    with op.batch_alter_table("tender_suspensions") as batch:
        batch.drop_column("expires_at")
    op.drop_table("result_challenges")
