"""The platform's PAdES signature on a document, made and checked by pyHanko (no cryptography written here).

A certification signature (``/DocMDP``, no changes allowed) with the ``ETSI.CAdES.detached`` sub-filter, SHA-256,
RSA PKCS#1 v1.5 under the platform's document-signing certificate (``ggzy.documents.keys``), which is embedded in
the signature: every PDF reader shows who signed and whether the bytes changed since; a reader that trusts the
published certificate shows it valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from pyhanko import stamp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ggzy.core.clock import to_china_time
from ggzy.documents.keys import DocumentSigningKey
from ggzy.documents.layout import SealBox

FIELD_NAME = "PlatformSignature"


def _asn1_certificate(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(der)


class _PlatformSigner(signers.SimpleSigner):
    """pyHanko's signer, with the key object already loaded: ``SimpleSigner`` parses the PKCS#8 key again for every
    signature, which for RSA means checking the key (~0.7 s for RSA-3072 on a loaded machine, bench/documents.py).
    The signature itself is still ``cryptography``'s RSA PKCS#1 v1.5, as pyHanko would make it."""

    def __init__(self, key: DocumentSigningKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loaded = key.private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15" or digest_algorithm != "sha256":
            return super().sign_raw(data, digest_algorithm)
        return self._loaded.sign(data, padding.PKCS1v15(), hashes.SHA256())


# The appearance's text is drawn by pyHanko in a standard font (Latin only); the Chinese caption is on the page.
# Its time is the signature's (pyHanko signs at the wall clock's time), in Beijing time.
STAMP_TEXT = "Digitally signed by the platform\nPAdES, RSA-3072 / SHA-256\nBeijing time: {time} (UTC+8)"


def sign_pdf(
    pdf: bytes, key: DocumentSigningKey, *, reason: str, location: str, name: str, seal: SealBox | None = None
) -> bytes:
    """``pdf`` with the platform's certification signature appended (an incremental update); visible in ``seal``
    (a box on a page) when given, so that every reader shows it on the page as well as in its signature panel."""
    certificate = _asn1_certificate(key.certificate_der)
    signer = _PlatformSigner(
        key,
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason,
        location=location,
        name=name,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    field_spec = style = None
    if seal is not None:
        field_spec = fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=seal.page, box=seal.box)
        style = stamp.TextStampStyle(
            stamp_text=STAMP_TEXT.format(time=f"{to_china_time(datetime.now(UTC)):%Y-%m-%d %H:%M:%S}"),
            border_width=1,
        )
    out = signers.PdfSigner(metadata, signer, stamp_style=style, new_field_spec=field_spec).sign_pdf(writer)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """What a reader learns of the signature: the bytes are those signed (``intact``), the signature is good
    (``valid``), the signer is the certificate given (``trusted``), and no change followed (``unchanged``)."""

    intact: bool
    valid: bool
    trusted: bool
    unchanged: bool
    signer: str
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.unchanged


def check_pdf(pdf: bytes, certificate_pem: str) -> SignatureCheck:
    """Validate the document's one signature against the platform's published certificate (its trust anchor)."""
    der = x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    reader = PdfFileReader(BytesIO(pdf))
    signatures = reader.embedded_signatures
    if len(signatures) != 1:
        return SignatureCheck(False, False, False, False, "", f"{len(signatures)} signatures")
    context = ValidationContext(trust_roots=[_asn1_certificate(der)])
    status = validate_pdf_signature(signatures[0], context)
    coverage = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    return SignatureCheck(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        unchanged=coverage,
        signer=status.signing_cert.subject.human_friendly,
        summary=status.summary(),
    )
