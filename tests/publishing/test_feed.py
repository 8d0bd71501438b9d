"""The public change feed: commit order from a cursor, nothing skipped, nothing secret."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ggzy.core.db import unit_of_work
from ggzy.core.permissions import SYSTEM, Role
from ggzy.entities import service
from ggzy.entities.schemas import EntityIn, RoleGrantIn
from ggzy.ledger.models import LedgerEntry
from ggzy.publishing.feed import feed_page
from ggzy.wiring import session_factory
from tests.conftest import TEST_NOW
from tests.factories import credit_code, make_user, token_for


def test_the_feed_pages_through_every_entry_in_commit_order(client: TestClient, db: Session) -> None:
    headers = token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)]))
    for number in range(7):
        body = {"credit_code": credit_code(), "name": f"动态企业{number}"}
        assert client.post("/api/v1/entities", json=body, headers=headers).status_code == 201
    seen, cursor = [], -1
    while True:
        page = client.get("/api/v1/feed", params={"cursor": cursor, "limit": 3}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not page["more"]:
            break
    assert [item["index"] for item in seen] == list(range(len(seen)))
    names = [item["payload"]["name"] for item in seen if item.get("action") == "entity.registered"]
    assert names == [f"动态企业{n}" for n in range(7)]


def test_a_login_appears_in_the_feed_only_as_a_sealed_entry(client: TestClient, db: Session) -> None:
    make_user(db, username="feed-li", password="correct horse battery", roles=[RoleGrantIn(role=Role.EXPERT)])
    db.commit()
    client.post("/api/v1/auth/password-login", json={"username": "feed-li", "password": "correct horse battery"})
    items = client.get("/api/v1/feed").json()["items"]
    assert "feed-li" not in str(items)
    assert any(set(item) == {"index", "commitment", "event_id", "time", "v"} for item in items)


def test_a_reader_never_misses_an_event_that_commits_late(fresh_engine: Engine) -> None:
    """A transaction that started first but commits last gets a later index than what the reader has already
    read, so resuming from the cursor finds it."""
    factory = session_factory(fresh_engine)
    slow_started, reader_done = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with unit_of_work(factory) as db:
            service.register_entity(db, SYSTEM, data=EntityIn(credit_code=credit_code(), name="迟到企业"), now=TEST_NOW)
            slow_started.set()
            reader_done.wait(10)

    writer = threading.Thread(target=slow_writer)
    writer.start()
    slow_started.wait(10)
    # Meanwhile (on PostgreSQL concurrently; on SQLite the writer holds the lock, so this comes after) others commit.
    if fresh_engine.dialect.name == "postgresql":
        with unit_of_work(factory) as db:
            service.register_entity(db, SYSTEM, data=EntityIn(credit_code=credit_code(), name="先到企业"), now=TEST_NOW)
        with unit_of_work(factory, read_only=True) as db:
            first = feed_page(db, cursor=-1, limit=100)
        assert [item["payload"]["name"] for item in first["items"]] == ["先到企业"]
    else:
        first = {"next_cursor": -1}
    reader_done.set()
    writer.join()
    with unit_of_work(factory, read_only=True) as db:
        rest = feed_page(db, cursor=first["next_cursor"], limit=100)
        assert "迟到企业" in [item["payload"]["name"] for item in rest["items"]]
        assert db.scalar(select(LedgerEntry.index).order_by(LedgerEntry.index.desc()).limit(1)) == rest["next_cursor"]
