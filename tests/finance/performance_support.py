"""Builders of the performance security and fee tests (and of the event walk in tests/core/test_events.py), through
the services (decision 0037)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.core.clock import to_china_time
from ggzy.core.permissions import Permission, Principal, Role
from ggzy.entities.models import Entity, User
from ggzy.finance import fees, performance, purpose_accounts
from ggzy.finance.bank.protocol import SubAccount
from ggzy.finance.purpose_models import PurposeSubAccount
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from tests.conftest import TEST_NOW
from tests.factories import make_awarded_tender, principal, user_with_role
from tests.finance.support import notice

_numbers = itertools.count(1)

# the example of the tests: up to 1,000,000 yuan at 0.5%, to 5,000,000 yuan at 0.3%, above at 0.1%
BANDS = [
    fees.Band(100_000_000, Decimal("0.5")),
    fees.Band(500_000_000, Decimal("0.3")),
    fees.Band(None, Decimal("0.1")),
]


def manager_of(db: Session, tender: Tender, permission: Permission = Permission.AWARD_MANAGE) -> Principal:
    """The tender's agent, acting."""
    project, _ = tendering.project_of(db, tender)
    from ggzy.core.errors import PermissionDenied

    for entity_id in (project.agent_id, project.owner_id):
        for user in db.scalars(select(User).where(User.entity_id == entity_id).order_by(User.id)):
            try:
                return principal(db, user, permission)
            except PermissionDenied:
                continue
    raise AssertionError("no manager")


def require_in_documents(db: Session, tender: Tender, percent: str = "10") -> None:
    performance.require_performance_security(
        db, manager_of(db, tender), tender_id=tender.id, percent=percent, now=TEST_NOW
    )


def awarded_with_security(db: Session, ca_dir: Path, *, percent: str = "10", **kwargs: Any) -> dict:
    """A tender whose documents require ``percent`` performance security, awarded to its first candidate."""
    before = kwargs.pop("before_opening", None)

    def hook(tender: Tender, users: list[User]) -> None:
        require_in_documents(db, tender, percent)
        if before is not None:
            before(tender, users)

    return make_awarded_tender(db, ca_dir, before_opening=hook, **kwargs)


def centre_staff(db: Session, centre_id: int) -> Principal:
    return principal(db, user_with_role(db, Role.CENTRE_STAFF, centre_id=centre_id), Permission.FEE_SCHEDULE_MANAGE)


def save(db: Session, centre_id: int, *, payer: fees.FeePayer = fees.FeePayer.WINNER, at: Any = None, **kw: Any) -> Any:
    actor = kw.pop("actor", None) or centre_staff(db, centre_id)
    return fees.save_schedule(
        db, actor, bands=kw.pop("bands", BANDS), payer=payer,
        minimum_fen=kw.pop("minimum_fen", None), maximum_fen=kw.pop("maximum_fen", None),
        due_days=kw.pop("due_days", 10), now=at or TEST_NOW, centre_id=centre_id,
    )  # fmt: skip


def opened(db: Session, row: PurposeSubAccount) -> PurposeSubAccount:
    number = f"6228{next(_numbers):08d}"
    return purpose_accounts.record_opened(
        db, sub_account=SubAccount(number=number, name=row.name, reference=row.reference), now=TEST_NOW
    )


def pay(db: Session, row: PurposeSubAccount, amount_fen: int, **kw: Any) -> Any:
    booked = kw.pop("booked_at", TEST_NOW + timedelta(days=40))
    return purpose_accounts.record_credit(db, notice(row.number or "", amount_fen, booked_at=booked, **kw), now=booked)


def contract(db: Session, scene: dict, *, hours: int = 2) -> None:
    award = scene["award"]
    awards.record_contract(
        db, manager_of(db, scene["tender"]), tender_id=scene["tender"].id, amount_fen=award.price_fen,
        signed_on=to_china_time(award.awarded_at).date(), blob_sha256=None,
        now=award.awarded_at + timedelta(hours=hours),
    )  # fmt: skip


def winner_entity(db: Session, scene: dict) -> Entity:
    entity = db.get(Entity, scene["award"].entity_id)
    assert entity is not None
    return entity


PERFORMANCE_ACTIONS = (
    "performance.required",
    "performance.security_due",
    "performance.guarantee_attached",
    "performance.checked_at_contract",
    "performance.completed",
    "finance.purpose_sub_account_opened",
    "finance.purpose_credit_recorded",
    "fee.schedule_saved",
    "fee.notice_issued",
)


