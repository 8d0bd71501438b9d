"""What orders the refunds (decision 0031): the award notice, the contract, a withdrawal before the deadline and a
termination each order the deposits back in their own transaction, with principal, interest and the last lawful day;
an order made after that day is a recorded violation, never a refusal."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.config import get_settings
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import to_china_time
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.core.violations import PeriodViolation
from ggzy.entities.models import User
from ggzy.finance.refund_rules import AFTER_CONTRACT, AFTER_WITHDRAWAL, interest_fen
from ggzy.finance.refund_triggers import refund_orders_of
from ggzy.storage import LocalBlobStore
from ggzy.tendering import bids
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procurement_periods import PROCUREMENT_PERIODS
from tests.awards.procurement_support import award_procurement
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import make_awarded_tender, make_evaluated_tender, make_opened_tender, principal
from tests.finance.support import DEPOSIT_FEN, deposit_tender, paid, pay_in_full
from tests.tendering.test_bids import Bidder, seal

_pay_all = pay_in_full


def _awarded(db: Session, gm_ca: Path) -> dict:
    return make_awarded_tender(db, gm_ca, deposit_fen=DEPOSIT_FEN, before_opening=lambda t, u: _pay_all(db, t, u))


def _orders_by_entity(db: Session, tender_id: int) -> dict[int, list]:
    found: dict[int, list] = {}
    for row in refund_orders_of(db, tender_id):
        found.setdefault(row.entity_id, []).append(row)
    return found


def test_regulations_art_57_losers_refunded_the_day_of_the_award_notice_well_before_the_latest_day_5_days_after_the_contract(  # noqa: E501
    db: Session, gm_ca: Path
) -> None:
    """招标投标法实施条例 第57条 第2款: 最迟 5 日 after the contract. The platform orders the losers' deposits back in
    the award notice's own transaction; their last lawful day is 5 日 after the last day the contract may be signed
    (招标投标法 第46条: the award's contract_due)."""
    scene = _awarded(db, gm_ca)
    tender, award = scene["tender"], scene["award"]
    orders = _orders_by_entity(db, tender.id)  # no commit in between: the award's transaction
    losers = {user.entity_id for user in scene["bidders"]} - {award.entity_id}
    assert set(orders) == losers
    assert len(losers) == 2
    award_day = to_china_time(award.awarded_at).date()
    due = AFTER_CONTRACT.last_day(working_day_calendar(db), award.contract_due)
    for rows in orders.values():
        [row] = rows
        assert row.ground == "unsuccessful"
        assert row.status == "pending"
        assert to_china_time(row.ordered_at).date() == award_day  # the day of the award notice
        assert row.due_on == due
        assert row.due_on > award_day
        assert row.principal_fen == DEPOSIT_FEN
        assert row.interest_fen == interest_fen(
            DEPOSIT_FEN, booked_on=to_china_time(TEST_NOW + timedelta(days=2)).date(), refunded_on=award_day,
            annual_rate=get_settings().deposit_interest_annual_rate,
            day_basis=360,
        )  # fmt: skip
        assert row.interest_fen > 0  # 第57条: with the bank's interest for the same period
    assert award.entity_id not in orders  # the winner's waits for the contract
    assert not db.scalars(select(PeriodViolation).where(PeriodViolation.subject_id == str(tender.id))).all()


def test_regulations_art_57_the_contract_orders_the_winners_refund_within_5_days(db: Session, gm_ca: Path) -> None:
    scene = _awarded(db, gm_ca)
    tender, award = scene["tender"], scene["award"]
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    day = to_china_time(award.awarded_at).date()
    awards.record_contract(
        db, manager, tender_id=tender.id, amount_fen=award.price_fen, signed_on=day, blob_sha256=None,
        now=award.awarded_at + timedelta(hours=2),
    )  # fmt: skip
    [row] = _orders_by_entity(db, tender.id)[award.entity_id]
    assert row.ground == "successful"
    assert row.due_on == AFTER_CONTRACT.last_day(working_day_calendar(db), day)
    assert row.interest_fen > 0
    assert sum(len(rows) for rows in _orders_by_entity(db, tender.id).values()) == 3  # nobody twice


def test_regulations_art_57_a_winners_refund_ordered_after_its_5_days_is_recorded_as_a_violation_not_refused(
    db: Session, gm_ca: Path
) -> None:
    """The contract signed the day of the award but recorded 12 days later: the refund is ordered then, after its
    last day, and the missed period is recorded with the order's event."""
    scene = _awarded(db, gm_ca)
    tender, award = scene["tender"], scene["award"]
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    signed_on = to_china_time(award.awarded_at).date()
    awards.record_contract(
        db, manager, tender_id=tender.id, amount_fen=award.price_fen, signed_on=signed_on, blob_sha256=None,
        now=award.awarded_at + timedelta(days=12),
    )  # fmt: skip
    [row] = _orders_by_entity(db, tender.id)[award.entity_id]
    assert row.status == "pending"  # ordered all the same
    [violation] = db.scalars(select(PeriodViolation).where(PeriodViolation.period_key == AFTER_CONTRACT.key)).all()
    assert violation.subject_id == str(tender.id)
    assert violation.due == row.due_on
    assert violation.days_late == (to_china_time(row.ordered_at).date() - row.due_on).days > 0
    event = db.get(Event, violation.event_id)
    assert event is not None
    assert event.action == "deposit.refund_ordered"
    assert '"violation"' in event.payload


def test_procurement_regulations_art_33_losers_within_5_working_days_of_the_letter_winner_of_the_contract(
    db: Session, gm_ca: Path
) -> None:
    scene = make_evaluated_tender(
        db, gm_ca, trade_type="gov_procurement", procedure="gp_open", deposit_fen=DEPOSIT_FEN,
        before_opening=lambda t, u: _pay_all(db, t, u),
    )  # fmt: skip
    tender = scene["tender"]
    scene = award_procurement(db, scene, now=scene["reported_at"])
    award = scene["award"]
    orders = _orders_by_entity(db, tender.id)
    letter_day = to_china_time(award.awarded_at).date()
    calendar = working_day_calendar(db)
    assert set(orders) == {user.entity_id for user in scene["bidders"]} - {award.entity_id}
    for [row] in orders.values():
        assert row.due_on == PROCUREMENT_PERIODS.deposit_refund_unsuccessful.last_day(calendar, letter_day)
        assert row.interest_fen == 0  # the article names no interest
    awards.record_contract(
        db, scene["manager"], tender_id=tender.id, amount_fen=award.price_fen, signed_on=letter_day,
        blob_sha256=None, now=award.awarded_at + timedelta(hours=1),
    )  # fmt: skip
    [row] = _orders_by_entity(db, tender.id)[award.entity_id]
    assert row.ground == "successful"
    assert row.due_on == PROCUREMENT_PERIODS.deposit_refund_successful.last_day(calendar, letter_day)


def test_regulations_art_31_termination_orders_every_deposit_back_with_interest_the_same_day(db: Session) -> None:
    tender, setup = deposit_tender(db)
    rows = [paid(db, tender) for _ in range(3)]
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    when = TEST_NOW + timedelta(days=20)
    tendering.cancel_tender(db, agent, tender_id=tender.id, reason="项目取消", now=when)
    orders = _orders_by_entity(db, tender.id)
    assert set(orders) == {row.entity_id for row in rows}
    for [order] in orders.values():
        assert order.ground == "terminated"
        assert order.interest_fen > 0
        assert order.due_on is None  # 及时: no period, ordered the same day
        assert order.ordered_at == when


def test_regulations_art_35_a_withdrawal_before_the_deadline_orders_its_deposit_within_5_days(
    db: Session, gm_ca: Path, tmp_path: Path
) -> None:
    seen: dict = {}

    def before(tender: Tender, users: list[User]) -> None:
        _pay_all(db, tender, users)
        bidder = Bidder(db, gm_ca, tender.id)
        actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
        envelope = seal(db, tender, bidder, summary={"price_fen": 80_000_000, "schedule_days": 300})
        bids.submit_bid(
            db, actor, tender_id=tender.id, envelope=io.BytesIO(envelope), store=LocalBlobStore(tmp_path / "b"),
            max_bytes=10**8, details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
        )  # fmt: skip
        _pay_all(db, tender, [bidder.user])
        assert not refund_orders_of(db, tender.id)
        withdrawn_at = TEST_NOW + timedelta(days=3)
        bids.withdraw_bid(db, actor, tender_id=tender.id, now=withdrawn_at)
        seen.update(entity=bidder.user.entity_id, orders=refund_orders_of(db, tender.id), at=withdrawn_at)

    make_opened_tender(db, gm_ca, prices=[10_000_000] * 3, deposit_fen=DEPOSIT_FEN, before_opening=before)
    [order] = seen["orders"]
    assert order.entity_id == seen["entity"]
    assert order.ground == "withdrawn"
    day = to_china_time(seen["at"]).date()
    assert order.due_on == AFTER_WITHDRAWAL.last_day(working_day_calendar(db), day)
    assert order.interest_fen == 0  # 第35条 names no interest


def test_a_tender_without_deposits_is_awarded_as_before_with_no_refund_event(db: Session, gm_ca: Path) -> None:
    scene = make_awarded_tender(db, gm_ca)
    assert refund_orders_of(db, scene["tender"].id) == []
    assert db.scalar(select(Event.id).where(Event.action == "deposit.refund_ordered")) is None


def test_a_reaction_runs_in_the_steps_transaction_and_its_failure_undoes_the_step(db: Session) -> None:
    """The refunds are ordered inside the termination's transaction: when anything in a reaction fails, the
    termination, its event and the orders made before the failure are all undone."""
    from ggzy.core.errors import Conflict
    from ggzy.core.events import REACTIONS, register_reaction

    tender, setup = deposit_tender(db)
    paid(db, tender)
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)

    def failing(_db: Session, _event: Event) -> None:
        raise Conflict(field="tender_id", reason_zh="测试", reason_en="test")

    register_reaction("tender.cancelled", failing)
    try:
        savepoint = db.begin_nested()
        try:
            tendering.cancel_tender(db, agent, tender_id=tender.id, reason="项目取消", now=TEST_NOW)
        except Conflict:
            savepoint.rollback()
        else:  # pragma: no cover - the reaction must raise
            raise AssertionError("the failing reaction did not run")
    finally:
        REACTIONS["tender.cancelled"].remove(failing)
    db.refresh(tender)
    assert tender.cancelled_at is None
    assert refund_orders_of(db, tender.id) == []
    assert db.scalar(select(Event.id).where(Event.action == "tender.cancelled")) is None
