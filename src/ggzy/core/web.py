"""Request-edge dependencies: the unit of work and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Permission, Principal, require


def _unit_of_work(request: Request) -> Iterator[Session]:
    """One request, one transaction: committed when the endpoint returns, rolled back if it raises."""
    state = request.app.state
    with unit_of_work(
        state.session_factory,
        after_commit=getattr(state, "after_commit", None),
        read_only=request.method in ("GET", "HEAD"),
    ) as session:
        yield session


def _now(request: Request) -> datetime:
    return request.app.state.clock.now()


# ``scope="function"``: commit before the response is sent, so a failed commit is an error response.
DB = Annotated[Session, Depends(_unit_of_work, scope="function")]
Now = Annotated[datetime, Depends(_now)]
Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]
