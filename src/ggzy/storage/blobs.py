"""A content-addressed blob store: every file is named by the SHA-256 of its bytes and stored once.

Uploads are streamed (bids run to hundreds of MB, DESIGN §7): the bytes are hashed while they are written to a
temporary file, which is fsynced and then renamed into place, so a reader never sees half a blob and a crash
leaves at most a stray temporary file. Objects are immutable and read-only on disk.

Layout under the store's root::

    objects/ab/cd/<sha256>   the blobs
    tmp/                     uploads in progress
    staged/<sha256>.<random> blobs written by a transaction that has not committed yet (see ``ggzy.storage.staging``)

:class:`BlobStore` is the seam for an S3-compatible store later; :class:`LocalBlobStore` is the embedded default.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from ggzy.config import Settings
from ggzy.storage.errors import BlobDigestMismatch, BlobNotFound, BlobTooLarge, InvalidBlobDigest

MIB = 1024 * 1024
CHUNK_SIZE = MIB

# What a put accepts: the whole content (small files), a binary file object (read in CHUNK_SIZE pieces), or any
# iterable of byte chunks (an upload stream).
BlobSource = bytes | BinaryIO | Iterable[bytes]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_STAGED_NAME = re.compile(r"[0-9a-f]{64}\.[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class BlobRef:
    """What a stored blob is known by: its SHA-256 (lowercase hex) and its size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class StagedBlob:
    """A blob written but not yet published: ``key`` is its place in the store's staging area (opaque to callers)."""

    ref: BlobRef
    key: str


