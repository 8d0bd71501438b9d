"""What orders the refunds (decision 0031): finance's reactions to the events of the lower and sibling domains, each
run in the transaction of its event (``ggzy.core.events.register_reaction``, installed by ``ggzy.wiring``: awards
and tendering never import finance).

* ``award.awarded`` — the award notice and its letters: every bidder's deposit but the winner's, **the same day**.
  招标投标法实施条例 第57条 第2款 sets only the latest day (最迟: 5 日 after the written contract); the platform does
  not wait for the contract (the seeds' best: refunds the day of the award notice). Under 政府采购法实施条例 第33条
  the unsuccessful suppliers' deposits are due within 5 工作日 of the letter of award.
* ``award.contract_recorded`` — the contract: the winner's deposit (第57条: within 5 日 of the contract; 政府采购法
  实施条例 第33条: within 5 工作日 of it), and any other deposit not yet ordered back.
* ``bid.withdrawn`` — a bid withdrawn before the deadline: its deposit (第35条: within 5 日 of the written withdrawal).
* ``tender.cancelled`` — the tender terminated: every deposit, with interest (第31条: 及时, no period).

Each order carries its principal, the interest its ground gives (``Settings.deposit_interest_annual_rate`` and
``deposit_interest_day_basis``) and its last lawful day (``due_on``, by the one period function). An order made
after that day is still made, and the missed period is recorded as a violation (``ggzy.core.violations``).
Deposits the owner decided to keep (:mod:`ggzy.finance.forfeiture`) are never ordered back. Orders only: the bank
worker sends them.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.config import get_settings
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import to_china_time
from ggzy.core.events import Event, events_for, register_reaction
from ggzy.core.periods import StatutoryPeriod
from ggzy.core.permissions import SYSTEM
from ggzy.finance.models import DepositSubAccount, Forfeiture, RefundOrderRow
from ggzy.finance.refund_rules import RefundDue, RefundGround, refund_due
from ggzy.finance.refunds import order_refunds
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import procedure


def _law_key(db: Session, tender_id: int) -> str:
    return procedure(tendering.get_tender(db, tender_id).procedure).law.key


def _depositors(db: Session, tender_id: int) -> list[int]:
    """The entities with a deposit sub-account on the tender, less those whose deposit the owner kept."""
    kept = select(Forfeiture.entity_id).where(Forfeiture.tender_id == tender_id)
    query = (
        select(DepositSubAccount.entity_id)
        .where(DepositSubAccount.tender_id == tender_id, DepositSubAccount.entity_id.not_in(kept))
        .order_by(DepositSubAccount.id)
    )
    return list(db.scalars(query))


def _due_on(db: Session, due: RefundDue, event_day: date) -> date | None:
    return due.last_day(working_day_calendar(db), event_day)


def _order(db: Session, event: Event, tender_id: int, entity_id: int, due: RefundDue, due_on: date | None) -> None:
    settings = get_settings()
    order_refunds(
        db, SYSTEM, tender_id=tender_id, entity_id=entity_id, ground=due.ground,
        annual_rate=settings.deposit_interest_annual_rate, day_basis=settings.deposit_interest_day_basis,
        now=event.occurred_at, due_on=due_on, period=due.period,
    )  # fmt: skip


def _payload(event: Event) -> dict[str, Any]:
    return dict(json.loads(event.payload))


def _award_event(db: Session, tender_id: int) -> Event | None:
    found = [event for event in events_for(db, "tender", tender_id) if event.action == "award.awarded"]
    return found[-1] if found else None


def _losers_due(db: Session, law_key: str, award: Event) -> tuple[RefundDue, date | None]:
    """The unsuccessful bidders' last day: 政府采购法实施条例 第33条, 5 工作日 from the letter of award; 招标投标法实施
    条例 第57条, 5 日 from the contract — at the award, from the last day the contract may be signed (招标投标法
    第46条: the award's ``contract_due``), the latest the law allows."""
    due = refund_due(law_key, RefundGround.UNSUCCESSFUL)
    if due.event == "award_letter":
        return due, _due_on(db, due, to_china_time(award.occurred_at).date())
    return due, _due_on(db, due, date.fromisoformat(_payload(award)["contract_due"]))


def on_award(db: Session, event: Event) -> None:
    """The award notice: every bidder's deposit but the winner's, ordered back in this transaction."""
    tender_id, winner = int(event.subject_id), int(_payload(event)["entity_id"])
    due, due_on = _losers_due(db, _law_key(db, tender_id), event)
    for entity_id in _depositors(db, tender_id):
        if entity_id != winner:
            _order(db, event, tender_id, entity_id, due, due_on)


def on_contract(db: Session, event: Event) -> None:
    """The contract: the winner's deposit, due 5 日 (第57条) or 5 工作日 (政府采购法实施条例 第33条) after it was
    signed, and any other deposit not ordered back yet (paid after the award, say)."""
    tender_id = int(event.subject_id)
    law_key = _law_key(db, tender_id)
    award = _award_event(db, tender_id)
    winner = int(_payload(award)["entity_id"]) if award is not None else None
    signed_on = date.fromisoformat(_payload(event)["signed_on"])
    won = refund_due(law_key, RefundGround.SUCCESSFUL)
    lost = refund_due(law_key, RefundGround.UNSUCCESSFUL)
    for entity_id in _depositors(db, tender_id):
        if entity_id == winner:
            _order(db, event, tender_id, entity_id, won, _due_on(db, won, signed_on))
        elif lost.event == "contract" or award is None:
            _order(db, event, tender_id, entity_id, lost, _due_on(db, lost, signed_on))
        else:
            _order(db, event, tender_id, entity_id, *_losers_due(db, law_key, award))


def on_withdrawal(db: Session, event: Event) -> None:
    """A bid withdrawn before the deadline (第35条 第1款: within 5 日 of receiving the written withdrawal, which the
    platform receives at the event)."""
    tender_id, entity_id = int(event.subject_id), event.actor_entity_id
    if entity_id is None or entity_id not in _depositors(db, tender_id):
        return
    due = refund_due(_law_key(db, tender_id), RefundGround.WITHDRAWN)
    _order(db, event, tender_id, entity_id, due, _due_on(db, due, to_china_time(event.occurred_at).date()))


def on_termination(db: Session, event: Event) -> None:
    """The tender terminated (第31条: every deposit with interest, 及时): ordered the same day."""
    if not _payload(event).get("refunds_due", True):
        return
    tender_id = int(event.subject_id)
    due = refund_due(_law_key(db, tender_id), RefundGround.TERMINATED)
    for entity_id in _depositors(db, tender_id):
        _order(db, event, tender_id, entity_id, due, _due_on(db, due, to_china_time(event.occurred_at).date()))


def refund_round(
    db: Session, *, tender_id: int, keep_entity_ids: Collection[int], article: str, period: StatutoryPeriod | None,
    due_on: date, now: datetime,
) -> list[int]:  # fmt: skip
    """A rights trade's end or close (decisions 0051, 0053; called by the auctions domain, which sits above finance):
    every deposit of the round ordered back now but ``keep_entity_ids``' (the buyer's, set against the price; at the
    end, those the result does not decide yet) and those the seller kept (ordering again orders nothing); ``due_on``
    is the auction's rule's last day (``period`` its period, None when it counts hours; ``article`` its source).
    The entities ordered, in sub-account order."""
    settings, ordered = get_settings(), []
    for entity_id in _depositors(db, tender_id):
        if entity_id not in keep_entity_ids:
            order_refunds(
                db, SYSTEM, tender_id=tender_id, entity_id=entity_id, ground=RefundGround.UNSUCCESSFUL,
                annual_rate=settings.deposit_interest_annual_rate, day_basis=settings.deposit_interest_day_basis,
                now=now, due_on=due_on, period=period, article=article,
            )  # fmt: skip
            ordered.append(entity_id)
    return ordered


def refund_orders_of(db: Session, tender_id: int) -> list[RefundOrderRow]:
    query = select(RefundOrderRow).where(RefundOrderRow.tender_id == tender_id).order_by(RefundOrderRow.id)
    return list(db.scalars(query))


def register() -> None:
    register_reaction("award.awarded", on_award)
    register_reaction("award.contract_recorded", on_contract)
    register_reaction("bid.withdrawn", on_withdrawal)
    register_reaction("tender.cancelled", on_termination)
