"""Control relations between entities (控股、管理关系, 招标投标法实施条例 第34条)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "entity_relations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("upper_entity_id", _ID, nullable=False),
        sa.Column("lower_entity_id", _ID, nullable=False),
        sa.Column("share_basis_points", sa.Integer(), nullable=True),
        sa.Column("actual_control", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["upper_entity_id"], ["entities.id"], name=op.f("fk_entity_relations_upper_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["lower_entity_id"], ["entities.id"], name=op.f("fk_entity_relations_lower_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_relations")),
    )
    with op.batch_alter_table("entity_relations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entity_relations_upper_entity_id"), ["upper_entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entity_relations_lower_entity_id"), ["lower_entity_id"], unique=False)
    # one live relation of a kind between two entities; ended ones stay as history
    op.create_index(
        "uq_entity_relations_live",
        "entity_relations",
        ["kind", "upper_entity_id", "lower_entity_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_entity_relations_live", table_name="entity_relations")
    with op.batch_alter_table("entity_relations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_relations_lower_entity_id"))
        batch_op.drop_index(batch_op.f("ix_entity_relations_upper_entity_id"))
    op.drop_table("entity_relations")
