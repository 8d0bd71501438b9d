"""Pages of performance security and fees (decision 0037): the centre's fee schedule (versions, and a new one saved
from a form), a tender's 缴费通知单 for its payer (the amount band by band, in figures and in 大写, the sub-account
to pay into, the due day, paid or not, the receipt), and a tender's performance security for the winner (what is
owed, the sub-account, attach a 履约保函) and the owner (provided or not; record the contract performed → refund).
The same services and permissions as the API; amounts in 元, times in Beijing time."""

from __future__ import annotations

import json
from decimal import InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Text
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import Permission, Principal, Role, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.entities.service import entity_names
from ggzy.finance import fees, performance
from ggzy.finance import guarantees as g
from ggzy.finance.access import NotADepositReader
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_day, form_refused, see_other
from ggzy.tendering import service as tendering
from ggzy.tendering.access import NotTheTenderer, check_manager

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Reader = Annotated[Principal, Depends(require(Permission.DEPOSIT_READ))]
Manager = Annotated[Principal, Depends(require(Permission.AWARD_MANAGE))]
Winner = Annotated[Principal, Depends(require(Permission.AWARD_LETTERS_MINE))]
ScheduleKeeper = Annotated[Principal, Depends(require(Permission.FEE_SCHEDULE_MANAGE))]

SCHEDULE_SAVED = outcome("fee_schedule_saved", N_("新版收费标准已保存，自即日起适用于此后发出的中标通知。"))
GUARANTEE_ATTACHED = outcome("performance_guarantee_attached", N_("履约保函已核验并记录。"))
COMPLETION_RECORDED = outcome("performance_completed", N_("已记录合同履行完毕，履约保证金退还指令已发出。"))

FEE_STATUS = {
    "unpaid": N_("未缴"),
    "short": N_("少缴（已提示交易中心）"),
    "paid": N_("已缴清"),
    "overpaid": N_("多缴（已提示交易中心）"),
}


def money_links(db: Session, tender_id: int) -> list[tuple[str, str]]:
    """Links to a tender's fee notice and performance security pages, where they exist (the tender pages of the
    bidder and the owner show them; each page checks its reader)."""
    links = []
    if fees.notice_of(db, tender_id) is not None:
        links.append((N_("缴费通知单"), f"/workspace/fees/{tender_id}"))
    if performance.security_of(db, tender_id) is not None:
        links.append((N_("履约保证金"), f"/workspace/performance/{tender_id}"))
    return links


def requirement_percent(db: Session, tender_id: int) -> str | None:
    """The performance security the tender's documents require, as a percentage (None: none stated)."""
    row = performance.requirement_of(db, tender_id)
    return performance.percent_text(row.basis_points) if row is not None else None


REQUIREMENT_STATED = outcome("performance_required", N_("履约保证金要求已载明。"))


@router.post(
    "/workspace/projects/tenders/{tender_id}/performance-requirement",
    summary="State the performance security the documents require (a percentage of the contract amount, at most 10%)",
    responses=problem_responses(NotFound, NotTheTenderer, performance.PerformanceSecurityAboveCap, Conflict,
                                InvalidInput),
)  # fmt: skip
def state_requirement(
    tender_id: Id, request: Request, actor: Manager, _: CsrfChecked, db: DB, now: Now,
    percent: Annotated[Ascii, Form(max_length=10)],
) -> Response:  # fmt: skip
    try:
        performance.require_performance_security(db, actor, tender_id=tender_id, percent=percent.strip(), now=now)
    except DomainError as error:
        from ggzy.portal.owner import tender_page_refused

        return tender_page_refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender_id}#performance", done=REQUIREMENT_STATED)


# --- the centre's fee schedule -------------------------------------------------------------------------------------


def _schedule_context(db: Session, actor: Principal, form: dict[str, str] | None = None) -> dict[str, Any]:
    centre_id = fees.staff_centre(actor, None)
    versions = [(row, fees.bands_of(row)) for row in fees.schedules(db, centre_id)]
    return {"active": "workspace", "section": "fee_schedule", "versions": versions, "form": form or {}}


