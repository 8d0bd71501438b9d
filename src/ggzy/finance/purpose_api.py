"""The API of performance security (履约保证金) and transaction service fees (交易服务费), decision 0037.

Amounts travel as integer 分 (``*_fen``) with the percentage and rates as decimal strings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Day, Id, Number
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.crypto import (
    CertificateExpired,
    CertificateMalformed,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
)
from ggzy.finance import fees, performance
from ggzy.finance import guarantees as g
from ggzy.finance.access import NotADepositReader
from ggzy.tendering.access import NotTheTenderer

router = APIRouter(tags=["finance"], route_class=PermissionedRoute)

Manager = Annotated[Principal, Depends(require(Permission.AWARD_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.DEPOSIT_READ))]
Winner = Annotated[Principal, Depends(require(Permission.AWARD_LETTERS_MINE))]
ScheduleKeeper = Annotated[Principal, Depends(require(Permission.FEE_SCHEDULE_MANAGE))]

_CERTIFICATE = (CertificateUntrusted, CertificateExpired, CertificateNotYetValid, CertificateRevoked,
                CertificateMalformed)  # fmt: skip


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequirementIn(_In):
    percent: Number = Field(
        gt=0, le=100, decimal_places=2, examples=["10"],
        description="Performance security as a percentage of the contract amount: at most 10 (招标投标法实施条例 "
        "第五十八条, 政府采购法实施条例 第四十八条)",
    )  # fmt: skip


class RequirementOut(BaseModel):
    tender_id: int
    percent: str
    declared_at: datetime


class RefundOut(BaseModel):
    idempotency_key: str
    principal_fen: int
    to_account: str
    status: str
    ordered_at: datetime


class PerformanceOut(BaseModel):
    tender_id: int
    entity_id: int
    contract_amount_fen: int
    percent: str
    required_fen: int
    cash_accepted: bool = Field(description="False under 政府采购法 (实施条例 第四十八条: 非现金形式 only)")
    sub_account: str | None = Field(description="The sub-account to pay it into (None: not opened yet, or no cash)")
    paid_fen: int
    form: str | None = Field(description="转账 or 履约保函 once provided; None while not")
    provided: bool
    guarantee_number: str | None
    at_contract: str | None = Field(description="What the contract's signing found: provided or not_provided")
    completed_on: date | None
    refunds: list[RefundOut]


class GuaranteeIn(_In):
    model_config = ConfigDict(extra="forbid")  # signed as they are: no stripping
    document: dict[str, Any] = Field(description="The 履约保函 (format ggzy-guarantee/1, kind performance) as signed")
    signature: Ascii = Field(max_length=2_000)
    certificate_pem: Ascii = Field(max_length=20_000)
    intermediates_pem: list[Annotated[Ascii, Field(max_length=20_000)]] = Field(default_factory=list, max_length=8)


class CompletionIn(_In):
    completed_on: Day = Field(description="The day the contract was performed (China Standard Time), not after today")


class BandIn(_In):
    up_to_fen: int | None = Field(ge=1, le=10**15, description="The band's upper bound in fen; None: the last band")
    rate_percent: Number = Field(
        ge=0,
        le=100,
        decimal_places=4,
        examples=["0.5"],
        description="The band's rate in percent (0–100, four decimals at most)",
    )


class ScheduleIn(_In):
    payer: fees.FeePayer
    bands: list[BandIn] = Field(min_length=1, max_length=fees.MAX_BANDS)
    minimum_fen: int | None = Field(default=None, ge=0, le=10**15)
    maximum_fen: int | None = Field(default=None, ge=0, le=10**15)
    due_days: int = Field(ge=1, le=365)


class BandOut(BaseModel):
    up_to_fen: int | None
    rate_percent: str


class ScheduleOut(BaseModel):
    id: int
    centre_id: int
    version: int
    payer: str
    bands: list[BandOut]
    minimum_fen: int | None
    maximum_fen: int | None
    due_days: int
    effective_at: datetime


class BandLineOut(BaseModel):
    from_fen: int
    to_fen: int | None
    portion_fen: int
    rate_percent: str
    fee_fen: int


class FeeNoticeOut(BaseModel):
    tender_id: int
    payer_entity_id: int
    schedule_version: int
    base_fen: int
    lines: list[BandLineOut]
    subtotal_fen: int
    applied: str | None = Field(description="minimum or maximum when one of them decided the amount")
    amount_fen: int
    amount_in_words: str
    sub_account: str | None
    due_on: date
    issued_at: datetime
    paid_fen: int
    status: str = Field(description="unpaid, short, paid or overpaid")
    receipt_number: str | None
    paid_at: datetime | None


def _schedule_out(row: Any) -> ScheduleOut:
    return ScheduleOut(
        id=row.id, centre_id=row.centre_id, version=row.version, payer=row.payer,
        bands=[BandOut(up_to_fen=b.up_to_fen, rate_percent=f"{b.rate_percent:f}") for b in fees.bands_of(row)],
        minimum_fen=row.minimum_fen, maximum_fen=row.maximum_fen, due_days=row.due_days,
        effective_at=row.effective_at,
    )  # fmt: skip


def performance_out(db: Any, row: Any) -> PerformanceOut:
    current = performance.status(db, row)
    return PerformanceOut(
        tender_id=row.tender_id, entity_id=row.entity_id, contract_amount_fen=row.contract_amount_fen,
        percent=performance.percent_text(row.basis_points), required_fen=row.required_fen,
        cash_accepted=performance.cash_accepted(performance.law_key_of(db, row.tender_id)),
        sub_account=current.sub_account.number if current.sub_account is not None else None,
        paid_fen=current.paid_fen, form=current.form, provided=current.provided,
        guarantee_number=row.guarantee_number, at_contract=row.at_contract, completed_on=row.completed_on,
        refunds=[RefundOut(idempotency_key=o.idempotency_key, principal_fen=o.principal_fen, to_account=o.to_account,
                           status=o.status, ordered_at=o.ordered_at) for o in current.refunds],
    )  # fmt: skip


def fee_notice_out(view: fees.NoticeView) -> FeeNoticeOut:
    from ggzy.core.money import format_yuan_uppercase

    computed = view.computation
    return FeeNoticeOut(
        tender_id=view.notice.tender_id, payer_entity_id=view.notice.payer_entity_id,
        schedule_version=view.schedule_version, base_fen=view.notice.base_fen,
        lines=[BandLineOut(**line.__dict__) for line in computed.lines], subtotal_fen=computed.subtotal_fen,
        applied=computed.applied, amount_fen=view.notice.amount_fen,
        amount_in_words=format_yuan_uppercase(view.notice.amount_fen), sub_account=view.sub_account.number,
        due_on=view.notice.due_on, issued_at=view.notice.issued_at, paid_fen=view.paid_fen, status=view.status.value,
        receipt_number=view.receipt_number, paid_at=view.paid_at,
    )  # fmt: skip


# --- performance security ------------------------------------------------------------------------------------------


@router.post(
    "/finance/performance/{tender_id}/requirement", response_model=RequirementOut, status_code=201,
    summary="State that the tender's documents require performance security, as a percentage of the contract "
    "amount (at most 10%: 招标投标法实施条例 第五十八条, 政府采购法实施条例 第四十八条), before the bid deadline",
    responses=problem_responses(NotFound, NotTheTenderer, performance.PerformanceSecurityAboveCap, Conflict,
                                InvalidInput),
)  # fmt: skip
def require_security(tender_id: Id, body: RequirementIn, db: DB, actor: Manager, now: Now) -> RequirementOut:
    row = performance.require_performance_security(db, actor, tender_id=tender_id, percent=body.percent, now=now)
    return RequirementOut(tender_id=row.tender_id, percent=performance.percent_text(row.basis_points),
                          declared_at=row.declared_at)  # fmt: skip


@router.get(
    "/finance/performance/{tender_id}", response_model=PerformanceOut,
    summary="The winner's performance security: what is owed, the sub-account, whether provided and how, returned",
    responses=problem_responses(NotFound, performance.NoPerformanceSecurity, NotADepositReader),
)  # fmt: skip
def read_security(tender_id: Id, db: DB, actor: Reader) -> PerformanceOut:
    row = performance.readable_security(db, actor, tender_id)
    return performance_out(db, row)


@router.post(
    "/finance/performance/{tender_id}/guarantee", response_model=PerformanceOut,
    summary="The winner attaches a performance guarantee (履约保函) signed by an onboarded institution",
    responses=problem_responses(NotFound, performance.NoPerformanceSecurity, performance.NotTheWinner,
                                performance.PerformanceGuaranteeMisfit, g.CertificateNotTheInstitutions,
                                g.GuaranteeSignatureInvalid, g.GuaranteeDocumentMalformed, Conflict, *_CERTIFICATE),
)  # fmt: skip
def attach(tender_id: Id, body: GuaranteeIn, db: DB, actor: Winner, now: Now) -> PerformanceOut:
    row = performance.attach_guarantee(
        db, actor, tender_id=tender_id, body=body.document, signature=body.signature,
        certificate_pem=body.certificate_pem, intermediates_pem=body.intermediates_pem, now=now,
    )  # fmt: skip
    return performance_out(db, row)


@router.post(
    "/finance/performance/{tender_id}/completion", response_model=PerformanceOut,
    summary="The owner records the contract performed: the security is returned (cash along its route, a guarantee "
    "released)",
    responses=problem_responses(NotFound, NotTheTenderer, performance.NoPerformanceSecurity, Conflict, InvalidInput),
)  # fmt: skip
def complete(tender_id: Id, body: CompletionIn, db: DB, actor: Manager, now: Now) -> PerformanceOut:
    row = performance.record_completion(db, actor, tender_id=tender_id, completed_on=body.completed_on, now=now)
    return performance_out(db, row)


# --- fees ----------------------------------------------------------------------------------------------------------


@router.get(
    "/finance/fee-schedules", response_model=list[ScheduleOut],
    summary="The versions of the centre's fee schedule, newest first",
    responses=problem_responses(fees.NotTheCentresStaff),
)  # fmt: skip
def list_schedules(db: DB, actor: ScheduleKeeper) -> list[ScheduleOut]:
    centre_id = fees.staff_centre(actor, None)
    return [_schedule_out(row) for row in fees.schedules(db, centre_id)]


@router.post(
    "/finance/fee-schedules", response_model=ScheduleOut, status_code=201,
    summary="Save a new version of the centre's fee schedule (差额定率累进 bands), in force from now",
    responses=problem_responses(fees.NotTheCentresStaff, fees.FeeScheduleInvalid),
)  # fmt: skip
def save_schedule(body: ScheduleIn, db: DB, actor: ScheduleKeeper, now: Now) -> ScheduleOut:
    row = fees.save_schedule(
        db, actor, bands=[fees.Band(b.up_to_fen, b.rate_percent) for b in body.bands], payer=body.payer,
        minimum_fen=body.minimum_fen, maximum_fen=body.maximum_fen, due_days=body.due_days, now=now,
    )  # fmt: skip
    return _schedule_out(row)


@router.get(
    "/finance/fee-notices/{tender_id}", response_model=FeeNoticeOut,
    summary="A tender's 缴费通知单: the amount band by band, the sub-account to pay into, the due day, paid or not",
    responses=problem_responses(NotFound, NotADepositReader),
)  # fmt: skip
def read_fee_notice(tender_id: Id, db: DB, actor: Reader) -> FeeNoticeOut:
    return fee_notice_out(fees.view(db, fees.readable_notice(db, actor, tender_id)))
