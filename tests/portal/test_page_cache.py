"""The visitors' page cache: one render per second and per change, never a personal page shared."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session
from starlette.types import Scope

from ggzy.entities.login import SESSION_COOKIE
from ggzy.portal.csrf import CSRF_COOKIE
from ggzy.portal.i18n import LANGUAGE_COOKIE
from ggzy.portal.page_cache import PageCache
from ggzy.projects.models import Lot, Project
from ggzy.tendering.models import Tender
from tests.aio import run_async
from tests.conftest import TEST_NOW, FixedClock
from tests.factories import make_user
from tests.portal.builders import NoticeMaker
from tests.portal.ws_support import browser_login


def _retitle_without_an_event(db: Session, tender_id: int, title: str) -> None:
    """A change no ledger entry numbers (only a test writes like this): the cache cannot know of it."""
    db.execute(update(Tender).where(Tender.id == tender_id).values(title=title))
    db.commit()


@pytest.fixture
def maker(db: Session) -> NoticeMaker:
    return NoticeMaker(db)


def test_a_visitors_page_is_kept_for_the_second_and_rendered_again_when_the_clock_moves(
    client: TestClient, db: Session, clock: FixedClock, maker: NoticeMaker
) -> None:
    tender = maker.notice(title="缓存测试道路工程招标")
    db.commit()
    assert "缓存测试道路工程招标" in client.get("/notices").text
    _retitle_without_an_event(db, tender.id, "改名后的道路工程招标")
    kept = client.get("/notices")
    assert "缓存测试道路工程招标" in kept.text  # the same second: the kept page
    assert "改名后的道路工程招标" not in kept.text
    clock.advance(timedelta(seconds=1))
    assert "改名后的道路工程招标" in client.get("/notices").text


def test_a_publication_shows_at_once_on_the_next_request(client: TestClient, db: Session, maker: NoticeMaker) -> None:
    maker.notice(title="第一条公告道路工程")
    db.commit()
    assert "第二条公告教学楼工程" not in client.get("/notices").text
    maker.notice(title="第二条公告教学楼工程")  # through the services: its events are numbered at commit
    db.commit()
    assert "第二条公告教学楼工程" in client.get("/notices").text
    assert "第二条公告教学楼工程" in client.get("/").text


def test_a_logged_in_user_is_never_served_a_kept_page_nor_leaves_one(
    client: TestClient, db: Session, maker: NoticeMaker
) -> None:
    token = browser_login(client, db, make_user(db, username="page-cache-staff"))
    db.commit()
    client.cookies.clear()
    tender = maker.notice(title="登录测试道路工程招标")
    db.commit()
    assert "登录测试道路工程招标" in client.get("/notices").text  # kept for visitors
    _retitle_without_an_event(db, tender.id, "登录用户看到的新标题")
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    personal = client.get("/notices")
    assert "登录用户看到的新标题" in personal.text  # rendered for the user, not the visitors' copy
    assert "退出登录" in personal.text  # the layout knows who is logged in
    client.cookies.clear()
    visitor = client.get("/notices").text
    assert "登录测试道路工程招标" in visitor  # still the visitors' copy of this second ...
    assert "退出登录" not in visitor  # ... and never the user's page


def test_the_language_is_part_of_the_key_and_a_first_choice_is_not_kept(
    client: TestClient, db: Session, maker: NoticeMaker
) -> None:
    maker.notice(title="语言测试道路工程招标")
    db.commit()
    chinese = client.get("/notices")
    assert chinese.headers["content-language"] == "zh-CN"
    chose = client.get("/notices?lang=en")
    assert chose.headers["content-language"] == "en"
    assert LANGUAGE_COOKIE in chose.headers.get("set-cookie", "")  # remembered: this answer is the visitor's own
    client.cookies.clear()
    assert client.get("/notices").headers["content-language"] == "zh-CN"
    client.cookies.set(LANGUAGE_COOKIE, "en", domain="testserver.local")  # remembered from an earlier visit
    assert client.get("/notices").headers["content-language"] == "en"
    client.cookies.clear()
    assert client.get("/notices").headers["content-language"] == "zh-CN"


def test_an_error_page_is_not_kept(client: TestClient, db: Session, maker: NoticeMaker) -> None:
    tender = maker.notice(title="错误页测试工程", publish=False)
    db.commit()
    project_id = db.get(Lot, tender.lot_id).project_id  # type: ignore[union-attr]
    assert client.get(f"/projects/{project_id}").status_code == 404  # nothing of it is published
    db.execute(update(Tender).where(Tender.id == tender.id).values(published_at=TEST_NOW))  # no event numbered
    db.commit()
    assert client.get(f"/projects/{project_id}").status_code == 200  # the 404 was not kept


def test_the_region_filter_is_computed_once_a_second_even_for_logged_in_users(
    client: TestClient, db: Session, clock: FixedClock, maker: NoticeMaker
) -> None:
    tender = maker.notice(title="区划筛选测试工程", region_code="530102")
    token = browser_login(client, db, make_user(db, username="page-cache-regions"))
    db.commit()
    assert '<option value="530102"' in client.get("/notices").text  # the user's own render, the shared figure
    project_id = db.get(Lot, tender.lot_id).project_id  # type: ignore[union-attr]
    db.execute(update(Project).where(Project.id == project_id).values(region_code="530111"))  # no event numbered
    db.commit()
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    assert '<option value="530111"' not in client.get("/notices?q=区划").text  # another page, the same second
    clock.advance(timedelta(seconds=1))
    assert '<option value="530111"' in client.get("/notices?q=区划").text


def test_many_visitors_asking_at_once_wait_for_one_render(
    app: FastAPI, client: TestClient, db: Session, maker: NoticeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline rush: when a page has to be made, one request makes it and the others wait for it."""
    maker.notice(title="同时访问测试工程")
    db.commit()
    renders: list[str] = []
    original = PageCache._render

    async def counted(self: PageCache, scope: Scope, *args: Any) -> None:
        renders.append(scope["path"])
        await original(self, scope, *args)

    monkeypatch.setattr(PageCache, "_render", counted)

    async def rush() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
            answers = await asyncio.gather(*(visitor.get("/notices") for _ in range(20)))
        return [answer.text for answer in answers]

    pages = run_async(rush())
    assert renders == ["/notices"]
    assert len(set(pages)) == 1
    assert "同时访问测试工程" in pages[0]


