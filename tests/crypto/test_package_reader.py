"""The bid package reader: the tar inside the envelope, parsed in one pass from pieces of any size, as ggzy and other
tools write it (docs/envelope.md §3)."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.crypto import EnvelopeInvalid
from ggzy.crypto.envelope import BidFile, PackageReader, canonical_json

SUMMARY = {"price_fen": 123_456_700, "quality": "合格"}
LONG_NAME = "技术标/" + "施工组织设计" * 20 + ".pdf"  # over 100 bytes: needs a pax or GNU long-name header
FILES = {"a.pdf": b"%PDF a" * 1000, LONG_NAME: b"%PDF long" * 300, "z/empty.txt": b""}


def _package(tar_format: int, files: dict[str, bytes] = FILES, *, signature: bytes = b"0E\x02 signature") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tar_format, encoding="utf-8") as tar:
        members = [("bid.json", canonical_json(SUMMARY))]
        members += [("files/" + name, files[name]) for name in sorted(files)]
        members.append(("bid.sig", signature))
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def _read(package: bytes, piece: int = 1 << 20) -> tuple[PackageReader, dict[str, bytes]]:
    contents: dict[str, bytearray] = {}
    reader = PackageReader(lambda name, data: contents.setdefault(name, bytearray()).extend(data))
    for offset in range(0, len(package), piece):
        reader.feed(package[offset : offset + piece])
    reader.finish()
    return reader, {name: bytes(content) for name, content in contents.items()}


def _expected_files(files: dict[str, bytes] = FILES) -> list[BidFile]:
    return [BidFile(name, len(files[name]), hashlib.sha256(files[name]).hexdigest()) for name in sorted(files)]


@pytest.mark.parametrize("tar_format", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT], ids=["pax", "gnu"])
def test_packages_in_pax_and_gnu_format_read_with_their_hashes(tar_format: int) -> None:
    reader, contents = _read(_package(tar_format))
    assert reader.summary == SUMMARY
    assert reader.signature == b"0E\x02 signature"
    assert reader.files == _expected_files()
    assert contents == FILES


@settings(max_examples=40, deadline=None)
@given(piece=st.integers(min_value=1, max_value=20_000))
def test_the_package_reads_the_same_from_pieces_of_any_size(piece: int) -> None:
    reader, contents = _read(_package(tarfile.PAX_FORMAT), piece)
    assert reader.files == _expected_files()
    assert contents == FILES


@pytest.mark.skipif(shutil.which("tar") is None, reason="no tar command")
@pytest.mark.parametrize("tar_format", ["pax", "gnu", "ustar"])
def test_a_package_made_by_gnu_tar_reads(tmp_path: Path, tar_format: str) -> None:
    files = {"a.pdf": b"%PDF a" * 1000, "技术标/施工组织设计.pdf": b"%PDF t" * 300}
    (tmp_path / "files" / "技术标").mkdir(parents=True)
    (tmp_path / "bid.json").write_bytes(canonical_json(SUMMARY))
    (tmp_path / "bid.sig").write_bytes(b"signature")
    for name, content in files.items():
        (tmp_path / "files" / name).write_bytes(content)
    members = ["bid.json", *("files/" + name for name in sorted(files)), "bid.sig"]
    package = subprocess.run(
        ["tar", f"--format={tar_format}", "--no-recursion", "-C", str(tmp_path), "-cf", "-", *members],
        check=True,
        capture_output=True,
    ).stdout
    reader, contents = _read(package, 4096)
    assert reader.files == _expected_files(files)
    assert contents == files


def _broken(description: str) -> bytes:
    if description == "truncated in a file":
        return _package(tarfile.PAX_FORMAT)[:3000]
    if description == "bad header checksum":
        package = bytearray(_package(tarfile.PAX_FORMAT))
        package[512 * 2 + 10] ^= 1  # inside the second member's header
        return bytes(package)
    if description == "directory member":
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            summary = canonical_json(SUMMARY)
            info = tarfile.TarInfo("bid.json")
            info.size = len(summary)
            tar.addfile(info, io.BytesIO(summary))
            directory = tarfile.TarInfo("files/dir")
            directory.type = tarfile.DIRTYPE
            tar.addfile(directory)
        return out.getvalue()
    if description == "sparse file":
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
            summary = canonical_json(SUMMARY)
            info = tarfile.TarInfo("bid.json")
            info.size = len(summary)
            tar.addfile(info, io.BytesIO(summary))
            sparse = tarfile.TarInfo("files/a.img")
            sparse.type = tarfile.GNUTYPE_SPARSE
            tar.addfile(sparse)
        return out.getvalue()
    if description == "unsorted files":
        package = _package(tarfile.PAX_FORMAT, {"b.pdf": b"b", "a.pdf": b"a"})
        return package.replace(b"files/a.pdf", b"files/c.pdf")
    if description == "no signature":
        return _package(tarfile.PAX_FORMAT).replace(b"bid.sig", b"bid.xyz")
    if description == "escaping name":
        return _package(tarfile.PAX_FORMAT, {"../x.pdf": b"x"})
    raise AssertionError(description)


BROKEN = ["truncated in a file", "bad header checksum", "directory member", "unsorted files", "no signature"]


@pytest.mark.parametrize("description", [*BROKEN, "escaping name"])
def test_malformed_packages_are_refused(description: str) -> None:
    with pytest.raises(EnvelopeInvalid):
        _read(_broken(description))


def test_what_follows_the_end_of_archive_is_ignored() -> None:
    reader, _ = _read(_package(tarfile.PAX_FORMAT) + b"trailing bytes after the end-of-archive blocks")
    assert reader.files == _expected_files()


def test_a_sparse_member_is_not_a_regular_file() -> None:
    # Its stored bytes are a map plus data, not the content the inner signature's hash is over.
    with pytest.raises(EnvelopeInvalid, match="not a regular file"):
        _read(_broken("sparse file"))
