"""Someone with the data directory — the database files and, by default, the checkpoint signing keys beside them —
cannot rewrite the ledger unseen once a witness holds a checkpoint (issue 9, item 6; docs/ledger.md "Threat model").

A real witness (``ggzy.ledger.witness_server`` served by uvicorn on a free port) with its own key and storage cosigns
the platform's checkpoints; ``ggzy ledger verify`` compares the ledger with what it holds. Without a witness verify
can only say the ledger is self-consistent, and says so with its own exit code (3).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from ggzy.app import create_app
from ggzy.cli import app as cli
from ggzy.config import Settings, get_settings
from ggzy.core.clock import FixedClock
from ggzy.core.db import unit_of_work
from ggzy.core.events import Event, canonical_json
from ggzy.ledger.keys import LedgerKeys
from ggzy.ledger.models import LedgerCheckpoint, LedgerCosignature, LedgerHead, LedgerNode
from ggzy.ledger.note import Checkpoint, open_note, parse_checkpoint, parse_verifier_key, sign_note
from ggzy.ledger.sequencer import HEAD_ID, integrate
from ggzy.ledger.service import catch_up, publish_checkpoint
from ggzy.ledger.witness_server import WitnessStore, create_witness_app, format_add_checkpoint
from ggzy.ledger.witnessing import WitnessClient, WitnessRefused, send_checkpoint, send_to_witnesses
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW, Demo
from tests.ledger.test_verify import _drop_append_only_trigger
from tests.ledger.test_witness_server import _free_port


@dataclass
class Platform:
    """A platform whose database has the demo and whose keys sit in its data directory (the default set-up)."""

    engine: Engine
    factory: sessionmaker[Session]
    data_dir: Path
    keys: LedgerKeys
    clock: FixedClock


@dataclass
class Witness:
    store: WitnessStore
    url: str


@contextmanager
def _serving(store: WitnessStore, port: int | None = None) -> Iterator[str]:
    port = port or _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_witness_app(store), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="witness-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the witness did not start"
        assert time.monotonic() < deadline, "the witness did not start in time"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _database_url(engine: Engine) -> str:
    """The URL of ``fresh_engine`` as a command line would be given it (its PostgreSQL schema included)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url
    with engine.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
    return f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture
