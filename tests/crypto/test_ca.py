"""The demo CA: its files, serial numbers, refusals and revocation list."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from ggzy.core.errors import InvalidInput, NotFound
from ggzy.crypto import Suite, current_crl, init_ca, load_certificate, load_private_key_pem, revoke
from ggzy.crypto.ca import ca_suite
from tests.crypto.factories import NOW, PERSON_ID, issue_entity, issue_person, make_ca


def test_init_writes_the_ca_certificate_key_and_state(tmp_path: Path, suite: Suite) -> None:
    ca = init_ca(tmp_path / "ca", suite=suite, name="演示 CA", now=NOW)
    assert ca.is_ca
    assert ca.suite is suite
    assert ca.common_name == "演示 CA"
    assert ca.serial_number == 1
    assert ca.not_after == NOW + timedelta(days=3650)
    assert load_certificate((tmp_path / "ca" / "ca.pem").read_text()) == ca
    key = load_private_key_pem((tmp_path / "ca" / "ca-key.pem").read_text())
    assert key.public_key == ca.public_key
    assert stat.S_IMODE((tmp_path / "ca" / "ca-key.pem").stat().st_mode) == 0o600
    assert ca_suite(tmp_path / "ca") is suite


def test_init_refuses_to_overwrite_an_existing_ca(ca_dir: Path) -> None:
    before = (ca_dir / "ca-key.pem").read_bytes()
    with pytest.raises(FileExistsError):
        init_ca(ca_dir, suite=Suite.GM, name="另一个 CA", now=NOW)
    assert (ca_dir / "ca-key.pem").read_bytes() == before


def test_serial_numbers_count_up_and_are_recorded(ca_dir: Path) -> None:
    first = issue_entity(ca_dir).certificate
    second = issue_person(ca_dir).certificate
    assert (first.serial_number, second.serial_number) == (2, 3)
    state = json.loads((ca_dir / "ca-state.json").read_text(encoding="utf-8"))
    assert state["next_serial"] == 4
    assert state["issued"]["3"] == second.subject


def test_each_certificate_gets_its_own_new_key(ca_dir: Path) -> None:
    first, second = issue_entity(ca_dir), issue_entity(ca_dir)
    assert first.certificate.public_key != second.certificate.public_key
    assert load_private_key_pem(first.private_key_pem).public_key == first.certificate.public_key


def test_a_wrong_credit_code_check_character_is_refused(ca_dir: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        issue_entity(ca_dir, credit_code="91350100M000100Y44")
    assert refused.value.field == "credit_code"


def test_a_lower_case_credit_code_is_written_in_upper_case(ca_dir: Path) -> None:
    assert issue_entity(ca_dir, credit_code="91350100m000100y43").certificate.credit_code == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("organization", "person_id", "field"),
    [
        (None, PERSON_ID, "organization"),
        ("某公司", None, "person_id"),
        ("某公司", "张三的身份证", "person_id"),
    ],
)
def test_a_person_certificate_needs_an_employer_and_a_readable_identity_number(
    ca_dir: Path, organization: str | None, person_id: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        issue_person(ca_dir, organization=organization, person_id=person_id)
    assert refused.value.field == field


def test_an_entity_certificate_refuses_person_fields(ca_dir: Path) -> None:
    from ggzy.crypto import issue_certificate
    from tests.crypto.factories import BIDDER_CREDIT_CODE

    with pytest.raises(InvalidInput) as refused:
        issue_certificate(
            ca_dir, kind="entity", name="某公司", credit_code=BIDDER_CREDIT_CODE, person_id=PERSON_ID, now=NOW
        )
    assert refused.value.field == "person_id"


def test_a_refused_request_uses_no_serial_number(ca_dir: Path) -> None:
    with pytest.raises(InvalidInput):
        issue_entity(ca_dir, credit_code="bad")
    assert issue_entity(ca_dir).certificate.serial_number == 2


def test_issuing_needs_an_existing_ca(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="ca init"):
        issue_entity(tmp_path / "nowhere")


def test_revoking_an_unknown_serial_is_refused(ca_dir: Path) -> None:
    with pytest.raises(NotFound) as refused:
        revoke(ca_dir, 42, now=NOW)
    assert "42" in refused.value.detail_zh


def test_revoking_twice_keeps_the_first_revocation_time(ca_dir: Path) -> None:
    serial = issue_entity(ca_dir).certificate.serial_number
    first = revoke(ca_dir, serial, now=NOW + timedelta(days=1))
    assert revoke(ca_dir, serial, now=NOW + timedelta(days=2)) == first == NOW + timedelta(days=1)


def test_the_crl_lists_revoked_serials_and_is_signed_by_the_ca(tmp_path: Path, suite: Suite) -> None:
    ca = make_ca(tmp_path / "ca", suite)
    kept = issue_entity(tmp_path / "ca").certificate
    gone = issue_entity(tmp_path / "ca").certificate
    revoke(tmp_path / "ca", gone.serial_number, now=NOW + timedelta(hours=1))
    pem = current_crl(tmp_path / "ca", now=NOW + timedelta(hours=2))
    assert pem.startswith(b"-----BEGIN X509 CRL-----")
    crl = x509.load_pem_x509_crl(pem)
    assert crl.issuer.public_bytes() == ca.subject_name_der
    assert crl.get_revoked_certificate_by_serial_number(gone.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(kept.serial_number) is None
    assert crl.next_update_utc == NOW + timedelta(hours=2, days=7)
    ca.public_key.verify(crl.tbs_certlist_bytes, crl.signature)


def test_crl_numbers_increase(ca_dir: Path) -> None:
    numbers = [
        x509.load_pem_x509_crl(current_crl(ca_dir, now=NOW))
        .extensions.get_extension_for_class(x509.CRLNumber)
        .value.crl_number
        for _ in range(3)
    ]
    assert numbers == [1, 2, 3]
