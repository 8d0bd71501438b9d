"""A witness that the platform calls (C2SP tlog-witness v1, ``POST /add-checkpoint``), with its own key and storage.

``ggzy witness serve --dir var/witness --port 8001 --platform-key …`` runs it as its own process. The platform's
background publisher sends it each new checkpoint with a consistency proof from the newest checkpoint the witness
holds; the witness checks the platform's signatures and the proof (RFC 9162 §2.1.4), keeps the new checkpoint, and
only then answers with its cosignature/v1 line. It refuses, and says so, a checkpoint that is not consistent with
what it holds — a rewritten history — and keeps the refused request as evidence.

What the witness holds is what ``ggzy ledger verify`` compares the ledger with: ``GET /checkpoint`` serves the newest
cosigned checkpoint, ``GET /info`` the witness's verifier key. The storage is a directory:

    witness.pem          the witness's Ed25519 key (mode 0600)
    witness.json         its name (the key ID depends on it)
    checkpoints/<log>    the newest checkpoint of each log, with the platform's signatures and the cosignature
    refused.jsonl        every refused request that carried a valid platform signature (evidence of a fork)

Request (tlog-witness): ``old <size>\\n``, the consistency proof's hashes one base64 line each, an empty line, then
the signed checkpoint. Answers: 200 with the cosignature line(s); 400 malformed; 403 not signed by every key of
the log; 404 another log; 409 ``old`` is not the size the witness holds (body: that size, ``text/x.tlog.size``) or,
at the same size, another root; 422 the consistency proof does not verify.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from ggzy.core.clock import Clock, SystemClock
from ggzy.ledger.merkle import ProofError, verify_consistency
from ggzy.ledger.note import (
    Checkpoint,
    CosignatureSigner,
    NoteError,
    NoteVerifier,
    add_signatures,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    signature_line,
)
from ggzy.ledger.witness import create_witness_key, load_witness_key

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024  # a checkpoint, its signatures and a proof of at most 64 hashes fit many times over
SIZE_MEDIA_TYPE = "text/x.tlog.size"
REASON_HEADER = "ggzy-witness-reason"  # why a 409 was answered, beside the size the specification puts in the body
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


class WitnessRequestError(Exception):
    """A refused add-checkpoint request: the HTTP status, the reason, and for 409 the size the witness holds."""

    def __init__(self, status: int, reason: str, *, size: int | None = None, fork: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.size, self.fork = status, reason, size, fork


@dataclass(frozen=True)
class HeldCheckpoint:
    checkpoint: Checkpoint
    note: str


def parse_add_checkpoint(body: str) -> tuple[int, list[bytes], str]:
    """``old <size>``, the proof hashes, an empty line, the checkpoint note (tlog-witness §add-checkpoint)."""
    head, separator, note = body.partition("\n\n")
    lines = head.split("\n")
    if not separator or not _OLD_LINE.fullmatch(lines[0]):
        raise WitnessRequestError(400, "the request is `old <size>`, proof lines, an empty line, the checkpoint")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except binascii.Error:
        raise WitnessRequestError(400, "a consistency proof line is not base64") from None
    if any(len(value) != 32 for value in proof) or len(proof) > 64:
        raise WitnessRequestError(400, "a consistency proof is at most 64 hashes of 32 bytes")
    return int(lines[0][4:]), proof, note


def format_add_checkpoint(old: int, proof: Sequence[bytes], note: str) -> str:
    return f"old {old}\n" + "".join(base64.b64encode(value).decode() + "\n" for value in proof) + "\n" + note


class WitnessStore:
    """The witness's own key and storage; ``add_checkpoint`` is the one operation that changes it."""

    def __init__(
        self, directory: Path, *, platform_keys: Sequence[str], name: str | None = None, clock: Clock | None = None
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.platform: list[NoteVerifier] = [parse_verifier_key(key) for key in platform_keys]
        if not self.platform:
            raise ValueError("a witness needs the platform's verifier keys (--platform-key)")
        self.origin = self.platform[0].name  # the Ed25519 key is named after the log's origin
        identity_file, key_file = directory / "witness.json", directory / "witness.pem"
        if identity_file.exists():
            stored = json.loads(identity_file.read_text())["name"]
            if name is not None and name != stored:
                raise ValueError(f"{directory} is the storage of witness {stored}, not {name}")
            name = stored
        else:
            name = name or "witness.local"
            create_witness_key(key_file, name)
            identity_file.write_text(json.dumps({"name": name}))
        self.signer = CosignatureSigner(name, load_witness_key(key_file), clock=clock or SystemClock())
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.signer.name

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key

    def _path(self, origin: str) -> Path:
        return self.directory / "checkpoints" / re.sub(r"[^A-Za-z0-9._-]", "_", origin)

    def held(self) -> HeldCheckpoint | None:
        """The newest checkpoint this witness cosigned, with its signatures, or None before the first."""
        path = self._path(self.origin)
        if not path.exists():
            return None
        note = path.read_text()
        return HeldCheckpoint(parse_checkpoint(open_note(note, [self.signer.verifier]).body), note)

    def add_checkpoint(self, body: str) -> str:
        """Check and keep a new checkpoint; returns the cosignature line. Raises WitnessRequestError."""
        old, proof, note_text = parse_add_checkpoint(body)
        try:
            note = open_note(note_text, self.platform)
        except NoteError as error:
            raise WitnessRequestError(403, f"the checkpoint is not signed by the log's keys: {error}") from None
        if len(note.verifiers) != len(self.platform):
            raise WitnessRequestError(403, "the checkpoint lacks a signature by one of the log's keys")
        try:
            checkpoint = parse_checkpoint(note.body)
        except NoteError as error:
            raise WitnessRequestError(400, f"not a checkpoint: {error}") from None
        if checkpoint.origin != self.origin:
            raise WitnessRequestError(404, f"this witness does not witness the log {checkpoint.origin}")
        with self._lock:  # check and keep as one step: two requests never both extend the same checkpoint
            held = self.held()
            held_size = held.checkpoint.size if held else 0
            if old != held_size:
                raise WitnessRequestError(409, f"the witness holds size {held_size}, not {old}", size=held_size)
            if checkpoint.size < old:
                raise WitnessRequestError(400, f"size {checkpoint.size} is smaller than the old size {old}")
            if held is not None:
                self._check_extends(held.checkpoint, checkpoint, proof, note_text)
            elif proof:
                raise WitnessRequestError(400, "a first checkpoint comes with no consistency proof")
            line = signature_line(note.body, self.signer)
            self._keep(add_signatures(note_text, [line]))
        logger.info("witness %s cosigned %s at size %d", self.name, checkpoint.origin, checkpoint.size)
        return line

    def _check_extends(self, held: Checkpoint, new: Checkpoint, proof: list[bytes], note_text: str) -> None:
        if new.size == held.size:
            if new.root_hash != held.root_hash:
                self._refuse(note_text, f"fork: another root at size {held.size}, which this witness cosigned")
            return
        try:
            verify_consistency(held.size, new.size, proof, held.root_hash, new.root_hash)
        except ProofError as error:
            self._refuse(
                note_text,
                f"size {new.size} is not consistent with size {held.size}, which this witness cosigned: the history "
                f"was rewritten ({error})",
                status=422,
            )

    def _refuse(self, note_text: str, reason: str, *, status: int = 409) -> None:
        """Keep the platform-signed evidence of the fork, say so loudly, and refuse."""
        with (self.directory / "refused.jsonl").open("a") as evidence:
            evidence.write(json.dumps({"reason": reason, "checkpoint": note_text}, ensure_ascii=False) + "\n")
        logger.error("WITNESS REFUSES %s: %s", self.origin, reason)
        held = self.held()
        raise WitnessRequestError(status, reason, size=held.checkpoint.size if held else 0, fork=True)

    def _keep(self, note: str) -> None:
        """Write atomically and durably before the cosignature leaves (a crash never forgets what was signed)."""
        path = self._path(self.origin)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
        with os.fdopen(descriptor, "w") as file:
            file.write(note)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)


