"""DESIGN §4.2: every event lands in the Merkle log in commit order, and anyone can check it over the API."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Role
from ggzy.entities import service
from ggzy.entities.schemas import EntityIn, RoleGrantIn
from ggzy.ledger.entries import commitment
from ggzy.ledger.models import LedgerEntry, LedgerHead
from ggzy.ledger.note import CosignatureSigner, open_note, parse_checkpoint, parse_verifier_key
from ggzy.ledger.service import catch_up
from ggzy.ledger.witness import WitnessRefusal, witness_once
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import credit_code, make_user, token_for
from tests.ledger import independent


def _register_entities(client: TestClient, headers: dict[str, str], count: int) -> None:
    for number in range(count):
        body = {"credit_code": credit_code(), "name": f"账本测试企业{number}"}
        assert client.post("/api/v1/entities", json=body, headers=headers).status_code == 201


def _checkpoint(client: TestClient) -> tuple[int, bytes, str]:
    response = client.get("/api/v1/ledger/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    keys = client.get("/api/v1/ledger/keys").json()["verifier_keys"]
    note = open_note(response.text, [parse_verifier_key(key) for key in keys])
    assert len(note.verifiers) == 2  # Ed25519 and SM2 both signed
    checkpoint = parse_checkpoint(note.body)
    return checkpoint.size, checkpoint.root_hash, response.text


def _staff_headers(db: Session) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)]))


def test_an_outside_verifier_checks_checkpoint_inclusion_and_consistency_over_http(
    client: TestClient, db: Session
) -> None:
    headers = _staff_headers(db)
    _register_entities(client, headers, 3)
    first_size, first_root, _ = _checkpoint(client)
    _register_entities(client, headers, 4)
    assert client.post("/api/v1/ledger/checkpoints", headers=headers).status_code == 200
    size, root, _ = _checkpoint(client)
    assert size >= first_size + 4

    entries = client.get("/api/v1/ledger/entries", params={"start": 0, "end": size}).json()["entries"]
    assert [entry["index"] for entry in entries] == list(range(size))
    for entry in entries:
        proof = client.get("/api/v1/ledger/proofs/inclusion", params={"index": entry["index"], "tree_size": size})
        body = proof.json()
        leaf = independent.leaf(base64.b64decode(entry["data"]))
        assert base64.b64decode(body["leaf_hash"]) == leaf
        assert independent.inclusion_ok(leaf, entry["index"], size, [base64.b64decode(p) for p in body["proof"]], root)
        # Any change to the entry's bytes breaks it.
        changed = independent.leaf(base64.b64decode(entry["data"]) + b" ")
        assert not independent.inclusion_ok(
            changed, entry["index"], size, [base64.b64decode(p) for p in body["proof"]], root
        )

    consistency = client.get("/api/v1/ledger/proofs/consistency", params={"first": first_size, "second": size})
    proof = [base64.b64decode(p) for p in consistency.json()["proof"]]
    assert independent.consistency_ok(first_size, size, proof, first_root, root)
    assert not independent.consistency_ok(first_size, size, proof, first_root[::-1], root)


def test_every_event_is_numbered_once_in_commit_order(client: TestClient, db: Session) -> None:
    headers = _staff_headers(db)
    _register_entities(client, headers, 5)
    numbered = db.execute(select(LedgerEntry.index, LedgerEntry.event_id).order_by(LedgerEntry.index)).all()
    committed = [event_id for (event_id,) in db.execute(select(Event.id).order_by(Event.id))]
    in_ledger = [event_id for _, event_id in numbered]
    assert set(in_ledger) <= set(committed)
    # The events of requests (committed one after another here) follow each other in the log.
    assert in_ledger == sorted(in_ledger)
    assert [index for index, _ in numbered] == list(range(len(numbered)))


def test_a_refused_request_numbers_nothing(client: TestClient, db: Session) -> None:
    headers = _staff_headers(db)
    before = db.get(LedgerHead, 1).next_index  # type: ignore[union-attr]
    bad = client.post("/api/v1/entities", json={"credit_code": "91530100MA6K1A001X", "name": "坏"}, headers=headers)
    assert bad.status_code == 422
    db.expire_all()
    assert db.get(LedgerHead, 1).next_index == before  # type: ignore[union-attr]


def test_undisclosed_events_publish_only_a_commitment(client: TestClient, db: Session) -> None:
    make_user(db, username="ledger-li", password="correct horse battery", roles=[RoleGrantIn(role=Role.EXPERT)])
    db.commit()
    login = client.post(
        "/api/v1/auth/password-login", json={"username": "ledger-li", "password": "correct horse battery"}
    )
    assert login.status_code == 200
    event = db.scalar(select(Event).where(Event.action == "auth.password_login").order_by(Event.id.desc()))
    assert event is not None
    receipt = client.get(f"/api/v1/ledger/events/{event.id}").json()
    assert "payload" not in receipt["entry"]
    assert "ledger-li" not in json.dumps(receipt, ensure_ascii=False)
    assert receipt["entry"]["commitment"] == commitment(event)
    _size, _root, _ = _checkpoint(client)
    proof = [base64.b64decode(p) for p in receipt["inclusion"]["proof"]]
    assert independent.inclusion_ok(
        base64.b64decode(receipt["leaf_hash"]), receipt["index"], receipt["inclusion"]["tree_size"], proof,
        parse_checkpoint(receipt["checkpoint"].split("\n\n")[0] + "\n").root_hash,
    )  # fmt: skip


def test_a_witness_cosigns_and_the_checkpoint_serves_the_cosignature(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    headers = _staff_headers(db)
    signer = CosignatureSigner("witness.supervision.test", Ed25519PrivateKey.generate())
    registered = client.post(
        "/api/v1/ledger/witnesses", json={"name": signer.name, "verifier_key": signer.verifier_key}, headers=headers
    )
    assert registered.status_code == 201, registered.text
    _register_entities(client, headers, 2)

    def fetch(path: str) -> bytes:
        response = client.get("/api/v1" + path)
        assert response.status_code == 200, response.text
        return response.content

    def post(path: str, body: bytes) -> bytes:
        response = client.post("/api/v1" + path, content=body, headers={"content-type": "text/plain"})
        assert response.status_code == 200, response.text
        return response.content

    state = tmp_path / "witness.json"
    first = witness_once(
        fetch=fetch, post=post, signer=signer, platform_keys=LEDGER_KEYS.verifier_keys, state_file=state
    )
    assert first.cosigned
    note = open_note(client.get("/api/v1/ledger/checkpoint").text, [signer.verifier])
    assert note.verifiers == (signer.verifier,)

    _register_entities(client, headers, 2)
    client.post("/api/v1/ledger/checkpoints", headers=headers)
    second = witness_once(
        fetch=fetch, post=post, signer=signer, platform_keys=LEDGER_KEYS.verifier_keys, state_file=state
    )
    assert second.cosigned
    assert second.size > first.size


def test_a_witness_refuses_a_forked_log(client: TestClient, db: Session, tmp_path: Path) -> None:
    signer = CosignatureSigner("witness.notary.test", Ed25519PrivateKey.generate())
    state = tmp_path / "witness.json"
    headers = _staff_headers(db)
    _register_entities(client, headers, 2)
    size, root, _ = _checkpoint(client)
    # The witness remembers another history at the same size: the platform's log is a fork of it.
    state.write_text(json.dumps({"size": size, "root": base64.b64encode(bytes(32)).decode(), "posted": True}))
    with pytest.raises(WitnessRefusal, match="fork"):
        witness_once(fetch=lambda p: client.get("/api/v1" + p).content, post=lambda p, b: b"",
                     signer=signer, platform_keys=LEDGER_KEYS.verifier_keys, state_file=state)  # fmt: skip
    # And one it saw larger: the platform rolled back.
    state.write_text(json.dumps({"size": size + 10, "root": base64.b64encode(root).decode(), "posted": True}))
    with pytest.raises(WitnessRefusal, match="rollback"):
        witness_once(fetch=lambda p: client.get("/api/v1" + p).content, post=lambda p, b: b"",
                     signer=signer, platform_keys=LEDGER_KEYS.verifier_keys, state_file=state)  # fmt: skip


def test_a_cosignature_from_an_unregistered_key_is_refused(client: TestClient, db: Session) -> None:
    _register_entities(client, _staff_headers(db), 1)
    stranger = CosignatureSigner("witness.stranger.test", Ed25519PrivateKey.generate())
    _, _, note = _checkpoint(client)
    from ggzy.ledger.note import signature_line

    body = note.split("\n\n")[0] + "\n"
    response = client.post(
        "/api/v1/ledger/cosignatures",
        content=note + signature_line(body, stranger),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "cosignature_rejected"


def test_concurrent_writers_number_events_without_gap_or_duplicate(fresh_engine: Engine) -> None:
    """Eight threads commit events at once; the log numbers each exactly once, 0..n-1, in commit order."""
    factory = session_factory(fresh_engine)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for number in range(10):
                with unit_of_work(factory) as db:
                    service.register_entity(
                        db,
                        SYSTEM,
                        data=EntityIn(credit_code=credit_code(), name=f"并发{worker}-{number}"),
                        now=TEST_NOW,
                    )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(fresh_engine) as db:
        indexes = list(db.scalars(select(LedgerEntry.index).order_by(LedgerEntry.index)))
        assert indexes == list(range(80))
        assert db.scalar(select(func.count(func.distinct(LedgerEntry.event_id)))) == 80
    size = catch_up(factory, LEDGER_KEYS, _Clock())
    assert size == 80


class _Clock:
    def now(self):  # type: ignore[no-untyped-def]
        return TEST_NOW + timedelta(minutes=1)


def test_a_write_returns_a_signed_promise_and_the_proof_follows(client: TestClient, db: Session) -> None:
    headers = _staff_headers(db)
    response = client.post(
        "/api/v1/entities", json={"credit_code": credit_code(), "name": "承诺测试企业"}, headers=headers
    )
    assert response.status_code == 201
    note_text = base64.b64decode(response.headers["Ggzy-Ledger-Promise"]).decode()
    note = open_note(note_text, [LEDGER_KEYS.ed25519.verifier])
    lines = note.body.splitlines()
    assert lines[:2] == [LEDGER_KEYS.origin, "promise/v1"]
    _, index, event_id, leaf = lines[3].split(" ")
    receipt = client.get(f"/api/v1/ledger/events/{event_id}").json()
    assert receipt["index"] == int(index)
    assert receipt["leaf_hash"] == leaf
    assert receipt["entry"]["action"] == "entity.registered"
    _size, root, _ = _checkpoint(client)
    proof = [base64.b64decode(p) for p in receipt["inclusion"]["proof"]]
    assert independent.inclusion_ok(base64.b64decode(leaf), int(index), receipt["inclusion"]["tree_size"], proof, root)


def test_reads_and_refused_writes_carry_no_promise(client: TestClient, db: Session) -> None:
    headers = _staff_headers(db)
    assert "Ggzy-Ledger-Promise" not in client.get("/api/v1/entities", headers=headers).headers
    refused = client.post("/api/v1/entities", json={"credit_code": "bad", "name": "坏"}, headers=headers)
    assert refused.status_code == 422
    assert "Ggzy-Ledger-Promise" not in refused.headers


def test_inclusion_in_a_one_entry_tree(db: Session) -> None:
    from ggzy.ledger.sequencer import integrate
    from ggzy.ledger.service import inclusion

    service.register_entity(db, SYSTEM, data=EntityIn(credit_code=credit_code(), name="独一企业"), now=TEST_NOW)
    db.commit()
    assert integrate(db) == 1  # each test starts from the empty ledger the migrations create
    proof = inclusion(db, index=0, size=1)
    assert proof["proof"] == []
    assert len(base64.b64decode(proof["leaf_hash"])) == 32
