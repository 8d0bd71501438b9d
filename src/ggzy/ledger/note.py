"""Signed notes, log checkpoints and witness cosignatures, as the C2SP specifications define them.

Implemented from c2sp.org/signed-note, c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature (cosignature/v1,
the Ed25519 type). Nothing here touches a database; every function is pure except key generation and a cosigner
that is given no timestamp (it then reads the :class:`~ggzy.core.clock.Clock` it was built with).

Wire formats (all stable; published checkpoints depend on them). ``‖`` is concatenation, base64 is RFC 4648 §4
with padding, and every base64 field must be canonical (re-encoding the decoded bytes gives the same text):

Signed note
    ``<text>`` ``\\n`` ``<signature line>+``. The text is UTF-8, ends in ``\\n`` and may contain empty lines; the
    note contains no control character below U+0020 other than ``\\n``. The text is separated from the signatures
    by the *last* empty line. A signature line is ``— <key name> <base64(key ID ‖ signature)>\\n`` (U+2014, a
    space, the name, a space, the base64). The key ID is 4 bytes, big-endian uint32. A key name is non-empty and
    contains no Unicode space, no ``+`` and no control character.

Key ID
    ``SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4]`` for every type below.

Verifier key
    ``<key name>+<key ID, 8 hex digits>+<base64(signature type ‖ public key)>``. Parsing accepts upper- or
    lower-case hex and checks the key ID against the one recomputed from the rest; formatting writes lower case.

Signature types
    ``0x01`` Ed25519 (signed-note): public key is the 32-byte RFC 8032 key; the signature is the 64-byte Ed25519
    signature over the note text.

    ``0x04`` Ed25519 cosignature/v1 (tlog-cosignature): public key is the 32-byte Ed25519 key; the signature is
    ``timestamp (8 bytes, big-endian, at most 2^63 - 1) ‖ Ed25519 signature (64 bytes)`` over the message
    ``"cosignature/v1\\n" ‖ "time " ‖ <timestamp in decimal, no leading zeros> ‖ "\\n" ‖ <note text>``. The note
    text must be a checkpoint (extension lines, if any, are signed too). A line is therefore
    ``— <name> base64(key ID ‖ timestamp ‖ signature)``: 76 bytes before base64.

    ``0xff "ggzy/sm2-sm3/v1" 0x0A`` SM2 (ggzy's own type). signed-note assigns no byte to SM2; it reserves
    ``0xff`` for "signature types without an identifier byte assigned by this specification" and recommends that
    the byte be followed by a longer identifier unlikely to collide. Ours is the ASCII string
    ``ggzy/sm2-sm3/v1`` closed by a newline, so the identifier cannot run into the key bytes that follow it
    (ASCII never contains ``0x0A`` by accident, and the DER key starts with ``0x30``). The whole 17-byte prefix is
    the "signature type" in the key ID and verifier key formulas. Public key: the SM2 SubjectPublicKeyInfo DER
    (id-ecPublicKey, curve 1.2.156.10197.1.301), as ``ggzy.crypto`` writes it. Signature: DER
    ``SEQUENCE {r, s}`` over ``SM3(Z ‖ note text)`` with the default signer ID ``1234567812345678``
    (GB/T 32918.2, GM/T 0009), that is :meth:`ggzy.crypto.PrivateKey.sign` of the note text. Verifiers outside
    ggzy that do not know this type ignore these lines, as signed-note requires, so a checkpoint that the
    platform signs with Ed25519 *and* SM2 stays readable by every C2SP client and witness.

Checkpoint (note text)
    ``<origin>\\n<tree size>\\n<base64(root hash)>\\n<extension line>\\n*``. The origin is non-empty; the
    specification only RECOMMENDS that it be a schema-less URL without spaces or ``+``, and clients MUST NOT assume
    so, therefore those are accepted. The tree size is ASCII decimal without leading zeros (``0`` for an empty
    tree) and below 2^64. The root hash is exactly 32 bytes (RFC 6962 with SHA-256). Extension lines are non-empty.

Limits on opening a note: at most :data:`MAX_SIGNATURES` (100) signature lines, as the reference implementation
does (the spec requires accepting at least 16). A signature from a known key (same name *and* key ID) that fails
to verify rejects the whole note, as does the same known key signing twice; identical repeated lines from unknown
keys are dropped; a note with no verified signature from a known key is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ggzy.core.clock import Clock, SystemClock
from ggzy.crypto import (
    CertificateMalformed,
    KeyAlgorithm,
    PrivateKey,
    PublicKey,
    SignatureInvalid,
    Suite,
    generate_signing_key,
    load_public_key_der,
)

ED25519_SIGNATURE_TYPE: Final = b"\x01"
COSIGNATURE_V1_SIGNATURE_TYPE: Final = b"\x04"
SM2_SIGNATURE_TYPE: Final = b"\xffggzy/sm2-sm3/v1\n"

SIGNATURE_LINE_PREFIX: Final = "\u2014 "  # em dash, space
COSIGNATURE_V1_HEADER: Final = "cosignature/v1\n"
MAX_SIGNATURES: Final = 100
MAX_TIMESTAMP: Final = 2**63 - 1
MAX_TREE_SIZE: Final = 2**64 - 1
ROOT_HASH_SIZE: Final = 32

_KEY_ID_SIZE: Final = 4
_ED25519_KEY_SIZE: Final = 32
_ED25519_SIGNATURE_SIZE: Final = 64
_TIMESTAMP_SIZE: Final = 8
_COSIGNATURE_SIZE: Final = _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE
_TREE_SIZE_PATTERN: Final = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_PATTERN: Final = re.compile(r"[0-9a-fA-F]{8}")


class NoteError(ValueError):
    """A note, checkpoint, signature line or verifier key is malformed, or a note fails verification."""


# --- encodings --------------------------------------------------------------------------------------------


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: only the alphabet, correct padding, and canonical (no stray bits in the padding)."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise NoteError(f"{what} is not valid base64") from error
    if _b64encode(data) != text:
        raise NoteError(f"{what} is not canonical base64")
    return data


def _check_text(text: str, what: str) -> None:
    """signed-note: valid UTF-8 (no lone surrogates in a Python str) and no control character but newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise NoteError(f"{what} is not valid UTF-8") from error
    for character in text:
        if character < " " and character != "\n":
            raise NoteError(f"{what} contains the control character U+{ord(character):04X}")


