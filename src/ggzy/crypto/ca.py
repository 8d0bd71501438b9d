"""A small certificate authority in a directory, for demos and tests (never for production use).

Files in the CA directory:

- ``ca.pem``: the self-signed CA certificate;
- ``ca-key.pem``: its private key, unencrypted PKCS#8 (mode 0600);
- ``ca-state.json``: ``{"suite", "next_serial", "next_crl_number", "issued": {serial: subject},
  "revoked": {serial: ISO time}}``.

Certificates and CRLs of both suites are built with ``asn1crypto`` and signed through
:class:`ggzy.crypto.suites.PrivateKey` (SM2-with-SM3 for GM, ECDSA with SHA-256 for INTL). One builder for
both suites keeps the two kinds of certificate identical in every field but the algorithms, which is what
the trust store and the tests rely on; ``cryptography`` then reads both back.

Subjects (as Chinese CAs issue them): an entity certificate (单位证书) has ``C=CN, O=name,
organizationIdentifier=credit code, CN=name``; a person certificate (个人证书) has ``C=CN, O=employer,
organizationIdentifier=employer's credit code, CN=person's name, serialNumber=identity number``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509

from ggzy.core.clock import as_utc
from ggzy.core.codes import validate_credit_code
from ggzy.core.errors import InvalidInput, NotFound
from ggzy.crypto.certificates import (
    SIGNATURE_ALGORITHM_FOR_KEY,
    Certificate,
    CertificateKind,
    load_certificate,
)
from ggzy.crypto.suites import PrivateKey, PublicKey, Suite, generate_signing_key, load_private_key_pem

CA_CERTIFICATE_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
STATE_FILE = "ca-state.json"
CRL_VALID_DAYS = 7

# X.520 serialNumber and countryName are PrintableString: letters, digits, space and '()+,-./:=?
_PRINTABLE = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]+")


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: Certificate
    private_key_pem: str
    certificate_pem: str


# --- building ---------------------------------------------------------------------------------------------


def _time(moment: datetime) -> asn1_x509.Time:
    # RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    return asn1_x509.Time({"utc_time" if moment.year < 2050 else "general_time": moment})


def _name(
    *,
    common_name: str,
    organization: str,
    credit_code: str | None = None,
    person_id: str | None = None,
) -> asn1_x509.Name:
    attributes: list[tuple[str, asn1_x509.DirectoryString]] = [
        ("country_name", asn1_x509.DirectoryString(name="printable_string", value="CN")),
        ("organization_name", asn1_x509.DirectoryString(name="utf8_string", value=organization)),
    ]
    if credit_code is not None:
        attributes.append(("organization_identifier", asn1_x509.DirectoryString(name="utf8_string", value=credit_code)))
    attributes.append(("common_name", asn1_x509.DirectoryString(name="utf8_string", value=common_name)))
    if person_id is not None:
        attributes.append(("serial_number", asn1_x509.DirectoryString(name="printable_string", value=person_id)))
    rdns = [
        asn1_x509.RelativeDistinguishedName([asn1_x509.NameTypeAndValue({"type": kind, "value": value})])
        for kind, value in attributes
    ]
    return asn1_x509.Name(name="", value=asn1_x509.RDNSequence(rdns))


def _key_identifier(public_key: PublicKey) -> bytes:
    """RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (an identifier, not for security)."""
    return bytes(asn1_keys.PublicKeyInfo.load(public_key.to_der()).sha1)


def _signature_algorithm(signer: PrivateKey) -> dict[str, str]:
    return {"algorithm": SIGNATURE_ALGORITHM_FOR_KEY[signer.algorithm]}


def _build_certificate(
    *,
    serial: int,
    subject: asn1_x509.Name,
    issuer: asn1_x509.Name,
    subject_key: PublicKey,
    issuer_key: PublicKey,
    signer: PrivateKey,
    not_before: datetime,
    not_after: datetime,
    is_ca: bool,
) -> bytes:
    if is_ca:
        basic_constraints = {"ca": True, "path_len_constraint": 0}
        key_usage = {"digital_signature", "key_cert_sign", "crl_sign"}
    else:
        basic_constraints = {"ca": False}
        # Certificate keys sign bids and receive wrapped data keys: SM2 by encryption, P-256 by ECDH.
        receive = "key_encipherment" if subject_key.suite is Suite.GM else "key_agreement"
        key_usage = {"digital_signature", "non_repudiation", receive}
    extensions: list[dict[str, Any]] = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": basic_constraints},
        {"extn_id": "key_usage", "critical": True, "extn_value": key_usage},
        {"extn_id": "key_identifier", "critical": False, "extn_value": _key_identifier(subject_key)},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": {"key_identifier": _key_identifier(issuer_key)},
        },
    ]
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": _signature_algorithm(signer),
            "issuer": issuer,
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": subject,
            "subject_public_key_info": asn1_keys.PublicKeyInfo.load(subject_key.to_der()),
            "extensions": extensions,
        }
    )
    certificate = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": _signature_algorithm(signer),
            "signature_value": signer.sign(tbs.dump()),
        }
    )
    return bytes(certificate.dump())


def _build_crl(
    *,
    ca: Certificate,
    signer: PrivateKey,
    number: int,
    revoked: dict[int, datetime],
    this_update: datetime,
    next_update: datetime,
) -> bytes:
    tbs_fields: dict[str, Any] = {
        "version": "v2",
        "signature": _signature_algorithm(signer),
        "issuer": asn1_x509.Certificate.load(ca.der)["tbs_certificate"]["subject"],
        "this_update": _time(this_update),
        "next_update": _time(next_update),
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": number},
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": _key_identifier(ca.public_key)},
            },
        ],
    }
    if revoked:  # RFC 5280 5.1.2.6: absent, not empty, when nothing is revoked
        tbs_fields["revoked_certificates"] = [
            {"user_certificate": serial, "revocation_date": _time(moment)} for serial, moment in sorted(revoked.items())
        ]
    tbs = asn1_crl.TbsCertList(tbs_fields)
    certificate_list = asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": _signature_algorithm(signer),
            "signature": signer.sign(tbs.dump()),
        }
    )
    return bytes(asn1_pem.armor("X509 CRL", certificate_list.dump()))


# --- the CA directory ---------------------------------------------------------------------------------------


def _second(moment: datetime) -> datetime:
    """Certificates carry whole seconds in UTC."""
    if moment.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    return as_utc(moment).replace(microsecond=0)


def _write(path: Path, text: str, *, private: bool = False) -> None:
    """Write through a temporary file and rename, so a crash leaves the old file or the new, never half."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _load_state(directory: Path) -> dict[str, Any]:
    state_path = directory / STATE_FILE
    if not state_path.exists():
        raise FileNotFoundError(f"no CA in {directory} (run `ggzy ca init` first)")
    state: dict[str, Any] = json.loads(state_path.read_text(encoding="utf-8"))
    return state


