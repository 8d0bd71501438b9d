"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Boolean, Engine, column, insert, select, text
from sqlalchemy import table as sa_table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.types import TypeEngine

from ggzy.core.db import UTCDateTime, is_sqlite, make_engine
from ggzy.core.migrate import upgrade
from ggzy.core.permissions import Role
from ggzy.entities.models import AuthSession, RoleBinding, User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.models import Base
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW
from tests.factories import make_user


def _not_the_full_text_index(name: str | None, type_: str, parent_names: object) -> bool:
    """The notice full-text index (migration 0008) is no model: on SQLite an FTS5 virtual table and its shadow
    tables, on PostgreSQL an expression index over bigrams; tests/portal/test_search.py tests it instead."""
    if type_ == "table":
        return not (name or "").startswith("notice_search")
    return not (type_ == "index" and name == "ix_tenders_notice_bigrams")


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be compared; tested below instead
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_the_full_text_index}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_same_role_cannot_be_bound_twice_even_with_empty_scopes(db: Session) -> None:
    user = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)])
    duplicate = RoleBinding(user_id=user.id, role="expert", granted_at=TEST_NOW)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(duplicate)
        db.flush()


@pytest.fixture
def engine_at_0011(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A new database of the test database's kind, migrated only up to 0011 (before enrolment evidence)."""
    url = engine.url.render_as_string(hide_password=False)
    if is_sqlite(url):
        old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(old, "0011")
        yield old
        old.dispose()
        return
    schema = f"old_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.commit()
    old = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(old, "0011")
    yield old
    old.dispose()
    with engine.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        connection.commit()


def test_migration_0012_suspends_the_entity_bindings_that_staff_made_without_the_entitys_evidence(
    engine_at_0011: Engine,
) -> None:
    """Decision 0013 (电子签名法 第十三条): a password user staff bound to a bidder, and an owner role staff granted
    to a certificate user, lose their authority; the bidder role a certificate's own login gave keeps it, with the
    certificate as its evidence; a staff member's role is untouched."""

    def table(name: str, *columns: str) -> TableClause:  # the 0011 columns written here, nothing reflected
        def typed(name: str) -> TypeEngine | None:
            if name.endswith("_at") or name in ("not_before", "not_after"):
                return UTCDateTime()
            return Boolean() if name == "active" else None

        return sa_table(name, *(column(c, typed(c)) for c in columns))

    entities = table("entities", "id", "credit_code", "name", "kind", "region_code", "created_at", "updated_at")
    users = table("users", "id", "username", "display_name", "entity_id", "password_hash", "active", "created_at")
    bindings = table("role_bindings", "id", "user_id", "role", "granted_at")
    certificates = table(
        "certificates", "id", "fingerprint", "suite", "kind", "serial_number", "issuer", "subject", "credit_code",
        "not_before", "not_after", "certificate_pem", "entity_id", "user_id", "registered_at",
    )  # fmt: skip
    sessions = table("auth_sessions", "token_hash", "user_id", "method", "created_at", "expires_at")
    now = TEST_NOW
    with engine_at_0011.begin() as connection:
        connection.execute(
            insert(entities).values(
                id=1, credit_code="91530100MA6K0000X1", name="投标企业", kind="enterprise", region_code="530100",
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
        people = [
            (1, "entity-0123456789abcdef", 1, None),  # the entity's certificate user
            (2, "by-fiat", 1, "argon2-hash"),  # a password user staff bound to the entity
            (3, "staff", None, "argon2-hash"),
        ]
        for user_id, username, entity_id, password_hash in people:
            connection.execute(
                insert(users).values(
                    id=user_id, username=username, display_name=username, entity_id=entity_id,
                    password_hash=password_hash, active=True, created_at=now,
                )
            )  # fmt: skip
        connection.execute(
            insert(certificates).values(
                id=1, fingerprint="f" * 64, suite="intl", kind="entity", serial_number="1", issuer="CN=CA",
                subject="CN=投标企业", credit_code="91530100MA6K0000X1", not_before=now, not_after=now,
                certificate_pem="-", entity_id=1, user_id=1, registered_at=now,
            )
        )  # fmt: skip
        for binding_id, user_id, role in ((1, 1, "bidder"), (2, 1, "owner"), (3, 2, "bidder"), (4, 3, "centre_staff")):
            connection.execute(insert(bindings).values(id=binding_id, user_id=user_id, role=role, granted_at=now))
        connection.execute(
            insert(sessions).values(
                token_hash="a" * 64, user_id=2, method="password", created_at=now, expires_at=now + timedelta(hours=8)
            )
        )

    upgrade(engine_at_0011, "0012")

    with Session(engine_at_0011) as db:
        held = {row.id: row for row in db.scalars(select(RoleBinding))}
        assert (held[1].certificate_id, held[1].suspended_at) == (1, None)
        assert held[2].suspension_cause == "no_evidence"
        assert held[3].suspension_cause == "no_evidence"
        assert (held[4].suspended_at, held[4].suspension_cause) == (None, None)
        by_fiat = db.get(User, 2)
        assert by_fiat is not None
        assert by_fiat.suspension_cause == "no_evidence"
        assert db.get(User, 1).suspended_at is None  # type: ignore[union-attr]
        assert db.get(AuthSession, "a" * 64).ended_at is not None  # type: ignore[union-attr]


def test_migration_0018_upgrades_a_populated_sqlite_database_with_foreign_keys_checked(
    engine: Engine, tmp_path: Path, gm_ca: Path
) -> None:
    """SQLite drops 0001's unique constraints only by rebuilding the tables, which others reference: with foreign
    keys enforced the rebuild fails on a database holding an evaluation (its report, its committee); the upgrade
    runs with enforcement off and checks every foreign key before the commit (decision 0020)."""
    if not is_sqlite(engine.url.render_as_string(hide_password=False)):
        pytest.skip("PostgreSQL drops a constraint in place: no table is rebuilt")
    from alembic import command

    from ggzy.core.migrate import alembic_config, downgrade
    from ggzy.evaluation.models import Evaluation, EvaluationReport
    from tests.factories import make_evaluated_tender

    populated = make_engine(f"sqlite:///{tmp_path / 'populated.db'}")
    upgrade(populated)
    with session_factory(populated)() as db:
        make_evaluated_tender(db, gm_ca)
        db.commit()
    config = alembic_config(populated.url.render_as_string(hide_password=False))

    downgrade(populated, "0017")
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), populated.begin() as enforcing:
        config.attributes["connection"] = enforcing  # the rebuild as Alembic alone runs it, foreign keys enforced
        command.upgrade(config, "0018")
    upgrade(populated, "0018")  # the revision under test, whatever the head is now
    with Session(populated) as db:
        # columns as of 0018 (later revisions add others, which this schema has not yet)
        evaluation = db.execute(select(Evaluation.id, Evaluation.superseded_at)).one()
        assert evaluation.superseded_at is None
        assert db.scalars(select(EvaluationReport.evaluation_id)).one() == evaluation.id
        assert db.execute(text("PRAGMA foreign_key_check")).all() == []
        assert db.scalar(text("SELECT version_num FROM alembic_version")) == "0018"
    populated.dispose()
