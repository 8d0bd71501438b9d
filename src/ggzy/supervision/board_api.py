"""API of the supervisor's live view and of the watch list (重点关注对象名单, decision 0046)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ggzy.core.codes import CreditCodeInvalid
from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.supervision import board, watchlist
from ggzy.supervision.models import WatchEntry
from ggzy.supervision.schemas import BoardOut, BoardRowOut, WatchEntryIn, WatchEntryOut, WatchRemovalIn
from ggzy.tendering.stages import Stage

router = APIRouter(tags=["supervision"], route_class=PermissionedRoute)

BoardReader = Annotated[Principal, Depends(require(Permission.SUPERVISION_BOARD))]
WatchReader = Annotated[Principal, Depends(require(Permission.WATCHLIST_READ))]
WatchKeeper = Annotated[Principal, Depends(require(Permission.WATCHLIST_MANAGE))]


def row_out(row: board.BoardRow) -> BoardRowOut:
    return BoardRowOut(
        tender_id=row.tender_id, round=row.round, title=row.title, procedure=row.procedure, stage=row.stage.value,
        project_id=row.project_id, project_code=row.project_code, project_name=row.project_name,
        region_code=row.region_code, trade_type=row.trade_type, lot_number=row.lot_number, lot_name=row.lot_name,
        opened=row.opened, deadline=row.deadline.key if row.deadline else None,
        deadline_at=row.deadline.at if row.deadline else None, seconds_left=row.seconds_left,
        violations=row.violations, halts=list(row.halts), complaints=row.complaints,
        finance_alerts=row.finance_alerts, rigging_markers=row.rigging_markers, watched_by=list(row.watched),
    )  # fmt: skip


def entry_out(entry: WatchEntry, name: str, tracked: list[int] | None = None) -> WatchEntryOut:
    return WatchEntryOut(
        id=entry.id, entity_id=entry.entity_id, entity_name=name, region_code=entry.region_code,
        trade_type=entry.trade_type, grounds=entry.grounds, until=entry.until, added_at=entry.added_at,
        removed_at=entry.removed_at, removal_reason=entry.removal_reason, tracked_tender_ids=tracked or [],
    )  # fmt: skip


@router.get(
    "/supervision/board",
    response_model=BoardOut,
    summary="The live view: every unfinished lot of the reader's region and trade, its stage, next statutory "
    "deadline and time left, recorded violations and alerts, sorted by time left (no bidder counts before opening)",
)
def live_board(
    db: DB,
    actor: BoardReader,
    now: Now,
    stage: Annotated[Stage | None, Query()] = None,
    alerts_only: Annotated[bool, Query()] = False,
    watched_only: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> BoardOut:
    found = board.board(
        db, actor, now=now, stage=stage, alerts_only=alerts_only, watched_only=watched_only, limit=limit,
        offset=offset,
    )  # fmt: skip
    return BoardOut(total=found.total, rows=[row_out(row) for row in found.rows])


@router.get(
    "/supervision/watchlist",
    response_model=list[WatchEntryOut],
    summary="The watch list (重点关注对象名单) of the reader's jurisdiction, each entity with its tracked live lots",
)
def list_watched(db: DB, actor: WatchReader, now: Now) -> list[WatchEntryOut]:
    return [
        entry_out(item.entry, item.name, [row.tender_id for row in item.tracked])
        for item in board.watch_list(db, actor, now=now)
    ]


@router.post(
    "/supervision/watchlist",
    status_code=201,
    response_model=WatchEntryOut,
    summary="Put a registered entity on the watch list of the supervisor's jurisdiction, with its grounds",
    responses=problem_responses(
        CreditCodeInvalid, InvalidInput, watchlist.EntityNotRegistered, watchlist.AlreadyWatched,
        watchlist.WatchScopeDenied,
    ),
)  # fmt: skip
def add_watched(body: WatchEntryIn, db: DB, actor: WatchKeeper, now: Now) -> WatchEntryOut:
    entry = watchlist.add(db, actor, credit_code=body.credit_code, grounds=body.grounds, until=body.until, now=now)
    return entry_out(entry, watchlist.names_of(db, [entry]).get(entry.entity_id, ""))


@router.post(
    "/supervision/watchlist/{entry_id}/remove",
    response_model=WatchEntryOut,
    summary="Take an entity off the watch list, with the reason (the entry stays for the record)",
    responses=problem_responses(NotFound, InvalidInput, watchlist.WatchScopeDenied),
)
def remove_watched(entry_id: Id, body: WatchRemovalIn, db: DB, actor: WatchKeeper, now: Now) -> WatchEntryOut:
    entry = watchlist.remove(db, actor, entry_id=entry_id, reason=body.reason, now=now)
    return entry_out(entry, watchlist.names_of(db, [entry]).get(entry.entity_id, ""))
