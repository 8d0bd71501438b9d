"""Helpers of the workspace page tests: a browser session through the same services, and the forms' CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.entities import login
from ggzy.entities.login import SESSION_COOKIE
from ggzy.entities.models import User
from tests.conftest import TEST_NOW

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser_login(client: TestClient, db: Session, user: User) -> str:
    """The client becomes a browser logged in as ``user`` (a session opened by the login service)."""
    token, _ = login.open_session(
        db, user, method="password", certificate_id=None, now=TEST_NOW, lifetime=timedelta(days=90)
    )
    db.flush()
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")  # as if the server had set it
    return token


def csrf_from(client: TestClient, page: str) -> str:
    """The CSRF token of the forms of ``page`` as this browser sees it (the page sets the seed cookie)."""
    response = client.get(page)
    assert response.status_code == 200, response.text
    found = _CSRF.search(response.text)
    assert found, f"no form on {page}"
    return found.group(1)


def problem_code(response) -> str | None:  # type: ignore[no-untyped-def]
    return response.headers.get("x-problem-code")


def outcome_code(response) -> str | None:  # type: ignore[no-untyped-def]
    """The code of the outcome a form that is done sends on to the next page (``ggzy.portal.outcomes``: a one-time
    cookie, never the URL), or None."""
    from ggzy.portal.outcomes import OUTCOME_COOKIE

    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == OUTCOME_COOKIE:
            return rest.split(";", 1)[0].strip('"').partition(".")[0] or None
    return None
