"""Transaction service fees (交易服务费, decision 0037): the centre's schedule computed 差额定率累进 band by band,
versioned (the version in force at the award notice applies), the 缴费通知单 issued by the award notice, the payment
matched through its sub-account (exact, short, long, unknown, replayed)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.finance import books, fees, purpose_accounts
from ggzy.finance import service as finance
from ggzy.finance.models import BankCredit, FinanceAlert, Posting
from ggzy.finance.purpose_models import FeeNotice, FeeSchedule
from ggzy.finance.rules import AccountPurpose, AlertKind
from ggzy.tendering import service as tendering
from tests.conftest import TEST_NOW
from tests.factories import make_awarded_tender, make_centres, principal, user_with_role
from tests.finance.performance_support import BANDS, opened, pay, save
from tests.finance.support import notice


def _count(db: Session, model: type, *where: object) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def test_the_schedule_charges_each_band_of_the_amount_at_its_rate() -> None:
    """差额定率累进: 8,000,000 yuan = 1,000,000 at 0.5% + 4,000,000 at 0.3% + 3,000,000 at 0.1%."""
    computed = fees.compute(800_000_000, BANDS)
    assert [(line.portion_fen, line.rate_percent, line.fee_fen) for line in computed.lines] == [
        (100_000_000, "0.5", 500_000),
        (400_000_000, "0.3", 1_200_000),
        (300_000_000, "0.1", 300_000),
    ]
    assert computed.amount_fen == computed.subtotal_fen == 2_000_000
    small = fees.compute(50_000_000, BANDS)  # within the first band only
    assert [(line.portion_fen, line.fee_fen) for line in small.lines] == [(50_000_000, 250_000)]
    edge = fees.compute(100_000_000, BANDS)  # a bound belongs to its band
    assert len(edge.lines) == 1


def test_each_band_rounds_half_up_to_the_fen() -> None:
    computed = fees.compute(333, [fees.Band(None, Decimal("0.15"))])  # 0.4995 fen
    assert computed.lines[0].fee_fen == 0
    assert fees.compute(334, [fees.Band(None, Decimal("0.15"))]).amount_fen == 1  # 0.501


def test_the_minimum_and_the_maximum_decide_when_the_bands_fall_outside_them() -> None:
    low = fees.compute(1_000_000, BANDS, minimum_fen=100_000, maximum_fen=1_000_000)
    assert (low.subtotal_fen, low.applied, low.amount_fen) == (5_000, "minimum", 100_000)
    high = fees.compute(800_000_000, BANDS, minimum_fen=100_000, maximum_fen=1_000_000)
    assert (high.subtotal_fen, high.applied, high.amount_fen) == (2_000_000, "maximum", 1_000_000)


@pytest.mark.parametrize(
    "bands",
    [
        [fees.Band(500, Decimal("1")), fees.Band(100, Decimal("1")), fees.Band(None, Decimal("1"))],  # descending
        [fees.Band(100, Decimal("1"))],  # the last band bounded
        [fees.Band(None, Decimal("100.5"))],  # a rate above 100%
        [fees.Band(None, Decimal("0.00001"))],  # five decimals
        [],
    ],
)
def test_a_malformed_schedule_is_refused_and_leaves_no_version_nor_event(db: Session, bands: list) -> None:
    centre = make_centres(db)["city"]
    with pytest.raises(fees.FeeScheduleInvalid):
        save(db, centre.id, bands=bands)
    assert _count(db, FeeSchedule) == 0
    assert _count(db, Event, Event.action == "fee.schedule_saved") == 0


def test_only_the_centres_own_staff_save_its_schedule(db: Session) -> None:
    centres = make_centres(db)
    other = principal(
        db, user_with_role(db, Role.CENTRE_STAFF, centre_id=centres["province"].id), Permission.FEE_SCHEDULE_MANAGE
    )
    with pytest.raises(fees.NotTheCentresStaff):
        fees.save_schedule(
            db, other, bands=BANDS, payer=fees.FeePayer.WINNER, minimum_fen=None, maximum_fen=None, due_days=10,
            now=TEST_NOW, centre_id=centres["city"].id,
        )  # fmt: skip
    assert _count(db, FeeSchedule) == 0


def _centre_of(db: Session, tender: object) -> int:
    project, _ = tendering.project_of(db, tender)  # type: ignore[arg-type]
    return project.centre_id


def test_versions_the_one_in_force_at_the_award_notice_applies(db: Session, gm_ca: Path) -> None:
    saved: list[FeeSchedule] = []

    def schedules(tender: object, _: object) -> None:
        centre_id = _centre_of(db, tender)
        saved.append(save(db, centre_id, at=TEST_NOW))
        saved.append(save(db, centre_id, bands=[fees.Band(None, Decimal("1"))], at=TEST_NOW + timedelta(days=1)))

    scene = make_awarded_tender(db, gm_ca, before_opening=schedules)  # awarded well after the second version
    first, second = saved
    centre_id = first.centre_id
    assert (first.version, second.version) == (1, 2)
    assert fees.in_force(db, centre_id, TEST_NOW + timedelta(hours=1)) == first
    assert fees.in_force(db, centre_id, TEST_NOW + timedelta(days=2)) == second
    assert fees.in_force(db, centre_id, TEST_NOW - timedelta(days=1)) is None
    award = scene["award"]
    notice_row = fees.notice_of(db, scene["tender"].id)
    assert notice_row is not None
    assert notice_row.schedule_id == second.id
    assert notice_row.amount_fen == award.price_fen // 100  # 1% flat
    save(db, centre_id, at=award.awarded_at + timedelta(days=1))  # a later version changes no notice issued
    db.refresh(notice_row)
    assert notice_row.schedule_id == second.id


def test_the_award_notice_issues_the_fee_notice_to_the_payer_the_schedule_names(db: Session, gm_ca: Path) -> None:
    scene = make_awarded_tender(
        db, gm_ca,
        before_opening=lambda t, u: save(db, _centre_of(db, t), payer=fees.FeePayer.OWNER, due_days=15),
    )  # fmt: skip
    award, tender = scene["award"], scene["tender"]
    project, _ = tendering.project_of(db, tender)
    row = fees.notice_of(db, tender.id)
    assert row is not None
    assert row.payer_entity_id == project.owner_id
    assert row.base_fen == award.price_fen
    assert row.due_on == to_china_time(award.awarded_at).date() + timedelta(days=15)
    view = fees.view(db, row)
    assert view.computation.amount_fen == row.amount_fen == fees.compute(award.price_fen, BANDS).amount_fen
    assert view.sub_account.reference == f"fee-{tender.id}"
    assert view.status is fees.FeeStatus.UNPAID
    assert _count(db, Event, Event.action == "fee.notice_issued") == 1


def test_no_schedule_no_notice(db: Session, gm_ca: Path) -> None:
    scene = make_awarded_tender(db, gm_ca)
    assert fees.notice_of(db, scene["tender"].id) is None
    assert _count(db, FeeNotice) == 0


def _issued(db: Session, gm_ca: Path) -> FeeNotice:
    scene = make_awarded_tender(db, gm_ca, before_opening=lambda t, u: save(db, _centre_of(db, t)))
    row = fees.notice_of(db, scene["tender"].id)
    assert row is not None
    opened(db, fees.view(db, row).sub_account)
    return row


def test_an_exact_payment_is_posted_to_fees_and_has_its_receipt(db: Session, gm_ca: Path) -> None:
    row = _issued(db, gm_ca)
    before = books.balances_by_purpose(db)
    pay(db, fees.view(db, row).sub_account, row.amount_fen)
    view = fees.view(db, row)
    assert view.status is fees.FeeStatus.PAID
    assert view.receipt_number is not None
    assert view.paid_at is not None
    after = books.balances_by_purpose(db)
    assert after[AccountPurpose.FEES] - before[AccountPurpose.FEES] == row.amount_fen
    assert after[AccountPurpose.SETTLEMENT] - before[AccountPurpose.SETTLEMENT] == row.amount_fen
    assert _count(db, Posting, Posting.kind == "fee_credit") == 1
    assert _count(db, FinanceAlert) == 0


@pytest.mark.parametrize(
    ("delta", "status", "alert"),
    [(-1, fees.FeeStatus.SHORT, AlertKind.PAYMENT_SHORT), (1, fees.FeeStatus.OVERPAID, AlertKind.PAYMENT_LONG)],
)
def test_a_payment_short_or_long_is_an_alert_for_the_centre(
    db: Session, gm_ca: Path, delta: int, status: fees.FeeStatus, alert: AlertKind
) -> None:
    row = _issued(db, gm_ca)
    pay(db, fees.view(db, row).sub_account, row.amount_fen + delta)
    assert fees.view(db, row).status is status
    [raised] = db.scalars(select(FinanceAlert)).all()
    assert raised.kind == alert.value
    assert raised.centre_id == row.centre_id
    assert (fees.view(db, row).receipt_number is None) == (delta < 0)


def test_a_replayed_notice_is_recorded_once(db: Session, gm_ca: Path) -> None:
    row = _issued(db, gm_ca)
    sub = fees.view(db, row).sub_account
    first = purpose_accounts.record_credit(
        db, notice(sub.number or "", row.amount_fen, bank_txn_id="TXNFEE1"), now=TEST_NOW
    )
    again = purpose_accounts.record_credit(
        db, notice(sub.number or "", row.amount_fen, bank_txn_id="TXNFEE1"), now=TEST_NOW
    )
    assert (first.repeated, again.repeated) == (False, True)
    assert again.credit.id == first.credit.id
    assert _count(db, BankCredit, BankCredit.bank_txn_id == "TXNFEE1") == 1
    assert _count(db, Posting, Posting.kind == "fee_credit") == 1
    assert _count(db, Event, Event.action == "finance.purpose_credit_recorded") == 1
    assert fees.view(db, row).paid_fen == row.amount_fen


def test_a_payment_to_an_unknown_reference_goes_to_suspense_with_an_alert(db: Session, gm_ca: Path) -> None:
    _issued(db, gm_ca)
    unknown = notice("6228999999999999", 12_345)
    assert not purpose_accounts.is_purpose_number(db, unknown.sub_account)
    with pytest.raises(Exception, match="not found"):
        purpose_accounts.record_credit(db, unknown, now=TEST_NOW)
    finance.record_credit(db, unknown, now=TEST_NOW)  # the webhook's path for a number that is no purpose's
    assert _count(db, FinanceAlert, FinanceAlert.kind == AlertKind.UNKNOWN_SUB_ACCOUNT.value) == 1
    assert books.balances_by_purpose(db)[AccountPurpose.SUSPENSE] == 12_345
    assert _count(db, Posting, Posting.kind == "fee_credit") == 0
