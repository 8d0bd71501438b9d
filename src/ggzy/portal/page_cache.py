"""A micro-cache of public pages for visitors who are not logged in: the deadline rush's many readers, one render.

A visitor's page (the home page, the notice list and its searches, a project's full process, statistics, the
opening hall's list) is the same for every visitor who is not logged in and chose the same language, until
something is published or time moves on. This ASGI middleware keeps such an answer for the rest of the current
second of the app's clock, and forgets it at once when this process commits anything that the ledger numbers (every
publication, opening record, award and decision does): a reader sees a change made through this process on its
next request, and one made through another worker or the CLI within a second. With the injected clock of the tests,
time stands still until a test moves it, so a page is re-rendered exactly when the clock or the data changed.

The rush: a page to be made is made by one request while the others asking for it wait for that page (no herd of
identical renders at the turn of each second); the page is kept and the waiters answered as soon as it is made, before
its own client has read it. When only the second has turned and the data is unchanged, the waiting requests are
answered at once with the last second's page while the one request makes the new one; when the data changed, or
the page kept is older, they wait for the new page, so no one is shown the page from before a commit. When the
answer turns out not to be kept (a stream, an error, a cookie), each waiter makes its own at once.

Only these answers are kept: ``GET`` without an ``Authorization`` header or a session cookie, status 200,
``text/html``, one body (not a stream: the live hall's Server-Sent Events pass through), and no ``Set-Cookie``
(a page that starts a CSRF seed or remembers a language choice is the visitor's own). The key is the path, the query
string and what chooses the language (the ``?lang=`` of the query, the language cookie); the CSRF seed cookie is part
of the key too, so a form's token is never another visitor's. Workspaces and the login page are never kept (the
session cookie or the seed they set), nor the assistant's pairing page (read once per computer). Bounded at
``MAX_BYTES`` of pages per process: the least recently used page goes first.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ggzy.entities.login import SESSION_COOKIE
from ggzy.ledger.sequencer import NUMBERED_KEY
from ggzy.portal.csrf import CSRF_COOKIE
from ggzy.portal.i18n import LANGUAGE_COOKIE

T = TypeVar("T")
MAX_BYTES = 32 * 1024 * 1024  # of kept pages, per process: a few thousand pages of 5–50 KB
MAX_PAGE_BYTES = 512 * 1024
# /assistant: the page that pairs a browser with its assistant is read once per computer; never worth keeping
_NEVER = ("/api/", "/static/", "/workspace", "/login", "/logout", "/docs", "/assistant")
RENDERS = 2  # visitors' pages made at once per worker: the others wait without a thread (see PageCache)


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


def install_invalidation(factory: sessionmaker[Session]) -> None:
    """Bump :data:`data_version` after each commit of ``factory``'s sessions that numbered ledger entries (called
    once per factory by ``ggzy.wiring.session_factory``, after the ledger's numbering; decision 0018)."""
    event.listen(factory, "after_commit", _published_something)


def _published_something(session: Session) -> None:
    numbered = len(session.info.get(NUMBERED_KEY, ()))  # a long-lived session's list grows commit by commit
    if numbered > session.info.get(_SEEN_KEY, 0):
        session.info[_SEEN_KEY] = numbered
        data_version.bump()


def remembered(request: Request, name: str, compute: Callable[[], T], *, seconds: int = 1) -> T:
    """A public figure every page shares (the regions of the notice filter, the home page's lists and counts),
    computed once per ``seconds`` of the app's clock and per commit in this process that numbered ledger entries —
    as a kept page is — and reused by every request meanwhile, a visitor's or a logged-in user's alike (the figure
    is public). A costly figure may take a longer period: a change made through another worker then shows within
    it, one made through this worker at once."""
    memo: dict[str, tuple[int, int, Any]] = request.app.state.portal_memo
    version, period = data_version.value, int(request.app.state.clock.now().timestamp()) // seconds
    kept = memo.get(name)
    if kept is not None and kept[0] == version and kept[1] == period:
        return cast(T, kept[2])
    value = compute()
    memo[name] = (version, period, value)
    return value


@dataclass(frozen=True)
class _Page:
    version: int
    second: int
    start: Message
    body: bytes


