"""Bid deposits through virtual sub-accounts (decision 0031): what the platform wants of the bank (a sub-account to
open: the outbox the bank worker reads) and what the bank said (the sub-account it opened, a credit it booked).

The books never call the bank inside a database transaction: a worker reads :func:`sub_accounts_to_open`, asks the
bank (``ggzy.finance.bank``) outside any transaction, and records the answer here; a credit notice, its signature
verified by the adapter, is recorded by :func:`record_credit`. Every service records its event and, where money
moves, posts in double entry under that event. Who asked for a sub-account and who paid is secret until the opening
(招标投标法 第22条): these events are undisclosed in the public ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import Event, changes_state, record_event
from ggzy.core.permissions import SYSTEM, Principal
from ggzy.entities.service import get_entity
from ggzy.finance import books
from ggzy.finance.bank.protocol import CreditNotice, SubAccount
from ggzy.finance.models import BankCredit, DepositSubAccount, FinanceAlert, Forfeiture
from ggzy.finance.rules import AccountPurpose, AlertKind, PayerCheck, PostingKind
from ggzy.tendering import lifecycle
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import TENDERING_LAW, procedure
from ggzy.tendering.stages import Stage

if TYPE_CHECKING:
    from ggzy.finance.models import Posting
    from ggzy.projects.models import Project
    from ggzy.tendering.models import Tender

OUTBOX_BATCH = 100


class NoDepositRequired(DomainError):
    code = "no_deposit_required"
    status = 409
    message_zh = "该招标项目未要求投标保证金"
    message_en = "This tender requires no bid deposit"


class SubAccountNumberMismatch(DomainError):
    code = "sub_account_number_mismatch"
    status = 409
    message_zh = "银行对同一参考号返回了不同的子账号（已记录 {recorded}，本次 {answered}），请交易中心核实"
    message_en = "The bank answered a different sub-account for the same reference ({recorded}, now {answered})"


def _accepting_deposits(db: Session, tender_id: int, now: datetime) -> tuple[Tender, Project]:
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    if tender.published_at is None or tender.cancelled_at is not None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    if tender.deposit_fen is None:
        raise NoDepositRequired(field="tender_id")
    if lifecycle.stage_of(tender, now) != Stage.PUBLISHED:  # a sub-account after the deadline pays nothing in time
        raise lifecycle.TenderStageWrong(
            field="tender_id", stage=lifecycle.stage_of(tender, now).value, action_zh="申请保证金子账号",
            action_en="ask for a deposit sub-account",
        )  # fmt: skip
    return tender, project


@changes_state("deposit.sub_account_requested", disclosed=False)
def request_sub_account(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> DepositSubAccount:
    """A bidder asks for its own sub-account for a tender's deposit (before the bid deadline). The bank worker opens
    it (:func:`sub_accounts_to_open`); asking again returns the same row and records nothing."""
    tender, project = _accepting_deposits(db, tender_id, now)
    if actor.entity_id is None or actor.entity_id in (project.owner_id, project.agent_id):
        raise Conflict(
            field="tender_id", reason_zh="招标人及其代理机构不缴纳投标保证金",
            reason_en="the owner and its agent pay no bid deposit",
        )  # fmt: skip
    existing = sub_account_of(db, tender_id=tender_id, entity_id=actor.entity_id)
    if existing is not None:
        return existing
    entity = get_entity(db, actor.entity_id)
    deposit = books.deposit_account(db, tender_id=tender_id, entity_id=entity.id, now=now)
    row = DepositSubAccount(
        tender_id=tender_id,
        entity_id=entity.id,
        account_id=deposit.id,
        reference=f"deposit-{tender_id}-{entity.id}",
        name=f"投标保证金-{tender.title}-{entity.name}"[:200],
        requested_at=now,
    )
    db.add(row)
    db.flush()
    record_event(
        db, actor, action="deposit.sub_account_requested", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, payload={"entity_id": entity.id, "reference": row.reference}, now=now,
    )  # fmt: skip
    return row


def sub_account_of(db: Session, *, tender_id: int, entity_id: int) -> DepositSubAccount | None:
    query = select(DepositSubAccount).where(
        DepositSubAccount.tender_id == tender_id, DepositSubAccount.entity_id == entity_id
    )
    return db.scalar(query)


def sub_accounts_to_open(db: Session, *, limit: int = OUTBOX_BATCH) -> list[DepositSubAccount]:
    """The outbox the bank worker reads: sub-accounts asked for and not yet opened, oldest first. The worker calls
    ``BankAdapter.open_sub_account(reference=…, name=…)`` for each (the same reference is the same sub-account at the
    bank, so a crash between the bank's answer and :func:`record_sub_account` opens nothing twice)."""
    query = select(DepositSubAccount).where(DepositSubAccount.number.is_(None)).order_by(DepositSubAccount.id)
    return list(db.scalars(query.limit(limit)))


@changes_state("deposit.sub_account_opened", disclosed=False)
def record_sub_account(
    db: Session, *, sub_account: SubAccount, now: datetime, actor: Principal = SYSTEM
) -> DepositSubAccount:
    """Record the sub-account the bank opened for ``sub_account.reference``. The same answer again changes nothing;
    a different number for the same reference is refused (the centre must look)."""
    row = db.scalar(select(DepositSubAccount).where(DepositSubAccount.reference == sub_account.reference))
    if row is None:
        raise NotFound(field="reference", what_zh="子账号申请", what_en="Sub-account request")
    if row.number == sub_account.number:
        return row
    if row.number is not None:
        raise SubAccountNumberMismatch(field="number", recorded=row.number, answered=sub_account.number)
    row.number = sub_account.number
    row.opened_at = now
    db.flush()
    tender = tendering.get_tender(db, row.tender_id)
    project, _ = tendering.project_of(db, tender)
    record_event(
        db, actor, action="deposit.sub_account_opened", subject_type="tender", subject_id=row.tender_id,
        centre_id=project.centre_id, payload={"entity_id": row.entity_id, "number": row.number}, now=now,
    )  # fmt: skip
    return row


@dataclass(frozen=True)
class CreditOutcome:
    credit: BankCredit
    repeated: bool  # the notice was recorded before: nothing changed


def _normalised(account: str) -> str:
    return "".join(ch for ch in account if ch.isalnum())


def _payer_check(db: Session, row: DepositSubAccount, payer_account: str) -> PayerCheck:
    """招标投标法实施条例 第26条 第2款: a domestic bidder's deposit for a tender the law requires (依法必须进行招标)
    leaves from its basic account. Every bidder of the register is domestic (统一社会信用代码); every tender under
    招标投标法 is taken as required by law (the platform holds no flag for the voluntary ones). Under 政府采购法 the
    rule does not apply."""
    tender = tendering.get_tender(db, row.tender_id)
    if procedure(tender.procedure).law != TENDERING_LAW:
        return PayerCheck.NOT_REQUIRED
    basic = get_entity(db, row.entity_id).basic_account
    if not basic:
        return PayerCheck.BASIC_ACCOUNT_UNKNOWN
    return (
        PayerCheck.BASIC_ACCOUNT if _normalised(basic) == _normalised(payer_account) else PayerCheck.NOT_BASIC_ACCOUNT
    )


_ALERTS = {
    PayerCheck.NOT_BASIC_ACCOUNT: AlertKind.PAYER_NOT_BASIC_ACCOUNT,
    PayerCheck.BASIC_ACCOUNT_UNKNOWN: AlertKind.BASIC_ACCOUNT_UNKNOWN,
    PayerCheck.UNMATCHED: AlertKind.UNKNOWN_SUB_ACCOUNT,
}


@changes_state("deposit.credit_recorded", disclosed=False)
def record_credit(db: Session, notice: CreditNotice, *, now: datetime, actor: Principal = SYSTEM) -> CreditOutcome:
    """Record a credit the bank notified (its signature verified by the adapter), once per ``bank_txn_id``: a
    repeated notice changes nothing and is no error. Money for a sub-account nobody knows goes to suspense with an
    alert for the centre; a payer that is not the bidder's basic account (第26条) is credited to its deposit, flagged
    and alerted, and does not count towards the deposit (:func:`ggzy.finance.rules.assess_deposit`). A credit to the
    settlement account's own balance (``notice.own_funds``: the centre funding it) is the centre's funds
    (``platform_funds``, decision 0036), which pay the refunds' interest. A credit to the sub-account of a bidder whose
    deposit, met by an electronic guarantee, the owner kept is the institution paying the claim: posted to forfeited
    deposits (decision 0036)."""
    seen = db.scalar(select(BankCredit).where(BankCredit.bank_txn_id == notice.bank_txn_id))
    if seen is not None:
        return CreditOutcome(credit=seen, repeated=True)
    if notice.amount_fen <= 0:
        raise InvalidInput(field="amount_fen", reason_zh="入账金额应大于零", reason_en="a credit is more than zero")
    row = None
    if not notice.own_funds:
        row = db.scalar(select(DepositSubAccount).where(DepositSubAccount.number == notice.sub_account))
    check = PayerCheck.UNMATCHED if row is None else _payer_check(db, row, notice.payer_account)
    if notice.own_funds:
        check = PayerCheck.OWN_FUNDS
    elif row is not None and _claim_lodged(db, row):
        check = PayerCheck.GUARANTOR
    centre_id = None
    if row is not None:
        centre_id = tendering.project_of(db, tendering.get_tender(db, row.tender_id))[0].centre_id
    try:  # two workers with the same notice: the unique bank_txn_id decides, the second sees the first's
        with db.begin_nested():
            credit = _book_credit(db, actor, notice, row, check, centre_id, now)
    except IntegrityError:
        seen = db.scalar(select(BankCredit).where(BankCredit.bank_txn_id == notice.bank_txn_id))
        if seen is None:
            raise
        return CreditOutcome(credit=seen, repeated=True)
    return CreditOutcome(credit=credit, repeated=False)


def _book_credit(
    db: Session, actor: Principal, notice: CreditNotice, row: DepositSubAccount | None, check: PayerCheck,
    centre_id: int | None, now: datetime,
) -> BankCredit:  # fmt: skip
    event = record_event(
        db, actor, action="deposit.credit_recorded",
        subject_type="tender" if row is not None else "bank_credit",
        subject_id=row.tender_id if row is not None else notice.bank_txn_id, centre_id=centre_id,
        payload={
            "bank_txn_id": notice.bank_txn_id, "sub_account": notice.sub_account, "amount_fen": notice.amount_fen,
            "payer_check": check.value, "booked_at": notice.booked_at.isoformat(),
        },
        now=now,
    )  # fmt: skip
    posting = _post_credit(db, event, notice, row, check, now)
    credit = BankCredit(
        bank_txn_id=notice.bank_txn_id, sub_account_number=notice.sub_account,
        sub_account_id=row.id if row is not None else None, amount_fen=notice.amount_fen,
        payer_account=notice.payer_account, payer_name=notice.payer_name, payer_bank=notice.payer_bank,
        payer_check=check.value, booked_at=notice.booked_at, recorded_at=now, posting_id=posting.id,
    )  # fmt: skip
    db.add(credit)
    db.flush()
    if check in _ALERTS:
        db.add(
            FinanceAlert(
                centre_id=centre_id, kind=_ALERTS[check].value, credit_id=credit.id, raised_at=now, resolved=False,
                detail=f"{notice.bank_txn_id}: {notice.amount_fen} 分 → {notice.sub_account} ({notice.payer_account})",
            )
        )  # fmt: skip
        db.flush()
    return credit


def _claim_lodged(db: Session, row: DepositSubAccount) -> bool:
    """Whether the owner kept this bidder's deposit and it was met by a guarantee: then what arrives in its
    sub-account is the institution paying the claim (decision 0036), the owner's, not the bidder's."""
    query = select(Forfeiture.id).where(
        Forfeiture.tender_id == row.tender_id, Forfeiture.entity_id == row.entity_id,
        Forfeiture.guarantee_id.is_not(None),
    )  # fmt: skip
    return db.scalar(query) is not None


def _post_credit(
    db: Session, event: Event, notice: CreditNotice, row: DepositSubAccount | None, check: PayerCheck, now: datetime
) -> Posting:
    settlement = books.account(db, AccountPurpose.SETTLEMENT, now=now)
    if notice.own_funds:  # the centre's own money (decision 0036): it pays the refunds' interest
        target, kind = books.account(db, AccountPurpose.PLATFORM_FUNDS, now=now), PostingKind.PLATFORM_FUNDING
    elif row is None:
        target, kind = books.account(db, AccountPurpose.SUSPENSE, now=now), PostingKind.SUSPENSE_CREDIT
    elif check is PayerCheck.GUARANTOR:  # an institution paying the claim on a kept deposit (decision 0036)
        target, kind = books.account(db, AccountPurpose.FORFEITED, now=now), PostingKind.CLAIM_PAYMENT
    else:
        target = books.deposit_account(db, tender_id=row.tender_id, entity_id=row.entity_id, now=now)
        kind = PostingKind.DEPOSIT_CREDIT
    return books.post(
        db, event=event, kind=kind, lines=[(settlement, notice.amount_fen), (target, -notice.amount_fen)],
        memo=f"入账 {notice.bank_txn_id}", now=now,
    )  # fmt: skip


def alerts(db: Session, *, centre_id: int | None = None, kind: AlertKind | None = None) -> list[FinanceAlert]:
    """The centre's open alerts (those of no centre: money nobody can be matched to, for every centre's staff)."""
    query = select(FinanceAlert).where(FinanceAlert.resolved.is_(False))
    if centre_id is not None:
        query = query.where((FinanceAlert.centre_id == centre_id) | FinanceAlert.centre_id.is_(None))
    if kind is not None:
        query = query.where(FinanceAlert.kind == kind.value)
    return list(db.scalars(query.order_by(FinanceAlert.id)))


def credits_of(db: Session, sub_account_id: int) -> list[BankCredit]:
    query = select(BankCredit).where(BankCredit.sub_account_id == sub_account_id).order_by(BankCredit.booked_at)
    return list(db.scalars(query))


def open_alerts_of_tenders(db: Session, tender_ids: Select[int]) -> dict[int, int]:
    """How many unresolved alerts concern a credit to a deposit sub-account of each round, by tender id, in one query
    (the supervisor's live view, decision 0046: read only once the round's opening began, since a deposit names a
    bidder)."""
    rows = db.execute(
        select(DepositSubAccount.tender_id, func.count())
        .join(BankCredit, BankCredit.sub_account_id == DepositSubAccount.id)
        .join(FinanceAlert, FinanceAlert.credit_id == BankCredit.id)
        .where(DepositSubAccount.tender_id.in_(tender_ids), FinanceAlert.resolved.is_(False))
        .group_by(DepositSubAccount.tender_id)
    )
    return {tender_id: count for tender_id, count in rows}