def test_the_kept_pages_stay_within_their_bound(
    client: TestClient, db: Session, maker: NoticeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ggzy.portal.page_cache as page_cache

    maker.notice(title="容量测试工程")
    db.commit()
    first = client.get("/notices?q=容量").text
    monkeypatch.setattr(page_cache, "MAX_BYTES", len(first.encode()) * 3)
    for word in ("工程", "测试", "容量测", "量测试", "容量测试工程"):
        assert client.get(f"/notices?q={word}").status_code == 200
    cache = next(m for m in _middlewares(client.app) if isinstance(m, PageCache))
    assert 0 < cache._bytes <= page_cache.MAX_BYTES
    assert len(cache._pages) <= 3


def _middlewares(app: Any) -> list[Any]:
    found, layer = [], app.middleware_stack
    while layer is not None:
        found.append(layer)
        layer = getattr(layer, "app", None)
    return found


@pytest.mark.parametrize("extra", ["; junk", "; pref=a b", "; =x"])
def test_a_cookie_header_read_differently_never_lets_a_logged_in_page_be_kept(
    client: TestClient, db: Session, maker: NoticeMaker, extra: str
) -> None:
    """The app reads cookies with Starlette's parser; so does the cache, and any mention of the session is personal."""
    token = browser_login(client, db, make_user(db, username="page-cache-odd-cookie"))
    maker.notice(title="奇怪的饼干测试工程")
    db.commit()
    client.cookies.clear()
    seed = "a-csrf-seed-of-this-browser"  # with its seed the user's page sets no cookie, so only the key protects it
    personal = client.get("/notices", headers={"cookie": f"{CSRF_COOKIE}={seed}; {SESSION_COOKIE}={token}{extra}"})
    assert "退出登录" in personal.text  # the app saw the session
    assert "退出登录" not in client.get("/notices").text  # and the visitors were not given that page


def test_an_odd_cookie_cannot_make_the_shared_page_english(client: TestClient, db: Session) -> None:
    english = client.get("/notices", headers={"cookie": f"pref=a b; {LANGUAGE_COOKIE}=en"})
    assert english.headers["content-language"] == "en"
    assert client.get("/notices").headers["content-language"] == "zh-CN"


def test_a_request_waiting_for_a_page_is_not_given_one_from_long_ago(
    app: FastAPI, client: TestClient, db: Session, clock: FixedClock, maker: NoticeMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    tender = maker.notice(title="一小时前的标题工程")
    db.commit()
    assert "一小时前的标题工程" in client.get("/").text
    _retitle_without_an_event(db, tender.id, "现在的标题工程")
    clock.advance(timedelta(hours=1))
    from ggzy.portal import pages

    slow_today = pages.views.today

    def today(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # the first request is still making the page when the second asks for it
        return slow_today(*args, **kwargs)

    monkeypatch.setattr(pages.views, "today", today)

    async def two() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
            first = asyncio.create_task(visitor.get("/"))
            await asyncio.sleep(0.1)
            second = await visitor.get("/")
            return [(await first).text, second.text]

    for page in run_async(two()):
        assert "现在的标题工程" in page
        assert "一小时前的标题工程" not in page


def _total(page: str) -> int:
    found = re.search(r'合计</th><td class="num">(\d+)</td>', page)
    assert found, "no total on the home page"
    return int(found.group(1))


def test_the_home_pages_counts_follow_a_publication_at_once_and_other_writes_within_30_seconds(
    client: TestClient, db: Session, clock: FixedClock, maker: NoticeMaker
) -> None:
    token = browser_login(client, db, make_user(db, username="page-cache-counts"))
    maker.notice(title="计数测试工程一")
    draft = maker.notice(title="计数测试草稿", publish=False)
    db.commit()
    assert _total(client.get("/").text) == 1  # a logged-in render: no kept page, only the shared figure
    maker.notice(title="计数测试工程二")  # published through the services: its events are numbered
    db.commit()
    assert _total(client.get("/").text) == 2
    db.execute(update(Tender).where(Tender.id == draft.id).values(published_at=TEST_NOW))  # no event numbered
    db.commit()
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    clock.advance(timedelta(seconds=1))
    assert _total(client.get("/").text) == 2  # the count is reused for up to 30 s ...
    clock.advance(timedelta(seconds=30))
    assert _total(client.get("/").text) == 3  # ... then counted again


def test_visitors_pages_are_made_a_few_at_a_time_in_a_worker(
    app: FastAPI, client: TestClient, db: Session, maker: NoticeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More threads making pages at once make no more pages a second; they only hold up the pages kept in memory."""
    import ggzy.portal.page_cache as page_cache
    from ggzy.portal import pages

    maker.notice(title="逐个生成测试工程")
    db.commit()
    monkeypatch.setattr(page_cache, "RENDERS", 1)
    making, most = 0, 0
    lock = threading.Lock()
    search_notices = pages.search.search_notices

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal making, most
        with lock:
            making += 1
            most = max(most, making)
        time.sleep(0.05)
        try:
            return search_notices(*args, **kwargs)
        finally:
            with lock:
                making -= 1

    monkeypatch.setattr(pages.search, "search_notices", counted)

    async def six() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
            answers = await asyncio.gather(*(visitor.get(f"/notices?q=工程{n}") for n in range(6)))
        return [answer.status_code for answer in answers]

    assert run_async(six()) == [200] * 6
    assert most == 1
