"""Read models of the deposits (decision 0031): each bid's deposit status at the opening, and a bidder's own.

Who paid, and how many did, is sealed like the bids until the opening (招标投标法 第22条; DESIGN §4.3): before it,
:func:`tender_deposits` shows a bidder its own deposit and nobody else anything (:mod:`ggzy.finance.access`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import NotFound
from ggzy.core.permissions import Principal
from ggzy.entities.service import entity_names
from ggzy.finance import forfeiture, guarantees, refunds, service
from ggzy.finance.access import DepositsSealed, Reader, deposit_reader, staff_centre_ids
from ggzy.finance.models import BankCredit, FinanceAlert, Forfeiture, ReconciliationRun, RefundOrderRow
from ggzy.finance.reconciliation import alerts_of as reconciliation_alerts
from ggzy.finance.reconciliation import china_day_bounds
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


def deposit_met(db: Session, *, tender_id: int, entity_id: int) -> bool:
    """Whether ``entity_id``'s deposit for the round is met now — paid into its own sub-account by the round's
    deadline, from an account the law accepts, in full, or covered by an electronic guarantee — as the opening would
    assess it (:func:`_status`). A round that requires no deposit: True. For another domain that admits bidders on a
    paid deposit (an auction's registration, decision 0049); it reads no one else's deposit."""
    tender = tendering.get_tender(db, tender_id)
    if tender.deposit_fen is None:
        return True
    status = _status(
        db, tender_id=tender.id, entity_id=entity_id, name="", bid_id=None, required_fen=tender.deposit_fen,
        bid_deadline=tender.bid_deadline, bid_validity_days=tender.bid_validity_days,
    )  # fmt: skip
    return status.assessment.met


def deposit_refunded(db: Session, *, tender_id: int, entity_id: int) -> bool:
    """Whether a refund of ``entity_id``'s deposit for the round has been ordered (one the bank rejected does not
    count): the deposit no longer backs it. For an auction's bid, taken only while the deposit met at registration
    (:func:`deposit_met`) is still held (decision 0051): one indexed read."""
    ordered = select(RefundOrderRow.id).where(
        RefundOrderRow.tender_id == tender_id,
        RefundOrderRow.entity_id == entity_id,
        RefundOrderRow.status != refunds.REJECTED,
    )
    return db.scalar(ordered.limit(1)) is not None


# --- what the pages show of a deposit's whole life: its form, its refund, its forfeiture (issue 12, point 7) -------
# One place reads the refund orders, guarantees and forfeitures for the pages, so that a change of their columns
# (principal and interest, decision 0031) is met here only.


@dataclass(frozen=True)
class RefundLine:
    """A refund order as the pages show it: back along the original route, with its interest and last lawful day."""

    ground: str  # refund_rules.RefundGround
    principal_fen: int
    interest_fen: int
    status: str  # pending | accepted | executed | rejected
    ordered_at: datetime
    answered_at: datetime | None
    due_on: date | None  # the law's last day (None: 及时, or no period held)
    bank_txn_id: str | None
    to_account: str
    to_name: str
    to_bank: str
    reason: str | None
    late: bool  # ordered after its last day, or still not executed after it: a missed period

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen


@dataclass(frozen=True)
class GuaranteeLine:
    """An electronic guarantee offered for a bid (decision 0035), as the pages show it."""

    id: int
    institution: str
    number: str
    amount_fen: int
    valid_until: datetime
    status: str  # guarantees.GuaranteeStatus


@dataclass(frozen=True)
class DepositLine:
    status: DepositStatus
    guarantees: list[GuaranteeLine]  # the insiders: the one that meets it; the bidder: every one it was issued
    refunds: list[RefundLine]
    forfeiture: Forfeiture | None


def _late(row: RefundOrderRow, today: date) -> bool:
    if row.due_on is None:
        return False
    ordered_late = to_china_time(row.ordered_at).date() > row.due_on
    return ordered_late or (row.status != refunds.EXECUTED and today > row.due_on)


def refund_line(row: RefundOrderRow, *, today: date) -> RefundLine:
    return RefundLine(
        ground=row.ground, principal_fen=int(getattr(row, "principal_fen", 0) or 0),
        interest_fen=int(getattr(row, "interest_fen", 0) or 0), status=row.status, ordered_at=row.ordered_at,
        answered_at=row.answered_at, due_on=row.due_on, bank_txn_id=row.bank_txn_id, to_account=row.to_account,
        to_name=row.to_name, to_bank=row.to_bank, reason=row.reason, late=_late(row, today),
    )  # fmt: skip


def _refunds_by_entity(db: Session, tender_id: int, today: date) -> dict[int, list[RefundLine]]:
    query = select(RefundOrderRow).where(RefundOrderRow.tender_id == tender_id).order_by(RefundOrderRow.id)
    found: dict[int, list[RefundLine]] = {}
    for row in db.scalars(query):
        found.setdefault(row.entity_id, []).append(refund_line(row, today=today))
    return found


def _guarantee_lines(db: Session, rows: list[guarantees.Guarantee]) -> list[GuaranteeLine]:
    institutions = {
        row.id: row.entity_id
        for row in db.scalars(
            select(guarantees.Institution).where(guarantees.Institution.id.in_({g.institution_id for g in rows}))
        )
    } if rows else {}  # fmt: skip
    names = entity_names(db, list(institutions.values())) if institutions else {}
    return [
        GuaranteeLine(
            id=row.id,
            institution=names.get(institutions.get(row.institution_id, 0), ""),
            number=row.number,
            amount_fen=row.amount_fen,
            valid_until=row.valid_until,
            status=row.status,
        )
        for row in rows
    ]


def deposit_lines(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> list[DepositLine] | None:
    """Every bid's deposit for the owner, its agent, the centre's staff and the supervisor once the opening began:
    met or not and why, its form (the guarantee that meets it), its refund and any forfeiture. ``None`` before the
    opening (who paid is sealed, 招标投标法 第22条: not even how many) and where the tender requires no deposit."""
    try:
        found = tender_deposits(db, actor, tender_id=tender_id, now=now)
    except DepositsSealed:
        return None
    if found.reader is not Reader.INSIDER or found.required_fen is None:
        return None
    return _lines(db, tender_id, found.deposits, now, all_guarantees=False)


def own_deposit_line(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> DepositLine | None:
    """A bidder's own deposit with the guarantees it was issued, its refund and any forfeiture (None: no deposit)."""
    found = tender_deposits(db, actor, tender_id=tender_id, now=now)
    if found.required_fen is None or not found.deposits:
        return None
    return _lines(db, tender_id, found.deposits[:1], now, all_guarantees=True)[0]


