"""A lot's opening key, held k-of-n by custodians (DESIGN §6).

At publication :func:`create_opening_key` makes the lot's opening key pair (SM2 for GM, X25519 for INTL) and keeps
only its public key and its private key wrapped under a fresh 16-byte key-encryption key (KEK). The KEK is split
k-of-n with Shamir's secret sharing (pycryptodome's ``Shamir``, over GF(2^128), ``ssss=False``: share ``i`` is the
polynomial at ``x = i``, indexes 1..n, 16-byte values) and each share is encrypted to its custodian's key. Neither
the whole private key nor the KEK is returned or stored anywhere.

Byte layouts (stored; stable):

``wrapped_private_key``
    ``aead_encrypt(suite, wrapping key, PKCS#8 DER of the opening private key, aad = LABEL || SPKI DER of the
    opening public key)``, with ``LABEL = b"ggzy/opening-key/v1"``. The wrapping key is the KEK itself for GM
    (SM4-GCM takes 16 bytes) and, for INTL, ``HKDF-SHA256(ikm = KEK, salt = none, info = b"ggzy/opening-key/v1",
    length = 32)`` for AES-256-GCM.

``EncryptedShare.ciphertext``
    ``wrap_key(custodian public key, index (1 byte) || share (16 bytes))``: the index travels inside the encryption,
    so a share record whose index was changed is caught when the custodian decrypts it.

pycryptodome's ``combine`` returns a wrong secret, silently, from wrong shares (or from fewer shares than the
threshold); the authenticated unwrap of the private key turns that into :class:`ShareRecoveryFailed`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Final

from Crypto.Protocol.SecretSharing import Shamir
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ggzy.core.errors import InvalidInput
from ggzy.crypto.certificates import Certificate
from ggzy.crypto.errors import CertificateMalformed, DecryptionFailed, ShareRecoveryFailed
from ggzy.crypto.suites import (
    PrivateKey,
    PublicKey,
    Suite,
    aead_decrypt,
    aead_encrypt,
    generate_exchange_key,
    load_private_key_der,
    unwrap_key,
    wrap_key,
)

KEY_ENCRYPTION_KEY_SIZE: Final = 16  # what pycryptodome's Shamir splits
OPENING_KEY_LABEL: Final = b"ggzy/opening-key/v1"
MIN_THRESHOLD: Final = 2
MAX_CUSTODIANS: Final = 255  # the index is one byte


@dataclass(frozen=True)
class EncryptedShare:
    """One custodian's share of the KEK, encrypted to that custodian's key."""

    custodian_fingerprint: str  # SHA-256 of the custodian's SubjectPublicKeyInfo DER, hex (PublicKey.fingerprint)
    index: int
    ciphertext: bytes


@dataclass(frozen=True)
class ReleasedShare:
    """A share a custodian has decrypted and released at opening (each release goes in the ledger)."""

    index: int
    value: bytes = field(repr=False)


@dataclass(frozen=True)
class OpeningKeySetup:
    """Everything kept about a lot's opening key: nothing in it opens a bid without k custodians."""

    suite: Suite
    public_key: PublicKey
    threshold: int
    wrapped_private_key: bytes
    shares: tuple[EncryptedShare, ...]


def _invalid_custodians(reason_en: str, reason_zh: str) -> InvalidInput:
    return InvalidInput(field="custodians", reason_en=reason_en, reason_zh=reason_zh)


def _recovery_failed(reason_en: str, reason_zh: str) -> ShareRecoveryFailed:
    return ShareRecoveryFailed(reason_en=reason_en, reason_zh=reason_zh)


def _wrapping_key(suite: Suite, key_encryption_key: bytes) -> bytes:
    if suite is Suite.GM:
        return key_encryption_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=OPENING_KEY_LABEL).derive(key_encryption_key)


def _associated_data(public_key: PublicKey) -> bytes:
    return OPENING_KEY_LABEL + public_key.to_der()


def _custodian_keys(suite: Suite, custodians: Sequence[Certificate | PublicKey]) -> list[PublicKey]:
    keys: list[PublicKey] = []
    entities: set[str] = set()
    for custodian in custodians:
        key = custodian.public_key if isinstance(custodian, Certificate) else custodian
        if key.suite is not suite:
            raise _invalid_custodians(
                f"custodian key {key.fingerprint[:16]} is {key.suite}, the lot is {suite}",
                f"保管人密钥 {key.fingerprint[:16]} 属于 {key.suite} 套件，而标段为 {suite} 套件",
            )
        if key in keys:
            raise _invalid_custodians(
                f"custodian key {key.fingerprint[:16]} named twice", f"保管人密钥 {key.fingerprint[:16]} 重复"
            )
        # DESIGN §6: custodians of different entities, so that no one entity can open alone.
        if isinstance(custodian, Certificate) and custodian.credit_code:
            if custodian.credit_code in entities:
                raise _invalid_custodians(
                    f"two custodians of entity {custodian.credit_code}",
                    f"两名保管人属于同一单位 {custodian.credit_code}",
                )
            entities.add(custodian.credit_code)
        keys.append(key)
    return keys