def performance_scenario(db: Session, ca_dir: Path, action: str) -> Callable[[], object]:
    """The call that records ``action``, everything before it done."""
    from tests.finance.guarantees_support import onboard, sign

    if action == "performance.required":
        from tests.finance.support import deposit_tender

        tender, _ = deposit_tender(db)
        return lambda: performance.require_performance_security(
            db, manager_of(db, tender), tender_id=tender.id, percent="5", now=TEST_NOW
        )
    if action == "fee.schedule_saved":
        from tests.factories import make_centres

        centre = make_centres(db)["city"]
        staff = centre_staff(db, centre.id)
        return lambda: save(db, centre.id, actor=staff)
    if action == "fee.notice_issued":
        from ggzy.core.permissions import SYSTEM
        from tests.factories import make_awarded_tender as awarded

        scene = awarded(db, ca_dir)
        project, _ = tendering.project_of(db, scene["tender"])
        save(db, project.centre_id, at=scene["award"].awarded_at + timedelta(minutes=1))
        award = scene["award"]
        return lambda: fees.issue_fee_notice(
            db, SYSTEM, tender_id=award.tender_id, winner_entity_id=award.entity_id, base_fen=award.price_fen,
            now=award.awarded_at + timedelta(hours=1),
        )  # fmt: skip
    if action == "performance.security_due":
        from ggzy.core.permissions import SYSTEM
        from tests.factories import make_opened_tender

        scene = make_opened_tender(
            db,
            ca_dir,
            prices=[10_000_000, 11_000_000, 12_000_000],
            before_opening=lambda t, u: require_in_documents(db, t),
        )
        entity_id = scene["bidders"][0].entity_id
        return lambda: performance.require_of_winner(
            db, SYSTEM, tender_id=scene["tender"].id, entity_id=entity_id, contract_amount_fen=10_000_000,
            now=scene["opened_at"],
        )  # fmt: skip
    scene = awarded_with_security(db, ca_dir)
    tender = scene["tender"]
    security = performance.security_of(db, tender.id)
    assert security is not None
    sub = purpose_accounts.of_tender(db, "performance", tender.id)
    assert sub is not None
    if action == "finance.purpose_sub_account_opened":
        return lambda: opened(db, sub)
    opened(db, sub)
    if action == "finance.purpose_credit_recorded":
        return lambda: pay(db, sub, security.required_fen)
    if action == "performance.guarantee_attached":
        bank = onboard(db)
        body = guarantee_body(db, bank, scene)
        winner = principal(db, scene_winner_user(db, scene), Permission.AWARD_LETTERS_MINE)
        return lambda: performance.attach_guarantee(
            db, winner, tender_id=tender.id, body=body, signature=sign(bank, body),
            certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[], now=scene["award"].awarded_at,
        )  # fmt: skip
    pay(db, sub, security.required_fen)
    if action == "performance.checked_at_contract":
        from ggzy.core.permissions import SYSTEM

        return lambda: performance.check_at_contract(db, SYSTEM, tender_id=tender.id, now=TEST_NOW)
    contract(db, scene)
    day = to_china_time(scene["award"].awarded_at).date()
    return lambda: performance.record_completion(
        db, manager_of(db, tender), tender_id=tender.id, completed_on=day,
        now=scene["award"].awarded_at + timedelta(days=1),
    )  # fmt: skip


def scene_winner_user(db: Session, scene: dict) -> User:
    return next(user for user in scene["bidders"] if user.entity_id == scene["award"].entity_id)


def guarantee_body(db: Session, bank: Any, scene: dict, **changes: Any) -> dict[str, Any]:
    """A performance guarantee (履约保函) that fits the scene's security."""
    from ggzy.finance import guarantees

    tender = scene["tender"]
    project, lot = tendering.project_of(db, tender)
    owner = db.get(Entity, project.owner_id)
    winner = winner_entity(db, scene)
    security = performance.security_of(db, tender.id)
    assert owner is not None
    assert security is not None
    kind = changes.pop("kind", performance.GUARANTEE_KIND)
    fields: dict[str, Any] = {
        "number": f"LY{next(_numbers):08d}",
        "institution": (bank.entity.name, bank.entity.credit_code),
        "applicant": (winner.name, winner.credit_code),
        "beneficiary": (owner.name, owner.credit_code),
        "tender_id": tender.id,
        "lot": f"{project.code}-{lot.number}",
        "amount_fen": security.required_fen,
        "valid_from": TEST_NOW,
        "valid_until": TEST_NOW + timedelta(days=400),
        "terms": "履约保函：中标人未履行合同义务时，本行于 5 个工作日内在保证金额内付款。",
    }
    fields.update(changes)
    body = guarantees.document_body(**fields)
    body["kind"] = kind
    return body