async def _read_limited(request: Request) -> str:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES):
        raise WitnessRequestError(413, f"a request is at most {MAX_REQUEST_BYTES} bytes")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            raise WitnessRequestError(413, f"a request is at most {MAX_REQUEST_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessRequestError(400, "the request is not UTF-8") from None


def create_witness_app(store: WitnessStore) -> FastAPI:
    """The witness's HTTP interface (its own process; nothing of the platform's app is mounted)."""
    app = FastAPI(title=f"ggzy witness {store.name}", docs_url=None, redoc_url=None)
    app.state.store = store

    @app.post("/add-checkpoint", response_class=PlainTextResponse)
    async def add_checkpoint(request: Request) -> Response:
        try:
            body = await _read_limited(request)
            line = await _run_sync(store.add_checkpoint, body)
        except WitnessRequestError as refusal:
            if refusal.status == 409 and refusal.size is not None:
                headers = {REASON_HEADER: _header_safe(refusal.reason)} if refusal.fork else {}
                return Response(f"{refusal.size}\n", status_code=409, media_type=SIZE_MEDIA_TYPE, headers=headers)
            return PlainTextResponse(refusal.reason + "\n", status_code=refusal.status)
        return PlainTextResponse(line)

    @app.get("/checkpoint", response_class=PlainTextResponse)
    def checkpoint() -> Response:
        held = store.held()
        if held is None:
            return PlainTextResponse("this witness has cosigned no checkpoint yet\n", status_code=404)
        return PlainTextResponse(held.note)

    @app.get("/info")
    def info() -> dict[str, Any]:
        held = store.held()
        return {
            "name": store.name,
            "verifier_key": store.verifier_key,
            "origin": store.origin,
            "platform_keys": [verifier.verifier_key for verifier in store.platform],
            "size": held.checkpoint.size if held else 0,
        }

    return app


async def _run_sync(function: Any, *arguments: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *arguments)


def _header_safe(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii").replace("\n", " ")