def check_key_name(name: str) -> None:
    """Raise NoteError unless ``name`` is a valid key name: non-empty, no Unicode space, no ``+``, no control."""
    if not name:
        raise NoteError("key name is empty")
    for character in name:
        if character.isspace() or character == "+" or character < " ":
            raise NoteError(f"key name {name!r} contains a space, a plus sign or a control character")
    _check_text(name, "key name")


def compute_key_id(name: str, signature_type: bytes, public_key: bytes) -> int:
    """``SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + signature_type + public_key).digest()
    return int.from_bytes(digest[:_KEY_ID_SIZE], "big")


# --- verifiers --------------------------------------------------------------------------------------------


class NoteVerifier(ABC):
    """Checks signatures by one key: identified by its key name and key ID, as in a signature line."""

    def __init__(self, name: str, signature_type: bytes, public_key_bytes: bytes) -> None:
        check_key_name(name)
        self.name: Final = name
        self.signature_type: Final = signature_type
        self.public_key_bytes: Final = public_key_bytes
        self.key_id: Final = compute_key_id(name, signature_type, public_key_bytes)

    @abstractmethod
    def verify(self, body: bytes, signature: bytes) -> bool:
        """True if ``signature`` (without the key ID) is this key's signature over the note text ``body``."""

    @property
    def verifier_key(self) -> str:
        return format_verifier_key(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoteVerifier) and self.verifier_key == other.verifier_key

    def __hash__(self) -> int:
        return hash(self.verifier_key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}+{self.key_id:08x}>"