def _lines(
    db: Session, tender_id: int, deposits: list[DepositStatus], now: datetime, *, all_guarantees: bool
) -> list[DepositLine]:
    today = to_china_time(now).date()
    refunded = _refunds_by_entity(db, tender_id, today)
    kept = {row.entity_id: row for row in forfeiture.forfeitures_of(db, tender_id)}
    entity_ids = [status.entity_id for status in deposits]
    query = select(guarantees.Guarantee).where(
        guarantees.Guarantee.tender_id == tender_id, guarantees.Guarantee.applicant_entity_id.in_(entity_ids)
    )
    offered: dict[int, list[guarantees.Guarantee]] = {}
    for row in db.scalars(query.order_by(guarantees.Guarantee.id)) if entity_ids else []:
        offered.setdefault(row.applicant_entity_id, []).append(row)
    lines = []
    for status in deposits:
        rows = offered.get(status.entity_id, [])
        if not all_guarantees:  # the insiders see the guarantee that stands as the deposit, not every one offered
            rows = [row for row in rows if row.id == status.guarantee_id]
        lines.append(
            DepositLine(
                status=status,
                guarantees=_guarantee_lines(db, rows),
                refunds=refunded.get(status.entity_id, []),
                forfeiture=kept.get(status.entity_id),
            )
        )
    return lines


# --- the centre's finance desk: reconciliations, alerts, refund batches, suspense credits ---------------------------


