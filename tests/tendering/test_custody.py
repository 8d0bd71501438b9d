"""A custodian's own shares (DESIGN §6): a logged-in user gets the encrypted shares its entity's custodians keep and
no other's; the public opening keys list each share's keeper and ciphertext digest, never a share; the workspace's
release is the API's (after the deadline, signed, once) and a refused release leaves no row and no event."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.crypto import IssuedCertificate, Suite, load_private_key_pem
from ggzy.crypto.sharing import EncryptedShare, decrypt_share
from ggzy.entities.models import User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering.models import Custodian, OpeningKey, OpeningKeyShare, ShareRelease, Tender
from ggzy.tendering.opening import release_message
from tests.factories import _custodian_material, bidder_user, make_published_tender, make_user, token_for
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code


def _person(suite: Suite, n: int) -> IssuedCertificate:
    return _custodian_material()["people"][suite][n]  # type: ignore[index,no-any-return]


def _keeper(db: Session, n: int) -> User:
    """A user of the entity of the factories' custodian ``n`` (a certificate login gives one such a user)."""
    fingerprint = _person(Suite.GM, n).certificate.public_key.fingerprint
    entity_id = db.scalar(select(Custodian.entity_id).where(Custodian.fingerprint == fingerprint).limit(1))
    assert entity_id is not None
    return make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=entity_id)


def _row(db: Session, tender: Tender, suite: Suite, n: int) -> OpeningKeyShare:
    found = db.scalar(
        select(OpeningKeyShare)
        .join(OpeningKey, OpeningKey.id == OpeningKeyShare.opening_key_id)
        .join(Custodian, Custodian.id == OpeningKeyShare.custodian_id)
        .where(
            OpeningKey.tender_id == tender.id,
            OpeningKey.suite == suite.value,
            Custodian.fingerprint == _person(suite, n).certificate.public_key.fingerprint,
        )
    )
    assert found is not None
    return found


def _released(tender: Tender, suite: Suite, n: int, row: OpeningKeyShare) -> dict[str, str]:
    """What the custodian's assistant answers: the share decrypted and signed (release_message)."""
    person = _person(suite, n)
    key = load_private_key_pem(person.private_key_pem)
    share = decrypt_share(
        EncryptedShare(
            custodian_fingerprint=person.certificate.public_key.fingerprint,
            index=row.share_index,
            ciphertext=row.ciphertext,
        ),
        key,
    )
    signature = key.sign(release_message(tender.id, suite.value, row.share_index, share.value))
    return {"share": base64.b64encode(share.value).decode(), "signature": base64.b64encode(signature).decode()}


@pytest.fixture
def tender(db: Session) -> Tender:
    tender, _ = make_published_tender(db)
    return tender


def test_a_custodian_gets_its_own_encrypted_shares_and_no_other(
    client: TestClient, db: Session, tender: Tender
) -> None:
    keeper = _keeper(db, 0)
    shares = client.get("/api/v1/custody/shares", headers=token_for(db, keeper)).json()
    ours = [share for share in shares if share["tender_id"] == tender.id]
    assert {share["suite"] for share in ours} == {"gm", "intl"}
    gm = next(share for share in ours if share["suite"] == "gm")
    row = _row(db, tender, Suite.GM, 0)
    assert gm["share_index"] == row.share_index
    assert base64.b64decode(gm["encrypted_share"]) == row.ciphertext
    assert gm["encrypted_share_sha256"] == hashlib.sha256(row.ciphertext).hexdigest()
    assert gm["custodian_fingerprint"] == _person(Suite.GM, 0).certificate.public_key.fingerprint
    assert gm["tender_url"] == f"http://testserver/api/v1/tenders/{tender.id}"
    assert gm["title"] == tender.title
    assert gm["status"] == "not_due"
    assert gm["released_at"] is None
    others = {_row(db, tender, suite, n).ciphertext for suite in Suite for n in (1, 2)}
    assert not {base64.b64decode(share["encrypted_share"]) for share in shares} & others

    stranger = bidder_user(db)
    answer = client.get("/api/v1/custody/shares", headers=token_for(db, stranger))
    assert answer.status_code == 200
    assert answer.json() == []
    browser_login(client, db, stranger)
    assert 'href="/workspace/custody"' not in client.get("/workspace").text
    assert "贵单位的保管人目前没有保管任何开标密钥份额。" in client.get("/workspace/custody").text
    client.cookies.clear()  # a visitor
    assert client.get("/api/v1/custody/shares").status_code == 401


