"""The blob store: streamed, content-addressed, size- and digest-checked, and tied to the transaction that wrote it."""

from __future__ import annotations

import hashlib
import io
import random
import stat
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from ggzy.config import Settings
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import SYSTEM
from ggzy.entities import service as entities
from ggzy.entities.models import Centre
from ggzy.storage import (
    MIB,
    BlobDigestMismatch,
    BlobNotFound,
    BlobRef,
    BlobStore,
    BlobTooLarge,
    InvalidBlobDigest,
    LocalBlobStore,
    StagedBlob,
    blob_store_for,
    open_blob,
    pending_blobs,
    stage_blob,
)
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW

LIMIT = 50 * MIB


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def objects_in(store: LocalBlobStore) -> list[Path]:
    return files_under(store.root / "objects")


def pseudo_random_chunks(total: int, chunk_size: int, *, seed: int = 7) -> Iterator[bytes]:
    """``total`` bytes, generated piece by piece so the test itself never holds them whole."""
    generator = random.Random(seed)
    remaining = total
    while remaining > 0:
        size = min(chunk_size, remaining)
        remaining -= size
        yield generator.randbytes(size)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_all(store: BlobStore, sha256: str) -> bytes:
    with store.open(sha256) as file:
        return file.read()


# Streaming and content addressing


def test_streaming_put_of_20_mb_gives_its_digest_and_size_without_holding_it_in_memory(store: LocalBlobStore) -> None:
    total = 20 * MIB
    expected = hashlib.sha256()
    for chunk in pseudo_random_chunks(total, 64 * 1024):
        expected.update(chunk)

    tracemalloc.start()
    try:
        ref = store.put(pseudo_random_chunks(total, 64 * 1024), max_bytes=LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ref == BlobRef(sha256=expected.hexdigest(), size=total)
    assert peak < 5 * MIB
    assert store.size(ref.sha256) == total
    streamed = hashlib.sha256()
    for chunk in store.read_chunks(ref.sha256):
        assert len(chunk) <= MIB
        streamed.update(chunk)
    assert streamed.hexdigest() == ref.sha256


def test_blob_is_stored_at_its_digest_fanned_out_and_read_only(store: LocalBlobStore) -> None:
    ref = store.put(b"tender document", max_bytes=LIMIT)

    path = store.path_of(ref.sha256)
    assert path == store.root / "objects" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert path.read_bytes() == b"tender document"
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert files_under(store.root) == [path]


def test_identical_content_is_stored_once(store: LocalBlobStore) -> None:
    first = store.put(b"same bid file", max_bytes=LIMIT)
    second = store.put([b"same ", b"bid ", b"file"], max_bytes=LIMIT)
    third = store.put(io.BytesIO(b"same bid file"), max_bytes=LIMIT)

    assert first == second == third == BlobRef(sha256=sha256_of(b"same bid file"), size=13)
    assert objects_in(store) == [store.path_of(first.sha256)]
    assert files_under(store.root / "tmp") == []


def test_file_object_is_read_in_one_mib_chunks(store: LocalBlobStore) -> None:
    class RecordingFile(io.BytesIO):
        def __init__(self, data: bytes) -> None:
            super().__init__(data)
            self.requested: list[int] = []

        def read(self, size: int | None = -1, /) -> bytes:
            self.requested.append(-1 if size is None else size)
            return super().read(size)

    data = bytes(range(256)) * (10 * 1024)  # 2.5 MiB
    source = RecordingFile(data)

    ref = store.put(source, max_bytes=LIMIT)

    assert ref == BlobRef(sha256=sha256_of(data), size=len(data))
    assert set(source.requested) == {MIB}
    assert read_all(store, ref.sha256) == data


def test_empty_blob_is_a_blob(store: LocalBlobStore) -> None:
    ref = store.put([], max_bytes=0)
    assert ref == BlobRef(sha256=sha256_of(b""), size=0)
    assert read_all(store, ref.sha256) == b""


# Refusals leave nothing behind


def test_too_large_upload_is_refused_at_the_limit_and_leaves_no_file(store: LocalBlobStore) -> None:
    consumed = 0

    def upload() -> Iterator[bytes]:
        nonlocal consumed
        for chunk in pseudo_random_chunks(10 * MIB, 256 * 1024):
            consumed += len(chunk)
            yield chunk

    with pytest.raises(BlobTooLarge) as refused:
        store.put(upload(), max_bytes=2 * MIB)

    assert refused.value.status == 413
    assert refused.value.code == "blob_too_large"
    assert "2 MB" in refused.value.detail_en
    assert "2 MB" in refused.value.detail_zh
    assert consumed <= 2 * MIB + 256 * 1024  # it stopped reading instead of draining the upload
    assert files_under(store.root) == []


def test_upload_of_exactly_the_limit_is_accepted(store: LocalBlobStore) -> None:
    ref = store.put(b"x" * 1000, max_bytes=1000)
    assert ref.size == 1000
    with pytest.raises(BlobTooLarge):
        store.put(b"x" * 1001, max_bytes=1000)


def test_digest_mismatch_is_refused_and_leaves_no_file(store: LocalBlobStore) -> None:
    with pytest.raises(BlobDigestMismatch) as refused:
        store.put([b"bid ", b"corrupted in transit"], max_bytes=LIMIT, expected_sha256=sha256_of(b"bid as signed"))

    assert refused.value.status == 422
    assert refused.value.code == "blob_digest_mismatch"
    assert sha256_of(b"bid as signed") in refused.value.detail_en
    assert files_under(store.root) == []


def test_matching_expected_digest_is_accepted(store: LocalBlobStore) -> None:
    ref = store.put(b"bid as signed", max_bytes=LIMIT, expected_sha256=sha256_of(b"bid as signed"))
    assert store.exists(ref.sha256)


BAD_DIGESTS = [
    "../../etc/passwd",
    "../" * 21 + "a",
    "/etc/passwd",
    "A" * 64,
    sha256_of(b"x").upper(),
    sha256_of(b"x")[:63],
    sha256_of(b"x") + "0",
    sha256_of(b"x")[:62] + "/.",
    sha256_of(b"x") + "\n",
    "g" * 64,
    "",
]


@pytest.mark.parametrize("digest", BAD_DIGESTS)
def test_malformed_digest_is_rejected_everywhere_so_no_path_escapes_the_root(
    store: LocalBlobStore, digest: str
) -> None:
    store.put(b"anything", max_bytes=LIMIT)
    for use in (store.open, store.exists, store.size, store.path_of, store.read_chunks):
        with pytest.raises(InvalidBlobDigest) as refused:
            use(digest)
        assert refused.value.status == 422
        assert refused.value.code == "invalid_blob_digest"
    with pytest.raises(InvalidBlobDigest):
        store.put(b"anything", max_bytes=LIMIT, expected_sha256=digest)
    assert len(files_under(store.root)) == 1


def test_missing_blob_is_not_found(store: LocalBlobStore) -> None:
    missing = sha256_of(b"never stored")
    assert not store.exists(missing)
    for use in (store.open, store.size, store.path_of, store.read_chunks):
        with pytest.raises(BlobNotFound) as refused:
            use(missing)
        assert refused.value.status == 404
        assert refused.value.code == "blob_not_found"
        assert refused.value.problem()["code"] == "blob_not_found"


# Concurrency and round trips


def test_concurrent_puts_of_the_same_content_end_with_one_object_and_no_temporary_files(store: LocalBlobStore) -> None:
    writers = 8
    start = threading.Barrier(writers)
    refs: list[BlobRef] = []
    failures: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            refs.append(store.put(pseudo_random_chunks(3 * MIB, 64 * 1024), max_bytes=LIMIT))
        except BaseException as error:  # collected and asserted below: a thread's exception would be lost
            failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(refs) == writers
    assert len(set(refs)) == 1
    assert objects_in(store) == [store.path_of(refs[0].sha256)]
    assert files_under(store.root / "tmp") == []
    assert store.size(refs[0].sha256) == 3 * MIB


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=4096), piece=st.integers(min_value=1, max_value=600))
def test_any_bytes_round_trip_in_any_chunking(store: LocalBlobStore, content: bytes, piece: int) -> None:
    chunks = [content[start : start + piece] for start in range(0, len(content), piece)]

    ref = store.put(chunks, max_bytes=len(content))

    assert ref == BlobRef(sha256=sha256_of(content), size=len(content))
    assert read_all(store, ref.sha256) == content
    assert b"".join(store.read_chunks(ref.sha256, chunk_size=piece)) == content


