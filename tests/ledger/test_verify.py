"""`ggzy ledger verify` re-derives everything from the events and names the first thing that does not match.

The events table refuses UPDATE and DELETE; these tests play someone with full database access who drops the trigger
first (or the platform's operator, who holds the checkpoint keys) and prove that the ledger still tells.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.ledger.merkle import root_at
from ggzy.ledger.models import LedgerCheckpoint, LedgerEntry
from ggzy.ledger.note import Checkpoint, sign_note
from ggzy.ledger.sequencer import SqlNodeReader
from ggzy.ledger.service import catch_up
from ggzy.ledger.verify import LedgerDamaged, export_evidence, verify_evidence, verify_ledger
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW, Demo


def _demo(demo: Demo) -> Engine:
    """The demo's database, its ledger caught up 5 s after the story."""
    catch_up(session_factory(demo.engine), LEDGER_KEYS, FixedClock(TEST_NOW + timedelta(seconds=5)))
    return demo.engine


def _drop_append_only_trigger(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("DROP TRIGGER events_refuse_update_delete ON events"))
    else:
        db.execute(text("DROP TRIGGER events_refuse_update"))
        db.execute(text("DROP TRIGGER events_refuse_delete"))


def _tamper_edit(db: Session) -> int:
    event_id = db.scalar(select(Event.id).where(Event.action == "project.registered"))
    assert event_id is not None
    _drop_append_only_trigger(db)
    db.execute(text("UPDATE events SET payload = :p WHERE id = :id"), {"p": '{"code":"forged"}', "id": event_id})
    return event_id


def _tamper_delete(db: Session) -> int:
    event_id = db.scalar(select(Event.id).where(Event.action == "user.enrolled").order_by(Event.id))
    assert event_id is not None
    _drop_append_only_trigger(db)
    db.execute(delete(LedgerEntry).where(LedgerEntry.event_id == event_id))
    db.execute(text("DELETE FROM events WHERE id = :id"), {"id": event_id})
    return event_id


def _tamper_swap(db: Session) -> int:
    first, second = db.execute(select(LedgerEntry.index, LedgerEntry.event_id).order_by(LedgerEntry.index).limit(2))
    db.execute(delete(LedgerEntry).where(LedgerEntry.index.in_([first.index, second.index])))
    db.execute(
        insert(LedgerEntry),
        [{"index": first.index, "event_id": second.event_id}, {"index": second.index, "event_id": first.event_id}],
    )
    return second.event_id


def _tamper_resign(db: Session) -> int:
    """The operator re-signs a checkpoint over another root (say, after rewriting history)."""
    checkpoint = db.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()))
    assert checkpoint is not None
    forged_root = bytes(reversed(checkpoint.root_hash))
    note = sign_note(Checkpoint(LEDGER_KEYS.origin, checkpoint.size, forged_root).body(), LEDGER_KEYS.signers)
    db.add(LedgerCheckpoint(size=checkpoint.size, root_hash=forged_root, note=note, created_at=TEST_NOW))
    return checkpoint.size


TAMPERING: dict[str, tuple[Callable[[Session], int], str]] = {
    "an event edited with the trigger dropped": (_tamper_edit, "event {} "),
    "a deleted event": (_tamper_delete, "missing"),
    "two events swapped": (_tamper_swap, "does not match its leaf"),
    "a checkpoint re-signed over another root": (_tamper_resign, "does not match the root"),
}


def test_verify_passes_on_the_demo_database(demo_copy: Demo) -> None:
    engine = _demo(demo_copy)
    with Session(engine) as db:
        report = verify_ledger(db, LEDGER_KEYS.verifiers)
        events = db.scalar(select(text("count(*)")).select_from(Event))
    assert report.entries == events > 10
    # the demo's random inspection signed one over its plan (its seed, decision 0042), _demo the one after the story
    assert report.checkpoints == 2


@pytest.mark.parametrize("case", list(TAMPERING), ids=list(TAMPERING))
def test_verify_names_the_tampering(demo_copy: Demo, case: str) -> None:
    engine = _demo(demo_copy)
    tamper, expected = TAMPERING[case]
    with Session(engine) as db:
        subject = tamper(db)
        db.commit()
    with Session(engine) as db, pytest.raises(LedgerDamaged) as damage:
        verify_ledger(db, LEDGER_KEYS.verifiers)
    assert expected.format(subject) in str(damage.value)


def test_evidence_package_verifies_offline_and_refuses_a_changed_entry(demo_copy: Demo) -> None:
    engine = _demo(demo_copy)
    project_code = demo_copy.report["project_code"]
    with Session(engine) as db:
        from ggzy.projects.models import Project

        project_id = db.scalar(select(Project.id).where(Project.code == project_code))
        package = export_evidence(
            db, subject_type="project", subject_ids=[str(project_id)], verifier_keys=LEDGER_KEYS.verifier_keys
        )
        root = root_at(package["entries"][-1]["index"] + 1, SqlNodeReader(db))
    assert root
    assert [entry["entry"]["action"] for entry in package["entries"]] == ["project.registered", "project.accepted"]
    result = verify_evidence(json.loads(json.dumps(package)), trusted_keys=LEDGER_KEYS.verifier_keys)
    assert result["entries"] == 2

    forged = json.loads(json.dumps(package))
    forged["entries"][0]["entry"]["payload"]["name"] = "另一个工程"
    with pytest.raises(LedgerDamaged, match="differs"):
        verify_evidence(forged)
    import base64

    forged["entries"][0]["data"] = base64.b64encode(
        json.dumps(forged["entries"][0]["entry"], ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    ).decode()
    with pytest.raises(LedgerDamaged, match="event"):
        verify_evidence(forged)


def test_cli_verify_exits_non_zero_on_a_damaged_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ggzy.cli import app
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GGZY_DATABASE_URL", raising=False)
    monkeypatch.delenv("GGZY_LEDGER_WITNESS_URLS", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["demo"]).exit_code == 0
        ok = runner.invoke(app, ["ledger", "verify"])
        assert ok.exit_code == 3, ok.output  # intact, but with no witness only self-consistency can be checked
        assert "ledger self-consistent" in ok.output
        from ggzy.core.db import make_engine

        engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'ggzy.db'}")
        with Session(engine) as db:
            event_id = _tamper_edit(db)
            db.commit()
        engine.dispose()
        damaged = runner.invoke(app, ["ledger", "verify"])
        assert damaged.exit_code == 1
        assert f"event {event_id}" in damaged.output
    finally:
        get_settings.cache_clear()
