"""A witness that the platform calls (C2SP tlog-witness v1, ``POST /add-checkpoint``), with its own key and storage.

``ggzy witness serve --dir witness-data --port 8001 --platform-key …`` runs it as its own process. The platform's
background publisher sends it each new checkpoint with a consistency proof from the newest checkpoint the witness
holds; the witness checks the platform's signatures and the proof (RFC 9162 §2.1.4), keeps the new checkpoint, and
only then answers with its cosignature/v1 line. It refuses, and says so, a checkpoint that is not consistent with
what it holds — a rewritten history — and keeps the refused request as evidence.

What the witness holds is what ``ggzy ledger verify`` compares the ledger with: ``GET /checkpoint`` serves the newest
cosigned checkpoint, ``GET /info`` the witness's verifier key. The storage is a directory:

    witness.pem          the witness's Ed25519 key (mode 0600)
    witness.json         its record: its name (the key ID depends on it), the platform keys pinned at its first
                         start, a second copy of the newest checkpoint of each log, and its operator's resets
    checkpoints/<log>    the newest checkpoint of each log, with the platform's signatures and the cosignature
    refused.jsonl        every refused request that carried a valid platform signature (evidence of a fork)

Request (tlog-witness): ``old <size>\\n``, the consistency proof's hashes one base64 line each, an empty line, then
the signed checkpoint. Answers: 200 with the cosignature line(s); 400 malformed; 403 not signed by every key of
the log; 404 another log; 409 ``old`` is not the size the witness holds (body: that size, ``text/x.tlog.size``) or,
at the same size, another root; 422 the consistency proof does not verify; 503 the witness's storage lost its
record (it cosigns nothing until its operator re-initialises it).

The witness never takes a "first" checkpoint twice: once initialised (witness.json exists) it keeps what it held in
two fsync'd copies, and refuses to start without its record, or with platform keys other than those it pinned,
unless its operator says ``--reset``.
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


class WitnessStorageError(ValueError):
    """The witness's storage does not match what it recorded (keys replaced, state lost): the operator must look."""


