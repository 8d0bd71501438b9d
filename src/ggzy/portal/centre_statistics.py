"""The centre staff's statistics, rolled up the hierarchy (统分结合, decision 0041): a centre's awarded lots and
amounts with those of every centre below it, by the centre itself and each centre directly below it, by trade type
and by month, for a China calendar year.

A province centre's staff see the province's figures with a row per city (each city's counties counted in it), and
follow a city's row down to its counties; a city's staff see the city and its counties; a county's its own. A centre
outside the reader's (a sibling's, a parent's) is refused (``CentreNotOverseen``, 403). The figures are of awards only,
public from the award notices (``ggzy.portal.statistics``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ggzy.core.clock import to_china_time
from ggzy.core.errors import DomainError
from ggzy.core.inputs import Id
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.trade_types import TradeType
from ggzy.core.web import DB, Now
from ggzy.entities.hierarchy import ancestors_of
from ggzy.entities.service import get_centre
from ggzy.portal import formatting
from ggzy.portal import statistics as stats
from ggzy.portal.rendering import PageRoute, render, translator
from ggzy.projects.access import overseen_centres, staff_centres

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)


class CentreNotOverseen(DomainError):
    code = "centre_not_overseen"
    status = 403
    message_zh = "该交易中心既不是您所在的中心，也不在其下级"
    message_en = "This centre is neither yours nor below yours"


Staff = Annotated[Principal, Depends(require(Permission.PROJECT_REVIEW))]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="China calendar year; this year if not given")]


@router.get(
    "/workspace/centre/statistics",
    summary="Centre staff: awarded lots and amounts of the centre and every centre below it, by child centre",
    responses=problem_responses(CentreNotOverseen),
)
def centre_statistics_page(
    request: Request,
    db: DB,
    actor: Staff,
    now: Now,
    year: Year = None,
    centre_id: Annotated[Id | None, Query(description="A centre of the reader's, or below it")] = None,
) -> HTMLResponse:
    overseen = overseen_centres(db, actor)
    own = sorted(staff_centres(actor))
    chosen = centre_id if centre_id is not None else own[0]
    if chosen not in overseen:
        raise CentreNotOverseen(field="centre_id")
    language, gettext = translator(request)
    result = stats.rollup_for(db, year=year or to_china_time(now).year, centre_id=chosen)
    centre = get_centre(db, chosen)
    names = {t.key: get_centre(db, int(t.key)).name for t in result.by_centre}
    names[str(chosen)] = gettext("本中心直属项目")
    trail = [c for c in reversed(ancestors_of(db, chosen)) if c.id in overseen]
    context = {
        "active": "workspace",
        "section": "centre_statistics",
        "stats": result,
        "centre": centre,
        "trail": trail,
        "own_centres": [get_centre(db, c) for c in own],
        "centre_names": names,
        "trade_names": {t.value: formatting.trade_type_label(t.value, language) for t in TradeType},
        "month_names": {m.key: (f"{int(m.key[5:])}月" if language == "zh" else m.key) for m in result.by_month},
    }
    return render(request, "ws_centre_statistics.html", context)