def test_store_for_settings_lives_in_the_data_directory(tmp_path: Path) -> None:
    store = blob_store_for(Settings(data_dir=tmp_path))
    assert isinstance(store, BlobStore)
    assert store.root == tmp_path / "blobs"


# Staging: a blob belongs to the transaction that wrote it (DESIGN §4.6)


def test_staged_blob_is_published_on_commit_and_readable_after(db: Session, store: LocalBlobStore) -> None:
    db.execute(text("SELECT 1"))
    ref = stage_blob(db, store, [b"bid ", b"envelope"], max_bytes=LIMIT)
    assert not store.exists(ref.sha256)

    db.commit()

    assert read_all(store, ref.sha256) == b"bid envelope"
    assert files_under(store.root / "staged") == []
    assert pending_blobs(db) == []


def test_staged_blob_is_deleted_on_rollback(db: Session, store: LocalBlobStore) -> None:
    db.execute(text("SELECT 1"))
    ref = stage_blob(db, store, b"bid of a failed request", max_bytes=LIMIT)
    assert files_under(store.root) != []

    db.rollback()

    assert not store.exists(ref.sha256)
    assert files_under(store.root) == []
    assert pending_blobs(db) == []


def test_several_blobs_staged_in_one_transaction_are_all_published(db: Session, store: LocalBlobStore) -> None:
    refs = [
        stage_blob(db, store, b"technical part", max_bytes=LIMIT),
        stage_blob(db, store, b"commercial part", max_bytes=LIMIT),
        stage_blob(db, store, b"technical part", max_bytes=LIMIT),  # the same file attached twice
    ]
    assert pending_blobs(db) == refs

    db.commit()

    assert [read_all(store, ref.sha256) for ref in refs] == [b"technical part", b"commercial part", b"technical part"]
    assert len(objects_in(store)) == 2
    assert files_under(store.root / "staged") == []