def test_the_opening_keys_publish_each_shares_keeper_and_digest_but_no_share(
    client: TestClient, db: Session, tender: Tender
) -> None:
    keys = client.get(f"/api/v1/tenders/{tender.id}/opening-keys")
    for key in keys.json():
        rows = {n: _row(db, tender, Suite(key["suite"]), n) for n in range(3)}
        assert key["shares"] == sorted(
            (
                {
                    "share_index": row.share_index,
                    "custodian_fingerprint": _person(Suite(key["suite"]), n).certificate.public_key.fingerprint,
                    "encrypted_share_sha256": hashlib.sha256(row.ciphertext).hexdigest(),
                }
                for n, row in rows.items()
            ),
            key=lambda share: share["share_index"],
        )
        for row in rows.values():
            assert base64.b64encode(row.ciphertext).decode() not in keys.text
            assert row.ciphertext.hex() not in keys.text


def test_a_custodian_releases_its_share_from_the_workspace_after_the_deadline(
    client: TestClient, db: Session, tender: Tender, clock: FixedClock
) -> None:
    keeper = _keeper(db, 0)
    browser_login(client, db, keeper)
    assert 'href="/workspace/custody"' in client.get("/workspace").text  # the workspace offers the page
    page = client.get("/workspace/custody")
    assert "未到截止时间" in page.text
    assert _person(Suite.GM, 0).certificate.public_key.fingerprint[:16] in page.text  # which certificate opens it
    assert "用投标助手释放" not in page.text  # no release button before the deadline

    clock.set(tender.bid_deadline + timedelta(minutes=1))
    page = client.get("/workspace/custody")
    assert "待释放" in page.text
    assert 'data-assistant="share-release"' in page.text
    assert f'data-tender-url="http://testserver/api/v1/tenders/{tender.id}"' in page.text
    row = _row(db, tender, Suite.GM, 0)
    token = csrf_from(client, "/workspace/custody")
    form = {"csrf_token": token, "tender_id": tender.id, "suite": "gm", "share_index": row.share_index}
    done = client.post(
        "/workspace/custody/releases", data=form | _released(tender, Suite.GM, 0, row), follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "share_released"
    assert db.scalar(select(func.count()).select_from(ShareRelease)) == 1
    shown = client.get(done.headers["location"])
    assert "开标密钥份额已释放并记录在案。" in shown.text
    assert "已释放" in shown.text
    listed = client.get("/api/v1/custody/shares", headers=token_for(db, keeper)).json()
    assert next(s for s in listed if s["tender_id"] == tender.id and s["suite"] == "gm")["status"] == "released"


def test_a_refused_release_from_the_workspace_leaves_no_row_and_no_event(
    client: TestClient, db: Session, tender: Tender, clock: FixedClock
) -> None:
    """Another entity's share (even signed by its keeper), a release before the deadline (招标投标法 第28条: bids
    stay unopened until the opening) and a signature by another key are each refused; nothing is written."""
    keeper = _keeper(db, 0)
    browser_login(client, db, keeper)
    token = csrf_from(client, "/workspace/custody")
    events = db.scalar(select(func.count()).select_from(Event))

    def post(n: int, signed_by: int | None = None) -> object:
        row = _row(db, tender, Suite.GM, n)
        released = _released(tender, Suite.GM, n, row)
        if signed_by is not None:
            released["signature"] = _released(tender, Suite.GM, signed_by, _row(db, tender, Suite.GM, signed_by))[
                "signature"
            ]
        form = {"csrf_token": token, "tender_id": tender.id, "suite": "gm", "share_index": row.share_index}
        return client.post("/workspace/custody/releases", data=form | released, follow_redirects=False)

    early = post(0)
    assert problem_code(early) == "share_release_before_deadline"  # type: ignore[arg-type]
    clock.set(tender.bid_deadline + timedelta(minutes=1))
    not_ours = post(1)
    assert problem_code(not_ours) == "custody_share_not_yours"  # type: ignore[arg-type]
    assert not_ours.status_code == 404  # type: ignore[attr-defined]
    forged = post(0, signed_by=1)
    assert problem_code(forged) == "signature_invalid"  # type: ignore[arg-type]
    assert db.scalar(select(func.count()).select_from(ShareRelease)) == 0
    assert db.scalar(select(func.count()).select_from(Event)) == events
