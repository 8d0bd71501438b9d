"""A member's key as the browser holds it (ECDSA P-256), its SPKI as WebCrypto exports it, and signatures in the
IEEE P1363 form (r ‖ s) that WebCrypto produces — made with ``cryptography``, as ``expert_signing.js`` makes them."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


class BrowserKey:
    def __init__(self, curve: ec.EllipticCurve | None = None) -> None:
        self.private_key = ec.generate_private_key(curve or ec.SECP256R1())
        self.spki = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def public_key(self) -> str:
        """``crypto.subtle.exportKey("spki", publicKey)`` in base64."""
        return base64.b64encode(self.spki).decode("ascii")

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.spki).hexdigest()

    def sign_der(self, message: str) -> bytes:
        return self.private_key.sign(message.encode("utf-8"), ec.ECDSA(hashes.SHA256()))

    def sign(self, message: str) -> str:
        """``crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, ...)``: r ‖ s, 32 bytes each, in base64."""
        r, s = decode_dss_signature(self.sign_der(message))
        return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode("ascii")