def _save_state(directory: Path, state: dict[str, Any]) -> None:
    _write(directory / STATE_FILE, json.dumps(state, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def _load_ca(directory: Path) -> tuple[Certificate, PrivateKey]:
    certificate = load_certificate((directory / CA_CERTIFICATE_FILE).read_bytes())
    key = load_private_key_pem((directory / CA_KEY_FILE).read_bytes())
    if key.public_key != certificate.public_key:
        raise ValueError(f"{CA_KEY_FILE} does not belong to {CA_CERTIFICATE_FILE} in {directory}")
    return certificate, key


def init_ca(directory: Path | str, *, suite: Suite, name: str, now: datetime, valid_days: int = 3650) -> Certificate:
    """Create a CA named ``name`` in ``directory``; refuses (FileExistsError) if one is already there."""
    directory = Path(directory)
    name = name.strip()
    if not name:
        raise InvalidInput(field="name", reason_zh="不能为空", reason_en="must not be empty")
    for file_name in (CA_CERTIFICATE_FILE, CA_KEY_FILE, STATE_FILE):
        if (directory / file_name).exists():
            raise FileExistsError(f"a CA already exists in {directory} ({file_name}); refusing to overwrite it")
    not_before = _second(now)
    key = generate_signing_key(suite)
    subject = _name(common_name=name, organization=name)
    der = _build_certificate(
        serial=1,
        subject=subject,
        issuer=subject,
        subject_key=key.public_key,
        issuer_key=key.public_key,
        signer=key,
        not_before=not_before,
        not_after=not_before + timedelta(days=valid_days),
        is_ca=True,
    )
    certificate = load_certificate(der)
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory / CA_KEY_FILE, key.to_pem(), private=True)
    _write(directory / CA_CERTIFICATE_FILE, certificate.pem)
    _save_state(
        directory,
        {"suite": str(suite), "next_serial": 2, "next_crl_number": 1, "issued": {}, "revoked": {}},
    )
    return certificate


def _check_subject(
    *,
    kind: CertificateKind,
    name: str,
    credit_code: str,
    organization: str | None,
    person_id: str | None,
) -> asn1_x509.Name:
    name = name.strip()
    if not name:
        raise InvalidInput(field="name", reason_zh="不能为空", reason_en="must not be empty")
    code = validate_credit_code(credit_code, field="credit_code")
    if kind == "entity":
        for field, value in (("organization", organization), ("person_id", person_id)):
            if value is not None:
                raise InvalidInput(
                    field=field, reason_zh="仅用于个人证书", reason_en="applies to person certificates only"
                )
        return _name(common_name=name, organization=name, credit_code=code)
    if kind != "person":
        raise InvalidInput(field="kind", reason_zh="应为 entity 或 person", reason_en="must be entity or person")
    if not organization or not organization.strip():
        raise InvalidInput(
            field="organization",
            reason_zh="个人证书须填写所在单位",
            reason_en="a person certificate needs one",
        )
    person_id = (person_id or "").strip().upper()
    if not _PRINTABLE.fullmatch(person_id):
        raise InvalidInput(
            field="person_id",
            reason_zh="须为证件号码（字母、数字）",
            reason_en="must be an identity number (letters and digits)",
        )
    return _name(common_name=name, organization=organization.strip(), credit_code=code, person_id=person_id)


def issue_certificate(
    directory: Path | str,
    *,
    kind: CertificateKind,
    name: str,
    credit_code: str,
    organization: str | None = None,
    person_id: str | None = None,
    now: datetime,
    valid_days: int = 365,
    not_before: datetime | None = None,
) -> IssuedCertificate:
    """Issue an entity or person certificate with a new key pair of the CA's suite."""
    directory = Path(directory)
    subject = _check_subject(
        kind=kind, name=name, credit_code=credit_code, organization=organization, person_id=person_id
    )
    state = _load_state(directory)
    ca, ca_key = _load_ca(directory)
    start = _second(not_before if not_before is not None else now)
    key = generate_signing_key(ca.suite)
    serial = int(state["next_serial"])
    der = _build_certificate(
        serial=serial,
        subject=subject,
        issuer=asn1_x509.Certificate.load(ca.der)["tbs_certificate"]["subject"],
        subject_key=key.public_key,
        issuer_key=ca.public_key,
        signer=ca_key,
        not_before=start,
        not_after=start + timedelta(days=valid_days),
        is_ca=False,
    )
    certificate = load_certificate(der)
    state["next_serial"] = serial + 1
    state["issued"][str(serial)] = certificate.subject
    _save_state(directory, state)
    return IssuedCertificate(certificate=certificate, private_key_pem=key.to_pem(), certificate_pem=certificate.pem)


def revoke(directory: Path | str, serial: int, *, now: datetime) -> datetime:
    """Revoke the certificate ``serial`` issued by this CA; returns its revocation time (the first one)."""
    directory = Path(directory)
    state = _load_state(directory)
    if str(serial) not in state["issued"]:
        raise NotFound(
            field="serial",
            what_zh=f"本 CA 签发的序列号为 {serial} 的证书",
            what_en=f"Certificate with serial {serial} issued by this CA",
        )
    revoked: dict[str, str] = state["revoked"]
    if str(serial) not in revoked:
        revoked[str(serial)] = _second(now).isoformat()
        _save_state(directory, state)
    return datetime.fromisoformat(revoked[str(serial)])


def current_crl(directory: Path | str, *, now: datetime) -> bytes:
    """A fresh PEM CRL listing every revoked certificate, valid for a week from ``now``."""
    directory = Path(directory)
    state = _load_state(directory)
    ca, ca_key = _load_ca(directory)
    number = int(state["next_crl_number"])
    this_update = _second(now)
    crl = _build_crl(
        ca=ca,
        signer=ca_key,
        number=number,
        revoked={int(serial): datetime.fromisoformat(at) for serial, at in state["revoked"].items()},
        this_update=this_update,
        next_update=this_update + timedelta(days=CRL_VALID_DAYS),
    )
    state["next_crl_number"] = number + 1
    _save_state(directory, state)
    return crl


def ca_suite(directory: Path | str) -> Suite:
    """The suite of the CA in ``directory``."""
    return Suite(_load_state(Path(directory))["suite"])
