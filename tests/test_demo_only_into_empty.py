"""The demo is loaded only into an empty database — no user, no trust anchor, no event — never merely one without a
centre: its administrator's password and its CAs' private keys are public, so a production platform that has its
first administrator or its trusted CAs (but no centre yet) must not get them (decision 0016). A refused load leaves
no row, no file and no event, and says why: ``ggzy demo`` exits non-zero."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.cli import app
from ggzy.core.calendar import YearSchedule
from ggzy.core.calendar_store import load_calendar_year
from ggzy.core.events import Event
from ggzy.core.instance import is_demo_instance
from ggzy.core.permissions import SYSTEM, Role
from ggzy.demo import DEMO_PASSWORD, DatabaseNotEmpty, has_data, load_demo
from ggzy.entities.login import add_trust_anchor
from ggzy.entities.models import Centre, TrustAnchor, User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.entities.service import create_user
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW, demo_parts

runner = CliRunner()
TABLES = (User, TrustAnchor, Event, Centre)


def _first_admin(db: Session, gm_ca: Path) -> None:
    create_user(
        db, SYSTEM, username="ops-admin", display_name="运维管理员", password="a-real-password-of-its-own",
        entity_id=None, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)], now=TEST_NOW,
    )  # fmt: skip


def _trusted_ca(db: Session, gm_ca: Path) -> None:
    add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)


def _calendar_year(db: Session, gm_ca: Path) -> None:
    schedule = YearSchedule(
        year=2030, holidays=frozenset({date(2030, 1, 1)}), workdays=frozenset(), source="国务院办公厅"
    )
    load_calendar_year(db, SYSTEM, schedule=schedule, now=TEST_NOW)


def _counts(engine: Engine) -> dict[str, int]:
    with session_factory(engine)() as db:
        return {model.__name__: db.scalar(select(func.count()).select_from(model)) or 0 for model in TABLES}


@pytest.mark.parametrize(
    ("holding", "what"),
    [(_first_admin, "users"), (_trusted_ca, "trust anchors"), (_calendar_year, "events")],
    ids=["an administrator", "a trusted CA", "an event"],
)
def test_the_demo_is_refused_on_a_database_without_a_centre_that_is_not_empty_and_leaves_no_row_file_or_event(
    fresh_engine: Engine, tmp_path: Path, gm_ca: Path, holding: Callable[[Session, Path], None], what: str
) -> None:
    with session_factory(fresh_engine)() as db:
        holding(db, gm_ca)
        db.commit()
    before = _counts(fresh_engine)
    assert before["Centre"] == 0
    assert has_data(fresh_engine)

    with pytest.raises(DatabaseNotEmpty) as refused:
        load_demo(fresh_engine, directory=tmp_path / "demo", **demo_parts(tmp_path))

    assert what in str(refused.value)
    assert _counts(fresh_engine) == before  # no row, no event (no admin / ggzy-demo-2026, no demo CA)
    assert not (tmp_path / "demo").exists()  # no CA private key written


@pytest.fixture
def cli_database(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from ggzy.config import get_settings

    data_dir = tmp_path / "var"
    monkeypatch.setenv("GGZY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GGZY_DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


def test_ggzy_demo_on_a_platform_with_an_administrator_and_a_trusted_ca_exits_non_zero_and_says_why(
    fresh_engine: Engine, cli_database: Path, gm_ca: Path
) -> None:
    with session_factory(fresh_engine)() as db:
        _first_admin(db, gm_ca)
        _trusted_ca(db, gm_ca)
        db.commit()
    before = _counts(fresh_engine)

    result = runner.invoke(app, ["demo"])

    assert result.exit_code == 1, result.output
    assert "demo not loaded" in result.output
    assert "users, trust anchors, events" in result.output
    assert _counts(fresh_engine) == before
    assert not (cli_database / "demo").exists()


def test_ggzy_demo_on_a_demo_loaded_before_the_mark_marks_it_and_loads_nothing_more(
    fresh_engine: Engine, cli_database: Path
) -> None:
    with session_factory(fresh_engine)() as db:  # the old demo's administrator, unmarked
        create_user(
            db, SYSTEM, username="admin", display_name="平台管理员", password=DEMO_PASSWORD, entity_id=None,
            roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)], now=TEST_NOW,
        )  # fmt: skip
        db.commit()

    result = runner.invoke(app, ["demo"])

    assert result.exit_code == 0, result.output
    assert "demo data is already loaded" in result.output
    with session_factory(fresh_engine)() as db:
        assert is_demo_instance(db)
    assert _counts(fresh_engine)["Centre"] == 0
