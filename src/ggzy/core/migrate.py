"""Run the Alembic migrations from code (``ggzy db upgrade``, ``make run``, the test set-up)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class ForeignKeysBroken(RuntimeError):
    """A migration left rows that reference nothing (SQLite's ``PRAGMA foreign_key_check`` found them)."""


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, lambda config: command.downgrade(config, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run migrations in one transaction. On SQLite, a migration that changes a column rebuilds its table (Alembic's
    batch mode: copy, drop, rename), and dropping a table that others reference fails while foreign keys are
    enforced; so, as SQLite's documented procedure for such changes says, enforcement is switched off for the
    migration (outside the transaction: the pragma does nothing inside one), every reference is checked before the
    commit, and enforcement is switched on again."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ForeignKeysBroken(f"the migration left rows that reference nothing: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
