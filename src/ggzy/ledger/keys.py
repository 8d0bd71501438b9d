"""The platform's checkpoint signing keys, and where they are kept.

Whoever holds these keys can sign a checkpoint over any tree. Kept in the data directory (the default, for a
developer's machine) they are readable by anyone who can read the database file, so a file-level attacker can
rewrite history, rebuild the tree and re-sign it; only a witness notices (docs/ledger.md, "Threat model").
``GGZY_LEDGER_KEY_FILE`` puts them in one PEM file elsewhere — another volume, another user's home, a secrets mount —
created with ``ggzy ledger keygen --out FILE``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ggzy.crypto import PrivateKey, Suite, generate_signing_key, load_private_key_pem
from ggzy.ledger.note import Ed25519NoteSigner, NoteSigner, NoteVerifier, Sm2NoteSigner

if TYPE_CHECKING:
    from ggzy.config import Settings
    from ggzy.ledger.pkcs11 import TokenSettings

_PEM_BLOCK = re.compile(r"-----BEGIN PRIVATE KEY-----\n.*?\n-----END PRIVATE KEY-----\n?", re.DOTALL)

KEYS_IN_DATA_DIR_WARNING = (
    "the ledger's checkpoint signing keys are in the data directory ({location}): anyone who can read the "
    "database files can also rewrite history and re-sign it. Only a witness would notice. Keep the keys elsewhere "
    "(GGZY_LEDGER_KEY_FILE, created by `ggzy ledger keygen --out FILE`) and run a witness (GGZY_LEDGER_WITNESS_URLS)."
)


class LedgerKeyFileError(Exception):
    """The configured key file is missing or does not hold the two keys."""


@dataclass(frozen=True)
class LedgerKeys:
    """The platform's checkpoint keys: Ed25519 (the C2SP standard) and SM2 (the national standard), one origin.

    ``location`` says where they were read from; ``in_data_dir`` is true when that is inside the data directory.
    """

    origin: str
    ed25519_key: Ed25519PrivateKey
    sm2_key: PrivateKey
    location: str = "(memory)"
    in_data_dir: bool = False

    @property
    def ed25519(self) -> Ed25519NoteSigner:
        return Ed25519NoteSigner(self.origin, self.ed25519_key)

    @property
    def sm2(self) -> Sm2NoteSigner:
        return Sm2NoteSigner(f"{self.origin}/sm2", self.sm2_key)

    @property
    def signers(self) -> list[NoteSigner]:
        return [self.ed25519, self.sm2]

    @property
    def verifiers(self) -> list[NoteVerifier]:
        return [signer.verifier for signer in self.signers]

    @property
    def verifier_keys(self) -> list[str]:
        return [signer.verifier_key for signer in self.signers]

    @property
    def custody_warning(self) -> str | None:
        """What to tell the operator when the keys sit beside the data they sign."""
        return KEYS_IN_DATA_DIR_WARNING.format(location=self.location) if self.in_data_dir else None

    @classmethod
    def generate(cls, origin: str) -> LedgerKeys:
        return cls(origin=origin, ed25519_key=Ed25519PrivateKey.generate(), sm2_key=generate_signing_key(Suite.GM))

    def _ed25519_pem(self) -> str:
        return self.ed25519_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def to_pem(self) -> str:
        """Both keys as one PEM text: Ed25519 first, then SM2 (PKCS#8, unencrypted: protect the file instead)."""
        return (
            f"# ggzy ledger checkpoint keys of {self.origin}: Ed25519, then SM2\n"
            + self._ed25519_pem()
            + self.sm2_key.to_pem().rstrip("\n")
            + "\n"
        )

    @classmethod
    def from_pem(
        cls,
        text: str,
        origin: str,
        *,
        location: str = "(memory)",
        in_data_dir: bool = False,
        ed25519_key: Ed25519PrivateKey | None = None,
    ) -> LedgerKeys:
        """Read the keys from PEM text: Ed25519 then SM2, or the SM2 key alone when ``ed25519_key`` (a token's) is
        given."""
        blocks = _PEM_BLOCK.findall(text)
        if ed25519_key is not None:
            if len(blocks) != 1:
                raise LedgerKeyFileError(f"{location} must hold the SM2 key alone: the Ed25519 key is in the token")
            return cls(origin, ed25519_key, load_private_key_pem(blocks[0]), location, in_data_dir)
        if len(blocks) != 2:
            raise LedgerKeyFileError(f"{location} must hold two PKCS#8 private keys (Ed25519, then SM2)")
        ed_key = serialization.load_pem_private_key(blocks[0].encode(), password=None)
        if not isinstance(ed_key, Ed25519PrivateKey):
            raise LedgerKeyFileError(f"the first key in {location} is not an Ed25519 key")
        return cls(origin, ed_key, load_private_key_pem(blocks[1]), location, in_data_dir)

    @classmethod
    def create_file(cls, path: Path, origin: str, *, ed25519_key: Ed25519PrivateKey | None = None) -> LedgerKeys:
        """New keys written to ``path`` (which must not exist), readable by its owner only. With ``ed25519_key``
        (a token's) only the new SM2 key is written."""
        keys = cls.generate(origin)
        text = keys.to_pem() if ed25519_key is None else keys.sm2_key.to_pem()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        return cls.from_pem(text, origin, location=str(path), ed25519_key=ed25519_key)

    @classmethod
    def load_or_create(cls, directory: Path, origin: str) -> LedgerKeys:
        """Keys kept in ``directory`` as PKCS#8 PEM files (created with mode 0600 on first use)."""
        ed_path, sm2_path = directory / "ledger-ed25519.pem", directory / "ledger-sm2.pem"
        location = f"{ed_path}, {sm2_path}"
        if not ed_path.exists():
            keys = cls.generate(origin)
            directory.mkdir(parents=True, exist_ok=True)
            for path, data in ((sm2_path, keys.sm2_key.to_pem()), (ed_path, keys._ed25519_pem())):
                path.touch(mode=0o600)
                path.write_text(data)
        pem = ed_path.read_text() + sm2_path.read_text()
        return cls.from_pem(pem, origin, location=location, in_data_dir=True)


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


def token_settings(settings: Settings) -> TokenSettings | None:
    """The PKCS#11 token of the Ed25519 key, if one is configured."""
    from ggzy.ledger.pkcs11 import TokenSettings

    if not settings.ledger_pkcs11_module:
        return None
    return TokenSettings(
        module=settings.ledger_pkcs11_module,
        token_label=settings.ledger_pkcs11_token,
        pin=settings.ledger_pkcs11_pin,
        key_label=settings.ledger_pkcs11_key_label,
    )


def token_key(token: TokenSettings) -> Ed25519PrivateKey:
    """The token's Ed25519 key, opened."""
    from ggzy.ledger.pkcs11 import Pkcs11Ed25519Key, Pkcs11Error

    try:
        return Pkcs11Ed25519Key(token)
    except Pkcs11Error as error:
        raise LedgerKeyFileError(f"{error}; create the key with `ggzy ledger keygen --out FILE`") from None


def load_ledger_keys(settings: Settings) -> LedgerKeys:
    """The keys the settings name: ``ledger_key_file`` if set (it must exist), else the data directory's; the
    Ed25519 key from the PKCS#11 token if one is configured (the key file then holds the SM2 key alone)."""
    data_dir = Path(settings.data_dir)
    token = token_settings(settings)
    if settings.ledger_key_file is None:
        if token is not None:
            raise LedgerKeyFileError(
                "with a PKCS#11 token, set GGZY_LEDGER_KEY_FILE to the SM2 key's file (`ggzy ledger keygen --out FILE`)"
            )
        return LedgerKeys.load_or_create(data_dir, settings.ledger_origin)
    path = Path(settings.ledger_key_file)
    if not path.is_file():
        raise LedgerKeyFileError(
            f"GGZY_LEDGER_KEY_FILE names {path}, which does not exist; create it with `ggzy ledger keygen --out {path}`"
        )
    if token is None:
        return LedgerKeys.from_pem(
            path.read_text(), settings.ledger_origin, location=str(path), in_data_dir=_inside(path, data_dir)
        )
    # With the Ed25519 key in a token the files alone cannot sign a checkpoint: a verifier demands both signatures.
    return LedgerKeys.from_pem(
        path.read_text(),
        settings.ledger_origin,
        location=f"{token.describe()} and {path}",
        ed25519_key=token_key(token),
    )
