"""The envelope header: its fields, their strict parsing, the outer signature, and the checks the server makes on
submission without any key (the lot, the opening key, the ciphertext's size and SHA-256)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final

from ggzy.crypto.certificates import Certificate, load_certificate
from ggzy.crypto.envelope.common import (
    COPY_SIZE,
    CREATED_AT_FORMAT,
    FORMAT,
    HEADER_LENGTH_SIZE,
    KEY_COMMITMENT_LABEL,
    MAGIC,
    MAX_CHUNK_SIZE,
    MAX_CHUNKS,
    MAX_HEADER_SIZE,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    ROLES,
    Role,
    b64,
    canonical_json,
    expect,
    invalid,
    is_hex,
    is_int,
    parse_json,
    read_exactly,
    unb64,
)
from ggzy.crypto.errors import CertificateMalformed
from ggzy.crypto.suites import TAG_SIZE, PublicKey, Suite, digest

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


@dataclass(frozen=True)
class Recipient:
    """The data key wrapped to one key (:func:`ggzy.crypto.wrap_key`)."""

    role: Role
    key_fingerprint: str  # SHA-256 of the recipient's SubjectPublicKeyInfo DER, hex
    wrapped_key: bytes

    def to_document(self) -> dict[str, str]:
        return {"role": self.role, "key_fingerprint": self.key_fingerprint, "wrapped_key": b64(self.wrapped_key)}


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
            "nonce_prefix": b64(self.nonce_prefix),
            "key_commitment": b64(self.key_commitment),
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
        return {**self.signed_document(), "signature": b64(self.signature)}

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
        raise invalid(f"no {role} recipient", f"缺少接收方 {role}")

    @property
    def chunk_count(self) -> int:
        sealed_size = self.chunk_size + TAG_SIZE
        return max(1, -(-self.ciphertext_size // sealed_size))

    def verify_signature(self) -> None:
        """Raise SignatureInvalid unless the bidder certificate's key signed this header."""
        self.bidder_certificate.public_key.verify(canonical_json(self.signed_document()), self.signature)


def _parse_recipients(value: object) -> tuple[Recipient, ...]:
    expect(isinstance(value, list), "recipients is not a list", "recipients 不是列表")
    assert isinstance(value, list)
    recipients = []
    for item in value:
        expect(
            isinstance(item, dict) and set(item) == {"role", "key_fingerprint", "wrapped_key"},
            "a recipient must have role, key_fingerprint and wrapped_key",
            "接收方须有 role、key_fingerprint、wrapped_key",
        )
        expect(item["role"] in ROLES, "recipient role must be bidder or opening", "接收方角色须为 bidder 或 opening")
        expect(is_hex(item["key_fingerprint"], 64), "bad key fingerprint", "密钥指纹格式错误")
        wrapped = unb64(item["wrapped_key"], "wrapped_key")
        expect(0 < len(wrapped) <= 1024, "bad wrapped key size", "封装密钥长度错误")
        recipients.append(Recipient(role=item["role"], key_fingerprint=item["key_fingerprint"], wrapped_key=wrapped))
    roles = [recipient.role for recipient in recipients]
    expect(roles == ["bidder", "opening"], "need a bidder then an opening recipient", "须依次有投标人与开标两个接收方")
    return tuple(recipients)


def parse_header(data: bytes) -> EnvelopeHeader:
    """Parse and check a header's JSON (not its signature). Every field must be in its canonical form."""
    document = parse_json(data, "header")
    expect(isinstance(document, dict), "header is not a JSON object", "信封头不是 JSON 对象")
    expect(document.get("format") == FORMAT, f"format is not {FORMAT}", f"格式不是 {FORMAT}")
    expect(set(document) == _HEADER_KEYS, "header fields missing or unknown", "信封头字段缺失或多余")
    expect(document["suite"] in {str(suite) for suite in Suite}, "unknown suite", "未知的密码套件")
    suite = Suite(document["suite"])
    lot_code = document["lot_code"]
    expect(isinstance(lot_code, str) and 0 < len(lot_code) <= 200, "bad lot code", "标段编号错误")
    pem = document["bidder_certificate"]
    expect(isinstance(pem, str), "bidder certificate is not PEM text", "投标人证书不是 PEM 文本")
    try:
        certificate = load_certificate(pem)
    except CertificateMalformed as error:
        raise invalid("bidder certificate unreadable", "投标人证书无法读取") from error
    expect(
        certificate.suite is suite,
        f"a {certificate.suite} certificate in a {suite} envelope",
        f"{suite} 信封中使用了 {certificate.suite} 证书（密码套件不一致）",
    )
    chunk_size = document["chunk_size"]
    expect(is_int(chunk_size) and MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE, "bad chunk size", "分块大小错误")
    ciphertext_size = document["ciphertext_size"]
    expect(is_int(ciphertext_size) and ciphertext_size >= TAG_SIZE, "bad ciphertext size", "密文长度错误")
    expect(is_hex(document["ciphertext_sha256"], 64), "bad ciphertext hash", "密文哈希格式错误")
    created_text = document["created_at"]
    try:
        created_at = datetime.strptime(created_text, CREATED_AT_FORMAT).replace(tzinfo=UTC)
    except (TypeError, ValueError) as error:
        raise invalid("created_at is not YYYY-MM-DDTHH:MM:SSZ", "created_at 格式错误") from error
    header = EnvelopeHeader(
        suite=suite,
        lot_code=lot_code,
        bidder_certificate_pem=pem,
        bidder_certificate=certificate,
        recipients=_parse_recipients(document["recipients"]),
        chunk_size=chunk_size,
        nonce_prefix=unb64(document["nonce_prefix"], "nonce_prefix"),
        key_commitment=unb64(document["key_commitment"], "key_commitment"),
        created_at=created_at,
        ciphertext_size=ciphertext_size,
        ciphertext_sha256=document["ciphertext_sha256"],
        signature=unb64(document["signature"], "signature"),
    )
    expect(len(header.nonce_prefix) == NONCE_PREFIX_SIZE, "nonce prefix is not 7 bytes", "nonce 前缀不是 7 字节")
    expect(len(header.key_commitment) == 32, "key commitment is not 32 bytes", "密钥承诺不是 32 字节")
    expect(header.chunk_count <= MAX_CHUNKS, "too many chunks", "分块过多")
    expect(
        header.recipient("bidder").key_fingerprint == certificate.public_key.fingerprint,
        "the bidder recipient is not the certificate's key",
        "投标人接收方与证书公钥不一致",
    )
    # Only canonical encodings: what is signed is re-serialised from the parsed values.
    expect(header.to_document() == document, "header fields not in canonical form", "信封头字段不是规范形式")
    return header


