"""A custodian's share release through the assistant is bound to its tender (decision 0033): the assistant reads the
tender and its published opening keys from the platform itself and decrypts nothing unless the bid deadline has
passed by its own clock, the tender's key lists this certificate's share under that index, and the encrypted share
the page gave is the one published (by SHA-256). A page could otherwise hand over another tender's share and read
it in the clear before that tender's deadline (招标投标法 第28条: bids are kept unopened until the opening)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.assistant import FileKeySource
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.crypto import IssuedCertificate, Suite
from ggzy.tendering.models import Custodian, OpeningKey, OpeningKeyShare, ShareRelease, Tender
from ggzy.tendering.opening import release_message
from tests.assistant.conftest import PORTAL, Running, start
from tests.factories import _custodian_material, make_published_tender
from tests.test_bidclient import AppTransport


def _people(suite: Suite) -> list[IssuedCertificate]:
    return _custodian_material()["people"][suite]  # type: ignore[index,no-any-return]


def _share(db: Session, tender: Tender, suite: Suite, fingerprint: str) -> OpeningKeyShare:
    found = db.scalar(
        select(OpeningKeyShare)
        .join(OpeningKey, OpeningKey.id == OpeningKeyShare.opening_key_id)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .where(OpeningKey.tender_id == tender.id, OpeningKey.suite == suite.value, Custodian.fingerprint == fingerprint)
    )
    assert found is not None
    return found


def _body(tender: Tender, share: OpeningKeyShare, suite: Suite = Suite.GM, **changes: Any) -> dict[str, Any]:
    body = {
        "tender_url": f"{PORTAL}/api/v1/tenders/{tender.id}",
        "suite": suite.value,
        "share_index": share.share_index,
        "encrypted_share": base64.b64encode(share.ciphertext).decode(),
    }
    return body | changes


@pytest.fixture
def tender(db: Session) -> Tender:
    tender, _ = make_published_tender(db)
    db.commit()
    return tender


def _custodian(tmp_path: Path, client: TestClient, moment: datetime, person: int = 0) -> Iterator[Running]:
    issued = _people(Suite.GM)[person]
    (tmp_path / "custodian-key.pem").write_text(issued.private_key_pem)
    keys = FileKeySource(certificate_pem=issued.certificate_pem, key_path=tmp_path / "custodian-key.pem")
    yield from start(tmp_path / "home", keys, AppTransport(client), clock=FixedClock(moment))


def _refused(running: Running, body: dict[str, Any], code: str) -> None:
    answer = running.ask("/v1/share-release", json=body)
    assert answer.status_code in (403, 409), answer.text
    assert answer.json()["code"] == code
    assert answer.json()["message_zh"]
    assert answer.json()["message_en"]
    assert "requested" not in [line["event"] for line in running.home.read_log()]  # the user is not even asked


def test_after_the_deadline_the_custodian_releases_its_own_share_and_the_platform_accepts_it(
    client: TestClient, db: Session, tender: Tender, tmp_path: Path
) -> None:
    after = tender.bid_deadline + timedelta(minutes=1)
    share = _share(db, tender, Suite.GM, _people(Suite.GM)[0].certificate.public_key.fingerprint)
    for running in _custodian(tmp_path, client, after):
        asked = running.ask("/v1/share-release", json=_body(tender, share))
        assert asked.status_code == 202, asked.text
        consent = running.client.get(f"/consent/{asked.json()['id']}").text
        assert tender.title in consent  # the tender as the platform publishes it, with its lot and deadline
        assert "标段 / lot" in consent
        deadline = tender.bid_deadline + timedelta(hours=8)
        assert f"{deadline:%Y-%m-%d %H:%M} 北京时间" in consent
        running.decide(asked.json()["id"], "approve")
        released = running.poll(asked.json()["id"]).json()
        assert released["status"] == "done", released
        value = base64.b64decode(released["result"]["share"])
        _people(Suite.GM)[0].certificate.public_key.verify(
            release_message(tender.id, "gm", share.share_index, value),
            base64.b64decode(released["result"]["signature"]),
        )
    client.app.state.clock.set(after)  # type: ignore[attr-defined]
    posted = client.post(
        f"/api/v1/tenders/{tender.id}/opening-keys/gm/releases",
        json={"share_index": share.share_index, "share": released["result"]["share"],
              "signature": released["result"]["signature"]},
    )  # fmt: skip
    assert posted.status_code == 201, posted.text


def test_a_share_is_not_decrypted_before_the_deadline_by_the_assistants_clock_招标投标法第28条(
    client: TestClient, db: Session, tender: Tender, tmp_path: Path
) -> None:
    before = tender.bid_deadline - timedelta(seconds=1)
    share = _share(db, tender, Suite.GM, _people(Suite.GM)[0].certificate.public_key.fingerprint)
    for running in _custodian(tmp_path, client, before):
        _refused(running, _body(tender, share), "assistant_share_not_due")


def test_another_tenders_share_presented_as_this_tenders_is_refused(
    client: TestClient, db: Session, tender: Tender, tmp_path: Path
) -> None:
    """The attack: tender B's deadline is weeks away; a page names tender A, whose deadline has passed, and hands over
    B's encrypted share under A's index — the digest published for A does not match, nothing is decrypted."""
    later, _ = make_published_tender(db)
    db.commit()
    mine = _people(Suite.GM)[0].certificate.public_key.fingerprint
    share_a, share_b = _share(db, tender, Suite.GM, mine), _share(db, later, Suite.GM, mine)
    for running in _custodian(tmp_path, client, tender.bid_deadline + timedelta(minutes=1)):
        forged = _body(tender, share_a, encrypted_share=base64.b64encode(share_b.ciphertext).decode())
        _refused(running, forged, "assistant_share_of_another_tender")


def test_a_share_the_tender_lists_for_another_custodian_or_suite_is_refused(
    client: TestClient, db: Session, tender: Tender, tmp_path: Path
) -> None:
    others = _share(db, tender, Suite.GM, _people(Suite.GM)[1].certificate.public_key.fingerprint)
    mine = _share(db, tender, Suite.GM, _people(Suite.GM)[0].certificate.public_key.fingerprint)
    for running in _custodian(tmp_path, client, tender.bid_deadline + timedelta(minutes=1)):
        _refused(running, _body(tender, others), "assistant_share_not_listed")
        _refused(running, _body(tender, mine, suite=Suite.INTL), "assistant_share_not_listed")


def test_a_tender_on_another_platform_is_refused(
    client: TestClient, db: Session, tender: Tender, tmp_path: Path
) -> None:
    share = _share(db, tender, Suite.GM, _people(Suite.GM)[0].certificate.public_key.fingerprint)
    for running in _custodian(tmp_path, client, tender.bid_deadline + timedelta(minutes=1)):
        elsewhere = _body(tender, share, tender_url=f"https://other.example/api/v1/tenders/{tender.id}")
        _refused(running, elsewhere, "assistant_tender_elsewhere")


def test_approved_work_checks_the_binding_again_and_the_platform_keeps_nothing_of_a_refusal(
    client: TestClient, db: Session, tender: Tender, tmp_path: Path
) -> None:
    """What the user approved is checked once more right before decrypting: a tender cancelled in between (its keys
    no longer published) ends the request failed, with no share in the answer."""
    share = _share(db, tender, Suite.GM, _people(Suite.GM)[0].certificate.public_key.fingerprint)
    events = db.scalar(select(func.count()).select_from(Event))
    for running in _custodian(tmp_path, client, tender.bid_deadline + timedelta(minutes=1)):
        asked = running.ask("/v1/share-release", json=_body(tender, share))
        assert asked.status_code == 202
        tender.published_at = None  # the tender no longer published: GET …/opening-keys answers 404
        db.commit()
        running.decide(asked.json()["id"], "approve")
        answer = running.poll(asked.json()["id"]).json()
        assert answer["status"] == "failed"
        assert "result" not in answer or not answer["result"]
    assert db.scalar(select(func.count()).select_from(ShareRelease)) == 0
    assert db.scalar(select(func.count()).select_from(Event)) == events
