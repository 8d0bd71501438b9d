"""The public pages of the portal (一网): home, notices, project pages, statistics.

Each page is a thin route like an API endpoint: it declares its permission (``Public`` here), takes its unit of work
(``DB``) and clock (``Now``), calls services, and renders a template. Refusals are the services' ``DomainError``s,
shown as an HTML error page by ``ggzy.portal.rendering.install_page_errors``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ggzy.core.permissions import PermissionedRoute
from ggzy.core.web import DB, Now, Public
from ggzy.portal import views
from ggzy.portal.rendering import render

router = APIRouter(tags=["portal (HTML pages)"], route_class=PermissionedRoute, default_response_class=HTMLResponse)


@router.get("/", summary="Portal home: today's notices and openings, daily bid news, counts by trade type and region")
def home(request: Request, db: DB, _: Public, now: Now) -> HTMLResponse:
    return render(request, "home.html", {"active": "home", "today": views.today(db, now=now)})