def read_envelope_header(stream: BinaryIO) -> EnvelopeHeader:
    """Read the magic line, length and header from ``stream`` and check the outer signature.

    Leaves ``stream`` at the first byte of the ciphertext: this is how an envelope is split while streaming. Raises
    EnvelopeInvalid (malformed) or SignatureInvalid. Whether the certificate is trusted, valid now and the bidder's,
    and whether the lot and opening key are the right ones (:func:`check_envelope_for_lot`), is for the caller.
    """
    expect(read_exactly(stream, len(MAGIC)) == MAGIC, f"not a {FORMAT} envelope", f"不是 {FORMAT} 信封")
    length_bytes = read_exactly(stream, HEADER_LENGTH_SIZE)
    expect(len(length_bytes) == HEADER_LENGTH_SIZE, "truncated envelope", "信封不完整")
    length = int.from_bytes(length_bytes, "big")
    expect(0 < length <= MAX_HEADER_SIZE, "bad header length", "信封头长度错误")
    data = read_exactly(stream, length)
    expect(len(data) == length, "truncated header", "信封头不完整")
    header = parse_header(data)
    header.verify_signature()
    return header


def check_envelope_for_lot(header: EnvelopeHeader, *, lot_code: str, opening_public_key: PublicKey) -> None:
    """Raise EnvelopeInvalid unless the envelope is for this lot and its data key is wrapped to this opening key."""
    expect(header.lot_code == lot_code, f"envelope is for lot {header.lot_code}", f"信封属于标段 {header.lot_code}")
    expect(
        header.suite is opening_public_key.suite,
        f"a {header.suite} envelope for a {opening_public_key.suite} lot",
        "信封与标段的密码套件不一致",
    )
    expect(
        header.recipient("opening").key_fingerprint == opening_public_key.fingerprint,
        "data key not wrapped to this lot's opening key",
        "数据密钥未封装给本标段的开标公钥",
    )


def verify_ciphertext(header: EnvelopeHeader, stream: BinaryIO, out: BinaryIO | None = None) -> None:
    """Check, without any key, that the rest of ``stream`` is the ciphertext the signed header names (size and
    SHA-256), copying it to ``out`` if given; EnvelopeInvalid otherwise. What the server does on submission."""
    hasher = hashlib.sha256()
    size = 0
    while piece := stream.read(COPY_SIZE):
        hasher.update(piece)
        size += len(piece)
        if size > header.ciphertext_size:
            break
        if out is not None:
            out.write(piece)
    check_ciphertext(header, size, hasher.hexdigest())


def check_ciphertext(header: EnvelopeHeader, size: int, sha256: str) -> None:
    expect(
        size == header.ciphertext_size,
        f"ciphertext is {size} bytes, header says {header.ciphertext_size}",
        f"密文长度 {size} 字节，与信封头所载 {header.ciphertext_size} 不符",
    )
    expect(sha256 == header.ciphertext_sha256, "ciphertext SHA-256 does not match", "密文 SHA-256 与信封头不符")


def key_commitment(suite: Suite, data_key: bytes) -> bytes:
    """``digest(suite, label || data key)``: ties the header to one data key (GCM alone is not key-committing, so a
    crafted ciphertext could otherwise open to two different bids under two differently wrapped keys)."""
    return digest(suite, KEY_COMMITMENT_LABEL + data_key)
