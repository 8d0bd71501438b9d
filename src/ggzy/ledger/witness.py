"""A witness (C2SP tlog-witness role), run by another party: a supervision department, discipline inspection, a notary.

Each round it fetches the platform's newest checkpoint, checks the platform's signatures, and — if it has cosigned
before — checks a consistency proof from the last checkpoint it cosigned. Only then does it cosign (cosignature/v1)
and post the cosignature back. Its state (the last size and root it cosigned) lives in a small JSON file, so the
platform cannot show it a rewritten history later: a checkpoint that is smaller, or not consistent, is refused loudly.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ggzy.ledger.merkle import ProofError, verify_consistency
from ggzy.ledger.note import (
    CosignatureSigner,
    NoteError,
    NoteVerifier,
    add_signatures,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    signature_line,
)

Fetch = Callable[[str], bytes]
Post = Callable[[str, bytes], bytes]


class WitnessRefusal(Exception):
    """The platform showed something a witness must not sign: a fork, a rollback, a bad signature."""


@dataclass(frozen=True)
class WitnessResult:
    size: int
    root_hex: str
    cosigned: bool


def load_witness_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessRefusal(f"{path} is not an Ed25519 private key")
    return key


def create_witness_key(path: Path, name: str) -> str:
    """A new witness key in ``path`` (mode 0600); returns the verifier key to register with the platform."""
    key = Ed25519PrivateKey.generate()
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))  # fmt: skip
    return CosignatureSigner(name, key).verifier_key


def http_transport(base_url: str, *, timeout: float = 10.0) -> tuple[Fetch, Post]:
    """GET and POST against a platform's API (``base_url`` like http://127.0.0.1:8000/api/v1)."""
    base = base_url.rstrip("/")

    def fetch(path: str) -> bytes:
        with urllib.request.urlopen(base + path, timeout=timeout) as response:  # noqa: S310 - the operator's URL
            return response.read()

    def post(path: str, body: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310
            base + path, data=body, method="POST", headers={"content-type": "text/plain; charset=utf-8"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.read()

    return fetch, post


def witness_once(
    *,
    fetch: Fetch,
    post: Post,
    signer: CosignatureSigner,
    platform_keys: list[str],
    state_file: Path,
) -> WitnessResult:
    """One round: verify the newest checkpoint against what this witness signed before, cosign it, post it."""
    verifiers: list[NoteVerifier] = [parse_verifier_key(key) for key in platform_keys]
    text = fetch("/ledger/checkpoint").decode()
    try:
        note = open_note(text, verifiers)
    except NoteError as error:
        raise WitnessRefusal(f"the checkpoint's platform signature does not verify: {error}") from None
    if len(note.verifiers) != len(verifiers):
        raise WitnessRefusal("the checkpoint lacks a signature by one of the platform's keys")
    checkpoint = parse_checkpoint(note.body)
    state = json.loads(state_file.read_text()) if state_file.exists() else None
    if state is not None:
        last_size, last_root = state["size"], base64.b64decode(state["root"])
        if checkpoint.size < last_size:
            raise WitnessRefusal(f"rollback: the platform shows size {checkpoint.size} after {last_size} was cosigned")
        if checkpoint.size == last_size and checkpoint.root_hash != last_root:
            raise WitnessRefusal(f"fork: two different roots at size {last_size}")
        if checkpoint.size > last_size and last_size > 0:
            proof = json.loads(fetch(f"/ledger/proofs/consistency?first={last_size}&second={checkpoint.size}"))
            try:
                verify_consistency(
                    last_size,
                    checkpoint.size,
                    [base64.b64decode(h) for h in proof["proof"]],
                    last_root,
                    checkpoint.root_hash,
                )
            except ProofError as error:
                raise WitnessRefusal(
                    f"fork: size {checkpoint.size} is not consistent with size {last_size}, cosigned before ({error})"
                ) from None
    if state is not None and checkpoint.size == state["size"] and state.get("posted"):
        return WitnessResult(size=checkpoint.size, root_hex=checkpoint.root_hash.hex(), cosigned=False)
    cosigned = add_signatures(text, [signature_line(note.body, signer)])  # idempotent if it cosigned before
    # Remember before posting: once signed, this witness never signs a conflicting checkpoint, even if posting fails.
    state_file.write_text(
        json.dumps({"size": checkpoint.size, "root": base64.b64encode(checkpoint.root_hash).decode(), "posted": False})
    )
    post("/ledger/cosignatures", cosigned.encode())
    state_file.write_text(
        json.dumps({"size": checkpoint.size, "root": base64.b64encode(checkpoint.root_hash).decode(), "posted": True})
    )
    return WitnessResult(size=checkpoint.size, root_hex=checkpoint.root_hash.hex(), cosigned=True)
