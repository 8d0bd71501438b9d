"""Sealing a bid, the client side of ``ggzy-sealed-bid/v1``: package, encrypt, wrap the data key twice, sign."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ggzy.crypto.certificates import load_certificate
from ggzy.crypto.envelope.common import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    canonical_json,
    expect,
)
from ggzy.crypto.envelope.header import EnvelopeHeader, Recipient, key_commitment
from ggzy.crypto.envelope.package import BidFile, check_file_name, check_summary, write_package
from ggzy.crypto.envelope.stream import StreamSealer
from ggzy.crypto.suites import PrivateKey, PublicKey, Suite, generate_data_key, wrap_key


@dataclass(frozen=True)
class SealedEnvelopeInfo:
    header: EnvelopeHeader
    files: tuple[BidFile, ...]
    plaintext_size: int
    envelope_size: int
    envelope_sha256: str


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
        expect(
            key_suite is suite,
            f"{what} is {key_suite}, the lot is {suite}: suites cannot be mixed",
            f"{what} 属于 {key_suite} 套件，而标段为 {suite} 套件，不能混用",
        )
    expect(
        bidder_private_key.public_key == certificate.public_key,
        "the private key is not the certificate's",
        "私钥与投标人证书不匹配",
    )
    expect(isinstance(lot_code, str) and 0 < len(lot_code) <= 200, "bad lot code", "标段编号错误")
    expect(isinstance(summary, Mapping), "summary must be a JSON object", "开标一览表须为 JSON 对象")
    check_summary(dict(summary))
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
        manifest = write_package(
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
