"""Score sheets signed by the member's own key (ggzy.evaluation.signing): enrolment, the message, and refusals that
leave nothing behind; the enrolment is secret in the public ledger (招标投标法 第37条: who sits is secret)."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import UNDISCLOSED_ACTIONS, Event
from ggzy.entities.models import User
from ggzy.evaluation import signing
from ggzy.evaluation.models import ScoreSheet, SigningKey
from ggzy.evaluation.signing import sheet_message
from tests.evaluation.signing_support import BrowserKey
from tests.evaluation.test_evaluation import SCHEME, _evaluate
from tests.factories import event_count, make_opened_tender, token_for

KEYS = "/api/v1/evaluation/signing-keys"
SCORES = {"technical": "27.5", "business": "10"}


def test_the_signed_message_is_the_documented_text_with_criteria_in_key_order() -> None:
    message = sheet_message(
        tender_id=7, bid_id=9, member_id=3, scores={"technical": Decimal("27.5"), "business": Decimal("10.00")}
    )
    assert message == "ggzy score sheet v1\ntender=7\nbid=9\nmember=3\nbusiness=10.00\ntechnical=27.5\n"


@pytest.mark.parametrize("typed", ["1e1", "027", "+5", ".5", "5.", "-0", " ", "NaN"])
def test_a_score_not_written_as_a_plain_decimal_is_refused_so_that_typed_and_signed_text_agree(typed: str) -> None:
    with pytest.raises(signing.InvalidInput):
        signing.parse_score(typed, field="score.technical")


def test_plain_scores_read_back_as_typed() -> None:
    for typed in ("0", "0.5", "27.50", "30"):
        assert signing.score_text(signing.parse_score(f" {typed} ", field="s")) == typed


class Sitting:
    """An evaluating tender (scoring), its first member logged in through the API."""

    def __init__(self, client: TestClient, db: Session, ca_dir: Path) -> None:
        self.client, self.db = client, db
        self.opened = make_opened_tender(db, ca_dir, prices=[90_000_000, 80_000_000, 70_000_000])
        self.users: list[User] = _evaluate(db, self.opened, SCHEME)
        self.headers = token_for(db, self.users[0])
        self.tender_id = self.opened["tender"].id
        self.bid_id = self.opened["bid_ids"][0]

    @property
    def member_id(self) -> int:
        from ggzy.experts.service import sitting_members

        return next(m.id for m in sitting_members(self.db, self.tender_id) if m.user_id == self.users[0].id)

    def enrol(self, key: BrowserKey) -> dict:
        response = self.client.post(KEYS, json={"public_key": key.public_key}, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()

    def message(self, scores: dict[str, str] = SCORES) -> str:
        lines = ["ggzy score sheet v1", f"tender={self.tender_id}", f"bid={self.bid_id}", f"member={self.member_id}"]
        return "".join(f"{line}\n" for line in [*lines, *(f"{k}={scores[k]}" for k in sorted(scores))])

    def submit(self, signature: str | None, scores: dict[str, str] = SCORES):  # type: ignore[no-untyped-def]
        body: dict = {"bid_id": self.bid_id, "scores": scores}
        if signature is not None:
            body["signature"] = signature
        url = f"/api/v1/tenders/{self.tender_id}/evaluation/score-sheets"
        return self.client.post(url, json=body, headers=self.headers)


@pytest.fixture
def sitting(client: TestClient, db: Session, gm_ca: Path) -> Sitting:
    return Sitting(client, db, gm_ca)


def test_a_member_enrols_a_key_and_signs_a_sheet_that_anyone_holding_the_key_can_verify(
    sitting: Sitting, db: Session
) -> None:
    key = BrowserKey()
    enrolled = sitting.enrol(key)
    assert enrolled["fingerprint"] == key.fingerprint
    assert enrolled["revoked_at"] is None
    mine = sitting.client.get(f"{KEYS}/mine", headers=sitting.headers).json()
    assert mine["fingerprint"] == key.fingerprint

    response = sitting.submit(key.sign(sitting.message()))
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["key_fingerprint"] == key.fingerprint
    assert out["signed_message"] == sitting.message()

    sheet = db.scalar(select(ScoreSheet).where(ScoreSheet.bid_id == sitting.bid_id))
    assert sheet is not None
    assert sheet.signature is not None
    assert sheet.signed_message is not None
    # later, offline: the public key, the stored message and the P1363 signature are all it takes
    raw = base64.b64decode(sheet.signature)
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.private_key.public_key().verify(der, sheet.signed_message.encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        key.private_key.public_key().verify(
            der, sheet.signed_message.replace("27.5", "37.5").encode(), ec.ECDSA(hashes.SHA256())
        )

    event = db.scalar(select(Event).where(Event.action == "evaluation.score_sheet_submitted"))
    assert event is not None
    assert key.fingerprint in event.payload
    assert not event.disclosed


def test_the_enrolment_is_undisclosed_in_the_public_ledger_because_experts_stay_secret_until_the_result(
    sitting: Sitting, db: Session
) -> None:
    """招标投标法 第37条: 评标委员会成员的名单在中标结果确定前应当保密."""
    key = BrowserKey()
    sitting.enrol(key)
    assert "evaluation.signing_key_enrolled" in UNDISCLOSED_ACTIONS
    event = db.scalar(select(Event).where(Event.action == "evaluation.signing_key_enrolled"))
    assert event is not None
    assert not event.disclosed
    assert (event.subject_type, event.subject_id) == ("user", str(sitting.users[0].id))
    assert key.fingerprint in event.payload


def _refused_leaving_nothing(sitting: Sitting, db: Session, response, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert db.scalar(select(func.count()).select_from(ScoreSheet)) == 0


@pytest.mark.parametrize(
    "forge",
    ["another key", "other scores", "missing", "not base64", "DER instead of P1363", "other member's message"],
)
def test_a_bad_or_missing_signature_is_refused_when_a_key_is_enrolled_and_leaves_no_row_and_no_event(
    sitting: Sitting, db: Session, forge: str
) -> None:
    key = BrowserKey()
    sitting.enrol(key)
    signatures = {
        "another key": lambda: BrowserKey().sign(sitting.message()),
        "other scores": lambda: key.sign(sitting.message({"technical": "37.5", "business": "10"})),
        "missing": lambda: None,
        "not base64": lambda: "***",
        "DER instead of P1363": lambda: base64.b64encode(key.sign_der(sitting.message())).decode(),
        "other member's message": lambda: key.sign(
            sitting.message().replace(f"member={sitting.member_id}", f"member={sitting.member_id + 1}")
        ),
    }
    before = event_count(db)
    response = sitting.submit(signatures[forge]())
    _refused_leaving_nothing(sitting, db, response, "score_sheet_signature_invalid")
    assert "签名" in response.json()["message_zh"]
    assert event_count(db) == before


def test_a_new_enrolment_revokes_the_previous_key_which_is_kept_and_no_longer_signs(
    sitting: Sitting, db: Session
) -> None:
    old, new = BrowserKey(), BrowserKey()
    sitting.enrol(old)
    sitting.enrol(new)
    keys = {k.fingerprint: k for k in db.scalars(select(SigningKey).where(SigningKey.user_id == sitting.users[0].id))}
    assert set(keys) == {old.fingerprint, new.fingerprint}  # never deleted
    assert keys[old.fingerprint].revoked_at is not None
    assert keys[new.fingerprint].revoked_at is None
    revoked_event = db.scalars(select(Event).where(Event.action == "evaluation.signing_key_enrolled")).all()[-1]
    assert old.fingerprint in revoked_event.payload  # the revocation is recorded with the new key
    before = event_count(db)
    _refused_leaving_nothing(sitting, db, sitting.submit(old.sign(sitting.message())), "score_sheet_signature_invalid")
    assert event_count(db) == before
    assert sitting.submit(new.sign(sitting.message())).status_code == 201


def test_without_a_key_the_api_takes_an_unsigned_sheet_but_refuses_a_signature_it_cannot_check(
    sitting: Sitting, db: Session
) -> None:
    before = event_count(db)
    _refused_leaving_nothing(
        sitting, db, sitting.submit(BrowserKey().sign(sitting.message())), "score_sheet_signature_invalid"
    )
    assert event_count(db) == before
    response = sitting.submit(None)
    assert response.status_code == 201, response.text
    assert response.json()["key_fingerprint"] is None
    assert response.json()["signature"] is None


def test_a_score_spelled_otherwise_than_as_a_plain_decimal_is_refused_before_any_signature_check(
    sitting: Sitting, db: Session
) -> None:
    key = BrowserKey()
    sitting.enrol(key)
    scores = {"technical": "1e1", "business": "10"}  # Decimal("1E+1"): no plain spelling
    response = sitting.submit(key.sign(sitting.message(scores)), scores)
    _refused_leaving_nothing(sitting, db, response, "invalid_input")


@pytest.mark.parametrize("kind", ["P-384", "not base64", "not a key", "too long"])
def test_an_enrolment_of_anything_but_a_p256_public_key_is_refused_and_leaves_nothing(
    sitting: Sitting, db: Session, kind: str
) -> None:
    keys = {
        "P-384": BrowserKey(ec.SECP384R1()).public_key,
        "not base64": "not base64!",
        "not a key": base64.b64encode(b"\x30\x03\x02\x01\x01").decode(),
        "too long": "A" * 600,
    }
    before = event_count(db)
    response = sitting.client.post(KEYS, json={"public_key": keys[kind]}, headers=sitting.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] in ({"signing_key_invalid"} if kind != "too long" else {"validation_failed"})
    assert db.scalar(select(func.count()).select_from(SigningKey)) == 0
    assert event_count(db) == before


def test_a_key_already_enrolled_cannot_be_enrolled_again_by_anyone(sitting: Sitting, db: Session) -> None:
    key = BrowserKey()
    sitting.enrol(key)
    before = event_count(db)
    other = token_for(db, sitting.users[1])
    response = sitting.client.post(KEYS, json={"public_key": key.public_key}, headers=other)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert db.scalar(select(func.count()).select_from(SigningKey)) == 1
    assert event_count(db) == before
    assert sitting.client.get(f"{KEYS}/mine", headers=other).json() is None
