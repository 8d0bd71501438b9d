"""The supervisor's live view and the watch list on pages (decision 0046): ``/workspace/board`` lists every
unfinished lot of the reader's region and trade with its stage, next statutory deadline, time left, violations and
alerts, tracked lots marked; ``/workspace/watchlist`` lists the watch list (重点关注对象名单) with each entity's
tracked lots, and lets a supervisor add and remove entries. The same services and permissions as the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.codes import CreditCodeInvalid
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Offset, Text
from ggzy.core.permissions import Permission, Principal, Role, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.labels import N_
from ggzy.portal.outcomes import outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_day, form_refused, see_other
from ggzy.supervision import board, watchlist
from ggzy.tendering.procedures import PROCEDURES
from ggzy.tendering.stages import ENDED, Stage

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

BoardReader = Annotated[Principal, Depends(require(Permission.SUPERVISION_BOARD))]
WatchReader = Annotated[Principal, Depends(require(Permission.WATCHLIST_READ))]
WatchKeeper = Annotated[Principal, Depends(require(Permission.WATCHLIST_MANAGE))]
PAGE_SIZE = 50
WATCHLIST = "/workspace/watchlist"

DEADLINES: dict[str, str] = {
    board.BID_DEADLINE: N_("投标截止（开标）"),
    board.DECRYPTION_WINDOW: N_("解密时限届满"),
    board.PUBLICITY_END: N_("中标候选人公示期满"),
    board.OBJECTION_ANSWER: N_("异议答复期限"),
    board.COMPLAINT_CLOCK: N_("投诉受理或处理期限"),
}
HALTS: dict[str, str] = {
    "paused_by_objection": N_("因异议暂停"),
    "suspended": N_("投诉处理期间暂停"),
    "contract_waits_for_challenge": N_("质疑答复前暂停签订合同"),
}
LIVE_STAGES = [stage for stage in Stage if stage not in ENDED]
ADDED = outcome("watch_added", N_("已列入重点关注对象名单。"))
REMOVED = outcome("watch_removed", N_("已移出重点关注对象名单。"))


def _flag(value: str | None) -> bool:
    return value in ("1", "on", "yes", "true")


@router.get("/workspace/board", summary="The live view: every unfinished lot of the reader's region and trade")
def board_page(
    request: Request,
    db: DB,
    actor: BoardReader,
    now: Now,
    stage: Annotated[Ascii | None, Query(max_length=16)] = None,
    alerts: Annotated[Ascii | None, Query(max_length=5)] = None,
    watched: Annotated[Ascii | None, Query(max_length=5)] = None,
    offset: Annotated[Offset, Query()] = 0,
) -> HTMLResponse:
    wanted = Stage(stage) if stage in {s.value for s in LIVE_STAGES} else None
    found = board.board(
        db, actor, now=now, stage=wanted, alerts_only=_flag(alerts), watched_only=_flag(watched), limit=PAGE_SIZE,
        offset=offset,
    )  # fmt: skip
    context = {
        "active": "workspace",
        "section": "board",
        "rows": found.rows,
        "total": found.total,
        "stage": wanted.value if wanted else "",
        "live_stages": [s.value for s in LIVE_STAGES],
        "alerts_only": _flag(alerts),
        "watched_only": _flag(watched),
        "deadlines": DEADLINES,
        "halts": HALTS,
        "procedures": PROCEDURES,
        "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < found.total else None,
        "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
    }
    return render(request, "ws_board.html", context)


def _watch_context(db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    return {
        "active": "workspace",
        "section": "watchlist",
        "items": board.watch_list(db, actor, now=now),
        "keeper": Role.SUPERVISOR in actor.roles,
    }


@router.get("/workspace/watchlist", summary="The watch list (重点关注对象名单) with each entity's tracked lots")
def watchlist_page(request: Request, db: DB, actor: WatchReader, now: Now) -> HTMLResponse:
    return render(request, "ws_watchlist.html", _watch_context(db, actor, now))


@router.post(
    "/workspace/watchlist",
    summary="Put a registered entity on the watch list, with its grounds (form)",
    responses=problem_responses(
        CreditCodeInvalid, InvalidInput, watchlist.EntityNotRegistered, watchlist.AlreadyWatched,
        watchlist.WatchScopeDenied,
    ),
)  # fmt: skip
def add_entry(
    request: Request,
    actor: WatchKeeper,
    _: CsrfChecked,
    db: DB,
    now: Now,
    credit_code: Annotated[Ascii, Form(max_length=32)],
    grounds: Annotated[Text, Form(max_length=2000)],
    until: Annotated[Name, Form(max_length=10)] = "",
) -> Response:
    try:
        last_day = form_day(until, "until") if until.strip() else None
        watchlist.add(db, actor, credit_code=credit_code, grounds=grounds, until=last_day, now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_watchlist.html", lambda: _watch_context(db, actor, now), error)
    return see_other(WATCHLIST, done=ADDED)


@router.post(
    "/workspace/watchlist/{entry_id}/remove",
    summary="Take an entity off the watch list, with the reason (form)",
    responses=problem_responses(NotFound, InvalidInput, watchlist.WatchScopeDenied),
)
def remove_entry(
    entry_id: Id, request: Request, actor: WatchKeeper, _: CsrfChecked, db: DB, now: Now,
    reason: Annotated[Text, Form(max_length=2000)],
) -> Response:  # fmt: skip
    try:
        watchlist.remove(db, actor, entry_id=entry_id, reason=reason, now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_watchlist.html", lambda: _watch_context(db, actor, now), error)
    return see_other(WATCHLIST, done=REMOVED)
