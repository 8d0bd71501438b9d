"""What a page says after an action: one line, on the page the browser lands on (PRG: the POST answers 303).

A portal module declares the outcomes of its forms once, at import::

    WITHDRAWN = outcome("bid_withdrawn", N_("投标已撤回。截止时间前可以重新递交。"))

and its route ends with ``see_other(path, done=WITHDRAWN)``. The browser lands on ``path?done=bid_withdrawn``; the
layout shows the registered sentence (``base.html``), translated like any message of the templates. Only a
registered code shows anything: the query parameter never carries text, so a link cannot make the platform say
words of its own. It can still show a registered sentence on a page where nothing was done (``?done=report_signed``
in a link someone sends): the sentence says what a form does, and the page's records below it say what was done.
Binding the message to the request that did the action (a one-time message in the session) is the next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Request

from ggzy.portal.labels import N_

__all__ = ["N_", "Outcome", "outcome", "outcome_of", "with_outcome"]

DONE_PARAMETER = "done"


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


def with_outcome(path: str, done: Outcome) -> str:
    """``path`` with ``done=<code>`` in its query, before any ``#fragment``."""
    parts = urlsplit(path)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != DONE_PARAMETER]
    query.append((DONE_PARAMETER, done.code))
    return urlunsplit(parts._replace(query=urlencode(query)))


def outcome_of(request: Request) -> Outcome | None:
    """The registered outcome the request's URL names, if any."""
    code = request.query_params.get(DONE_PARAMETER)
    return _OUTCOMES.get(code) if code else None