class AlertFilter(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    ALL = "all"


@dataclass(frozen=True)
class RefundBatch:
    """The refund orders of one tender on one ground (the losers after the award notice, the winner after the
    contract, …): how many, how much, where they stand, and whether any missed its last day."""

    tender_id: int
    tender_title: str
    ground: str
    orders: int
    principal_fen: int
    interest_fen: int
    statuses: dict[str, int]
    first_ordered_at: datetime
    due_on: date | None
    late: int  # orders that missed the law's last day (a violation, ggzy.core.violations)


@dataclass(frozen=True)
class FinanceDesk:
    day: date | None
    alert_filter: AlertFilter
    runs: list[tuple[ReconciliationRun, list[FinanceAlert]]]
    alerts: list[FinanceAlert]  # the alerts not raised by a reconciliation (credits, rejected refunds)
    batches: list[RefundBatch]
    suspense: list[BankCredit]


def _alert_shown(alert: FinanceAlert, centres: set[int], wanted: AlertFilter) -> bool:
    if alert.centre_id is not None and alert.centre_id not in centres:
        return False
    return wanted is AlertFilter.ALL or alert.resolved == (wanted is AlertFilter.RESOLVED)


def finance_desk(
    db: Session, actor: Principal, *, day: date | None, alert_filter: AlertFilter, now: datetime, limit: int = 60
) -> FinanceDesk:
    """What a centre's staff member reads of the money: the reconciliations (of ``day``, or the latest), the alerts
    of its centres and of none (the platform's settlement account), the refund batches of its centres' tenders and
    the credits nobody could match (in suspense), newest first."""
    centres = staff_centre_ids(actor)
    start, end = china_day_bounds(day) if day is not None else (None, None)
    run_query = select(ReconciliationRun).order_by(ReconciliationRun.day.desc(), ReconciliationRun.id.desc())
    if day is not None:
        run_query = run_query.where(ReconciliationRun.day == day)
    runs = list(db.scalars(run_query.limit(limit)))
    run_alerts = reconciliation_alerts(db, [run.id for run in runs])
    alert_query = select(FinanceAlert).where(
        FinanceAlert.reconciliation_id.is_(None),
        FinanceAlert.centre_id.is_(None) | FinanceAlert.centre_id.in_(centres),
    )
    if alert_filter is not AlertFilter.ALL:
        alert_query = alert_query.where(FinanceAlert.resolved.is_(alert_filter is AlertFilter.RESOLVED))
    if start is not None:
        alert_query = alert_query.where(FinanceAlert.raised_at >= start, FinanceAlert.raised_at < end)
    alerts = list(db.scalars(alert_query.order_by(FinanceAlert.id.desc()).limit(limit * 5)))
    # money nobody could match: not a fee's or a performance security's payment, nor the centre's own funds, which are
    # matched and have no deposit sub-account either
    suspense_query = (
        select(BankCredit)
        .where(BankCredit.sub_account_id.is_(None), BankCredit.payer_check == PayerCheck.UNMATCHED.value)
        .order_by(BankCredit.id.desc())
    )
    if start is not None:
        suspense_query = suspense_query.where(BankCredit.booked_at >= start, BankCredit.booked_at < end)
    return FinanceDesk(
        day=day, alert_filter=alert_filter,
        runs=[(run, [a for a in run_alerts.get(run.id, []) if _alert_shown(a, centres, alert_filter)]) for run in runs],
        alerts=alerts, batches=_refund_batches(db, centres, start, end, limit, to_china_time(now).date()),
        suspense=list(db.scalars(suspense_query.limit(limit))),
    )  # fmt: skip


def _refund_batches(
    db: Session, centres: set[int], start: datetime | None, end: datetime | None, limit: int, today: date
) -> list[RefundBatch]:
    query = select(RefundOrderRow).order_by(RefundOrderRow.id.desc())
    if start is not None:
        query = query.where(RefundOrderRow.ordered_at >= start, RefundOrderRow.ordered_at < end)
    grouped: dict[tuple[int, str], list[RefundOrderRow]] = {}
    titles: dict[int, str | None] = {}  # None: a tender of another centre
    for row in db.scalars(query.limit(limit * 200)):
        if row.tender_id not in titles:
            tender = tendering.get_tender(db, row.tender_id)
            project, _ = tendering.project_of(db, tender)
            # before the opening even a refund (a bid withdrawn before the deadline) would tell who paid and how
            # many: shown from the opening on (招标投标法 第22条)
            opened = tendering_read.opening_started_at(db, tender.id) is not None
            titles[row.tender_id] = tender.title if project.centre_id in centres and opened else None
        if titles[row.tender_id] is not None:
            grouped.setdefault((row.tender_id, row.ground), []).append(row)
    batches = []
    for (tender_id, ground), rows in grouped.items():
        lines = [refund_line(row, today=today) for row in rows]
        statuses: dict[str, int] = {}
        for line in lines:
            statuses[line.status] = statuses.get(line.status, 0) + 1
        due = [line.due_on for line in lines if line.due_on is not None]
        batches.append(
            RefundBatch(
                tender_id=tender_id,
                tender_title=titles[tender_id] or "",
                ground=ground,
                orders=len(rows),
                principal_fen=sum(line.principal_fen for line in lines),
                interest_fen=sum(line.interest_fen for line in lines),
                statuses=statuses,
                first_ordered_at=min(line.ordered_at for line in lines),
                due_on=min(due) if due else None,
                late=sum(line.late for line in lines),
            )
        )
    return batches[:limit]