def _write_durably(path: Path, text: str) -> None:
    """Write atomically and durably (temporary file, fsync, rename, fsync of the directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class WitnessStore:
    """The witness's own key and storage; ``add_checkpoint`` is the one operation that changes it.

    ``witness.json`` is the witness's record: its name, the platform's keys pinned at its first start, and a second
    copy of the newest checkpoint it cosigned (the first is ``checkpoints/<log>``). Losing one copy loses nothing;
    losing the record, or being shown other platform keys, stops the witness until its operator starts it with
    ``reset=True`` (``ggzy witness serve --reset``), which keeps its key and name, forgets what it held, pins the
    keys given, and records the reset (served at ``GET /info``).
    """

    def __init__(
        self,
        directory: Path,
        *,
        platform_keys: Sequence[str],
        name: str | None = None,
        clock: Clock | None = None,
        reset: bool = False,
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.platform: list[NoteVerifier] = [parse_verifier_key(key) for key in platform_keys]
        if not self.platform:
            raise ValueError("a witness needs the platform's verifier keys (--platform-key)")
        self.origin = self.platform[0].name  # the Ed25519 key is named after the log's origin
        self._clock: Clock = clock or SystemClock()
        key_file = directory / "witness.pem"
        record = self._read_record()
        if record is not None and name is not None and name != record["name"]:
            raise ValueError(f"{directory} is the storage of witness {record['name']}, not {name}")
        if record is None and key_file.exists() and not reset:
            raise self._storage_error(
                "its record witness.json is gone while its key is still there: what it held and the platform keys it "
                "pinned are lost"
            )
        if record is None and not key_file.exists():
            name = name or "witness.local"
            create_witness_key(key_file, name)
            record = {"name": name, "platform_keys": self._given_keys(), "checkpoints": {}, "resets": []}
            _write_durably(self._record_path, json.dumps(record, indent=1))
            logger.info("witness %s initialised in %s; pinned the platform keys %s", name, directory,
                        " ".join(record["platform_keys"]))  # fmt: skip
        elif reset:
            record = self._reset(record, name)
        else:
            assert record is not None
            record = self._upgrade(record)
            if sorted(record["platform_keys"]) != sorted(self._given_keys()):
                raise self._storage_error(
                    f"it pinned the platform keys {' '.join(record['platform_keys'])} at its first start but is now "
                    f"given {' '.join(self._given_keys())}: the platform's keys were replaced"
                )
        self.signer = CosignatureSigner(record["name"], load_witness_key(key_file), clock=self._clock)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.signer.name

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key

    @property
    def _record_path(self) -> Path:
        return self.directory / "witness.json"

    def _given_keys(self) -> list[str]:
        return [verifier.verifier_key for verifier in self.platform]

    def _read_record(self) -> dict[str, Any] | None:
        if not self._record_path.exists():
            return None
        return dict(json.loads(self._record_path.read_text()))

    def _storage_error(self, what: str) -> WitnessStorageError:
        message = (
            f"WITNESS STORAGE REFUSED ({self.directory}): {what}. The witness will not cosign until its operator "
            "checks why and re-initialises it explicitly with `ggzy witness serve --reset` (it keeps its key, "
            "forgets what it held, and records the reset)"
        )
        logger.error("%s", message)
        return WitnessStorageError(message)

    def _upgrade(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record written before keys were pinned (only the name): pin the keys given now, copy the checkpoint."""
        if "platform_keys" in record:
            return record
        record = {"name": record["name"], "platform_keys": self._given_keys(), "checkpoints": {}, "resets": []}
        held_file = self._path(self.origin)
        if held_file.exists():
            record["checkpoints"][self.origin] = held_file.read_text()
        _write_durably(self._record_path, json.dumps(record, indent=1))
        logger.warning("witness %s: an older record; pinned the platform keys given now", record["name"])
        return record

    def _reset(self, record: dict[str, Any] | None, name: str | None) -> dict[str, Any]:
        """The operator re-initialises the witness: keep the key and name, forget what it held, pin the keys given."""
        key_file = self.directory / "witness.pem"
        if not key_file.exists():
            create_witness_key(key_file, name or "witness.local")
        if record is None:  # the name is in the key's cosignatures only; the operator gives it or gets the default
            record = {"name": name or "witness.local", "checkpoints": {}, "resets": []}
        forgotten = {origin: int(note.split("\n")[1]) for origin, note in record.get("checkpoints", {}).items()}
        held_file = self._path(self.origin)
        if held_file.exists():
            retired = held_file.with_name(f"{held_file.name}.before-reset-{int(self._clock.now().timestamp())}")
            os.replace(held_file, retired)
        reset = {
            "at": self._clock.now().isoformat(),
            "forgot_sizes": forgotten,
            "platform_keys_before": record.get("platform_keys"),
            "platform_keys": self._given_keys(),
        }
        record = {
            "name": record["name"],
            "platform_keys": self._given_keys(),
            "checkpoints": {},
            "resets": [*record.get("resets", []), reset],
        }
        _write_durably(self._record_path, json.dumps(record, indent=1))
        logger.warning("WITNESS RESET by its operator (%s): forgot %s; pinned the platform keys %s", self.directory,
                       forgotten or "nothing", " ".join(self._given_keys()))  # fmt: skip
        return record

    def _path(self, origin: str) -> Path:
        return self.directory / "checkpoints" / re.sub(r"[^A-Za-z0-9._-]", "_", origin)

    @property
    def resets(self) -> list[dict[str, Any]]:
        record = self._read_record()
        return list(record.get("resets", [])) if record else []

    def held(self) -> HeldCheckpoint | None:
        """The newest checkpoint this witness cosigned, with its signatures, or None before the first.

        Both copies are read and checked against the witness's own key; the larger one counts. A copy that is gone
        or older than the other is logged (someone removed or rolled back part of the storage). With the record
        gone, the witness holds nothing it can vouch for: WitnessStorageError.
        """
        record = self._read_record()
        if record is None:
            raise self._storage_error("its record witness.json is gone")
        copies: list[HeldCheckpoint] = []
        path = self._path(self.origin)
        for where, note in (("checkpoints file", path.read_text() if path.exists() else None),
                            ("record", record.get("checkpoints", {}).get(self.origin))):  # fmt: skip
            if note is None:
                continue
            try:
                copies.append(HeldCheckpoint(parse_checkpoint(open_note(note, [self.signer.verifier]).body), note))
            except NoteError as error:
                raise self._storage_error(f"its {where} does not carry its own cosignature: {error}") from None
        if not copies:
            return None
        newest = max(copies, key=lambda copy: copy.checkpoint.size)
        if any(copy.checkpoint.size == newest.checkpoint.size and copy.checkpoint != newest.checkpoint
               for copy in copies):  # fmt: skip
            raise self._storage_error(f"its two copies hold different roots at size {newest.checkpoint.size}")
        if len(copies) < 2 or copies[0].checkpoint != copies[1].checkpoint:
            logger.error(
                "WITNESS STORAGE: one copy of the checkpoint it holds is gone or older (%s); it keeps the newest, "
                "size %d, and will rewrite both at the next checkpoint", self.directory, newest.checkpoint.size,
            )  # fmt: skip
        return newest

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
            try:
                held = self.held()
            except WitnessStorageError as error:
                raise WitnessRequestError(503, str(error)) from None
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
        """Write both copies durably before the cosignature leaves (a crash never forgets what was signed)."""
        _write_durably(self._path(self.origin), note)
        record = self._read_record()
        if record is None:
            raise WitnessRequestError(503, str(self._storage_error("its record witness.json is gone")))
        record.setdefault("checkpoints", {})[self.origin] = note
        _write_durably(self._record_path, json.dumps(record, indent=1))


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
        try:
            held = store.held()
        except WitnessStorageError as error:
            return PlainTextResponse(f"{error}\n", status_code=503)
        if held is None:
            return PlainTextResponse("this witness has cosigned no checkpoint yet\n", status_code=404)
        return PlainTextResponse(held.note)

    @app.get("/info", response_model=None)
    def info() -> dict[str, Any] | Response:
        try:
            held = store.held()
        except WitnessStorageError as error:
            return PlainTextResponse(f"{error}\n", status_code=503)
        return {
            "name": store.name,
            "verifier_key": store.verifier_key,
            "origin": store.origin,
            "platform_keys": [verifier.verifier_key for verifier in store.platform],
            "size": held.checkpoint.size if held else 0,
            "resets": store.resets,
        }

    return app


async def _run_sync(function: Any, *arguments: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *arguments)


def _header_safe(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii").replace("\n", " ")
