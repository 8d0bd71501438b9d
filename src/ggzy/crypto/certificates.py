"""X.509 certificates of both suites, read into one plain value.

``cryptography`` parses every field of an SM2 certificate but cannot load its key, so the
SubjectPublicKeyInfo is taken with ``asn1crypto`` and loaded by
:func:`ggzy.crypto.suites.load_public_key_der`.

Who a certificate names (the subject attributes a Chinese CA uses for 单位证书 and 个人证书):

- ``organizationIdentifier`` (2.5.4.97): the entity's 18-character unified social credit code
  (统一社会信用代码, GB 32100); on a person certificate, the employer's.
- ``serialNumber`` (2.5.4.5): the person's identity number; present only on person certificates.
- ``CN``: the entity's or the person's name; ``O``: the entity (employer) name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import NameOID

from ggzy.crypto.errors import CertificateMalformed, SignatureInvalid
from ggzy.crypto.suites import (
    ECDSA_WITH_SHA256_OID,
    SM2_WITH_SM3_OID,
    KeyAlgorithm,
    PublicKey,
    Suite,
    load_public_key_der,
)

CertificateKind = Literal["entity", "person"]
_Extension = TypeVar("_Extension", bound=x509.ExtensionType)

# RFC 4514 has no short names for these two; spell them out rather than print bare OIDs.
_NAME_OVERRIDES = {
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.SERIAL_NUMBER: "serialNumber",
}

# The signature algorithm each issuer key must use (one per key algorithm; nothing else is accepted).
SIGNATURE_ALGORITHM_FOR_KEY: dict[KeyAlgorithm, str] = {
    KeyAlgorithm.SM2: SM2_WITH_SM3_OID,
    KeyAlgorithm.P256: ECDSA_WITH_SHA256_OID,
}


def name_to_string(name: x509.Name) -> str:
    """RFC 4514 form of a distinguished name, with organizationIdentifier and serialNumber spelt out."""
    return name.rfc4514_string(_NAME_OVERRIDES)


def signature_verifies(issuer_key: PublicKey, *, algorithm_oid: str, signed: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (made with the algorithm ``algorithm_oid``) over ``signed`` is ``issuer_key``'s.

    SM2 keys accept only SM2-with-SM3 (default signer ID), P-256 keys only ECDSA with SHA-256.
    """
    if SIGNATURE_ALGORITHM_FOR_KEY.get(issuer_key.algorithm) != algorithm_oid:
        return False
    try:
        issuer_key.verify(signed, signature)
    except SignatureInvalid:
        return False
    return True


@dataclass(frozen=True, eq=False)
class Certificate:
    """An X.509 certificate of either suite, with the fields ggzy reads from it."""

    der: bytes
    common_name: str
    organization: str | None
    credit_code: str | None
    person_id: str | None
    serial_number: int
    subject: str
    issuer: str
    subject_name_der: bytes
    issuer_name_der: bytes
    not_before: datetime
    not_after: datetime
    public_key: PublicKey
    is_ca: bool
    path_length: int | None
    can_sign_certificates: bool
    can_sign_crls: bool
    subject_key_identifier: bytes | None
    authority_key_identifier: bytes | None
    tbs_bytes: bytes
    signature: bytes
    signature_algorithm_oid: str

    @property
    def kind(self) -> CertificateKind:
        """A person certificate (个人证书) names a person by identity number; anything else is an entity's."""
        return "person" if self.person_id else "entity"

    @property
    def suite(self) -> Suite:
        return self.public_key.suite

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER encoding, in lower-case hex."""
        return hashlib.sha256(self.der).hexdigest()

    @property
    def pem(self) -> str:
        return asn1_pem.armor("CERTIFICATE", self.der).decode("ascii")

    @property
    def is_self_issued(self) -> bool:
        return self.subject_name_der == self.issuer_name_der

    def is_signed_by(self, issuer: Certificate) -> bool:
        """Whether ``issuer``'s key made this certificate's signature (names are not compared here)."""
        return signature_verifies(
            issuer.public_key,
            algorithm_oid=self.signature_algorithm_oid,
            signed=self.tbs_bytes,
            signature=self.signature,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"<Certificate {self.subject!r} serial={self.serial_number} suite={self.suite}>"


def _malformed(reason_en: str, reason_zh: str) -> CertificateMalformed:
    return CertificateMalformed(reason_zh=reason_zh, reason_en=reason_en)


def _certificate_ders(data: bytes | str) -> list[bytes]:
    raw = data.encode("ascii", errors="replace") if isinstance(data, str) else data
    if not asn1_pem.detect(raw):
        return [raw]
    try:
        blocks = list(asn1_pem.unarmor(raw.strip(), multiple=True))
    except (ValueError, TypeError) as error:
        raise _malformed("not valid PEM", "PEM 格式错误") from error
    ders = [bytes(der) for kind, _headers, der in blocks if kind == "CERTIFICATE"]
    if not ders:
        raise _malformed("no CERTIFICATE block in the PEM", "PEM 中没有证书")
    return ders


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def _extension(cert: x509.Certificate, kind: type[_Extension]) -> _Extension | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _parse(der: bytes) -> Certificate:
    try:
        cert = x509.load_der_x509_certificate(der)
        spki = asn1_x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"].dump()
        basic = _extension(cert, x509.BasicConstraints)
        usage = _extension(cert, x509.KeyUsage)
        subject_key_id = _extension(cert, x509.SubjectKeyIdentifier)
        authority_key_id = _extension(cert, x509.AuthorityKeyIdentifier)
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as error:
        raise _malformed(f"not a readable X.509 certificate ({error})", "不是有效的 X.509 证书") from error
    subject, issuer = cert.subject, cert.issuer
    return Certificate(
        der=der,
        common_name=_attribute(subject, NameOID.COMMON_NAME) or "",
        organization=_attribute(subject, NameOID.ORGANIZATION_NAME),
        credit_code=_attribute(subject, NameOID.ORGANIZATION_IDENTIFIER),
        person_id=_attribute(subject, NameOID.SERIAL_NUMBER),
        serial_number=cert.serial_number,
        subject=name_to_string(subject),
        issuer=name_to_string(issuer),
        subject_name_der=subject.public_bytes(),
        issuer_name_der=issuer.public_bytes(),
        not_before=not_before,
        not_after=not_after,
        public_key=load_public_key_der(bytes(spki)),
        is_ca=basic is not None and basic.ca,
        path_length=basic.path_length if basic is not None else None,
        # Without a keyUsage extension, RFC 5280 leaves the key unrestricted.
        can_sign_certificates=usage is None or usage.key_cert_sign,
        can_sign_crls=usage is None or usage.crl_sign,
        subject_key_identifier=subject_key_id.digest if subject_key_id else None,
        authority_key_identifier=authority_key_id.key_identifier if authority_key_id else None,
        tbs_bytes=cert.tbs_certificate_bytes,
        signature=cert.signature,
        signature_algorithm_oid=cert.signature_algorithm_oid.dotted_string,
    )


def load_certificate(data: bytes | str) -> Certificate:
    """Read one certificate of either suite, PEM (text or bytes) or DER; raises CertificateMalformed."""
    return _parse(_certificate_ders(data)[0])


def load_certificates(data: bytes | str) -> Sequence[Certificate]:
    """Read every certificate of a PEM bundle (a chain file), or a single DER certificate."""
    return [_parse(der) for der in _certificate_ders(data)]
