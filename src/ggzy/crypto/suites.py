"""The two cipher suites: GM (国密: SM2, SM3, SM4) and INTL (ECDSA P-256, X25519, SHA-256, AES-256-GCM).

Everything here calls a maintained library: ``cryptography`` for SM3, SM4-GCM, AES-GCM, ECDSA, ECDH,
X25519 and HKDF; ``gmssl_pyx`` for SM2 signatures and SM2 public-key encryption; ``asn1crypto`` for the
SM2 key structures that ``cryptography`` cannot load. Nothing cryptographic is written by hand.

Byte layouts (all stable; stored data depends on them):

``aead_encrypt`` output
    ``nonce (12 bytes) || ciphertext (as long as the plaintext) || tag (16 bytes)``.
    GM: SM4-GCM, 16-byte key. INTL: AES-256-GCM, 32-byte key. The nonce is random (96 bits).

Signatures
    SM2: DER ``SEQUENCE {r INTEGER, s INTEGER}`` over ``SM3(Z || message)`` with the default signer ID
    ``1234567812345678`` (GB/T 32918.2, GM/T 0009).
    ECDSA P-256: DER ``SEQUENCE {r INTEGER, s INTEGER}`` over SHA-256(message).

``wrap_key`` output, by the recipient key's algorithm
    SM2: the SM2 ciphertext exactly as GM/T 0009 encodes it (C1C3C2 order), DER ``SEQUENCE {x INTEGER,
    y INTEGER, hash OCTET STRING (32 bytes), ciphertext OCTET STRING}``. The wrapped key may be 1 to 255
    bytes.

    P-256 and X25519: ``ephemeral public key || nonce (12) || ciphertext || tag (16)``, where the
    ephemeral public key is the 65-byte uncompressed SEC1 point (P-256) or the 32-byte raw key (X25519).
    The AES-256-GCM key is ``HKDF-SHA256(ikm = ECDH(ephemeral, recipient), salt = none, length = 32,
    info = b"ggzy/key-wrap/v1" || ephemeral public key || recipient SubjectPublicKeyInfo DER)``; what
    follows the ephemeral key is ``aead_encrypt``'s layout with no associated data.

Keys on disk
    Private keys are unencrypted PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``). An SM2 private key is
    PKCS#8 with algorithm id-ecPublicKey, curve 1.2.156.10197.1.301 and an RFC 5915 ECPrivateKey that
    carries the public key (the form OpenSSL 3 writes). Public keys are SubjectPublicKeyInfo PEM
    (``-----BEGIN PUBLIC KEY-----``).
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum
from typing import Final

import gmssl_pyx
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ggzy.crypto.errors import CertificateMalformed, DecryptionFailed, SignatureInvalid

SM2_CURVE_OID: Final = "1.2.156.10197.1.301"
SM2_WITH_SM3_OID: Final = "1.2.156.10197.1.501"
ECDSA_WITH_SHA256_OID: Final = "1.2.840.10045.4.3.2"
EC_PUBLIC_KEY_OID: Final = "1.2.840.10045.2.1"

NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
WRAP_INFO_LABEL: Final = b"ggzy/key-wrap/v1"
SM2_MAX_WRAPPED_KEY_SIZE: Final = 255

_P256_POINT_SIZE: Final = 65
_X25519_KEY_SIZE: Final = 32

# asn1crypto knows no SM2 curve; its documented hook registers one (it needs the key length to encode).
if SM2_CURVE_OID not in asn1_keys.NamedCurve._map:
    asn1_keys.NamedCurve.register("sm2p256v1", SM2_CURVE_OID, 32)


class Suite(StrEnum):
    """A cipher suite. A lot, a certificate and a key each belong to exactly one."""

    GM = "gm"
    INTL = "intl"


class KeyAlgorithm(StrEnum):
    SM2 = "sm2"
    P256 = "p256"
    X25519 = "x25519"

    @property
    def suite(self) -> Suite:
        return Suite.GM if self is KeyAlgorithm.SM2 else Suite.INTL


# --- hashing and authenticated encryption -----------------------------------------------------------------


def digest(suite: Suite, data: bytes) -> bytes:
    """SM3 (GM) or SHA-256 (INTL) of ``data``; 32 bytes either way."""
    hasher = hashes.Hash(hashes.SM3() if suite is Suite.GM else hashes.SHA256())
    hasher.update(data)
    return hasher.finalize()


def data_key_size(suite: Suite) -> int:
    """Key size of the suite's AEAD: 16 bytes for SM4-GCM, 32 bytes for AES-256-GCM."""
    return 16 if suite is Suite.GM else 32


