"""中标贷 (decision 0035): a winning bidder offers its letter of award to an institution for a loan, with its consent
recorded as an event; the institution sees only the offers made to it; nobody offers a letter it does not hold."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.finance import guarantees
from tests.conftest import TEST_NOW
from tests.factories import principal, token_for
from tests.finance.guarantees_support import awarded_winner, onboard

LATER = TEST_NOW + timedelta(days=80)


def test_a_winner_offers_its_letter_with_consent_and_only_that_institution_sees_it(db: Session, gm_ca: Path) -> None:
    scene, winner = awarded_winner(db, gm_ca)
    bank, other_bank = onboard(db), onboard(db)
    actor = principal(db, winner, Permission.AWARD_LOAN_OFFER)
    offer = guarantees.offer_award_letter(
        db, actor, tender_id=scene["tender"].id, institution_id=bank.row.id, amount_fen=30_000_000, consent=True,
        now=LATER,
    )  # fmt: skip
    assert offer.entity_id == winner.entity_id
    assert bank.entity.name in offer.consent
    event = db.scalar(select(Event).where(Event.action == "award_loan.offered"))
    assert event is not None
    assert json.loads(event.payload)["consent"] == offer.consent
    assert json.loads(event.payload)["letter_sha256"] == offer.letter_sha256
    assert not event.disclosed
    assert guarantees.offers_to_institution(db, bank.actor(db)) == [offer]
    assert guarantees.offers_to_institution(db, other_bank.actor(db)) == []


def test_no_consent_or_no_letter_offers_nothing(db: Session, gm_ca: Path) -> None:
    scene, winner = awarded_winner(db, gm_ca)
    bank = onboard(db)
    loser = next(user for user in scene["bidders"] if user.entity_id != winner.entity_id)
    before = db.scalar(select(func.count(Event.id)))
    with pytest.raises(guarantees.AwardLoanConsentMissing):
        guarantees.offer_award_letter(
            db, principal(db, winner, Permission.AWARD_LOAN_OFFER), tender_id=scene["tender"].id,
            institution_id=bank.row.id, amount_fen=1_000, consent=False, now=LATER,
        )  # fmt: skip
    with pytest.raises(guarantees.NoAwardLetter):  # a notice of the result is no letter of award
        guarantees.offer_award_letter(
            db, principal(db, loser, Permission.AWARD_LOAN_OFFER), tender_id=scene["tender"].id,
            institution_id=bank.row.id, amount_fen=1_000, consent=True, now=LATER,
        )  # fmt: skip
    assert db.scalar(select(func.count(Event.id))) == before
    assert db.scalar(select(func.count()).select_from(guarantees.AwardLoanOffer)) == 0


def test_the_api_takes_the_offer_and_shows_it_to_its_institution_only(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene, winner = awarded_winner(db, gm_ca)
    bank, other_bank = onboard(db), onboard(db)
    clock.set(LATER)
    response = client.post(
        "/api/v1/award-loans",
        json={"tender_id": scene["tender"].id, "institution_id": bank.row.id, "amount_fen": 5_000_000, "consent": True},
        headers=token_for(db, winner),
    )
    assert response.status_code == 201, response.text
    mine = client.get("/api/v1/award-loans/offered", headers=token_for(db, bank.user)).json()
    assert [o["id"] for o in mine] == [response.json()["id"]]
    assert client.get("/api/v1/award-loans/offered", headers=token_for(db, other_bank.user)).json() == []
