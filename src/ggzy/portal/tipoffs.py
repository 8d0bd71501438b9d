"""Tip-offs on pages (举报, decision 0045): anyone reports on ``/tipoffs`` (anonymous unless said otherwise) and is
shown its follow-up code once; ``/tipoffs/follow`` answers the status and what the reporter is told; the supervisors
of its scope handle it on ``/workspace/tipoffs``. The same services, permission and rate limits as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.codes import RegionCodeInvalid
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.rate_limit import rate_limited
from ggzy.core.trade_types import TradeType
from ggzy.core.web import DB, Now, Public
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.labels import N_
from ggzy.portal.outcomes import outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other
from ggzy.supervision import tipoffs

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Supervisor = Annotated[Principal, Depends(require(Permission.TIPOFF_HANDLE))]
HOME = "/workspace/tipoffs"
STATUSES: dict[str, str] = {
    tipoffs.Status.RECEIVED: N_("已收到，待受理"),
    tipoffs.Status.ACCEPTED: N_("已受理，调查处理中"),
    tipoffs.Status.DECLINED: N_("不予受理"),
    tipoffs.Status.CLOSED: N_("已办结"),
}
ACCEPTED = outcome("tipoff_accepted", N_("举报已受理，请及时调查处理。"))
DECLINED = outcome("tipoff_declined", N_("已决定不予受理，理由已告知举报人。"))
CLOSED = outcome("tipoff_closed", N_("举报已办结，处理情况已告知举报人。"))


def _form_context(request: Request) -> dict[str, Any]:
    return {"active": "tipoffs", "trade_types": list(TradeType), "statuses": STATUSES, "found": None}


@router.get("/tipoffs", summary="Report (举报) what breaks the law in a trade: anyone, anonymous allowed")
def report_page(request: Request, _: Public) -> HTMLResponse:
    return render(request, "tipoff_report.html", _form_context(request))


@router.post(
    "/tipoffs",
    dependencies=[Depends(rate_limited("tipoff_report_page", capacity=5, per_minute=2))],
    summary="Receive a report and show its follow-up code once",
    responses=problem_responses(NotFound, InvalidInput, RegionCodeInvalid),
)
def report(
    request: Request,
    actor: Public,
    _: CsrfChecked,
    db: DB,
    now: Now,
    subject: Annotated[Name, Form(min_length=1, max_length=200)],
    content: Annotated[Text, Form(min_length=1, max_length=5000)],
    region_code: Annotated[Ascii, Form(max_length=6)] = "",
    trade_type: Annotated[Ascii, Form(max_length=32)] = "",
    tender_id: Annotated[Ascii, Form(max_length=19)] = "",
    named: Annotated[Ascii, Form(max_length=3)] = "",
    contact: Annotated[Name, Form(max_length=200)] = "",
) -> Response:
    try:
        if trade_type and trade_type not in set(TradeType):
            raise InvalidInput(field="trade_type", reason_zh="不是已知的交易类型", reason_en="not a known trade type")
        if tender_id.strip() and not tender_id.strip().isdigit():
            raise InvalidInput(
                field="tender_id", reason_zh="应为标段编号（数字）", reason_en="must be a round's number"
            )
        reported = tipoffs.report(
            db, actor, subject=subject, content=content, tender_id=int(tender_id) if tender_id.strip() else None,
            region_code=region_code or None,
            trade_type=trade_type or None, anonymous=named != "yes", contact=contact or None, now=now,
        )  # fmt: skip
    except DomainError as error:
        return form_refused(request, db, "tipoff_report.html", _form_context(request), error)
    # the code is shown on this answer only (it is never stored): no redirect that could lose it
    context = _form_context(request) | {"reported": reported.tipoff, "code": reported.code}
    return render(request, "tipoff_received.html", context)


@router.get("/tipoffs/follow", summary="Follow a report by its code")
def follow_page(request: Request, _: Public) -> HTMLResponse:
    return render(request, "tipoff_follow.html", _form_context(request))


@router.post(
    "/tipoffs/follow",
    dependencies=[Depends(rate_limited("tipoff_follow_page", capacity=20, per_minute=20))],
    summary="A report's status and what the reporter is told, by its code",
    responses=problem_responses(tipoffs.TipoffCodeUnknown),
)
def follow(
    request: Request, _: Public, __: CsrfChecked, db: DB, code: Annotated[Ascii, Form(min_length=1, max_length=64)]
) -> Response:
    try:
        found = tipoffs.follow(db, code=code)
    except DomainError as error:
        return form_refused(request, db, "tipoff_follow.html", _form_context(request), error)
    return render(request, "tipoff_follow.html", _form_context(request) | {"found": found})


def _queue_context(db: Session, actor: Principal, status: str | None) -> dict[str, Any]:
    wanted = tipoffs.Status(status) if status in set(tipoffs.Status) else None
    return {
        "active": "workspace",
        "section": "tipoffs",
        "rows": tipoffs.queue(db, actor, status=wanted, limit=200),
        "statuses": STATUSES,
        "status": wanted.value if wanted else "",
    }


@router.get("/workspace/tipoffs", summary="The reports in the supervisor's region and trade, to accept and close")
def queue_page(
    request: Request, db: DB, actor: Supervisor, status: Annotated[Ascii | None, Query(max_length=16)] = None
) -> HTMLResponse:
    return render(request, "ws_tipoffs.html", _queue_context(db, actor, status))


def _handled(request: Request, db: Session, actor: Principal, error: DomainError) -> HTMLResponse:
    return form_refused(request, db, "ws_tipoffs.html", lambda: _queue_context(db, actor, None), error)


@router.post(
    "/workspace/tipoffs/{tipoff_id}/accept",
    summary="Accept a report (受理)",
    responses=problem_responses(NotFound, tipoffs.TipoffStateWrong),
)
def accept(tipoff_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        tipoffs.accept(db, actor, tipoff_id=tipoff_id, now=now)
    except DomainError as error:
        return _handled(request, db, actor, error)
    return see_other(f"{HOME}#tipoff-{tipoff_id}", done=ACCEPTED)


@router.post(
    "/workspace/tipoffs/{tipoff_id}/decline",
    summary="Decline a report (不予受理) with the reason the reporter reads",
    responses=problem_responses(NotFound, InvalidInput, tipoffs.TipoffStateWrong),
)
def decline(
    tipoff_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now,
    text: Annotated[Text, Form(min_length=1, max_length=5000)],
) -> Response:  # fmt: skip
    try:
        tipoffs.decline(db, actor, tipoff_id=tipoff_id, reason=text, now=now)
    except DomainError as error:
        return _handled(request, db, actor, error)
    return see_other(f"{HOME}#tipoff-{tipoff_id}", done=DECLINED)


@router.post(
    "/workspace/tipoffs/{tipoff_id}/close",
    summary="Close an accepted report with its result, told to the reporter",
    responses=problem_responses(NotFound, InvalidInput, tipoffs.TipoffStateWrong),
)
def close(
    tipoff_id: Id, request: Request, actor: Supervisor, _: CsrfChecked, db: DB, now: Now,
    text: Annotated[Text, Form(min_length=1, max_length=5000)],
) -> Response:  # fmt: skip
    try:
        tipoffs.close(db, actor, tipoff_id=tipoff_id, result=text, now=now)
    except DomainError as error:
        return _handled(request, db, actor, error)
    return see_other(f"{HOME}#tipoff-{tipoff_id}", done=CLOSED)
