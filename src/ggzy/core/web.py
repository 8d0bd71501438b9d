"""Request-edge dependencies and limits: the unit of work, the clock, and how large a request body may be."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ggzy.config import LOOPBACK_HOSTS
from ggzy.core.db import unit_of_work
from ggzy.core.errors import DomainError
from ggzy.core.permissions import Permission, Principal, require


def admission_tokens(factory: sessionmaker[Session]) -> int:
    """How many requests may hold a unit of work at once: half the connection pool (a request may hold two
    connections, its unit of work and its authentication), at least one.

    Without this bound the server can deadlock under load: the thread pool (40 threads) fills with requests waiting
    for a pooled connection, while the requests holding the connections wait for a thread to commit and give them
    back — until the pool times out and every request answers 500 (bench/submit.py found it).
    """
    pool = factory.kw["bind"].pool if isinstance(factory.kw.get("bind"), Engine) else None
    if isinstance(pool, QueuePool):
        return max(1, (pool.size() + pool._max_overflow) // 2)
    return 8


def _admission(request: Request) -> anyio.CapacityLimiter:
    """The app's admission limiter for the running event loop (a test client may run several loops in turn)."""
    state = request.app.state
    limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = state.db_admission
    loop = asyncio.get_running_loop()
    if loop not in limiters:
        limiters[loop] = anyio.CapacityLimiter(admission_tokens(state.session_factory))
    return limiters[loop]


async def _unit_of_work(request: Request) -> AsyncIterator[Session]:
    """One request, one transaction: committed when the endpoint returns, rolled back if it raises.

    The request first waits, without holding a thread or a connection, for its turn under the app's admission
    limit (:func:`admission_tokens`); the transaction then begins and ends in the thread pool, as blocking work must.
    After the commit, the app's ``after_commit`` work runs (the ledger integrates the new events) and its
    ``commit_headers`` are added to the response (the ledger's signed promise of inclusion).
    """
    state = request.app.state
    async with _admission(request):
        work = unit_of_work(
            state.session_factory,
            after_commit=getattr(state, "after_commit", None),
            read_only=request.method in ("GET", "HEAD"),
        )
        session = await run_in_threadpool(work.__enter__)
        try:
            yield session
        except BaseException as error:
            if not await run_in_threadpool(work.__exit__, type(error), error, error.__traceback__):
                raise
            return  # pragma: no cover - unit_of_work never swallows an exception
        await run_in_threadpool(work.__exit__, None, None, None)
    commit_headers = getattr(state, "commit_headers", None)
    if commit_headers is not None:
        request.state.commit_headers = commit_headers(session.info)


async def _now(request: Request) -> datetime:
    # async: reading the clock never blocks, and a plain ``def`` dependency costs every request a hop through the
    # thread pool (bench/submit.py)
    return request.app.state.clock.now()


# ``scope="function"``: commit before the response is sent, so a failed commit is an error response.
DB = Annotated[Session, Depends(_unit_of_work, scope="function")]
Now = Annotated[datetime, Depends(_now)]
Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]


class CommitHeadersMiddleware:
    """Adds the headers a committed request earned (``request.state.commit_headers``) to its response.

    The unit of work commits after the endpoint has returned, when the response object is already made; the
    headers are therefore attached as the response starts.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get("commit_headers")
                if extra:
                    message["headers"] = [
                        *message.get("headers", []),
                        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- how large a body may be ---------------------------------------------------------------------------------------

MIB = 1024 * 1024
# Every request body, unless its operation says otherwise (:func:`accepts_body`): JSON and forms are small.
BODY_LIMIT = MIB
# What a multipart form adds around an upload's file: the boundaries, the part headers and the other fields.
FORM_ENVELOPE = MIB
# The limit in force for this request: the app's, or its operation's (read by the 413 problem too).
BODY_LIMIT_SCOPE_KEY = "ggzy.body_limit"


@dataclass
class BodyBudget:
    """How many bytes this request's body may have, and how many arrived; shared by the middleware that counts and
    the operation that may set its own limit (the scope may be copied on the way; this object is not)."""

    max_bytes: int
    received: int = 0


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def accepts_body(*, megabytes: int | None = None, setting: str | None = None) -> Callable[[Endpoint], Endpoint]:
    """An endpoint whose body may be larger than :data:`BODY_LIMIT`: ``megabytes``, or the number of megabytes of
    a setting (``documents_max_mb``) plus a form's envelope. Put it under the route decorator."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.body_limit = (megabytes, setting)  # type: ignore[attr-defined]
        return endpoint

    return mark


