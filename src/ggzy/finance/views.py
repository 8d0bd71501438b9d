"""Read models of the deposits (decision 0031): each bid's deposit status at the opening, and a bidder's own.

Who paid, and how many did, is sealed like the bids until the opening (招标投标法 第22条; DESIGN §4.3): before it,
:func:`tender_deposits` shows a bidder its own deposit and nobody else anything (:mod:`ggzy.finance.access`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ggzy.core.errors import NotFound
from ggzy.core.permissions import Principal
from ggzy.entities.service import entity_names
from ggzy.finance import guarantees, service
from ggzy.finance.access import DepositsSealed, Reader, deposit_reader
from ggzy.finance.rules import DepositAssessment, PayerCheck, Payment, assess_deposit
from ggzy.tendering import read as tendering_read
from ggzy.tendering import service as tendering


@dataclass(frozen=True)
class DepositStatus:
    entity_id: int
    entity_name: str
    bid_id: str | None  # the bid's public id (None: a bidder that has not bid, reading its own)
    sub_account: str | None  # the sub-account to pay into (None: not opened yet)
    paid_fen: int  # everything credited to the sub-account
    assessment: DepositAssessment
    guarantee_id: int | None = None  # the electronic guarantee that meets it (decision 0035)


@dataclass(frozen=True)
class TenderDeposits:
    tender_id: int
    required_fen: int | None  # None: the tender requires no deposit
    bid_validity_days: int | None
    bid_deadline: datetime
    reader: Reader
    deposits: list[DepositStatus]


def _status(
    db: Session, *, tender_id: int, entity_id: int, name: str, bid_id: str | None, required_fen: int,
    bid_deadline: datetime, bid_validity_days: int | None = None,
) -> DepositStatus:  # fmt: skip
    row = service.sub_account_of(db, tender_id=tender_id, entity_id=entity_id)
    credits = service.credits_of(db, row.id) if row is not None else []
    payments = [Payment(c.amount_fen, c.booked_at, PayerCheck(c.payer_check)) for c in credits]
    assessment = assess_deposit(required_fen, payments, bid_deadline=bid_deadline)
    guarantee = None
    if not assessment.met and bid_validity_days is not None:  # an electronic guarantee in its stead (decision 0035)
        guarantee = guarantees.covering_guarantee(
            db, tender_id=tender_id, entity_id=entity_id, required_fen=required_fen, bid_deadline=bid_deadline,
            valid_until=bid_deadline + timedelta(days=bid_validity_days),
        )  # fmt: skip
        if guarantee is not None:
            assessment = replace(
                assessment, counted_fen=guarantee.amount_fen, met=True, shortfall=None,
                form=guarantees.E_GUARANTEE_FORM,
            )  # fmt: skip
    return DepositStatus(
        entity_id=entity_id, entity_name=name, bid_id=bid_id, sub_account=row.number if row is not None else None,
        paid_fen=sum(c.amount_fen for c in credits), assessment=assessment,
        guarantee_id=guarantee.id if guarantee is not None else None,
    )  # fmt: skip


def deposits_at_opening(db: Session, *, tender_id: int) -> list[DepositStatus]:
    """Each bid standing at the deadline with its deposit met or not, in the opening record's order (paid into its
    own sub-account, booked by the bid deadline, from the basic account where 第26条 requires it, in full). For the
    opening record and the pages: the caller has checked that the opening began and that its reader may see it."""
    tender = tendering.get_tender(db, tender_id)
    if tender.deposit_fen is None:
        return []
    bids = tendering_read.bids_at_opening(db, tender_id)
    names = entity_names(db, [entity_id for _, entity_id in bids]) if bids else {}
    return [
        _status(
            db,
            tender_id=tender_id,
            entity_id=entity_id,
            name=names.get(entity_id, ""),
            bid_id=bid_id,
            required_fen=tender.deposit_fen,
            bid_deadline=tender.bid_deadline,
            bid_validity_days=tender.bid_validity_days,
        )
        for bid_id, entity_id in bids
    ]


def tender_deposits(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> TenderDeposits:
    """What ``actor`` may see of a tender's deposits: a bidder its own at any time; the owner, its agent, the
    centre's staff and the supervisor every bid's once the opening began, and before it nothing at all."""
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    actor, reader = deposit_reader(actor, project)
    result = TenderDeposits(
        tender_id=tender.id, required_fen=tender.deposit_fen, bid_validity_days=tender.bid_validity_days,
        bid_deadline=tender.bid_deadline, reader=reader, deposits=[],
    )  # fmt: skip
    if reader is Reader.INSIDER:
        if tendering_read.opening_started_at(db, tender.id) is None:
            raise DepositsSealed(field="tender_id")
        return replace(result, deposits=deposits_at_opening(db, tender_id=tender.id))
    if tender.published_at is None:  # a draft is nobody's business but its owner's
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    if tender.deposit_fen is None:
        return result
    assert actor.entity_id is not None
    own_bid = next(
        (bid for bid, entity in tendering_read.bids_at_opening(db, tender.id) if entity == actor.entity_id), None
    )
    name = entity_names(db, [actor.entity_id]).get(actor.entity_id, "")
    own = _status(
        db, tender_id=tender.id, entity_id=actor.entity_id, name=name, bid_id=own_bid, required_fen=tender.deposit_fen,
        bid_deadline=tender.bid_deadline, bid_validity_days=tender.bid_validity_days,
    )  # fmt: skip
    return replace(result, deposits=[own])
