"""The public portal in a real browser: search to project page, both languages, a phone, screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, screenshot

DEMO_PROJECT = "昆明市第一中学教学楼改扩建工程"


def test_a_visitor_finds_a_notice_by_search_and_opens_its_project_page(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/")
    screenshot(page, "home-zh")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="交易公告").click()
    page.locator("#q").fill("教学楼")
    page.get_by_role("button", name="搜索").click()
    result = page.get_by_role("link", name="施工一标段（教学楼主体）").first
    expect(result).to_be_visible()
    screenshot(page, "notices-search-zh")
    result.click()
    expect(page.locator("h1")).to_have_text(DEMO_PROJECT)
    expect(page.locator("body")).to_contain_text("开标记录")
    screenshot(page, "project-zh")
    # from the project page to the live hall of its opened lot, which holds the opening record
    page.get_by_role("link", name="开标大厅").nth(1).click()
    expect(page.locator("#record .record-line").first).to_be_visible()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_main_pages_render_in_both_languages(page: Any, site: Site, language: str) -> None:
    expected = {
        "zh": {"/": "每日标讯", "/notices": "搜索", "/openings": "开标大厅", "/statistics": "数据统计"},
        "en": {
            "/": "Daily bid news",
            "/notices": "Search",
            "/openings": "Live opening hall",
            "/statistics": "Statistics",
        },
    }[language]
    for path, text in expected.items():
        response = page.goto(f"{site.url}{path}?lang={language}")
        assert response is not None
        assert response.status == 200
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if language == "zh" else "en")
        expect(page.locator("main")).to_contain_text(text)
        screenshot(page, f"{path.strip('/') or 'home'}-{language}")


def test_the_home_page_and_the_notices_on_a_phone(phone: Any, site: Site) -> None:
    for path in ("/", "/notices", f"/projects/{_demo_project_id(site)}"):
        phone.goto(f"{site.url}{path}")
        expect(phone.locator("main")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        screenshot(phone, f"phone-{path.strip('/').replace('/', '-') or 'home'}")


def _demo_project_id(site: Site) -> int:
    from sqlalchemy import select

    from ggzy.core.db import unit_of_work
    from ggzy.projects.models import Project

    with unit_of_work(site.factory, read_only=True) as db:
        project_id = db.scalar(select(Project.id).where(Project.name == DEMO_PROJECT))
    assert project_id is not None
    return project_id
