"""Opening a sealed bid: unwrap the data key, decrypt the STREAM chunks, parse the package, check the ciphertext is
the signed one and verify the inner signature — in one pass over the ciphertext.

Three ways to open, one pipeline (:func:`_open`):

- :func:`verify_bid`: what the platform does at opening. Nothing of the plaintext is kept but the summary, the
  signature and each file's name, size and SHA-256; the files stay in the stored ciphertext, readable later with the
  (then recorded) data key through :func:`read_bid_file`.
- :func:`open_bid`: the files in memory, or written into a directory (the bidder's client; nothing is left there if
  anything fails).
- :func:`read_bid_file`: one file's bytes, streamed from the ciphertext, each piece authenticated before it is
  yielded and the file's SHA-256 checked at its end.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ggzy.crypto.certificates import Certificate
from ggzy.crypto.envelope.common import Role, expect
from ggzy.crypto.envelope.header import EnvelopeHeader, check_ciphertext, key_commitment
from ggzy.crypto.envelope.package import BidFile, FileSink, PackageReader, inner_statement
from ggzy.crypto.envelope.stream import open_stream
from ggzy.crypto.errors import DecryptionFailed
from ggzy.crypto.suites import PrivateKey, data_key_size, unwrap_key


def unwrap_data_key(header: EnvelopeHeader, private_key: PrivateKey, role: Role) -> bytes:
    """The data key, unwrapped with the bidder's certificate key (``role="bidder"``, remote decryption at opening)
    or the lot's recovered opening key (``role="opening"``). DecryptionFailed with the wrong key; EnvelopeInvalid if
    the wrapped key is not the one the header commits to (an envelope made wrongly or in bad faith)."""
    recipient = header.recipient(role)
    if private_key.public_key.fingerprint != recipient.key_fingerprint:
        raise DecryptionFailed()
    data_key = unwrap_key(private_key, recipient.wrapped_key)
    expect(
        hmac.compare_digest(key_commitment(header.suite, data_key), header.key_commitment),
        f"the key wrapped to the {role} recipient is not the committed data key",
        f"封装给 {role} 的数据密钥与信封头承诺的不一致",
    )
    return data_key


@dataclass(frozen=True)
class OpenedFile:
    name: str
    size: int
    sha256: str
    content: bytes | None = field(default=None, repr=False)  # when opened in memory
    path: Path | None = None  # when opened into a directory


@dataclass(frozen=True)
class OpenedBid:
    """A decrypted bid whose inner signature (by ``bidder_certificate``) has been verified."""

    lot_code: str
    summary: dict[str, Any]
    files: tuple[OpenedFile, ...]
    bidder_certificate: Certificate
    inner_signature: bytes = field(repr=False)
    inner_signature_verified: bool = True

    def file(self, name: str) -> OpenedFile:
        for item in self.files:
            if item.name == name:
                return item
        raise KeyError(name)


class _CiphertextDigest:
    """SHA-256 and size of the sealed chunks as they are read (the ciphertext must be the one the header signs)."""

    def __init__(self) -> None:
        self.hasher = hashlib.sha256()
        self.size = 0

    def __call__(self, sealed: bytes) -> None:
        self.hasher.update(sealed)
        self.size += len(sealed)


def _check_data_key(header: EnvelopeHeader, data_key: bytes) -> None:
    if len(data_key) != data_key_size(header.suite) or not hmac.compare_digest(
        key_commitment(header.suite, data_key), header.key_commitment
    ):
        raise DecryptionFailed()


def _plaintext(
    header: EnvelopeHeader, ciphertext_stream: BinaryIO, data_key: bytes, digest: _CiphertextDigest | None
) -> Iterator[bytes]:
    """The authenticated plaintext chunks (after checking the data key against the header's commitment)."""
    _check_data_key(header, data_key)
    return open_stream(
        ciphertext_stream,
        suite=header.suite,
        data_key=data_key,
        nonce_prefix=header.nonce_prefix,
        associated_data=header.associated_data,
        chunk_size=header.chunk_size,
        on_sealed=digest,
    )


def _open(header: EnvelopeHeader, ciphertext_stream: BinaryIO, data_key: bytes, sink: FileSink | None) -> OpenedBid:
    digest = _CiphertextDigest()
    reader = PackageReader(sink)
    for plaintext in _plaintext(header, ciphertext_stream, data_key, digest):
        reader.feed(plaintext)
    reader.finish()
    check_ciphertext(header, digest.size, digest.hasher.hexdigest())
    assert reader.summary is not None
    assert reader.signature is not None
    statement = inner_statement(lot_code=header.lot_code, summary=reader.summary, files=reader.files)
    header.bidder_certificate.public_key.verify(statement, reader.signature)
    return OpenedBid(
        lot_code=header.lot_code,
        summary=reader.summary,
        files=tuple(OpenedFile(name=item.name, size=item.size, sha256=item.sha256) for item in reader.files),
        bidder_certificate=header.bidder_certificate,
        inner_signature=reader.signature,
    )


def verify_bid(header: EnvelopeHeader, ciphertext_stream: BinaryIO, data_key: bytes) -> OpenedBid:
    """Decrypt and check a sealed bid without keeping its files (their names, sizes and SHA-256 are returned).

    ``ciphertext_stream`` is what follows the header (after :func:`read_envelope_header`, or the stored ciphertext).
    Raises DecryptionFailed (wrong key, any tampering), EnvelopeInvalid (malformed package, ciphertext size or hash
    not as signed) or SignatureInvalid (inner signature). Memory stays at about one chunk; nothing is written.
    """
    return _open(header, ciphertext_stream, data_key, None)


class _DirectoryWriter:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.written: list[Path] = []
        self._name: str | None = None
        self._file: BinaryIO | None = None

    def __call__(self, name: str, data: memoryview) -> None:
        if name != self._name or self._file is None:
            self.close()
            path = self.out_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "xb")  # noqa: SIM115 - closed when the next file starts, or by close()
            self.written.append(path)
            self._name = name
        self._file.write(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def open_bid(
    header: EnvelopeHeader,
    ciphertext_stream: BinaryIO,
    data_key: bytes,
    *,
    out_dir: Path | None = None,
) -> OpenedBid:
    """Decrypt a sealed bid and verify its inner signature, keeping its files.

    With ``out_dir`` the files are written there (under their names, never overwriting) and memory stays flat;
    without it they are returned in memory. Errors as :func:`verify_bid`; on any error nothing is left in
    ``out_dir``.
    """
    if out_dir is None:
        contents: dict[str, list[bytes]] = {}
        opened = _open(
            header, ciphertext_stream, data_key, lambda name, data: contents.setdefault(name, []).append(bytes(data))
        )
        files = tuple(
            OpenedFile(item.name, item.size, item.sha256, content=b"".join(contents.get(item.name, [])))
            for item in opened.files
        )
    else:
        writer = _DirectoryWriter(out_dir)
        try:
            try:
                opened = _open(header, ciphertext_stream, data_key, writer)
            finally:
                writer.close()
        except BaseException:
            for path in reversed(writer.written):
                path.unlink(missing_ok=True)
            raise
        files = tuple(OpenedFile(item.name, item.size, item.sha256, path=out_dir / item.name) for item in opened.files)
    return OpenedBid(
        lot_code=opened.lot_code,
        summary=opened.summary,
        files=files,
        bidder_certificate=opened.bidder_certificate,
        inner_signature=opened.inner_signature,
    )


def read_bid_file(
    header: EnvelopeHeader, ciphertext_stream: BinaryIO, data_key: bytes, expected: BidFile
) -> Iterator[bytes]:
    """Stream one file of an opened bid from its ciphertext: ``expected`` is its name, size and SHA-256 as recorded
    at opening. Every piece is authenticated (GCM tag of its chunk, at its position) before it is yielded; the file's
    size and SHA-256 are checked when it ends, and reading stops there. DecryptionFailed or EnvelopeInvalid otherwise
    (raised by the iterator: a consumer must read it to its end)."""
    pieces: list[bytes] = []

    def keep(name: str, data: memoryview) -> None:
        if name == expected.name:
            pieces.append(bytes(data))

    reader = PackageReader(keep)
    for plaintext in _plaintext(header, ciphertext_stream, data_key, None):
        reader.feed(plaintext)
        yield from pieces
        pieces.clear()
        if reader.files and reader.files[-1].name >= expected.name:
            break
    expect(
        expected in reader.files,
        f"{expected.name} is not in the bid as recorded at opening",
        f"投标文件中没有开标时记录的 {expected.name}",
    )
