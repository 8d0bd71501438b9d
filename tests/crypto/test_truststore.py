"""Which certificates a centre accepts: CAs of both suites at once, validity, revocation, forgeries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ggzy.crypto import (
    Certificate,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    RevocationListRejected,
    Suite,
    TrustStore,
    current_crl,
    load_certificate,
    revoke,
)
from ggzy.crypto.ca import _build_certificate, _name
from ggzy.crypto.suites import generate_signing_key, load_private_key_pem
from tests.crypto.factories import NOW, issue_entity, issue_person, make_ca

LATER = NOW + timedelta(days=10)


def ca_certificate(directory: Path) -> Certificate:
    return load_certificate((directory / "ca.pem").read_bytes())


def store_trusting(*directories: Path) -> TrustStore:
    return TrustStore(ca_certificate(directory) for directory in directories)


def test_one_store_accepts_certificates_from_a_gm_ca_and_an_intl_ca(gm_ca: Path, intl_ca: Path) -> None:
    store = store_trusting(gm_ca, intl_ca)
    gm_leaf = issue_entity(gm_ca).certificate
    intl_leaf = issue_person(intl_ca).certificate
    assert store.validate(gm_leaf, at=LATER) == ca_certificate(gm_ca)
    assert store.validate(intl_leaf, at=LATER) == ca_certificate(intl_ca)
    assert {anchor.suite for anchor in store.anchors} == {Suite.GM, Suite.INTL}


def test_a_trusted_ca_certificate_validates_as_its_own_anchor(ca_dir: Path) -> None:
    store = store_trusting(ca_dir)
    assert store.validate(ca_certificate(ca_dir), at=LATER) == ca_certificate(ca_dir)


def test_a_certificate_from_a_ca_not_in_the_store_is_untrusted(tmp_path: Path, suite: Suite) -> None:
    trusted, stranger = tmp_path / "trusted", tmp_path / "stranger"
    make_ca(trusted, suite, name="受信任的 CA")
    make_ca(stranger, suite, name="陌生的 CA")
    leaf = issue_entity(stranger).certificate
    with pytest.raises(CertificateUntrusted) as refused:
        store_trusting(trusted).validate(leaf, at=LATER)
    assert refused.value.code == "certificate_untrusted"
    assert refused.value.status == 401
    assert "陌生的 CA" in refused.value.detail_zh
    assert str(leaf.serial_number) in refused.value.detail_en


def test_an_empty_store_trusts_nothing(ca_dir: Path) -> None:
    with pytest.raises(CertificateUntrusted):
        TrustStore().validate(issue_entity(ca_dir).certificate, at=LATER)


def test_a_certificate_claiming_a_trusted_ca_name_but_signed_by_another_key_is_untrusted(
    tmp_path: Path, suite: Suite
) -> None:
    real, impostor = tmp_path / "real", tmp_path / "impostor"
    make_ca(real, suite, name="福建省数字安全证书管理有限公司")
    make_ca(impostor, suite, name="福建省数字安全证书管理有限公司")
    forged = issue_entity(impostor).certificate
    assert forged.issuer == ca_certificate(real).subject
    with pytest.raises(CertificateUntrusted, match="does not verify"):
        store_trusting(real).validate(forged, at=LATER)


def test_a_gm_certificate_is_not_accepted_from_an_intl_ca_of_the_same_name(tmp_path: Path) -> None:
    make_ca(tmp_path / "gm", Suite.GM, name="同名 CA")
    make_ca(tmp_path / "intl", Suite.INTL, name="同名 CA")
    gm_leaf = issue_entity(tmp_path / "gm").certificate
    with pytest.raises(CertificateUntrusted):
        store_trusting(tmp_path / "intl").validate(gm_leaf, at=LATER)
    assert store_trusting(tmp_path / "intl", tmp_path / "gm").validate(gm_leaf, at=LATER).suite is Suite.GM


def test_an_expired_certificate_is_refused(ca_dir: Path) -> None:
    leaf = issue_entity(ca_dir, valid_days=30).certificate
    store = store_trusting(ca_dir)
    store.validate(leaf, at=NOW + timedelta(days=30))  # the last moment is still valid
    with pytest.raises(CertificateExpired) as refused:
        store.validate(leaf, at=NOW + timedelta(days=30, seconds=1))
    assert refused.value.code == "certificate_expired"
    assert leaf.subject in refused.value.detail_en


def test_a_certificate_not_yet_valid_is_refused(ca_dir: Path) -> None:
    leaf = issue_entity(ca_dir, not_before=NOW + timedelta(days=5)).certificate
    store = store_trusting(ca_dir)
    with pytest.raises(CertificateNotYetValid) as refused:
        store.validate(leaf, at=NOW + timedelta(days=4))
    assert refused.value.code == "certificate_not_yet_valid"
    store.validate(leaf, at=NOW + timedelta(days=5))


def test_a_certificate_is_refused_once_its_ca_has_expired(tmp_path: Path, suite: Suite) -> None:
    from ggzy.crypto import init_ca

    ca = init_ca(tmp_path / "short", suite=suite, name="短期 CA", now=NOW, valid_days=10)
    leaf = issue_entity(tmp_path / "short", valid_days=365).certificate
    with pytest.raises(CertificateExpired) as refused:
        store_trusting(tmp_path / "short").validate(leaf, at=NOW + timedelta(days=11))
    assert refused.value.params["subject"] == ca.subject


def test_a_revoked_certificate_is_refused_from_its_revocation_time(ca_dir: Path) -> None:
    revoked, other = issue_entity(ca_dir).certificate, issue_person(ca_dir).certificate
    revoked_at = revoke(ca_dir, revoked.serial_number, now=NOW + timedelta(days=3))
    store = store_trusting(ca_dir)
    store.add_crl(current_crl(ca_dir, now=NOW + timedelta(days=3, hours=1)))
    with pytest.raises(CertificateRevoked) as refused:
        store.validate(revoked, at=LATER)
    assert refused.value.code == "certificate_revoked"
    assert revoked_at.isoformat() in refused.value.detail_en
    store.validate(other, at=LATER)
    # a signature made before the revocation is judged at its own time
    store.validate(revoked, at=NOW + timedelta(days=2))


def test_a_crl_in_der_form_is_accepted_too(ca_dir: Path) -> None:
    from asn1crypto import pem

    leaf = issue_entity(ca_dir).certificate
    revoke(ca_dir, leaf.serial_number, now=NOW)
    store = store_trusting(ca_dir)
    _kind, _headers, der = pem.unarmor(current_crl(ca_dir, now=NOW))
    store.add_crl(der)
    with pytest.raises(CertificateRevoked):
        store.validate(leaf, at=LATER)


def test_a_newer_crl_replaces_an_older_one_but_not_the_reverse(ca_dir: Path) -> None:
    leaf = issue_entity(ca_dir).certificate
    older = current_crl(ca_dir, now=NOW)
    revoke(ca_dir, leaf.serial_number, now=NOW + timedelta(hours=1))
    newer = current_crl(ca_dir, now=NOW + timedelta(hours=2))
    store = store_trusting(ca_dir)
    store.add_crl(newer)
    store.add_crl(older)
    with pytest.raises(CertificateRevoked):
        store.validate(leaf, at=LATER)


def test_a_crl_from_an_unknown_issuer_is_refused(tmp_path: Path, suite: Suite) -> None:
    make_ca(tmp_path / "trusted", suite, name="受信任的 CA")
    make_ca(tmp_path / "stranger", suite, name="陌生的 CA")
    with pytest.raises(RevocationListRejected, match="not trusted") as refused:
        store_trusting(tmp_path / "trusted").add_crl(current_crl(tmp_path / "stranger", now=NOW))
    assert "陌生的 CA" in refused.value.detail_zh


def test_a_crl_in_a_trusted_ca_name_but_signed_by_another_key_is_refused(tmp_path: Path, suite: Suite) -> None:
    make_ca(tmp_path / "real", suite, name="同名 CA")
    make_ca(tmp_path / "impostor", suite, name="同名 CA")
    victim = issue_entity(tmp_path / "real").certificate
    store = store_trusting(tmp_path / "real")
    with pytest.raises(RevocationListRejected, match="does not verify"):
        store.add_crl(current_crl(tmp_path / "impostor", now=NOW))
    store.validate(victim, at=LATER)


def test_unreadable_crl_is_refused() -> None:
    with pytest.raises(RevocationListRejected):
        TrustStore().add_crl(b"not a CRL")


def test_a_leaf_certificate_cannot_be_made_an_anchor(ca_dir: Path) -> None:
    with pytest.raises(CertificateUntrusted, match="not a CA"):
        TrustStore().add_anchor(issue_entity(ca_dir).certificate)


def test_validation_time_must_be_timezone_aware(ca_dir: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        store_trusting(ca_dir).validate(ca_certificate(ca_dir), at=NOW.replace(tzinfo=None))


def test_a_certificate_issued_by_a_leaf_is_untrusted(ca_dir: Path, suite: Suite) -> None:
    """A bidder's certificate key must not be able to issue certificates of its own."""
    bidder = issue_entity(ca_dir, name="投标人")
    bidder_key = load_private_key_pem(bidder.private_key_pem)
    victim_key = generate_signing_key(suite)
    issuer_name = _name(common_name="投标人", organization="投标人", credit_code=bidder.certificate.credit_code)
    der = _build_certificate(
        serial=99,
        subject=_name(common_name="冒名者", organization="冒名者"),
        issuer=issuer_name,
        subject_key=victim_key.public_key,
        issuer_key=bidder_key.public_key,
        signer=bidder_key,
        not_before=NOW,
        not_after=NOW + timedelta(days=30),
        is_ca=False,
    )
    with pytest.raises(CertificateUntrusted, match="not a CA"):
        store_trusting(ca_dir).validate(load_certificate(der), at=LATER, intermediates=[bidder.certificate])


