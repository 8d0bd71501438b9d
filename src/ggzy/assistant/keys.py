"""Where the assistant's key lives: an adapter per kind of key store, each giving a :class:`ggzy.crypto.PrivateKey`
that the bidder client's code (sealing, unwrapping, signing a login) uses as it uses a key read from a file.

- :class:`FileKeySource`: an unencrypted PKCS#8 PEM on the user's disk, GM (SM2) or INTL (P-256): what
  ``ggzy bid`` reads today. GM keys come from a file here: no PKCS#11 token at hand (SoftHSM2 included) does SM2.
- :class:`Pkcs11KeySource`: an INTL P-256 key inside a PKCS#11 token (the interface CA USB keys expose; SoftHSM2 in
  the tests), through python-pkcs11. The token signs (CKM_ECDSA over the SHA-256 digest) and does the ECDH of key
  unwrapping (CKM_ECDH1_DERIVE); the key is non-extractable and nothing here could export it.
- Next: GM/T 0016 SKF (智能密码钥匙密码应用接口), the interface Chinese CAs' USB keys expose for SM2. It is one more
  adapter of the same two methods (``SKF_ECCSignData`` for signing, ``SKF_ExtECCDecrypt`` or the key's own
  ``SKF_ECCExportSessionKey`` family for unwrapping) and is not built yet.

A token that goes away (pulled out, its session closed) is :class:`KeyUnavailable`, a domain error the sealing path
turns into a refusal: the envelope is then never written (``ggzy.bidclient.sealing`` writes whole or not at all).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ggzy.bidclient import load_private_key
from ggzy.core.errors import DomainError
from ggzy.crypto import (
    CertificateMalformed,
    KeyAlgorithm,
    PrivateKey,
    PublicKey,
    load_certificate,
    load_public_key_der,
)
from ggzy.crypto.suites import unwrap_p256_with


class KeyUnavailable(DomainError):
    code = "assistant_key_unavailable"
    status = 503
    message_zh = "证书私钥不可用（USB 密钥是否已拔出？）：{reason}。未签名，也未生成任何文件。"
    message_en = (
        "The certificate key is unavailable (was the USB key removed?): {reason}. Nothing was signed or written."
    )


class KeyMismatch(DomainError):
    code = "assistant_key_mismatch"
    status = 500
    message_zh = "证书与私钥不匹配：{reason}"
    message_en = "The certificate does not belong to the key: {reason}"


class KeySource(ABC):
    """Holds one certificate and its private key; the private key is used here and never handed out."""

    def __init__(self, certificate_pem: str) -> None:
        try:
            self.certificate = load_certificate(certificate_pem)
        except CertificateMalformed as error:
            raise KeyMismatch(reason=error.detail_en) from error
        self.certificate_pem = certificate_pem

    @abstractmethod
    def private_key(self) -> PrivateKey:
        """The key as the bidder client takes it; a token's key signs and unwraps in the token."""

    @abstractmethod
    def describe(self) -> str:
        """Where the key is, for the consent page and the log (never the key itself)."""

    def close(self) -> None:  # noqa: B027 - a file holds nothing open
        """Let go of what the source holds open (a token's session)."""

    def check(self) -> None:
        """The key belongs to the certificate (a test signature verifies under the certificate's key)."""
        probe = b"ggzy-assistant key check"
        try:
            self.certificate.public_key.verify(probe, self.private_key().sign(probe))
        except DomainError as error:
            if isinstance(error, KeyUnavailable):
                raise
            raise KeyMismatch(reason=self.describe()) from error


class FileKeySource(KeySource):
    """A PEM key file (GM or INTL), read once at start."""

    def __init__(self, *, certificate_pem: str, key_path: Path) -> None:
        super().__init__(certificate_pem)
        self.key_path = key_path
        self._key = load_private_key(key_path)

    def private_key(self) -> PrivateKey:
        return self._key

    def describe(self) -> str:
        return f"PEM file {self.key_path}"


