"""Performance security (履约保证金, decision 0037): 招标投标法实施条例 第五十八条 and 政府采购法实施条例
第四十八条 cap it at 10% of the contract amount; the award fixes what the winner owes, paid into its own sub-account
or by a performance guarantee; the contract records whether it was provided; 第七十四条 lets the owner keep the bid
deposit when it was not; after performance it goes back along its route."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import Conflict
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.finance import books, performance, purpose_accounts, refunds
from ggzy.finance.bank.protocol import OrderStatus
from ggzy.finance.forfeiture import ForfeitureGround, ForfeitureNotAllowed, forfeit_deposit
from ggzy.finance.models import FinanceAlert, Posting, RefundOrderRow
from ggzy.finance.purpose_models import PerformanceRequirement, PerformanceSecurity, PurposeSubAccount
from ggzy.finance.rules import AlertKind
from tests.awards.procurement_support import award_procurement
from tests.conftest import TEST_NOW
from tests.factories import make_evaluated_tender, principal
from tests.finance.guarantees_support import onboard, sign
from tests.finance.performance_support import (
    awarded_with_security,
    contract,
    guarantee_body,
    manager_of,
    opened,
    pay,
    require_in_documents,
    scene_winner_user,
)
from tests.finance.support import DEPOSIT_FEN, deposit_tender, pay_in_full, receipt


def _count(db: Session, model: type, *where: object) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def _events(db: Session, action: str) -> int:
    return _count(db, Event, Event.action == action)


@pytest.mark.parametrize(
    ("trade_type", "article"),
    [("construction", "招标投标法实施条例 第五十八条"), ("gov_procurement", "政府采购法实施条例 第四十八条")],
)
def test_regulations_art_58_and_procurement_regulations_art_48_above_10_percent_is_refused_naming_the_article(
    db: Session, trade_type: str, article: str
) -> None:
    tender, _ = deposit_tender(db, trade_type=trade_type)
    with pytest.raises(performance.PerformanceSecurityAboveCap) as refused:
        performance.require_performance_security(
            db, manager_of(db, tender), tender_id=tender.id, percent="10.01", now=TEST_NOW
        )
    assert article in refused.value.detail_zh
    assert refused.value.status == 422
    assert _count(db, PerformanceRequirement) == 0  # a refused request leaves no row and no event
    assert _events(db, "performance.required") == 0


def test_regulations_art_58_exactly_10_percent_is_allowed_once_and_only_before_the_bid_deadline(db: Session) -> None:
    tender, _ = deposit_tender(db)
    row = performance.require_performance_security(
        db, manager_of(db, tender), tender_id=tender.id, percent="10", now=TEST_NOW
    )
    assert row.basis_points == 1000
    with pytest.raises(Conflict):
        require_in_documents(db, tender, "5")
    other, _ = deposit_tender(db)
    with pytest.raises(Conflict):
        performance.require_performance_security(
            db, manager_of(db, other), tender_id=other.id, percent="5", now=other.bid_deadline
        )
    assert _events(db, "performance.required") == 1


def test_the_award_fixes_the_winners_security_at_the_percentage_of_the_contract_amount_with_its_sub_account(
    db: Session, gm_ca: Path
) -> None:
    scene = awarded_with_security(db, gm_ca, percent="5")
    award = scene["award"]
    security = performance.security_of(db, scene["tender"].id)
    assert security is not None
    assert security.entity_id == award.entity_id
    assert security.contract_amount_fen == award.price_fen
    assert security.required_fen == award.price_fen * 5 // 100
    sub = purpose_accounts.of_tender(db, "performance", scene["tender"].id)
    assert sub is not None
    assert (sub.entity_id, sub.expected_fen, sub.number) == (award.entity_id, security.required_fen, None)
    assert not performance.status(db, security).provided


def test_procurement_regulations_art_48_non_cash_only_no_sub_account(db: Session, gm_ca: Path) -> None:
    """政府采购法实施条例 第四十八条: 非现金形式 — the supplier gets no sub-account to pay cash into."""
    scene = make_evaluated_tender(
        db, gm_ca, trade_type="gov_procurement", procedure="gp_open",
        before_opening=lambda tender, users: require_in_documents(db, tender, "10"),
    )  # fmt: skip
    scene = award_procurement(db, scene, now=scene["reported_at"])
    security = performance.security_of(db, scene["tender"].id)
    assert security is not None
    assert security.required_fen == scene["award"].price_fen // 10
    assert purpose_accounts.of_tender(db, "performance", scene["tender"].id) is None


def test_cash_paid_into_its_sub_account_provides_it_posted_to_the_performance_account(db: Session, gm_ca: Path) -> None:
    scene = awarded_with_security(db, gm_ca)
    security = performance.security_of(db, scene["tender"].id)
    assert security is not None
    sub = opened(db, purpose_accounts.of_tender(db, "performance", scene["tender"].id))  # type: ignore[arg-type]
    short = pay(db, sub, security.required_fen - 100)
    assert not performance.status(db, security).provided
    assert _count(db, FinanceAlert, FinanceAlert.kind == AlertKind.PAYMENT_SHORT.value) == 1
    pay(db, sub, 100)
    current = performance.status(db, security)
    assert current.provided
    assert current.form == performance.CASH_FORM
    assert performance.performance_balance(db, security) == security.required_fen
    assert _count(db, Posting, Posting.kind == "performance_credit") == 2
    assert short.credit.sub_account_id is None  # not a deposit: the deposits' sub-accounts know nothing of it


def test_regulations_art_74_once_the_security_is_provided_the_bid_deposit_cannot_be_kept_on_that_ground(
    db: Session, gm_ca: Path
) -> None:
    scene = awarded_with_security(db, gm_ca, deposit_fen=DEPOSIT_FEN, before_opening=lambda t, u: pay_in_full(db, t, u))
    tender, award = scene["tender"], scene["award"]
    agent = manager_of(db, tender)
    security = performance.security_of(db, tender.id)
    assert security is not None
    assert performance.missing_for_forfeiture(db, tender.id, award.entity_id)
    sub = opened(db, purpose_accounts.of_tender(db, "performance", tender.id))  # type: ignore[arg-type]
    pay(db, sub, security.required_fen)
    assert not performance.missing_for_forfeiture(db, tender.id, award.entity_id)
    before = _events(db, "deposit.forfeited")
    with pytest.raises(ForfeitureNotAllowed):
        forfeit_deposit(
            db, agent, tender_id=tender.id, entity_id=award.entity_id,
            ground=ForfeitureGround.NO_PERFORMANCE_SECURITY, reasons="未提交履约保证金",
            now=award.awarded_at + timedelta(days=20),
        )  # fmt: skip
    assert _events(db, "deposit.forfeited") == before


def test_regulations_art_74_the_owner_keeps_the_winners_bid_deposit_when_the_security_is_not_provided(
    db: Session, gm_ca: Path
) -> None:
    scene = awarded_with_security(db, gm_ca, deposit_fen=DEPOSIT_FEN, before_opening=lambda t, u: pay_in_full(db, t, u))
    tender, award = scene["tender"], scene["award"]
    row = forfeit_deposit(
        db, manager_of(db, tender), tender_id=tender.id, entity_id=award.entity_id,
        ground=ForfeitureGround.NO_PERFORMANCE_SECURITY, reasons="中标人未按招标文件要求提交履约保证金",
        now=award.awarded_at + timedelta(days=20),
    )  # fmt: skip
    assert row.amount_fen == DEPOSIT_FEN
    assert row.article == "招标投标法实施条例 第七十四条"


def test_a_tender_requiring_no_security_gives_no_ground_under_art_74(db: Session, gm_ca: Path) -> None:
    from tests.factories import make_awarded_tender

    scene = make_awarded_tender(db, gm_ca, deposit_fen=DEPOSIT_FEN, before_opening=lambda t, u: pay_in_full(db, t, u))
    with pytest.raises(ForfeitureNotAllowed):
        forfeit_deposit(
            db, manager_of(db, scene["tender"]), tender_id=scene["tender"].id, entity_id=scene["award"].entity_id,
            ground=ForfeitureGround.NO_PERFORMANCE_SECURITY, reasons="未提交履约保证金",
            now=scene["award"].awarded_at + timedelta(days=1),
        )  # fmt: skip


def test_the_contract_records_whether_it_was_provided_and_is_never_barred(db: Session, gm_ca: Path) -> None:
    scene = awarded_with_security(db, gm_ca)
    contract(db, scene)  # not provided: the contract is recorded all the same
    security = performance.security_of(db, scene["tender"].id)
    assert security is not None
    assert security.at_contract == "not_provided"
    assert _events(db, "performance.checked_at_contract") == 1


def test_completion_orders_the_cash_back_along_its_route_and_the_receipt_debits_the_performance_account(
    db: Session, gm_ca: Path
) -> None:
    scene = awarded_with_security(db, gm_ca)
    tender = scene["tender"]
    security = performance.security_of(db, tender.id)
    assert security is not None
    sub = opened(db, purpose_accounts.of_tender(db, "performance", tender.id))  # type: ignore[arg-type]
    pay(db, sub, security.required_fen, payer_account="6222999988887777")
    agent = manager_of(db, tender)
    day = to_china_time(scene["award"].awarded_at).date()
    with pytest.raises(Conflict):  # before the contract: refused, nothing ordered
        performance.record_completion(db, agent, tender_id=tender.id, completed_on=day, now=TEST_NOW)
    assert _count(db, RefundOrderRow, RefundOrderRow.ground == "performance") == 0
    contract(db, scene)
    performance.record_completion(
        db, agent, tender_id=tender.id, completed_on=day, now=scene["award"].awarded_at + timedelta(days=3)
    )
    [order] = db.scalars(select(RefundOrderRow).where(RefundOrderRow.ground == "performance")).all()
    assert (order.to_account, order.principal_fen, order.interest_fen) == ("6222999988887777", security.required_fen, 0)
    assert order.from_sub_account == sub.number
    with pytest.raises(Conflict):  # once
        performance.record_completion(db, agent, tender_id=tender.id, completed_on=day, now=TEST_NOW)
    deposits_before = books.balances_by_purpose(db)[books.AccountPurpose.DEPOSIT]
    refunds.record_order_receipt(db, receipt(order.idempotency_key, OrderStatus.EXECUTED, txn="BX1"), now=TEST_NOW)
    assert performance.performance_balance(db, security) == 0
    assert books.balances_by_purpose(db)[books.AccountPurpose.DEPOSIT] == deposits_before


def test_a_performance_guarantee_from_an_onboarded_institution_provides_it(db: Session, gm_ca: Path) -> None:
    scene = awarded_with_security(db, gm_ca)
    tender = scene["tender"]
    bank = onboard(db)
    winner = principal(db, scene_winner_user(db, scene), Permission.AWARD_LETTERS_MINE)
    when = scene["award"].awarded_at

    def attach(body: dict, signature: str | None = None) -> PerformanceSecurity:
        return performance.attach_guarantee(
            db, winner, tender_id=tender.id, body=body, signature=signature or sign(bank, body),
            certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[], now=when,
        )  # fmt: skip

    security = performance.security_of(db, tender.id)
    assert security is not None
    for misfit in (
        guarantee_body(db, bank, scene, kind="bid"),  # a bid deposit's guarantee is not a 履约保函
        guarantee_body(db, bank, scene, amount_fen=security.required_fen - 1),
    ):
        with pytest.raises(performance.PerformanceGuaranteeMisfit):
            attach(misfit)
    body = guarantee_body(db, bank, scene)
    from ggzy.finance.guarantees import GuaranteeSignatureInvalid

    with pytest.raises(GuaranteeSignatureInvalid):
        attach(body, sign(bank, guarantee_body(db, bank, scene)))
    assert _events(db, "performance.guarantee_attached") == 0
    attach(body)
    current = performance.status(db, security)
    assert current.form == performance.GUARANTEE_FORM
    assert current.provided


def test_only_the_winner_attaches_a_guarantee(db: Session, gm_ca: Path) -> None:
    scene = awarded_with_security(db, gm_ca)
    loser = next(user for user in scene["bidders"] if user.entity_id != scene["award"].entity_id)
    bank = onboard(db)
    body = guarantee_body(db, bank, scene)
    with pytest.raises(performance.NotTheWinner):
        performance.attach_guarantee(
            db, principal(db, loser, Permission.AWARD_LETTERS_MINE), tender_id=scene["tender"].id, body=body,
            signature=sign(bank, body), certificate_pem=bank.certificate.certificate_pem, intermediates_pem=[],
            now=scene["award"].awarded_at,
        )  # fmt: skip
    assert _count(db, PurposeSubAccount, PurposeSubAccount.number.is_not(None)) == 0


def test_completion_releases_a_performance_guarantee_and_orders_no_cash(db: Session, gm_ca: Path) -> None:
    import json

    scene = awarded_with_security(db, gm_ca)
    tender = scene["tender"]
    bank = onboard(db)
    body = guarantee_body(db, bank, scene)
    performance.attach_guarantee(
        db, principal(db, scene_winner_user(db, scene), Permission.AWARD_LETTERS_MINE), tender_id=tender.id,
        body=body, signature=sign(bank, body), certificate_pem=bank.certificate.certificate_pem,
        intermediates_pem=[], now=scene["award"].awarded_at,
    )  # fmt: skip
    contract(db, scene)
    security = performance.security_of(db, tender.id)
    assert security is not None
    assert security.at_contract == "provided"
    performance.record_completion(
        db, manager_of(db, tender), tender_id=tender.id, completed_on=to_china_time(scene["award"].awarded_at).date(),
        now=scene["award"].awarded_at + timedelta(days=1),
    )  # fmt: skip
    assert _count(db, RefundOrderRow, RefundOrderRow.ground == "performance") == 0
    event = db.scalar(select(Event).where(Event.action == "performance.completed"))
    assert event is not None
    assert json.loads(event.payload)["guarantee_released"] == body["number"]
