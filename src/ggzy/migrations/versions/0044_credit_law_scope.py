"""A restriction names the law whose trades it closes (decision 0040, restrictions by law): a suspension under
招标投标法 第五十三条/第五十四条 closes the projects that must be tendered, a ban under 政府采购法 第七十七条 government
procurement; None (a joint-punishment list, an expert's disqualification) closes every trade. The decisions already
recorded get the law of their article.

Revision ID: 0044
Revises: 0039
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0039"
branch_labels = None
depends_on = None

# rules.LEGAL_BASES at this revision: the articles whose restriction is one law's
LAWS = {"ztb53": "tendering_law", "ztb54": "tendering_law", "zfcg77": "procurement_law"}


def upgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("law", sa.String(length=24), nullable=True))
    for basis, law in LAWS.items():
        op.execute(
            sa.text(
                "UPDATE credit_records SET law = :law WHERE penalty_id IN "
                "(SELECT id FROM credit_penalties WHERE legal_basis = :basis)"
            ).bindparams(law=law, basis=basis)
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("law")
