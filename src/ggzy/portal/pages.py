"""The public pages of the portal (一网): home, notices, project pages, statistics.

Each page is a thin route like an API endpoint: it declares its permission (``Public`` here), takes its unit of work
(``DB``) and clock (``Now``), calls services, and renders a template. Refusals are the services' ``DomainError``s,
shown as an HTML error page by ``ggzy.portal.rendering.install_page_errors``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ggzy.core.codes import is_valid_region_code
from ggzy.core.errors import InvalidInput
from ggzy.core.permissions import PermissionedRoute
from ggzy.core.problems import problem_responses
from ggzy.core.trade_types import TradeType
from ggzy.core.web import DB, Now, Public
from ggzy.portal import search, views
from ggzy.portal.rendering import render
from ggzy.tendering.procedures import PROCEDURES

router = APIRouter(tags=["portal (HTML pages)"], route_class=PermissionedRoute, default_response_class=HTMLResponse)


@router.get("/", summary="Portal home: today's notices and openings, daily bid news, counts by trade type and region")
def home(request: Request, db: DB, _: Public, now: Now) -> HTMLResponse:
    return render(request, "home.html", {"active": "home", "today": views.today(db, now=now)})


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _notice_query(
    q: Annotated[str, Query(max_length=100, description="Full text: every space-separated term must match")] = "",
    trade_type: Annotated[str | None, Query(description="A trade type (交易类型)")] = None,
    region: Annotated[
        str | None, Query(description="A region code (GB/T 2260); a province includes its cities")
    ] = None,
    procedure: Annotated[str | None, Query(description="open | invited")] = None,
    published_from: Annotated[str | None, Query(alias="from", description="First day published (YYYY-MM-DD)")] = None,
    published_to: Annotated[str | None, Query(alias="to", description="Last day published (YYYY-MM-DD)")] = None,
    after: Annotated[str | None, Query(max_length=200, description="Cursor of the next page")] = None,
) -> search.NoticeQuery:
    """The list's filters from a GET form, where an untouched field arrives blank: blank means no filter."""
    trade_type, region, procedure = map(_blank_to_none, (trade_type, region, procedure))
    if trade_type is not None and trade_type not in set(TradeType):
        raise InvalidInput(field="trade_type", reason_zh="不是已知的交易类型", reason_en="is not a known trade type")
    if region is not None and not is_valid_region_code(region):
        raise InvalidInput(field="region", reason_zh="不是有效的行政区划代码", reason_en="is not a valid region code")
    if procedure is not None and procedure not in PROCEDURES:
        raise InvalidInput(field="procedure", reason_zh="不是已知的招标方式", reason_en="is not a known procedure")
    return search.NoticeQuery(
        text=q.strip(),
        trade_type=trade_type,
        region=region,
        procedure=procedure,
        published_from=_day(published_from, "from"),
        published_to=_day(published_to, "to"),
        after=_blank_to_none(after),
    )


def _day(value: str | None, field: str) -> date | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field=field, reason_zh="日期格式应为 YYYY-MM-DD", reason_en="must be a date YYYY-MM-DD"
        ) from None


@router.get(
    "/notices",
    summary="Notice list: search by text, trade type, region, procedure and dates; keyset pages",
    responses=problem_responses(InvalidInput, search.CursorInvalid),
)
def notices(
    request: Request, db: DB, _: Public, query: Annotated[search.NoticeQuery, Depends(_notice_query)]
) -> HTMLResponse:
    page = search.search_notices(db, query)
    return render(
        request,
        "notices.html",
        {
            "active": "notices",
            "query": query,
            "page": page,
            "trade_types": list(TradeType),
            "procedures": list(PROCEDURES.values()),
            "regions": views.project_regions(db),
        },
    )