def _ed25519_raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _ed25519_public_key(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != _ED25519_KEY_SIZE:
        raise NoteError(f"an Ed25519 public key is {_ED25519_KEY_SIZE} bytes, got {len(raw)}")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise NoteError("not an Ed25519 public key") from error


def _ed25519_verifies(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    if len(signature) != _ED25519_SIGNATURE_SIZE:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


class Ed25519NoteVerifier(NoteVerifier):
    """Signature type 0x01: Ed25519 over the note text."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        super().__init__(name, ED25519_SIGNATURE_TYPE, _ed25519_raw(public_key))
        self.public_key: Final = public_key

    def verify(self, body: bytes, signature: bytes) -> bool:
        return _ed25519_verifies(self.public_key, body, signature)


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint text."""
    _check_timestamp(timestamp)
    return f"{COSIGNATURE_V1_HEADER}time {timestamp}\n".encode("ascii") + body


def _check_timestamp(timestamp: int) -> None:
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"a cosignature timestamp is between 0 and 2^63 - 1, got {timestamp}")


class CosignatureVerifier(NoteVerifier):
    """Signature type 0x04: a witness's timestamped Ed25519 cosignature/v1 of a checkpoint."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        super().__init__(name, COSIGNATURE_V1_SIGNATURE_TYPE, _ed25519_raw(public_key))
        self.public_key: Final = public_key

    def verify(self, body: bytes, signature: bytes) -> bool:
        if len(signature) != _COSIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        return _ed25519_verifies(self.public_key, cosignature_message(body, timestamp), signature[_TIMESTAMP_SIZE:])


class Sm2NoteVerifier(NoteVerifier):
    """ggzy's type ``0xff "ggzy/sm2-sm3/v1\\n"``: SM2 with SM3 and the default signer ID over the note text."""

    def __init__(self, name: str, public_key: PublicKey) -> None:
        if public_key.algorithm is not KeyAlgorithm.SM2:
            raise NoteError(f"an SM2 note verifier needs an SM2 key, got {public_key.algorithm}")
        super().__init__(name, SM2_SIGNATURE_TYPE, public_key.to_der())
        self.public_key: Final = public_key

    def verify(self, body: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(body, signature)
        except (SignatureInvalid, ValueError):
            return False
        return True


def format_verifier_key(key: NoteVerifier | NoteSigner) -> str:
    """``<name>+<key ID in 8 lower-case hex digits>+<base64(signature type ‖ public key)>``."""
    verifier = key.verifier if isinstance(key, NoteSigner) else key
    return f"{verifier.name}+{verifier.key_id:08x}+{_b64encode(verifier.signature_type + verifier.public_key_bytes)}"


def parse_verifier_key(text: str) -> NoteVerifier:
    """Read a verifier key string (see :func:`format_verifier_key`); the key ID must match the key."""
    parts = text.split("+", 2)  # the name and the hex contain no "+", the base64 may
    if len(parts) != 3:
        raise NoteError("a verifier key is <name>+<key ID>+<key>")
    name, hex_key_id, encoded = parts
    check_key_name(name)
    if not _KEY_ID_PATTERN.fullmatch(hex_key_id):
        raise NoteError(f"verifier key ID {hex_key_id!r} is not 8 hexadecimal digits")
    key_data = _b64decode(encoded, "verifier key")
    verifier: NoteVerifier
    if key_data.startswith(SM2_SIGNATURE_TYPE):
        der = key_data[len(SM2_SIGNATURE_TYPE) :]
        try:
            public_key = load_public_key_der(der)
        except (CertificateMalformed, ValueError) as error:
            raise NoteError("verifier key does not hold an SM2 public key") from error
        if public_key.algorithm is not KeyAlgorithm.SM2 or public_key.to_der() != der:
            raise NoteError("verifier key does not hold a canonically encoded SM2 public key")
        verifier = Sm2NoteVerifier(name, public_key)
    elif key_data[:1] == ED25519_SIGNATURE_TYPE:
        verifier = Ed25519NoteVerifier(name, _ed25519_public_key(key_data[1:]))
    elif key_data[:1] == COSIGNATURE_V1_SIGNATURE_TYPE:
        verifier = CosignatureVerifier(name, _ed25519_public_key(key_data[1:]))
    else:
        raise NoteError(f"verifier key has an unsupported signature type 0x{key_data[:1].hex() or '(none)'}")
    if verifier.key_id != int(hex_key_id, 16):
        raise NoteError(f"verifier key ID {hex_key_id} does not match the key (expected {verifier.key_id:08x})")
    return verifier


# --- signers ----------------------------------------------------------------------------------------------


class NoteSigner(ABC):
    """Signs note texts with one key; :attr:`verifier` is the matching public half."""

    @property
    @abstractmethod
    def verifier(self) -> NoteVerifier: ...

    @abstractmethod
    def sign(self, body: bytes) -> bytes:
        """The signature over the note text ``body``, without the key ID."""

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    @property
    def verifier_key(self) -> str:
        return format_verifier_key(self.verifier)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}+{self.key_id:08x}>"


class Ed25519NoteSigner(NoteSigner):
    """Signature type 0x01 (the log's own checkpoint signature in the C2SP ecosystem)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._verifier = Ed25519NoteVerifier(name, private_key.public_key())

    @property
    def verifier(self) -> Ed25519NoteVerifier:
        return self._verifier

    def sign(self, body: bytes) -> bytes:
        return self._private_key.sign(body)


class Sm2NoteSigner(NoteSigner):
    """ggzy's SM2 type, for the platform's 国密 signature beside the Ed25519 one."""

    def __init__(self, name: str, private_key: PrivateKey) -> None:
        if private_key.algorithm is not KeyAlgorithm.SM2:
            raise NoteError(f"an SM2 note signer needs an SM2 key, got {private_key.algorithm}")
        self._private_key = private_key
        self._verifier = Sm2NoteVerifier(name, private_key.public_key)

    @property
    def verifier(self) -> Sm2NoteVerifier:
        return self._verifier

    def sign(self, body: bytes) -> bytes:
        return self._private_key.sign(body)


class CosignatureSigner(NoteSigner):
    """Signature type 0x04: a witness cosigning checkpoints (cosignature/v1).

    Without an explicit ``timestamp`` the signer reads its clock; tests and callers that already hold ``now`` pass
    the timestamp instead.
    """

    def __init__(self, name: str, private_key: Ed25519PrivateKey, *, clock: Clock | None = None) -> None:
        self._private_key = private_key
        self._verifier = CosignatureVerifier(name, private_key.public_key())
        self._clock: Clock = clock if clock is not None else SystemClock()

    @property
    def verifier(self) -> CosignatureVerifier:
        return self._verifier

    def sign(self, body: bytes, *, timestamp: int | None = None) -> bytes:
        try:
            parse_checkpoint(body.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise NoteError("a cosigned checkpoint is not valid UTF-8") from error
        if timestamp is None:
            timestamp = int(self._clock.now().timestamp())
        message = cosignature_message(body, timestamp)
        return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + self._private_key.sign(message)


def generate_ed25519_signer(name: str) -> tuple[Ed25519NoteSigner, str]:
    """A new Ed25519 note key: the signer and its verifier key string."""
    signer = Ed25519NoteSigner(name, Ed25519PrivateKey.generate())
    return signer, signer.verifier_key


def generate_sm2_signer(name: str) -> tuple[Sm2NoteSigner, str]:
    """A new SM2 note key: the signer and its verifier key string."""
    signer = Sm2NoteSigner(name, generate_signing_key(Suite.GM))
    return signer, signer.verifier_key


def generate_cosignature_signer(name: str, *, clock: Clock | None = None) -> tuple[CosignatureSigner, str]:
    """A new witness key (cosignature/v1): the signer and its verifier key string."""
    signer = CosignatureSigner(name, Ed25519PrivateKey.generate(), clock=clock)
    return signer, signer.verifier_key


# --- notes ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes that follow the key ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """The signature line, ending in a newline."""
        payload = self.key_id.to_bytes(_KEY_ID_SIZE, "big") + self.signature
        return f"{SIGNATURE_LINE_PREFIX}{self.name} {_b64encode(payload)}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text, its signature lines, and the known keys that verified it."""

    body: str
    signatures: tuple[NoteSignature, ...]
    """Every signature line in order (repeated identical lines from unknown keys only once)."""
    verifiers: tuple[NoteVerifier, ...] = field(default=())
    """The known keys whose signatures verified, in the order of their lines."""

    @property
    def verified_signatures(self) -> tuple[NoteSignature, ...]:
        known = {(verifier.name, verifier.key_id) for verifier in self.verifiers}
        return tuple(signature for signature in self.signatures if (signature.name, signature.key_id) in known)

    @property
    def unverified_signatures(self) -> tuple[NoteSignature, ...]:
        known = {(verifier.name, verifier.key_id) for verifier in self.verifiers}
        return tuple(signature for signature in self.signatures if (signature.name, signature.key_id) not in known)


def parse_signature_line(line: str) -> NoteSignature:
    """Read ``— <name> <base64(key ID ‖ signature)>``, with or without the final newline. Nothing is verified."""
    line = line.removesuffix("\n")
    _check_text(line, "signature line")
    if "\n" in line:
        raise NoteError("a signature line is a single line")
    if not line.startswith(SIGNATURE_LINE_PREFIX):
        raise NoteError("a signature line starts with an em dash (U+2014) and a space")
    name, separator, encoded = line[len(SIGNATURE_LINE_PREFIX) :].partition(" ")
    if not separator:
        raise NoteError("a signature line is '— <key name> <base64 signature>'")
    check_key_name(name)
    payload = _b64decode(encoded, f"signature of {name}")
    if len(payload) <= _KEY_ID_SIZE:
        raise NoteError(f"signature of {name} is too short to hold a key ID and a signature")
    return NoteSignature(name, int.from_bytes(payload[:_KEY_ID_SIZE], "big"), payload[_KEY_ID_SIZE:])


def _check_body(body: str) -> None:
    _check_text(body, "note text")
    if not body.endswith("\n"):
        raise NoteError("note text does not end with a newline")


def _split_note(text: str) -> tuple[str, list[NoteSignature]]:
    """The text and the signature lines of a signed note, checked for form only."""
    _check_text(text, "note")
    separator = text.rfind("\n\n")
    if separator < 0:
        raise NoteError("note has no empty line before its signatures")
    body, signature_block = text[: separator + 1], text[separator + 2 :]
    if not signature_block:
        raise NoteError("note has no signatures")
    if not signature_block.endswith("\n"):
        raise NoteError("note does not end with a newline")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signatures; at most {MAX_SIGNATURES} are accepted")
    return body, [parse_signature_line(line) for line in lines]


def _verifier_index(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    index: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        if key in index and index[key] != verifier:
            raise NoteError(f"two different verifier keys share the name and key ID {verifier.name}+{key[1]:08x}")
        index[key] = verifier
    return index


def signature_line(body: str, signer: NoteSigner) -> str:
    """``signer``'s signature line over the note text ``body`` (what a witness returns)."""
    _check_body(body)
    return NoteSignature(signer.name, signer.key_id, signer.sign(body.encode("utf-8"))).line()


def sign_note(body: str, signers: Sequence[NoteSigner]) -> str:
    """The signed note: ``body``, an empty line, then one signature line per signer in the order given."""
    _check_body(body)
    if not signers:
        raise NoteError("a note needs at least one signer")
    if len({(signer.name, signer.key_id) for signer in signers}) != len(signers):
        raise NoteError("two signers share a key name and key ID")
    if len(signers) > MAX_SIGNATURES:
        raise NoteError(f"at most {MAX_SIGNATURES} signatures fit in a note")
    return body + "\n" + "".join(signature_line(body, signer) for signer in signers)


def open_note(text: str, verifiers: Iterable[NoteVerifier]) -> Note:
    """Parse a signed note and verify it against the known keys (signed-note §Signatures).

    Signatures from unknown keys are kept but not checked. Raises NoteError if the note is malformed, if a known key
    signs twice, if any signature from a known key fails, or if no known key signed at all.
    """
    known = _verifier_index(verifiers)
    body, parsed = _split_note(text)
    body_bytes = body.encode("utf-8")
    signatures: list[NoteSignature] = []
    verified: list[NoteVerifier] = []
    seen_unknown: set[NoteSignature] = set()
    for signature in parsed:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            if signature not in seen_unknown:
                seen_unknown.add(signature)
                signatures.append(signature)
            continue
        if verifier in verified:
            raise NoteError(f"note carries two signatures by {signature.name}+{signature.key_id:08x}")
        if not verifier.verify(body_bytes, signature.signature):
            raise NoteError(f"signature by the known key {signature.name}+{signature.key_id:08x} does not verify")
        signatures.append(signature)
        verified.append(verifier)
    if not verified:
        raise NoteError("note carries no signature from a known key")
    return Note(body=body, signatures=tuple(signatures), verifiers=tuple(verified))


def add_signatures(note_text: str, extra_signature_lines: Iterable[str]) -> str:
    """Merge signature lines (e.g. witnesses' cosignatures) into a signed note, without verifying anything.

    A line whose key name and key ID already appear in the note is dropped: the first signature by a key wins.
    Open the result with :func:`open_note` to verify it.
    """
    body, signatures = _split_note(note_text)
    present = {(signature.name, signature.key_id) for signature in signatures}
    for line in extra_signature_lines:
        signature = parse_signature_line(line)
        if (signature.name, signature.key_id) in present:
            continue
        present.add((signature.name, signature.key_id))
        signatures.append(signature)
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"merged note would carry {len(signatures)} signatures; at most {MAX_SIGNATURES} fit")
    return body + "\n" + "".join(signature.line() for signature in signatures)


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The POSIX timestamp (seconds) inside a cosignature/v1 signature line. The signature is not verified."""
    if len(signature.signature) != _COSIGNATURE_SIZE:
        raise NoteError(f"signature of {signature.name} is not a cosignature/v1 (wrong length)")
    timestamp = int.from_bytes(signature.signature[:_TIMESTAMP_SIZE], "big")
    _check_timestamp(timestamp)
    return timestamp


# --- checkpoints ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head (tlog-checkpoint): origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for line, what in [(self.origin, "origin"), *((extension, "extension line") for extension in self.extensions)]:
            if not line:
                raise NoteError(f"checkpoint {what} is empty")
            if "\n" in line:
                raise NoteError(f"checkpoint {what} contains a newline")
            _check_text(line, f"checkpoint {what}")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"checkpoint tree size must be between 0 and 2^64 - 1, got {self.size}")
        if len(self.root_hash) != ROOT_HASH_SIZE:
            raise NoteError(f"checkpoint root hash must be {ROOT_HASH_SIZE} bytes, got {len(self.root_hash)}")

    def body(self) -> str:
        """The note text: one line each for origin, size, base64 root hash, then the extension lines."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(body: str) -> Checkpoint:
    """Read a checkpoint's note text strictly (tlog-checkpoint §Note text)."""
    _check_body(body)
    lines = body[:-1].split("\n")  # only U+000A separates lines; str.splitlines would also split at U+2028
    if len(lines) < 3:
        raise NoteError("a checkpoint has at least three lines: origin, tree size and root hash")
    origin, size_text, root_text, *extensions = lines
    if not _TREE_SIZE_PATTERN.fullmatch(size_text):
        raise NoteError(f"checkpoint tree size {size_text!r} is not a decimal number without leading zeros")
    return Checkpoint(
        origin=origin,
        size=int(size_text),
        root_hash=_b64decode(root_text, "checkpoint root hash"),
        extensions=tuple(extensions),
    )
