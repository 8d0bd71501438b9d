"""API of supervision: the record of missed statutory periods (DESIGN §5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.web import DB
from ggzy.supervision import service
from ggzy.supervision.schemas import ViolationOut

router = APIRouter(tags=["supervision"], route_class=PermissionedRoute)

Reader = Annotated[Principal, Depends(require(Permission.VIOLATION_READ))]


def violation_out(row: service.ViolationRow) -> ViolationOut:
    violation, period = row.violation, row.period
    return ViolationOut(
        id=violation.id, centre_id=violation.centre_id, tender_id=row.tender.id, tender_title=row.tender.title,
        round=row.tender.round, project_code=row.project.code, project_name=row.project.name,
        lot_number=row.lot.number, lot_name=row.lot.name, period=violation.period_key,
        period_name_zh=period.name_zh if period else None, period_name_en=period.name_en if period else None,
        article=violation.article, due=violation.due, happened_on=violation.happened_on,
        days_late=violation.days_late, actor_role=violation.actor_role, recorded_at=violation.recorded_at,
        event_id=violation.event_id,
    )  # fmt: skip


@router.get(
    "/violations",
    response_model=list[ViolationOut],
    summary="Missed statutory periods, each with its article (the late step went ahead and was recorded), newest "
    "first: a supervisor's or inspector's region, a centre's staff their centre, the administrator all",
)
def list_violations(
    db: DB,
    actor: Reader,
    centre_id: Annotated[Id | None, Query()] = None,
    tender_id: Annotated[Id | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> list[ViolationOut]:
    rows = service.visible_violations(db, actor, centre_id=centre_id, tender_id=tender_id, limit=limit, offset=offset)
    return [violation_out(row) for row in rows]
