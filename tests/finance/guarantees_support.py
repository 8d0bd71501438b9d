"""Builders of the guarantee tests (and of the event walk in tests/core/test_events.py), through the services."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Principal, Role
from ggzy.crypto import IssuedCertificate, load_private_key_pem
from ggzy.entities.models import Entity, User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.finance import guarantees
from ggzy.finance.guarantees import Guarantee, Institution, InstitutionKind
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from tests.conftest import TEST_NOW
from tests.factories import (
    bidder_user,
    factory_ca,
    issue,
    make_awarded_tender,
    make_entity,
    make_user,
    principal,
    trust_factory_ca,
    user_with_role,
)
from tests.finance.support import DEPOSIT_FEN, deposit_tender

_numbers = itertools.count(1)


@dataclass
class Bank:
    """An onboarded institution: its entity, its certificate (with the key) and a user holding the role."""

    entity: Entity
    certificate: IssuedCertificate
    row: Institution
    user: User

    def actor(self, db: Session) -> Principal:
        return principal(db, self.user, Permission.GUARANTEE_ISSUE)


def onboard(db: Session, *, name: str | None = None, kind: InstitutionKind = InstitutionKind.BANK) -> Bank:
    """A centre's staff onboard an institution from its certificate (the factory CA's, trusted); the institution
    enrols a user of its own with the institution role."""
    entity = make_entity(db, name=name or f"测试银行{next(_numbers)}分行")
    trust_factory_ca(db)
    certificate = issue(factory_ca(), name=entity.name, code=entity.credit_code)
    staff = principal(db, user_with_role(db, Role.CENTRE_STAFF), Permission.INSTITUTION_ONBOARD)
    row = guarantees.onboard_institution(
        db, staff, kind=kind, certificate_pem=certificate.certificate_pem, intermediates_pem=[], now=TEST_NOW
    )
    user = make_user(db, roles=[RoleGrantIn(role=Role.INSTITUTION)], entity_id=entity.id)
    return Bank(entity, certificate, row, user)


def body_for(
    db: Session, bank: Bank, tender: Tender, applicant: Entity, **changes: Any
) -> dict[str, Any]:  # fmt: skip
    """A document that fits ``tender`` for ``applicant``: its amount, its owner as beneficiary, valid from the
    tender's publication to the end of the bid validity; ``changes`` override fields."""
    project, lot = tendering.project_of(db, tender)
    owner = db.get(Entity, project.owner_id)
    assert owner is not None
    assert tender.bid_validity_days is not None
    fields: dict[str, Any] = {
        "number": f"BH{next(_numbers):08d}",
        "institution": (bank.entity.name, bank.entity.credit_code),
        "applicant": (applicant.name, applicant.credit_code),
        "beneficiary": (owner.name, owner.credit_code),
        "tender_id": tender.id,
        "lot": f"{project.code}-{lot.number}",
        "amount_fen": tender.deposit_fen,
        "valid_from": TEST_NOW,
        "valid_until": tender.bid_deadline + timedelta(days=tender.bid_validity_days),
        "terms": "见索即付：受益人书面索赔时，本行于 5 个工作日内在保证金额内付款。",
    }
    fields.update(changes)
    return guarantees.document_body(**fields)


def sign(bank: Bank, body: dict[str, Any]) -> str:
    key = load_private_key_pem(bank.certificate.private_key_pem)
    return base64.b64encode(key.sign(guarantees.signed_bytes(body))).decode()


def issued(
    db: Session, bank: Bank, tender: Tender, applicant: Entity, *, now: datetime = TEST_NOW, **changes: Any
) -> Guarantee:  # fmt: skip
    body = body_for(db, bank, tender, applicant, **changes)
    return guarantees.issue_guarantee(
        db, bank.actor(db), document=body, signature=sign(bank, body),
        certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[], fee_fen=1_000, now=now,
    )  # fmt: skip


def entity_of(db: Session, user: User) -> Entity:
    entity = db.get(Entity, user.entity_id)
    assert entity is not None
    return entity


GUARANTEE_ACTIONS = (
    "institution.onboarded",
    "guarantee.quoted",
    "guarantee.issued",
    "guarantee.amended",
    "guarantee.cancelled",
    "guarantee.claim_paid",
)


def guarantee_scenario(db: Session, action: str) -> Callable[[], object]:
    """The call that records ``action`` (for the event walk), everything before it done. (award_loan.offered needs
    an awarded tender: tests/finance/test_guarantees_award_loans.py.)"""
    if action == "institution.onboarded":
        entity = make_entity(db)
        trust_factory_ca(db)
        pem = issue(factory_ca(), name=entity.name, code=entity.credit_code).certificate_pem
        staff = principal(db, user_with_role(db, Role.CENTRE_STAFF), Permission.INSTITUTION_ONBOARD)
        return lambda: guarantees.onboard_institution(
            db, staff, kind=InstitutionKind.INSURER, certificate_pem=pem, intermediates_pem=[], now=TEST_NOW
        )
    tender, setup = deposit_tender(db)
    bank, bidder = onboard(db), entity_of(db, bidder_user(db))
    if action == "guarantee.quoted":
        return lambda: guarantees.quote(
            db, bank.actor(db), tender_id=tender.id, applicant_credit_code=bidder.credit_code, fee_fen=500,
            now=TEST_NOW,
        )  # fmt: skip
    if action == "guarantee.issued":
        return lambda: issued(db, bank, tender, bidder)
    row = issued(db, bank, tender, bidder)
    if action == "guarantee.amended":
        body = body_for(db, bank, tender, bidder, number=row.number, version=2, amount_fen=DEPOSIT_FEN + 100)
        return lambda: guarantees.amend_guarantee(
            db, bank.actor(db), guarantee_id=row.id, document=body, signature=sign(bank, body),
            certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[], now=TEST_NOW,
        )  # fmt: skip
    if action == "guarantee.cancelled":
        return lambda: guarantees.cancel_guarantee(
            db, bank.actor(db), guarantee_id=row.id, reason="投标人撤回申请", now=TEST_NOW
        )
    after = tender.bid_deadline + timedelta(days=1)
    owner = principal(db, setup["owner_user"], Permission.AWARD_MANAGE)
    # the claim a forfeiture decision lodges (tests/finance/test_claims.py walks the decision itself)
    guarantees.claim_by_decision(db, owner, guarantee=row, reason="投标截止后撤销投标", now=after)
    return lambda: guarantees.pay_claim(db, bank.actor(db), guarantee_id=row.id, payment_reference="PAY1", now=after)


def awarded_winner(db: Session, ca_dir: Path) -> tuple[dict, User]:
    """An awarded tender (:func:`tests.factories.make_awarded_tender`) and its winner's bidder user."""
    scene = make_awarded_tender(db, ca_dir)
    winner = next(user for user in scene["bidders"] if user.entity_id == scene["award"].entity_id)
    return scene, winner


def award_loan_scenario(db: Session, ca_dir: Path) -> Callable[[], object]:
    scene, winner = awarded_winner(db, ca_dir)
    bank = onboard(db)
    actor = principal(db, winner, Permission.AWARD_LOAN_OFFER)
    return lambda: guarantees.offer_award_letter(
        db, actor, tender_id=scene["tender"].id, institution_id=bank.row.id, amount_fen=50_000_000, consent=True,
        now=TEST_NOW + timedelta(days=80),
    )  # fmt: skip
