"""Logging in from a browser: the session cookie, the login and logout pages, and how a form shows a refusal.

The cookie carries the same session token the API's bearer header carries (``ggzy.entities.login``): the login
pages call the same services (``certificate_login``, ``password_login``, ``logout``), so a page session is an API
session, with the same lifetime, events and ending. The cookie is HttpOnly, SameSite=Lax, and Secure when the page
was served over https.

Every form is guarded against cross-site requests by ``ggzy.portal.csrf``.

Certificate login in a browser follows the API's challenge: the page shows a fresh nonce and the bidder signs
``ggzy-login:<origin> <nonce>`` with its certificate's key (the portal's origin: the signature is good here only):
through the local assistant (``ggzy assistant serve``, decision 0029, paired once on the /assistant page: the page
asks it, the user approves in the assistant's window, the page posts the certificate and signature it returns, no
copy and paste), or by hand (``ggzy bid sign-login --key key.pem --portal … --nonce …``, then pasting the signature
with its certificate). Both post the same form to the same service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.core.errors import DomainError, InvalidInput
from ggzy.core.inputs import Ascii, Name, Text, day_in_range, moment_in_range
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public, public_origin
from ggzy.crypto import (
    CertificateExpired,
    CertificateMalformed,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    SignatureInvalid,
)
from ggzy.entities import login
from ggzy.entities.login import SESSION_COOKIE
from ggzy.portal.csrf import CsrfChecked, https
from ggzy.portal.outcomes import Outcome, OutcomeRedirect
from ggzy.portal.rendering import PROBLEM_CODE_HEADER, PageRoute, render

# Where a login lands, and where a form may send the browser back to: only this site's own paths.
WORKSPACE = "/workspace"


def _set_session_cookie(request: Request, response: Response, token: str, lifetime: timedelta) -> None:
    # Max-Age, not Expires: the browser's clock need not agree with the server's (which decides, DESIGN §4.4).
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=https(request),
        path="/",
    )


def see_other(path: str, *, done: Outcome | None = None) -> RedirectResponse:
    """After a successful POST, the browser goes to a page (303: the reload does not post again); ``done`` is what
    that page then says was done, once (``ggzy.portal.outcomes``: a one-time cookie, never the URL)."""
    return OutcomeRedirect(path, done)


def safe_next(path: str | None) -> str:
    """Only a path of this site (no scheme, no other host): an open redirect would make a phishing tool."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return WORKSPACE


def not_blank(text: str, field: str) -> str:
    """A form's text without its surrounding spaces; only spaces is no text (the form's ``min_length`` counts them)."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(field=field, reason_zh="不能为空", reason_en="must not be blank")
    return stripped


def form_day(value: str, field: str) -> date:
    """A form's ``<input type="date">``: a Beijing date ``YYYY-MM-DD`` in the platform's range."""
    try:
        return day_in_range(date.fromisoformat(value.strip()), field=field)
    except ValueError:
        raise InvalidInput(
            field=field, reason_zh="日期格式应为 YYYY-MM-DD", reason_en="must be a date YYYY-MM-DD"
        ) from None


def form_china_time(value: str, field: str) -> datetime:
    """A form's ``<input type="datetime-local">``, written in China Standard Time (as every time on the portal is
    shown); a time that names its own offset keeps it."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            field=field, reason_zh="时间格式应为 YYYY-MM-DDTHH:MM", reason_en="must be a time YYYY-MM-DDTHH:MM"
        ) from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_STANDARD_TIME)
    return moment_in_range(moment, field=field)


def form_refused(
    request: Request,
    db: DB,
    template: str,
    context: dict[str, Any] | Callable[[], dict[str, Any]],
    error: DomainError,
) -> HTMLResponse:
    """A service refused a form: nothing it wrote stays, and the page is shown again with the error inline.

    ``context`` may be a function, called after the rollback, so that the page shows the state that stays.
    """
    db.rollback()
    record = getattr(error, "record_after_rollback", None)
    if record is not None:  # a refusal that is itself a recorded fact (a credit interception, decision 0040)
        record(db)
    problem = error.problem(instance=request.url.path)
    values = context() if callable(context) else context
    response = render(request, template, {**values, "problem": problem}, status=problem["status"])
    response.headers[PROBLEM_CODE_HEADER] = problem["code"]
    return response


# --- the login and logout pages -------------------------------------------------------------------------------------

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

