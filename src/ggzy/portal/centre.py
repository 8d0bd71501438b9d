"""The trading centre staff's workspace (交易中心): accept or return project registrations, watch the day's openings.

The same services as the API (``ggzy.projects.service``) under the same permission (``project.review``); the
projects are those of the staff member's own centres (``ggzy.projects.access``). The day's openings list the
tenders whose deadline falls today (China Standard Time) with their stage and a link to the live opening hall;
nothing about their bidders before the opening (招标投标法 第22条). Venue booking has no API yet, so no page.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME, to_china_time
from ggzy.core.errors import DomainError, NotFound
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.rendering import render
from ggzy.portal.session import form_refused, see_other
from ggzy.portal.workspace_views import centre_tenders_closing
from ggzy.projects import service as projects
from ggzy.projects.access import NotYourCentre, staff_centres
from ggzy.tendering.service import stage_of

router = APIRouter(tags=["portal (HTML pages)"], route_class=PermissionedRoute, default_response_class=HTMLResponse)

Reviewer = Annotated[Principal, Depends(require(Permission.PROJECT_REVIEW))]


def _context(db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    pending, _ = projects.list_projects(db, actor, status=projects.SUBMITTED, limit=100)
    today = to_china_time(now).date()
    start = datetime.combine(today, time(0), tzinfo=CHINA_STANDARD_TIME)
    openings = centre_tenders_closing(db, staff_centres(actor), start=start, end=start + timedelta(days=1))
    return {
        "active": "workspace",
        "section": "centre",
        "pending": [{"project": p, "lots": lots} for p, lots in _with_lots(db, pending)],
        "openings": [{"tender": t, "project": p, "stage": stage_of(t, now).value} for t, p in openings],
        "today": today,
    }


def _with_lots(db: Session, rows: list[Any]) -> list[tuple[Any, list[Any]]]:
    lots = projects.lots_of(db, [project.id for project in rows])
    return [(project, lots[project.id]) for project in rows]


@router.get("/workspace/centre", summary="Centre staff workspace: registrations to accept, today's openings")
def centre_home(request: Request, db: DB, actor: Reviewer, now: Now) -> HTMLResponse:
    return render(request, "ws_centre.html", _context(db, actor, now))


_REVIEW_PROBLEMS = (NotFound, NotYourCentre, projects.RegistrationNotPending)


@router.post(
    "/workspace/centre/projects/{project_id}/accept",
    summary="Accept a project registration (进场登记受理)",
    responses=problem_responses(*_REVIEW_PROBLEMS),
)
def accept(project_id: int, request: Request, actor: Reviewer, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        projects.accept_registration(db, actor, project_id=project_id, now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_centre.html", lambda: _context(db, actor, now), error)
    return see_other("/workspace/centre")


@router.post(
    "/workspace/centre/projects/{project_id}/return",
    summary="Return a project registration with its reason",
    responses=problem_responses(*_REVIEW_PROBLEMS),
)
def return_registration(
    project_id: int,
    request: Request,
    actor: Reviewer,
    _: CsrfChecked,
    db: DB,
    now: Now,
    reason: Annotated[str, Form(min_length=2, max_length=2000)],
) -> Response:
    try:
        projects.return_registration(db, actor, project_id=project_id, reason=reason.strip(), now=now)
    except DomainError as error:
        return form_refused(request, db, "ws_centre.html", lambda: _context(db, actor, now), error)
    return see_other("/workspace/centre")