@dataclass(frozen=True)
class TokenSettings:
    module: str
    token_label: str
    pin: str
    key_label: str

    def describe(self) -> str:
        return f"PKCS#11 token {self.token_label!r}, key {self.key_label!r}"


def _unavailable(error: BaseException) -> KeyUnavailable:
    return KeyUnavailable(reason=f"{type(error).__name__} {error}".strip())


class Pkcs11KeySource(KeySource):
    """A P-256 key in a PKCS#11 token. Its public key must be the certificate's."""

    def __init__(self, *, certificate_pem: str, settings: TokenSettings) -> None:
        super().__init__(certificate_pem)
        if self.certificate.public_key.algorithm is not KeyAlgorithm.P256:
            raise KeyMismatch(reason="a PKCS#11 token holds INTL (P-256) keys here; GM keys come from a PEM file")
        self.settings = settings
        self._lock = threading.Lock()
        self._session: Any = None
        self._key: Any = None
        self._open()

    def _open(self) -> None:
        try:
            import pkcs11
            from pkcs11 import KeyType, ObjectClass
        except ImportError as error:  # pragma: no cover - the "hsm" extra
            raise KeyUnavailable(reason="python-pkcs11 is not installed: pip install 'ggzy[hsm]'") from error
        try:
            token = pkcs11.lib(self.settings.module).get_token(token_label=self.settings.token_label)
            try:
                self._session = token.open(user_pin=self.settings.pin)
            except pkcs11.UserAlreadyLoggedIn:
                self._session = token.open()
            self._key = self._session.get_key(
                object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC, label=self.settings.key_label
            )
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as error:
            raise _unavailable(error) from None

    def private_key(self) -> PrivateKey:
        return _TokenP256Key(self, self.certificate.public_key)

    def describe(self) -> str:
        return self.settings.describe()

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                with contextlib.suppress(Exception):  # an already-closed or removed token has nothing to close
                    self._session.close()
                self._session = None

    def _sign_digest(self, digest: bytes) -> bytes:
        import pkcs11
        from pkcs11 import Mechanism
        from pkcs11.util.ec import encode_ecdsa_signature

        with self._lock:
            if self._session is None:
                raise KeyUnavailable(reason="the token's session is closed")
            try:
                raw = self._key.sign(digest, mechanism=Mechanism.ECDSA)
            except (pkcs11.PKCS11Error, RuntimeError, OSError) as error:
                raise _unavailable(error) from None
        return bytes(encode_ecdsa_signature(bytes(raw)))  # the token's r‖s as the DER SEQUENCE the suite verifies

    def _exchange(self, point: bytes) -> bytes:
        import pkcs11
        from pkcs11 import KDF, Attribute, KeyType

        with self._lock:
            if self._session is None:
                raise KeyUnavailable(reason="the token's session is closed")
            try:
                derived = self._key.derive_key(
                    KeyType.GENERIC_SECRET,
                    256,
                    mechanism_param=(KDF.NULL, None, point),
                    template={Attribute.SENSITIVE: False, Attribute.EXTRACTABLE: True, Attribute.TOKEN: False},
                )
                return bytes(derived[Attribute.VALUE])
            except pkcs11.ArgumentsBad as error:  # not a point of the curve: the envelope's, not the token's fault
                raise ValueError("not a P-256 point") from error
            except (pkcs11.PKCS11Error, RuntimeError, OSError) as error:
                raise _unavailable(error) from None


class _TokenP256Key(PrivateKey):
    """A P-256 private key that stays in the token: it signs and unwraps there; it has no bytes to give."""

    algorithm = KeyAlgorithm.P256

    def __init__(self, source: Pkcs11KeySource, public: PublicKey) -> None:
        self._source = source
        self._public = load_public_key_der(public.to_der())

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def to_der(self) -> NoReturn:
        raise TypeError("the key is in the PKCS#11 token and cannot be exported")

    def sign(self, data: bytes) -> bytes:
        return self._source._sign_digest(hashlib.sha256(data).digest())

    def _unwrap(self, wrapped: bytes) -> bytes:
        return unwrap_p256_with(self._public, wrapped, self._source._exchange)