class BodyLimitMiddleware:
    """Refuses a request body larger than its operation accepts, before it is held: a declared Content-Length
    beyond the limit at the first read, and a body without one as soon as one byte too many has arrived. Nothing
    larger than the limit is ever buffered (four anonymous 50 MB login bodies once took the server to 1.36 GB).

    The refusal is an ``HTTPException(413)`` raised where the body is read, so the app's handlers answer it as
    every other problem: problem+json for the API, the error page for a page (``ggzy.core.problems``). The
    operation's own limit (:func:`operation_body_limit`) is set before its body is read.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int = BODY_LIMIT) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        budget = BodyBudget(self.max_bytes)
        scope[BODY_LIMIT_SCOPE_KEY] = budget
        declared = _content_length(scope)

        async def limited_receive() -> Message:
            if declared is not None and declared > budget.max_bytes:
                raise StarletteHTTPException(413)
            message = await receive()
            if message["type"] == "http.request":
                budget.received += len(message.get("body", b""))
                if budget.received > budget.max_bytes:
                    raise StarletteHTTPException(413)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def operation_body_limit(request: Request, *, megabytes: int | None, setting: str | None) -> None:
    """Sets an operation's own body limit (``accepts_body``) before its body is read: ``megabytes``, or a
    setting's megabytes (read at each request) plus a form's envelope."""
    if setting is not None:
        max_bytes = int(getattr(request.app.state.settings, setting)) * MIB + FORM_ENVELOPE
    else:
        assert megabytes is not None
        max_bytes = megabytes * MIB
    budget: BodyBudget | None = request.scope.get(BODY_LIMIT_SCOPE_KEY)
    if budget is not None:
        budget.max_bytes = max_bytes


def attachment(chunks: Iterable[bytes], *, name: str, size: int | None, sha256: str) -> StreamingResponse:
    """A stored file sent as a download under its own name (RFC 6266 ``filename*``), with its length and digest."""
    return StreamingResponse(
        chunks,
        media_type="application/octet-stream",
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "content-length": str(size),
            "x-content-sha256": sha256,
        },
    )


class PublicOriginNotConfigured(DomainError):
    code = "public_origin_not_configured"
    status = 503
    message_zh = (
        "本平台未配置对外地址（GGZY_PUBLIC_ORIGIN），不能通过 {host} 进行证书登录"
        "或向投标助手提供项目地址；请联系平台运维"
    )
    message_en = (
        "The platform's public origin (GGZY_PUBLIC_ORIGIN) is not configured: no certificate login or tender URL for "
        "the assistant through {host}; contact the platform's operators"
    )


def public_origin(request: Request) -> str:
    """The portal's origin as its users' browsers write it (``https://ggzy.example.cn``): the configured
    ``public_origin``; unset, the scheme and host the request arrived at, but only when that host is this computer
    (127.0.0.1, localhost, ::1: the demo, a developer). Anywhere else the ``Host`` header is whatever the client
    wrote, and a login signed for another site could be replayed here under that site's name (a security review's
    finding): :class:`PublicOriginNotConfigured`."""
    configured = str(request.app.state.settings.public_origin)
    if configured:
        return configured
    if (request.url.hostname or "") not in LOOPBACK_HOSTS:
        raise PublicOriginNotConfigured(host=request.url.hostname or "?")
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def public_api_url(request: Request, path: str = "") -> str:
    """``<public origin>/api/v1<path>``: what the pages hand the assistant and the bidder's client."""
    return f"{public_origin(request)}/api/v1{path}"
