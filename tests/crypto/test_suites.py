"""Signatures, authenticated encryption, key wrapping and key files of both suites."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggzy.crypto import (
    CertificateMalformed,
    DecryptionFailed,
    KeyAlgorithm,
    PrivateKey,
    SignatureInvalid,
    Suite,
    aead_decrypt,
    aead_encrypt,
    data_key_size,
    digest,
    generate_data_key,
    generate_exchange_key,
    generate_signing_key,
    load_private_key_pem,
    load_public_key_pem,
    unwrap_key,
    wrap_key,
)

SIGNING_KEYS = {suite: generate_signing_key(suite) for suite in Suite}
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- digests and data keys --------------------------------------------------------------------------------


def test_intl_digest_is_sha256() -> None:
    assert digest(Suite.INTL, b"abc") == hashlib.sha256(b"abc").digest()


def test_gm_digest_is_sm3_of_the_standard_test_vector() -> None:
    # GB/T 32905-2016 Appendix A.1: SM3("abc")
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert digest(Suite.GM, b"abc").hex() == expected


def test_data_keys_are_16_bytes_for_sm4_and_32_bytes_for_aes_256() -> None:
    assert data_key_size(Suite.GM) == len(generate_data_key(Suite.GM)) == 16
    assert data_key_size(Suite.INTL) == len(generate_data_key(Suite.INTL)) == 32


# --- signatures -------------------------------------------------------------------------------------------


@QUICK
@given(message=st.binary(max_size=2048))
def test_a_signature_verifies_over_the_message_it_signed(suite: Suite, message: bytes) -> None:
    key = SIGNING_KEYS[suite]
    key.public_key.verify(message, key.sign(message))


@QUICK
@given(message=st.binary(max_size=512), flip=st.integers(min_value=0))
def test_a_signature_fails_on_any_changed_message_byte(suite: Suite, message: bytes, flip: int) -> None:
    key = SIGNING_KEYS[suite]
    signature = key.sign(message)
    tampered = bytearray(message or b"\x00")
    tampered[flip % len(tampered)] ^= 0x01
    with pytest.raises(SignatureInvalid):
        key.public_key.verify(bytes(tampered), signature)


def test_a_changed_signature_is_refused(suite: Suite) -> None:
    key = SIGNING_KEYS[suite]
    signature = bytearray(key.sign(b"bid"))
    signature[-1] ^= 0x01
    with pytest.raises(SignatureInvalid):
        key.public_key.verify(b"bid", bytes(signature))


def test_garbage_instead_of_a_signature_is_refused_not_crashed(suite: Suite) -> None:
    with pytest.raises(SignatureInvalid):
        SIGNING_KEYS[suite].public_key.verify(b"bid", b"not a DER signature")


def test_another_keys_signature_is_refused(suite: Suite) -> None:
    other = generate_signing_key(suite)
    with pytest.raises(SignatureInvalid):
        SIGNING_KEYS[suite].public_key.verify(b"bid", other.sign(b"bid"))


def test_signing_keys_are_sm2_for_gm_and_p256_for_intl() -> None:
    assert SIGNING_KEYS[Suite.GM].algorithm is KeyAlgorithm.SM2
    assert SIGNING_KEYS[Suite.INTL].algorithm is KeyAlgorithm.P256
    assert all(key.suite is suite for suite, key in SIGNING_KEYS.items())


def test_an_x25519_opening_key_cannot_sign() -> None:
    key = generate_exchange_key(Suite.INTL)
    assert key.algorithm is KeyAlgorithm.X25519
    with pytest.raises(TypeError):
        key.sign(b"bid")


# --- authenticated encryption -----------------------------------------------------------------------------


@QUICK
@given(plaintext=st.binary(max_size=4096), aad=st.binary(max_size=64))
def test_aead_round_trips(suite: Suite, plaintext: bytes, aad: bytes) -> None:
    key = generate_data_key(suite)
    sealed = aead_encrypt(suite, key, plaintext, aad)
    assert len(sealed) == 12 + len(plaintext) + 16
    assert aead_decrypt(suite, key, sealed, aad) == plaintext


@QUICK
@given(plaintext=st.binary(min_size=1, max_size=256), position=st.integers(min_value=0))
def test_aead_refuses_any_changed_byte(suite: Suite, plaintext: bytes, position: int) -> None:
    key = generate_data_key(suite)
    sealed = bytearray(aead_encrypt(suite, key, plaintext))
    sealed[position % len(sealed)] ^= 0x80
    with pytest.raises(DecryptionFailed):
        aead_decrypt(suite, key, bytes(sealed))


def test_aead_refuses_the_wrong_key_and_the_wrong_associated_data(suite: Suite) -> None:
    key = generate_data_key(suite)
    sealed = aead_encrypt(suite, key, b"price: 1,000,000.00", b"lot-1")
    with pytest.raises(DecryptionFailed):
        aead_decrypt(suite, generate_data_key(suite), sealed, b"lot-1")
    with pytest.raises(DecryptionFailed):
        aead_decrypt(suite, key, sealed, b"lot-2")
    with pytest.raises(DecryptionFailed):
        aead_decrypt(suite, key, sealed[:20], b"lot-1")


def test_aead_encrypt_refuses_a_key_of_the_other_suite() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        aead_encrypt(Suite.INTL, generate_data_key(Suite.GM), b"x")
    with pytest.raises(ValueError, match="16-byte"):
        aead_encrypt(Suite.GM, generate_data_key(Suite.INTL), b"x")


# --- key wrapping -----------------------------------------------------------------------------------------

RECIPIENTS = {
    "sm2-certificate-key": lambda: generate_signing_key(Suite.GM),
    "p256-certificate-key": lambda: generate_signing_key(Suite.INTL),
    "sm2-opening-key": lambda: generate_exchange_key(Suite.GM),
    "x25519-opening-key": lambda: generate_exchange_key(Suite.INTL),
}


@pytest.fixture(params=sorted(RECIPIENTS))
def recipient(request: pytest.FixtureRequest) -> PrivateKey:
    return RECIPIENTS[request.param]()


@QUICK
@given(data_key=st.binary(min_size=16, max_size=64))
def test_a_wrapped_key_unwraps_with_the_recipients_private_key(recipient: PrivateKey, data_key: bytes) -> None:
    wrapped = wrap_key(recipient.public_key, data_key)
    assert data_key not in wrapped
    assert unwrap_key(recipient, wrapped) == data_key


def test_wrapping_twice_gives_different_bytes(recipient: PrivateKey) -> None:
    data_key = generate_data_key(recipient.suite)
    assert wrap_key(recipient.public_key, data_key) != wrap_key(recipient.public_key, data_key)


def _another_key_like(key: PrivateKey) -> PrivateKey:
    if key.algorithm is KeyAlgorithm.X25519:
        return generate_exchange_key(Suite.INTL)
    return generate_signing_key(key.suite)


def test_another_private_key_of_the_same_kind_cannot_unwrap(recipient: PrivateKey) -> None:
    other = _another_key_like(recipient)
    assert other.algorithm is recipient.algorithm
    wrapped = wrap_key(recipient.public_key, generate_data_key(recipient.suite))
    with pytest.raises(DecryptionFailed):
        unwrap_key(other, wrapped)


def test_a_changed_wrapped_key_is_refused(recipient: PrivateKey) -> None:
    wrapped = bytearray(wrap_key(recipient.public_key, generate_data_key(recipient.suite)))
    wrapped[-1] ^= 0x01
    with pytest.raises(DecryptionFailed):
        unwrap_key(recipient, bytes(wrapped))


def test_a_p256_wrapped_key_does_not_open_with_an_x25519_key() -> None:
    p256 = generate_signing_key(Suite.INTL)
    wrapped = wrap_key(p256.public_key, generate_data_key(Suite.INTL))
    with pytest.raises(DecryptionFailed):
        unwrap_key(generate_exchange_key(Suite.INTL), wrapped)


def test_intl_wrap_layout_is_ephemeral_key_then_aead_output() -> None:
    data_key = generate_data_key(Suite.INTL)
    x25519_wrapped = wrap_key(generate_exchange_key(Suite.INTL).public_key, data_key)
    p256_wrapped = wrap_key(generate_signing_key(Suite.INTL).public_key, data_key)
    assert len(x25519_wrapped) == 32 + 12 + 32 + 16
    assert len(p256_wrapped) == 65 + 12 + 32 + 16
    assert p256_wrapped[0] == 0x04  # uncompressed SEC1 point


def test_sm2_wraps_at_most_255_bytes() -> None:
    key = generate_exchange_key(Suite.GM)
    assert unwrap_key(key, wrap_key(key.public_key, b"k" * 255)) == b"k" * 255
    with pytest.raises(ValueError, match="255"):
        wrap_key(key.public_key, b"k" * 256)


def test_an_empty_key_is_not_wrapped(recipient: PrivateKey) -> None:
    with pytest.raises(ValueError, match="nothing"):
        wrap_key(recipient.public_key, b"")


# --- key files --------------------------------------------------------------------------------------------


def test_private_key_pem_round_trips_and_keeps_signing(recipient: PrivateKey) -> None:
    pem = recipient.to_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    loaded = load_private_key_pem(pem)
    assert loaded.algorithm is recipient.algorithm
    assert loaded.public_key == recipient.public_key
    assert loaded.to_pem() == pem
    assert unwrap_key(loaded, wrap_key(recipient.public_key, b"0123456789abcdef")) == b"0123456789abcdef"


def test_public_key_pem_round_trips(recipient: PrivateKey) -> None:
    pem = recipient.public_key.to_pem()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    loaded = load_public_key_pem(pem.encode())
    assert loaded == recipient.public_key
    assert loaded.fingerprint == recipient.public_key.fingerprint


def test_a_loaded_signing_key_signs_for_the_same_public_key(suite: Suite) -> None:
    key = load_private_key_pem(SIGNING_KEYS[suite].to_pem())
    SIGNING_KEYS[suite].public_key.verify(b"bid", key.sign(b"bid"))


def test_unreadable_key_files_are_refused() -> None:
    with pytest.raises(CertificateMalformed):
        load_private_key_pem("not a key")
    with pytest.raises(CertificateMalformed):
        load_public_key_pem(SIGNING_KEYS[Suite.GM].to_pem())  # a private key where a public one is expected
    broken = SIGNING_KEYS[Suite.GM].public_key.to_pem().replace("A", "B", 3)
    with pytest.raises(CertificateMalformed):
        load_public_key_pem(broken)


def test_an_sm2_private_key_with_a_foreign_public_key_is_refused() -> None:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem as asn1_pem

    mine, other = generate_signing_key(Suite.GM), generate_signing_key(Suite.GM)
    info = asn1_keys.PrivateKeyInfo.load(mine.to_der())
    ec_key = info["private_key"].parsed
    other_point = asn1_keys.PublicKeyInfo.load(other.public_key.to_der())["public_key"].native
    forged = asn1_keys.ECPrivateKey(
        {"version": "ecPrivkeyVer1", "private_key": ec_key["private_key"].native, "public_key": other_point}
    )
    pem = asn1_pem.armor(
        "PRIVATE KEY",
        asn1_keys.PrivateKeyInfo(
            {"version": 0, "private_key_algorithm": info["private_key_algorithm"], "private_key": forged}
        ).dump(),
    )
    with pytest.raises(CertificateMalformed):
        load_private_key_pem(pem)


def _openssl_knows_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    listing = subprocess.run(["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True, check=False)
    return "SM2" in listing.stdout


needs_openssl_sm2 = pytest.mark.skipif(not _openssl_knows_sm2(), reason="openssl with SM2 not installed")


@needs_openssl_sm2
def test_openssl_reads_our_sm2_key_files(tmp_path: Path) -> None:
    key = generate_signing_key(Suite.GM)
    (tmp_path / "key.pem").write_text(key.to_pem())
    (tmp_path / "pub.pem").write_text(key.public_key.to_pem())
    private = subprocess.run(
        ["openssl", "pkey", "-in", tmp_path / "key.pem", "-pubout"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert private.stdout == key.public_key.to_pem()
    public = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", tmp_path / "pub.pem", "-text", "-noout"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ASN1 OID: SM2" in public.stdout


@needs_openssl_sm2
def test_we_read_an_sm2_key_written_by_openssl(tmp_path: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:SM2",
            "-out",
            tmp_path / "k",
        ],
        check=True,
        capture_output=True,
    )
    key = load_private_key_pem((tmp_path / "k").read_bytes())
    assert key.algorithm is KeyAlgorithm.SM2
    key.public_key.verify(b"bid", key.sign(b"bid"))
