"""The platform's document-signing key and its X.509 certificate, and where they are kept.

Kept like the ledger's checkpoint keys (``ggzy.ledger.keys``): by default in the data directory
(``documents-signing-key.pem``, mode 0600, and ``documents-signing-cert.pem``), created at first use; in production
in one PEM file elsewhere (``GGZY_DOCUMENTS_KEY_FILE``: the private key, then the certificate), made by
``ggzy documents keygen --out FILE`` and never created implicitly.

RSA-3072 with SHA-256, self-signed: the key type every PDF reader validates (Adobe Acrobat, Foxit, poppler's
``pdfsig``, pyHanko), where ECDSA and above all SM2 are not validated everywhere (decision 0028). The certificate
is the trust anchor a reader adds once: it is published at ``GET /api/v1/documents/signing-certificate``.
Everything is made by ``cryptography``; nothing here signs or hashes by hand.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

if TYPE_CHECKING:
    from ggzy.config import Settings

KEY_FILE = "documents-signing-key.pem"
CERTIFICATE_FILE = "documents-signing-cert.pem"
RSA_BITS = 3072
VALID_YEARS = 10
# RFC 9336 id-kp-documentSigning: the certificate signs documents, not TLS or code.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")

KEYS_IN_DATA_DIR_WARNING = (
    "the platform's document-signing key is in the data directory ({location}): anyone who can read the data files "
    "can sign documents in the platform's name. Keep it elsewhere (GGZY_DOCUMENTS_KEY_FILE, created by "
    "`ggzy documents keygen --out FILE`)."
)


class DocumentKeyFileError(Exception):
    """The configured key file is missing or does not hold a key and its certificate."""


@dataclass(frozen=True)
class DocumentSigningKey:
    """The private key and the certificate that names it; ``location`` says where they were read from."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    location: str = "(memory)"
    in_data_dir: bool = False

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), hex: what a reader compares with the published one."""
        return hashlib.sha256(self.certificate_der).hexdigest()

    @property
    def private_key_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @property
    def custody_warning(self) -> str | None:
        return KEYS_IN_DATA_DIR_WARNING.format(location=self.location) if self.in_data_dir else None

    @classmethod
    def generate(cls, platform_name: str, *, now: datetime | None = None) -> DocumentSigningKey:
        """A new key and a self-signed certificate naming the platform (valid ten years from yesterday)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        now = now or datetime.now(UTC)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, platform_name),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{platform_name} 电子文件签章"),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * VALID_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def to_pem(self) -> str:
        return self.private_key_pem + self.certificate_pem

    @classmethod
    def from_pem(cls, text: str, *, location: str = "(memory)", in_data_dir: bool = False) -> DocumentSigningKey:
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
            certificates = x509.load_pem_x509_certificates(text.encode())
        except ValueError as error:
            raise DocumentKeyFileError(
                f"{location} must hold a PKCS#8 private key and its certificate: {error}"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DocumentKeyFileError(f"the key in {location} is not an RSA key")
        if certificates[0].public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
            raise DocumentKeyFileError(f"the certificate in {location} does not name its key")
        return cls(key, certificates[0], location, in_data_dir)

    @classmethod
    def create_file(cls, path: Path, platform_name: str) -> DocumentSigningKey:
        """A new key and certificate written to ``path`` (which must not exist), readable by its owner only."""
        made = cls.generate(platform_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(made.to_pem())
        return cls.from_pem(made.to_pem(), location=str(path))

    @classmethod
    def load_or_create(cls, directory: Path, platform_name: str) -> DocumentSigningKey:
        """The key and certificate kept in ``directory`` (created with mode 0600 on first use)."""
        key_path, certificate_path = directory / KEY_FILE, directory / CERTIFICATE_FILE
        if not key_path.exists():
            made = cls.generate(platform_name)
            directory.mkdir(parents=True, exist_ok=True)
            key_path.touch(mode=0o600)
            key_path.write_text(made.private_key_pem)
            certificate_path.write_text(made.certificate_pem)
        text = key_path.read_text() + certificate_path.read_text()
        return cls.from_pem(text, location=f"{key_path}, {certificate_path}", in_data_dir=True)


def load_document_key(settings: Settings) -> DocumentSigningKey:
    """The key the settings name: ``documents_key_file`` if set (it must exist), else the data directory's."""
    data_dir = Path(settings.data_dir)
    if settings.documents_key_file is None:
        return DocumentSigningKey.load_or_create(data_dir, settings.platform_name)
    path = Path(settings.documents_key_file)
    if not path.is_file():
        raise DocumentKeyFileError(
            f"GGZY_DOCUMENTS_KEY_FILE names {path}, which does not exist; "
            f"create it with `ggzy documents keygen --out {path}`"
        )
    inside = path.resolve().is_relative_to(data_dir.resolve())
    return DocumentSigningKey.from_pem(path.read_text(), location=str(path), in_data_dir=inside)


class DocumentKeys:
    """The app's document-signing key, read (or created) at its first use: an RSA key takes a moment to make, and
    a platform that never hands out a document never needs one."""

    def __init__(self, settings: Settings, key: DocumentSigningKey | None = None) -> None:
        self._settings = settings
        self._key = key
        self._lock = threading.Lock()

    def get(self) -> DocumentSigningKey:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = load_document_key(self._settings)
        return self._key
