"""DESIGN §6: at publication each tender gets an opening key per suite whose private key nobody holds whole —
only k of the n custodians, from different entities, can recover it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.crypto import (
    ShareRecoveryFailed,
    Suite,
    load_private_key_pem,
    load_public_key_pem,
)
from ggzy.crypto.sharing import EncryptedShare, OpeningKeySetup, decrypt_share, recover_opening_key
from ggzy.tendering.models import Custodian, OpeningKey, OpeningKeyShare
from tests.factories import make_published_tender


def _setup(db: Session, key: OpeningKey) -> tuple[OpeningKeySetup, dict[int, EncryptedShare]]:
    shares = {}
    for share, custodian in db.execute(
        select(OpeningKeyShare, Custodian)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .where(OpeningKeyShare.opening_key_id == key.id)
    ):
        shares[share.share_index] = EncryptedShare(
            custodian_fingerprint=custodian.fingerprint, index=share.share_index, ciphertext=share.ciphertext
        )
    setup = OpeningKeySetup(
        suite=Suite(key.suite),
        public_key=load_public_key_pem(key.public_key_pem),
        threshold=key.threshold,
        wrapped_private_key=key.wrapped_private_key,
        shares=tuple(shares.values()),
    )
    return setup, shares


def test_a_published_tender_offers_an_opening_key_per_suite(client: TestClient, db: Session) -> None:
    tender, _ = make_published_tender(db)
    keys = client.get(f"/api/v1/tenders/{tender.id}/opening-keys").json()
    assert {key["suite"] for key in keys} == {"gm", "intl"}
    assert all(key["threshold"] == 2 for key in keys)


@pytest.mark.parametrize("suite", [Suite.GM, Suite.INTL])
def test_two_of_three_custodians_recover_the_opening_key_and_one_cannot(db: Session, suite: Suite) -> None:
    tender, setup_data = make_published_tender(db)
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == suite.value))
    assert key is not None
    setup, shares = _setup(db, key)
    people = {p.certificate.public_key.fingerprint: p for p in setup_data["custodians"]["people"][suite]}
    released = [
        decrypt_share(share, load_private_key_pem(people[share.custodian_fingerprint].private_key_pem))
        for share in shares.values()
    ]
    assert len(released) == 3
    recovered = recover_opening_key(setup, released[:2])
    assert recovered.public_key.fingerprint == setup.public_key.fingerprint
    with pytest.raises(ShareRecoveryFailed):
        recover_opening_key(setup, released[:1])


def test_no_whole_private_key_is_stored(db: Session) -> None:
    """What the database holds of an opening key opens nothing by itself: the private key is wrapped, and the
    key-encryption key exists only as shares encrypted to the custodians."""
    tender, _ = make_published_tender(db)
    for key in db.scalars(select(OpeningKey).where(OpeningKey.tender_id == tender.id)):
        assert b"PRIVATE KEY" not in key.wrapped_private_key
        assert "PRIVATE" not in key.public_key_pem
        setup, _ = _setup(db, key)
        with pytest.raises(ShareRecoveryFailed):
            recover_opening_key(setup, [])


def test_publishing_without_enough_custodians_is_refused(client: TestClient, db: Session) -> None:
    from datetime import timedelta

    from ggzy.core.permissions import Permission
    from ggzy.tendering import service
    from ggzy.tendering.keys import NoCustodians
    from ggzy.tendering.procedures import Method
    from tests.conftest import TEST_NOW
    from tests.factories import make_accepted_project, principal

    setup = make_accepted_project(db)
    for custodian in db.scalars(select(Custodian)):
        custodian.active = False
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    tender = service.create_tender(
        db, agent, lot_id=setup["lots"][0].id, procedure_key="open", method=Method.SCORING, title="无保管人",
        notice_text="公告", documents_until=TEST_NOW + timedelta(days=10), bid_deadline=TEST_NOW + timedelta(days=25),
        invited_entity_ids=[], now=TEST_NOW,
    )  # fmt: skip
    service.attach_documents(db, agent, tender_id=tender.id, sha256="c" * 64, name="f", size=1, now=TEST_NOW)
    with pytest.raises(NoCustodians):
        service.publish_tender(db, agent, tender_id=tender.id, now=TEST_NOW)