def validate_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is exactly 64 lowercase hex digits, else raise :class:`InvalidBlobDigest`.

    Strict on purpose: a digest becomes a file path, so nothing else (``..``, ``/``, uppercase twins) may pass.
    """
    if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
        raise InvalidBlobDigest(field="sha256")
    return sha256


def format_megabytes(size: int) -> str:
    """A size limit as people write it: ``20`` for 20 MiB, ``1.5`` for 1.5 MiB."""
    megabytes = size / MIB
    if megabytes >= 1:
        return f"{megabytes:.1f}".removesuffix(".0")
    return f"{megabytes:.3g}"


@runtime_checkable
class BlobStore(Protocol):
    """What the platform needs from a blob store; the local directory and, later, an S3 bucket provide it."""

    def put(self, source: BlobSource, *, max_bytes: int, expected_sha256: str | None = None) -> BlobRef: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def read_chunks(self, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]: ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def stage(self, source: BlobSource, *, max_bytes: int, expected_sha256: str | None = None) -> StagedBlob: ...

    def open_staged(self, staged: StagedBlob) -> BinaryIO: ...

    def promote(self, staged: StagedBlob) -> None: ...

    def discard(self, staged: StagedBlob) -> None: ...


class LocalBlobStore:
    """A :class:`BlobStore` in a local directory (the embedded platform, or a shared volume)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._tmp = self.root / "tmp"
        self._staged = self.root / "staged"

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    # Writing

    def put(self, source: BlobSource, *, max_bytes: int, expected_sha256: str | None = None) -> BlobRef:
        """Store the content (streamed) and return its reference; identical content is stored once.

        Raises :class:`BlobTooLarge` as soon as more than ``max_bytes`` arrive, and :class:`BlobDigestMismatch` if
        ``expected_sha256`` is given and differs; either way nothing is left on disk.
        """
        temporary, ref = self._receive(source, max_bytes=max_bytes, expected_sha256=expected_sha256)
        self._install(temporary, ref)
        return ref

    def stage(self, source: BlobSource, *, max_bytes: int, expected_sha256: str | None = None) -> StagedBlob:
        """Write the content into the staging area, not yet visible by its digest; then :meth:`promote` or
        :meth:`discard` it."""
        temporary, ref = self._receive(source, max_bytes=max_bytes, expected_sha256=expected_sha256)
        staged = StagedBlob(ref=ref, key=f"{ref.sha256}.{secrets.token_hex(16)}")
        try:
            self._staged.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, self._staged / staged.key)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return staged

    def promote(self, staged: StagedBlob) -> None:
        """Publish a staged blob under its digest (or drop the staged copy if the object already exists)."""
        self._install(self._staged_path(staged), staged.ref)

    def discard(self, staged: StagedBlob) -> None:
        self._staged_path(staged).unlink(missing_ok=True)

    # Recovery (``ggzy.storage.recovery``)

    def staged_blobs(self) -> Iterator[tuple[StagedBlob, datetime]]:
        """What the staging area holds, with each file's modification time (files not named as staged blobs are
        not ours and are skipped)."""
        if not self._staged.is_dir():
            return
        for path in sorted(self._staged.iterdir()):
            if _STAGED_NAME.fullmatch(path.name) is None or not path.is_file():
                continue
            status = path.stat()
            ref = BlobRef(sha256=path.name.split(".")[0], size=status.st_size)
            yield StagedBlob(ref=ref, key=path.name), datetime.fromtimestamp(status.st_mtime, UTC)

    def has_leftovers(self) -> bool:
        """Whether anything is staged or a temporary upload exists: what a crash may have left."""
        staged = self._staged.is_dir() and any(self._staged.iterdir())
        return staged or (self._tmp.is_dir() and any(self._tmp.glob("upload-*.part")))

    def delete_temporaries(self, *, older_than: datetime) -> int:
        """Delete uploads left in ``tmp/`` by a crash (last written before ``older_than``); returns how many."""
        if not self._tmp.is_dir():
            return 0
        deleted = 0
        for path in self._tmp.glob("upload-*.part"):
            if datetime.fromtimestamp(path.stat().st_mtime, UTC) < older_than:
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    # Reading

    def open(self, sha256: str) -> BinaryIO:
        """Open a blob for streaming reads (the caller closes it)."""
        try:
            return self._object_path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256=sha256) from None

    def open_staged(self, staged: StagedBlob) -> BinaryIO:
        try:
            return self._staged_path(staged).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256=staged.ref.sha256) from None

    def read_chunks(self, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The blob's bytes in pieces of at most ``chunk_size``; raises :class:`BlobNotFound` at once, not lazily."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        path = self.path_of(sha256)
        return _read_file_chunks(path, chunk_size)

    def exists(self, sha256: str) -> bool:
        return self._object_path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._object_path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256=sha256) from None

    def path_of(self, sha256: str) -> Path:
        """The blob's file, for zero-copy serving (``sendfile``); raises :class:`BlobNotFound` if it is missing."""
        path = self._object_path(sha256)
        if not path.is_file():
            raise BlobNotFound(sha256=sha256)
        return path

    # Internals

    def _object_path(self, sha256: str) -> Path:
        validate_sha256(sha256)
        return self._objects / sha256[:2] / sha256[2:4] / sha256

    def _staged_path(self, staged: StagedBlob) -> Path:
        if _STAGED_NAME.fullmatch(staged.key) is None or not staged.key.startswith(staged.ref.sha256):
            raise ValueError(f"not a staged blob of this store: {staged.key!r}")
        return self._staged / staged.key

    def _receive(self, source: BlobSource, *, max_bytes: int, expected_sha256: str | None) -> tuple[Path, BlobRef]:
        """Stream ``source`` into a fsynced, read-only temporary file; return it with the content's reference."""
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        if expected_sha256 is not None:
            validate_sha256(expected_sha256)
        self._tmp.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self._tmp, prefix="upload-", suffix=".part")
        temporary = Path(name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(descriptor, "wb") as file:
                for chunk in _chunks_of(source):
                    size += len(chunk)
                    if size > max_bytes:  # stop reading now: the rest of an oversized upload is never consumed
                        raise BlobTooLarge(limit_mb=format_megabytes(max_bytes), max_bytes=max_bytes)
                    digest.update(chunk)
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            actual = digest.hexdigest()
            if expected_sha256 is not None and actual != expected_sha256:
                raise BlobDigestMismatch(expected=expected_sha256, actual=actual)
            temporary.chmod(0o444)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return temporary, BlobRef(sha256=actual, size=size)

    def _install(self, source: Path, ref: BlobRef) -> None:
        """Move a complete file to its object path, unless an intact copy is already there."""
        target = self._object_path(ref.sha256)
        try:
            if _has_size(target, ref.size):
                source.unlink()
                return
            target.parent.mkdir(parents=True, exist_ok=True)
            # Atomic; if another writer got there first, its file has the same bytes, so replacing it is harmless.
            os.replace(source, target)
        except BaseException:
            source.unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)


def blob_store_for(settings: Settings) -> LocalBlobStore:
    """The platform's blob store: ``<data_dir>/blobs``."""
    return LocalBlobStore(Path(settings.data_dir) / "blobs")


def _chunks_of(source: BlobSource) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield bytes(source)
    elif hasattr(source, "read"):  # before the iterable case: a file object iterates by lines
        while chunk := source.read(CHUNK_SIZE):
            yield chunk
    else:
        yield from source


def _read_file_chunks(path: Path, chunk_size: int) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(chunk_size):
            yield chunk


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
