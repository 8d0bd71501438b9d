"""Run the Alembic migrations from code (``ggzy db upgrade``, ``make run``, the test set-up)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from ggzy.core.db import make_engine

if TYPE_CHECKING:
    from ggzy.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def migrated_engine(settings: Settings) -> Engine:
    """The configured database, migrated to the newest schema (the data directory is created if needed): what every
    command (``ggzy.cli`` and the domains' own ``cli`` modules) opens."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    upgrade(engine)
    return engine
