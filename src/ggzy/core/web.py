"""Request-edge dependencies: the unit of work and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Permission, Principal, require


def _unit_of_work(request: Request) -> Iterator[Session]:
    """One request, one transaction: committed when the endpoint returns, rolled back if it raises.

    After the commit, the app's ``after_commit`` work runs (the ledger integrates the new events) and its
    ``commit_headers`` are added to the response (the ledger's signed promise of inclusion).
    """
    state = request.app.state
    with unit_of_work(
        state.session_factory,
        after_commit=getattr(state, "after_commit", None),
        read_only=request.method in ("GET", "HEAD"),
    ) as session:
        yield session
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
