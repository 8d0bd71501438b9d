"""A guarantee counts as the bidder's deposit at the opening (decision 0035): bound to that bidder and that tender,
in force, covering the amount and lasting the bid validity (招标投标法实施条例 第26条); the opening record then names
its form 电子保函."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission
from ggzy.entities.models import User
from ggzy.finance import guarantees, views
from ggzy.finance.rules import DepositShortfall
from ggzy.tendering import opening as tendering_opening
from ggzy.tendering.models import Tender
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, make_opened_tender, principal
from tests.finance.guarantees_support import entity_of, issued, onboard
from tests.finance.support import DEPOSIT_FEN, deposit_tender

PRICES = [90_000_000, 91_000_000, 92_000_000, 93_000_000]
SEEN: dict[str, object] = {}


def _guarantees(db: Session, tender: Tender, bidders: list[User]) -> None:
    """The first bidder's guarantee fits; the second's was cancelled; the third has one for another tender; the
    fourth has none (and nobody else's guarantee counts for it)."""
    bank = onboard(db)
    SEEN["first"] = issued(db, bank, tender, entity_of(db, bidders[0]))
    cancelled = issued(db, bank, tender, entity_of(db, bidders[1]))
    guarantees.cancel_guarantee(db, bank.actor(db), guarantee_id=cancelled.id, reason="申请人撤回", now=TEST_NOW)
    elsewhere, _ = deposit_tender(db)
    issued(db, bank, elsewhere, entity_of(db, bidders[2]))
    SEEN["bank"] = bank


def test_regulations_art_26_a_fitting_guarantee_meets_the_deposit_and_the_record_says_e_guarantee(
    db: Session, gm_ca: Path
) -> None:
    SEEN.clear()
    setup = make_opened_tender(
        db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=lambda t, b: _guarantees(db, t, b)
    )
    owner = principal(db, setup["owner_user"], Permission.DEPOSIT_READ)
    found = views.tender_deposits(db, owner, tender_id=setup["tender"].id, now=setup["opened_at"])
    assert [s.assessment.met for s in found.deposits] == [True, False, False, False]
    assert [s.assessment.shortfall for s in found.deposits] == [None] + [DepositShortfall.NOTHING_PAID] * 3
    first = SEEN["first"]
    assert isinstance(first, guarantees.Guarantee)
    assert found.deposits[0].guarantee_id == first.id
    assert found.deposits[0].assessment.form == "电子保函"
    assert found.deposits[0].assessment.counted_fen == DEPOSIT_FEN
    record = tendering_opening.opening_view(db, setup["tender"], setup["opened_at"])["record"]
    assert [(line["met"], line["form"]) for line in record["deposits"]["bids"]] == [
        (True, "电子保函"), (False, None), (False, None), (False, None),
    ]  # fmt: skip
    # after the opening the owner reads the guarantee itself
    read = guarantees.read_guarantee(
        db, principal(db, setup["owner_user"], Permission.GUARANTEE_READ), guarantee_id=first.id
    )
    assert read is first


def test_a_guarantee_issued_short_of_the_validity_never_counts_even_if_it_slipped_in(db: Session) -> None:
    """The opening's check stands on its own: a guarantee row that does not last the bid validity (as one amended by
    hand in the database would) does not meet the deposit."""
    tender, _ = deposit_tender(db)
    bank = onboard(db)
    user = bidder_user(db)
    row = issued(db, bank, tender, entity_of(db, user))
    assert tender.bid_validity_days is not None
    valid_until = tender.bid_deadline + timedelta(days=tender.bid_validity_days)
    assert guarantees.covering_guarantee(
        db, tender_id=tender.id, entity_id=row.applicant_entity_id, required_fen=DEPOSIT_FEN,
        bid_deadline=tender.bid_deadline, valid_until=valid_until,
    ) is row  # fmt: skip
    assert guarantees.covering_guarantee(
        db, tender_id=tender.id, entity_id=row.applicant_entity_id, required_fen=DEPOSIT_FEN + 1,
        bid_deadline=tender.bid_deadline, valid_until=valid_until,
    ) is None  # fmt: skip
    assert guarantees.covering_guarantee(
        db, tender_id=tender.id, entity_id=row.applicant_entity_id, required_fen=DEPOSIT_FEN,
        bid_deadline=tender.bid_deadline, valid_until=row.valid_until + timedelta(seconds=1),
    ) is None  # fmt: skip
