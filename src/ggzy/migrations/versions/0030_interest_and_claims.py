"""Claims follow forfeiture (decision 0036): a forfeiture decision on a deposit met by an electronic guarantee names
the guarantee it claims on and has no posting of its own (the institution's payment is posted when it arrives).

Revision ID: 0030
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0031"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("finance_forfeitures", schema=None) as batch_op:
        batch_op.alter_column("posting_id", existing_type=_ID, nullable=True)
        batch_op.add_column(sa.Column("guarantee_id", _ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_finance_forfeitures_guarantee_id_finance_guarantees"), "finance_guarantees",
            ["guarantee_id"], ["id"],
        )  # fmt: skip
        batch_op.create_unique_constraint(batch_op.f("uq_finance_forfeitures_guarantee_id"), ["guarantee_id"])


def downgrade() -> None:
    with op.batch_alter_table("finance_forfeitures", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_finance_forfeitures_guarantee_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_finance_forfeitures_guarantee_id_finance_guarantees"), type_="foreignkey"
        )
        batch_op.drop_column("guarantee_id")
        batch_op.alter_column("posting_id", existing_type=_ID, nullable=False)
