"""API of supervision: the record of missed statutory periods (DESIGN §5) and the full trail of an opened round
(decision 0043)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ggzy.core.errors import NotFound
from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.supervision import service, trail
from ggzy.supervision.schemas import (
    LookOut,
    OpenedRoundOut,
    SubmissionOut,
    TrailEntryOut,
    TrailOut,
    ViolationOut,
)

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


# --- the full trail of an opened round (decision 0043) -------------------------------------------------------------

TrailReader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_TRAIL))]


def device_text(details: dict[str, Any]) -> str | None:
    device = details.get("device")
    if not device:
        return None
    if isinstance(device, dict):
        return "；".join(f"{key}: {value}" for key, value in sorted(device.items()))
    return str(device)


def trail_out(result: trail.Trail) -> TrailOut:
    return TrailOut(
        round=OpenedRoundOut(**asdict(result.round)),
        result_known=result.result_known,
        entries=[TrailEntryOut(**asdict(entry)) for entry in result.entries],
        submissions=[
            SubmissionOut(
                bid_id=s.public_id,
                bidder=result.bidder_names.get(s.entity_id, ""),
                status=s.status,
                submitted_at=s.submitted_at,
                ended_at=s.ended_at,
                ip=s.details.get("ip"),
                user_agent=s.details.get("user_agent"),
                device=device_text(s.details),
            )
            for s in result.submissions
        ],
        looks=[LookOut(**asdict(look)) for look in result.looks],
    )


@router.get(
    "/oversight/rounds",
    response_model=list[OpenedRoundOut],
    summary="The opened rounds of the supervisor's or inspector's region and trade type, the newest opening first",
)
def opened_rounds(
    db: DB,
    actor: TrailReader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> list[OpenedRoundOut]:
    return [OpenedRoundOut(**asdict(row)) for row in trail.opened_rounds(db, actor, limit=limit, offset=offset)]


@router.get(
    "/oversight/tenders/{tender_id}/trail",
    response_model=TrailOut,
    summary="An opened round's full trail: every event with its ledger receipt (withheld payloads once the result is "
    "known), every envelope's submission details (IP, user agent, device); the reading is recorded and shown to the "
    "round's owner, agent and bidders",
    responses=problem_responses(NotFound, trail.TrailSealed),
)
def round_trail(tender_id: Id, db: DB, actor: TrailReader, now: Now) -> TrailOut:
    return trail_out(trail.read_trail(db, actor, tender_id=tender_id, now=now))
