"""Trusted CAs of both suites at once, with their revocation lists (证书互认: one platform, many CAs).

A certificate is accepted when a chain leads from it to an anchor in the store where each link's issuer
name matches and its signature verifies with the issuer's key (SM2-with-SM3 for GM, ECDSA with SHA-256
for INTL), every issuer is a CA allowed to sign certificates, every certificate in the chain is valid at
the given time, and no CRL of an issuer in the store lists it as revoked at that time.

Revocation counts from its date: validating at a moment before a certificate was revoked accepts it, so
a signature made (and timestamped in the ledger) while the certificate was good stays good. CRLs are
accepted only from anchors, after their signature is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from asn1crypto import pem as asn1_pem
from cryptography import x509

from ggzy.crypto.certificates import Certificate, name_to_string, signature_verifies
from ggzy.crypto.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    RevocationListRejected,
)

MAX_CHAIN_LENGTH = 8


@dataclass(frozen=True)
class RevocationList:
    """A verified CRL, reduced to what validation needs."""

    issuer: Certificate
    this_update: datetime
    next_update: datetime | None
    revoked: dict[int, datetime]  # serial number → revocation date (aware UTC)


def _untrusted(certificate: Certificate, reason_en: str, reason_zh: str) -> CertificateUntrusted:
    return CertificateUntrusted(
        subject=certificate.subject,
        serial=certificate.serial_number,
        reason_en=reason_en,
        reason_zh=reason_zh,
    )


@dataclass(frozen=True)
class _ParsedCrl:
    issuer_name_der: bytes
    issuer: str
    signed: bytes
    signature: bytes
    signature_algorithm_oid: str
    this_update: datetime
    next_update: datetime | None
    revoked: dict[int, datetime]


def _parse_crl(data: bytes | str) -> _ParsedCrl:
    raw = data.encode("ascii", errors="replace") if isinstance(data, str) else data
    try:
        if asn1_pem.detect(raw):
            kind, _headers, der = asn1_pem.unarmor(raw.strip())
            if kind != "X509 CRL":
                raise ValueError(f"expected an X509 CRL PEM block, found {kind}")
            raw = bytes(der)
        crl = x509.load_der_x509_crl(raw)
        return _ParsedCrl(
            issuer_name_der=crl.issuer.public_bytes(),
            issuer=name_to_string(crl.issuer),
            signed=crl.tbs_certlist_bytes,
            signature=crl.signature,
            signature_algorithm_oid=crl.signature_algorithm_oid.dotted_string,
            this_update=crl.last_update_utc,
            next_update=crl.next_update_utc,
            revoked={entry.serial_number: entry.revocation_date_utc for entry in crl},
        )
    except (ValueError, TypeError) as error:
        raise RevocationListRejected(issuer="?", reason_zh="无法解析", reason_en=f"unreadable ({error})") from error


class TrustStore:
    """The CA certificates a centre trusts, of any suite, and the revocation lists they publish."""

    def __init__(self, anchors: Iterable[Certificate] = ()) -> None:
        self._anchors: dict[str, Certificate] = {}
        self._crls: dict[str, RevocationList] = {}
        for anchor in anchors:
            self.add_anchor(anchor)

    @property
    def anchors(self) -> Sequence[Certificate]:
        return tuple(self._anchors.values())

    @property
    def revocation_lists(self) -> Sequence[RevocationList]:
        return tuple(self._crls.values())

    def add_anchor(self, certificate: Certificate) -> None:
        """Trust a CA certificate (a root, or an intermediate a centre chooses to trust directly)."""
        if not (certificate.is_ca and certificate.can_sign_certificates):
            raise _untrusted(certificate, "it is not a CA certificate", "不是 CA 证书")
        if certificate.is_self_issued and not certificate.is_signed_by(certificate):
            raise _untrusted(certificate, "its self-signature does not verify", "自签名验证失败")
        self._anchors[certificate.fingerprint] = certificate

    def add_crl(self, data: bytes | str) -> RevocationList:
        """Verify a CRL (PEM or DER) against its issuer among the anchors and keep it if it is the newest."""
        crl = _parse_crl(data)
        named = [a for a in self._anchors.values() if a.subject_name_der == crl.issuer_name_der]
        if not named:
            raise RevocationListRejected(
                issuer=crl.issuer, reason_zh="签发者不是受信任的 CA", reason_en="its issuer is not trusted"
            )
        signed_by = [
            anchor
            for anchor in named
            if anchor.can_sign_crls
            and signature_verifies(
                anchor.public_key,
                algorithm_oid=crl.signature_algorithm_oid,
                signed=crl.signed,
                signature=crl.signature,
            )
        ]
        if not signed_by:
            raise RevocationListRejected(
                issuer=crl.issuer,
                reason_zh="签名无法用签发者的密钥验证",
                reason_en="its signature does not verify with the issuer's key",
            )
        revocation_list = RevocationList(
            issuer=signed_by[0], this_update=crl.this_update, next_update=crl.next_update, revoked=crl.revoked
        )
        current = self._crls.get(signed_by[0].fingerprint)
        if current is None or current.this_update <= revocation_list.this_update:
            self._crls[signed_by[0].fingerprint] = revocation_list
        return revocation_list

    def validate(
        self, certificate: Certificate, *, at: datetime, intermediates: Sequence[Certificate] = ()
    ) -> Certificate:
        """Accept ``certificate`` at the moment ``at`` or raise; returns the trusted anchor its chain ends at.

        Raises CertificateUntrusted, CertificateExpired, CertificateNotYetValid or CertificateRevoked.
        """
        if at.tzinfo is None:
            raise ValueError("validation time must be timezone-aware")
        chain = self._build_chain(certificate, intermediates)
        self._check_issuers(chain)
        for member in chain:
            if at < member.not_before:
                raise CertificateNotYetValid(
                    subject=member.subject,
                    serial=member.serial_number,
                    not_before=member.not_before.isoformat(),
                )
            if at > member.not_after:
                raise CertificateExpired(
                    subject=member.subject,
                    serial=member.serial_number,
                    not_after=member.not_after.isoformat(),
                )
        for member, issuer in pairwise(chain):
            crl = self._crls.get(issuer.fingerprint)
            revoked_at = crl.revoked.get(member.serial_number) if crl else None
            if revoked_at is not None and revoked_at <= at:
                raise CertificateRevoked(
                    subject=member.subject, serial=member.serial_number, revoked_at=revoked_at.isoformat()
                )
        return chain[-1]

    def anchor_of(self, certificate: Certificate, *, intermediates: Sequence[Certificate] = ()) -> Certificate:
        """The trusted anchor the certificate's chain ends at, whatever the time (an expired or revoked certificate
        still came from it); raises CertificateUntrusted when there is no chain. Not an acceptance: use validate."""
        return self._build_chain(certificate, intermediates)[-1]

    def _build_chain(self, certificate: Certificate, intermediates: Sequence[Certificate]) -> list[Certificate]:
        """Leaf first, anchor last: follow issuer names, keeping only issuers whose key made the signature."""
        chain = [certificate]
        current = certificate
        while current.fingerprint not in self._anchors:
            if len(chain) >= MAX_CHAIN_LENGTH:
                raise _untrusted(certificate, "the chain is too long", "证书链过长")
            anchors = [a for a in self._anchors.values() if a.subject_name_der == current.issuer_name_der]
            others = [c for c in intermediates if c.subject_name_der == current.issuer_name_der and c not in chain]
            if not anchors and not others:
                raise _untrusted(
                    certificate,
                    f"no trusted CA named {current.issuer}",
                    f"没有名为 {current.issuer} 的受信任 CA",
                )
            issuer = next((c for c in [*anchors, *others] if current.is_signed_by(c)), None)
            if issuer is None:
                raise _untrusted(
                    certificate,
                    f"the signature of {current.subject} does not verify with the key of {current.issuer}",
                    f"{current.subject} 的签名无法用 {current.issuer} 的密钥验证",
                )
            chain.append(issuer)
            current = issuer
        return chain

    def _check_issuers(self, chain: Sequence[Certificate]) -> None:
        """Every issuer must be a CA that may sign certificates, within its path length (RFC 5280 4.2.1.9)."""
        leaf = chain[0]
        for position, issuer in enumerate(chain[1:], start=1):
            if not (issuer.is_ca and issuer.can_sign_certificates):
                raise _untrusted(leaf, f"{issuer.subject} is not a CA certificate", f"{issuer.subject} 不是 CA 证书")
            intermediates_below = sum(1 for member in chain[1:position] if not member.is_self_issued)
            if issuer.path_length is not None and intermediates_below > issuer.path_length:
                raise _untrusted(
                    leaf,
                    f"{issuer.subject} allows at most {issuer.path_length} intermediate CAs",
                    f"{issuer.subject} 最多允许 {issuer.path_length} 级中间 CA",
                )
