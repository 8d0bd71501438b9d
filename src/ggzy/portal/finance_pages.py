"""The centre's finance desk (资金管理, issue 12 point 7): the reconciliations of the bank's daily statements with the
books and the differences they found, the other alerts (a credit nobody can match, a payer that is not the bidder's
basic account, a refund the bank rejected), the refund batches of the centre's tenders and the money in suspense.

Read through ``ggzy.finance.views.finance_desk`` (the centre's own and the platform's); the one change made here is
recording how an alert was resolved (``ggzy.finance.reconciliation.resolve_alert``): the alert stays in the history,
marked resolved with who, when and what was done. The books never change on this page: a difference is corrected
only by the services that own the money. Amounts in 元, times in Beijing time, filters by day and alert status.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Day, Id, Name, Text
from ggzy.core.money import format_yuan
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.finance import reconciliation
from ggzy.finance import views as finance_views
from ggzy.finance.access import NotADepositReader, NotTheAlertsCentre
from ggzy.finance.views import AlertFilter
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.formatting import china_time
from ggzy.portal.money_labels import MONEY_LABELS
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_day, form_refused, see_other
from ggzy.tendering import service as tendering

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Reader = Annotated[Principal, Depends(require(Permission.RECONCILIATION_READ))]
Resolver = Annotated[Principal, Depends(require(Permission.FINANCE_ALERT_RESOLVE))]
PAGE = "/workspace/centre/finance"

ALERT_RESOLVED = outcome("finance_alert_resolved", N_("告警已标记为已处理，处理情况已记录；告警保留在记录中。"))


def _filter(value: str) -> AlertFilter:
    try:
        return AlertFilter(value)
    except ValueError:
        raise InvalidInput(
            field="status", reason_zh="应为 open、resolved 或 all", reason_en="must be open, resolved or all"
        ) from None


_FEN_IN_TEXT = re.compile(r"(-?\d+) 分")
_MOMENT_IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)")


def yuan_in_text(text: str) -> str:
    """An alert's detail as the finance domain wrote it (amounts in integer 分, times in ISO 8601), with each amount
    in 元 and each time in Beijing time, as the pages show money and time."""
    text = _FEN_IN_TEXT.sub(lambda found: f"{format_yuan(int(found.group(1)))} 元", text)
    return _MOMENT_IN_TEXT.sub(lambda found: china_time(datetime.fromisoformat(found.group(0))), text)


def _context(db: Session, actor: Principal, now: datetime, day: date | None, status: AlertFilter) -> dict[str, Any]:
    desk = finance_views.finance_desk(db, actor, day=day, alert_filter=status, now=now)
    return {
        "active": "workspace", "section": "finance", "desk": desk, "money": MONEY_LABELS, "yuan_in_text": yuan_in_text,
    }  # fmt: skip


def _page(day: date | None, status: AlertFilter) -> str:
    query = f"?status={status.value}" + (f"&day={day.isoformat()}" if day else "")
    return f"{PAGE}{query}"


@router.get(
    PAGE,
    summary="The centre's finance desk: reconciliations per day with their alerts, other alerts, refund batches and "
    "credits in suspense (filters: day, alert status)",
    responses=problem_responses(InvalidInput),
)
def finance_desk(
    request: Request,
    db: DB,
    actor: Reader,
    now: Now,
    day: Annotated[Name, Query(max_length=10, description="A Beijing day YYYY-MM-DD; blank: the latest")] = "",
    status: Annotated[Name, Query(max_length=10)] = AlertFilter.OPEN.value,
) -> HTMLResponse:
    chosen = form_day(day, "day") if day.strip() else None  # the filter form sends a blank day for "any"
    return render(request, "ws_centre_finance.html", _context(db, actor, now, chosen, _filter(status)))


@router.post(
    "/workspace/centre/finance/alerts/{alert_id}/resolve",
    summary="Record how a finance alert was resolved (the alert stays in the history; the books are not changed here)",
    responses=problem_responses(NotFound, NotTheAlertsCentre, Conflict, InvalidInput),
)
def resolve_alert(
    alert_id: Id,
    request: Request,
    actor: Resolver,
    _: CsrfChecked,
    db: DB,
    now: Now,
    resolution: Annotated[Text, Form(min_length=1, max_length=4000)],
    day: Annotated[Day | None, Form()] = None,
    status: Annotated[Name, Form(max_length=10)] = AlertFilter.OPEN.value,
) -> Response:
    shown = AlertFilter(status) if status in set(AlertFilter) else AlertFilter.OPEN
    try:
        reconciliation.resolve_alert(db, actor, alert_id=alert_id, resolution=resolution, now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_centre_finance.html", lambda: _context(db, actor, now, day, shown), error)
    return see_other(_page(day, shown) + f"#alert-{alert_id}", done=ALERT_RESOLVED)


@router.get(
    "/workspace/centre/finance/tenders/{tender_id}",
    summary="A tender's bid deposits for the centre's staff once the opening began: each bid's, met or not, its form, "
    "refund and any forfeiture (before the opening nothing, 招标投标法 第22条)",
    responses=problem_responses(NotFound, NotADepositReader),
)
def tender_deposits(tender_id: Id, request: Request, db: DB, actor: Reader, now: Now) -> HTMLResponse:
    tender = tendering.get_tender(db, tender_id)
    lines = finance_views.deposit_lines(db, actor, tender_id=tender.id, now=now)
    return render(
        request,
        "ws_centre_finance_tender.html",
        {"active": "workspace", "section": "finance", "tender": tender, "deposit_lines": lines, "money": MONEY_LABELS},
    )