def platform(demo_copy: Demo, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    data_dir = demo_copy.data_dir
    monkeypatch.setenv("GGZY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GGZY_DATABASE_URL", _database_url(demo_copy.engine))
    monkeypatch.setenv("GGZY_LEDGER_ORIGIN", LEDGER_KEYS.origin)  # the name the demo's checkpoints were signed under
    monkeypatch.delenv("GGZY_LEDGER_KEY_FILE", raising=False)
    monkeypatch.delenv("GGZY_LEDGER_WITNESS_URLS", raising=False)
    get_settings.cache_clear()
    keys = LedgerKeys.load_or_create(data_dir, get_settings().ledger_origin)  # the keys the demo was loaded with
    clock = FixedClock(TEST_NOW + timedelta(seconds=5))
    factory = session_factory(demo_copy.engine)
    catch_up(factory, keys, clock)
    yield Platform(demo_copy.engine, factory, data_dir, keys, clock)
    get_settings.cache_clear()


@pytest.fixture
def witness(platform: Platform, tmp_path: Path) -> Iterator[Witness]:
    store = WitnessStore(tmp_path / "witness", platform_keys=platform.keys.verifier_keys, name="witness.notary.test")
    with _serving(store) as url:
        yield Witness(store, url)


def _verify(*arguments: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(cli, ["ledger", "verify", *arguments])


def _said(result: Result) -> str:
    """What the command printed, its lines joined (the console wraps long lines at its width)."""
    return " ".join(result.output.split())


def _more_events(platform: Platform) -> None:
    """A later checkpoint: the platform keeps working (a user logs in and out, a centre is added)."""
    from tests.factories import make_centres

    with unit_of_work(platform.factory) as db:
        make_centres(db)
    platform.clock.advance(timedelta(seconds=5))
    catch_up(platform.factory, platform.keys, platform.clock)


def _rewrite_opening_price_and_resign(platform: Platform) -> int:
    """The file-level attacker: change a bid price read out at the opening, rebuild the whole tree and re-sign its
    checkpoints with the keys found in the data directory. Returns the event rewritten."""
    stolen = LedgerKeys.load_or_create(platform.data_dir, platform.keys.origin)
    with unit_of_work(platform.factory) as db:
        event = db.scalar(select(Event).where(Event.action == "opening.recorded").order_by(Event.id).limit(1))
        assert event is not None
        payload = json.loads(event.payload)
        summary = payload["record"]["bids"][0]["summary"]
        price_field = next(name for name in summary if "price" in name)
        summary[price_field] = "1.00"
        _drop_append_only_trigger(db)
        db.execute(
            text("UPDATE events SET payload = :p WHERE id = :id"), {"p": canonical_json(payload), "id": event.id}
        )
        db.execute(delete(LedgerCosignature))
        db.execute(delete(LedgerCheckpoint))
        db.execute(delete(LedgerNode))
        db.execute(update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(tree_size=0, checkpoints_issued=0,
                                                                               checkpoint_size=0))  # fmt: skip
        event_id = event.id
    with unit_of_work(platform.factory) as db:
        integrate(db)
        publish_checkpoint(db, stolen, now=platform.clock.now())
    return event_id


def _send(platform: Platform, witness: Witness) -> None:
    assert send_checkpoint(platform.factory, platform.keys, WitnessClient(witness.url), now=platform.clock.now())


# --- the signing key's custody ------------------------------------------------------------------------------------


def test_keys_in_the_data_directory_are_reported_as_a_file_level_risk(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    result = _verify()
    assert "signing keys are in the data directory" in _said(result)
    assert "re-sign" in _said(result)
    with caplog.at_level(logging.WARNING, logger="ggzy.app"):  # and the server, when it starts
        create_app(Settings(data_dir=platform.data_dir, ledger_background=False), engine=platform.engine)
    assert "signing keys are in the data directory" in caplog.text


def test_keys_in_a_key_file_outside_the_data_directory_sign_and_verify_without_the_warning(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "secrets" / "ledger-keys.pem"
    monkeypatch.setenv("GGZY_LEDGER_KEY_FILE", str(key_file))
    get_settings.cache_clear()
    missing = _verify()
    assert missing.exit_code == 2
    assert "ggzy ledger keygen" in _said(missing)

    created = CliRunner().invoke(cli, ["ledger", "keygen", "--out", str(key_file)])
    assert created.exit_code == 0, created.output
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert CliRunner().invoke(cli, ["ledger", "keygen", "--out", str(key_file)]).exit_code == 1  # never overwritten
    keys = LedgerKeys.from_pem(key_file.read_text(), platform.keys.origin)
    assert keys.verifier_keys != platform.keys.verifier_keys
    assert CliRunner().invoke(cli, ["ledger", "keys"]).output.split() == keys.verifier_keys

    # The platform as a whole takes its keys from the file: its checkpoints verify under them.
    application = create_app(Settings(data_dir=platform.data_dir, ledger_key_file=key_file, ledger_background=False),
                             engine=platform.engine)  # fmt: skip
    assert application.state.ledger_keys.verifier_keys == keys.verifier_keys
    assert application.state.ledger_keys.custody_warning is None
    with TestClient(application) as client:
        assert client.get("/api/v1/ledger/keys").json()["verifier_keys"] == keys.verifier_keys

    # The old checkpoints were signed by the data directory's keys, which are no longer the platform's.
    replaced = _verify()
    assert replaced.exit_code == 1
    assert "signing keys are in the data directory" not in _said(replaced)


# --- verify against a witness ---------------------------------------------------------------------------------------


def test_verify_against_a_witness_that_cosigned_exits_0(platform: Platform, witness: Witness) -> None:
    _send(platform, witness)
    _more_events(platform)
    _send(platform, witness)  # the second time with a consistency proof from the size the witness holds
    held = witness.store.held()
    assert held is not None
    with platform.factory() as db:
        latest = db.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
        assert latest is not None
        assert held.checkpoint.size == latest.size
        assert db.scalar(select(LedgerCosignature).where(LedgerCosignature.checkpoint_id == latest.id)) is not None

    result = _verify("--witness", witness.url)
    assert result.exit_code == 0, result.output
    assert "consistent with witness witness.notary.test" in _said(result)
    assert "verified against a witness" in _said(result)

    # The same from a checkpoint file the witness exported, with the witness's key pinned.
    exported = CliRunner().invoke(cli, ["witness", "latest", "--dir", str(witness.store.directory),
                                        *[f"--platform-key={key}" for key in platform.keys.verifier_keys]])  # fmt: skip
    assert exported.exit_code == 0
    checkpoint_file = platform.data_dir.parent / "witness-checkpoint.txt"
    checkpoint_file.write_text(exported.stdout)
    from_file = _verify("--witness-checkpoint", str(checkpoint_file), "--witness-key", witness.store.verifier_key)
    assert from_file.exit_code == 0, from_file.output


def test_verify_without_a_witness_exits_3_and_says_it_checked_only_self_consistency(platform: Platform) -> None:
    result = _verify()
    assert result.exit_code == 3, result.output
    assert "ONLY SELF-CONSISTENT" in _said(result)
    assert "no witness was consulted" in _said(result)

    unreachable = _verify("--witness", f"http://127.0.0.1:{_free_port()}")
    assert unreachable.exit_code == 3, unreachable.output
    assert "cannot be reached" in _said(unreachable)


# --- deleted checkpoints ---------------------------------------------------------------------------------------------


def test_a_deleted_checkpoint_is_reported(platform: Platform) -> None:
    _more_events(platform)
    with unit_of_work(platform.factory) as db:
        newest = db.scalar(select(LedgerCheckpoint.id).order_by(LedgerCheckpoint.id.desc()).limit(1))
        db.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.id == newest))
    result = _verify()
    assert result.exit_code == 1, result.output
    assert "checkpoints were deleted" in _said(result)


def test_every_checkpoint_deleted_and_the_counters_reset_is_caught_by_the_witness(
    platform: Platform, witness: Witness
) -> None:
    _send(platform, witness)
    with unit_of_work(platform.factory) as db:
        db.execute(delete(LedgerCosignature))
        db.execute(delete(LedgerCheckpoint))
        db.execute(update(LedgerHead).values(checkpoints_issued=0, checkpoint_size=0))
    alone = _verify()
    assert alone.exit_code == 3, alone.output  # the files agree with each other: without a witness nothing tells

    result = _verify("--witness", witness.url)
    assert result.exit_code == 1, result.output
    assert "checkpoints were deleted" in _said(result)


# --- a rewrite re-signed with the key from the data directory --------------------------------------------------------


def test_a_rewrite_resigned_with_the_stolen_key_passes_alone_but_fails_against_the_witness(
    platform: Platform, witness: Witness
) -> None:
    _send(platform, witness)
    before = witness.store.held()
    assert before is not None
    _rewrite_opening_price_and_resign(platform)

    alone = _verify()
    assert alone.exit_code == 3, alone.output  # the finding: self-consistency cannot tell a re-signed rewrite

    result = _verify("--witness", witness.url)
    assert result.exit_code == 1, result.output
    assert "history was rewritten" in _said(result)


def test_the_witness_refuses_a_checkpoint_not_consistent_with_the_one_it_holds(
    platform: Platform, witness: Witness
) -> None:
    _send(platform, witness)
    before = witness.store.held()
    assert before is not None
    _rewrite_opening_price_and_resign(platform)
    _more_events(platform)  # the rewritten log grows past the size the witness holds

    with pytest.raises(WitnessRefused, match="not consistent") as refusal:
        send_checkpoint(platform.factory, platform.keys, WitnessClient(witness.url), now=platform.clock.now())
    assert "rewritten" in str(refusal.value)
    assert witness.store.held() == before  # it keeps what it held
    evidence = [json.loads(line) for line in (witness.store.directory / "refused.jsonl").read_text().splitlines()]
    assert "not consistent" in evidence[-1]["reason"]
    assert parse_checkpoint(open_note(evidence[-1]["checkpoint"], platform.keys.verifiers).body).size > (
        before.checkpoint.size
    )
    with platform.factory() as db:  # and the platform stored no cosignature for the rewritten checkpoint
        assert db.scalar(select(LedgerCosignature.id)) is None


def test_the_witness_refuses_a_fork_at_its_own_size_a_rollback_and_a_foreign_signature(
    platform: Platform, witness: Witness
) -> None:
    _send(platform, witness)
    held = witness.store.held()
    assert held is not None
    size, root = held.checkpoint.size, held.checkpoint.root_hash
    forged_body = Checkpoint(platform.keys.origin, size, bytes(reversed(root))).body()

    def post(body: str) -> tuple[int, str, str]:
        return WitnessClient(witness.url).add_checkpoint(body)

    status, answer, reason = post(format_add_checkpoint(size, [], sign_note(forged_body, platform.keys.signers)))
    assert (status, answer.strip()) == (409, str(size))
    assert "fork" in reason
    smaller = Checkpoint(platform.keys.origin, size - 1, root).body()
    assert post(format_add_checkpoint(size, [], sign_note(smaller, platform.keys.signers)))[0] == 400
    stranger = LedgerKeys.generate(platform.keys.origin)
    assert post(format_add_checkpoint(size, [], sign_note(forged_body, stranger.signers)))[0] == 403
    assert post(format_add_checkpoint(0, [], held.note))[0] == 409  # not the size it holds: tells which it holds
    assert witness.store.held() == held


# --- the platform sends its checkpoints from the background publisher ------------------------------------------------


def test_the_background_publisher_sends_checkpoints_to_the_witness_and_serves_its_cosignature(
    platform: Platform, witness: Witness
) -> None:
    settings = Settings(data_dir=platform.data_dir, ledger_background=True, ledger_checkpoint_seconds=0.1,
                        ledger_witness_urls=witness.url)  # fmt: skip
    application = create_app(settings, engine=platform.engine, ledger_keys=platform.keys, clock=platform.clock)
    witness_key = parse_verifier_key(witness.store.verifier_key)
    with TestClient(application) as client:
        deadline = time.monotonic() + 30
        while witness.store.held() is None or witness.store.name not in client.get("/api/v1/ledger/checkpoint").text:
            assert time.monotonic() < deadline, "the witness never received the checkpoint"
            time.sleep(0.1)
        note = open_note(client.get("/api/v1/ledger/checkpoint").text, [witness_key])
        assert [verifier.name for verifier in note.verifiers] == ["witness.notary.test"]
        registered = client.get("/api/v1/ledger/keys").json()["witnesses"]
        assert registered == [{"name": "witness.notary.test", "verifier_key": witness.store.verifier_key}]


def test_an_unreachable_witness_is_logged_and_retried_at_the_next_beat(
    platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = _free_port()
    client = WitnessClient(f"http://127.0.0.1:{port}", timeout=2)
    with caplog.at_level(logging.WARNING, logger="ggzy.ledger.witnessing"):
        send_to_witnesses(platform.factory, platform.keys, [client], now=platform.clock.now())
    assert "cannot be reached" in caplog.text
    assert "retrying at the next beat" in caplog.text

    store = WitnessStore(tmp_path / "late-witness", platform_keys=platform.keys.verifier_keys)
    with _serving(store, port):
        send_to_witnesses(platform.factory, platform.keys, [client], now=platform.clock.now())
        held = store.held()
    assert held is not None
    with platform.factory() as db:
        newest = db.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
        assert newest is not None
        assert held.checkpoint.size == newest.size


def test_the_witness_keeps_its_checkpoint_across_a_restart(platform: Platform, witness: Witness) -> None:
    _send(platform, witness)
    # The platform restarts, knowing nothing of the witness and having lost the cosignature (a crash before storing
    # it): the witness's 409 tells it the size it holds, and it cosigns the same checkpoint again.
    with unit_of_work(platform.factory) as db:
        db.execute(delete(LedgerCosignature))
    _send(platform, witness)
    with platform.factory() as db:
        assert db.scalar(select(LedgerCosignature.id)) is not None

    again = WitnessStore(witness.store.directory, platform_keys=platform.keys.verifier_keys)
    assert again.verifier_key == witness.store.verifier_key
    assert again.held() == witness.store.held()
    with pytest.raises(ValueError, match="is the storage of witness"):
        WitnessStore(witness.store.directory, platform_keys=platform.keys.verifier_keys, name="another.witness")
    info = json.loads(urllib.request.urlopen(f"{witness.url}/info", timeout=5).read())
    assert info["name"] == "witness.notary.test"
