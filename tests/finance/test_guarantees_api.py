"""The open API of guarantees (decision 0035): onboarding by centre staff, issuing with the institution's own
certificate, each misfit a problem with its code in Chinese and English, and institutions seeing only their own."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Role
from ggzy.finance.guarantees import Guarantee, Institution
from tests.factories import (
    bidder_user,
    factory_ca,
    issue,
    make_entity,
    make_opened_tender,
    token_for,
    trust_factory_ca,
    user_with_role,
)
from tests.finance.guarantees_support import body_for, entity_of, issued, onboard, sign
from tests.finance.support import DEPOSIT_FEN, deposit_tender


def test_centre_staff_onboard_an_institution_over_the_api(client: TestClient, db: Session) -> None:
    entity = make_entity(db, name="某某融资担保有限公司")
    trust_factory_ca(db)
    pem = issue(factory_ca(), name=entity.name, code=entity.credit_code).certificate_pem
    staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF))
    response = client.post(
        "/api/v1/guarantees/institutions", json={"kind": "guarantee_company", "certificate_pem": pem}, headers=staff
    )
    assert response.status_code == 201, response.text
    assert response.json()["entity_id"] == entity.id
    again = client.post("/api/v1/guarantees/institutions", json={"kind": "bank", "certificate_pem": pem}, headers=staff)
    assert again.status_code == 409
    assert again.json()["code"] == "institution_already_onboarded"
    assert db.scalar(select(func.count()).select_from(Institution)) == 1


def test_an_institution_issues_over_the_api_and_another_cannot_read_it(client: TestClient, db: Session) -> None:
    tender, setup = deposit_tender(db)
    bank, other_bank = onboard(db), onboard(db)
    applicant = bidder_user(db)
    body = body_for(db, bank, tender, entity_of(db, applicant))
    response = client.post(
        "/api/v1/guarantees",
        json={"document": body, "signature": sign(bank, body), "certificate_pem": bank.certificate.certificate_pem,
              "fee_fen": 1_200},
        headers=token_for(db, bank.user),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    issued_id = response.json()["id"]
    assert response.json()["amount_fen"] == DEPOSIT_FEN
    url = f"/api/v1/guarantees/{issued_id}"
    assert client.get(url, headers=token_for(db, bank.user)).status_code == 200
    assert client.get(url, headers=token_for(db, applicant)).status_code == 200
    hidden = client.get(url, headers=token_for(db, other_bank.user))
    assert hidden.status_code == 404  # institution B cannot read A's
    assert str(applicant.entity_id) not in hidden.text
    assert client.get("/api/v1/guarantees", headers=token_for(db, other_bank.user)).json() == []
    assert [g["id"] for g in client.get("/api/v1/guarantees", headers=token_for(db, bank.user)).json()] == [issued_id]
    other_bidder = client.get(url, headers=token_for(db, bidder_user(db)))
    assert other_bidder.status_code == 404
    for insider in (setup["owner_user"], setup["agent_user"], setup["staff"]):
        sealed = client.get(url, headers=token_for(db, insider))
        assert sealed.status_code == 409, sealed.text
        assert sealed.json()["code"] == "deposits_sealed_until_opening"
    paying = client.post(
        f"{url}/claim/payment", json={"payment_reference": "X"}, headers=token_for(db, other_bank.user)
    )
    assert paying.status_code == 404
    cancelling = client.post(f"{url}/cancel", json={"reason": "不是我的"}, headers=token_for(db, other_bank.user))
    assert cancelling.status_code == 404
    assert db.get(Guarantee, issued_id).status == "issued"  # type: ignore[union-attr]


def test_a_misfit_is_a_problem_with_its_code_in_chinese_and_english(client: TestClient, db: Session) -> None:
    tender, _ = deposit_tender(db)
    bank = onboard(db)
    body = body_for(db, bank, tender, entity_of(db, bidder_user(db)), amount_fen=DEPOSIT_FEN - 100)
    response = client.post(
        "/api/v1/guarantees",
        json={"document": body, "signature": sign(bank, body), "certificate_pem": bank.certificate.certificate_pem},
        headers=token_for(db, bank.user),
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "guarantee_amount_short"
    assert "保函金额" in problem["message_zh"]
    assert "below the deposit required" in problem["message_en"]
    assert db.scalar(select(func.count()).select_from(Guarantee)) == 0


def test_after_the_opening_the_owner_reads_the_guarantee_and_claims_on_it(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    seen: dict[str, Guarantee] = {}

    def before(tender, bidders):  # type: ignore[no-untyped-def]
        seen["bank"] = bank = onboard(db)  # type: ignore[assignment]
        seen["row"] = issued(db, bank, tender, entity_of(db, bidders[0]))  # type: ignore[arg-type]

    setup = make_opened_tender(
        db, gm_ca, prices=[90_000_000, 91_000_000, 92_000_000], deposit_fen=DEPOSIT_FEN, before_opening=before
    )
    clock.set(setup["opened_at"])
    row = seen["row"]
    owner = token_for(db, setup["owner_user"])
    assert client.get(f"/api/v1/guarantees/{row.id}", headers=owner).status_code == 200
    deposits = client.get(f"/api/v1/tenders/{setup['tender'].id}/deposits", headers=owner).json()["deposits"]
    assert [(d["met"], d["form"], d["guarantee_id"]) for d in deposits] == [
        (True, "电子保函", row.id), (False, None, None), (False, None, None),
    ]  # fmt: skip
    # a claim follows the owner's forfeiture decision (decision 0036): no free-standing claim route
    assert client.post(f"/api/v1/guarantees/{row.id}/claim", json={"reason": "x"}, headers=owner).status_code in (
        404,
        405,
    )
    decided = client.post(
        f"/api/v1/tenders/{setup['tender'].id}/deposits/forfeitures", headers=owner,
        json={"entity_id": row.applicant_entity_id, "ground": "revoked_after_deadline",
              "reasons": "投标截止后书面撤销投标文件（实施条例 第35条 第2款）"},
    )  # fmt: skip
    assert decided.status_code == 201, decided.text
    assert decided.json()["guarantee_id"] == row.id
    assert client.get(f"/api/v1/guarantees/{row.id}", headers=owner).json()["status"] == "claimed"
    clock.set(setup["opened_at"] + timedelta(days=1))
    bank = seen["bank"]
    paid = client.post(
        f"/api/v1/guarantees/{row.id}/claim/payment", json={"payment_reference": "PAY-9"},
        headers=token_for(db, bank.user),  # type: ignore[attr-defined]
    )  # fmt: skip
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