def test_staged_blob_is_readable_inside_its_transaction_but_published_only_by_commit(
    db: Session, store: LocalBlobStore
) -> None:
    ref = stage_blob(db, store, b"draft report", max_bytes=LIMIT)

    with open_blob(db, store, ref.sha256) as file:
        assert file.read() == b"draft report"
    assert not store.exists(ref.sha256)
    with pytest.raises(BlobNotFound):
        store.open(ref.sha256)

    db.commit()
    with open_blob(db, store, ref.sha256) as file:
        assert file.read() == b"draft report"


def test_one_session_settles_each_of_its_transactions_on_its_own(db: Session, store: LocalBlobStore) -> None:
    kept = stage_blob(db, store, b"first, committed", max_bytes=LIMIT)
    db.commit()
    dropped = stage_blob(db, store, b"second, rolled back", max_bytes=LIMIT)
    db.rollback()
    kept_too = stage_blob(db, store, b"third, committed", max_bytes=LIMIT)
    db.commit()

    assert store.exists(kept.sha256)
    assert not store.exists(dropped.sha256)
    assert store.exists(kept_too.sha256)
    assert len(objects_in(store)) == 2
    assert files_under(store.root / "staged") == []


def test_blob_staged_in_a_rolled_back_savepoint_is_deleted_while_the_outer_transaction_commits(
    db: Session, store: LocalBlobStore
) -> None:
    outer = stage_blob(db, store, b"outer", max_bytes=LIMIT)
    savepoint = db.begin_nested()
    inner = stage_blob(db, store, b"inner", max_bytes=LIMIT)
    savepoint.rollback()
    assert pending_blobs(db) == [outer]

    db.commit()

    assert store.exists(outer.sha256)
    assert not store.exists(inner.sha256)
    assert files_under(store.root / "staged") == []


def test_blob_staged_in_a_released_savepoint_is_deleted_when_the_outer_transaction_rolls_back(
    db: Session, store: LocalBlobStore
) -> None:
    with db.begin_nested():
        inner = stage_blob(db, store, b"inner", max_bytes=LIMIT)
    assert not store.exists(inner.sha256)  # releasing a SAVEPOINT publishes nothing

    db.rollback()

    assert not store.exists(inner.sha256)
    assert files_under(store.root) == []


def test_closing_a_session_without_commit_deletes_its_staged_blobs(db: Session, store: LocalBlobStore) -> None:
    ref = stage_blob(db, store, b"abandoned", max_bytes=LIMIT)
    db.close()
    assert not store.exists(ref.sha256)
    assert files_under(store.root) == []


def test_refused_staged_blob_leaves_nothing_and_is_not_pending(db: Session, store: LocalBlobStore) -> None:
    with pytest.raises(BlobTooLarge):
        stage_blob(db, store, pseudo_random_chunks(3 * MIB, 64 * 1024), max_bytes=MIB)
    with pytest.raises(BlobDigestMismatch):
        stage_blob(db, store, b"bid", max_bytes=LIMIT, expected_sha256=sha256_of(b"other"))
    assert pending_blobs(db) == []
    db.commit()
    assert files_under(store.root) == []


def test_failed_request_leaves_neither_row_nor_file_and_a_successful_one_keeps_both(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    factory = session_factory(fresh_engine)
    store = LocalBlobStore(tmp_path / "blobs")

    with pytest.raises(RuntimeError), unit_of_work(factory) as db:
        entities.create_centre(db, SYSTEM, name="失败的中心", region_code="530000", parent_id=None, now=TEST_NOW)
        failed = stage_blob(db, store, b"attachment of a failed request", max_bytes=LIMIT)
        raise RuntimeError("the request fails after the upload")
    with unit_of_work(factory) as db:
        entities.create_centre(db, SYSTEM, name="成功的中心", region_code="530000", parent_id=None, now=TEST_NOW)
        kept = stage_blob(db, store, b"attachment of a good request", max_bytes=LIMIT)

    with Session(fresh_engine) as db:
        assert db.scalars(select(Centre.name)).all() == ["成功的中心"]
        assert db.scalar(select(func.count()).select_from(Centre)) == 1
    assert not store.exists(failed.sha256)
    assert read_all(store, kept.sha256) == b"attachment of a good request"
    assert files_under(store.root) == [store.path_of(kept.sha256)]


def test_commit_stands_when_publishing_fails_and_the_staged_file_is_kept(
    db: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenDisk(LocalBlobStore):
        def promote(self, staged: StagedBlob) -> None:
            raise OSError("disk full")

    store = BrokenDisk(tmp_path / "blobs")
    ref = stage_blob(db, store, b"committed bid", max_bytes=LIMIT)

    db.commit()  # the database has committed: this must not raise

    assert "could not be published" in caplog.text
    assert not store.exists(ref.sha256)
    [kept] = files_under(store.root / "staged")
    assert kept.name.startswith(ref.sha256)
    assert kept.read_bytes() == b"committed bid"