def test_an_intermediate_beyond_the_roots_path_length_is_untrusted(ca_dir: Path, suite: Suite) -> None:
    """The demo root allows no intermediate CA (pathLenConstraint 0)."""
    root = ca_certificate(ca_dir)
    root_key = load_private_key_pem((ca_dir / "ca-key.pem").read_bytes())
    intermediate_key, leaf_key = generate_signing_key(suite), generate_signing_key(suite)
    intermediate_name = _name(common_name="中间 CA", organization="中间 CA")
    from asn1crypto import x509 as asn1_x509

    root_name = asn1_x509.Certificate.load(root.der)["tbs_certificate"]["subject"]
    intermediate = load_certificate(
        _build_certificate(
            serial=50,
            subject=intermediate_name,
            issuer=root_name,
            subject_key=intermediate_key.public_key,
            issuer_key=root.public_key,
            signer=root_key,
            not_before=NOW,
            not_after=NOW + timedelta(days=100),
            is_ca=True,
        )
    )
    leaf = load_certificate(
        _build_certificate(
            serial=51,
            subject=_name(common_name="某单位", organization="某单位"),
            issuer=intermediate_name,
            subject_key=leaf_key.public_key,
            issuer_key=intermediate_key.public_key,
            signer=intermediate_key,
            not_before=NOW,
            not_after=NOW + timedelta(days=30),
            is_ca=False,
        )
    )
    store = store_trusting(ca_dir)
    with pytest.raises(CertificateUntrusted, match="no trusted CA"):
        store.validate(leaf, at=LATER)  # without the intermediate there is no chain
    with pytest.raises(CertificateUntrusted, match="at most 0 intermediate"):
        store.validate(leaf, at=LATER, intermediates=[intermediate])
    # trusting the intermediate directly makes it an anchor, and the chain is then one link long
    store.add_anchor(intermediate)
    assert store.validate(leaf, at=LATER) == intermediate
