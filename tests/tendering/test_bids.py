"""Sealed bids (DESIGN §6): submitted, replaced and withdrawn before the deadline by the server's clock; stored
sealed; opened only by the bidder's key or k custodians' shares."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import canonical_json
from ggzy.crypto import DecryptionFailed, IssuedCertificate, Suite, load_private_key_pem, load_public_key_pem
from ggzy.crypto.envelope import open_bid, read_envelope_header, seal_bid, unwrap_data_key
from ggzy.crypto.sharing import decrypt_share, recover_opening_key
from ggzy.entities.models import Entity, User
from ggzy.tendering.bids import lot_code
from ggzy.tendering.models import OpeningKey, SealedBid
from ggzy.tendering.service import project_of, register_for_tender
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import (
    bidder_user,
    event_count,
    issue,
    make_published_tender,
    principal,
    token_for,
)
from tests.tendering.test_opening_keys import _setup

SUMMARY = {"price_fen": 1_823_456_700, "schedule_days": 540, "quality": "合格"}


class Bidder:
    def __init__(
        self, db: Session, ca_dir: Path, tender_id: int, *, user: User | None = None, now: datetime = TEST_NOW
    ) -> None:
        from ggzy.core.permissions import Permission

        self.user = user or bidder_user(db)
        entity = db.get(Entity, self.user.entity_id)
        assert entity is not None
        self.issued: IssuedCertificate = issue(ca_dir, name=entity.name, code=entity.credit_code)
        register_for_tender(db, principal(db, self.user, Permission.TENDER_REGISTER), tender_id=tender_id, now=now)
        self.headers = token_for(db, self.user)


def seal(
    db: Session, tender, bidder: Bidder, *, summary: dict | None = None, issued: IssuedCertificate | None = None
) -> bytes:  # type: ignore[no-untyped-def]
    issued = issued or bidder.issued
    suite = issued.certificate.suite
    project, lot = project_of(db, tender)
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == suite.value))
    assert key is not None
    out = io.BytesIO()
    seal_bid(
        lot_code=lot_code(project, lot),
        suite=suite,
        summary=summary or SUMMARY,
        files={"商务标.pdf": b"%PDF commercial " * 500, "技术标.pdf": b"%PDF technical " * 500},
        bidder_certificate_pem=issued.certificate_pem,
        bidder_private_key=load_private_key_pem(issued.private_key_pem),
        opening_public_key=load_public_key_pem(key.public_key_pem),
        out=out,
        now=TEST_NOW,
    )
    return out.getvalue()


def _post(client: TestClient, tender_id: int, envelope: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/tenders/{tender_id}/bids",
        files={"envelope": ("bid.ggzy", envelope)},
        headers=headers | {"Ggzy-Device": '{"mac": "00:11:22:33:44:55", "disk": "S3YJNX0K"}'},
    )


def _counts(db: Session, app) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    files = [p for p in app.state.blob_store.root.rglob("*") if p.is_file()]
    return db.scalar(select(func.count()).select_from(SealedBid)) or 0, event_count(db), len(files)


@pytest.fixture
def tender(db: Session, trusted: dict[str, int]):  # type: ignore[no-untyped-def]
    tender, _ = make_published_tender(db)
    return tender


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_a_bidder_submits_a_sealed_bid_and_gets_a_signed_receipt_and_a_ledger_promise(
    client: TestClient,
    db: Session,
    app,
    tender,
    gm_ca: Path,
    intl_ca: Path,
    suite: str,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca if suite == "gm" else intl_ca, tender.id)
    envelope = seal(db, tender, bidder)
    response = _post(client, tender.id, envelope, bidder.headers)
    assert response.status_code == 201, response.text
    receipt = response.json()
    signed = {k: v for k, v in receipt.items() if k != "signature"}  # exactly as received
    public_key = LEDGER_KEYS.ed25519_key.public_key()
    assert isinstance(public_key, Ed25519PublicKey)
    public_key.verify(base64.b64decode(receipt["signature"]), canonical_json(signed).encode())
    assert "Ggzy-Ledger-Promise" in response.headers
    stored = read_envelope_header(io.BytesIO(envelope))
    assert receipt["ciphertext_sha256"] == stored.ciphertext_sha256
    assert app.state.blob_store.exists(stored.ciphertext_sha256)
    mine = client.get(f"/api/v1/tenders/{tender.id}/bids/mine", headers=bidder.headers).json()
    assert [bid["status"] for bid in mine] == ["active"]


def test_the_last_envelope_counts_and_a_bid_can_be_withdrawn_before_the_deadline(
    client: TestClient,
    db: Session,
    tender,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    assert _post(client, tender.id, seal(db, tender, bidder), bidder.headers).status_code == 201
    assert (
        _post(client, tender.id, seal(db, tender, bidder, summary={"price_fen": 1}), bidder.headers).status_code == 201
    )
    mine = client.get(f"/api/v1/tenders/{tender.id}/bids/mine", headers=bidder.headers).json()
    assert [bid["status"] for bid in mine] == ["active", "replaced"]
    withdrawn = client.post(f"/api/v1/tenders/{tender.id}/bids/withdraw", headers=bidder.headers)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    again = client.post(f"/api/v1/tenders/{tender.id}/bids/withdraw", headers=bidder.headers)
    assert again.json()["code"] == "bid_not_found"


def _refused(client, db, app, tender_id, envelope, headers, *, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    before = _counts(db, app)
    response = _post(client, tender_id, envelope, headers)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert _counts(db, app) == before, "a refused bid leaves no row, event or file"


def test_a_bid_one_second_after_the_deadline_by_the_servers_clock_is_refused(
    client: TestClient,
    db: Session,
    app,
    tender,
    gm_ca: Path,
    clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    envelope = seal(db, tender, bidder)
    clock.set(tender.bid_deadline + timedelta(seconds=1))
    _refused(client, db, app, tender.id, envelope, bidder.headers, status=409, code="tender_stage_wrong")


def test_a_tampered_envelope_is_refused(client: TestClient, db: Session, app, tender, gm_ca: Path) -> None:  # type: ignore[no-untyped-def]
    bidder = Bidder(db, gm_ca, tender.id)
    envelope = bytearray(seal(db, tender, bidder))
    envelope[-10] ^= 1  # one ciphertext bit
    _refused(client, db, app, tender.id, bytes(envelope), bidder.headers, status=422, code="blob_digest_mismatch")
    header_tampered = bytearray(seal(db, tender, bidder))
    position = header_tampered.index(b'"schedule_days"') if b'"schedule_days"' in header_tampered else 200
    header_tampered[position] ^= 1
    response = _post(client, tender.id, bytes(header_tampered), bidder.headers)
    assert response.status_code in (401, 422)
    assert response.json()["code"] in ("signature_invalid", "envelope_invalid")


def test_an_envelope_signed_by_another_entitys_certificate_is_refused(
    client: TestClient,
    db: Session,
    app,
    tender,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    bidder, other = Bidder(db, gm_ca, tender.id), Bidder(db, gm_ca, tender.id)
    envelope = seal(db, tender, bidder, issued=other.issued)
    _refused(client, db, app, tender.id, envelope, bidder.headers, status=403, code="envelope_not_yours")


def test_an_unregistered_bidder_cannot_bid(client: TestClient, db: Session, app, tender, gm_ca: Path) -> None:  # type: ignore[no-untyped-def]
    bidder = Bidder(db, gm_ca, tender.id)
    stranger = bidder_user(db)
    _refused(
        client,
        db,
        app,
        tender.id,
        seal(db, tender, bidder),
        token_for(db, stranger),
        status=403,
        code="bid_not_registered",
    )


def test_nothing_stored_opens_a_bid_without_the_bidders_key_or_k_custodian_shares(
    client: TestClient,
    db: Session,
    app,
    tender,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    envelope = seal(db, tender, bidder)
    assert _post(client, tender.id, envelope, bidder.headers).status_code == 201
    bid = db.scalars(select(SealedBid)).one()
    header = read_envelope_header(io.BytesIO(envelope))

    def ciphertext() -> io.BytesIO:
        return io.BytesIO(app.state.blob_store.open(bid.ciphertext_sha256).read())

    # A guessed key, or anything the database holds, does not open it.
    with pytest.raises(DecryptionFailed):
        open_bid(header, ciphertext(), bytes(16))
    # The bidder's own key does (remote decryption at opening).
    data_key = unwrap_data_key(header, load_private_key_pem(bidder.issued.private_key_pem), "bidder")
    assert open_bid(header, ciphertext(), data_key).summary == SUMMARY
    # And k = 2 custodians' shares do; one does not.
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == Suite.GM.value))
    setup, shares = _setup(db, key)  # type: ignore[arg-type]
    from tests.factories import _custodian_material

    people = {p.certificate.public_key.fingerprint: p for p in _custodian_material()["people"][Suite.GM]}  # type: ignore[index]
    released = [
        decrypt_share(share, load_private_key_pem(people[share.custodian_fingerprint].private_key_pem))
        for share in list(shares.values())[:2]
    ]
    opening_key = recover_opening_key(setup, released)
    assert open_bid(header, ciphertext(), unwrap_data_key(header, opening_key, "opening")).summary == SUMMARY


def test_before_opening_no_one_but_the_bidder_sees_its_bid(
    client: TestClient,
    db: Session,
    tender,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    assert _post(client, tender.id, seal(db, tender, bidder), bidder.headers).status_code == 201
    other = Bidder(db, gm_ca, tender.id)
    assert client.get(f"/api/v1/tenders/{tender.id}/bids/mine", headers=other.headers).json() == []
    event = db.scalar(select(SealedBid))
    assert event is not None
    from ggzy.core.events import Event

    submitted = db.scalar(select(Event).where(Event.action == "bid.submitted"))
    assert submitted is not None
    entry = client.get(f"/api/v1/ledger/events/{submitted.id}").json()["entry"]
    assert set(entry) == {"commitment", "event_id", "time", "v"}


def test_a_submission_stages_its_envelope_before_its_first_sql_and_costs_eight_statements(
    client: TestClient,
    db: Session,
    connection,
    app,
    tender,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    """The deadline rush (bench/submit.py): on SQLite the write lock comes with the first statement, so the upload is
    staged before it; then one read checks everything, and the inserts and the ledger numbering follow."""
    from sqlalchemy import event

    bidder = Bidder(db, gm_ca, tender.id)
    envelope = seal(db, tender, bidder)
    app.state.after_commit = None  # as with the background beat: no integration in the request
    happened: list[str] = []
    store = app.state.blob_store
    original_stage = store.stage

    def stage(*args, **kwargs):  # type: ignore[no-untyped-def]
        happened.append("stage")
        return original_stage(*args, **kwargs)

    def statement(_conn, _cursor, sql: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            happened.append(sql.split()[0].upper())

    store.stage = stage
    event.listen(connection, "before_cursor_execute", statement)
    try:
        assert _post(client, tender.id, envelope, bidder.headers).status_code == 201
    finally:
        event.remove(connection, "before_cursor_execute", statement)
    # authentication; the upload; the checks and the trust store; the credit screen's one indexed read (decision
    # 0040); bid, event; ledger head and entry; on PostgreSQL the commit that numbered an entry also wakes the other
    # processes' live halls (ggzy.portal.live_feed)
    wake = ["NOTIFY"] if connection.dialect.name == "postgresql" else []
    expected = ["SELECT", "stage", "SELECT", "SELECT", "SELECT", "INSERT", "INSERT", "UPDATE", "INSERT", *wake]
    assert happened == expected