@router.get("/workspace/centre/fee-schedule", summary="The centre's fee schedule (交易服务费): its versions, a new one")
def fee_schedule_page(request: Request, db: DB, actor: ScheduleKeeper) -> HTMLResponse:
    return render(request, "ws_fee_schedule.html", _schedule_context(db, actor))


def _bands_of_form(text: str) -> list[fees.Band]:
    """One band a line: ``上限（元）, 费率（%）``; the last line's bound is empty (no bound)."""
    bands = []
    for number, line in enumerate([line for line in text.splitlines() if line.strip()], start=1):
        bound, _, rate = line.replace("，", ",").partition(",")
        try:
            up_to = yuan_to_fen(bound.strip(), field=f"bands[{number}]") if bound.strip() else None
            bands.append(fees.Band(up_to, fees.rate_of(rate.strip().rstrip("%"))))
        except (InvalidOperation, ValueError) as error:
            raise fees.FeeScheduleInvalid(
                field="bands", reason_zh=f"第 {number} 行格式应为“上限元,费率%”", reason_en=f"line {number}: bound,rate"
            ) from error
    return bands


def _optional_fen(text: str, field: str) -> int | None:
    return yuan_to_fen(text.strip(), field=field) if text.strip() else None


@router.post(
    "/workspace/centre/fee-schedule",
    summary="Save a new version of the centre's fee schedule, in force from now",
    responses=problem_responses(fees.NotTheCentresStaff, fees.FeeScheduleInvalid, InvalidInput),
)
def save_fee_schedule(
    request: Request, actor: ScheduleKeeper, _: CsrfChecked, db: DB, now: Now,
    bands: Annotated[Text, Form(max_length=4_000)], payer: Annotated[fees.FeePayer, Form()],
    due_days: Annotated[int, Form(ge=1, le=365)],
    minimum: Annotated[Ascii, Form(max_length=40)] = "", maximum: Annotated[Ascii, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    form = {"bands": bands, "payer": payer.value, "due_days": str(due_days), "minimum": minimum, "maximum": maximum}
    try:
        fees.save_schedule(
            db, actor, bands=_bands_of_form(bands), payer=payer, minimum_fen=_optional_fen(minimum, "minimum"),
            maximum_fen=_optional_fen(maximum, "maximum"), due_days=due_days, now=now,
        )  # fmt: skip
    except DomainError as error:
        return form_refused(request, db, "ws_fee_schedule.html", lambda: _schedule_context(db, actor, form), error)
    return see_other("/workspace/centre/fee-schedule", done=SCHEDULE_SAVED)


# --- a tender's fee notice -----------------------------------------------------------------------------------------


@router.get(
    "/workspace/fees/{tender_id}",
    summary="A tender's 缴费通知单: the amount band by band, the sub-account to pay into, the due day, the receipt",
    responses=problem_responses(NotFound, NotADepositReader),
)
def fee_notice_page(tender_id: Id, request: Request, db: DB, actor: Reader) -> HTMLResponse:
    view = fees.view(db, fees.readable_notice(db, actor, tender_id))
    tender = tendering.get_tender(db, tender_id)
    names = entity_names(db, [view.notice.payer_entity_id])
    return render(
        request, "ws_fee_notice.html",
        {"active": "workspace", "section": "fees", "view": view, "tender": tender,
         "payer": names.get(view.notice.payer_entity_id, ""), "status_label": FEE_STATUS[view.status.value]},
    )  # fmt: skip


# --- a tender's performance security -------------------------------------------------------------------------------


def _is_manager(actor: Principal, db: Session, tender_id: int) -> bool:
    project, _ = tendering.project_of(db, tendering.get_tender(db, tender_id))
    try:
        check_manager(actor, project)
    except NotTheTenderer:
        return False
    return True


def _performance_context(db: Session, actor: Principal, tender_id: int) -> dict[str, Any]:
    row = performance.readable_security(db, actor, tender_id)
    current = performance.status(db, row)
    tender = tendering.get_tender(db, tender_id)
    return {
        "active": "workspace", "section": "performance", "tender": tender, "row": row, "current": current,
        "percent": performance.percent_text(row.basis_points),
        "cash_accepted": performance.cash_accepted(performance.law_key_of(db, tender_id)),
        "winner_name": entity_names(db, [row.entity_id]).get(row.entity_id, ""),
        "is_winner": actor.entity_id == row.entity_id and Role.BIDDER in actor.roles,
        "is_manager": _is_manager(actor, db, tender_id),
    }  # fmt: skip


@router.get(
    "/workspace/performance/{tender_id}",
    summary="A tender's performance security: owed, the sub-account, provided or not, returned",
    responses=problem_responses(NotFound, performance.NoPerformanceSecurity, NotADepositReader),
)
def performance_page(tender_id: Id, request: Request, db: DB, actor: Reader) -> HTMLResponse:
    return render(request, "ws_performance.html", _performance_context(db, actor, tender_id))


def _performance_refused(
    request: Request, db: Session, actor: Principal, tender_id: int, error: DomainError
) -> Response:
    return form_refused(request, db, "ws_performance.html", lambda: _performance_context(db, actor, tender_id), error)


@router.post(
    "/workspace/performance/{tender_id}/guarantee",
    summary="The winner attaches a performance guarantee (履约保函) signed by an onboarded institution",
    responses=problem_responses(NotFound, performance.NoPerformanceSecurity, performance.NotTheWinner,
                                performance.PerformanceGuaranteeMisfit, g.GuaranteeSignatureInvalid,
                                g.GuaranteeDocumentMalformed, g.CertificateNotTheInstitutions, Conflict, InvalidInput),
)  # fmt: skip
def attach_guarantee(
    tender_id: Id, request: Request, actor: Winner, _: CsrfChecked, db: DB, now: Now,
    document: Annotated[Text, Form(max_length=20_000)], signature: Annotated[Ascii, Form(max_length=2_000)],
    certificate_pem: Annotated[Text, Form(max_length=20_000)],
) -> Response:  # fmt: skip
    try:
        try:
            body = json.loads(document)
        except ValueError as error:
            raise InvalidInput(field="document", reason_zh="不是 JSON", reason_en="not JSON") from error
        if not isinstance(body, dict):
            raise InvalidInput(field="document", reason_zh="应为 JSON 对象", reason_en="a JSON object")
        performance.attach_guarantee(
            db, actor, tender_id=tender_id, body=body, signature=signature.strip(),
            certificate_pem=certificate_pem.strip(), intermediates_pem=[], now=now,
        )  # fmt: skip
    except DomainError as error:
        return _performance_refused(request, db, actor, tender_id, error)
    return see_other(f"/workspace/performance/{tender_id}", done=GUARANTEE_ATTACHED)


@router.post(
    "/workspace/performance/{tender_id}/completion",
    summary="The owner records the contract performed: the performance security is returned",
    responses=problem_responses(NotFound, NotTheTenderer, performance.NoPerformanceSecurity, Conflict, InvalidInput),
)
def record_completion(
    tender_id: Id, request: Request, actor: Manager, _: CsrfChecked, db: DB, now: Now,
    completed_on: Annotated[Ascii, Form(max_length=10)],
) -> Response:  # fmt: skip
    try:
        day = form_day(completed_on, "completed_on")
        performance.record_completion(db, actor, tender_id=tender_id, completed_on=day, now=now)
    except DomainError as error:
        return _performance_refused(request, db, actor, tender_id, error)
    return see_other(f"/workspace/performance/{tender_id}", done=COMPLETION_RECORDED)


__all__ = ["router"]
