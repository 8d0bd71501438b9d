"""Run the Alembic migrations from code (``ggzy db upgrade``, ``make run``, the test set-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    # Outside any transaction (SQLite ignores the pragma inside one), on the driver's connection: a statement through
    # SQLAlchemy would begin the transaction first.
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")  # type: ignore[union-attr]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade in one transaction. On SQLite, a revision that drops a constraint rebuilds the table (Alembic's batch
    mode), and dropping a table that others reference fails while foreign keys are enforced, whatever the rows: so
    enforcement is off while the revisions run (SQLite's own procedure for schema changes), and every foreign key of
    the database is checked before the commit."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left foreign keys without their rows: {broken[:10]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)
