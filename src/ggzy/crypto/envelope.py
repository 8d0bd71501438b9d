"""The sealed bid envelope, ``ggzy-sealed-bid/v1``: made offline by the bidder's client, checked by the server.

The full specification, for anyone writing another bid-preparation tool, is ``docs/envelope.md``; in short:

``envelope = MAGIC || header length (4 bytes, big-endian) || header (canonical JSON, UTF-8) || ciphertext``

- The plaintext is the bid package, a POSIX tar (PAX format) with ``bid.json`` (the opening summary), the bid files
  under ``files/``, and last ``bid.sig``: the bidder's signature over the canonical JSON of
  ``{"lot", "summary", "files": [{"name", "size", "sha256"}]}`` (the inner signature, checked after opening).
- It is encrypted with a fresh data key (SM4-GCM or AES-256-GCM) in chunks, the STREAM construction: chunk ``i``
  uses the nonce ``prefix (7 random bytes) || i (4 bytes, big-endian) || last (1 byte)`` and, as associated data,
  the digest of the header fields fixed before encryption. Dropped, reordered, repeated, truncated or appended
  chunks fail authentication.
- The data key is wrapped to the bidder's own certificate key and to the lot's opening key, and committed to in the
  header (so both recipients necessarily get the same key, GCM not being key-committing).
- The header is signed by the bidder's certificate key (the outer signature).

The AEAD is called through ``cryptography``'s GCM mode directly rather than :func:`ggzy.crypto.suites.aead_encrypt`
because STREAM needs a chosen nonce per chunk; the cipher and key sizes are the suite's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import os
import tarfile
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ggzy.crypto.certificates import Certificate, load_certificate
from ggzy.crypto.errors import CertificateMalformed, DecryptionFailed, EnvelopeInvalid
from ggzy.crypto.suites import (
    TAG_SIZE,
    PrivateKey,
    PublicKey,
    Suite,
    data_key_size,
    digest,
    generate_data_key,
    unwrap_key,
    wrap_key,
)

FORMAT: Final = "ggzy-sealed-bid/v1"
MAGIC: Final = b"ggzy-sealed-bid/v1\n"
HEADER_LENGTH_SIZE: Final = 4
MAX_HEADER_SIZE: Final = 1 << 20
DEFAULT_CHUNK_SIZE: Final = 1 << 20
MIN_CHUNK_SIZE: Final = 1 << 10
MAX_CHUNK_SIZE: Final = 16 << 20
NONCE_PREFIX_SIZE: Final = 7
MAX_CHUNKS: Final = 1 << 32
KEY_COMMITMENT_LABEL: Final = b"ggzy-sealed-bid/v1 key commitment\x00"
CREATED_AT_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"

SUMMARY_MEMBER: Final = "bid.json"
SIGNATURE_MEMBER: Final = "bid.sig"
FILES_PREFIX: Final = "files/"
MAX_SUMMARY_SIZE: Final = 1 << 20
MAX_SIGNATURE_SIZE: Final = 1 << 12
MAX_FILE_NAME_BYTES: Final = 1024

Role = Literal["bidder", "opening"]
ROLES: Final[tuple[Role, ...]] = ("bidder", "opening")

_COPY_SIZE: Final = 1 << 16
_HEADER_KEYS: Final = frozenset(
    {
        "format",
        "suite",
        "lot_code",
        "bidder_certificate",
        "recipients",
        "chunk_size",
        "nonce_prefix",
        "key_commitment",
        "created_at",
        "ciphertext_size",
        "ciphertext_sha256",
        "signature",
    }
)


def _invalid(reason_en: str, reason_zh: str) -> EnvelopeInvalid:
    return EnvelopeInvalid(reason_en=reason_en, reason_zh=reason_zh)


def canonical_json(value: object) -> bytes:
    """The signed form of a JSON value: sorted keys, no spaces, UTF-8 (not ``\\u`` escapes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise _invalid(f"{what} is not a base64 string", f"{what} 不是 base64 字符串")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise _invalid(f"{what} is not valid base64", f"{what} 不是有效的 base64") from error


# --- the chunked AEAD (STREAM) ----------------------------------------------------------------------------


def _cipher(suite: Suite, key: bytes, nonce: bytes, tag: bytes | None = None) -> Cipher[modes.GCM]:
    algorithm = algorithms.SM4(key) if suite is Suite.GM else algorithms.AES256(key)
    return Cipher(algorithm, modes.GCM(nonce, tag))


def chunk_nonce(nonce_prefix: bytes, index: int, *, last: bool) -> bytes:
    """The 12-byte nonce of chunk ``index``: ``prefix (7) || index (4, big-endian) || last flag (1)``."""
    if not 0 <= index < MAX_CHUNKS:
        raise ValueError("too many chunks")
    return nonce_prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _check_stream_parameters(suite: Suite, data_key: bytes, nonce_prefix: bytes, chunk_size: int) -> None:
    if len(data_key) != data_key_size(suite):
        raise ValueError(f"{suite} needs a {data_key_size(suite)}-byte data key")
    if len(nonce_prefix) != NONCE_PREFIX_SIZE:
        raise ValueError(f"the nonce prefix is {NONCE_PREFIX_SIZE} bytes")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes")


class StreamSealer:
    """Encrypt a plaintext pushed with :meth:`write` into STREAM chunks, each handed to ``sink`` as it is sealed.

    Holds at most one chunk of plaintext: the last chunk is only known when :meth:`close` is called, so a full chunk
    waits until more data arrives.
    """

    def __init__(
        self,
        *,
        suite: Suite,
        data_key: bytes,
        nonce_prefix: bytes,
        associated_data: bytes,
        sink: Callable[[bytes], object],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        _check_stream_parameters(suite, data_key, nonce_prefix, chunk_size)
        self._suite = suite
        self._key = data_key
        self._prefix = nonce_prefix
        self._associated_data = associated_data
        self._sink = sink
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        self.plaintext_size = 0

    def _seal(self, chunk: bytes | bytearray, *, last: bool) -> None:
        encryptor = _cipher(self._suite, self._key, chunk_nonce(self._prefix, self._index, last=last)).encryptor()
        encryptor.authenticate_additional_data(self._associated_data)
        sealed = encryptor.update(chunk) + encryptor.finalize()
        self._sink(sealed + encryptor.tag)
        self._index += 1

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed sealer")
        self._buffer += data
        self.plaintext_size += len(data)
        # '>' not '>=': a full chunk may be the last one, which only close() can tell.
        while len(self._buffer) > self._chunk_size:
            self._seal(self._buffer[: self._chunk_size], last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def close(self) -> None:
        if not self._closed:
            self._seal(self._buffer, last=True)
            self._buffer = bytearray()
            self._closed = True


def seal_stream(
    plaintext: Iterable[bytes],
    *,
    suite: Suite,
    data_key: bytes,
    nonce_prefix: bytes,
    associated_data: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[bytes]:
    """Encrypt pieces of plaintext (of any sizes) into sealed chunks of ``chunk_size + 16`` bytes (the last shorter).

    To write to a file: ``for chunk in seal_stream(...): out.write(chunk)``. Memory stays at about one chunk.
    """
    pending: list[bytes] = []
    sealer = StreamSealer(
        suite=suite,
        data_key=data_key,
        nonce_prefix=nonce_prefix,
        associated_data=associated_data,
        sink=pending.append,
        chunk_size=chunk_size,
    )
    for piece in plaintext:
        sealer.write(piece)
        yield from pending
        pending.clear()
    sealer.close()
    yield from pending


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (a pipe or socket may return short reads)."""
    data = stream.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    remaining = size - len(data)
    while remaining:
        more = stream.read(remaining)
        if not more:
            break
        parts.append(more)
        remaining -= len(more)
    return b"".join(parts)


def open_stream(
    ciphertext: BinaryIO,
    *,
    suite: Suite,
    data_key: bytes,
    nonce_prefix: bytes,
    associated_data: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[bytes]:
    """Decrypt sealed chunks read from ``ciphertext`` to its end, yielding each chunk's plaintext once authenticated.

    A wrong key or associated data, a changed byte, or a dropped, reordered, repeated, truncated or appended chunk
    raises :class:`DecryptionFailed` (at the latest when the end of the stream is reached: a consumer must read the
    iterator to its end before trusting what it got).
    """
    _check_stream_parameters(suite, data_key, nonce_prefix, chunk_size)
    sealed_size = chunk_size + TAG_SIZE
    current = _read_exactly(ciphertext, sealed_size)
    index = 0
    while True:
        following = _read_exactly(ciphertext, sealed_size) if len(current) == sealed_size else b""
        last = not following
        if len(current) < TAG_SIZE or index >= MAX_CHUNKS:
            raise DecryptionFailed()
        body, tag = current[:-TAG_SIZE], current[-TAG_SIZE:]
        decryptor = _cipher(suite, data_key, chunk_nonce(nonce_prefix, index, last=last), tag).decryptor()
        decryptor.authenticate_additional_data(associated_data)
        try:
            plaintext = decryptor.update(body) + decryptor.finalize()
        except InvalidTag as error:
            raise DecryptionFailed() from error
        yield plaintext
        if last:
            return
        current = following
        index += 1


# --- the header -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """The data key wrapped to one key (:func:`ggzy.crypto.wrap_key`)."""

    role: Role
    key_fingerprint: str  # SHA-256 of the recipient's SubjectPublicKeyInfo DER, hex
    wrapped_key: bytes

    def to_document(self) -> dict[str, str]:
        return {"role": self.role, "key_fingerprint": self.key_fingerprint, "wrapped_key": _b64(self.wrapped_key)}


@dataclass(frozen=True)
class EnvelopeHeader:
    """The parsed header of a sealed bid envelope. Its outer signature has been checked when it comes from
    :func:`read_envelope_header`; the certificate chain has not (the caller's job, with a TrustStore)."""

    suite: Suite
    lot_code: str
    bidder_certificate_pem: str
    bidder_certificate: Certificate
    recipients: tuple[Recipient, ...]
    chunk_size: int
    nonce_prefix: bytes
    key_commitment: bytes
    created_at: datetime
    ciphertext_size: int
    ciphertext_sha256: str
    signature: bytes = field(repr=False)

    def sealing_document(self) -> dict[str, Any]:
        """The fields fixed before encryption; their digest is every chunk's associated data."""
        return {
            "format": FORMAT,
            "suite": str(self.suite),
            "lot_code": self.lot_code,
            "bidder_certificate": self.bidder_certificate_pem,
            "recipients": [recipient.to_document() for recipient in self.recipients],
            "chunk_size": self.chunk_size,
            "nonce_prefix": _b64(self.nonce_prefix),
            "key_commitment": _b64(self.key_commitment),
            "created_at": self.created_at.astimezone(UTC).strftime(CREATED_AT_FORMAT),
        }

    @property
    def associated_data(self) -> bytes:
        """``digest(suite, canonical JSON of the sealing fields)``: binds every chunk to this header."""
        return digest(self.suite, canonical_json(self.sealing_document()))

    def signed_document(self) -> dict[str, Any]:
        """Everything but the signature: what the outer signature is over (as canonical JSON)."""
        return {
            **self.sealing_document(),
            "ciphertext_size": self.ciphertext_size,
            "ciphertext_sha256": self.ciphertext_sha256,
        }

    def to_document(self) -> dict[str, Any]:
        return {**self.signed_document(), "signature": _b64(self.signature)}

    def to_bytes(self) -> bytes:
        """The header as written in the envelope: canonical JSON."""
        return canonical_json(self.to_document())

    def envelope_prefix(self) -> bytes:
        """Everything before the ciphertext: magic line, header length, header."""
        header = self.to_bytes()
        return MAGIC + len(header).to_bytes(HEADER_LENGTH_SIZE, "big") + header

    def recipient(self, role: Role) -> Recipient:
        for recipient in self.recipients:
            if recipient.role == role:
                return recipient
        raise _invalid(f"no {role} recipient", f"缺少接收方 {role}")

    @property
    def chunk_count(self) -> int:
        sealed_size = self.chunk_size + TAG_SIZE
        return max(1, -(-self.ciphertext_size // sealed_size))

    def verify_signature(self) -> None:
        """Raise SignatureInvalid unless the bidder certificate's key signed this header."""
        self.bidder_certificate.public_key.verify(canonical_json(self.signed_document()), self.signature)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _invalid("duplicate key in JSON", "JSON 中有重复的键")
    return document


def _reject_float(text: str) -> NoReturn:
    raise _invalid(f"non-integer number {text} in JSON", f"JSON 中有非整数 {text}")


def _parse_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_reject_duplicate_keys,
            parse_float=_reject_float,
            parse_constant=_reject_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise _invalid(f"{what} is not JSON", f"{what} 不是有效的 JSON") from error


def _expect(condition: bool, reason_en: str, reason_zh: str) -> None:
    if not condition:
        raise _invalid(reason_en, reason_zh)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def _parse_recipients(value: object) -> tuple[Recipient, ...]:
    _expect(isinstance(value, list), "recipients is not a list", "recipients 不是列表")
    assert isinstance(value, list)
    recipients = []
    for item in value:
        _expect(
            isinstance(item, dict) and set(item) == {"role", "key_fingerprint", "wrapped_key"},
            "a recipient must have role, key_fingerprint and wrapped_key",
            "接收方须有 role、key_fingerprint、wrapped_key",
        )
        _expect(item["role"] in ROLES, "recipient role must be bidder or opening", "接收方角色须为 bidder 或 opening")
        _expect(_is_hex(item["key_fingerprint"], 64), "bad key fingerprint", "密钥指纹格式错误")
        wrapped = _unb64(item["wrapped_key"], "wrapped_key")
        _expect(0 < len(wrapped) <= 1024, "bad wrapped key size", "封装密钥长度错误")
        recipients.append(Recipient(role=item["role"], key_fingerprint=item["key_fingerprint"], wrapped_key=wrapped))
    roles = [recipient.role for recipient in recipients]
    _expect(roles == ["bidder", "opening"], "need a bidder then an opening recipient", "须依次有投标人与开标两个接收方")
    return tuple(recipients)


def parse_header(data: bytes) -> EnvelopeHeader:
    """Parse and check a header's JSON (not its signature). Every field must be in its canonical form."""
    document = _parse_json(data, "header")
    _expect(isinstance(document, dict), "header is not a JSON object", "信封头不是 JSON 对象")
    _expect(document.get("format") == FORMAT, f"format is not {FORMAT}", f"格式不是 {FORMAT}")
    _expect(set(document) == _HEADER_KEYS, "header fields missing or unknown", "信封头字段缺失或多余")
    _expect(document["suite"] in {str(suite) for suite in Suite}, "unknown suite", "未知的密码套件")
    suite = Suite(document["suite"])
    lot_code = document["lot_code"]
    _expect(isinstance(lot_code, str) and 0 < len(lot_code) <= 200, "bad lot code", "标段编号错误")
    pem = document["bidder_certificate"]
    _expect(isinstance(pem, str), "bidder certificate is not PEM text", "投标人证书不是 PEM 文本")
    try:
        certificate = load_certificate(pem)
    except CertificateMalformed as error:
        raise _invalid("bidder certificate unreadable", "投标人证书无法读取") from error
    _expect(
        certificate.suite is suite,
        f"a {certificate.suite} certificate in a {suite} envelope",
        f"{suite} 信封中使用了 {certificate.suite} 证书（密码套件不一致）",
    )
    chunk_size = document["chunk_size"]
    _expect(_is_int(chunk_size) and MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE, "bad chunk size", "分块大小错误")
    ciphertext_size = document["ciphertext_size"]
    _expect(_is_int(ciphertext_size) and ciphertext_size >= TAG_SIZE, "bad ciphertext size", "密文长度错误")
    _expect(_is_hex(document["ciphertext_sha256"], 64), "bad ciphertext hash", "密文哈希格式错误")
    created_text = document["created_at"]
    try:
        created_at = datetime.strptime(created_text, CREATED_AT_FORMAT).replace(tzinfo=UTC)
    except (TypeError, ValueError) as error:
        raise _invalid("created_at is not YYYY-MM-DDTHH:MM:SSZ", "created_at 格式错误") from error
    header = EnvelopeHeader(
        suite=suite,
        lot_code=lot_code,
        bidder_certificate_pem=pem,
        bidder_certificate=certificate,
        recipients=_parse_recipients(document["recipients"]),
        chunk_size=chunk_size,
        nonce_prefix=_unb64(document["nonce_prefix"], "nonce_prefix"),
        key_commitment=_unb64(document["key_commitment"], "key_commitment"),
        created_at=created_at,
        ciphertext_size=ciphertext_size,
        ciphertext_sha256=document["ciphertext_sha256"],
        signature=_unb64(document["signature"], "signature"),
    )
    _expect(len(header.nonce_prefix) == NONCE_PREFIX_SIZE, "nonce prefix is not 7 bytes", "nonce 前缀不是 7 字节")
    _expect(len(header.key_commitment) == 32, "key commitment is not 32 bytes", "密钥承诺不是 32 字节")
    _expect(header.chunk_count <= MAX_CHUNKS, "too many chunks", "分块过多")
    _expect(
        header.recipient("bidder").key_fingerprint == certificate.public_key.fingerprint,
        "the bidder recipient is not the certificate's key",
        "投标人接收方与证书公钥不一致",
    )
    # Only canonical encodings: what is signed is re-serialised from the parsed values.
    _expect(header.to_document() == document, "header fields not in canonical form", "信封头字段不是规范形式")
    return header


def read_envelope_header(stream: BinaryIO) -> EnvelopeHeader:
    """Read the magic line, length and header from ``stream`` and check the outer signature.

    Leaves ``stream`` at the first byte of the ciphertext: this is how an envelope is split while streaming. Raises
    EnvelopeInvalid (malformed) or SignatureInvalid. Whether the certificate is trusted, valid now and the bidder's,
    and whether the lot and opening key are the right ones (:func:`check_envelope_for_lot`), is for the caller.
    """
    _expect(_read_exactly(stream, len(MAGIC)) == MAGIC, f"not a {FORMAT} envelope", f"不是 {FORMAT} 信封")
    length_bytes = _read_exactly(stream, HEADER_LENGTH_SIZE)
    _expect(len(length_bytes) == HEADER_LENGTH_SIZE, "truncated envelope", "信封不完整")
    length = int.from_bytes(length_bytes, "big")
    _expect(0 < length <= MAX_HEADER_SIZE, "bad header length", "信封头长度错误")
    data = _read_exactly(stream, length)
    _expect(len(data) == length, "truncated header", "信封头不完整")
    header = parse_header(data)
    header.verify_signature()
    return header


def check_envelope_for_lot(header: EnvelopeHeader, *, lot_code: str, opening_public_key: PublicKey) -> None:
    """Raise EnvelopeInvalid unless the envelope is for this lot and its data key is wrapped to this opening key."""
    _expect(header.lot_code == lot_code, f"envelope is for lot {header.lot_code}", f"信封属于标段 {header.lot_code}")
    _expect(
        header.suite is opening_public_key.suite,
        f"a {header.suite} envelope for a {opening_public_key.suite} lot",
        "信封与标段的密码套件不一致",
    )
    _expect(
        header.recipient("opening").key_fingerprint == opening_public_key.fingerprint,
        "data key not wrapped to this lot's opening key",
        "数据密钥未封装给本标段的开标公钥",
    )


def verify_ciphertext(header: EnvelopeHeader, stream: BinaryIO, out: BinaryIO | None = None) -> None:
    """Check, without any key, that the rest of ``stream`` is the ciphertext the signed header names (size and
    SHA-256), copying it to ``out`` if given; EnvelopeInvalid otherwise. What the server does on submission."""
    hasher = hashlib.sha256()
    size = 0
    while piece := stream.read(_COPY_SIZE):
        hasher.update(piece)
        size += len(piece)
        if size > header.ciphertext_size:
            break
        if out is not None:
            out.write(piece)
    _check_ciphertext(header, size, hasher.hexdigest())


def _check_ciphertext(header: EnvelopeHeader, size: int, sha256: str) -> None:
    _expect(
        size == header.ciphertext_size,
        f"ciphertext is {size} bytes, header says {header.ciphertext_size}",
        f"密文长度 {size} 字节，与信封头所载 {header.ciphertext_size} 不符",
    )
    _expect(sha256 == header.ciphertext_sha256, "ciphertext SHA-256 does not match", "密文 SHA-256 与信封头不符")


# --- the bid package (plaintext) --------------------------------------------------------------------------


@dataclass(frozen=True)
class BidFile:
    name: str
    size: int
    sha256: str

    def to_document(self) -> dict[str, object]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


def check_file_name(name: str) -> None:
    """A relative POSIX path of non-empty components, no ``.``/``..``, backslash or control characters."""
    _expect(
        isinstance(name, str)
        and 0 < len(name.encode("utf-8", errors="replace")) <= MAX_FILE_NAME_BYTES
        and all(part not in ("", ".", "..") for part in name.split("/"))
        and "\\" not in name
        and not any(unicodedata.category(character).startswith("C") for character in name),
        f"bad file name {name!r}",
        f"文件名 {name!r} 不合规",
    )


def _check_summary(value: object, depth: int = 0) -> None:
    _expect(depth <= 16, "summary nested too deeply", "开标一览表嵌套过深")
    if isinstance(value, dict):
        for key, item in value.items():
            _expect(isinstance(key, str), "summary keys must be strings", "开标一览表的键须为字符串")
            _check_summary(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_summary(item, depth + 1)
    else:
        # No floats: amounts are integers of fen, and float text differs between JSON writers.
        _expect(
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


def _write_package(
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


# --- sealing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedEnvelopeInfo:
    header: EnvelopeHeader
    files: tuple[BidFile, ...]
    plaintext_size: int
    envelope_size: int
    envelope_sha256: str


def key_commitment(suite: Suite, data_key: bytes) -> bytes:
    """``digest(suite, label || data key)``: ties the header to one data key (GCM alone is not key-committing, so a
    crafted ciphertext could otherwise open to two different bids under two differently wrapped keys)."""
    return digest(suite, KEY_COMMITMENT_LABEL + data_key)


def seal_bid(
    *,
    lot_code: str,
    suite: Suite,
    summary: Mapping[str, Any],
    files: Mapping[str, bytes | Path],
    bidder_certificate_pem: str | bytes,
    bidder_private_key: PrivateKey,
    opening_public_key: PublicKey,
    out: BinaryIO,
    now: datetime,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> SealedEnvelopeInfo:
    """Seal a bid into an envelope written to ``out``; the client side of ``ggzy-sealed-bid/v1``.

    The ciphertext is staged in a temporary file (its size and hash go in the signed header, which comes first), so
    memory stays at about one chunk whatever the size of the bid.
    """
    certificate = load_certificate(bidder_certificate_pem)
    for what, key_suite in (
        ("bidder certificate", certificate.suite),
        ("bidder private key", bidder_private_key.suite),
        ("opening key", opening_public_key.suite),
    ):
        _expect(
            key_suite is suite,
            f"{what} is {key_suite}, the lot is {suite}: suites cannot be mixed",
            f"{what} 属于 {key_suite} 套件，而标段为 {suite} 套件，不能混用",
        )
    _expect(
        bidder_private_key.public_key == certificate.public_key,
        "the private key is not the certificate's",
        "私钥与投标人证书不匹配",
    )
    _expect(isinstance(lot_code, str) and 0 < len(lot_code) <= 200, "bad lot code", "标段编号错误")
    _expect(isinstance(summary, Mapping), "summary must be a JSON object", "开标一览表须为 JSON 对象")
    _check_summary(dict(summary))
    for name in files:
        check_file_name(name)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes")

    data_key = generate_data_key(suite)
    unsigned = EnvelopeHeader(
        suite=suite,
        lot_code=lot_code,
        bidder_certificate_pem=certificate.pem,
        bidder_certificate=certificate,
        recipients=(
            Recipient("bidder", certificate.public_key.fingerprint, wrap_key(certificate.public_key, data_key)),
            Recipient("opening", opening_public_key.fingerprint, wrap_key(opening_public_key, data_key)),
        ),
        chunk_size=chunk_size,
        nonce_prefix=os.urandom(NONCE_PREFIX_SIZE),
        key_commitment=key_commitment(suite, data_key),
        created_at=now.astimezone(UTC).replace(microsecond=0),
        ciphertext_size=0,
        ciphertext_sha256="",
        signature=b"",
    )
    with tempfile.TemporaryFile() as staged:
        ciphertext_hash = hashlib.sha256()

        def stage(sealed: bytes) -> None:
            ciphertext_hash.update(sealed)
            staged.write(sealed)

        sealer = StreamSealer(
            suite=suite,
            data_key=data_key,
            nonce_prefix=unsigned.nonce_prefix,
            associated_data=unsigned.associated_data,
            sink=stage,
            chunk_size=chunk_size,
        )
        manifest = _write_package(
            sealer, lot_code=lot_code, summary=dict(summary), files=files, signer=bidder_private_key
        )
        sealer.close()
        counted = replace(unsigned, ciphertext_size=staged.tell(), ciphertext_sha256=ciphertext_hash.hexdigest())
        header = replace(counted, signature=bidder_private_key.sign(canonical_json(counted.signed_document())))
        prefix = header.envelope_prefix()
        envelope_hash = hashlib.sha256(prefix)
        out.write(prefix)
        staged.seek(0)
        while piece := staged.read(DEFAULT_CHUNK_SIZE):
            envelope_hash.update(piece)
            out.write(piece)
    return SealedEnvelopeInfo(
        header=header,
        files=manifest,
        plaintext_size=sealer.plaintext_size,
        envelope_size=len(prefix) + header.ciphertext_size,
        envelope_sha256=envelope_hash.hexdigest(),
    )


# --- opening ----------------------------------------------------------------------------------------------


def unwrap_data_key(header: EnvelopeHeader, private_key: PrivateKey, role: Role) -> bytes:
    """The data key, unwrapped with the bidder's certificate key (``role="bidder"``, remote decryption at opening)
    or the lot's recovered opening key (``role="opening"``). DecryptionFailed with the wrong key; EnvelopeInvalid if
    the wrapped key is not the one the header commits to (an envelope made wrongly or in bad faith)."""
    recipient = header.recipient(role)
    if private_key.public_key.fingerprint != recipient.key_fingerprint:
        raise DecryptionFailed()
    data_key = unwrap_key(private_key, recipient.wrapped_key)
    _expect(
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


class _PlaintextReader(io.RawIOBase):
    """A readable file over an iterator of byte strings (tarfile reads the decrypted stream through it)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._current = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._current):
            next_piece = next(self._pieces, None)
            if next_piece is None:
                return 0
            self._current, self._offset = next_piece, 0
        count = min(len(buffer), len(self._current) - self._offset)
        buffer[:count] = self._current[self._offset : self._offset + count]
        self._offset += count
        return count

    def drain(self) -> None:
        """Read to the end, so that the last chunk is authenticated."""
        self._current, self._offset = b"", 0
        for _ in self._pieces:
            pass


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    _expect(member.size <= limit, f"{member.name} too large", f"{member.name} 过大")
    source = tar.extractfile(member)
    assert source is not None
    return source.read()


def open_bid(
    header: EnvelopeHeader,
    ciphertext_stream: BinaryIO,
    data_key: bytes,
    *,
    out_dir: Path | None = None,
) -> OpenedBid:
    """Decrypt a sealed bid and verify its inner signature.

    ``ciphertext_stream`` is what follows the header (after :func:`read_envelope_header`, or the stored ciphertext).
    With ``out_dir`` the files are written there (under their names, never overwriting) and memory stays flat;
    without it they are returned in memory. Raises DecryptionFailed (wrong key, any tampering), EnvelopeInvalid
    (malformed package, ciphertext size or hash not as signed) or SignatureInvalid (inner signature); on any error
    nothing is left in ``out_dir``.
    """
    if len(data_key) != data_key_size(header.suite) or not hmac.compare_digest(
        key_commitment(header.suite, data_key), header.key_commitment
    ):
        raise DecryptionFailed()
    counter = _HashingReader(ciphertext_stream)
    pieces = open_stream(
        counter,  # type: ignore[arg-type]
        suite=header.suite,
        data_key=data_key,
        nonce_prefix=header.nonce_prefix,
        associated_data=header.associated_data,
        chunk_size=header.chunk_size,
    )
    plaintext = _PlaintextReader(pieces)
    written: list[Path] = []
    try:
        summary, signature, opened = _read_package(plaintext, out_dir, written)
        plaintext.drain()
        _check_ciphertext(header, counter.size, counter.hasher.hexdigest())
        statement = inner_statement(
            lot_code=header.lot_code,
            summary=summary,
            files=[BidFile(name=item.name, size=item.size, sha256=item.sha256) for item in opened],
        )
        header.bidder_certificate.public_key.verify(statement, signature)
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        raise
    return OpenedBid(
        lot_code=header.lot_code,
        summary=summary,
        files=tuple(opened),
        bidder_certificate=header.bidder_certificate,
        inner_signature=signature,
    )


def _read_package(
    plaintext: io.RawIOBase, out_dir: Path | None, written: list[Path]
) -> tuple[dict[str, Any], bytes, list[OpenedFile]]:
    summary: dict[str, Any] | None = None
    signature: bytes | None = None
    opened: list[OpenedFile] = []
    try:
        with tarfile.open(fileobj=plaintext, mode="r|", encoding="utf-8") as tar:
            for member in tar:
                _expect(member.isreg(), f"{member.name} is not a regular file", f"{member.name} 不是普通文件")
                _expect(signature is None, "bid.sig is not the last member", "bid.sig 不是最后一项")
                if summary is None:
                    _expect(member.name == SUMMARY_MEMBER, "bid.json is not first", "bid.json 不是第一项")
                    document = _parse_json(_read_member(tar, member, MAX_SUMMARY_SIZE), SUMMARY_MEMBER)
                    _expect(isinstance(document, dict), "bid.json is not an object", "bid.json 不是 JSON 对象")
                    summary = document
                elif member.name == SIGNATURE_MEMBER:
                    signature = _read_member(tar, member, MAX_SIGNATURE_SIZE)
                else:
                    _expect(member.name.startswith(FILES_PREFIX), f"unexpected {member.name}", f"多余的 {member.name}")
                    name = member.name[len(FILES_PREFIX) :]
                    check_file_name(name)
                    _expect(not opened or opened[-1].name < name, "files not sorted or repeated", "文件未排序或重复")
                    opened.append(_read_file(tar, member, name, out_dir, written))
    except tarfile.TarError as error:
        raise _invalid("the bid package is not a valid tar", "投标文件包不是有效的 tar") from error
    _expect(summary is not None and signature is not None, "bid.json or bid.sig missing", "缺少 bid.json 或 bid.sig")
    assert summary is not None
    assert signature is not None
    return summary, signature, opened


def _read_file(
    tar: tarfile.TarFile, member: tarfile.TarInfo, name: str, out_dir: Path | None, written: list[Path]
) -> OpenedFile:
    source = tar.extractfile(member)
    assert source is not None
    hasher = hashlib.sha256()
    if out_dir is None:
        content = source.read()
        hasher.update(content)
        return OpenedFile(name=name, size=len(content), sha256=hasher.hexdigest(), content=content)
    path = out_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(path, "xb") as target:
        written.append(path)
        while piece := source.read(_COPY_SIZE):
            hasher.update(piece)
            size += len(piece)
            target.write(piece)
    return OpenedFile(name=name, size=size, sha256=hasher.hexdigest(), path=path)
