"""Sub-accounts for a purpose other than a bid deposit (decision 0037): the winner's performance security and the
fee notice's payment, at the same bank, through the same adapter and worker as the deposits (decision 0031).

A purpose sub-account is asked for inside the service that needs it (:func:`request`, no event of its own: the
performance security's or the fee notice's event is the one); the bank worker opens it outside any transaction and
records the bank's answer (:func:`record_opened`); a credit the bank notifies for it is recorded once per
``bank_txn_id`` (:func:`record_credit`) as a ``finance_credits`` row — so reconciliation and refund orders see it
like any other — linked to its sub-account, and posted from the settlement account to the purpose's account in
double entry under its event. A total paid below or above what is due is an alert for the centre, never adjusted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.money import format_yuan
from ggzy.core.permissions import SYSTEM, Principal
from ggzy.finance import books
from ggzy.finance.bank.protocol import CreditNotice, SubAccount
from ggzy.finance.models import BankCredit, FinanceAccount, FinanceAlert
from ggzy.finance.purpose_models import FEE, PERFORMANCE, PurposeCredit, PurposeSubAccount
from ggzy.finance.rules import AccountPurpose, AlertKind, PayerCheck, PostingKind
from ggzy.finance.service import CreditOutcome, SubAccountNumberMismatch
from ggzy.tendering import service as tendering

PURPOSE_NAMES = {PERFORMANCE: "履约保证金", FEE: "交易服务费"}


def request(
    db: Session, *, purpose: str, tender_id: int, entity_id: int, account: FinanceAccount, expected_fen: int,
    name: str, now: datetime,
) -> PurposeSubAccount:  # fmt: skip
    """Ask for ``purpose``'s sub-account of a tender (once: asking again returns the same row)."""
    found = of_tender(db, purpose, tender_id)
    if found is not None:
        return found
    row = PurposeSubAccount(
        purpose=purpose, tender_id=tender_id, entity_id=entity_id, account_id=account.id,
        reference=f"{purpose}-{tender_id}", name=f"{PURPOSE_NAMES[purpose]}-{name}"[:200], expected_fen=expected_fen,
        requested_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row


def of_tender(db: Session, purpose: str, tender_id: int) -> PurposeSubAccount | None:
    query = select(PurposeSubAccount).where(
        PurposeSubAccount.purpose == purpose, PurposeSubAccount.tender_id == tender_id
    )
    return db.scalar(query)


def by_number(db: Session, number: str) -> PurposeSubAccount | None:
    return db.scalar(select(PurposeSubAccount).where(PurposeSubAccount.number == number))


def to_open(db: Session, *, limit: int = 100) -> list[PurposeSubAccount]:
    """The outbox the bank worker reads after the deposits': purpose sub-accounts asked for and not yet opened."""
    query = select(PurposeSubAccount).where(PurposeSubAccount.number.is_(None)).order_by(PurposeSubAccount.id)
    return list(db.scalars(query.limit(limit)))


def _centre_of(db: Session, tender_id: int) -> int:
    return tendering.project_of(db, tendering.get_tender(db, tender_id))[0].centre_id


@changes_state("finance.purpose_sub_account_opened", disclosed=False)
def record_opened(
    db: Session, *, sub_account: SubAccount, now: datetime, actor: Principal = SYSTEM
) -> PurposeSubAccount:
    """Record the sub-account the bank opened for a purpose reference; the same answer again changes nothing, a
    different number for the same reference is refused (the centre must look)."""
    row = db.scalar(select(PurposeSubAccount).where(PurposeSubAccount.reference == sub_account.reference))
    if row is None:
        raise NotFound(field="reference", what_zh="子账号申请", what_en="Sub-account request")
    if row.number == sub_account.number:
        return row
    if row.number is not None:
        raise SubAccountNumberMismatch(field="number", recorded=row.number, answered=sub_account.number)
    row.number, row.opened_at = sub_account.number, now
    db.flush()
    record_event(
        db, actor, action="finance.purpose_sub_account_opened", subject_type="tender", subject_id=row.tender_id,
        centre_id=_centre_of(db, row.tender_id),
        payload={"purpose": row.purpose, "entity_id": row.entity_id, "number": row.number}, now=now,
    )  # fmt: skip
    return row


def is_purpose_number(db: Session, number: str) -> bool:
    return by_number(db, number) is not None


@changes_state("finance.purpose_credit_recorded", disclosed=False)
def record_credit(db: Session, notice: CreditNotice, *, now: datetime, actor: Principal = SYSTEM) -> CreditOutcome:
    """Record a credit the bank notified for a purpose sub-account, once per ``bank_txn_id`` (a replayed notice
    changes nothing); posted from the settlement account to the purpose's account. The total paid is compared with
    what is due: short or long, an alert for the centre (the money is booked as it came)."""
    seen = db.scalar(select(BankCredit).where(BankCredit.bank_txn_id == notice.bank_txn_id))
    if seen is not None:
        return CreditOutcome(credit=seen, repeated=True)
    if notice.amount_fen <= 0:
        raise InvalidInput(field="amount_fen", reason_zh="入账金额应大于零", reason_en="a credit is more than zero")
    row = by_number(db, notice.sub_account)
    if row is None:
        raise NotFound(field="sub_account", what_zh="子账号", what_en="Sub-account")
    try:
        with db.begin_nested():
            credit = _book(db, actor, notice, row, now)
    except IntegrityError:
        seen = db.scalar(select(BankCredit).where(BankCredit.bank_txn_id == notice.bank_txn_id))
        if seen is None:
            raise
        return CreditOutcome(credit=seen, repeated=True)
    return CreditOutcome(credit=credit, repeated=False)


def _book(db: Session, actor: Principal, notice: CreditNotice, row: PurposeSubAccount, now: datetime) -> BankCredit:
    centre_id = _centre_of(db, row.tender_id)
    total = paid_fen(db, row.id) + notice.amount_fen
    event = record_event(
        db, actor, action="finance.purpose_credit_recorded", subject_type="tender", subject_id=row.tender_id,
        centre_id=centre_id, now=now,
        payload={"purpose": row.purpose, "bank_txn_id": notice.bank_txn_id, "sub_account": notice.sub_account,
                 "amount_fen": notice.amount_fen, "paid_fen": total, "expected_fen": row.expected_fen,
                 "booked_at": notice.booked_at.isoformat()},
    )  # fmt: skip
    settlement = books.account(db, AccountPurpose.SETTLEMENT, now=now)
    target = db.get(FinanceAccount, row.account_id)
    assert target is not None
    kind = PostingKind.PERFORMANCE_CREDIT if row.purpose == PERFORMANCE else PostingKind.FEE_CREDIT
    posting = books.post(
        db, event=event, kind=kind, lines=[(settlement, notice.amount_fen), (target, -notice.amount_fen)],
        memo=f"{PURPOSE_NAMES[row.purpose]}入账 {notice.bank_txn_id}", now=now,
    )  # fmt: skip
    credit = BankCredit(
        bank_txn_id=notice.bank_txn_id, sub_account_number=notice.sub_account, sub_account_id=None,
        amount_fen=notice.amount_fen, payer_account=notice.payer_account, payer_name=notice.payer_name,
        payer_bank=notice.payer_bank, payer_check=PayerCheck.NOT_REQUIRED.value, booked_at=notice.booked_at,
        recorded_at=now, posting_id=posting.id,
    )  # fmt: skip
    db.add(credit)
    db.flush()
    db.add(PurposeCredit(credit_id=credit.id, sub_account_id=row.id))
    if total != row.expected_fen:
        kind_of_alert = AlertKind.PAYMENT_SHORT if total < row.expected_fen else AlertKind.PAYMENT_LONG
        db.add(
            FinanceAlert(
                centre_id=centre_id, kind=kind_of_alert.value, credit_id=credit.id, raised_at=now, resolved=False,
                detail=(
                    f"{PURPOSE_NAMES[row.purpose]} {row.reference}: 应缴 {format_yuan(row.expected_fen)} 元，"
                    f"已缴 {format_yuan(total)} 元 ({notice.bank_txn_id})"
                ),
            )
        )  # fmt: skip
    db.flush()
    return credit


def credits_of(db: Session, sub_account_id: int) -> list[BankCredit]:
    query = (
        select(BankCredit)
        .join(PurposeCredit, PurposeCredit.credit_id == BankCredit.id)
        .where(PurposeCredit.sub_account_id == sub_account_id)
        .order_by(BankCredit.booked_at, BankCredit.id)
    )
    return list(db.scalars(query))


def paid_fen(db: Session, sub_account_id: int) -> int:
    query = (
        select(func.coalesce(func.sum(BankCredit.amount_fen), 0))
        .join(PurposeCredit, PurposeCredit.credit_id == BankCredit.id)
        .where(PurposeCredit.sub_account_id == sub_account_id)
    )
    return int(db.scalar(query) or 0)


def account_of_credit(db: Session, credit_id: int) -> FinanceAccount | None:
    """The account a purpose credit was booked to (what its refund debits); None for a deposit's credit."""
    query = (
        select(FinanceAccount)
        .join(PurposeSubAccount, PurposeSubAccount.account_id == FinanceAccount.id)
        .join(PurposeCredit, PurposeCredit.sub_account_id == PurposeSubAccount.id)
        .where(PurposeCredit.credit_id == credit_id)
    )
    return db.scalar(query)
