"""Opaque public identifiers for bids, registrations and objections (招标投标法 第22条)

The integer keys of these rows come from sequences shared by the whole platform, and the API showed them: a bidder
that submitted twice learnt how many bids others had submitted in between. Each row gets a random public id
(``ggzy.core.public_ids``: a type prefix and 128 random bits), unique and not null; existing rows get theirs here,
one random value per row. The integer keys stay as the primary and foreign keys.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

LENGTH = 32
# table -> prefix (as ggzy.core.public_ids; copied so that this revision never changes with the code)
TABLES = {
    "sealed_bids": "bid",
    "registrations": "reg",
    "document_objections": "obj",
    "opening_objections": "oobj",
}


def _fill(table: str, prefix: str) -> None:
    connection = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.BigInteger()), sa.column("public_id", sa.String(LENGTH)))
    ids = [row[0] for row in connection.execute(sa.select(rows.c.id))]
    if ids:
        connection.execute(
            rows.update().where(rows.c.id == sa.bindparam("row_id")).values(public_id=sa.bindparam("value")),
            [{"row_id": row_id, "value": f"{prefix}_{secrets.token_urlsafe(16)}"} for row_id in ids],
        )


def upgrade() -> None:
    for table, prefix in TABLES.items():
        op.add_column(table, sa.Column("public_id", sa.String(length=LENGTH), nullable=True))
        _fill(table, prefix)
        with op.batch_alter_table(table) as batch:
            batch.alter_column("public_id", existing_type=sa.String(length=LENGTH), nullable=False)
            batch.create_unique_constraint(op.f(f"uq_{table}_public_id"), ["public_id"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"uq_{table}_public_id"), type_="unique")
            batch.drop_column("public_id")
