"""The ledger's public API: the contract outside verifiers and witnesses use (C2SP formats, RFC 9162 proofs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.errors import NotFound
from ggzy.core.inputs import BIGINT_MAX, Ascii, Id, Name, SignedText
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public
from ggzy.ledger import service

router = APIRouter(prefix="/ledger", tags=["ledger"], route_class=PermissionedRoute)

LedgerManager = Annotated[Principal, Depends(require(Permission.LEDGER_MANAGE))]
NOTE = {"content": {"text/plain": {"schema": {"type": "string"}}}}


class WitnessIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(min_length=1, max_length=200, examples=["witness.supervision.yn.gov.cn"])
    verifier_key: Ascii = Field(description="C2SP cosignature/v1 verifier key: name+keyid+base64(0x04 ‖ key)")


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="The newest checkpoint: a C2SP signed note (Ed25519 and SM2) with every witness cosignature",
    responses={200: NOTE, **problem_responses(NotFound)},
)
def checkpoint(db: DB, _: Public) -> PlainTextResponse:
    return PlainTextResponse(service.checkpoint_note(db))


@router.get("/keys", summary="The platform's checkpoint verifier keys and the registered witnesses")
def keys(request: Request, db: DB, _: Public) -> dict[str, Any]:
    ledger_keys: service.LedgerKeys = request.app.state.ledger_keys
    return {
        "origin": ledger_keys.origin,
        "verifier_keys": ledger_keys.verifier_keys,
        "witnesses": [{"name": w.name, "verifier_key": w.verifier_key} for w in service.list_witnesses(db)],
    }


@router.get(
    "/entries",
    summary="Entries [start, end): RFC 8785 entry bytes, base64; leaf hash = SHA-256(0x00 ‖ bytes)",
    responses=problem_responses(service.ProofRangeInvalid),
)
def entries(
    db: DB,
    _: Public,
    start: Annotated[int, Query(ge=0, le=BIGINT_MAX)],
    end: Annotated[int, Query(ge=1, le=BIGINT_MAX)],
) -> dict[str, list[dict[str, Any]]]:
    return {"entries": service.entries(db, start=start, end=end)}


@router.get(
    "/proofs/inclusion",
    summary="RFC 9162 inclusion proof of entry `index` in the tree of `tree_size` entries",
    responses=problem_responses(service.ProofRangeInvalid),
)
def inclusion(
    db: DB,
    _: Public,
    index: Annotated[int, Query(ge=0, le=BIGINT_MAX)],
    tree_size: Annotated[int, Query(ge=1, le=BIGINT_MAX)],
) -> dict[str, Any]:
    return service.inclusion(db, index=index, size=tree_size)


@router.get(
    "/proofs/consistency",
    summary="RFC 9162 consistency proof between the trees of `first` and `second` entries",
    responses=problem_responses(service.ProofRangeInvalid),
)
def consistency(
    db: DB,
    _: Public,
    first: Annotated[int, Query(ge=1, le=BIGINT_MAX)],
    second: Annotated[int, Query(ge=1, le=BIGINT_MAX)],
) -> dict[str, Any]:
    return service.consistency(db, first=first, second=second)


@router.get(
    "/events/{event_id}",
    summary="Receipt of an event: its entry, index, and inclusion proof against the newest checkpoint",
    responses=problem_responses(NotFound),
)
def receipt(event_id: Id, db: DB, _: Public) -> dict[str, Any]:
    return service.event_receipt(db, event_id=event_id)


@router.post(
    "/cosignatures",
    summary="A witness posts our checkpoint with its cosignature (C2SP tlog-cosignature); the signature is the proof",
    responses=problem_responses(service.CosignatureRejected),
)
def cosign(
    request: Request,
    db: DB,
    _: Public,
    now: Now,
    note: Annotated[SignedText, Body(media_type="text/plain", description="the cosigned checkpoint note")],
) -> dict[str, list[str]]:
    return {"added": service.add_cosignature(db, request.app.state.ledger_keys, note_text=note, now=now)}


@router.post(
    "/witnesses",
    status_code=201,
    summary="Register a witness's cosignature key (platform administrator)",
    responses=problem_responses(service.CosignatureRejected, service.WitnessExists),
)
def add_witness(body: WitnessIn, db: DB, actor: LedgerManager, now: Now) -> dict[str, Any]:
    witness = service.register_witness(db, actor, name=body.name, verifier_key=body.verifier_key, now=now)
    return {"id": witness.id, "name": witness.name, "verifier_key": witness.verifier_key}


@router.post(
    "/checkpoints",
    summary="Integrate what is pending and publish a checkpoint now (platform administrator)",
)
def publish(request: Request, db: DB, _: LedgerManager, now: Now) -> dict[str, Any]:
    from ggzy.ledger.sequencer import integrate

    size = integrate(db)
    service.publish_checkpoint(db, request.app.state.ledger_keys, now=now)
    return {"tree_size": size}
