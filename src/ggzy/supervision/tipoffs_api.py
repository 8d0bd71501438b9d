"""API of tip-offs (举报, decision 0045): anyone reports and follows by a code (rate-limited); the supervisors of its
scope accept or decline it and close it with its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ggzy.core.codes import RegionCodeInvalid
from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Id
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.rate_limit import rate_limited
from ggzy.core.web import DB, Now, Public
from ggzy.supervision import tipoffs
from ggzy.supervision.models import Tipoff
from ggzy.supervision.schemas import (
    TipoffCodeIn,
    TipoffIn,
    TipoffOut,
    TipoffReasonIn,
    TipoffReceivedOut,
    TipoffStatusOut,
)

router = APIRouter(tags=["supervision"], route_class=PermissionedRoute)

Supervisor = Annotated[Principal, Depends(require(Permission.TIPOFF_HANDLE))]
# a report is a few a day from one address; a flood is refused (429) before anything is written
ReportLimit = Depends(rate_limited("tipoff_report", capacity=5, per_minute=2))
FollowLimit = Depends(rate_limited("tipoff_follow", capacity=20, per_minute=20))
HANDLING = (NotFound, InvalidInput, tipoffs.TipoffStateWrong)


def status_out(row: Tipoff) -> TipoffStatusOut:
    return TipoffStatusOut(
        subject=row.subject, status=row.status, received_at=row.received_at, accepted_at=row.accepted_at,
        closed_at=row.closed_at, answer=row.answer,
    )  # fmt: skip


def tipoff_out(row: Tipoff) -> TipoffOut:
    return TipoffOut(
        **status_out(row).model_dump(), id=row.id, region_code=row.region_code, trade_type=row.trade_type,
        tender_id=row.tender_id, content=row.content, contact=row.contact, reporter_user_id=row.reporter_user_id,
    )  # fmt: skip


@router.post(
    "/tipoffs",
    status_code=201,
    response_model=TipoffReceivedOut,
    dependencies=[ReportLimit],
    summary="Report (举报) what breaks the law in a trade, anonymous unless said otherwise "
    "(浙江省招标投标条例 第48条); the answer's code, shown once, follows it",
    responses=problem_responses(NotFound, InvalidInput, RegionCodeInvalid),
)
def report(body: TipoffIn, db: DB, actor: Public, now: Now) -> TipoffReceivedOut:
    reported = tipoffs.report(
        db, actor, subject=body.subject, content=body.content, tender_id=body.tender_id, region_code=body.region_code,
        trade_type=body.trade_type.value if body.trade_type else None, anonymous=body.anonymous, contact=body.contact,
        now=now,
    )  # fmt: skip
    return TipoffReceivedOut(code=reported.code, status=reported.tipoff.status, received_at=reported.tipoff.received_at)


@router.post(
    "/tipoffs/follow",
    response_model=TipoffStatusOut,
    dependencies=[FollowLimit],
    summary="Follow a report by its code: its status and what the reporter is told",
    responses=problem_responses(tipoffs.TipoffCodeUnknown),
)
def follow(body: TipoffCodeIn, db: DB, _: Public) -> TipoffStatusOut:
    return status_out(tipoffs.follow(db, code=body.code))


@router.get(
    "/tipoffs",
    response_model=list[TipoffOut],
    summary="The reports in the supervisor's region and trade, the oldest first",
)
def queue(
    db: DB,
    actor: Supervisor,
    status: Annotated[tipoffs.Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[TipoffOut]:
    return [tipoff_out(row) for row in tipoffs.queue(db, actor, status=status, limit=limit)]


@router.post(
    "/tipoffs/{tipoff_id}/accept",
    response_model=TipoffOut,
    summary="Accept a report (受理) for investigation",
    responses=problem_responses(*HANDLING),
)
def accept(tipoff_id: Id, db: DB, actor: Supervisor, now: Now) -> TipoffOut:
    return tipoff_out(tipoffs.accept(db, actor, tipoff_id=tipoff_id, now=now))


@router.post(
    "/tipoffs/{tipoff_id}/decline",
    response_model=TipoffOut,
    summary="Decline a report (不予受理) with the reason the reporter reads",
    responses=problem_responses(*HANDLING),
)
def decline(tipoff_id: Id, body: TipoffReasonIn, db: DB, actor: Supervisor, now: Now) -> TipoffOut:
    return tipoff_out(tipoffs.decline(db, actor, tipoff_id=tipoff_id, reason=body.text, now=now))


@router.post(
    "/tipoffs/{tipoff_id}/close",
    response_model=TipoffOut,
    summary="Close an accepted report with the result of the investigation, told to the reporter (第48条)",
    responses=problem_responses(*HANDLING),
)
def close(tipoff_id: Id, body: TipoffReasonIn, db: DB, actor: Supervisor, now: Now) -> TipoffOut:
    return tipoff_out(tipoffs.close(db, actor, tipoff_id=tipoff_id, result=body.text, now=now))
