"""CSRF protection of the portal's forms, and who is looking at a page.

Every POST form of the portal carries a synchronizer token: an HMAC under the platform's secret over a random
per-browser seed (the ``ggzy_csrf`` cookie, set the first time a page shows a form) and the session token of the
``ggzy_session`` cookie. A page route that changes anything declares ``_: CsrfChecked`` after its permission; a POST
without the right token is refused with ``csrf_invalid`` (403) before any service runs. htmx sends the token as the
``x-csrf-token`` header. Templates write ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from ggzy.core.errors import DomainError
from ggzy.core.permissions import ANONYMOUS, Principal
from ggzy.core.problems import BodyTooLarge, BodyUnreadable
from ggzy.entities.login import SESSION_COOKIE

CSRF_COOKIE = "ggzy_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfInvalid(DomainError):
    code = "csrf_invalid"
    status = 403
    message_zh = "表单已过期或来源不明，请刷新页面后重新提交"
    message_en = "The form has expired or did not come from this site; reload the page and submit it again"


def viewer(request: Request) -> Principal:
    """Who is looking at the page, as the permission of its route resolved it (a visitor when none ran)."""
    return getattr(request.state, "principal", None) or ANONYMOUS


def _csrf_seed(request: Request) -> str:
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.new_csrf_seed = seed  # set on the response by ``remember_csrf_seed``
    return seed


def _csrf_mac(request: Request, seed: str, session_token: str) -> str:
    secret: bytes = request.app.state.secret_key
    return hmac.new(secret, f"csrf\n{seed}\n{session_token}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token a form of this page carries (bound to this browser's seed and to its session, if any)."""
    session_token = request.cookies.get(SESSION_COOKIE, "")
    return _csrf_mac(request, _csrf_seed(request), session_token)


def remember_csrf_seed(request: Request, response: Response) -> None:
    """Called by ``render``: a page that made a fresh seed for its forms sets it as a cookie."""
    seed = getattr(request.state, "new_csrf_seed", None)
    if seed:
        response.set_cookie(CSRF_COOKIE, seed, httponly=True, samesite="lax", secure=https(request), path="/")


async def check_csrf(request: Request) -> None:
    """A page POST's guard: the token of the form (or the ``x-csrf-token`` header) must match this browser's."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    seed = request.cookies.get(CSRF_COOKIE)
    if not sent or not seed or not sent.isascii():  # compare_digest refuses non-ASCII text with a TypeError
        raise CsrfInvalid(field=CSRF_FIELD)
    expected = _csrf_mac(request, seed, request.cookies.get(SESSION_COOKIE, ""))
    if not hmac.compare_digest(sent, expected):
        raise CsrfInvalid(field=CSRF_FIELD)


# What the guard can answer, declared on every form's operation (ggzy.core.permissions.declared_problems): it reads
# the form, so a form too large or unreadable is refused here too.
check_csrf.problems = (CsrfInvalid, BodyUnreadable, BodyTooLarge)  # type: ignore[attr-defined]
CsrfChecked = Annotated[None, Depends(check_csrf)]


def https(request: Request) -> bool:
    return request.url.scheme == "https"
