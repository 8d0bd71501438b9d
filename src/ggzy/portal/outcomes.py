"""What a page says after an action: one line, once, on the page the browser lands on (PRG: the POST answers 303).

A portal module declares the outcomes of its forms once, at import::

    WITHDRAWN = outcome("bid_withdrawn", N_("投标已撤回。截止时间前可以重新递交。"))

and its route ends with ``see_other(path, done=WITHDRAWN)``. The outcome rides to the next page in a one-time cookie
(``ggzy_done``: HttpOnly, SameSite=Lax, Secure over https, a minute at most), never in the URL: a link someone sends
(``?done=report_signed``) shows nothing, so no page can be made to say that something was done when nothing was.
The cookie holds the outcome's code and an HMAC under the platform's secret over the code and this browser's CSRF
seed (``ggzy.portal.csrf``, decision 0009), so a cookie set from elsewhere, or taken from another browser, shows
nothing either. The first full page rendered reads it, shows the registered sentence (``base.html``, translated like
any message of the templates) and deletes it: a reload shows the page alone. Only a registered code shows anything;
the cookie never carries text.

The route class of the pages (``ggzy.portal.rendering.PageRoute``) turns the answer of ``see_other`` into the cookie
(:func:`carry_outcome`): ``see_other`` itself has no request to bind the outcome to.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from ggzy.portal.csrf import CSRF_COOKIE, https
from ggzy.portal.labels import N_

__all__ = ["N_", "Outcome", "OutcomeRedirect", "carry_outcome", "forget_outcome", "outcome", "outcome_of"]

OUTCOME_COOKIE = "ggzy_done"
OUTCOME_SECONDS = 60  # the page the browser is sent to loads at once; a cookie left over must not speak much later


@dataclass(frozen=True)
class Outcome:
    code: str
    text_zh: str  # the message id: Chinese, translated by the portal's catalogue


_OUTCOMES: dict[str, Outcome] = {}


def outcome(code: str, text_zh: str) -> Outcome:
    """Declare what the page says after an action; a code names one sentence only."""
    known = _OUTCOMES.get(code)
    if known is not None and known.text_zh != text_zh:
        raise ValueError(f"outcome {code!r} is declared twice with different sentences")
    declared = Outcome(code, text_zh)
    _OUTCOMES[code] = declared
    return declared


class OutcomeRedirect(RedirectResponse):
    """A 303 to the page of the result, carrying what was done until the page route seals it into the cookie."""

    def __init__(self, url: str, done: Outcome | None) -> None:
        super().__init__(url, status_code=303)
        self.done = done


def _seal(request: Request, code: str) -> str:
    secret: bytes = request.app.state.secret_key
    seed = request.cookies.get(CSRF_COOKIE, "")
    return hmac.new(secret, f"outcome\n{seed}\n{code}".encode(), hashlib.sha256).hexdigest()


def carry_outcome(request: Request, response: Response) -> None:
    """A page route's answer: the outcome of a form that is done goes to the next page in the one-time cookie."""
    if isinstance(response, OutcomeRedirect) and response.done is not None:
        code = response.done.code
        response.set_cookie(
            OUTCOME_COOKIE, f"{code}.{_seal(request, code)}", max_age=OUTCOME_SECONDS, httponly=True,
            samesite="lax", secure=https(request), path="/",
        )  # fmt: skip


def outcome_of(request: Request) -> Outcome | None:
    """The registered outcome this browser's one-time cookie names, if it is sealed for this browser (the URL's
    query is not read)."""
    value = request.cookies.get(OUTCOME_COOKIE, "")
    code, _, mac = value.partition(".")
    known = _OUTCOMES.get(code)
    if known is None or not mac.isascii() or not hmac.compare_digest(mac, _seal(request, code)):
        return None
    return known


def forget_outcome(request: Request, response: Response) -> None:
    """The page rendered with the cookie deletes it: the outcome is shown once."""
    if OUTCOME_COOKIE in request.cookies:
        response.delete_cookie(OUTCOME_COOKIE, path="/", httponly=True, samesite="lax", secure=https(request))
