"""Performance security (履约保证金), decision 0037.

招标投标法实施条例 第五十八条: 招标文件要求中标人提交履约保证金的，中标人应当按照招标文件的要求提交。
履约保证金不得超过中标合同金额的10%。
政府采购法实施条例 第四十八条: 采购文件要求中标或者成交供应商提交履约保证金的，供应商应当以支票、汇票、本票或者
金融机构、担保机构出具的保函等非现金形式提交。履约保证金的数额不得超过政府采购合同金额的10%。

* The owner (or its agent) declares the requirement before the bid deadline — it is part of the documents the bidders
  priced on — as a percentage of the contract amount, at most 10% (:func:`require_performance_security`; above it is
  refused naming the article of the tender's law).
* The award notice (``award.awarded``, a reaction installed by ``ggzy.wiring``) fixes what the winner owes: the
  percentage of the award price, which is the contract's (招标投标法实施条例 第五十七条; ``awards.rules``
  check_contract_amount), and, under 招标投标法, asks the bank for a sub-account of its own to pay it into (the same
  adapter and worker as the deposits, reference ``performance-<tender>``). Under 政府采购法 cash is not accepted
  (第四十八条: 非现金形式): only a guarantee.
* A performance guarantee (履约保函): a document signed by an onboarded institution, verified as the deposits'
  e-guarantees are (:func:`ggzy.finance.guarantees.verify_document`), of kind ``performance``, naming the winner as
  applicant, the owner as beneficiary, the tender, and covering the amount (:func:`attach_guarantee`).
* The contract (``award.contract_recorded``) records whether it was provided (:func:`check_at_contract`); it never
  bars the contract. Not provided, the owner may keep the winner's bid deposit under 第七十四条
  (:mod:`ggzy.finance.forfeiture`, ground ``no_performance_security``, allowed only then).
* After performance the owner records the contract's completion (:func:`record_completion`): cash goes back along its
  route through refund orders the bank worker sends (``ggzy.finance.refunds``), a guarantee is released.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import Conflict, DomainError, InvalidInput
from ggzy.core.events import Event, changes_state, events_for, record_event, register_reaction
from ggzy.core.permissions import SYSTEM, Principal, Role
from ggzy.entities.service import find_entity_by_credit_code, get_entity
from ggzy.finance import books, guarantees, purpose_accounts
from ggzy.finance.access import NotADepositReader
from ggzy.finance.models import BankCredit, FinanceAccount, RefundOrderRow
from ggzy.finance.purpose_models import (
    PERFORMANCE,
    PerformanceRequirement,
    PerformanceSecurity,
    PurposeSubAccount,
)
from ggzy.finance.rules import AccountPurpose
from ggzy.tendering import service as tendering
from ggzy.tendering.access import NotTheTenderer, check_manager
from ggzy.tendering.procedures import PROCUREMENT_LAW, TENDERING_LAW, procedure

CAP_BASIS_POINTS = 1000  # 10%
ARTICLES = {TENDERING_LAW.key: "招标投标法实施条例 第五十八条", PROCUREMENT_LAW.key: "政府采购法实施条例 第四十八条"}
ARTICLES_EN = {
    TENDERING_LAW.key: "Tendering Law Implementing Regulations art. 58",
    PROCUREMENT_LAW.key: "Government Procurement Law Implementing Regulations art. 48",
}
GUARANTEE_KIND = "performance"  # the document's ``kind``: a 履约保函, never a bid deposit's guarantee
CASH_FORM, GUARANTEE_FORM = "转账", "履约保函"
REFUND_GROUND = "performance"  # refund orders' ground (finance_refund_orders.ground)


class PerformanceSecurityAboveCap(DomainError):
    code = "performance_security_above_cap"
    status = 422
    message_zh = "履约保证金不得超过中标合同金额的10%（{article}），本次要求 {percent}%"
    message_en = "Performance security may not exceed 10% of the contract amount ({article_en}); {percent}% was asked"


class NoPerformanceSecurity(DomainError):
    code = "no_performance_security"
    status = 404
    message_zh = "该招标项目未要求履约保证金，或尚未确定中标人"
    message_en = "This tender requires no performance security, or has no winner yet"


class NotTheWinner(DomainError):
    code = "performance_security_not_the_winner"
    status = 403
    message_zh = "只有中标人可以提交履约保证金"
    message_en = "Only the winner provides the performance security"


class PerformanceGuaranteeMisfit(DomainError):
    code = "performance_guarantee_misfit"
    status = 422
    message_zh = "履约保函不符合要求：{reason_zh}"
    message_en = "The performance guarantee does not fit: {reason_en}"


def law_key_of(db: Session, tender_id: int) -> str:
    return procedure(tendering.get_tender(db, tender_id).procedure).law.key


def basis_points_of(percent: Decimal | str, *, field: str = "percent") -> int:
    """A percentage (two decimals at most, more than zero) as basis points."""
    try:
        value = Decimal(str(percent))
    except InvalidOperation as error:
        raise InvalidInput(field=field, reason_zh="须为百分比数字", reason_en="a percentage") from error
    if not value.is_finite() or value <= 0 or value > 100 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            field=field, reason_zh="须大于 0，不超过两位小数", reason_en="more than 0, two decimals at most"
        )  # fmt: skip
    return int(value * 100)


def percent_text(basis_points: int) -> str:
    text = f"{Decimal(basis_points) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_cap(basis_points: int, *, law_key: str) -> None:
    """招标投标法实施条例 第五十八条 / 政府采购法实施条例 第四十八条: at most 10% of the contract amount."""
    if basis_points > CAP_BASIS_POINTS:
        raise PerformanceSecurityAboveCap(
            field="percent",
            article=ARTICLES[law_key],
            article_en=ARTICLES_EN[law_key],
            percent=percent_text(basis_points),
        )


def required_fen(contract_amount_fen: int, basis_points: int) -> int:
    """The security owed: the percentage of the contract amount, rounded down to the 分 (never above the cap)."""
    return contract_amount_fen * basis_points // 10_000


def requirement_of(db: Session, tender_id: int) -> PerformanceRequirement | None:
    return db.scalar(select(PerformanceRequirement).where(PerformanceRequirement.tender_id == tender_id))


def security_of(db: Session, tender_id: int) -> PerformanceSecurity | None:
    return db.scalar(select(PerformanceSecurity).where(PerformanceSecurity.tender_id == tender_id))


@changes_state("performance.required")
def require_performance_security(
    db: Session, actor: Principal, *, tender_id: int, percent: Decimal | str, now: datetime
) -> PerformanceRequirement:
    """The owner or its agent states that the documents require performance security, ``percent`` of the contract
    amount (at most 10%), before the bid deadline; once stated it stands (the bidders priced on it)."""
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    actor = check_manager(actor, project)
    law_key = procedure(tender.procedure).law.key
    points = basis_points_of(percent)
    check_cap(points, law_key=law_key)
    if tender.cancelled_at is not None or now >= tender.bid_deadline:
        raise Conflict(
            field="tender_id", reason_zh="履约保证金要求须在投标截止前载明于招标文件",
            reason_en="the requirement is stated in the documents before the bid deadline",
        )  # fmt: skip
    if requirement_of(db, tender_id) is not None:
        raise Conflict(field="tender_id", reason_zh="已载明履约保证金要求", reason_en="the requirement is stated")
    event = record_event(
        db, actor, action="performance.required", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={"basis_points": points, "percent": percent_text(points), "article": ARTICLES[law_key]},
    )  # fmt: skip
    row = PerformanceRequirement(
        tender_id=tender_id, basis_points=points, declared_by=actor.user_id, declared_at=now, event_id=event.id
    )
    db.add(row)
    db.flush()
    return row


def cash_accepted(law_key: str) -> bool:
    """政府采购法实施条例 第四十八条: 非现金形式 only; 招标投标法实施条例 第五十八条 names no form."""
    return law_key == TENDERING_LAW.key


def performance_account(db: Session, *, tender_id: int, entity_id: int, now: datetime) -> FinanceAccount:
    key = f"performance:{tender_id}:{entity_id}"
    found = db.scalar(select(FinanceAccount).where(FinanceAccount.key == key))
    if found is not None:
        return found
    row = FinanceAccount(
        key=key, purpose=AccountPurpose.PERFORMANCE.value, tender_id=tender_id, entity_id=entity_id, opened_at=now
    )
    db.add(row)
    db.flush()
    return row


@changes_state("performance.security_due")
def require_of_winner(
    db: Session, actor: Principal, *, tender_id: int, entity_id: int, contract_amount_fen: int, now: datetime
) -> PerformanceSecurity | None:
    """At the award notice: what the winner owes (the percentage of the award price), and under 招标投标法 its own
    sub-account to pay it into. None (nothing recorded) when the documents require none or it is fixed already."""
    requirement = requirement_of(db, tender_id)
    if requirement is None or security_of(db, tender_id) is not None:
        return None
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    law_key = procedure(tender.procedure).law.key
    owed = required_fen(contract_amount_fen, requirement.basis_points)
    row = PerformanceSecurity(
        tender_id=tender_id, entity_id=entity_id, contract_amount_fen=contract_amount_fen,
        basis_points=requirement.basis_points, required_fen=owed, required_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    reference = None
    if cash_accepted(law_key) and owed > 0:
        winner = get_entity(db, entity_id)
        account = performance_account(db, tender_id=tender_id, entity_id=entity_id, now=now)
        sub = purpose_accounts.request(
            db, purpose=PERFORMANCE, tender_id=tender_id, entity_id=entity_id, account=account, expected_fen=owed,
            name=f"{tender.title}-{winner.name}", now=now,
        )  # fmt: skip
        reference = sub.reference
    record_event(
        db, actor, action="performance.security_due", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={"entity_id": entity_id, "contract_amount_fen": contract_amount_fen,
                 "basis_points": requirement.basis_points, "required_fen": owed, "article": ARTICLES[law_key],
                 "cash_accepted": cash_accepted(law_key), "reference": reference},
    )  # fmt: skip
    return row


def _misfit(zh: str, en: str) -> PerformanceGuaranteeMisfit:
    return PerformanceGuaranteeMisfit(field="document", reason_zh=zh, reason_en=en)


def _winners(db: Session, actor: Principal, tender_id: int) -> PerformanceSecurity:
    row = security_of(db, tender_id)
    if row is None:
        raise NoPerformanceSecurity(field="tender_id")
    if actor.entity_id != row.entity_id:
        raise NotTheWinner(field="tender_id")
    return row


@changes_state("performance.guarantee_attached")
def attach_guarantee(
    db: Session, actor: Principal, *, tender_id: int, body: dict[str, Any], signature: str, certificate_pem: str,
    intermediates_pem: list[str], now: datetime,
) -> PerformanceSecurity:  # fmt: skip
    """The winner attaches a performance guarantee (履约保函) issued by an onboarded institution: its signature and
    certificate verified as an e-guarantee's, of kind ``performance``, for this tender, the winner its applicant, the
    owner its beneficiary, the amount covering what is owed, in force now."""
    row = _winners(db, actor, tender_id)
    if row.completed_at is not None or row.guarantee_document is not None:
        raise Conflict(field="tender_id", reason_zh="已提交履约保函或合同已履行", reason_en="already provided or done")
    code = (body.get("institution") or {}).get("credit_code") if isinstance(body, dict) else None
    entity = find_entity_by_credit_code(db, code) if isinstance(code, str) else None
    institution = (
        db.scalar(select(guarantees.Institution).where(guarantees.Institution.entity_id == entity.id))
        if entity is not None
        else None
    )
    if institution is None:
        raise _misfit("出具机构未在平台登记", "the issuing institution is not onboarded")
    verified = guarantees.verify_document(
        db, institution, body=body, signature=signature, certificate_pem=certificate_pem,
        intermediates_pem=intermediates_pem, now=now,
    )  # fmt: skip
    document = verified.document
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    if body.get("kind") != GUARANTEE_KIND:
        raise _misfit("不是履约保函（kind 应为 performance）", "not a performance guarantee (kind is performance)")
    if document.tender_id != tender_id:
        raise _misfit("保函所载项目不是本项目", "it names another tender")
    if document.applicant_credit_code != get_entity(db, row.entity_id).credit_code:
        raise _misfit("申请人不是中标人", "its applicant is not the winner")
    if document.beneficiary_credit_code != get_entity(db, project.owner_id).credit_code:
        raise _misfit("受益人不是招标人", "its beneficiary is not the owner")
    if document.amount_fen < row.required_fen:
        raise _misfit("担保金额低于应缴履约保证金", "its amount is below the security owed")
    if not document.valid_from <= now < document.valid_until:
        raise _misfit("保函不在有效期内", "it is not in force now")
    row.guarantee_institution_id, row.guarantee_number = institution.id, document.number
    row.guarantee_amount_fen, row.guarantee_valid_until = document.amount_fen, document.valid_until
    row.guarantee_document, row.guarantee_signature = verified.canonical, verified.signature
    row.guarantee_fingerprint, row.guarantee_attached_at = verified.certificate_fingerprint, now
    db.flush()
    record_event(
        db, actor, action="performance.guarantee_attached", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={"entity_id": row.entity_id, "institution_id": institution.id, "number": document.number,
                 "amount_fen": document.amount_fen, "valid_until": document.valid_until.isoformat(),
                 "certificate_fingerprint": verified.certificate_fingerprint},
    )  # fmt: skip
    return row


@dataclass(frozen=True)
class Status:
    security: PerformanceSecurity
    sub_account: PurposeSubAccount | None
    paid_fen: int
    credits: list[BankCredit]
    refunds: list[RefundOrderRow]

    @property
    def form(self) -> str | None:
        if self.security.guarantee_document is not None:
            return GUARANTEE_FORM
        if self.paid_fen >= self.security.required_fen and self.paid_fen > 0:
            return CASH_FORM
        return None

    @property
    def provided(self) -> bool:
        return self.form is not None or self.security.required_fen == 0


def status(db: Session, row: PerformanceSecurity) -> Status:
    sub = purpose_accounts.of_tender(db, PERFORMANCE, row.tender_id)
    credits = purpose_accounts.credits_of(db, sub.id) if sub is not None else []
    refunds = list(
        db.scalars(
            select(RefundOrderRow)
            .where(RefundOrderRow.tender_id == row.tender_id, RefundOrderRow.ground == REFUND_GROUND)
            .order_by(RefundOrderRow.id)
        )
    )
    return Status(row, sub, sum(c.amount_fen for c in credits), credits, refunds)


def readable_security(db: Session, actor: Principal, tender_id: int) -> PerformanceSecurity:
    """The winner's security for the winner itself, the owner or its agent, or the staff of the project's centre."""
    row = security_of(db, tender_id)
    if row is None:
        raise NoPerformanceSecurity(field="tender_id")
    project, _ = tendering.project_of(db, tendering.get_tender(db, tender_id))
    if actor.entity_id is not None and actor.entity_id == row.entity_id:
        return row
    try:
        check_manager(actor, project)
        return row
    except NotTheTenderer:
        pass
    if any(grant.centre_id == project.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF)):
        return row
    raise NotADepositReader(field="tender_id")


def missing_for_forfeiture(db: Session, tender_id: int, entity_id: int) -> bool:
    """招标投标法实施条例 第七十四条: the documents required performance security of this winner and it is not
    provided — the one case in which the owner may keep the bid deposit on that ground."""
    row = security_of(db, tender_id)
    return row is not None and row.entity_id == entity_id and not status(db, row).provided


@changes_state("performance.checked_at_contract")
def check_at_contract(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> PerformanceSecurity | None:
    """At the contract: record whether the security was provided (never a bar to the contract; 第七十四条 gives the
    owner the consequence). None, recording nothing, when none is owed."""
    row = security_of(db, tender_id)
    if row is None or row.at_contract is not None:
        return None
    provided = status(db, row).provided
    row.at_contract = "provided" if provided else "not_provided"
    db.flush()
    project, _ = tendering.project_of(db, tendering.get_tender(db, tender_id))
    record_event(
        db, actor, action="performance.checked_at_contract", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={"entity_id": row.entity_id, "provided": provided, "required_fen": row.required_fen},
    )  # fmt: skip
    return row


def _contract_recorded(db: Session, tender_id: int) -> bool:
    return any(event.action == "award.contract_recorded" for event in events_for(db, "tender", tender_id))


@changes_state("performance.completed")
def record_completion(
    db: Session, actor: Principal, *, tender_id: int, completed_on: date, now: datetime
) -> PerformanceSecurity:
    """The owner (or its agent) records that the contract was performed: the security is returned — cash along the
    route it came (one refund order per credit, to the payer's account, the bank worker sends them), a guarantee
    released. Once."""
    tender = tendering.get_tender(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    actor = check_manager(actor, project)
    row = security_of(db, tender_id)
    if row is None:
        raise NoPerformanceSecurity(field="tender_id")
    if row.completed_at is not None:
        raise Conflict(field="tender_id", reason_zh="已记录合同履行完毕", reason_en="completion is recorded")
    if not _contract_recorded(db, tender_id):
        raise Conflict(field="tender_id", reason_zh="合同尚未签订", reason_en="the contract is not signed")
    if completed_on > to_china_time(now).date():
        raise InvalidInput(field="completed_on", reason_zh="不能晚于今日", reason_en="not after today")
    current = status(db, row)
    already = {order.credit_id for order in current.refunds}
    sub_number = (current.sub_account.number or "") if current.sub_account is not None else ""
    orders = [
        RefundOrderRow(
            idempotency_key=f"perf-refund-{credit.bank_txn_id}"[:64],
            credit_id=credit.id,
            tender_id=tender_id,
            entity_id=row.entity_id,
            ground=REFUND_GROUND,
            principal_fen=credit.amount_fen,
            interest_fen=0,
            from_sub_account=sub_number,
            to_account=credit.payer_account,
            to_name=credit.payer_name,
            to_bank=credit.payer_bank,
            purpose=f"退还履约保证金 {credit.bank_txn_id}"[:200],
            status="pending",
            ordered_at=now,
        )
        for credit in current.credits
        if credit.id not in already
    ]
    db.add_all(orders)
    row.completed_at, row.completed_on, row.completed_by = now, completed_on, actor.user_id
    db.flush()
    record_event(
        db, actor, action="performance.completed", subject_type="tender", subject_id=tender_id,
        centre_id=project.centre_id, now=now,
        payload={"entity_id": row.entity_id, "completed_on": completed_on.isoformat(),
                 "guarantee_released": row.guarantee_number,
                 "orders": [{"key": o.idempotency_key, "principal_fen": o.principal_fen} for o in orders]},
    )  # fmt: skip
    return row


def performance_balance(db: Session, row: PerformanceSecurity) -> int:
    """What the books still owe the winner for its cash security."""
    key = f"performance:{row.tender_id}:{row.entity_id}"
    account = db.scalar(select(FinanceAccount).where(FinanceAccount.key == key))
    return books.balance(db, account) if account is not None else 0


# --- reactions (installed by ggzy.wiring) --------------------------------------------------------------------------


def on_award(db: Session, event: Event) -> None:
    payload = json.loads(event.payload)
    require_of_winner(
        db, SYSTEM, tender_id=int(event.subject_id), entity_id=int(payload["entity_id"]),
        contract_amount_fen=int(payload["price_fen"]), now=event.occurred_at,
    )  # fmt: skip


def on_contract(db: Session, event: Event) -> None:
    check_at_contract(db, SYSTEM, tender_id=int(event.subject_id), now=event.occurred_at)


def register() -> None:
    register_reaction("award.awarded", on_award)
    register_reaction("award.contract_recorded", on_contract)
