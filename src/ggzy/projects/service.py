"""Project registration (进场登记): the only code that changes projects and lots."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnExpressionArgument, Select, func, select, update
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.codes import make_project_code, region_contains, validate_region_code
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import Principal
from ggzy.core.trade_types import TradeType
from ggzy.entities.service import get_centre, get_entity
from ggzy.projects.access import check_registrant, check_reviewer, visible_projects
from ggzy.projects.models import Lot, Project, ProjectCodeSequence
from ggzy.projects.schemas import LotIn, ProjectIn

SUBMITTED = "submitted"
ACCEPTED = "accepted"
RETURNED = "returned"


class CeilingPriceNotAllowed(DomainError):
    code = "ceiling_price_not_allowed"
    status = 422
    message_zh = "{trade_type_zh}项目不设最高投标限价（{field}），请使用起始价或保留价"
    message_en = "A {trade_type_en} project has no ceiling price ({field}); it uses a starting or reserve price"


class CeilingAboveBudget(DomainError):
    code = "ceiling_price_above_budget"
    status = 422
    message_zh = "最高投标限价不得高于预算（{field}）"
    message_en = "The ceiling price must not exceed the budget ({field})"


class RegistrationNotPending(DomainError):
    code = "registration_not_pending"
    status = 409
    message_zh = "该项目登记当前状态为 {status}，不能再受理或退回"
    message_en = "The registration is {status}; only a submitted registration can be accepted or returned"


def _lot_amounts(index: int, lot: LotIn, trade_type: TradeType) -> tuple[int, int | None]:
    budget = yuan_to_fen(lot.budget, field=f"lots.{index}.budget")
    if budget <= 0:
        raise InvalidInput(
            field=f"lots.{index}.budget",
            reason_zh="预算必须大于零",
            reason_en="the budget must be above zero",
        )
    if lot.ceiling_price is None:
        return budget, None
    field = f"lots.{index}.ceiling_price"
    if not trade_type.has_ceiling_price:
        raise CeilingPriceNotAllowed(field=field, trade_type_zh=trade_type.label_zh, trade_type_en=trade_type.label_en)
    ceiling = yuan_to_fen(lot.ceiling_price, field=field)
    if ceiling <= 0:
        raise InvalidInput(
            field=field, reason_zh="最高投标限价必须大于零", reason_en="the ceiling price must be above zero"
        )
    # 政府采购货物和服务招标投标管理办法 第12条: the ceiling is set within the budget; the same holds for works.
    if ceiling > budget:
        raise CeilingAboveBudget(field=field)
    return budget, ceiling


def _next_project_code(db: Session, *, region_code: str, trade_type: TradeType, now: datetime) -> str:
    """The next unified project code for this region, year (China time) and trade type; gap-free per key."""
    year = to_china_time(now).year
    key = (
        ProjectCodeSequence.region_code == region_code,
        ProjectCodeSequence.year == year,
        ProjectCodeSequence.trade_type == trade_type.value,
    )
    bumped = db.execute(update(ProjectCodeSequence).where(*key).values(last_serial=ProjectCodeSequence.last_serial + 1))
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        db.add(ProjectCodeSequence(region_code=region_code, year=year, trade_type=trade_type.value, last_serial=1))
        db.flush()
    serial = db.scalar(select(ProjectCodeSequence.last_serial).where(*key))
    assert serial is not None
    return make_project_code(region_code, year, trade_type.code_letter, serial)


@changes_state("project.registered")
def register_project(db: Session, actor: Principal, *, data: ProjectIn, now: datetime) -> Project:
    """An owner, or the agent it appointed, registers a project with its lots; centre staff then review it."""
    actor = check_registrant(actor, centre_id=data.centre_id, owner_id=data.owner_id, agent_id=data.agent_id)
    centre = get_centre(db, data.centre_id)
    region_code = validate_region_code(data.region_code)
    if not region_contains(centre.region_code, region_code):
        raise InvalidInput(
            field="region_code",
            reason_zh=f"项目所在地不在 {centre.name} 的服务区域内",
            reason_en=f"the project's region is outside the area of {centre.name}",
        )
    get_entity(db, data.owner_id, field="owner_id")
    if data.agent_id is not None:
        if data.agent_id == data.owner_id:
            raise InvalidInput(
                field="agent_id",
                reason_zh="代理机构不能是招标人本身",
                reason_en="the agent cannot be the owner itself",
            )
        get_entity(db, data.agent_id, field="agent_id")
    amounts = [_lot_amounts(index, lot, data.trade_type) for index, lot in enumerate(data.lots)]

    project = Project(
        code=_next_project_code(db, region_code=region_code, trade_type=data.trade_type, now=now),
        centre_id=centre.id,
        name=data.name.strip(),
        trade_type=data.trade_type.value,
        region_code=region_code,
        owner_id=data.owner_id,
        agent_id=data.agent_id,
        approval_reference=data.approval_reference,
        procurement_category=data.procurement_category.value if data.procurement_category is not None else None,
        status=SUBMITTED,
        registered_by=actor.user_id,
        registered_at=now,
    )
    db.add(project)
    db.flush()
    db.add_all(
        Lot(project_id=project.id, number=number, name=lot.name, budget_fen=budget, ceiling_price_fen=ceiling)
        for number, (lot, (budget, ceiling)) in enumerate(zip(data.lots, amounts, strict=True), start=1)
    )
    db.flush()
    record_event(
        db,
        actor,
        action="project.registered",
        subject_type="project",
        subject_id=project.id,
        centre_id=centre.id,
        payload={
            "code": project.code,
            "name": project.name,
            "trade_type": project.trade_type,
            "owner_id": project.owner_id,
            "agent_id": project.agent_id,
            **({"procurement_category": project.procurement_category} if project.procurement_category else {}),
            "lots": [
                {"number": n, "budget_fen": b, "ceiling_price_fen": c} for n, (b, c) in enumerate(amounts, start=1)
            ],
        },
        now=now,
    )
    return project


def _review(db: Session, actor: Principal, project_id: int) -> Project:
    project = db.get(Project, project_id)
    if project is None:
        raise NotFound(field="project_id", what_zh="项目", what_en="Project")
    check_reviewer(actor, project)
    if project.status != SUBMITTED:
        raise RegistrationNotPending(field="project_id", status=project.status)
    return project


@changes_state("project.accepted")
def accept_registration(db: Session, actor: Principal, *, project_id: int, now: datetime) -> Project:
    project = _review(db, actor, project_id)
    project.status = ACCEPTED
    project.reviewed_by = actor.user_id
    project.reviewed_at = now
    db.flush()
    record_event(
        db,
        actor,
        action="project.accepted",
        subject_type="project",
        subject_id=project.id,
        centre_id=project.centre_id,
        payload={"code": project.code},
        now=now,
    )
    return project


@changes_state("project.returned")
def return_registration(db: Session, actor: Principal, *, project_id: int, reason: str, now: datetime) -> Project:
    """Centre staff return a registration to its registrant, saying why (the registrant corrects and resubmits)."""
    project = _review(db, actor, project_id)
    project.status = RETURNED
    project.return_reason = reason.strip()
    project.reviewed_by = actor.user_id
    project.reviewed_at = now
    db.flush()
    record_event(
        db,
        actor,
        action="project.returned",
        subject_type="project",
        subject_id=project.id,
        centre_id=project.centre_id,
        payload={"code": project.code, "reason": project.return_reason},
        now=now,
    )
    return project


def get_project(db: Session, actor: Principal, project_id: int) -> Project:
    project = db.scalar(visible_projects(actor).where(Project.id == project_id))
    if project is None:  # not there, or not for this principal's eyes: the same answer
        raise NotFound(field="project_id", what_zh="项目", what_en="Project")
    return project


def list_projects(
    db: Session,
    actor: Principal,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    centre_ids: set[int] | None = None,
) -> tuple[list[Project], int]:
    """The projects ``actor`` may read, newest first; ``centre_ids``: only those run by these centres (a centre's
    own queue of work, where the centres below it are read but not acted for: decision 0041)."""
    query = visible_projects(actor)
    if status is not None:
        query = query.where(Project.status == status)
    if centre_ids is not None:
        query = query.where(Project.centre_id.in_(sorted(centre_ids)))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Project.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def lots_of(db: Session, project_ids: list[int]) -> dict[int, list[Lot]]:
    by_project: dict[int, list[Lot]] = {project_id: [] for project_id in project_ids}
    for lot in db.scalars(select(Lot).where(Lot.project_id.in_(project_ids)).order_by(Lot.project_id, Lot.number)):
        by_project[lot.project_id].append(lot)
    return by_project


def project_id_of_code(db: Session, code: str) -> int | None:
    """The id of the project with this unified code (any case), or None: for commands that are given a code."""
    return db.scalar(select(Project.id).where(Project.code == code.upper()))


def find_project(db: Session, project_id: int) -> Project | None:
    """The project with this id, whoever asks: for the public pages, which show only what is published of it."""
    return db.get(Project, project_id)


def find_lot(db: Session, lot_id: int) -> tuple[Lot, Project] | None:
    """The lot with this id and its project, or None (for the domains whose rows name a lot)."""
    lot = db.get(Lot, lot_id)
    if lot is None:
        return None
    project = db.get(Project, lot.project_id)
    assert project is not None  # a lot's project_id is a non-null foreign key
    return lot, project


def lots_with_projects(db: Session, lot_ids: Collection[int]) -> dict[int, tuple[Lot, Project]]:
    """Lots with their projects, by lot id, in one query (for another domain's lists)."""
    if not lot_ids:
        return {}
    rows = db.execute(select(Lot, Project).join(Project, Project.id == Lot.project_id).where(Lot.id.in_(lot_ids)))
    return {lot.id: (lot, project) for lot, project in rows}


def lot_ids_of_projects(project_ids: Select[tuple[int]]) -> Select[int]:
    """The ids of the lots of the given projects, as a query to filter another domain's rows by."""
    return select(Lot.id).where(Lot.project_id.in_(project_ids))


def lot_ids_of_centres(centre_ids: Collection[int]) -> Select[int]:
    """The ids of the lots of the projects of these centres, as a query to filter another domain's rows by."""
    return select(Lot.id).join(Project, Project.id == Lot.project_id).where(Project.centre_id.in_(centre_ids))


def lot_ids_run_by(entity_id: int) -> Select[int]:
    """The ids of the lots of the projects this entity owns or runs as the agent, as a query to filter by."""
    return (
        select(Lot.id)
        .join(Project, Project.id == Lot.project_id)
        .where((Project.owner_id == entity_id) | (Project.agent_id == entity_id))
    )


def with_lot_and_project(query: Select[Any], lot_id: ColumnExpressionArgument[int]) -> Select[Any]:
    """``query`` with the lot that ``lot_id`` names and its project joined and added to its columns (as ``Lot`` and
    ``Project``): for another domain's read that must stay one round trip (a bid's submission at the deadline)."""
    return query.add_columns(Lot, Project).join(Lot, Lot.id == lot_id).join(Project, Project.id == Lot.project_id)
