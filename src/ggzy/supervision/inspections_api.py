"""API of the random inspections (双随机一公开, decision 0042): supervisors plan, draw, record findings and publish;
everyone reads the plans, their candidates, seeds and draws, and the results once published."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from ggzy.core.codes import RegionCodeInvalid
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public
from ggzy.supervision import inspections
from ggzy.supervision.schemas import (
    CandidateRoundOut,
    FindingIn,
    FindingOut,
    InspectionPlanIn,
    InspectionPlanOut,
    InspectorOut,
)

router = APIRouter(tags=["supervision"], route_class=PermissionedRoute)

Supervisor = Annotated[Principal, Depends(require(Permission.INSPECTION_MANAGE))]


def plan_out(db: Session, actor: Principal, plan: inspections.InspectionPlan) -> InspectionPlanOut:
    view = inspections.view(db, actor, plan)
    draw = view.draw
    return InspectionPlanOut(
        id=plan.id, title=plan.title, region_code=plan.region_code, trade_type=plan.trade_type,
        window_start=plan.window_start, window_end=plan.window_end, rounds_to_draw=plan.rounds_to_draw,
        inspectors_to_draw=plan.inspectors_to_draw, planned_at=plan.planned_at, plan_event_id=plan.plan_event_id,
        candidate_rounds=[CandidateRoundOut(tender_id=t, title=view.titles.get(t, "")) for t in view.candidate_rounds],
        candidate_inspectors=[
            InspectorOut(user_id=u, name=view.inspector_names.get(u, "")) for u in view.candidate_inspectors
        ],
        seed_tree_size=plan.seed_tree_size,
        seed_root_hash=plan.seed_root_hash.hex() if plan.seed_root_hash is not None else None,
        drawn_rounds=list(draw.rounds) if draw else None, drawn_inspectors=list(draw.inspectors) if draw else None,
        drawn_at=plan.drawn_at, published_at=plan.published_at,
        findings=[
            FindingOut(tender_id=f.tender_id, outcome=inspections.Outcome(f.outcome), text=f.text,
                       recorded_by=f.recorded_by, recorded_at=f.recorded_at)
            for f in view.findings
        ],
    )  # fmt: skip


@router.post(
    "/inspections",
    status_code=201,
    response_model=InspectionPlanOut,
    summary="Plan a random inspection (双随机一公开) within the supervisor's region and trade type: its candidate "
    "rounds (opened, bid deadline in the window) and inspectors are frozen in its public ledger entry",
    responses=problem_responses(
        InvalidInput, RegionCodeInvalid, inspections.OutsideYourScope, inspections.NothingToDraw
    ),
)
def plan(body: InspectionPlanIn, db: DB, actor: Supervisor, now: Now) -> InspectionPlanOut:
    row = inspections.plan_inspection(
        db, actor, title=body.title, region_code=body.region_code,
        trade_type=body.trade_type.value if body.trade_type else None, window_start=body.window_start,
        window_end=body.window_end, rounds_to_draw=body.rounds_to_draw, inspectors_to_draw=body.inspectors_to_draw,
        now=now,
    )  # fmt: skip
    return plan_out(db, actor, row)


@router.post(
    "/inspections/{plan_id}/draw",
    response_model=InspectionPlanOut,
    summary="Draw the plan's rounds and inspectors, seeded by the root hash of the first signed ledger checkpoint "
    "holding the plan's entry (once; replayable by anyone)",
    responses=problem_responses(NotFound, Conflict, inspections.OutsideYourScope, inspections.SeedNotYetPublished),
)
def draw(plan_id: Id, db: DB, actor: Supervisor, now: Now) -> InspectionPlanOut:
    return plan_out(db, actor, inspections.draw_inspection(db, actor, plan_id=plan_id, now=now))


@router.post(
    "/inspections/{plan_id}/findings",
    status_code=201,
    response_model=InspectionPlanOut,
    summary="A drawn inspector records the finding on one drawn round (once per round)",
    responses=problem_responses(NotFound, Conflict, InvalidInput, inspections.NotDrawnInspector),
)
def record_finding(plan_id: Id, body: FindingIn, db: DB, actor: Supervisor, now: Now) -> InspectionPlanOut:
    inspections.record_finding(
        db, actor, plan_id=plan_id, tender_id=body.tender_id, outcome=body.outcome, text=body.text, now=now
    )
    return plan_out(db, actor, inspections.get_plan(db, plan_id))


@router.post(
    "/inspections/{plan_id}/publish",
    response_model=InspectionPlanOut,
    summary="Publish the results (一公开) once every drawn round has its finding: by a drawn inspector",
    responses=problem_responses(NotFound, Conflict, inspections.NotDrawnInspector),
)
def publish(plan_id: Id, db: DB, actor: Supervisor, now: Now) -> InspectionPlanOut:
    return plan_out(db, actor, inspections.publish_results(db, actor, plan_id=plan_id, now=now))


@router.get(
    "/inspections",
    response_model=list[InspectionPlanOut],
    summary="Random inspections, newest first: their candidates, seeds and draws; findings once published",
)
def list_plans(
    db: DB,
    actor: Public,
    published: Annotated[bool, Query(description="only those whose results are published")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[Offset, Query()] = 0,
) -> list[InspectionPlanOut]:
    rows = inspections.list_plans(db, limit=limit, offset=offset, published_only=published)
    return [plan_out(db, actor, row) for row in rows]


@router.get(
    "/inspections/{plan_id}",
    response_model=InspectionPlanOut,
    summary="One random inspection: candidates, seed and draw (replay it from the ledger), findings once published",
    responses=problem_responses(NotFound),
)
def get_plan(plan_id: Id, db: DB, actor: Public) -> InspectionPlanOut:
    return plan_out(db, actor, inspections.get_plan(db, plan_id))
