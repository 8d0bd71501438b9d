"""Errors of the crypto layer: certificates, signatures and decryption.

Codes are public (other systems match on them) and never change. Messages name the certificate's subject and
serial number where there is one, so a bidder can tell which of its certificates was refused.
"""

from __future__ import annotations

from ggzy.core.errors import DomainError


class CertificateUntrusted(DomainError):
    """No chain from the certificate to a trusted CA, or a signature in the chain does not verify."""

    code = "certificate_untrusted"
    status = 401
    message_zh = "证书 {subject}（序列号 {serial}）不受信任：{reason_zh}"
    message_en = "Certificate {subject} (serial {serial}) is not trusted: {reason_en}"


class CertificateExpired(DomainError):
    code = "certificate_expired"
    status = 401
    message_zh = "证书 {subject}（序列号 {serial}）已于 {not_after} 过期"
    message_en = "Certificate {subject} (serial {serial}) expired at {not_after}"


class CertificateNotYetValid(DomainError):
    code = "certificate_not_yet_valid"
    status = 401
    message_zh = "证书 {subject}（序列号 {serial}）尚未生效，生效时间 {not_before}"
    message_en = "Certificate {subject} (serial {serial}) is not valid before {not_before}"


class CertificateRevoked(DomainError):
    code = "certificate_revoked"
    status = 401
    message_zh = "证书 {subject}（序列号 {serial}）已于 {revoked_at} 被吊销"
    message_en = "Certificate {subject} (serial {serial}) was revoked at {revoked_at}"


class CertificateMalformed(DomainError):
    code = "certificate_malformed"
    status = 422
    message_zh = "无法读取证书或密钥：{reason_zh}"
    message_en = "The certificate or key cannot be read: {reason_en}"


class RevocationListRejected(DomainError):
    """A CRL that cannot be read, comes from a CA the store does not trust, or whose signature fails."""

    code = "revocation_list_rejected"
    status = 422
    message_zh = "证书吊销列表（签发者 {issuer}）被拒绝：{reason_zh}"
    message_en = "Certificate revocation list (issuer {issuer}) rejected: {reason_en}"


class SignatureInvalid(DomainError):
    code = "signature_invalid"
    status = 401
    message_zh = "签名验证失败"
    message_en = "The signature does not verify"


class DecryptionFailed(DomainError):
    code = "decryption_failed"
    status = 422
    message_zh = "解密失败：密钥错误或数据已被篡改"
    message_en = "Decryption failed: wrong key or tampered data"


class EnvelopeInvalid(DomainError):
    """A sealed bid envelope that is not well formed: wrong format, mixed suites, or a ciphertext that does not match
    the size and hash its header states."""

    code = "envelope_invalid"
    status = 422
    message_zh = "投标文件密封信封无效：{reason_zh}"
    message_en = "The sealed bid envelope is invalid: {reason_en}"


class ShareRecoveryFailed(DomainError):
    """The released key shares do not recover the lot's opening key (too few, duplicated, or wrong)."""

    code = "share_recovery_failed"
    status = 422
    message_zh = "无法用所提交的密钥份额恢复开标密钥：{reason_zh}"
    message_en = "The released key shares do not recover the opening key: {reason_en}"
