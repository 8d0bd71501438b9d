"""The supervisor's page of missed statutory periods (期间违规记录, DESIGN §5).

Each row is a step taken after its statutory period ran out — the step went ahead, and the violation was recorded
with its article (``ggzy.core.violations``): the project and lot, the period and its article, the last day it
allowed, the day the step happened, how many days late, and when it was recorded, in China Standard Time. The same
service and permission as ``GET /api/v1/violations``: supervisors and inspectors of their region, a centre's staff
of their centre, the platform administrator.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.web import DB
from ggzy.portal.rendering import PageRoute, render
from ggzy.supervision import service

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Reader = Annotated[Principal, Depends(require(Permission.VIOLATION_READ))]
PAGE_SIZE = 100


@router.get(
    "/workspace/violations",
    summary="Missed statutory periods with their articles (supervisors, inspectors, centre staff, administrator)",
)
def violations_page(
    request: Request,
    db: DB,
    actor: Reader,
    tender_id: Annotated[Id | None, Query()] = None,
    offset: Annotated[Offset, Query()] = 0,
) -> HTMLResponse:
    rows = service.visible_violations(
        db, actor, centre_id=None, tender_id=tender_id, limit=PAGE_SIZE + 1, offset=offset
    )
    context = {
        "active": "workspace",
        "section": "violations",
        "rows": rows[:PAGE_SIZE],
        "tender_id": tender_id,
        "offset": offset,
        "next_offset": offset + PAGE_SIZE if len(rows) > PAGE_SIZE else None,
        "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
    }
    return render(request, "ws_violations.html", context)
