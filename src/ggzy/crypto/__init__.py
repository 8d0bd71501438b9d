"""Cryptography for ggzy: the GM and INTL suites, certificates, the trust store and a demo CA.

Import from here; the submodules are an implementation detail. The CLI (:mod:`ggzy.crypto.cli`) is not
re-exported, so importing this package does not pull in Typer.
"""

from ggzy.crypto.ca import IssuedCertificate, current_crl, init_ca, issue_certificate, revoke
from ggzy.crypto.certificates import Certificate, CertificateKind, load_certificate, load_certificates
from ggzy.crypto.errors import (
    CertificateExpired,
    CertificateMalformed,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    DecryptionFailed,
    RevocationListRejected,
    SignatureInvalid,
)
from ggzy.crypto.suites import (
    KeyAlgorithm,
    PrivateKey,
    PublicKey,
    Suite,
    aead_decrypt,
    aead_encrypt,
    data_key_size,
    digest,
    generate_data_key,
    generate_exchange_key,
    generate_signing_key,
    load_private_key_der,
    load_private_key_pem,
    load_public_key_der,
    load_public_key_pem,
    unwrap_key,
    wrap_key,
)
from ggzy.crypto.truststore import RevocationList, TrustStore

__all__ = [
    "Certificate",
    "CertificateExpired",
    "CertificateKind",
    "CertificateMalformed",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateUntrusted",
    "DecryptionFailed",
    "IssuedCertificate",
    "KeyAlgorithm",
    "PrivateKey",
    "PublicKey",
    "RevocationList",
    "RevocationListRejected",
    "SignatureInvalid",
    "Suite",
    "TrustStore",
    "aead_decrypt",
    "aead_encrypt",
    "current_crl",
    "data_key_size",
    "digest",
    "generate_data_key",
    "generate_exchange_key",
    "generate_signing_key",
    "init_ca",
    "issue_certificate",
    "load_certificate",
    "load_certificates",
    "load_private_key_der",
    "load_private_key_pem",
    "load_public_key_der",
    "load_public_key_pem",
    "revoke",
    "unwrap_key",
    "wrap_key",
]

from ggzy.crypto.envelope import (
    EnvelopeHeader,
    OpenedBid,
    OpenedFile,
    Recipient,
    SealedEnvelopeInfo,
    check_envelope_for_lot,
    open_bid,
    open_stream,
    read_envelope_header,
    seal_bid,
    seal_stream,
    unwrap_data_key,
    verify_ciphertext,
)
from ggzy.crypto.errors import EnvelopeInvalid, ShareRecoveryFailed
from ggzy.crypto.sharing import (
    EncryptedShare,
    OpeningKeySetup,
    ReleasedShare,
    create_opening_key,
    decrypt_share,
    recover_opening_key,
)

__all__ += [
    "EncryptedShare",
    "EnvelopeHeader",
    "EnvelopeInvalid",
    "OpenedBid",
    "OpenedFile",
    "OpeningKeySetup",
    "Recipient",
    "ReleasedShare",
    "SealedEnvelopeInfo",
    "ShareRecoveryFailed",
    "check_envelope_for_lot",
    "create_opening_key",
    "decrypt_share",
    "open_bid",
    "open_stream",
    "read_envelope_header",
    "recover_opening_key",
    "seal_bid",
    "seal_stream",
    "unwrap_data_key",
    "verify_ciphertext",
]
