"""API of publishing: the public change feed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ggzy.core.inputs import BIGINT_MAX
from ggzy.core.permissions import PermissionedRoute
from ggzy.core.web import DB, Public
from ggzy.publishing.feed import MAX_PAGE, feed_page

router = APIRouter(tags=["publishing"], route_class=PermissionedRoute)


@router.get(
    "/feed",
    summary="Every disclosable event in commit order from a cursor (the ledger index); never skips a late commit",
)
def feed(
    db: DB,
    _: Public,
    cursor: Annotated[int, Query(ge=-1, le=BIGINT_MAX, description="The last index you have; -1 to start")] = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    return feed_page(db, cursor=cursor, limit=limit)
