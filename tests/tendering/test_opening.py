"""Remote opening (不见面开标): bidders decrypt from their offices, custodians open what a bidder cannot, the record
is read out and signed; 招标投标法实施条例 第44条 and 电子招标投标办法 第三十一条."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.errors import NotFound
from ggzy.core.events import Event
from ggzy.crypto import DecryptionFailed, Suite, load_private_key_pem
from ggzy.crypto.envelope import read_envelope_header, unwrap_data_key
from ggzy.crypto.sharing import decrypt_share
from ggzy.ledger.note import open_note
from ggzy.tendering.models import DecryptedBid, OpeningKey, SealedBid, ShareRelease
from ggzy.tendering.opening import bid_file_chunks, release_message
from tests.conftest import LEDGER_KEYS
from tests.factories import _custodian_material, make_published_tender, token_for
from tests.tendering.test_bids import Bidder, _post, seal
from tests.tendering.test_opening_keys import _setup


class Scene:
    """A published tender with bidders of both suites who have submitted sealed bids."""

    def __init__(self, client: TestClient, db: Session, gm_ca: Path, intl_ca: Path, count: int) -> None:
        self.client, self.db = client, db
        self.tender, self.setup = make_published_tender(db)
        self.host = token_for(db, self.setup["agent_user"])
        self.bidders: list[Bidder] = []
        self.envelopes: list[bytes] = []
        for number in range(count):
            bidder = Bidder(db, gm_ca if number % 2 == 0 else intl_ca, self.tender.id)
            envelope = seal(
                db, self.tender, bidder, summary={"price_fen": 1_000_000 * (number + 1), "schedule_days": 300}
            )
            assert _post(client, self.tender.id, envelope, bidder.headers).status_code == 201
            self.bidders.append(bidder)
            self.envelopes.append(envelope)

    def url(self, path: str = "") -> str:
        return f"/api/v1/tenders/{self.tender.id}{path}"

    def decrypt(self, number: int, data_key: bytes | None = None):  # type: ignore[no-untyped-def]
        bidder, envelope = self.bidders[number], self.envelopes[number]
        if data_key is None:
            header = read_envelope_header(io.BytesIO(envelope))
            data_key = unwrap_data_key(header, load_private_key_pem(bidder.issued.private_key_pem), "bidder")
        return self.client.post(
            self.url("/decryptions"), json={"data_key": base64.b64encode(data_key).decode()}, headers=bidder.headers
        )

    def release(self, suite: Suite, count: int):  # type: ignore[no-untyped-def]
        key = self.db.scalar(
            select(OpeningKey).where(OpeningKey.tender_id == self.tender.id, OpeningKey.suite == suite.value)
        )
        assert key is not None
        _, shares = _setup(self.db, key)
        people = {p.certificate.public_key.fingerprint: p for p in _custodian_material()["people"][suite]}  # type: ignore[index]
        responses = []
        for share in list(shares.values())[:count]:
            private_key = load_private_key_pem(people[share.custodian_fingerprint].private_key_pem)
            released = decrypt_share(share, private_key)
            signature = private_key.sign(release_message(self.tender.id, suite.value, released.index, released.value))
            responses.append(
                self.client.post(
                    self.url(f"/opening-keys/{suite.value}/releases"),
                    json={
                        "share_index": released.index,
                        "share": base64.b64encode(released.value).decode(),
                        "signature": base64.b64encode(signature).decode(),
                    },
                )
            )
        return responses


@pytest.fixture
def scene(client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path) -> Scene:
    return Scene(client, db, gm_ca, intl_ca, 5)


def test_a_whole_remote_opening_with_one_bid_opened_by_custodians(
    scene: Scene, client: TestClient, db: Session, clock: FixedClock
) -> None:
    clock.set(scene.tender.bid_deadline)
    assert client.get(scene.url("/opening")).json()["stage"] == "closed"
    started = client.post(scene.url("/opening/start"), headers=scene.host)
    assert started.status_code == 200, started.text
    assert started.json()["stage"] == "opening"
    for number in range(4):  # the fifth bidder does not decrypt
        response = scene.decrypt(number)
        assert response.status_code == 200, response.text
        assert response.json()["summary"]["price_fen"] == 1_000_000 * (number + 1)
    live = client.get(scene.url("/opening")).json()
    assert live["bids"] == 5
    assert len(live["decrypted"]) == 4

    clock.advance(timedelta(minutes=31))  # the decryption window has ended
    assert scene.decrypt(4).json()["code"] == "decryption_window"
    suite = scene.bidders[4].issued.certificate.suite
    assert all(r.status_code == 201 for r in scene.release(suite, 2))
    fifth = db.scalar(select(SealedBid).where(SealedBid.entity_id == scene.bidders[4].user.entity_id))
    assert fifth is not None
    opened = client.post(scene.url(f"/bids/{fifth.public_id}/custodian-open"), headers=scene.host)
    assert opened.status_code == 200, opened.text
    assert opened.json()["method"] == "custodians"

    finished = client.post(scene.url("/opening/finish"), json={}, headers=scene.host)
    assert finished.status_code == 200, finished.text
    record = finished.json()["record"]
    assert record["outcome"] == "opened"
    assert [line["summary"]["price_fen"] for line in record["bids"]] == [1_000_000 * n for n in range(1, 6)]
    assert record["bids"][4]["method"] == "custodians"
    note = base64.b64decode(finished.json()["record_note"]).decode()
    assert len(open_note(note, LEDGER_KEYS.verifiers).verifiers) == 2  # signed with Ed25519 and SM2
    assert client.get(scene.url()).json()["stage"] == "opened"


def test_related_bidders_are_read_out_in_the_opening_record_实施条例第34条(
    scene: Scene, client: TestClient, db: Session, clock: FixedClock
) -> None:
    """The same person in charge (bidders 0 and 1) and a parent controlling a subsidiary (bidders 2 and 3) are 第34条
    第2款 groups; bidder 4 is controlled by the owner (第1款); all read out from the register at the opening."""
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities import relations
    from ggzy.entities.models import Entity
    from ggzy.entities.schemas import EntityRelationIn

    entities = [db.get(Entity, bidder.user.entity_id) for bidder in scene.bidders]
    names = [entity.name for entity in entities]  # type: ignore[union-attr]
    for entity in entities[:2]:
        entity.legal_representative = "王同一"  # type: ignore[union-attr]
    for upper, lower in ((entities[2].id, entities[3].id), (scene.setup["owner"].id, entities[4].id)):  # type: ignore[union-attr]
        data = EntityRelationIn(kind="shareholding", upper_entity_id=upper, lower_entity_id=lower, share_percent=60)
        relations.record_relation(db, SYSTEM, data=data, now=scene.tender.bid_deadline)
    db.commit()
    clock.set(scene.tender.bid_deadline)
    client.post(scene.url("/opening/start"), headers=scene.host)
    for number in range(5):
        scene.decrypt(number)
    clock.advance(timedelta(minutes=31))
    record = client.post(scene.url("/opening/finish"), json={}, headers=scene.host).json()["record"]
    assert record["related_bidders"] == [
        {
            "bidders": names[:2],
            "grounds": [{"ground": "same_person_in_charge", "entities": names[:2], "path": []}],
        },
        {
            "bidders": names[2:4],
            "grounds": [{"ground": "shareholding_control", "entities": names[2:4], "path": names[2:4]}],
        },
    ]
    owner = scene.setup["owner"].name
    assert record["interested_bidders"] == [
        {"ground": "owner_controls_bidder", "entities": [names[4], owner], "path": [owner, names[4]]}
    ]
    assert record["related_bidder_warnings"] == []


def test_a_relation_recorded_after_the_deadline_is_read_out_unconfirmed_not_void_实施条例第34条(
    scene: Scene, client: TestClient, db: Session, clock: FixedClock
) -> None:
    """The opening record reads the register as it stood at the bid deadline: control that staff record during the
    opening is read out as unconfirmed, for the committee, not as a group whose bids are void."""
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities import relations
    from ggzy.entities.models import Entity
    from ggzy.entities.schemas import EntityRelationIn

    entities = [db.get(Entity, bidder.user.entity_id) for bidder in scene.bidders]
    clock.set(scene.tender.bid_deadline)
    client.post(scene.url("/opening/start"), headers=scene.host)
    late = scene.tender.bid_deadline + timedelta(minutes=5)
    data = EntityRelationIn(
        kind="shareholding",
        upper_entity_id=entities[0].id,
        lower_entity_id=entities[1].id,
        share_percent=60,  # type: ignore[union-attr]
    )
    relations.record_relation(db, SYSTEM, data=data, now=late)
    db.commit()
    for number in range(5):
        scene.decrypt(number)
    clock.advance(timedelta(minutes=31))
    record = client.post(scene.url("/opening/finish"), json={}, headers=scene.host).json()["record"]
    assert record["related_bidders"] == []
    unconfirmed = record["related_bidders_unconfirmed"]
    assert [finding["entities"] for finding in unconfirmed] == [[entities[0].name, entities[1].name]]  # type: ignore[union-attr]
    assert unconfirmed[0]["source"] == "recorded_after_deadline"


def test_the_opening_cannot_start_before_the_deadline(scene: Scene, client: TestClient, clock: FixedClock) -> None:
    clock.set(scene.tender.bid_deadline - timedelta(seconds=1))
    response = client.post(scene.url("/opening/start"), headers=scene.host)
    assert response.status_code == 409
    assert response.json()["code"] == "opening_not_due"


def test_a_custodian_share_released_before_the_deadline_is_refused(
    scene: Scene, db: Session, clock: FixedClock
) -> None:
    clock.set(scene.tender.bid_deadline - timedelta(minutes=1))
    responses = scene.release(Suite.GM, 1)
    assert responses[0].status_code == 409
    assert responses[0].json()["code"] == "share_release_before_deadline"
    assert db.scalar(select(func.count()).select_from(ShareRelease)) == 0


def test_a_data_key_that_does_not_open_the_envelope_is_refused_and_the_bidder_may_retry(
    scene: Scene, db: Session, clock: FixedClock
) -> None:
    clock.set(scene.tender.bid_deadline)
    scene.client.post(scene.url("/opening/start"), headers=scene.host)
    wrong = scene.decrypt(0, data_key=bytes(16))
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "decryption_failed"
    assert db.scalar(select(func.count()).select_from(DecryptedBid)) == 0
    assert scene.decrypt(0).status_code == 200


def _store_files(scene: Scene) -> set[str]:
    root = scene.client.app.state.blob_store.root  # type: ignore[attr-defined]
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_opening_stores_no_plaintext_and_the_files_read_back_from_the_ciphertext(
    scene: Scene, db: Session, clock: FixedClock
) -> None:
    clock.set(scene.tender.bid_deadline)
    scene.client.post(scene.url("/opening/start"), headers=scene.host)
    before = _store_files(scene)
    assert scene.decrypt(0).status_code == 200
    assert _store_files(scene) == before  # nothing written: neither a plaintext blob nor a staged leftover
    decrypted = db.scalars(select(DecryptedBid)).one()
    files = json.loads(decrypted.files)
    assert [item["name"] for item in files] == ["商务标.pdf", "技术标.pdf"]
    store = scene.client.app.state.blob_store  # type: ignore[attr-defined]
    content = b"".join(bid_file_chunks(db, store, decrypted, "技术标.pdf"))
    assert content == b"%PDF technical " * 500
    assert hashlib.sha256(content).hexdigest() == files[1]["sha256"]
    # The recorded key is the verified one: it is what the bidder's certificate key unwraps.
    header = read_envelope_header(io.BytesIO(scene.envelopes[0]))
    bidder_key = load_private_key_pem(scene.bidders[0].issued.private_key_pem)
    assert decrypted.data_key == unwrap_data_key(header, bidder_key, "bidder")
    # It stays with the opened bid: no event (nor the public ledger built from them) carries it.
    forms = (base64.b64encode(decrypted.data_key).decode(), decrypted.data_key.hex())
    assert not any(form in payload for payload in db.scalars(select(Event.payload)) for form in forms)
    with pytest.raises(NotFound):
        bid_file_chunks(db, store, decrypted, "../bid.sig")


def test_a_bid_file_whose_ciphertext_was_replaced_after_opening_does_not_read(
    scene: Scene, db: Session, clock: FixedClock
) -> None:
    clock.set(scene.tender.bid_deadline)
    scene.client.post(scene.url("/opening/start"), headers=scene.host)
    assert scene.decrypt(0).status_code == 200
    decrypted = db.scalars(select(DecryptedBid)).one()
    bid = db.get(SealedBid, decrypted.bid_id)
    assert bid is not None
    store = scene.client.app.state.blob_store  # type: ignore[attr-defined]
    path = store.path_of(bid.ciphertext_sha256)
    tampered = bytearray(path.read_bytes())
    tampered[100] ^= 1
    path.chmod(0o644)
    path.write_bytes(bytes(tampered))
    with pytest.raises(DecryptionFailed):
        b"".join(bid_file_chunks(db, store, decrypted, "商务标.pdf"))


def test_electronic_tendering_measures_art_31_undecrypted_bids_are_revoked_or_withdrawn(
    scene: Scene, client: TestClient, db: Session, clock: FixedClock
) -> None:
    clock.set(scene.tender.bid_deadline)
    client.post(scene.url("/opening/start"), headers=scene.host)
    for number in range(3):
        assert scene.decrypt(number).status_code == 200
    clock.advance(timedelta(minutes=31))
    platform_fault = db.scalar(
        select(SealedBid.public_id).where(SealedBid.entity_id == scene.bidders[4].user.entity_id)
    )
    finished = client.post(
        scene.url("/opening/finish"), json={"not_bidders_fault": [platform_fault]}, headers=scene.host
    )
    record = finished.json()["record"]
    assert sorted(item["status"] for item in record["unopened"]) == ["revoked", "withdrawn_unopened"]
    assert record["outcome"] == "opened"  # three bids opened: the opening goes on (第三十一条)


def test_regulations_art_44_fewer_than_3_bids_are_not_opened_and_the_lot_is_re_tendered(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path, clock: FixedClock
) -> None:
    scene = Scene(client, db, gm_ca, intl_ca, 2)
    clock.set(scene.tender.bid_deadline)
    started = client.post(scene.url("/opening/start"), headers=scene.host)
    assert started.json()["stage"] == "failed"
    body = {
        "lot_id": scene.tender.lot_id,
        "title": "重新招标",
        "notice_text": "第二次招标公告",
        "documents_until": (clock.now() + timedelta(days=10)).isoformat(),
        "bid_deadline": (clock.now() + timedelta(days=25)).isoformat(),
    }
    again = client.post("/api/v1/tenders", json=body, headers=scene.host)
    assert again.status_code == 201, again.text
    assert again.json()["round"] == 2


def test_objections_at_the_opening_are_answered_and_recorded(
    scene: Scene, client: TestClient, clock: FixedClock
) -> None:
    clock.set(scene.tender.bid_deadline)
    client.post(scene.url("/opening/start"), headers=scene.host)
    raised = client.post(
        scene.url("/opening/objections"), json={"text": "第二家报价唱错"}, headers=scene.bidders[0].headers
    )
    assert raised.status_code == 201, raised.text
    answered = client.post(
        f"/api/v1/opening-objections/{raised.json()['objection_id']}/answer", json={"text": "已复核，唱标无误"},
        headers=scene.host,
    )  # fmt: skip
    assert answered.status_code == 200
    objections = client.get(scene.url("/opening")).json()["objections"]
    assert objections[0]["answer"] == "已复核，唱标无误"


def test_before_the_deadline_the_opening_page_reveals_nothing(scene: Scene, client: TestClient) -> None:
    view = client.get(scene.url("/opening")).json()
    assert set(view) == {"tender_id", "stage", "bid_deadline"}
    assert json.dumps(view).count("bid") == 1  # only "bid_deadline"


def test_the_opening_is_not_closed_while_an_objection_raised_there_is_unanswered(
    scene: Scene, client: TestClient, db: Session, clock: FixedClock
) -> None:
    """招标投标法实施条例 第44条: 投标人对开标有异议的，应当在开标现场提出，招标人应当当场作出答复，并制作记录."""
    clock.set(scene.tender.bid_deadline)
    client.post(scene.url("/opening/start"), headers=scene.host)
    for number in range(3):
        assert scene.decrypt(number).status_code == 200
    raised = client.post(
        scene.url("/opening/objections"), json={"text": "解密时限过短"}, headers=scene.bidders[3].headers
    )
    assert raised.status_code == 201, raised.text
    clock.advance(timedelta(minutes=31))
    refused = client.post(scene.url("/opening/finish"), json={}, headers=scene.host)
    assert (refused.status_code, refused.json()["code"]) == (409, "opening_objections_unanswered")
    assert "第44条" in refused.json()["message_zh"]
    assert db.scalar(select(func.count()).select_from(Event).where(Event.action == "opening.recorded")) == 0
    answered = client.post(
        f"/api/v1/opening-objections/{raised.json()['objection_id']}/answer", json={"text": "时限依招标文件"},
        headers=scene.host,
    )  # fmt: skip
    assert answered.status_code == 200
    finished = client.post(scene.url("/opening/finish"), json={}, headers=scene.host)
    assert finished.status_code == 200, finished.text


def test_regulations_art_44_counts_bidders_at_the_deadline_so_a_bid_that_does_not_decrypt_does_not_fail_the_lot(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path, clock: FixedClock
) -> None:
    """Three bidders at the deadline: the bids are opened (实施条例 第44条). One never decrypts: it is treated as
    revoked (电子招标投标办法 第三十一条) and the two others are opened all the same; the lot does not fail."""
    scene = Scene(client, db, gm_ca, intl_ca, 3)
    clock.set(scene.tender.bid_deadline)
    assert client.post(scene.url("/opening/start"), headers=scene.host).json()["stage"] == "opening"
    for number in range(2):
        assert scene.decrypt(number).status_code == 200
    clock.advance(timedelta(minutes=31))
    finished = client.post(scene.url("/opening/finish"), json={"not_bidders_fault": []}, headers=scene.host)
    assert finished.status_code == 200, finished.text
    record = finished.json()["record"]
    assert len(record["bids"]) == 2
    assert [item["status"] for item in record["unopened"]] == ["revoked"]
    assert record["outcome"] == "opened"
    db.refresh(scene.tender)
    assert scene.tender.stage == "opened"


def test_a_stricter_local_rule_fails_the_lot_when_fewer_than_3_bids_decrypt_only_where_the_procedure_says_so(
    client: TestClient,
    db: Session,
    trusted: dict[str, int],
    gm_ca: Path,
    intl_ca: Path,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A procedure entry may carry a stricter rule than 第44条 with its source (tendering/procedures.py): then two
    bids decrypted of three fail the lot."""
    from dataclasses import replace

    from ggzy.tendering.procedures import OPEN, PROCEDURES, OpeningRule

    strict = replace(
        OPEN,
        key="open_strict",
        opening=OpeningRule(minimum_decrypted=3, minimum_decrypted_source="某市不见面开标规则（示例）"),
    )
    monkeypatch.setitem(PROCEDURES, strict.key, strict)
    scene = Scene(client, db, gm_ca, intl_ca, 3)
    scene.tender.procedure = strict.key  # the tender names its procedure entry
    db.flush()
    clock.set(scene.tender.bid_deadline)
    assert client.post(scene.url("/opening/start"), headers=scene.host).json()["stage"] == "opening"
    for number in range(2):
        assert scene.decrypt(number).status_code == 200
    clock.advance(timedelta(minutes=31))
    finished = client.post(scene.url("/opening/finish"), json={"not_bidders_fault": []}, headers=scene.host)
    assert finished.status_code == 200, finished.text
    assert finished.json()["record"]["outcome"] == "failed"
    db.refresh(scene.tender)
    assert scene.tender.stage == "failed"
