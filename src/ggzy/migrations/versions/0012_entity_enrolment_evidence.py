"""Only an entity acts for itself: enrolment evidence, suspensions, certificate revocation dates (decision 0013)

Adds the entity's signed enrolments (statement, signature, certificate), the evidence of each role binding (the
certificate a user logged in with, or an enrolment), suspensions of users and bindings, and the revocation date a
CRL gives a certificate. Then it lists every market-entity binding that has no evidence (a role that centre staff or
an administrator granted) and suspends it (``suspension_cause = 'no_evidence'``), and suspends the password users
that staff bound to an entity and ends their sessions; each is logged. Only the entity's own enrolment lifts these.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import logging
import warnings
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

logger = logging.getLogger("ggzy.migrations.0012")

_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
_TIME = sa.DateTime(timezone=True)
ENTITY_ROLES = ("owner", "agent", "bidder", "institution")


def _add_reference(table: str, column: str, referred: str) -> None:
    """A nullable foreign key column; SQLite cannot ALTER a constraint in, but takes it inline with the column."""
    name = f"fk_{table}_{column}_{referred}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {referred} (id)")
        return
    op.add_column(table, sa.Column(column, _ID, nullable=True))
    op.create_foreign_key(name, table, referred, [column], ["id"])


def upgrade() -> None:
    op.create_table(
        "entity_enrolments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("certificate_id", _ID, nullable=False),
        sa.Column("statement", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("challenge", sa.String(length=128), nullable=False),
        sa.Column("signed_at", _TIME, nullable=False),
        sa.Column("enrolled_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificates.id"], name=op.f("fk_entity_enrolments_certificate_id_certificates")
        ),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_entity_enrolments_entity_id_entities")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_entity_enrolments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_enrolments")),
        sa.UniqueConstraint("challenge", name=op.f("uq_entity_enrolments_challenge")),
    )
    for column in ("certificate_id", "entity_id", "user_id"):
        op.create_index(op.f(f"ix_entity_enrolments_{column}"), "entity_enrolments", [column], unique=False)

    op.add_column("users", sa.Column("suspended_at", _TIME, nullable=True))
    op.add_column("users", sa.Column("suspension_cause", sa.String(length=16), nullable=True))
    op.add_column("users", sa.Column("suspension_note", sa.String(length=300), nullable=True))
    _add_reference("role_bindings", "certificate_id", "certificates")
    _add_reference("role_bindings", "enrolment_id", "entity_enrolments")
    op.create_index(op.f("ix_role_bindings_enrolment_id"), "role_bindings", ["enrolment_id"], unique=False)
    op.add_column("role_bindings", sa.Column("suspended_at", _TIME, nullable=True))
    op.add_column("role_bindings", sa.Column("suspension_cause", sa.String(length=24), nullable=True))
    op.add_column("certificates", sa.Column("revoked_at", _TIME, nullable=True))
    suspend_bindings_without_evidence(op.get_bind(), now=datetime.now(UTC))


def suspend_bindings_without_evidence(connection: sa.Connection, *, now: datetime) -> dict[str, list[int]]:
    """Give a certificate user's bidder role the evidence of its certificate; suspend every other market-entity
    binding, and the password users bound to an entity (ending their sessions). Returns what it changed."""
    users = sa.table(
        "users",
        sa.column("id", _ID),
        sa.column("username", sa.String),
        sa.column("entity_id", _ID),
        sa.column("password_hash", sa.String),
        sa.column("suspended_at", _TIME),
        sa.column("suspension_cause", sa.String),
    )
    bindings = sa.table(
        "role_bindings",
        sa.column("id", _ID),
        sa.column("user_id", _ID),
        sa.column("role", sa.String),
        sa.column("centre_id", _ID),
        sa.column("certificate_id", _ID),
        sa.column("enrolment_id", _ID),
        sa.column("suspended_at", _TIME),
        sa.column("suspension_cause", sa.String),
    )
    certificates = sa.table("certificates", sa.column("id", _ID), sa.column("user_id", _ID))
    sessions = sa.table(
        "auth_sessions", sa.column("user_id", _ID), sa.column("ended_at", _TIME), sa.column("expires_at", _TIME)
    )
    first_certificate = dict(
        connection.execute(
            sa.select(certificates.c.user_id, sa.func.min(certificates.c.id)).group_by(certificates.c.user_id)
        ).all()
    )
    rows = connection.execute(
        sa.select(bindings.c.id, bindings.c.user_id, bindings.c.role, bindings.c.centre_id, users.c.username)
        .join(users, users.c.id == bindings.c.user_id)
        .where(
            sa.or_(bindings.c.role.in_(ENTITY_ROLES), users.c.entity_id.is_not(None)),
            bindings.c.certificate_id.is_(None),
            bindings.c.enrolment_id.is_(None),
            bindings.c.suspended_at.is_(None),
        )
        .order_by(bindings.c.id)
    ).all()
    evidenced, suspended = [], []
    for row in rows:
        certificate_id = first_certificate.get(row.user_id)
        if row.role == "bidder" and certificate_id is not None:  # bound at its certificate's first login
            connection.execute(bindings.update().where(bindings.c.id == row.id).values(certificate_id=certificate_id))
            evidenced.append(row.id)
            continue
        connection.execute(
            bindings.update().where(bindings.c.id == row.id).values(suspended_at=now, suspension_cause="no_evidence")
        )
        suspended.append(row.id)
        logger.warning(
            "suspended role binding %s: user %s (%s) role %s at centre %s has no evidence from its entity",
            row.id, row.user_id, row.username, row.role, row.centre_id,
        )  # fmt: skip
    password_users = connection.execute(
        sa.select(users.c.id, users.c.username).where(
            users.c.entity_id.is_not(None), users.c.password_hash.is_not(None), users.c.suspended_at.is_(None)
        )
    ).all()
    for user in password_users:
        connection.execute(
            users.update().where(users.c.id == user.id).values(suspended_at=now, suspension_cause="no_evidence")
        )
        connection.execute(
            sessions.update().where(sessions.c.user_id == user.id, sessions.c.ended_at.is_(None)).values(ended_at=now)
        )
        logger.warning("suspended user %s (%s): a password user bound to an entity without its enrolment",
                       user.id, user.username)  # fmt: skip
    return {"evidenced": evidenced, "suspended_bindings": suspended, "suspended_users": [u.id for u in password_users]}


def downgrade() -> None:
    op.drop_column("certificates", "revoked_at")
    op.drop_index(op.f("ix_role_bindings_enrolment_id"), table_name="role_bindings")
    added = ("suspension_cause", "suspended_at", "enrolment_id", "certificate_id")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a foreign-key column only by rebuilding the table; the rebuild cannot reflect the scope index
        # (an expression index, 0003), so it is dropped first and made again after.
        op.drop_index("uq_role_bindings_scope", table_name="role_bindings")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with op.batch_alter_table("role_bindings", recreate="always") as batch:
                for column in added:
                    batch.drop_column(column)
        op.create_index(
            "uq_role_bindings_scope",
            "role_bindings",
            [
                "user_id",
                "role",
                sa.text("coalesce(centre_id, 0)"),
                sa.text("coalesce(region_code, '')"),
                sa.text("coalesce(trade_type, '')"),
            ],
            unique=True,
        )
    else:
        op.drop_constraint("fk_role_bindings_enrolment_id_entity_enrolments", "role_bindings", type_="foreignkey")
        op.drop_constraint("fk_role_bindings_certificate_id_certificates", "role_bindings", type_="foreignkey")
        for column in added:
            op.drop_column("role_bindings", column)
    for column in ("suspension_note", "suspension_cause", "suspended_at"):
        op.drop_column("users", column)
    for column in ("user_id", "entity_id", "certificate_id"):
        op.drop_index(op.f(f"ix_entity_enrolments_{column}"), table_name="entity_enrolments")
    op.drop_table("entity_enrolments")
