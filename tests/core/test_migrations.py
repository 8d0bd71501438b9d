"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.permissions import Role
from ggzy.entities.models import RoleBinding
from ggzy.entities.schemas import RoleGrantIn
from ggzy.models import Base
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