def _key(scope: Scope) -> tuple[str, ...] | None:
    """The cache key of a request, or None when its answer must not be shared.

    Cookies are read exactly as the app reads them (Starlette's ``cookie_parser``, one ``Cookie`` header), so that
    what decides "a visitor" here is what decides it for the login and the language: a header this parser and the
    app's would read differently could otherwise let a logged-in page be kept for visitors. Belt and braces: any
    mention of the session cookie's name, or a second ``Cookie`` header, makes the request personal."""
    path: str = scope["path"]
    query: str = scope.get("query_string", b"").decode("latin-1")
    if scope["method"] != "GET" or path.startswith(_NEVER) or path.endswith("/events") or "lang=" in query:
        return None  # ?lang= answers set the language cookie: never kept, so never waited for either
    cookie_headers = []
    for name, value in scope["headers"]:
        if name == b"authorization" or (name == b"accept" and b"text/event-stream" in value):
            return None  # a personal request, or a browser's EventSource: never shared, never waited for
        if name == b"cookie":
            cookie_headers.append(value.decode("latin-1"))
    if len(cookie_headers) > 1 or any(SESSION_COOKIE in header for header in cookie_headers):
        return None
    cookies = cookie_parser(cookie_headers[0]) if cookie_headers else {}
    if set(cookies) - {LANGUAGE_COOKIE, CSRF_COOKIE}:
        return None
    return (path, query, cookies.get(LANGUAGE_COOKIE, ""), cookies.get(CSRF_COOKIE, ""))


@dataclass
class _Flight:
    """A page being made by one request, which the others asking for it wait for."""

    loop: asyncio.AbstractEventLoop
    done: asyncio.Event = field(default_factory=asyncio.Event)
    kept: bool = False  # whether the page was kept; if not, each waiter makes its own answer


class _Slot:
    """One of a worker's ``RENDERS`` slots, held while a page is made and given back as soon as the answer starts:
    sending it to a slow client holds no slot."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = False

    async def __aenter__(self) -> _Slot:
        await self._slots.acquire()
        self._held = True
        return self

    async def __aexit__(self, *_: object) -> None:
        self.give_back()

    def give_back(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()

    def wrap(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.give_back()
            await send(message)

        return sending


class PageCache:
    """ASGI middleware: answers a visitor's repeated page from memory within the second (see the module).

    At most ``RENDERS`` visitors' pages are made at once in a worker; the other misses wait on the event loop, not in
    the thread pool. Making a page is CPU in Python: more threads making pages at once would not make more pages a
    second, but they would share the interpreter's lock with the event loop, and every page answered from memory
    would wait its turn behind them (``bench/portal.py``: p99 of the kept pages).
    """

    def __init__(self, app: ASGIApp, *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled
        self._pages: OrderedDict[tuple[str, ...], _Page] = OrderedDict()
        self._rendering: dict[tuple[str, ...], _Flight] = {}
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
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
                mine = flight is None or flight.loop is not loop  # (a test client's loops never wait for each other)
                if mine:
                    flight = self._rendering[key] = _Flight(loop)
            assert flight is not None
            if mine:
                try:
                    async with self._slot(loop) as made:
                        await self._render(scope, receive, made.wrap(send), key, version, second, flight)
                finally:
                    self._release(key, flight)
                return
            if page is not None and page.version == version and page.second >= second - 1:
                break  # the data is the same and another request is making this second's page: the last second's
            await flight.done.wait()  # the page another request is making, then look again
            if not flight.kept:  # it was not kept (a stream, an error, a cookie): this request makes its own
                async with self._slot(loop) as made:
                    await self.app(scope, receive, made.wrap(send))
                return
        await send(page.start)
        await send({"type": "http.response.body", "body": page.body, "more_body": False})

    def _slot(self, loop: asyncio.AbstractEventLoop) -> _Slot:
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(RENDERS)
        return _Slot(slots)

    def _release(self, key: tuple[str, ...], flight: _Flight) -> None:
        """The waiters for a page go on: it is kept, or it will not be (a stream, an error) and each makes its own.
        Called as soon as that is known — a stream's waiters do not wait for the stream to end."""
        with self._lock:
            if self._rendering.get(key) is flight:
                del self._rendering[key]
        flight.done.set()

    async def _render(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[str, ...],
        version: int,
        second: int,
        flight: _Flight,
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
                    self._release(key, flight)
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False) or sum(map(len, chunks)) > MAX_PAGE_BYTES:
                    keep = False  # a stream or a very large page: passed through, never kept
                    self._release(key, flight)
                elif start is not None:  # the whole page: kept and the waiters answered before this client reads it
                    self._keep(key, _Page(version=version, second=second, start=start, body=b"".join(chunks)))
                    flight.kept = True
                    self._release(key, flight)
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: tuple[str, ...], page: _Page) -> None:
        with self._lock:
            replaced = self._pages.pop(key, None)
            self._bytes += len(page.body) - (len(replaced.body) if replaced is not None else 0)
            self._pages[key] = page
            while self._bytes > MAX_BYTES:
                _, oldest = self._pages.popitem(last=False)
                self._bytes -= len(oldest.body)
