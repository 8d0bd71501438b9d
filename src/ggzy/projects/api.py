"""API of project registration (进场登记)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Id, Offset
from ggzy.core.money import fen_to_yuan
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.trade_types import TradeType
from ggzy.core.web import DB, Now
from ggzy.projects import service
from ggzy.projects.access import NotYourCentre, NotYourProject
from ggzy.projects.models import Lot, Project
from ggzy.projects.schemas import LotOut, ProjectIn, ProjectOut, ReturnIn

router = APIRouter(tags=["projects"], route_class=PermissionedRoute)

Registrant = Annotated[Principal, Depends(require(Permission.PROJECT_REGISTER))]
Reader = Annotated[Principal, Depends(require(Permission.PROJECT_READ))]
Reviewer = Annotated[Principal, Depends(require(Permission.PROJECT_REVIEW))]


def project_out(project: Project, lots: list[Lot]) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        code=project.code,
        centre_id=project.centre_id,
        name=project.name,
        trade_type=TradeType(project.trade_type),
        region_code=project.region_code,
        owner_id=project.owner_id,
        agent_id=project.agent_id,
        approval_reference=project.approval_reference,
        procurement_category=project.procurement_category,
        status=project.status,
        return_reason=project.return_reason,
        budget=fen_to_yuan(sum(lot.budget_fen for lot in lots)),
        registered_at=project.registered_at,
        reviewed_at=project.reviewed_at,
        lots=[
            LotOut(
                id=lot.id,
                number=lot.number,
                name=lot.name,
                budget=fen_to_yuan(lot.budget_fen),
                ceiling_price=None if lot.ceiling_price_fen is None else fen_to_yuan(lot.ceiling_price_fen),
            )
            for lot in lots
        ],
    )


def _out(db: DB, project: Project) -> ProjectOut:
    return project_out(project, service.lots_of(db, [project.id])[project.id])


@router.post(
    "/projects",
    response_model=ProjectOut,
    status_code=201,
    summary="Register a project with its lots (进场登记)",
    responses=problem_responses(
        NotYourProject,
        NotFound,
        InvalidInput,
        service.CeilingPriceNotAllowed,
        service.CeilingAboveBudget,
    ),
)
def register_project(body: ProjectIn, db: DB, actor: Registrant, now: Now) -> ProjectOut:
    return _out(db, service.register_project(db, actor, data=body, now=now))


@router.get("/projects", responses=problem_responses())
def list_projects(
    db: DB,
    actor: Reader,
    status: Annotated[str | None, Query(pattern="^(submitted|accepted|returned)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> dict[str, object]:
    projects, total = service.list_projects(db, actor, status=status, limit=limit, offset=offset)
    lots = service.lots_of(db, [project.id for project in projects])
    return {"total": total, "items": [project_out(project, lots[project.id]) for project in projects]}


@router.get(
    "/projects/{project_id}",
    response_model=ProjectOut,
    responses=problem_responses(NotFound),
)
def get_project(project_id: Id, db: DB, actor: Reader) -> ProjectOut:
    return _out(db, service.get_project(db, actor, project_id))


@router.post(
    "/projects/{project_id}/accept",
    response_model=ProjectOut,
    summary="Accept a registration (centre staff)",
    responses=problem_responses(NotYourCentre, NotFound, service.RegistrationNotPending),
)
def accept_registration(project_id: Id, db: DB, actor: Reviewer, now: Now) -> ProjectOut:
    return _out(db, service.accept_registration(db, actor, project_id=project_id, now=now))


@router.post(
    "/projects/{project_id}/return",
    response_model=ProjectOut,
    summary="Return a registration with the reason (centre staff)",
    responses=problem_responses(NotYourCentre, NotFound, service.RegistrationNotPending),
)
def return_registration(project_id: Id, body: ReturnIn, db: DB, actor: Reviewer, now: Now) -> ProjectOut:
    return _out(db, service.return_registration(db, actor, project_id=project_id, reason=body.reason, now=now))
