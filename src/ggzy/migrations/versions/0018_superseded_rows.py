"""One current evaluation, draw, committee seat, publicity and award per tender: superseded rows stay for the record
(招标投标法实施条例 第81条; decision 0020)

A complaint's decision ordering re-evaluation sends the round back to ``opened``; the evaluation (with its report),
the candidates' publicity and the award it supersedes, and the draw and seats of a committee it replaces, are marked
``superseded_at`` and never deleted; the complaint keeps who re-evaluates (``committee``: same or new). The unique
constraints "one per tender" become partial unique indexes "one current per tender" (as 0009's one active bid), on
SQLite and PostgreSQL alike; every existing row is current.

SQLite drops a table constraint only by rebuilding the table; these tables are referenced by others, so the rebuild
runs with foreign-key enforcement off and the whole database is checked before the commit (``ggzy.core.migrate``).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
_CURRENT = "superseded_at IS NULL"
# table -> (the unique constraint of 0001, the columns it covered, the partial unique index that replaces it)
TABLES = {
    "evaluations": ("uq_evaluations_tender_id", ("tender_id",), "uq_evaluations_one_current"),
    "draws": ("uq_draws_tender_id", ("tender_id",), "uq_draws_one_current"),
    "committee_members": (
        "uq_committee_members_tender_id_user_id",
        ("tender_id", "user_id"),
        "uq_committee_members_one_current_seat",
    ),
    "candidate_publicities": (
        "uq_candidate_publicities_tender_id",
        ("tender_id",),
        "uq_candidate_publicities_one_current",
    ),
    "awards": ("uq_awards_tender_id", ("tender_id",), "uq_awards_one_current"),
}
# committee_members.tender_id has had its own index since 0001
_TENDER_INDEX = ("evaluations", "draws", "candidate_publicities", "awards")


def upgrade() -> None:
    for table, (constraint, columns, index) in TABLES.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("superseded_at", _TIME, nullable=True))
            batch.drop_constraint(constraint, type_="unique")
        if table in _TENDER_INDEX:
            op.create_index(op.f(f"ix_{table}_tender_id"), table, ["tender_id"], unique=False)
        op.create_index(
            index, table, list(columns), unique=True, sqlite_where=sa.text(_CURRENT), postgresql_where=sa.text(_CURRENT)
        )
    # who re-evaluates, as a decision ordering re-evaluation says (same | new)
    op.add_column("complaints", sa.Column("committee", sa.String(length=8), nullable=True))


def downgrade() -> None:
    connection = op.get_bind()
    for table, (_, columns, _) in TABLES.items():
        listed = ", ".join(columns)
        rows = sa.table(table, sa.column("superseded_at"))
        if connection.execute(sa.select(sa.func.count()).where(rows.c.superseded_at.is_not(None))).scalar():
            raise RuntimeError(
                f"{table} holds superseded rows (re-evaluations ordered by complaints); they are the record of "
                f"the tender and one per ({listed}) cannot hold them: keep this revision"
            )
    op.drop_column("complaints", "committee")  # a plain DROP COLUMN: tender_suspensions references complaints
    for table, (constraint, columns, index) in TABLES.items():
        op.drop_index(index, table_name=table)
        if table in _TENDER_INDEX:
            op.drop_index(op.f(f"ix_{table}_tender_id"), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("superseded_at")
            batch.create_unique_constraint(constraint, list(columns))
