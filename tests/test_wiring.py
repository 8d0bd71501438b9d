"""The composition root installs the ledger's numbering where sessions are made, never by an import's side effect
(DESIGN §4.2: the ledger covers every event; decision 0018)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

import ggzy
from ggzy.core.db import make_session_factory, unit_of_work
from ggzy.core.events import Event, EventsNotNumbered
from ggzy.core.permissions import SYSTEM
from ggzy.entities import service as entities
from ggzy.entities.models import Centre
from ggzy.ledger.cli import EXIT_DAMAGED, EXIT_SELF_CONSISTENT_ONLY
from ggzy.ledger.models import LedgerEntry, LedgerHead
from ggzy.ledger.sequencer import _number_new_events, install_numbering
from ggzy.wiring import install_domains, session_factory
from tests.conftest import TEST_NOW

SOURCE_ROOT = Path(ggzy.__file__).resolve().parent.parent

# A script that knows one service and the composition root, nothing else: no ggzy.models, no app, no CLI.
ONE_SERVICE_SCRIPT = textwrap.dedent(
    """
    import os
    import sys

    from ggzy.core.clock import SystemClock
    from ggzy.core.db import make_engine, unit_of_work
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities import service
    from ggzy.wiring import session_factory

    engine = make_engine(os.environ["GGZY_DATABASE_URL"])
    with unit_of_work(session_factory(engine)) as db:
        now = SystemClock().now()
        service.create_centre(db, SYSTEM, name="脚本中心", region_code="530000", parent_id=None, now=now)
    engine.dispose()
    print("ggzy.models imported:", "ggzy.models" in sys.modules)
    """
)


def _run(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_script_importing_one_service_commits_an_event_the_ledger_verifies(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """An event committed by a script that imports one service is numbered: `ggzy ledger verify` finds no damage.

    Before decision 0018 the numbering was installed by importing ggzy.models; this script never imports it, and
    its event stayed outside the ledger (verify: "1 events exist but 0 are in the ledger", exit 1)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GGZY_") and key != "PYTHONPATH"
    }
    environment |= {
        "PYTHONPATH": str(SOURCE_ROOT),
        "GGZY_DATABASE_URL": fresh_database_url,
        "GGZY_DATA_DIR": str(tmp_path / "var"),
    }
    script = tmp_path / "one_service.py"
    script.write_text(ONE_SERVICE_SCRIPT, encoding="utf-8")

    wrote = _run([str(script)], environment)
    assert wrote.returncode == 0, wrote.stderr
    assert "ggzy.models imported: False" in wrote.stdout  # the numbering cannot have come from that import

    verified = _run(["-m", "ggzy", "ledger", "verify"], environment)
    assert verified.returncode != EXIT_DAMAGED, verified.stdout + verified.stderr
    # no witness is configured: intact, and only self-consistency can be checked
    assert verified.returncode == EXIT_SELF_CONSISTENT_ONLY, verified.stdout + verified.stderr
    assert "ledger self-consistent: 1 entries" in " ".join(verified.stdout.split())


def test_a_session_made_without_the_installation_refuses_to_record_an_event_and_writes_nothing(
    fresh_engine: Engine,
) -> None:
    bare = make_session_factory(fresh_engine)
    with pytest.raises(EventsNotNumbered, match=r"ggzy\.wiring\.session_factory"), unit_of_work(bare) as db:
        entities.create_centre(db, SYSTEM, name="无账本中心", region_code="530000", parent_id=None, now=TEST_NOW)
    with Session(fresh_engine) as db, pytest.raises(EventsNotNumbered):
        entities.create_centre(db, SYSTEM, name="无账本中心", region_code="530000", parent_id=None, now=TEST_NOW)
    with unit_of_work(session_factory(fresh_engine), read_only=True) as db:
        assert db.scalar(select(func.count()).select_from(Event)) == 0
        assert db.scalar(select(func.count()).select_from(Centre)) == 0


def test_importing_the_models_and_the_portal_installs_no_listener_on_the_global_session_class() -> None:
    import ggzy.models  # noqa: F401 - the import that used to install the numbering
    from ggzy.portal import live_feed, page_cache

    assert not event.contains(Session, "before_commit", _number_new_events)
    assert not event.contains(Session, "before_commit", live_feed._notify_other_processes)
    assert not event.contains(Session, "after_commit", live_feed._wake_hubs)
    assert not event.contains(Session, "after_commit", page_cache._published_something)


def test_installing_twice_numbers_each_event_once(fresh_engine: Engine) -> None:
    install_domains()
    install_domains()
    factory = session_factory(fresh_engine)
    install_numbering(factory)
    with unit_of_work(factory) as db:
        entities.create_centre(db, SYSTEM, name="编号中心", region_code="530000", parent_id=None, now=TEST_NOW)
    with unit_of_work(factory, read_only=True) as db:
        assert db.scalar(select(func.count()).select_from(LedgerEntry)) == 1
        assert db.scalar(select(LedgerHead.next_index)) == 1


def test_a_session_factory_numbers_only_its_own_sessions(fresh_engine: Engine) -> None:
    """Installing on one factory leaves another (bare) factory's sessions unmarked: each factory is wired alone."""
    session_factory(fresh_engine)
    with make_session_factory(fresh_engine)() as db:
        assert not db.info
