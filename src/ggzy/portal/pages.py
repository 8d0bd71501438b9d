"""The public pages of the portal (一网): home, notices, project pages, statistics.

Each page is a thin route like an API endpoint: it declares its permission (``Public`` here), takes its unit of work
(``DB``) and clock (``Now``), calls services, and renders a template. Refusals are the services' ``DomainError``s,
shown as an HTML error page by ``ggzy.portal.rendering.install_page_errors``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from ggzy.core.clock import to_china_time
from ggzy.core.codes import is_valid_region_code
from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Id, Name, SearchTerm, day_in_range
from ggzy.core.problems import problem_responses
from ggzy.core.trade_types import TradeType
from ggzy.core.web import DB, Now, Public
from ggzy.portal import formatting, search, views
from ggzy.portal import statistics as stats
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.page_cache import remembered
from ggzy.portal.process import project_process
from ggzy.portal.rendering import PageRoute, render, translator
from ggzy.tendering import sole_source
from ggzy.tendering.procedures import PROCEDURES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)


@router.get("/", summary="Portal home: today's notices and openings, daily bid news, counts by trade type and region")
def home(request: Request, db: DB, _: Public, now: Now) -> HTMLResponse:
    today = remembered(request, "today", lambda: views.today(db, now=now))
    # Counting every notice costs 200 ms at 100,000: once every 30 s, and at once after a publication in this worker.
    counts = remembered(request, "notice_counts", lambda: views.notice_counts(db), seconds=30)
    return render(request, "home.html", {"active": "home", "today": today, "counts": counts})


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _notice_query(
    q: Annotated[
        SearchTerm, Query(max_length=100, description="Full text: every space-separated term must match")
    ] = "",
    trade_type: Annotated[Name | None, Query(description="A trade type (交易类型)")] = None,
    region: Annotated[
        Name | None, Query(description="A region code (GB/T 2260); a province includes its cities")
    ] = None,
    procedure: Annotated[Name | None, Query(description="open | invited")] = None,
    kind: Annotated[
        Name | None, Query(description="The notice a round is at: notice | candidates | result | termination")
    ] = None,
    published_from: Annotated[Name | None, Query(alias="from", description="First day published (YYYY-MM-DD)")] = None,
    published_to: Annotated[Name | None, Query(alias="to", description="Last day published (YYYY-MM-DD)")] = None,
    after: Annotated[Name | None, Query(max_length=200, description="Cursor of the next page")] = None,
) -> search.NoticeQuery:
    """The list's filters from a GET form, where an untouched field arrives blank: blank means no filter."""
    trade_type, region, procedure, kind = map(_blank_to_none, (trade_type, region, procedure, kind))
    if trade_type is not None and trade_type not in set(TradeType):
        raise InvalidInput(field="trade_type", reason_zh="不是已知的交易类型", reason_en="is not a known trade type")
    if region is not None and not is_valid_region_code(region):
        raise InvalidInput(field="region", reason_zh="不是有效的行政区划代码", reason_en="is not a valid region code")
    if procedure is not None and procedure not in PROCEDURES:
        raise InvalidInput(field="procedure", reason_zh="不是已知的招标方式", reason_en="is not a known procedure")
    if kind is not None and kind not in search.NOTICE_KINDS:
        raise InvalidInput(field="kind", reason_zh="不是已知的公告类型", reason_en="is not a known notice type")
    return search.NoticeQuery(
        text=q.strip(),
        trade_type=trade_type,
        region=region,
        procedure=procedure,
        kind=kind,
        published_from=_day(published_from, "from"),
        published_to=_day(published_to, "to"),
        after=_blank_to_none(after),
    )


def _day(value: str | None, field: str) -> date | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    try:
        return day_in_range(date.fromisoformat(value), field=field)
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
            "notice_kinds": search.NOTICE_KINDS,
            "regions": remembered(request, "regions", lambda: views.project_regions(db)),
        },
    )


