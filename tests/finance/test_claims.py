"""Claims follow forfeiture (decision 0036): when the owner keeps the deposit of a bidder whose deposit was an
electronic guarantee (招标投标法实施条例 第35条 第2款, 第74条), the decision itself lodges the claim on that guarantee,
in its transaction and under its event; the institution's payment arrives through the bank into the bidder's
sub-account and is posted to forfeited deposits in double entry, and the bank's statement reconciles."""

# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.finance import books
from ggzy.finance import service as finance
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.forfeiture import ForfeitureGround, ForfeitureNotAllowed, forfeit_deposit
from ggzy.finance.guarantees import Guarantee, GuaranteeStatus, pay_claim
from ggzy.finance.models import DepositSubAccount, FinanceAlert, Forfeiture, Posting
from ggzy.finance.reconciliation import reconcile
from ggzy.finance.rules import AccountPurpose, PayerCheck
from ggzy.finance.worker import FinanceWorker
from tests.conftest import TEST_NOW
from tests.factories import event_count, make_opened_tender, principal
from tests.finance.bank.conftest import BankProcess, NoticeReceiver, bank_day
from tests.finance.guarantees_support import Bank, entity_of, issued, onboard
from tests.finance.support import DEPOSIT_FEN
from tests.finance.worker_support import adapter, bank, factory, receiver, worker  # noqa: F401 (fixtures)

INSTITUTION_ACCOUNT = "9558800200112233"


def _scene(db: Session, ca_dir: Path) -> tuple[dict, Guarantee, Bank]:
    """An opened tender whose first bidder's deposit is an electronic guarantee (nothing paid in)."""
    seen: dict[str, object] = {}

    def before(tender, bidders):  # type: ignore[no-untyped-def]
        seen["bank"] = institution = onboard(db)
        seen["row"] = issued(db, institution, tender, entity_of(db, bidders[0]))

    scene = make_opened_tender(
        db, ca_dir, prices=[10_000_000, 11_000_000, 12_000_000], deposit_fen=DEPOSIT_FEN, before_opening=before
    )
    return scene, seen["row"], seen["bank"]  # type: ignore[return-value]


def _decide(db: Session, scene: dict, *, now: object = None) -> Callable[[], Forfeiture]:
    agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    return lambda: forfeit_deposit(
        db, agent, tender_id=scene["tender"].id, entity_id=scene["bidders"][0].entity_id,
        ground=ForfeitureGround.REVOKED_AFTER_DEADLINE, reasons="投标截止后书面通知撤销投标文件",
        now=now or scene["opened_at"],
    )  # fmt: skip


def _counts(db: Session) -> tuple[int, ...]:
    def count(model: type) -> int:
        return db.scalar(select(func.count()).select_from(model)) or 0

    return count(Forfeiture), count(Posting), count(DepositSubAccount), event_count(db)


def test_regulations_art_35_keeping_a_guaranteed_deposit_lodges_the_claim_in_the_decision(
    db: Session, gm_ca: Path
) -> None:
    scene, guarantee, _ = _scene(db, gm_ca)
    before = _counts(db)

    decision = _decide(db, scene)()

    assert (decision.guarantee_id, decision.posting_id, decision.amount_fen) == (guarantee.id, None, DEPOSIT_FEN)
    assert guarantee.status == GuaranteeStatus.CLAIMED.value
    assert "第三十五条" in (guarantee.claim_reason or "")
    event = db.get(Event, decision.event_id)
    assert event is not None
    assert event.action == "deposit.forfeited"
    assert (json.loads(event.payload)["guarantee_id"], json.loads(event.payload)["claim_fen"]) == (
        guarantee.id,
        DEPOSIT_FEN,
    )
    # one decision, one event; no money moved yet; the bidder's sub-account asked for, for the claim's payment
    assert _counts(db) == (before[0] + 1, before[1], before[2] + 1, before[3] + 1)
    wanted = finance.sub_account_of(db, tender_id=scene["tender"].id, entity_id=guarantee.applicant_entity_id)
    assert wanted is not None
    assert wanted.number is None  # the bank worker opens it


def test_a_guarantee_no_longer_in_force_cannot_be_claimed_and_the_decision_leaves_nothing(
    db: Session, gm_ca: Path
) -> None:
    scene, guarantee, _ = _scene(db, gm_ca)
    before = _counts(db)
    with pytest.raises(ForfeitureNotAllowed):
        _decide(db, scene, now=guarantee.valid_until + timedelta(days=1))()
    assert _counts(db) == before
    assert guarantee.status == GuaranteeStatus.ISSUED.value


def test_the_institution_pays_the_claim_through_the_bank_posted_to_forfeited_and_reconciled(
    db: Session, gm_ca: Path, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver,
    adapter: HttpBankAdapter,
) -> None:  # fmt: skip
    scene, guarantee, institution = _scene(db, gm_ca)
    _decide(db, scene)()
    db.commit()
    assert worker.work_once().opened == 1  # the sub-account the claim is paid into
    db.expire_all()
    row = finance.sub_account_of(db, tender_id=scene["tender"].id, entity_id=guarantee.applicant_entity_id)
    assert row is not None
    assert row.number

    txn = bank.pay_in(row.number, DEPOSIT_FEN, payer=INSTITUTION_ACCOUNT, name="某担保有限公司")
    delivered = next(item for item in receiver.wait_for(1) if txn.encode() in item.body)
    credit = finance.record_credit(db, adapter.verify_notice(delivered.body, delivered.signature), now=TEST_NOW).credit
    pay_claim(db, institution.actor(db), guarantee_id=guarantee.id, payment_reference=txn, now=scene["opened_at"])
    db.commit()

    assert credit.payer_check == PayerCheck.GUARANTOR.value
    assert db.scalar(select(FinanceAlert).where(FinanceAlert.credit_id == credit.id)) is None  # no payer alert
    totals = books.balances_by_purpose(db)
    assert (totals[AccountPurpose.FORFEITED], totals[AccountPurpose.DEPOSIT]) == (DEPOSIT_FEN, 0)
    assert totals[AccountPurpose.SETTLEMENT] == DEPOSIT_FEN
    assert books.incomplete_postings(db) == []
    posting = db.get(Posting, credit.posting_id)
    assert posting is not None
    assert posting.kind == "claim_payment"
    assert guarantee.status == GuaranteeStatus.PAID.value
    statement = adapter.statement(bank_day(bank))
    run = reconcile(db, statement, now=TEST_NOW)
    assert (run.differences, run.matched_lines) == (0, 1)
    assert statement.closing_balance_fen == totals[AccountPurpose.SETTLEMENT]