def generate_data_key(suite: Suite) -> bytes:
    """A fresh random key for :func:`aead_encrypt`."""
    return os.urandom(data_key_size(suite))


def _block_cipher(suite: Suite, key: bytes) -> algorithms.SM4 | algorithms.AES256:
    if len(key) != data_key_size(suite):
        raise ValueError(f"{suite} AEAD needs a {data_key_size(suite)}-byte key, got {len(key)} bytes")
    return algorithms.SM4(key) if suite is Suite.GM else algorithms.AES256(key)


def aead_encrypt(suite: Suite, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt and authenticate; returns ``nonce ‖ ciphertext ‖ tag`` (see the module docstring)."""
    nonce = os.urandom(NONCE_SIZE)
    encryptor = Cipher(_block_cipher(suite, key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + ciphertext + encryptor.tag


def aead_decrypt(suite: Suite, key: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
    """Reverse :func:`aead_encrypt`; a wrong key or ``aad`` or any changed byte raises DecryptionFailed."""
    if len(key) != data_key_size(suite) or len(sealed) < NONCE_SIZE + TAG_SIZE:
        raise DecryptionFailed()
    nonce, ciphertext, tag = sealed[:NONCE_SIZE], sealed[NONCE_SIZE:-TAG_SIZE], sealed[-TAG_SIZE:]
    decryptor = Cipher(_block_cipher(suite, key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag as error:
        raise DecryptionFailed() from error


# --- keys -------------------------------------------------------------------------------------------------


def _pem(kind: str, der: bytes) -> str:
    return asn1_pem.armor(kind, der).decode("ascii")


def _sm2_algorithm() -> dict[str, object]:
    """AlgorithmIdentifier of an SM2 key: id-ecPublicKey with the SM2 named curve (GM/T 0010)."""
    return {"algorithm": "ec", "parameters": asn1_keys.ECDomainParameters("named", SM2_CURVE_OID)}


class PublicKey(ABC):
    """A public key of either suite: verifies signatures and receives wrapped keys."""

    algorithm: KeyAlgorithm

    @property
    def suite(self) -> Suite:
        return self.algorithm.suite

    @abstractmethod
    def to_der(self) -> bytes:
        """SubjectPublicKeyInfo DER."""

    def to_pem(self) -> str:
        return _pem("PUBLIC KEY", self.to_der())

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the SubjectPublicKeyInfo DER, in hex."""
        return hashlib.sha256(self.to_der()).hexdigest()

    @abstractmethod
    def verify(self, data: bytes, signature: bytes) -> None:
        """Return if ``signature`` is this key's signature over ``data``; raise SignatureInvalid otherwise."""

    @abstractmethod
    def _wrap(self, key: bytes) -> bytes: ...

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.to_der() == other.to_der()

    def __hash__(self) -> int:
        return hash(self.to_der())

    def __repr__(self) -> str:
        return f"<PublicKey {self.algorithm} {self.fingerprint[:16]}>"


class PrivateKey(ABC):
    """A private key of either suite: signs (SM2, P-256) and unwraps keys wrapped to its public key."""

    algorithm: KeyAlgorithm

    @property
    def suite(self) -> Suite:
        return self.algorithm.suite

    @property
    @abstractmethod
    def public_key(self) -> PublicKey: ...

    @abstractmethod
    def to_der(self) -> bytes:
        """Unencrypted PKCS#8 DER."""

    def to_pem(self) -> str:
        return _pem("PRIVATE KEY", self.to_der())

    @abstractmethod
    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (SM2 with SM3 and the default signer ID, or ECDSA P-256 with SHA-256)."""

    @abstractmethod
    def _unwrap(self, wrapped: bytes) -> bytes: ...

    def __repr__(self) -> str:
        return f"<PrivateKey {self.algorithm} of {self.public_key.fingerprint[:16]}>"


class _Sm2PublicKey(PublicKey):
    algorithm = KeyAlgorithm.SM2

    def __init__(self, point: bytes) -> None:
        self._point = point  # 64 bytes x ‖ y, the form gmssl_pyx takes

    def to_der(self) -> bytes:
        info = asn1_keys.PublicKeyInfo({"algorithm": _sm2_algorithm(), "public_key": b"\x04" + self._point})
        return bytes(info.dump())

    def verify(self, data: bytes, signature: bytes) -> None:
        try:
            valid = gmssl_pyx.sm2_verify(self._point, data, signature, gmssl_pyx.SM2_DEFAULT_SIGNER_ID)
        except gmssl_pyx.GmsslInnerError as error:
            raise SignatureInvalid() from error
        if not valid:
            raise SignatureInvalid()

    def _wrap(self, key: bytes) -> bytes:
        if len(key) > SM2_MAX_WRAPPED_KEY_SIZE:
            raise ValueError(f"SM2 can wrap at most {SM2_MAX_WRAPPED_KEY_SIZE} bytes")
        return bytes(gmssl_pyx.sm2_encrypt(self._point, key))


class _Sm2PrivateKey(PrivateKey):
    algorithm = KeyAlgorithm.SM2

    def __init__(self, secret: bytes, point: bytes) -> None:
        self._secret = secret  # 32 bytes
        self._public = _Sm2PublicKey(point)

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def to_der(self) -> bytes:
        ec_private_key = asn1_keys.ECPrivateKey(
            {
                "version": "ecPrivkeyVer1",
                "private_key": int.from_bytes(self._secret, "big"),
                "public_key": b"\x04" + self._public._point,
            }
        )
        info = asn1_keys.PrivateKeyInfo(
            {"version": 0, "private_key_algorithm": _sm2_algorithm(), "private_key": ec_private_key}
        )
        return bytes(info.dump())

    def sign(self, data: bytes) -> bytes:
        return bytes(gmssl_pyx.sm2_sign(self._secret, self._public._point, data, gmssl_pyx.SM2_DEFAULT_SIGNER_ID))

    def _unwrap(self, wrapped: bytes) -> bytes:
        try:
            return bytes(gmssl_pyx.sm2_decrypt(self._secret, wrapped))
        except gmssl_pyx.GmsslInnerError as error:
            raise DecryptionFailed() from error


def _ephemeral_wrap(recipient: PublicKey, shared_secret: bytes, ephemeral_public: bytes, key: bytes) -> bytes:
    key_encryption_key = _derive_wrap_key(recipient, shared_secret, ephemeral_public)
    return ephemeral_public + aead_encrypt(Suite.INTL, key_encryption_key, key)


def _derive_wrap_key(recipient: PublicKey, shared_secret: bytes, ephemeral_public: bytes) -> bytes:
    info = WRAP_INFO_LABEL + ephemeral_public + recipient.to_der()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared_secret)


class _P256PublicKey(PublicKey):
    algorithm = KeyAlgorithm.P256

    def __init__(self, key: ec.EllipticCurvePublicKey) -> None:
        self._key = key

    def to_der(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify(self, data: bytes, signature: bytes) -> None:
        try:
            self._key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as error:
            raise SignatureInvalid() from error

    def _wrap(self, key: bytes) -> bytes:
        ephemeral = ec.generate_private_key(ec.SECP256R1())
        ephemeral_public = ephemeral.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _ephemeral_wrap(self, ephemeral.exchange(ec.ECDH(), self._key), ephemeral_public, key)


class _P256PrivateKey(PrivateKey):
    algorithm = KeyAlgorithm.P256

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key
        self._public = _P256PublicKey(key.public_key())

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def to_der(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))

    def _unwrap(self, wrapped: bytes) -> bytes:
        def exchange(point: bytes) -> bytes:
            ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            return self._key.exchange(ec.ECDH(), ephemeral)

        return unwrap_p256_with(self._public, wrapped, exchange)


def unwrap_p256_with(recipient: PublicKey, wrapped: bytes, exchange: Callable[[bytes], bytes]) -> bytes:
    """Reverse :func:`wrap_key` for a P-256 key whose ECDH is done elsewhere (a PKCS#11 token, ``ggzy.assistant``):
    ``exchange`` takes the 65-byte ephemeral point and returns the shared secret; the rest is done here as for a key
    in memory. A ``ValueError`` from ``exchange`` (a point not on the curve) is a failed decryption."""
    if recipient.algorithm is not KeyAlgorithm.P256:
        raise TypeError("only a P-256 key unwraps through an outside ECDH")
    ephemeral_public, sealed = wrapped[:_P256_POINT_SIZE], wrapped[_P256_POINT_SIZE:]
    if len(ephemeral_public) != _P256_POINT_SIZE:
        raise DecryptionFailed()
    try:
        shared_secret = exchange(ephemeral_public)
    except ValueError as error:
        raise DecryptionFailed() from error
    return aead_decrypt(Suite.INTL, _derive_wrap_key(recipient, shared_secret, ephemeral_public), sealed)


class _X25519PublicKey(PublicKey):
    algorithm = KeyAlgorithm.X25519

    def __init__(self, key: x25519.X25519PublicKey) -> None:
        self._key = key

    def to_der(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify(self, data: bytes, signature: bytes) -> None:
        raise TypeError("an X25519 key is for key exchange only and verifies no signature")

    def _wrap(self, key: bytes) -> bytes:
        ephemeral = x25519.X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes_raw()
        return _ephemeral_wrap(self, ephemeral.exchange(self._key), ephemeral_public, key)


class _X25519PrivateKey(PrivateKey):
    algorithm = KeyAlgorithm.X25519

    def __init__(self, key: x25519.X25519PrivateKey) -> None:
        self._key = key
        self._public = _X25519PublicKey(key.public_key())

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def to_der(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def sign(self, data: bytes) -> bytes:
        raise TypeError("an X25519 key is for key exchange only and cannot sign")

    def _unwrap(self, wrapped: bytes) -> bytes:
        ephemeral_public, sealed = wrapped[:_X25519_KEY_SIZE], wrapped[_X25519_KEY_SIZE:]
        try:
            ephemeral = x25519.X25519PublicKey.from_public_bytes(ephemeral_public)
            shared_secret = self._key.exchange(ephemeral)
        except ValueError as error:
            raise DecryptionFailed() from error
        return aead_decrypt(Suite.INTL, _derive_wrap_key(self._public, shared_secret, ephemeral_public), sealed)


def _generate_sm2() -> PrivateKey:
    point, secret = gmssl_pyx.sm2_key_generate()
    return _Sm2PrivateKey(bytes(secret), bytes(point))


def generate_signing_key(suite: Suite) -> PrivateKey:
    """A new certificate key: SM2 (GM) or ECDSA P-256 (INTL). It signs, and receives wrapped keys."""
    if suite is Suite.GM:
        return _generate_sm2()
    return _P256PrivateKey(ec.generate_private_key(ec.SECP256R1()))


def generate_exchange_key(suite: Suite) -> PrivateKey:
    """A new key pair that only receives wrapped keys (a lot's opening key): SM2 (GM) or X25519 (INTL)."""
    if suite is Suite.GM:
        return _generate_sm2()
    return _X25519PrivateKey(x25519.X25519PrivateKey.generate())


def wrap_key(public_key: PublicKey, key: bytes) -> bytes:
    """Encrypt a short secret (a data key, a share) to ``public_key``; layouts in the module docstring."""
    if not key:
        raise ValueError("nothing to wrap")
    return public_key._wrap(key)


def unwrap_key(private_key: PrivateKey, wrapped: bytes) -> bytes:
    """Reverse :func:`wrap_key`; the wrong key or a changed byte raises DecryptionFailed."""
    return private_key._unwrap(wrapped)


# --- loading ----------------------------------------------------------------------------------------------


def _unarmor(data: bytes | str, expected: str) -> bytes:
    raw = data.encode("ascii", errors="replace") if isinstance(data, str) else data
    try:
        kind, _headers, der = asn1_pem.unarmor(raw.strip())
    except (ValueError, TypeError) as error:
        raise CertificateMalformed(reason_zh="不是 PEM 格式", reason_en="not PEM") from error
    if kind != expected:
        raise CertificateMalformed(
            reason_zh=f"应为 {expected}，实为 {kind}", reason_en=f"expected {expected}, found {kind}"
        )
    return bytes(der)


def _malformed_key(error: Exception | None = None) -> CertificateMalformed:
    detail = f": {error}" if error else ""
    return CertificateMalformed(reason_zh=f"密钥无法解析{detail}", reason_en=f"unreadable key{detail}")


def _is_sm2(algorithm: asn1_keys.PublicKeyAlgorithm | asn1_keys.PrivateKeyAlgorithm) -> bool:
    if algorithm["algorithm"].dotted != EC_PUBLIC_KEY_OID:
        return False
    parameters = algorithm["parameters"]
    return parameters.name == "named" and parameters.chosen.dotted == SM2_CURVE_OID


def _sm2_point(encoded: bytes) -> bytes:
    try:
        return bytes(gmssl_pyx.normalize_sm2_public_key(encoded))
    except gmssl_pyx.InvalidValueError as error:
        raise _malformed_key(error) from error


def load_public_key_der(der: bytes) -> PublicKey:
    """Load a SubjectPublicKeyInfo (SM2, P-256 or X25519)."""
    try:
        info = asn1_keys.PublicKeyInfo.load(der, strict=True)
        is_sm2 = _is_sm2(info["algorithm"])
        encoded_point = info["public_key"].native if is_sm2 else b""
    except (ValueError, TypeError, KeyError) as error:
        raise _malformed_key(error) from error
    if is_sm2:
        return _Sm2PublicKey(_sm2_point(bytes(encoded_point)))
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise _malformed_key(error) from error
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return _P256PublicKey(key)
    if isinstance(key, x25519.X25519PublicKey):
        return _X25519PublicKey(key)
    raise _malformed_key(ValueError(f"unsupported key type {type(key).__name__}"))


def load_public_key_pem(data: bytes | str) -> PublicKey:
    return load_public_key_der(_unarmor(data, "PUBLIC KEY"))


def load_private_key_der(der: bytes) -> PrivateKey:
    """Load an unencrypted PKCS#8 private key (SM2, P-256 or X25519)."""
    try:
        info = asn1_keys.PrivateKeyInfo.load(der, strict=True)
        is_sm2 = _is_sm2(info["private_key_algorithm"])
        ec_private_key = info["private_key"].parsed if is_sm2 else None
    except (ValueError, TypeError, KeyError) as error:
        raise _malformed_key(error) from error
    if ec_private_key is not None:
        return _load_sm2_private_key(ec_private_key)
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise _malformed_key(error) from error
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return _P256PrivateKey(key)
    if isinstance(key, x25519.X25519PrivateKey):
        return _X25519PrivateKey(key)
    raise _malformed_key(ValueError(f"unsupported key type {type(key).__name__}"))


def _load_sm2_private_key(ec_private_key: asn1_keys.ECPrivateKey) -> PrivateKey:
    try:
        secret = int(ec_private_key["private_key"].native).to_bytes(32, "big")
        public = ec_private_key["public_key"]
        encoded_point = None if isinstance(public, asn1_core.Void) else public.native
    except (ValueError, TypeError, OverflowError) as error:
        raise _malformed_key(error) from error
    if not encoded_point:
        # gmssl_pyx cannot derive the public point from the secret; OpenSSL and this module always include it.
        raise _malformed_key(ValueError("SM2 private key without its public key"))
    key = _Sm2PrivateKey(secret, _sm2_point(bytes(encoded_point)))
    try:  # a public key that does not belong to the secret would make every signature fail later
        key.public_key.verify(b"ggzy key check", key.sign(b"ggzy key check"))
    except (SignatureInvalid, gmssl_pyx.GmsslInnerError) as error:
        raise _malformed_key(ValueError("SM2 public key does not match the private key")) from error
    return key


def load_private_key_pem(data: bytes | str) -> PrivateKey:
    return load_private_key_der(_unarmor(data, "PRIVATE KEY"))
