"""The Ed25519 checkpoint key in a PKCS#11 token (SoftHSM, a real token in software): the platform signs there, and
someone with every file — the data directory and the SM2 key file — still cannot sign a checkpoint (issue 9, item 6).

Needs Debian's softhsm2 (``apt-get install softhsm2``; .ci/run installs it).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.cli import app as cli
from ggzy.config import get_settings
from ggzy.core.clock import FixedClock
from ggzy.core.db import unit_of_work
from ggzy.ledger.keys import LedgerKeys, load_ledger_keys
from ggzy.ledger.models import LedgerCheckpoint
from ggzy.ledger.note import Checkpoint, open_note, sign_note
from ggzy.ledger.pkcs11 import Pkcs11Ed25519Key
from ggzy.ledger.service import catch_up
from ggzy.ledger.verify import LedgerDamaged, verify_ledger
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW
from tests.factories import make_centres
from tests.ledger.test_file_level_attacker import _database_url, _said

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN, PIN = "ggzy-ledger-test", "87654321"


@pytest.fixture
def token(tmp_path: Path, fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SoftHSM token, and the platform's settings pointing at it; yields the SM2 key file's path."""
    assert SOFTHSM_MODULE.exists(), "SoftHSM is not installed: apt-get install softhsm2 (.ci/run does)"
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(config))
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--so-pin", "12345678", "--pin", PIN],
        check=True,
        capture_output=True,
    )
    key_file = tmp_path / "secrets" / "ledger-sm2.pem"
    for name, value in {
        "GGZY_DATA_DIR": str(tmp_path / "var"),
        "GGZY_DATABASE_URL": _database_url(fresh_engine),
        "GGZY_LEDGER_KEY_FILE": str(key_file),
        "GGZY_LEDGER_PKCS11_MODULE": str(SOFTHSM_MODULE),
        "GGZY_LEDGER_PKCS11_TOKEN": TOKEN,
        "GGZY_LEDGER_PKCS11_PIN": PIN,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GGZY_LEDGER_WITNESS_URLS", raising=False)
    get_settings.cache_clear()
    yield key_file
    get_settings.cache_clear()


def test_the_token_signs_checkpoints_and_the_files_alone_cannot(
    token: Path, fresh_engine: Engine, tmp_path: Path
) -> None:
    created = CliRunner().invoke(cli, ["ledger", "keygen", "--out", str(token)])
    assert created.exit_code == 0, created.output
    assert "generated in PKCS#11 token" in _said(created)
    assert token.read_text().count("BEGIN PRIVATE KEY") == 1  # the SM2 key alone: the Ed25519 key is in the token
    again = CliRunner().invoke(cli, ["ledger", "keygen", "--out", str(tmp_path / "other.pem")])
    assert again.exit_code == 1  # the token's key is never replaced
    assert "never overwritten" in _said(again)

    keys = load_ledger_keys(get_settings())
    assert isinstance(keys.ed25519_key, Pkcs11Ed25519Key)
    assert keys.custody_warning is None
    with pytest.raises(TypeError, match="cannot be exported"):
        keys.ed25519_key.private_bytes_raw()

    factory = session_factory(fresh_engine)
    with unit_of_work(factory) as db:
        make_centres(db)
    catch_up(factory, keys, FixedClock(TEST_NOW))
    with Session(fresh_engine) as db:
        checkpoint = db.scalar(select(LedgerCheckpoint))
        assert checkpoint is not None
        assert len(open_note(checkpoint.note, keys.verifiers).verifiers) == 2  # signed in the token, and with SM2
        assert verify_ledger(db, keys.verifiers).checkpoints == 1

    verified = CliRunner().invoke(cli, ["ledger", "verify"])
    assert verified.exit_code == 3, verified.output  # self-consistent; no witness configured here
    assert "signing keys are in the data directory" not in _said(verified)

    # Someone with every file: the database and the SM2 key, but a key of their own for Ed25519.
    thief = LedgerKeys.from_pem(
        token.read_text(), keys.origin, ed25519_key=LedgerKeys.generate(keys.origin).ed25519_key
    )
    with Session(fresh_engine) as db:
        checkpoint = db.scalar(select(LedgerCheckpoint))
        assert checkpoint is not None
        checkpoint.note = sign_note(
            Checkpoint(keys.origin, checkpoint.size, checkpoint.root_hash).body(), thief.signers
        )
        db.commit()
        with pytest.raises(LedgerDamaged, match="lacks a signature by one of the platform's keys"):
            verify_ledger(db, keys.verifiers)
    forged = CliRunner().invoke(cli, ["ledger", "verify"])
    assert forged.exit_code == 1, forged.output