@router.get(
    "/notices/sole-supplier",
    summary="Sole-supplier publicities of single-source procurements (政府采购法实施条例 第38条), with the objections "
    "raised during them and the purchasers' answers",
)
def sole_supplier_notices(request: Request, db: DB, _: Public, now: Now) -> HTMLResponse:
    return render(request, "sole_supplier_notices.html", sole_supplier_context(db, now))


# what the publicity page says after an objection (the bidder's form posts it: ggzy.portal.bidder)
SOLE_SUPPLIER_OBJECTION_RAISED = outcome("objection_raised", N_("异议已提交，采购人答复后将在此公开（不公开提出人）。"))


def sole_supplier_context(db: DB, now: datetime) -> dict[str, object]:
    """The page's publicities, and the China date that tells which still take objections."""
    return {"active": "notices", "publicities": sole_source.publicities(db), "today": to_china_time(now).date()}


@router.get(
    "/projects/{project_id}",
    summary="A project's full-process page: every stage and published document, each with its ledger proof",
    responses=problem_responses(NotFound),
)
def project_page(project_id: Id, request: Request, db: DB, _: Public, now: Now) -> HTMLResponse:
    process = project_process(db, project_id=project_id, now=now)
    return render(request, "project.html", {"active": "notices", "process": process})


Year = Annotated[int | None, Query(ge=2000, le=2100, description="China calendar year; this year if not given")]
_DOWNLOAD_HEADER = (N_("维度"), N_("键"), N_("名称"), N_("成交数"), N_("预算金额（元）"), N_("成交金额（元）"),
                    N_("节约金额（元）"), N_("资金节约率"))  # fmt: skip


def _statistics(request: Request, db: DB, year: int | None, now: Now) -> tuple[stats.Statistics, dict, list[str]]:
    language, gettext = translator(request)
    chosen = year or to_china_time(now).year
    result = stats.statistics_for(db, year=chosen)
    labels = {
        "trade_type": {t.value: formatting.trade_type_label(t.value, language) for t in TradeType},
        "month": {m.key: (f"{int(m.key[5:])}月" if language == "zh" else m.key) for m in result.by_month},
        "region": {t.key: views.region_label(t.key) for t in result.by_region},
        "total": {"total": gettext("合计")},
    }
    return result, labels, [gettext(word) for word in _DOWNLOAD_HEADER]


@router.get("/statistics", summary="Statistics: awarded volume and amount by trade type, month and region; savings")
def statistics_page(request: Request, db: DB, _: Public, now: Now, year: Year = None) -> HTMLResponse:
    result, labels, _header = _statistics(request, db, year, now)
    return render(
        request,
        "statistics.html",
        {"active": "statistics", "stats": result, "labels": labels, "chart": stats.chart_data(result, labels)},
    )


@router.get(
    "/statistics.csv",
    response_class=Response,
    summary="The statistics tables as CSV (UTF-8 with BOM)",
    responses={200: {"content": {"text/csv": {}}}},
)
def statistics_csv(request: Request, db: DB, _: Public, now: Now, year: Year = None) -> Response:
    result, labels, header = _statistics(request, db, year, now)
    return Response(
        stats.as_csv(header, stats.table_rows(result, labels)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="ggzy-statistics-{result.year}.csv"'},
    )


@router.get(
    "/statistics.xlsx",
    response_class=Response,
    summary="The statistics tables as an Excel workbook",
    responses={200: {"content": {XLSX: {}}}},
)
def statistics_xlsx(request: Request, db: DB, _: Public, now: Now, year: Year = None) -> Response:
    result, labels, header = _statistics(request, db, year, now)
    return Response(
        stats.as_xlsx(str(result.year), header, stats.table_rows(result, labels)),
        media_type=XLSX,
        headers={"content-disposition": f'attachment; filename="ggzy-statistics-{result.year}.xlsx"'},
    )
