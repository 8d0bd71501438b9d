"""The assistant with its key in a PKCS#11 token (SoftHSM2): the token signs the login and the bid and does the key
exchange at the opening, the key cannot be exported, and a token pulled out in the middle of sealing leaves no
envelope (and so nothing to upload)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.assistant import KeyUnavailable, Pkcs11KeySource, TokenSettings
from ggzy.assistant.keys import KeyMismatch
from ggzy.crypto import load_private_key_pem, read_envelope_header, unwrap_data_key
from ggzy.entities.login import login_message
from ggzy.tendering.models import Tender
from tests.assistant.conftest import PORTAL, start
from tests.assistant.test_assistant import _seal
from tests.assistant.tokens import forget_tokens, make_token
from tests.factories import issue, make_published_tender
from tests.tendering.test_bids import Bidder
from tests.test_bidclient import AppTransport


@pytest.fixture
def tender(db: Session, trusted: dict[str, int]) -> Tender:
    tender, _ = make_published_tender(db)
    assert isinstance(tender, Tender)
    return tender


@pytest.fixture
def token_bidder(
    db: Session, tender: Tender, intl_ca: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Bidder, Pkcs11KeySource]]:
    monkeypatch.setenv("SOFTHSM2_CONF", "")  # make_token sets it for this test; monkeypatch restores it after
    bidder = Bidder(db, intl_ca, tender.id)
    db.commit()
    settings = make_token(tmp_path / "hsm", bidder.issued.private_key_pem)
    source = Pkcs11KeySource(certificate_pem=bidder.issued.certificate_pem, settings=settings)
    yield bidder, source
    source.close()
    forget_tokens()


def test_the_token_signs_the_login_and_its_key_cannot_be_exported(
    token_bidder: tuple[Bidder, Pkcs11KeySource], tmp_path: Path
) -> None:
    bidder, source = token_bidder
    source.check()
    with pytest.raises(TypeError, match="cannot be exported"):
        source.private_key().to_der()
    for running in start(tmp_path / "home", source):
        request_id = running.ask("/v1/login", json={"nonce": "n0nce"}).json()["id"]
        assert "PKCS#11 token" in running.client.get(f"/consent/{request_id}").text
        running.decide(request_id, "approve")
        result = running.poll(request_id).json()["result"]
        bidder.issued.certificate.public_key.verify(
            login_message("n0nce", PORTAL), base64.b64decode(result["signature"])
        )


def test_a_gm_certificate_is_not_served_from_a_token(tmp_path: Path, gm_ca: Path, intl_ca: Path) -> None:
    settings = TokenSettings(module=str(tmp_path / "no-module.so"), token_label="t", pin="0", key_label="k")
    with pytest.raises(KeyMismatch, match="GM keys come from a PEM file"):
        Pkcs11KeySource(certificate_pem=issue(gm_ca).certificate_pem, settings=settings)
    with pytest.raises(KeyUnavailable):  # no such module: the token is not there
        Pkcs11KeySource(certificate_pem=issue(intl_ca).certificate_pem, settings=settings)


def test_a_bid_sealed_in_the_token_is_submitted_and_its_data_key_unwrapped_in_the_token(
    client: TestClient, token_bidder: tuple[Bidder, Pkcs11KeySource], tender: Tender, tmp_path: Path
) -> None:
    bidder, source = token_bidder
    for running in start(tmp_path / "home", source, AppTransport(client)):
        request_id = _seal(running, tender.id).json()["id"]
        running.decide(request_id, "approve")
        assert running.poll(request_id).json()["status"] == "done"
        envelope = running.client.get(f"/v1/requests/{request_id}/envelope", headers=running.headers()).content
        header = read_envelope_header(io.BytesIO(envelope))
        uploaded = client.post(
            f"/api/v1/tenders/{tender.id}/bids", files={"envelope": ("BID.ggzy", envelope)}, headers=bidder.headers
        )
        assert uploaded.status_code == 201, uploaded.text

        body = {"tender_url": f"{PORTAL}/api/v1/tenders/{tender.id}", "ciphertext_sha256": header.ciphertext_sha256}
        request_id = running.ask("/v1/decrypt", json=body).json()["id"]
        running.decide(request_id, "approve")
        data_key = base64.b64decode(running.poll(request_id).json()["result"]["data_key"])
        assert data_key == unwrap_data_key(header, load_private_key_pem(bidder.issued.private_key_pem), "bidder")


def test_a_token_removed_mid_seal_leaves_no_envelope_and_nothing_to_upload(
    client: TestClient, db: Session, token_bidder: tuple[Bidder, Pkcs11KeySource], tender: Tender, tmp_path: Path
) -> None:
    bidder, source = token_bidder
    signed = source._sign_digest

    def sign_then_pull_the_token(digest: bytes) -> bytes:
        signature = signed(digest)
        source.close()  # the USB key is pulled out after the first of the envelope's two signatures
        return signature

    source._sign_digest = sign_then_pull_the_token  # type: ignore[method-assign]
    transport = AppTransport(client)
    for running in start(tmp_path / "home", source, transport):
        request_id = _seal(running, tender.id).json()["id"]
        running.decide(request_id, "approve")
        failed = running.poll(request_id).json()
        assert failed["status"] == "failed"
        assert failed["problem"]["code"] == KeyUnavailable.code
        assert "USB" in failed["problem"]["message_zh"]
        assert not list(running.home.envelopes.iterdir()), "no envelope, not even a partial one"
        assert not list((running.home.path / "staging").rglob("*"))
        taken = running.client.get(f"/v1/requests/{request_id}/envelope", headers=running.headers())
        assert taken.status_code == 404
        assert [event["event"] for event in running.home.read_log()] == ["requested", "approved", "failed"]
    mine = client.get(f"/api/v1/tenders/{tender.id}/bids/mine", headers=bidder.headers).json()
    assert mine == []
