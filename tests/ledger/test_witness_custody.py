"""A witness keeps what it cosigned even when part of its storage is lost, pins the platform's keys, and the
platform and ``ggzy ledger verify`` notice a witness that forgot or lags (docs/ledger.md "Threat model"; security
review findings 2, 6 and 7 of issue 9).

The witness is real (``ggzy.ledger.witness_server`` served by uvicorn); the platform is the demo on SQLite and on
PostgreSQL, its keys in its data directory as under ``make run``.
"""

from __future__ import annotations

import json
import logging
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ggzy.cli import app as cli
from ggzy.ledger.keys import LedgerKeys
from ggzy.ledger.models import LedgerCosignature
from ggzy.ledger.witness_server import WitnessStorageError, WitnessStore
from ggzy.ledger.witnessing import WitnessClient, WitnessRefused, send_checkpoint, send_to_witnesses
from tests.ledger import test_file_level_attacker
from tests.ledger.test_file_level_attacker import (
    Platform,
    Witness,
    _more_events,
    _rewrite_opening_price_and_resign,
    _said,
    _send,
    _serving,
    _verify,
)

platform = test_file_level_attacker.platform  # the fixture: the demo, its keys in its data directory


def _info(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/info", timeout=10) as response:
        return dict(json.loads(response.read()))


# --- finding 2: a witness that lost its checkpoint file does not take a rewritten log as its first ---------------


def test_removing_the_witness_checkpoint_file_does_not_make_it_take_a_rewritten_history_as_its_first(
    platform: Platform,
) -> None:
    """The review's attack: with the witness's storage inside the data directory (the old `make run` layout), the
    attacker rewrites and re-signs the ledger and removes the witness's checkpoints; the next beat must not get the
    rewritten checkpoint cosigned, and verify against the witness still exits 1."""
    witness_dir = platform.data_dir / "witness"
    store = WitnessStore(witness_dir, platform_keys=platform.keys.verifier_keys)
    with _serving(store) as url:
        _send(platform, Witness(store, url))
        held = store.held()
        assert held is not None
        assert _verify("--witness", url).exit_code == 0
        _rewrite_opening_price_and_resign(platform)
        assert _verify("--witness", url).exit_code == 1
        shutil.rmtree(witness_dir / "checkpoints")

        with pytest.raises(WitnessRefused, match="fork"):  # next beat: the witness still holds its checkpoint
            send_checkpoint(platform.factory, platform.keys, WitnessClient(url), now=platform.clock.now())
        assert store.held() == held  # kept in its record, the second copy
        with platform.factory() as db:  # and the platform stored no cosignature for the rewritten checkpoint
            assert db.scalar(select(func.count()).select_from(LedgerCosignature)) == 0
        result = _verify("--witness", url, "--witness-key", store.verifier_key)
    assert result.exit_code == 1, result.output
    assert "history was rewritten" in _said(result)


def test_a_witness_whose_record_is_gone_refuses_to_cosign_until_its_operator_resets_it(
    platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    witness_dir = tmp_path / "witness-data"
    store = WitnessStore(witness_dir, platform_keys=platform.keys.verifier_keys)
    with _serving(store) as url:
        _send(platform, Witness(store, url))
        (witness_dir / "witness.json").unlink()
        shutil.rmtree(witness_dir / "checkpoints")
        _rewrite_opening_price_and_resign(platform)
        with caplog.at_level(logging.ERROR):
            send_to_witnesses(platform.factory, platform.keys, [WitnessClient(url)], now=platform.clock.now())
        assert "WITNESS STORAGE REFUSED" in caplog.text
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/checkpoint", timeout=10)
        assert refused.value.code == 503
    assert not (witness_dir / "witness.json").exists()  # the refusal wrote nothing
    assert not (witness_dir / "checkpoints").exists()
    with pytest.raises(WitnessStorageError, match="--reset"):  # nor does it start again as if new
        WitnessStore(witness_dir, platform_keys=platform.keys.verifier_keys)
    started = CliRunner().invoke(cli, ["witness", "serve", "--dir", str(witness_dir),
                                       *[f"--platform-key={key}" for key in platform.keys.verifier_keys]])  # fmt: skip
    assert started.exit_code == 1
    assert "--reset" in _said(started)

    reset = WitnessStore(witness_dir, platform_keys=platform.keys.verifier_keys, reset=True)
    assert reset.verifier_key == store.verifier_key  # the operator re-initialised it: same key, nothing held
    assert reset.held() is None
    assert [entry["platform_keys"] for entry in reset.resets] == [platform.keys.verifier_keys]


# --- finding 2: the platform and verify notice a witness that reports less than it cosigned ----------------------


def test_a_witness_restored_from_an_old_backup_is_reported_by_the_platform_and_by_verify(
    platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    witness_dir, backup = tmp_path / "witness-data", tmp_path / "witness-backup"
    store = WitnessStore(witness_dir, platform_keys=platform.keys.verifier_keys)
    with _serving(store) as url:
        _send(platform, Witness(store, url))
        shutil.copytree(witness_dir, backup)
        _more_events(platform)
        _send(platform, Witness(store, url))
        newest = store.held()
        assert newest is not None
        shutil.rmtree(witness_dir)
        shutil.copytree(backup, witness_dir)  # its storage rolled back: it now holds the older checkpoint
        older = store.held()
        assert older is not None
        assert older.checkpoint.size < newest.checkpoint.size

        with caplog.at_level(logging.ERROR, logger="ggzy.ledger.witnessing"):
            send_to_witnesses(platform.factory, platform.keys, [WitnessClient(url)], now=platform.clock.now())
        assert "LEDGER WITNESS FORGOT" in caplog.text
        assert f"holds size {older.checkpoint.size}" in caplog.text
        assert store.held() == older  # not fed again as if nothing had happened
        result = _verify("--witness", url, "--witness-key", store.verifier_key)
        assert result.exit_code == 1, result.output
        assert "WITNESS FORGOT" in _said(result)
        assert f"cosignature on {newest.checkpoint.size}" in _said(result)

    # Its operator looks, and resets it explicitly: the platform then sends it the ledger again, with a warning.
    reset = WitnessStore(witness_dir, platform_keys=platform.keys.verifier_keys, reset=True)
    with _serving(reset) as url, caplog.at_level(logging.WARNING, logger="ggzy.ledger.witnessing"):
        assert _info(url)["resets"][0]["forgot_sizes"] == {platform.keys.origin: older.checkpoint.size}
        send_to_witnesses(platform.factory, platform.keys, [WitnessClient(url)], now=platform.clock.now())
        assert "LEDGER WITNESS RESET" in caplog.text
        again = reset.held()
        assert again is not None
        assert again.checkpoint.size == newest.checkpoint.size
        assert _verify("--witness", url, "--witness-key", reset.verifier_key).exit_code == 0


# --- finding 6: a witness that is behind ------------------------------------------------------------------------


def test_verify_exits_3_when_entries_wait_beyond_the_grace_for_a_witness(platform: Platform, tmp_path: Path) -> None:
    store = WitnessStore(tmp_path / "witness-data", platform_keys=platform.keys.verifier_keys)
    with _serving(store) as url:
        _send(platform, Witness(store, url))
        held = store.held()
        assert held is not None
        _more_events(platform)  # the platform goes on; the witness is not sent the new checkpoint

        behind = _verify("--witness", url)
        assert behind.exit_code == 3, behind.output
        assert "NOT WITNESSED" in _said(behind)
        assert f"beyond the newest checkpoint any witness holds (size {held.checkpoint.size})" in _said(behind)
        assert "ONLY SELF-CONSISTENT" in _said(behind)

        # Within the grace (the entries are a few beats old), the not yet cosigned tail is named but tolerated.
        within = _verify("--witness", url, "--grace-seconds", str(10**9))
        assert within.exit_code == 0, within.output
        assert "not yet cosigned" in _said(within)

        _send(platform, Witness(store, url))  # the witness catches up
        assert _verify("--witness", url).exit_code == 0


# --- finding 7: the witness pins the platform's keys -------------------------------------------------------------


def test_the_witness_pins_the_platform_keys_at_its_first_start_and_refuses_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    origin = "ggzy.local/ledger"
    keys, replaced = LedgerKeys.generate(origin), LedgerKeys.generate(origin)
    witness_dir = tmp_path / "witness-data"
    first = WitnessStore(witness_dir, platform_keys=keys.verifier_keys)
    record = json.loads((witness_dir / "witness.json").read_text())
    assert record["platform_keys"] == keys.verifier_keys

    again = WitnessStore(witness_dir, platform_keys=keys.verifier_keys)  # `make run` restarts with the same keys
    assert again.verifier_key == first.verifier_key

    with caplog.at_level(logging.ERROR), pytest.raises(WitnessStorageError, match="pinned the platform keys"):
        WitnessStore(witness_dir, platform_keys=replaced.verifier_keys)
    assert "WITNESS STORAGE REFUSED" in caplog.text
    served = CliRunner().invoke(cli, ["witness", "serve", "--dir", str(witness_dir),
                                      *[f"--platform-key={key}" for key in replaced.verifier_keys]])  # fmt: skip
    assert served.exit_code == 1
    assert "the platform's keys were replaced" in _said(served)
    assert json.loads((witness_dir / "witness.json").read_text()) == record  # refused: nothing changed

    reset = WitnessStore(witness_dir, platform_keys=replaced.verifier_keys, reset=True)  # the operator's choice
    assert reset.verifier_key == first.verifier_key
    assert [verifier.verifier_key for verifier in reset.platform] == replaced.verifier_keys
    assert reset.resets[0]["platform_keys_before"] == keys.verifier_keys
    assert WitnessStore(witness_dir, platform_keys=replaced.verifier_keys).resets == reset.resets


def test_a_witness_record_from_before_pinning_pins_the_keys_it_is_started_with(tmp_path: Path) -> None:
    keys = LedgerKeys.generate("ggzy.local/ledger")
    witness_dir = tmp_path / "witness-data"
    WitnessStore(witness_dir, platform_keys=keys.verifier_keys, name="witness.old.test")
    (witness_dir / "witness.json").write_text(json.dumps({"name": "witness.old.test"}))  # the older record
    upgraded = WitnessStore(witness_dir, platform_keys=keys.verifier_keys)
    assert upgraded.name == "witness.old.test"
    assert json.loads((witness_dir / "witness.json").read_text())["platform_keys"] == keys.verifier_keys
    with pytest.raises(WitnessStorageError):
        WitnessStore(witness_dir, platform_keys=LedgerKeys.generate("ggzy.local/ledger").verifier_keys)
