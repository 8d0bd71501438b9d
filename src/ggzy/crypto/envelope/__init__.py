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

The parts: :mod:`.common` (constants, canonical and strict JSON), :mod:`.stream` (the chunked AEAD),
:mod:`.header` (fields, parsing, outer signature, the server's keyless checks), :mod:`.package` (the tar inside,
written and parsed), :mod:`.sealing` (the client) and :mod:`.opening` (unwrap, decrypt, verify, read). Everything
callers use is importable from here.
"""

from ggzy.crypto.envelope.common import (
    CREATED_AT_FORMAT,
    DEFAULT_CHUNK_SIZE,
    FILES_PREFIX,
    FORMAT,
    HEADER_LENGTH_SIZE,
    KEY_COMMITMENT_LABEL,
    MAGIC,
    MAX_CHUNK_SIZE,
    MAX_CHUNKS,
    MAX_FILE_NAME_BYTES,
    MAX_HEADER_SIZE,
    MAX_SIGNATURE_SIZE,
    MAX_SUMMARY_SIZE,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    ROLES,
    SIGNATURE_MEMBER,
    SUMMARY_MEMBER,
    Role,
    canonical_json,
)
from ggzy.crypto.envelope.header import (
    EnvelopeHeader,
    Recipient,
    check_envelope_for_lot,
    key_commitment,
    parse_header,
    read_envelope_header,
    verify_ciphertext,
)
from ggzy.crypto.envelope.opening import (
    OpenedBid,
    OpenedFile,
    open_bid,
    read_bid_file,
    unwrap_data_key,
    verify_bid,
)
from ggzy.crypto.envelope.package import BidFile, PackageReader, check_file_name, inner_statement
from ggzy.crypto.envelope.sealing import SealedEnvelopeInfo, seal_bid
from ggzy.crypto.envelope.stream import StreamSealer, chunk_nonce, open_stream, seal_stream

__all__ = [
    "CREATED_AT_FORMAT",
    "DEFAULT_CHUNK_SIZE",
    "FILES_PREFIX",
    "FORMAT",
    "HEADER_LENGTH_SIZE",
    "KEY_COMMITMENT_LABEL",
    "MAGIC",
    "MAX_CHUNKS",
    "MAX_CHUNK_SIZE",
    "MAX_FILE_NAME_BYTES",
    "MAX_HEADER_SIZE",
    "MAX_SIGNATURE_SIZE",
    "MAX_SUMMARY_SIZE",
    "MIN_CHUNK_SIZE",
    "NONCE_PREFIX_SIZE",
    "ROLES",
    "SIGNATURE_MEMBER",
    "SUMMARY_MEMBER",
    "BidFile",
    "EnvelopeHeader",
    "OpenedBid",
    "OpenedFile",
    "PackageReader",
    "Recipient",
    "Role",
    "SealedEnvelopeInfo",
    "StreamSealer",
    "canonical_json",
    "check_envelope_for_lot",
    "check_file_name",
    "chunk_nonce",
    "inner_statement",
    "key_commitment",
    "open_bid",
    "open_stream",
    "parse_header",
    "read_bid_file",
    "read_envelope_header",
    "seal_bid",
    "seal_stream",
    "unwrap_data_key",
    "verify_bid",
    "verify_ciphertext",
]
