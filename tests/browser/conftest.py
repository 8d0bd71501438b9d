"""Browser tests: a real uvicorn server on a free port over a temporary SQLite database seeded by the demo, and
Playwright driving Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``; never downloaded here).

Without Chromium or the playwright package the browser tests are skipped with a loud reason — and fail under
``CI=true``, where a missing browser is a broken machine, not a reason to pass. Screenshots of the main pages are
kept under ``test-artifacts/screenshots`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from ggzy.app import create_app
from ggzy.assistant import Assistant, AssistantHome, KeySource
from ggzy.assistant.pairing import ANSWER_LABEL, PROOF_LABEL, mac
from ggzy.config import Settings
from ggzy.core.clock import FixedClock
from ggzy.core.db import unit_of_work
from ggzy.entities import login
from ggzy.entities.models import User
from ggzy.storage import LocalBlobStore
from ggzy.wiring import session_factory
from tests.browser.live_opening import serve
from tests.conftest import LEDGER_KEYS, TEST_NOW, sqlite_copy_of_demo

CHROMIUM = os.environ.get("GGZY_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass
class Site:
    """The running server: its URL, its clock (tests move it), its database and the demo's report."""

    url: str
    clock: FixedClock
    factory: sessionmaker[Session]
    demo: dict[str, Any]
    app: Any


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, _demo_sqlite_template: Path) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("browser-site")
    clock = FixedClock(TEST_NOW)
    with sqlite_copy_of_demo(_demo_sqlite_template, directory) as demo:
        app = create_app(
            Settings(data_dir=directory, database_url=f"sqlite:///{directory / 'ggzy.db'}", ledger_background=False),
            engine=demo.engine,
            clock=clock,
            secret_key=b"browser-test-secret-key-32bytes!",
            ledger_keys=LEDGER_KEYS,
            blob_store=LocalBlobStore(directory / "blobs"),
        )
        with serve(app) as url:
            yield Site(url=url, clock=clock, factory=session_factory(demo.engine), demo=demo.report, app=app)


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium; .ci/run does it)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the browser tests cannot run: {missing}")
        pytest.skip(f"!!! BROWSER TESTS NOT RUN: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized viewport (iPhone 12-like: 390 × 844, touch, mobile user agent)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Any, site: Site, user_id: int) -> None:
    """The browser becomes ``user_id``'s: a session opened by the login service, its cookie set as the login page
    would set it (for the users the factories make, who have no password or certificate the browser could use)."""
    with unit_of_work(site.factory) as db:
        user = db.get(User, user_id)
        assert user is not None
        token, _ = login.open_session(
            db, user, method="password", certificate_id=None, now=site.clock.now(), lifetime=timedelta(days=90)
        )
    page.context.clear_cookies()
    page.context.add_cookies([{"name": login.SESSION_COOKIE, "value": token, "url": site.url}])


# a record dumped as JSON: an object or a list of objects with quoted keys
_RAW_JSON = re.compile(r"[{\[]\s*\{?\s*\"[^\"]+\"\s*:")


def check_fits_the_phone(page: Any, name: str) -> None:
    """What every page must be on a 390-px phone (house rules): no sideways scroll, records as tables and never raw
    JSON, every time in Beijing time (its ``<time>`` says +08:00 and shows that clock; a day is shown 年月日); a
    screenshot is kept."""
    width = page.evaluate("document.documentElement.scrollWidth")
    widest = page.evaluate(
        """() => Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 392)
                 .slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + (e.textContent || '')
                 .slice(0, 40))"""
    )
    assert width <= 390, f"{page.url} is {width} px wide on a 390-px phone: {widest}"
    text = page.locator("main").inner_text()
    assert not _RAW_JSON.search(text), f"raw JSON on {page.url}"
    assert "UTC" not in text
    assert "+00:00" not in text
    for stamp in page.locator("main time[datetime]").all():
        value, shown = stamp.get_attribute("datetime"), stamp.inner_text()
        if "T" not in value:  # a calendar day (a period's last day), China's
            day = date.fromisoformat(value)
            assert f"{day.year}年{day.month}月{day.day}日" in shown, (value, shown)
            continue
        moment = datetime.fromisoformat(value)
        assert moment.utcoffset() == timedelta(hours=8), value
        assert f"{moment:%H:%M}" in shown, (value, shown)
    screenshot(page, name)


class _Later:
    """An ASGI app whose inner app is made once the port it is served on is known (the assistant checks ``Host``)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class RunningAssistant:
    url: str
    assistant: Assistant
    home: AssistantHome
    site_url: str

    @property
    def code(self) -> str:
        """The pairing code the assistant printed for the site (what the user reads from its window)."""
        code = self.home.pairing_code(self.site_url)
        assert code is not None
        return code

    def headers(self) -> dict[str, str]:
        """What a page of the site sends after the handshake (made here as assistant.js makes it), for tests that
        call the assistant without a page."""
        challenge = secrets.token_urlsafe(24)
        hello = httpx.get(f"{self.url}/v1/hello", params={"challenge": challenge}, headers={"Origin": self.site_url})
        assert hello.status_code == 200, hello.text
        own = f"http://{self.url.split('://', 1)[1]}"
        assert hello.json()["proof"] == mac(self.code, PROOF_LABEL, own, self.site_url, challenge)
        answer = mac(self.code, ANSWER_LABEL, own, self.site_url, hello.json()["challenge"])
        opened = httpx.post(
            f"{self.url}/v1/session",
            json={"challenge": hello.json()["challenge"], "answer": answer},
            headers={"Origin": self.site_url},
        )
        assert opened.status_code == 200, opened.text
        return {"Origin": self.site_url, "Authorization": f"Bearer {opened.json()['session']}"}

    def pair(self, page: Any) -> None:
        """What the user does once per browser: enter the code on the portal's 投标助手 page; the page and the
        assistant prove it to each other and the page shows the certificate the assistant holds."""
        page.goto(f"{self.site_url}/assistant")
        page.locator("#pairing-code").fill(self.code)
        page.get_by_role("button", name="配对并检查连接").click()
        from playwright.sync_api import expect

        expect(page.locator("#assistant-pairing-status")).to_contain_text("已配对")
        expect(page.locator("#assistant-certificate")).to_be_visible()


@pytest.fixture
def start_assistant(site: Site, tmp_path: Path) -> Iterator[Any]:
    """Start an assistant holding ``keys`` and paired with the site; the site's pages are pointed at it."""
    started: list[Any] = []
    before = site.app.state.settings.assistant_url

    def start(keys: KeySource) -> RunningAssistant:
        home = AssistantHome.open(tmp_path / f"assistant-{len(started)}", pair=[site.url])
        later = _Later()
        context = serve(later)  # type: ignore[arg-type]
        url = context.__enter__()
        started.append(context)
        assistant = Assistant.build(home, keys, port=int(url.rsplit(":", 1)[1]), clock=site.clock)
        later.app = assistant.app()
        site.app.state.settings.assistant_url = url
        return RunningAssistant(url=url, assistant=assistant, home=home, site_url=site.url)

    yield start
    site.app.state.settings.assistant_url = before
    for context in started:
        context.__exit__(None, None, None)
