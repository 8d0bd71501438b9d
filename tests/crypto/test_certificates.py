"""Certificates issued by the demo CA read back with what ggzy needs, in both suites and by other tools."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from ggzy.crypto import (
    CertificateMalformed,
    KeyAlgorithm,
    Suite,
    load_certificate,
    load_certificates,
    load_private_key_pem,
)
from tests.crypto.factories import (
    BIDDER_CREDIT_CODE,
    EMPLOYER_CREDIT_CODE,
    NOW,
    PERSON_ID,
    issue_entity,
    issue_person,
)


def test_an_entity_certificate_names_the_entity_and_its_credit_code(ca_dir: Path, suite: Suite) -> None:
    certificate = issue_entity(ca_dir, name="福建某建设工程有限公司").certificate
    assert certificate.kind == "entity"
    assert certificate.common_name == "福建某建设工程有限公司"
    assert certificate.organization == "福建某建设工程有限公司"
    assert certificate.credit_code == BIDDER_CREDIT_CODE
    assert certificate.person_id is None
    assert certificate.suite is suite
    assert not certificate.is_ca


def test_a_person_certificate_names_the_person_the_id_and_the_employer(ca_dir: Path) -> None:
    certificate = issue_person(ca_dir, name="张三", organization="北京某招标代理有限公司").certificate
    assert certificate.kind == "person"
    assert certificate.common_name == "张三"
    assert certificate.organization == "北京某招标代理有限公司"
    assert certificate.credit_code == EMPLOYER_CREDIT_CODE
    assert certificate.person_id == PERSON_ID
    assert f"serialNumber={PERSON_ID}" in certificate.subject
    assert f"organizationIdentifier={EMPLOYER_CREDIT_CODE}" in certificate.subject


def test_validity_is_whole_seconds_in_aware_utc(ca_dir: Path) -> None:
    certificate = issue_entity(ca_dir, now=NOW + timedelta(microseconds=999), valid_days=30).certificate
    assert certificate.not_before == NOW
    assert certificate.not_after == NOW + timedelta(days=30)
    assert certificate.not_before.utcoffset() == timedelta(0)


def test_pem_and_der_load_to_the_same_certificate(ca_dir: Path) -> None:
    issued = issue_entity(ca_dir)
    from_pem_text = load_certificate(issued.certificate_pem)
    from_pem_bytes = load_certificate(issued.certificate_pem.encode())
    from_der = load_certificate(issued.certificate.der)
    assert from_pem_text == from_pem_bytes == from_der == issued.certificate
    assert from_der.pem == issued.certificate_pem
    assert from_der.fingerprint == hashlib.sha256(issued.certificate.der).hexdigest()


def test_a_pem_bundle_loads_every_certificate(ca_dir: Path) -> None:
    leaf = issue_entity(ca_dir).certificate
    ca = load_certificate((ca_dir / "ca.pem").read_text())
    assert list(load_certificates(leaf.pem + ca.pem)) == [leaf, ca]


def test_the_certificate_key_matches_the_issued_private_key(ca_dir: Path, suite: Suite) -> None:
    issued = issue_entity(ca_dir)
    key = load_private_key_pem(issued.private_key_pem)
    assert key.public_key == issued.certificate.public_key
    expected = KeyAlgorithm.SM2 if suite is Suite.GM else KeyAlgorithm.P256
    assert issued.certificate.public_key.algorithm is expected
    issued.certificate.public_key.verify(b"envelope", key.sign(b"envelope"))


def test_the_ca_certificate_is_a_self_signed_ca(ca_dir: Path) -> None:
    ca = load_certificate((ca_dir / "ca.pem").read_bytes())
    assert ca.is_ca
    assert ca.can_sign_certificates
    assert ca.can_sign_crls
    assert ca.is_self_issued
    assert ca.is_signed_by(ca)
    leaf = issue_entity(ca_dir).certificate
    assert leaf.issuer == ca.subject
    assert leaf.is_signed_by(ca)
    assert not ca.is_signed_by(leaf)
    assert leaf.authority_key_identifier == ca.subject_key_identifier is not None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x30\x03\x02\x01\x01",
    ],
    ids=["empty", "garbage", "bad-pem-body", "der-not-a-certificate"],
)
def test_unreadable_certificates_are_refused_as_malformed(data: bytes | str) -> None:
    with pytest.raises(CertificateMalformed) as refused:
        load_certificate(data)
    assert refused.value.code == "certificate_malformed"
    assert refused.value.status == 422


def test_a_pem_private_key_is_not_taken_for_a_certificate(ca_dir: Path) -> None:
    with pytest.raises(CertificateMalformed):
        load_certificate((ca_dir / "ca-key.pem").read_text())


def test_cryptography_parses_our_sm2_certificate(gm_ca: Path) -> None:
    issued = issue_person(gm_ca)
    parsed = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
    assert parsed.signature_algorithm_oid.dotted_string == "1.2.156.10197.1.501"
    assert parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "张三"
    assert parsed.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == EMPLOYER_CREDIT_CODE
    assert parsed.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == PERSON_ID
    basic = parsed.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    assert basic.critical
    assert not basic.value.ca
    usage = parsed.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment
    assert usage.key_encipherment
    assert not usage.key_cert_sign
    assert parsed.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert parsed.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)


def test_cryptography_verifies_our_intl_certificate_chain(intl_ca: Path) -> None:
    leaf = x509.load_pem_x509_certificate(issue_entity(intl_ca).certificate_pem.encode())
    ca = x509.load_pem_x509_certificate((intl_ca / "ca.pem").read_bytes())
    leaf.verify_directly_issued_by(ca)
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.key_agreement


def _openssl_knows_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    listing = subprocess.run(["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True, check=False)
    return "SM2" in listing.stdout


@pytest.mark.skipif(not _openssl_knows_sm2(), reason="openssl with SM2 not installed")
def test_openssl_reads_and_verifies_our_sm2_certificate(gm_ca: Path, tmp_path: Path) -> None:
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(issue_entity(gm_ca).certificate_pem)
    text = subprocess.run(
        ["openssl", "x509", "-in", leaf, "-text", "-noout", "-nameopt", "utf8"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "SM2-with-SM3" in text
    assert f"organizationIdentifier={BIDDER_CREDIT_CODE}, CN=福建某建设工程有限公司" in text
    assert "ASN1 OID: SM2" in text
    # OpenSSL 3.0 needs the SM2 signer ID spelt out to verify; it is the GM/T 0009 default we sign with.
    verified = subprocess.run(
        [
            "openssl", "verify", "-vfyopt", "distid:1234567812345678",
            "-attime", str(int((NOW + timedelta(days=1)).timestamp())),
            "-CAfile", gm_ca / "ca.pem", leaf,
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