def create_opening_key(suite: Suite, custodians: Sequence[Certificate | PublicKey], k: int) -> OpeningKeySetup:
    """A new opening key for a lot, its private key recoverable by any ``k`` of the ``custodians``.

    ``k`` ≥ 2 and at most the number of custodians; custodians are distinct keys of the lot's suite and, for
    certificates, of distinct entities (credit codes). Raises InvalidInput naming ``custodians`` otherwise.
    """
    keys = _custodian_keys(suite, custodians)
    if not MIN_THRESHOLD <= k <= len(keys) <= MAX_CUSTODIANS:
        raise _invalid_custodians(
            f"need 2 ≤ k ≤ n ≤ {MAX_CUSTODIANS}, got k = {k}, n = {len(keys)}",
            f"须满足 2 ≤ k ≤ n ≤ {MAX_CUSTODIANS}，实为 k = {k}，n = {len(keys)}",
        )
    private_key = generate_exchange_key(suite)
    key_encryption_key = os.urandom(KEY_ENCRYPTION_KEY_SIZE)
    wrapped_private_key = aead_encrypt(
        suite,
        _wrapping_key(suite, key_encryption_key),
        private_key.to_der(),
        _associated_data(private_key.public_key),
    )
    shares = tuple(
        EncryptedShare(
            custodian_fingerprint=key.fingerprint,
            index=index,
            ciphertext=wrap_key(key, bytes([index]) + value),
        )
        for key, (index, value) in zip(keys, Shamir.split(k, len(keys), key_encryption_key, ssss=False), strict=True)
    )
    return OpeningKeySetup(
        suite=suite,
        public_key=private_key.public_key,
        threshold=k,
        wrapped_private_key=wrapped_private_key,
        shares=shares,
    )


def decrypt_share(share: EncryptedShare, custodian_private_key: PrivateKey) -> ReleasedShare:
    """What a custodian does at opening: decrypt its share. DecryptionFailed if the key is not the one the share
    was encrypted to; ShareRecoveryFailed if the share record was altered."""
    if custodian_private_key.public_key.fingerprint != share.custodian_fingerprint:
        raise DecryptionFailed()
    payload = unwrap_key(custodian_private_key, share.ciphertext)
    if len(payload) != 1 + KEY_ENCRYPTION_KEY_SIZE or payload[0] != share.index:
        raise _recovery_failed(f"share {share.index} has been altered", f"第 {share.index} 份额已被篡改")
    return ReleasedShare(index=share.index, value=payload[1:])


def recover_opening_key(setup: OpeningKeySetup, released_shares: Iterable[ReleasedShare]) -> PrivateKey:
    """Combine at least ``threshold`` released shares and unwrap the lot's opening private key.

    Exactly ``threshold`` shares are combined at a time (pycryptodome wants no more than needed), the lowest
    indexes first, then the other subsets, so that a wrong share among more than enough does not block the opening.
    Too few or repeated shares are refused before combining; when no subset unwraps the key, ShareRecoveryFailed.
    """
    shares = sorted(released_shares, key=lambda share: share.index)
    indexes = [share.index for share in shares]
    if len(set(indexes)) != len(indexes):
        raise _recovery_failed("a share was given twice", "同一份额提交了两次")
    known = {share.index for share in setup.shares}
    if any(index not in known for index in indexes):
        raise _recovery_failed("a share index not issued for this key", "份额编号不属于此开标密钥")
    if len(shares) < setup.threshold:
        raise _recovery_failed(
            f"{setup.threshold} shares are needed, {len(shares)} given",
            f"需要 {setup.threshold} 份额，仅提交 {len(shares)} 份",
        )
    if any(len(share.value) != KEY_ENCRYPTION_KEY_SIZE for share in shares):
        raise _recovery_failed("a share is not 16 bytes", "份额长度不是 16 字节")
    # Each subset of ``threshold`` shares in turn, the lowest indexes first: one custodian releasing a wrong share
    # must not stop the others opening (k of n); the key's authenticated wrapping tells a right subset.
    for chosen in combinations(shares, setup.threshold):
        private_key = _unwrap_with(setup, [(share.index, share.value) for share in chosen])
        if private_key is not None:
            return private_key
    raise _recovery_failed("the shares are wrong or do not belong to this key", "份额错误或不属于此开标密钥")


def _unwrap_with(setup: OpeningKeySetup, chosen: list[tuple[int, bytes]]) -> PrivateKey | None:
    """The opening key these shares unwrap, or None when they are not a right set."""
    key_encryption_key = Shamir.combine(chosen, ssss=False)
    try:
        der = aead_decrypt(
            setup.suite,
            _wrapping_key(setup.suite, key_encryption_key),
            setup.wrapped_private_key,
            _associated_data(setup.public_key),
        )
        private_key = load_private_key_der(der)
    except (DecryptionFailed, CertificateMalformed):
        return None
    return private_key if private_key.public_key == setup.public_key else None
