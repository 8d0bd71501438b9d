"""The checkpoint's Ed25519 key in a PKCS#11 token (an HSM, or SoftHSM), through python-pkcs11.

The key is generated in the token and never leaves it: the token signs (CKM_EDDSA). Every checkpoint carries the
Ed25519 *and* the SM2 signature and a verifier demands both, so with the Ed25519 key in a token, someone who copies
the data directory — or the SM2 key file — still cannot sign a rewritten history. (No PKCS#11 token at hand does SM2:
that key stays in ``GGZY_LEDGER_KEY_FILE``.)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, NoReturn

from asn1crypto.core import OctetString
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_OID = "1.3.101.112"  # RFC 8410 id-Ed25519, the curve named in CKA_EC_PARAMS


class Pkcs11Error(Exception):
    """The token, its module or the key cannot be used."""


@dataclass(frozen=True)
class TokenSettings:
    module: str
    token_label: str
    pin: str
    key_label: str

    def describe(self) -> str:
        return f"PKCS#11 token {self.token_label!r} ({self.module}), key {self.key_label!r}"


def _open_session(settings: TokenSettings, *, rw: bool = False) -> Any:
    try:
        import pkcs11
    except ImportError as error:  # pragma: no cover - declared in the "hsm" extra and in dev
        raise Pkcs11Error("PKCS#11 needs python-pkcs11: pip install 'ggzy[hsm]'") from error
    try:
        token = pkcs11.lib(settings.module).get_token(token_label=settings.token_label)
        try:
            return token.open(user_pin=settings.pin, rw=rw)
        except pkcs11.UserAlreadyLoggedIn:  # a login is per process: another session of ours has logged in
            return token.open(rw=rw)
    except (pkcs11.PKCS11Error, RuntimeError, OSError) as error:
        raise Pkcs11Error(f"cannot open {settings.describe()}: {type(error).__name__} {error}") from None


def _public_key(point: bytes) -> Ed25519PublicKey:
    """CKA_EC_POINT of an Ed25519 key: the 32 bytes, DER-wrapped in an OCTET STRING by most tokens."""
    raw = point if len(point) == 32 else OctetString.load(point).native
    return Ed25519PublicKey.from_public_bytes(raw)


class Pkcs11Ed25519Key(Ed25519PrivateKey):
    """An Ed25519 private key that signs in a PKCS#11 token; usable wherever the platform takes its Ed25519 key."""

    def __init__(self, settings: TokenSettings) -> None:
        import pkcs11
        from pkcs11 import Attribute, KeyType, ObjectClass

        self.settings = settings
        self._session = _open_session(settings)
        try:
            self._key = self._session.get_key(
                object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC_EDWARDS, label=settings.key_label
            )
            public = self._session.get_key(
                object_class=ObjectClass.PUBLIC_KEY, key_type=KeyType.EC_EDWARDS, label=settings.key_label
            )
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as error:
            self._session.close()
            raise Pkcs11Error(f"{settings.describe()}: {type(error).__name__}") from None
        self._public = _public_key(bytes(public[Attribute.EC_POINT]))
        self._lock = threading.Lock()  # one session, used by the request threads and the publisher in turn

    def sign(self, data: bytes | bytearray | memoryview) -> bytes:
        from pkcs11 import Mechanism

        with self._lock:
            return bytes(self._key.sign(bytes(data), mechanism=Mechanism.EDDSA))

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def private_bytes(self, *_: Any, **__: Any) -> NoReturn:
        raise TypeError("the key is in the PKCS#11 token and cannot be exported")

    def private_bytes_raw(self) -> NoReturn:
        raise TypeError("the key is in the PKCS#11 token and cannot be exported")

    def __copy__(self) -> Pkcs11Ed25519Key:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Pkcs11Ed25519Key:
        return self

    def close(self) -> None:
        with self._lock:
            self._session.close()


def generate_token_key(settings: TokenSettings) -> Ed25519PublicKey:
    """A new Ed25519 key pair in the token, private key non-extractable; refuses if the label is taken."""
    import pkcs11
    from pkcs11 import Attribute, KeyType, ObjectClass
    from pkcs11.util.ec import encode_named_curve_parameters

    session = _open_session(settings, rw=True)
    try:
        if list(session.get_objects({Attribute.LABEL: settings.key_label, Attribute.CLASS: ObjectClass.PRIVATE_KEY})):
            raise Pkcs11Error(f"{settings.describe()} exists; keys are never overwritten")
        parameters = session.create_domain_parameters(
            KeyType.EC_EDWARDS, {Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID)}, local=True
        )
        public, _ = parameters.generate_keypair(
            store=True,
            label=settings.key_label,
            private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
        )
        return _public_key(bytes(public[Attribute.EC_POINT]))
    except pkcs11.PKCS11Error as error:
        raise Pkcs11Error(f"cannot generate the key in {settings.describe()}: {type(error).__name__}") from None
    finally:
        session.close()
