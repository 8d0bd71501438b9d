"""A SoftHSM2 token holding a bidder's P-256 key, made as tests/ledger/test_pkcs11_token.py makes its token (a fresh
token directory and SOFTHSM2_CONF): the key is imported once, non-extractable, as a CA puts it on a USB key.

Needs Debian's softhsm2 (``apt-get install softhsm2``; .ci/run installs it).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ggzy.assistant import TokenSettings

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN, PIN, KEY_LABEL = "ggzy-bidder", "24681357", "bidder"


def make_token(directory: Path, private_key_pem: str) -> TokenSettings:
    """A new token under ``directory`` with ``private_key_pem`` (P-256) in it; sets SOFTHSM2_CONF for this process."""
    import pkcs11
    from pkcs11 import Attribute
    from pkcs11.util.ec import decode_ec_private_key

    assert SOFTHSM_MODULE.exists(), "SoftHSM is not installed: apt-get install softhsm2 (.ci/run does)"
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    config = directory / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--so-pin", "12345678", "--pin", PIN],
        check=True,
        capture_output=True,
    )
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    forget_tokens()  # SoftHSM reads SOFTHSM2_CONF when initialised: once per process unless finalised
    token = pkcs11.lib(str(SOFTHSM_MODULE)).get_token(token_label=TOKEN)
    with token.open(user_pin=PIN, rw=True) as session:
        session.create_object(
            decode_ec_private_key(der)
            | {
                Attribute.TOKEN: True,
                Attribute.LABEL: KEY_LABEL,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
                Attribute.DERIVE: True,
            }
        )
    return TokenSettings(module=str(SOFTHSM_MODULE), token_label=TOKEN, pin=PIN, key_label=KEY_LABEL)


def forget_tokens() -> None:
    """Finalise the SoftHSM library in this process, so that the next use reads SOFTHSM2_CONF again (another test's
    token directory, tests/ledger/test_pkcs11_token.py's included)."""
    import pkcs11

    library = pkcs11.lib(str(SOFTHSM_MODULE))
    if library.initialized:
        library.finalize()