_CERTIFICATE_PROBLEMS = (
    login.NonceInvalid,
    login.NonceReplayed,
    login.CertificateWithoutCreditCode,
    CertificateUntrusted,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateMalformed,
    SignatureInvalid,
)


def _login_context(request: Request, now: datetime, next_path: str | None, **extra: object) -> dict[str, object]:
    settings = request.app.state.settings
    nonce, expires_at = login.issue_nonce(
        secret=request.app.state.secret_key, now=now, lifetime=timedelta(seconds=settings.login_nonce_seconds)
    )
    return {
        "active": "login",
        "nonce": nonce,
        "nonce_expires_at": expires_at,
        "login_message": login.login_message(nonce, public_origin(request)).decode(),
        "portal_origin": public_origin(request),
        "next_path": safe_next(next_path),
        "username": "",
        "method": "certificate",
        "assistant_url": settings.assistant_url,
        **extra,
    }


def _session_lifetime(request: Request) -> timedelta:
    return timedelta(hours=request.app.state.settings.session_hours)


def _logged_in(request: Request, result: login.LoginResult, next_path: str | None, now: datetime) -> RedirectResponse:
    response = see_other(safe_next(next_path))
    _set_session_cookie(request, response, result.token, result.expires_at - now)
    return response


@router.get("/login", summary="Log in: by certificate (market entities) or password (staff, experts)")
def login_page(request: Request, _: Public, now: Now, next: Ascii | None = None) -> HTMLResponse:
    return render(request, "login.html", _login_context(request, now, next))


@router.get("/assistant", summary="The local assistant: how to start it, and pairing it with this portal")
def assistant_page(request: Request, _: Public) -> HTMLResponse:
    return render(
        request, "assistant.html",
        {"active": "login", "portal_origin": public_origin(request),
         "assistant_url": request.app.state.settings.assistant_url},
    )  # fmt: skip


@router.post(
    "/login/certificate",
    summary="Certificate login from the page: the nonce, the certificate and the signature of "
    "`ggzy-login:<origin> <nonce>`",
    responses=problem_responses(*_CERTIFICATE_PROBLEMS),
)
def certificate_login(
    request: Request,
    db: DB,
    _: Public,
    __: CsrfChecked,
    now: Now,
    nonce: Annotated[Ascii, Form(max_length=200)],
    signature: Annotated[Ascii, Form(max_length=2000)],
    certificate_pem: Annotated[Ascii, Form(max_length=20000)] = "",
    certificate_file: UploadFile | None = None,
    next: Annotated[Ascii | None, Form()] = None,
) -> Response:
    pem = certificate_pem.strip()
    if not pem and certificate_file is not None and certificate_file.filename:
        pem = certificate_file.file.read(20000).decode("utf-8", errors="replace").strip()
    try:
        result = login.certificate_login(
            db,
            nonce=nonce.strip(),
            certificate_pem=pem,
            intermediates_pem=[],
            signature=signature.strip(),
            secret=request.app.state.secret_key,
            origin=public_origin(request),
            now=now,
            lifetime=_session_lifetime(request),
        )
    except DomainError as error:
        return form_refused(request, db, "login.html", _login_context(request, now, next), error)
    return _logged_in(request, result, next, now)


@router.post(
    "/login/password",
    summary="Password login from the page (centre staff, experts, supervisors)",
    responses=problem_responses(login.CredentialsInvalid),
)
def password_login(
    request: Request,
    db: DB,
    _: Public,
    __: CsrfChecked,
    now: Now,
    username: Annotated[Name, Form(max_length=200)],
    password: Annotated[Text, Form(max_length=1000)],
    next: Annotated[Ascii | None, Form()] = None,
) -> Response:
    try:
        result = login.password_login(
            db, username=username.strip(), password=password, now=now, lifetime=_session_lifetime(request)
        )
    except DomainError as error:
        context = _login_context(request, now, next, username=username, method="password")
        return form_refused(request, db, "login.html", context, error)
    return _logged_in(request, result, next, now)


@router.post("/logout", summary="Log out: the session ends (as the API's logout) and the cookie is cleared")
def logout(request: Request, db: DB, actor: Public, __: CsrfChecked, now: Now) -> Response:
    if actor.session_id is not None:  # an expired cookie has nothing left to end
        login.logout(db, actor, now=now)
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=https(request))
    return response
