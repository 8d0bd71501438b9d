"""Recovering the staging area after a crash between a commit and the promotion of its blobs (decision 0004)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ggzy.cli import app
from ggzy.core.db import unit_of_work
from ggzy.entities.models import RevocationList, TrustAnchor
from ggzy.storage import MIB, LocalBlobStore, StagedBlob, stage_blob
from ggzy.storage.recovery import recover_staged_blobs
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW

GRACE = timedelta(hours=24)
NOW = datetime.now(UTC)  # file modification times are the real clock's


class CrashBeforePromotion(LocalBlobStore):
    """The process dies right after the database commit: nothing is promoted."""

    def promote(self, staged: StagedBlob) -> None:
        raise OSError("crashed")


def _commit_with_a_crash(engine: Engine, root: Path) -> tuple[str, str]:
    """Two blobs committed with rows that refer to them — one by a digest column, one inside a text document — and
    left in staged/ by the crash."""
    with unit_of_work(session_factory(engine)) as db:
        store = CrashBeforePromotion(root)
        crl = stage_blob(db, store, b"a revocation list", max_bytes=MIB)
        mentioned = stage_blob(db, store, b"a file named in a document", max_bytes=MIB)
        anchor = TrustAnchor(
            name="测试CA",
            suite="gm",
            fingerprint="f" * 64,
            certificate_pem=json.dumps({"files": [{"sha256": mentioned.sha256}]}),
            added_at=TEST_NOW,
        )
        db.add(anchor)
        db.flush()
        db.add(RevocationList(anchor_id=anchor.id, crl=b"", sha256=crl.sha256, received_at=TEST_NOW))
    return crl.sha256, mentioned.sha256


def _age(path: Path, by: timedelta) -> None:
    then = (NOW - by).timestamp()
    os.utime(path, (then, then))


def test_committed_blobs_left_staged_by_a_crash_are_promoted(fresh_engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    crl, mentioned = _commit_with_a_crash(fresh_engine, root)
    store = LocalBlobStore(root)
    assert not store.exists(crl)
    assert len(list((root / "staged").iterdir())) == 2
    for path in (root / "staged").iterdir():
        _age(path, 2 * GRACE)  # old or not, what a committed row refers to is published

    with session_factory(fresh_engine)() as db:
        report = recover_staged_blobs(db, store, now=NOW, grace=GRACE)

    assert sorted(report.promoted) == sorted([crl, mentioned])
    assert report.deleted == []
    assert store.open(crl).read() == b"a revocation list"
    assert store.open(mentioned).read() == b"a file named in a document"
    assert list((root / "staged").iterdir()) == []


def test_unreferenced_leftovers_are_deleted_after_the_grace_period_only(fresh_engine: Engine, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    old = store.stage(b"staged by a request that crashed before rolling back", max_bytes=MIB)
    young = store.stage(b"staged by a request still running", max_bytes=MIB)
    _age(store.root / "staged" / old.key, GRACE + timedelta(minutes=1))
    (store.root / "tmp").mkdir(parents=True, exist_ok=True)
    stale_upload = store.root / "tmp" / "upload-crashed.part"
    stale_upload.write_bytes(b"half an upload")
    _age(stale_upload, 2 * GRACE)
    fresh_upload = store.root / "tmp" / "upload-running.part"
    fresh_upload.write_bytes(b"an upload in progress")

    with session_factory(fresh_engine)() as db:
        report = recover_staged_blobs(db, store, now=NOW, grace=GRACE)

    assert report.deleted == [old.ref.sha256]
    assert report.kept == [young.ref.sha256]
    assert report.temporary_deleted == 1
    assert [path.name for path in (store.root / "staged").iterdir()] == [young.key]
    assert not stale_upload.exists()
    assert fresh_upload.exists()
    assert not store.exists(old.ref.sha256)


def test_a_referenced_staged_file_whose_bytes_changed_is_reported_not_published(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    root = tmp_path / "blobs"
    crl, _ = _commit_with_a_crash(fresh_engine, root)
    [damaged] = [path for path in (root / "staged").iterdir() if path.name.startswith(crl)]
    damaged.chmod(0o644)
    damaged.write_bytes(b"not what was committed")
    store = LocalBlobStore(root)

    with session_factory(fresh_engine)() as db:
        report = recover_staged_blobs(db, store, now=NOW, grace=GRACE)

    assert report.corrupt == [crl]
    assert not store.exists(crl)
    assert damaged.exists()


def test_ggzy_storage_recover_on_the_embedded_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ggzy.cli import _migrated_engine
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GGZY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        crl, mentioned = _commit_with_a_crash(_migrated_engine(), tmp_path / "var" / "blobs")
        result = CliRunner().invoke(app, ["storage", "recover", "--json"])
        assert result.exit_code == 0, result.output
        assert sorted(json.loads(result.output)["promoted"]) == sorted([crl, mentioned])
        assert LocalBlobStore(tmp_path / "var" / "blobs").exists(crl)
    finally:
        get_settings.cache_clear()


def test_starting_the_app_recovers_what_a_crash_left_staged_before_the_first_request_is_answered(
    fresh_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from ggzy.app import create_app
    from ggzy.config import Settings
    from tests.conftest import LEDGER_KEYS

    root = tmp_path / "var" / "blobs"
    crl, mentioned = _commit_with_a_crash(fresh_engine, root)  # as the crash left them: committed, still staged
    store = LocalBlobStore(root)
    old_leftover = store.stage(b"staged by a request that died before its rollback", max_bytes=MIB)
    _age(root / "staged" / old_leftover.key, 2 * GRACE)
    assert not store.exists(crl)
    app = create_app(
        Settings(data_dir=tmp_path / "var", ledger_background=False),
        engine=fresh_engine,
        secret_key=b"test-secret-key-test-secret-key!",
        ledger_keys=LEDGER_KEYS,
        blob_store=store,
    )

    with caplog.at_level("INFO", logger="ggzy.storage.recovery"), TestClient(app) as client:
        # the server has started and not yet answered anything: the staging area is settled already
        assert store.exists(crl)
        assert store.exists(mentioned)
        assert list((root / "staged").iterdir()) == []
        assert client.get("/api/v1/health").status_code == 200

    assert store.open(crl).read() == b"a revocation list"
    assert not store.exists(old_leftover.ref.sha256)
    [logged] = [record for record in caplog.records if record.name == "ggzy.storage.recovery"]
    assert "promoted 2, deleted 1" in logged.getMessage()
