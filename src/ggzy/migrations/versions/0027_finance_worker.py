"""The finance worker and the reconciliation (decision 0031, "The worker and the reconciliation"): when a refund
order was handed to the bank (its outcome unknown until the bank answers), each reconciliation run of a day's
statement against the books, and the run an alert of the reconciliation belongs to.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "finance_reconciliations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("bank_opening_fen", sa.BigInteger(), nullable=False),
        sa.Column("bank_closing_fen", sa.BigInteger(), nullable=False),
        sa.Column("books_opening_fen", sa.BigInteger(), nullable=False),
        sa.Column("books_closing_fen", sa.BigInteger(), nullable=False),
        sa.Column("statement_lines", sa.Integer(), nullable=False),
        sa.Column("matched_lines", sa.Integer(), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("run_at", _TIME, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_finance_reconciliations_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_reconciliations")),
    )
    with op.batch_alter_table("finance_reconciliations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finance_reconciliations_day"), ["day"], unique=False)
    # plain ADD COLUMNs (no batch copy of tables others refer to); SQLite takes the reference in the column itself
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE finance_alerts ADD COLUMN reconciliation_id INTEGER "
            "CONSTRAINT fk_finance_alerts_reconciliation_id_finance_reconciliations "
            "REFERENCES finance_reconciliations (id)"
        )
    else:
        op.add_column("finance_alerts", sa.Column("reconciliation_id", _ID, nullable=True))
        op.create_foreign_key(
            op.f("fk_finance_alerts_reconciliation_id_finance_reconciliations"), "finance_alerts",
            "finance_reconciliations", ["reconciliation_id"], ["id"],
        )  # fmt: skip
    op.create_index(op.f("ix_finance_alerts_reconciliation_id"), "finance_alerts", ["reconciliation_id"], unique=False)
    op.add_column("finance_refund_orders", sa.Column("sent_at", _TIME, nullable=True))


def downgrade() -> None:
    op.drop_column("finance_refund_orders", "sent_at")
    op.drop_index(op.f("ix_finance_alerts_reconciliation_id"), table_name="finance_alerts")
    with op.batch_alter_table("finance_alerts", schema=None) as batch_op:
        batch_op.drop_column("reconciliation_id")
    op.drop_table("finance_reconciliations")
