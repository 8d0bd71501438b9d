"""A micro-cache of public pages for visitors who are not logged in: the deadline rush's many readers, one render.

A visitor's page (the home page, the notice list and its searches, a project's full process, statistics, the
opening hall's list) is the same for every visitor who is not logged in and chose the same language, until
something is published or time moves on. This ASGI middleware keeps such an answer for the rest of the current
second of the app's clock, and forgets it at once when this process commits anything that the ledger numbers (every
publication, opening record, award and decision does): a reader sees a change made through this process on its
next request, and one made through another worker or the CLI within a second. With the injected clock of the tests,
time stands still until a test moves it, so a page is re-rendered exactly when the clock or the data changed.

The rush: a page to be made is made by one request while the others asking for it wait for that page (no herd of
identical renders at the turn of each second). When only the second has turned and the data is unchanged, the
waiting requests are answered at once with the last page (at most a second older) while the one request makes the
new one; when the data changed, they wait for the new page, so no one is shown the page from before a commit.

Only these answers are kept: ``GET`` without an ``Authorization`` header or a session cookie, status 200,
``text/html``, one body (not a stream: the live hall's Server-Sent Events pass through), and no ``Set-Cookie``
(a page that starts a CSRF seed or remembers a language choice is the visitor's own). The key is the path, the query
string and what chooses the language (the ``?lang=`` of the query, the language cookie); the CSRF seed cookie is part
of the key too, so a form's token is never another visitor's. Workspaces and the login page are
never kept (the session cookie or the seed they set). Bounded at ``MAX_BYTES`` of pages per process: the least
recently used page goes first.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from http.cookies import SimpleCookie
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ggzy.entities.login import SESSION_COOKIE
from ggzy.ledger.sequencer import NUMBERED_KEY
from ggzy.portal.csrf import CSRF_COOKIE
from ggzy.portal.i18n import LANGUAGE_COOKIE

T = TypeVar("T")
MAX_BYTES = 32 * 1024 * 1024  # of kept pages, per process: a few thousand pages of 5–50 KB
MAX_PAGE_BYTES = 512 * 1024
_NEVER = ("/api/", "/static/", "/workspace", "/login", "/logout", "/docs")


class _DataVersion:
    """How many commits in this process numbered ledger entries: a kept page made before the last one is stale."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.value = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.value = next(self._counter)


data_version = _DataVersion()


_SEEN_KEY = "ggzy.portal.page_cache.seen"  # how many of the session's numbered entries already bumped the version


@event.listens_for(Session, "after_commit")
def _published_something(session: Session) -> None:
    numbered = len(session.info.get(NUMBERED_KEY, ()))  # a long-lived session's list grows commit by commit
    if numbered > session.info.get(_SEEN_KEY, 0):
        session.info[_SEEN_KEY] = numbered
        data_version.bump()


def remembered(request: Request, name: str, compute: Callable[[], T]) -> T:
    """A public figure every page shares (the regions of the notice filter, the home page's counts), computed once
    per second of the app's clock and per commit that numbered ledger entries — as a kept page is — and reused by
    every request of that second, a visitor's or a logged-in user's alike (the figure is public)."""
    memo: dict[str, tuple[int, int, Any]] = request.app.state.portal_memo
    version, second = data_version.value, int(request.app.state.clock.now().timestamp())
    kept = memo.get(name)
    if kept is not None and kept[0] == version and kept[1] == second:
        return cast(T, kept[2])
    value = compute()
    memo[name] = (version, second, value)
    return value


@dataclass(frozen=True)
class _Page:
    version: int
    second: int
    start: Message
    body: bytes


def _cookies(scope: Scope) -> dict[str, str]:
    raw = b"; ".join(value for name, value in scope["headers"] if name == b"cookie")
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:  # a malformed cookie header: treat the request as personal, never cache it
        return {SESSION_COOKIE: "?"}
    return {name: morsel.value for name, morsel in jar.items()}


def _key(scope: Scope) -> tuple[str, ...] | None:
    """The cache key of a request, or None when its answer must not be shared."""
    path: str = scope["path"]
    if scope["method"] != "GET" or path.startswith(_NEVER):
        return None
    for name, value in scope["headers"]:
        if name == b"authorization" or (name == b"accept" and b"text/event-stream" in value):
            return None  # a personal request, or a browser's EventSource: never shared, never waited for
    cookies = _cookies(scope)
    if SESSION_COOKIE in cookies or set(cookies) - {LANGUAGE_COOKIE, CSRF_COOKIE}:
        return None
    return (
        path,
        scope.get("query_string", b"").decode("latin-1"),
        cookies.get(LANGUAGE_COOKIE, ""),
        cookies.get(CSRF_COOKIE, ""),
    )


class PageCache:
    """ASGI middleware: answers a visitor's repeated page from memory within the second (see the module)."""

    def __init__(self, app: ASGIApp, *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled
        self._pages: OrderedDict[tuple[str, ...], _Page] = OrderedDict()
        self._rendering: dict[tuple[str, ...], tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}
        self._lock = threading.Lock()
        self._bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope) if self.enabled and scope["type"] == "http" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        second = int(scope["app"].state.clock.now().timestamp())
        version = data_version.value
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                page = self._pages.get(key)
                if page is not None and page.version == version and page.second >= second:
                    self._pages.move_to_end(key)
                    break
                flight = self._rendering.get(key)
                mine = flight is None or flight[0] is not loop  # (a test client's loops never wait for each other)
                if mine:
                    flight = self._rendering[key] = (loop, asyncio.Event())
            assert flight is not None
            if mine:
                release = partial(self._release, key, flight)
                try:
                    await self._render(scope, receive, send, key, version, second, release)
                finally:
                    release()
                return
            if page is not None and page.version == version:
                break  # the data is the same and another request is making the new second's page: the last one
            await flight[1].wait()  # the data changed: the page another request is making of it, then look again
        await send(page.start)
        await send({"type": "http.response.body", "body": page.body, "more_body": False})

    def _release(self, key: tuple[str, ...], flight: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        """The waiters for a page go on: it is kept, or it will not be (a stream, an error) and each makes its own.
        Called as soon as that is known — a stream's waiters do not wait for the stream to end."""
        with self._lock:
            if self._rendering.get(key) is flight:
                del self._rendering[key]
        flight[1].set()

    async def _render(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[str, ...],
        version: int,
        second: int,
        release: Callable[[], None],
    ) -> None:
        start: Message | None = None
        keep = True
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                headers = dict(message.get("headers", []))
                keep = (
                    message["status"] == 200
                    and headers.get(b"content-type", b"").startswith(b"text/html")
                    and not any(name == b"set-cookie" for name, _ in message.get("headers", []))
                )
                if not keep:
                    release()
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False) or sum(map(len, chunks)) > MAX_PAGE_BYTES:
                    keep = False  # a stream or a very large page: passed through, never kept
                    release()
            await send(message)

        await self.app(scope, receive, capture)
        if not keep or start is None:
            return
        page = _Page(version=version, second=second, start=start, body=b"".join(chunks))
        with self._lock:
            replaced = self._pages.pop(key, None)
            self._bytes += len(page.body) - (len(replaced.body) if replaced is not None else 0)
            self._pages[key] = page
            while self._bytes > MAX_BYTES:
                _, oldest = self._pages.popitem(last=False)
                self._bytes -= len(oldest.body)
