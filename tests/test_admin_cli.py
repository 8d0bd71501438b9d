"""``ggzy admin create``: how the operator of a platform started without the demo makes its first administrator —
the password from a hidden prompt or standard input, weak ones refused, one transaction with its event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.admin_cli import has_platform_admin, password_weakness
from ggzy.cli import app
from ggzy.core.events import Event
from ggzy.demo import DEMO_PASSWORD
from ggzy.entities.login import PASSWORDS
from ggzy.entities.models import RoleBinding, User

runner = CliRunner()
STRONG = "Kunming lake at dawn 7"


@pytest.fixture
def configured(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command line's settings point at the fresh database."""
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _users_and_events(engine: Engine) -> tuple[int, int]:
    with Session(engine) as db:
        return (
            db.scalar(select(func.count()).select_from(User)) or 0,
            db.scalar(select(func.count()).select_from(Event)) or 0,
        )


def test_the_first_administrator_is_made_from_a_hidden_prompt_typed_twice_with_its_event(
    fresh_engine: Engine, configured: None
) -> None:
    assert not has_platform_admin(fresh_engine)

    result = runner.invoke(app, ["admin", "create", "--username", "root"], input=f"{STRONG}\n{STRONG}\n")

    assert result.exit_code == 0, result.output
    assert STRONG not in result.output  # the prompt hides what is typed
    assert has_platform_admin(fresh_engine)
    with Session(fresh_engine) as db:
        user = db.scalars(select(User).where(User.username == "root")).one()
        assert PASSWORDS.verify(user.password_hash, STRONG)
        assert list(db.scalars(select(RoleBinding.role).where(RoleBinding.user_id == user.id))) == ["platform_admin"]
        events = list(db.scalars(select(Event)))
        assert [(event.action, event.subject_id, event.actor_role) for event in events] == [
            ("user.created", str(user.id), "platform_admin")  # the command line acts as the platform
        ]


def test_the_password_can_come_from_standard_input(fresh_engine: Engine, configured: None) -> None:
    result = runner.invoke(app, ["admin", "create", "--username", "ops", "--password-stdin"], input=f"{STRONG}\n")

    assert result.exit_code == 0, result.output
    with Session(fresh_engine) as db:
        user = db.scalars(select(User).where(User.username == "ops")).one()
        assert PASSWORDS.verify(user.password_hash, STRONG)


def test_two_different_entries_at_the_prompt_create_nobody(fresh_engine: Engine, configured: None) -> None:
    result = runner.invoke(
        app, ["admin", "create", "--username", "root"], input=f"{STRONG}\n{STRONG}x\n{STRONG}\n{STRONG}x\n"
    )

    assert result.exit_code != 0
    assert _users_and_events(fresh_engine) == (0, 0)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Short-1", "at least 12 characters"),
        (DEMO_PASSWORD + "-prod", "the demo's published password"),
        ("my-root-password-99", "contains the login name"),
        ("202612031850", "digits alone"),
        ("abababababab", "too few different characters"),
        ("Password2026!!", "a common password"),
        ("Qwerty!123456", "a common password"),
    ],
)
def test_a_weak_password_is_refused_and_creates_nothing(
    fresh_engine: Engine, configured: None, password: str, reason: str
) -> None:
    result = runner.invoke(app, ["admin", "create", "--username", "root", "--password-stdin"], input=password)

    assert result.exit_code == 1
    assert reason in result.output
    assert _users_and_events(fresh_engine) == (0, 0)
    assert not has_platform_admin(fresh_engine)


def test_a_taken_login_name_is_refused_with_its_code_and_records_nothing_more(
    fresh_engine: Engine, configured: None
) -> None:
    first = runner.invoke(app, ["admin", "create", "--username", "root", "--password-stdin"], input=STRONG)
    assert first.exit_code == 0, first.output

    again = runner.invoke(app, ["admin", "create", "--username", "root", "--password-stdin"], input=STRONG + "!")

    assert again.exit_code == 1
    assert "username_taken" in again.output
    assert _users_and_events(fresh_engine) == (1, 1)


def test_an_invalid_login_name_is_refused_before_anything_is_written(fresh_engine: Engine, configured: None) -> None:
    result = runner.invoke(app, ["admin", "create", "--username", "根 用户", "--password-stdin"], input=STRONG)

    assert result.exit_code == 2
    assert "username" in result.output
    assert _users_and_events(fresh_engine) == (0, 0)


def test_a_long_passphrase_is_strong_enough() -> None:
    assert password_weakness(STRONG, username="root") is None
    assert password_weakness("correct horse battery staple", username="admin") is None
