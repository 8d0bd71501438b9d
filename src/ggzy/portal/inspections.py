"""Random inspections on pages (双随机一公开, decision 0042): the supervisor plans within its scope, draws once the
ledger has signed a checkpoint over the plan, the drawn inspectors record a finding per drawn round and publish;
everyone reads the plans, their seeds and draws, and the published results on ``/inspections``.

Every change is the API's service (``ggzy.supervision.inspections``) under the API's permission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.codes import RegionCodeInvalid
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Offset, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.trade_types import TradeType
from ggzy.core.web import DB, Now, Public
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.labels import N_
from ggzy.portal.outcomes import outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_day, form_refused, see_other
from ggzy.supervision import inspections

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Supervisor = Annotated[Principal, Depends(require(Permission.INSPECTION_MANAGE))]

HOME = "/workspace/inspections"
PAGE_SIZE = 20
PLANNED = outcome("inspection_planned", N_("抽查计划已登记，候选标段和检查人员已记入账本；账本检查点发布后即可抽取。"))
DRAWN = outcome("inspection_drawn", N_("已抽取：抽中的标段和检查人员已公开，任何人可按账本检查点复核。"))
FINDING_RECORDED = outcome("inspection_finding_recorded", N_("检查结果已记录，全部标段记录后即可公开。"))
PUBLISHED = outcome("inspection_published", N_("抽查结果已向社会公开。"))
OUTCOMES: dict[str, str] = {
    inspections.Outcome.NO_PROBLEM: N_("未发现问题"),
    inspections.Outcome.PROBLEMS_FOUND: N_("发现问题（已移交处理）"),
}
PLAN_PROBLEMS = (InvalidInput, RegionCodeInvalid, inspections.OutsideYourScope, inspections.NothingToDraw)


def _views(db: Session, actor: Principal, plans: list[inspections.InspectionPlan]) -> list[inspections.PlanView]:
    return [inspections.view(db, actor, plan) for plan in plans]


def _context(db: Session, actor: Principal, now: datetime, offset: int = 0) -> dict[str, Any]:
    rows = [
        plan
        for plan in inspections.list_plans(db, limit=PAGE_SIZE + 1, offset=offset)
        if inspections.may_manage(actor, plan)
    ]
    today = inspections.today(now)
    return {
        "active": "workspace",
        "section": "inspections",
        "plans": _views(db, actor, rows[:PAGE_SIZE]),
        "actor": actor,
        "trade_types": list(TradeType),
        "outcomes": OUTCOMES,
        "today": today,
        "next_offset": offset + PAGE_SIZE if len(rows) > PAGE_SIZE else None,
    }


def _refused(request: Request, db: Session, actor: Principal, now: datetime, error: DomainError) -> HTMLResponse:
    return form_refused(request, db, "ws_inspections.html", lambda: _context(db, actor, now), error)


@router.get(
    "/workspace/inspections", summary="The supervisor's random inspections (双随机一公开): plan, draw, findings"
)
def inspections_page(
    request: Request, db: DB, actor: Supervisor, now: Now, offset: Annotated[Offset, Query()] = 0
) -> HTMLResponse:
    return render(request, "ws_inspections.html", _context(db, actor, now, offset))


@router.post(
    "/workspace/inspections",
    summary="Plan a random inspection within the supervisor's scope (its candidates frozen in the ledger)",
    responses=problem_responses(*PLAN_PROBLEMS),
)
def plan_inspection(
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    title: Annotated[Name, Form(min_length=1, max_length=200)],
    region_code: Annotated[Ascii, Form(max_length=6)],
    window_start: Annotated[Ascii, Form(max_length=10)],
    window_end: Annotated[Ascii, Form(max_length=10)],
    rounds_to_draw: Annotated[int, Form(ge=1, le=inspections.MAX_ROUNDS)],
    inspectors_to_draw: Annotated[int, Form(ge=1, le=inspections.MAX_INSPECTORS)],
    trade_type: Annotated[Ascii, Form(max_length=32)] = "",
) -> Response:
    try:
        if trade_type and trade_type not in set(TradeType):
            raise InvalidInput(field="trade_type", reason_zh="不是已知的交易类型", reason_en="not a known trade type")
        inspections.plan_inspection(
            db, actor, title=title, region_code=region_code, trade_type=trade_type or None,
            window_start=form_day(window_start, "window_start"), window_end=form_day(window_end, "window_end"),
            rounds_to_draw=rounds_to_draw, inspectors_to_draw=inspectors_to_draw, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(HOME, done=PLANNED)


@router.post(
    "/workspace/inspections/{plan_id}/draw",
    summary="Draw the plan's rounds and inspectors from the ledger checkpoint's root (once)",
    responses=problem_responses(NotFound, Conflict, inspections.OutsideYourScope, inspections.SeedNotYetPublished),
)
def draw(plan_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        inspections.draw_inspection(db, actor, plan_id=plan_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(f"{HOME}#plan-{plan_id}", done=DRAWN)


@router.post(
    "/workspace/inspections/{plan_id}/findings",
    summary="A drawn inspector records the finding on one drawn round",
    responses=problem_responses(NotFound, Conflict, InvalidInput, inspections.NotDrawnInspector),
)
def record_finding(
    plan_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    outcome_value: Annotated[Ascii, Form(alias="outcome", max_length=24)],
    text: Annotated[Text, Form(min_length=1, max_length=4000)],
) -> Response:
    try:
        if outcome_value not in set(inspections.Outcome):
            raise InvalidInput(field="outcome", reason_zh="不是已知的检查结论", reason_en="not a known outcome")
        inspections.record_finding(
            db, actor, plan_id=plan_id, tender_id=tender_id, outcome=inspections.Outcome(outcome_value), text=text,
            now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(f"{HOME}#plan-{plan_id}", done=FINDING_RECORDED)


@router.post(
    "/workspace/inspections/{plan_id}/publish",
    summary="Publish the inspection's results (一公开) once every drawn round has its finding",
    responses=problem_responses(NotFound, Conflict, inspections.NotDrawnInspector),
)
def publish(plan_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        inspections.publish_results(db, actor, plan_id=plan_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, now, error)
    return see_other(f"{HOME}#plan-{plan_id}", done=PUBLISHED)


@router.get(
    "/inspections",
    summary="Random inspections (双随机一公开): every plan's candidates, seed and draw, and the published results",
)
def public_inspections(request: Request, db: DB, actor: Public, offset: Annotated[Offset, Query()] = 0) -> HTMLResponse:
    rows = inspections.list_plans(db, limit=PAGE_SIZE + 1, offset=offset)
    context = {
        "active": "inspections",
        "plans": _views(db, actor, rows[:PAGE_SIZE]),
        "outcomes": OUTCOMES,
        "next_offset": offset + PAGE_SIZE if len(rows) > PAGE_SIZE else None,
        "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
    }
    return render(request, "inspections.html", context)
