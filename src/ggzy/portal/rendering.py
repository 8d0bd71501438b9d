"""Rendering pages: one Jinja environment, one ``render`` for every page, and problems as HTML error pages.

A page route returns ``render(request, "name.html", {...})``. ``render`` chooses the language, gives the template
its translation functions and filters, and remembers a language the visitor just chose. A ``DomainError`` raised by
a service under a page (or a refused permission, or bad query input) is rendered by the app's one problem handler
first — so the code, status and zh/en messages are exactly the API's — and then, for a page, shown as HTML with the
code in the page and in the ``x-problem-code`` header.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import cache, partial
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ggzy.core.db import unit_of_work
from ggzy.core.errors import DomainError
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import PermissionedRoute
from ggzy.portal import formatting, labels
from ggzy.portal.csrf import csrf_token, remember_csrf_seed, viewer
from ggzy.portal.i18n import LANGUAGE_COOKIE, Language, choose_language, translations
from ggzy.portal.outcomes import carry_outcome, forget_outcome, outcome_of
from ggzy.portal.regions import region_choices, region_label
from ggzy.portal.views import account_name, centre_names, centre_regions
from ggzy.tendering.custody import keeps_shares

TEMPLATE_DIR = files("ggzy.portal") / "templates"
STATIC_DIR = files("ggzy.portal") / "static"
STATIC_PREFIX = "/static/portal"
PROBLEM_CODE_HEADER = "x-problem-code"
# Paths that are never pages: the API and the static files answer problems as problem+json.
_NOT_PAGES = ("/api/", "/static/")

environment = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt variable is an error in tests, not a blank on the page
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    # Templates ship inside the package: compiled once per process, never stat()ed again on each page.
    auto_reload=False,
)
environment.globals["static"] = lambda path: f"{STATIC_PREFIX}/{path}"
environment.globals["region_label"] = region_label
environment.globals["region_choices"] = region_choices  # a select of regions by name
# Domain views give yuan as decimal strings ("1234.50"): pages show them as 元 with separators, or in capitals.
environment.globals["fen_of"] = yuan_to_fen
environment.globals["uppercase_of"] = lambda yuan: formatting.yuan_uppercase(yuan_to_fen(yuan))
environment.globals["parse_time"] = datetime.fromisoformat


def _language_filters(language: Language) -> dict[str, Callable[..., str]]:
    return {
        "china_date": partial(formatting.china_date, language=language),
        "china_time": partial(formatting.china_time, language=language),
        "yuan": partial(formatting.yuan, language=language),
        "wan_yuan": partial(formatting.wan_yuan, language=language),
        "trade_type_label": partial(formatting.trade_type_label, language=language),
    }


environment.filters |= {
    "iso_time": formatting.iso_time,
    "yuan_uppercase": formatting.yuan_uppercase,
    "percent": formatting.percent,
}


def url_with(request: Request, **changes: object) -> str:
    """This page's URL with some query parameters changed (None removes one): pagination, filters, language."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """The page ``template`` in the visitor's language."""
    choice = choose_language(request)
    language = choice.language
    catalogue = translations(language)
    now: datetime = request.app.state.clock.now()
    page_context: dict[str, Any] = {
        "request": request,
        "lang": language,
        "now": now,
        "gettext": catalogue.gettext,
        "ngettext": catalogue.ngettext,
        "_": catalogue.gettext,
        "url_with": partial(url_with, request),
        "viewer": viewer(request),  # who is logged in (the layout's login / workspace / logout links)
        "csrf_token": partial(csrf_token, request),  # every POST form: <input name="csrf_token" …>
        "viewer_name": partial(_read, request, lambda db: account_name(db, viewer(request).user_id)),  # the header
        # whether the viewer's entity keeps opening-key shares (the workspace's custody link), read when asked
        "viewer_keeps_shares": partial(_read, request, lambda db: keeps_shares(db, viewer(request).entity_id)),
        # the regions the centres serve, by name, for a project's registration
        "centre_region_choices": lambda ids: region_choices(_read(request, lambda db: centre_regions(db, set(ids)))),
        "centre_name": lambda centre_id: _read(request, lambda db: centre_names(db, {centre_id})).get(centre_id, ""),
        "active": "",
        "done": outcome_of(request),  # what the last action did (ggzy.portal.outcomes), shown by the layout
        # a demo instance says so on every page (ggzy.core.instance)
        "demo_instance": request.app.state.demo_mark(request.app.state.session_factory),
        **_language_context(language),
        **(context or {}),
    }
    # Filters depend on the language: bind them per render, on a shallow overlay of the shared environment.
    overlay = _overlay(language)
    html = overlay.get_template(template).render(page_context)
    response = HTMLResponse(html, status_code=status)
    response.headers["content-language"] = "zh-CN" if language == "zh" else "en"
    response.headers["vary"] = "Cookie"
    remember_csrf_seed(request, response)
    forget_outcome(request, response)  # the outcome of the last action is shown once
    if choice.chosen_now:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def _read(request: Request, query: Callable[[Any], Any]) -> Any:
    """A name a layout asks for (who is logged in, a centre's name), read when the template shows it."""
    with unit_of_work(request.app.state.session_factory, read_only=True) as db:
        return query(db)


@cache
def _language_context(language: Language) -> dict[str, Any]:
    """What every page of a language shares: the labels translated and the filters bound, made once per language
    (templates only read them)."""
    gettext = translations(language).gettext
    return {
        "document_kinds": {key: gettext(label) for key, label in labels.DOCUMENT_KINDS.items()},
        "stages": {key: gettext(label) for key, label in labels.STAGES.items()},
        "step_status": {key: gettext(label) for key, label in labels.STEP_STATUS.items()},
        "next_step_labels": {key: gettext(label) for key, label in labels.NEXT_STEPS.items()},
        "summary_items": {key: gettext(label) for key, label in labels.SUMMARY_ITEMS.items()},
        **_language_filters(language),
    }


_overlays: dict[Language, Environment] = {}


def _overlay(language: Language) -> Environment:
    overlay = _overlays.get(language)
    if overlay is None:
        overlay = environment.overlay()
        overlay.filters = {**environment.filters, **_language_filters(language)}
        _overlays[language] = overlay
    return overlay


def translator(request: Request) -> tuple[Language, Callable[[str], str]]:
    """The visitor's language and its gettext, for words a route makes outside a template (download headers)."""
    language = choose_language(request).language
    return language, translations(language).gettext


def is_page_request(request: Request) -> bool:
    return not request.url.path.startswith(_NOT_PAGES) and request.url.path not in ("/docs", "/openapi.json")


def render_problem(request: Request, problem: dict[str, Any]) -> HTMLResponse:
    response = render(request, "error.html", {"problem": problem}, status=problem["status"])
    response.headers[PROBLEM_CODE_HEADER] = problem["code"]
    return response


class PageRoute(PermissionedRoute):
    """A page's route: its problems are answered as HTML error pages (:func:`install_page_errors`), and its
    OpenAPI operation says so; a form that is done sends the browser on (303, ``session.see_other``)."""

    problem_media_type = "text/html"

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if "POST" in (self.methods or ()) and self.status_code is None:
            self.responses = {
                **self.responses,
                303: {"description": "Done: the browser goes to the page of the result"},
            }

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            response = await handler(request)
            carry_outcome(request, response)  # what a form did goes to the next page once (ggzy.portal.outcomes)
            return response

        return answer


def install_page_errors(app: FastAPI) -> None:
    """Under a page, the app's problem+json handlers' answer is shown as an HTML page (same code and messages)."""
    for error_class in (DomainError, RequestValidationError, StarletteHTTPException):
        original = app.exception_handlers[error_class]

        def handler(request: Request, error: Exception, original: Callable[..., Any] = original) -> Response:
            response: Response = original(request, error)
            if not is_page_request(request):
                return response
            return render_problem(request, json.loads(bytes(response.body)))

        app.exception_handlers[error_class] = handler
