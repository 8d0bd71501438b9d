"""The bid package, the envelope's plaintext: a POSIX tar (pax format) holding ``bid.json`` (the opening summary),
the bid files under ``files/`` sorted by name, and last ``bid.sig``, the inner signature over
``{"lot", "summary", "files": [{"name", "size", "sha256"}]}``.

Written with ``tarfile`` (:func:`write_package`). Read with :class:`PackageReader`, a push parser fed the decrypted
chunks as they are authenticated: it hashes each file as its bytes pass (slices of the decrypted chunk, not copies)
and hands them to a sink only if the caller wants them, so verifying a bid costs one pass over its plaintext and no
buffering beyond one chunk. It reads the tar headers with ``tarfile.TarInfo.frombuf`` (checksums, ustar prefixes,
the old formats) and handles the pax extended headers (``path``, ``size``) and GNU long names itself; any member
that is not a regular file is refused, and whatever follows the end-of-archive block is ignored (docs/envelope.md §3).
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from ggzy.crypto.envelope.common import (
    FILES_PREFIX,
    MAX_FILE_NAME_BYTES,
    MAX_SIGNATURE_SIZE,
    MAX_SUMMARY_SIZE,
    SIGNATURE_MEMBER,
    SUMMARY_MEMBER,
    canonical_json,
    expect,
    invalid,
    parse_json,
)
from ggzy.crypto.envelope.stream import StreamSealer
from ggzy.crypto.suites import PrivateKey

_BLOCK: Final = tarfile.BLOCKSIZE
_MAX_EXTENDED_HEADER: Final = 1 << 16
_EXTENDED_TYPES: Final = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME)
_PLAIN_TYPES: Final = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)


@dataclass(frozen=True)
class BidFile:
    name: str
    size: int
    sha256: str

    def to_document(self) -> dict[str, object]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


def check_file_name(name: str) -> None:
    """A relative POSIX path of non-empty components, no ``.``/``..``, backslash or control characters."""
    expect(
        isinstance(name, str)
        and 0 < len(name.encode("utf-8", errors="replace")) <= MAX_FILE_NAME_BYTES
        and all(part not in ("", ".", "..") for part in name.split("/"))
        and "\\" not in name
        and not any(unicodedata.category(character).startswith("C") for character in name),
        f"bad file name {name!r}",
        f"文件名 {name!r} 不合规",
    )


def check_summary(value: object, depth: int = 0) -> None:
    expect(depth <= 16, "summary nested too deeply", "开标一览表嵌套过深")
    if isinstance(value, dict):
        for key, item in value.items():
            expect(isinstance(key, str), "summary keys must be strings", "开标一览表的键须为字符串")
            check_summary(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_summary(item, depth + 1)
    else:
        # No floats: amounts are integers of fen, and float text differs between JSON writers.
        expect(
            value is None or isinstance(value, str | bool | int),
            "summary values must be strings, integers, booleans, null, lists or objects",
            "开标一览表的值须为字符串、整数、布尔、null、列表或对象（金额以分为单位的整数表示）",
        )


def inner_statement(*, lot_code: str, summary: Mapping[str, Any], files: Iterable[BidFile]) -> bytes:
    """The bytes the inner signature is over: canonical JSON of ``{"lot", "summary", "files"}`` (files by name)."""
    ordered = sorted(files, key=lambda item: item.name)
    return canonical_json({"lot": lot_code, "summary": summary, "files": [item.to_document() for item in ordered]})


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


class _HashingReader(io.RawIOBase):
    """Reads through ``source`` and hashes (and counts) what passes."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.hasher = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.hasher.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def write_package(
    sealer: StreamSealer,
    *,
    lot_code: str,
    summary: Mapping[str, Any],
    files: Mapping[str, bytes | Path],
    signer: PrivateKey,
) -> tuple[BidFile, ...]:
    manifest: list[BidFile] = []
    with tarfile.open(fileobj=sealer, mode="w|", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:  # type: ignore[call-overload]
        summary_bytes = canonical_json(summary)
        tar.addfile(_tar_info(SUMMARY_MEMBER, len(summary_bytes)), io.BytesIO(summary_bytes))
        for name in sorted(files):
            content = files[name]
            with open(content, "rb") if isinstance(content, Path) else io.BytesIO(content) as source:
                size = os.fstat(source.fileno()).st_size if isinstance(content, Path) else len(content)
                reader = _HashingReader(source)
                tar.addfile(_tar_info(FILES_PREFIX + name, size), reader)
                manifest.append(BidFile(name=name, size=size, sha256=reader.hasher.hexdigest()))
        signature = signer.sign(inner_statement(lot_code=lot_code, summary=summary, files=manifest))
        tar.addfile(_tar_info(SIGNATURE_MEMBER, len(signature)), io.BytesIO(signature))
    return tuple(manifest)


# --- reading ----------------------------------------------------------------------------------------------

FileSink = Callable[[str, memoryview], object]

_HEADER, _EXTENDED, _DATA, _SKIP, _END = range(5)


def _not_tar(reason: str) -> Exception:
    return invalid(f"the bid package is not a valid tar ({reason})", "投标文件包不是有效的 tar")


def _pax_records(data: bytes) -> dict[str, str]:
    """``"<length> <key>=<value>\\n"`` records (POSIX pax extended header); values are UTF-8."""
    records: dict[str, str] = {}
    position = 0
    try:
        while position < len(data) and data[position] != 0:
            space = data.index(b" ", position)
            length = int(data[position:space])
            record = data[space + 1 : position + length]
            if length <= 0 or not record.endswith(b"\n") or b"=" not in record:
                raise ValueError("bad pax record")
            key, _, value = record[:-1].partition(b"=")
            records[key.decode("utf-8")] = value.decode("utf-8", "surrogateescape")
            position += length
    except ValueError as error:  # also UnicodeDecodeError
        raise _not_tar("pax header") from error
    return records


class PackageReader:
    """Parse a bid package pushed in pieces of any size (:meth:`feed`), then :meth:`finish`.

    ``sink(name, data)``, if given, receives each bid file's bytes in order as views that are only valid during the
    call. After :meth:`finish`: ``summary``, ``signature`` and ``files`` (name, size, SHA-256, in package order).
    Raises EnvelopeInvalid on a malformed package. The caller must still authenticate the whole stream and verify the
    inner signature before trusting any of it.
    """

    def __init__(self, sink: FileSink | None = None) -> None:
        self._sink = sink
        self._state = _HEADER
        self._buffer = bytearray()
        self._need = _BLOCK
        self._extended_type = b""
        self._extended_size = 0
        self._global: dict[str, str] = {}
        self._overrides: dict[str, str] = {}
        self._name = ""
        self._size = 0
        self._remaining = 0
        self._padding = 0
        self._hasher = hashlib.sha256()
        self._kept: bytearray | None = None  # bid.json and bid.sig are kept whole; bid files only hashed
        self.summary: dict[str, Any] | None = None
        self.signature: bytes | None = None
        self.files: list[BidFile] = []

    def feed(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view and self._state != _END:
            if self._state == _DATA:
                piece = view[: self._remaining]
                view = view[len(piece) :]
                self._hasher.update(piece)
                if self._kept is not None:
                    self._kept += piece
                elif self._sink is not None:
                    self._sink(self._name, piece)
                self._remaining -= len(piece)
                if not self._remaining:
                    self._end_member()
            elif self._state == _SKIP:
                skipped = min(self._padding, len(view))
                view = view[skipped:]
                self._padding -= skipped
                if not self._padding:
                    self._state = _HEADER
            else:  # _HEADER or _EXTENDED: gather self._need bytes
                taken = view[: self._need - len(self._buffer)]
                view = view[len(taken) :]
                self._buffer += taken
                if len(self._buffer) == self._need:
                    block = bytes(self._buffer)
                    self._buffer.clear()
                    if self._state == _HEADER:
                        self._header(block)
                    else:
                        self._extended(block)

    def finish(self) -> None:
        """Check the package ended where a tar may end, with ``bid.json`` and ``bid.sig`` present."""
        if not (self._state == _END or (self._state == _HEADER and not self._buffer)):
            raise _not_tar("unexpected end of data")
        expect(
            self.summary is not None and self.signature is not None,
            "bid.json or bid.sig missing",
            "缺少 bid.json 或 bid.sig",
        )

    def _header(self, block: bytes) -> None:
        if block.count(0) == _BLOCK:  # the end-of-archive marker; what follows is padding
            self._state = _END
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as error:
            raise _not_tar(str(error)) from error
        if info.type in _EXTENDED_TYPES:
            expect(info.size <= _MAX_EXTENDED_HEADER, "tar extended header too large", "tar 扩展头过大")
            self._extended_type, self._extended_size = info.type, info.size
            self._state, self._need = _EXTENDED, -(-info.size // _BLOCK) * _BLOCK
            if not self._need:
                self._extended(b"")
            return
        records = {**self._global, **self._overrides}
        self._overrides = {}
        name = records.get("path", info.name)
        # Sparse files (GNU 'S' members, or pax GNU.sparse records) would hash their stored map, not their content.
        regular = info.type in _PLAIN_TYPES and not any(key.startswith("GNU.sparse") for key in records)
        expect(regular, f"{name} is not a regular file", f"{name} 不是普通文件")
        try:
            size = int(records["size"]) if "size" in records else info.size
        except ValueError as error:
            raise _not_tar("pax size") from error
        if size < 0:
            raise _not_tar("negative size")
        self._start_member(name, size)

    def _extended(self, block: bytes) -> None:
        data = block[: self._extended_size]
        if self._extended_type == tarfile.GNUTYPE_LONGNAME:
            self._overrides["path"] = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        elif self._extended_type == tarfile.XGLTYPE:
            self._global.update(_pax_records(data))
        else:
            self._overrides.update(_pax_records(data))
        self._state, self._need = _HEADER, _BLOCK

    def _start_member(self, name: str, size: int) -> None:
        expect(self.signature is None, "bid.sig is not the last member", "bid.sig 不是最后一项")
        self._kept = None
        if self.summary is None:
            expect(name == SUMMARY_MEMBER, "bid.json is not first", "bid.json 不是第一项")
            expect(size <= MAX_SUMMARY_SIZE, f"{name} too large", f"{name} 过大")
            self._kept = bytearray()
        elif name == SIGNATURE_MEMBER:
            expect(size <= MAX_SIGNATURE_SIZE, f"{name} too large", f"{name} 过大")
            self._kept = bytearray()
        else:
            expect(name.startswith(FILES_PREFIX), f"unexpected {name}", f"多余的 {name}")
            name = name[len(FILES_PREFIX) :]
            check_file_name(name)
            expect(not self.files or self.files[-1].name < name, "files not sorted or repeated", "文件未排序或重复")
        self._name, self._size, self._remaining = name, size, size
        self._padding = -size % _BLOCK
        self._hasher = hashlib.sha256()
        self._state = _DATA
        if self._kept is None and self._sink is not None:
            self._sink(name, memoryview(b""))  # so that an empty file exists for the sink too
        if not size:
            self._end_member()

    def _end_member(self) -> None:
        if self._kept is None:
            self.files.append(BidFile(name=self._name, size=self._size, sha256=self._hasher.hexdigest()))
        elif self.summary is None:
            document = parse_json(bytes(self._kept), SUMMARY_MEMBER)
            expect(isinstance(document, dict), "bid.json is not an object", "bid.json 不是 JSON 对象")
            self.summary = document
        else:
            self.signature = bytes(self._kept)
        self._kept = None
        self._state = _SKIP if self._padding else _HEADER
