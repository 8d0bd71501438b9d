"""The supervisor's and the inspector's reading of opened rounds (decision 0043): a list of the opened rounds of
their region and trade type, and each round's full trail — every event with its ledger receipt, every envelope's
submission details — as tables. Reading a trail is recorded; the round's owner, agent and bidders see it on their
own pages. The same services and permission as ``/api/v1/oversight``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ggzy.core.errors import NotFound
from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.portal.labels import ROLES
from ggzy.portal.rendering import PageRoute, render
from ggzy.supervision import trail
from ggzy.supervision.api import device_text

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Reader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_TRAIL))]
PAGE_SIZE = 50


@router.get("/workspace/oversight", summary="The opened rounds of the reader's region, to read their full trail")
def rounds_page(request: Request, db: DB, actor: Reader, offset: Annotated[Offset, Query()] = 0) -> HTMLResponse:
    rows = trail.opened_rounds(db, actor, limit=PAGE_SIZE + 1, offset=offset)
    context = {
        "active": "workspace",
        "section": "oversight",
        "rows": rows[:PAGE_SIZE],
        "next_offset": offset + PAGE_SIZE if len(rows) > PAGE_SIZE else None,
        "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
    }
    return render(request, "ws_oversight.html", context)


@router.get(
    "/workspace/oversight/tenders/{tender_id}",
    summary="An opened round's full trail (events with ledger receipts, submission details); the reading is recorded",
    responses=problem_responses(NotFound, trail.TrailSealed),
)
def trail_page(tender_id: Id, request: Request, db: DB, actor: Reader, now: Now) -> HTMLResponse:
    result = trail.read_trail(db, actor, tender_id=tender_id, now=now)
    context = {
        "active": "workspace",
        "section": "oversight",
        "trail": result,
        "roles": ROLES,
        "device_text": device_text,
    }
    return render(request, "ws_oversight_trail.html", context)
