"""Under a burst larger than the connection pool, requests wait their turn instead of deadlocking the thread pool
against the connection pool (ggzy.core.web.admission_tokens)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from ggzy.app import create_app
from ggzy.config import Settings
from ggzy.core.db import make_engine
from ggzy.wiring import session_factory
from tests.aio import run_async
from tests.conftest import LEDGER_KEYS, FixedClock

pytestmark = pytest.mark.db


@pytest.fixture
def small_pool(fresh_engine: Engine) -> Iterator[Engine]:
    """The fresh database (a database of its own on PostgreSQL) behind a pool of two connections that gives up after
    2 s."""
    url = fresh_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=2, max_overflow=0, pool_timeout=2)
    yield engine
    engine.dispose()


def test_a_burst_of_twice_the_thread_pool_is_served_without_a_pool_timeout(
    small_pool: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    app = create_app(
        Settings(data_dir=tmp_path, database_url="sqlite://", ledger_background=False),
        session_factory=session_factory(small_pool),
        clock=clock,
        secret_key=b"test-secret-key-test-secret-key!",
        ledger_keys=LEDGER_KEYS,
    )

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ggzy") as client:
            responses = await asyncio.gather(*(client.get("/api/v1/feed") for _ in range(80)))
        return [response.status_code for response in responses]

    statuses = run_async(burst())
    assert statuses == [200] * 80
