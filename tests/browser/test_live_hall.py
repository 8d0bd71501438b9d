"""A visitor watches openings in a real browser (Chromium through Playwright) against a real server."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, screenshot
from tests.browser.live_opening import LiveOpening

PRICES = [88_000_000, 86_600_000, 90_500_000]


@pytest.fixture
def live(site: Site, gm_ca: Path) -> LiveOpening:
    return LiveOpening(site.factory, gm_ca, PRICES).prepare()


def test_a_visitor_watches_a_live_opening_update_without_reloading(page: Any, site: Site, live: LiveOpening) -> None:
    site.clock.set(live.deadline - timedelta(seconds=90))
    page.goto(f"{site.url}/openings/{live.tender_id}")
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^00:0[01]:\d\d$"))
    expect(page.locator("#hall")).to_have_attribute("data-connected", "true")
    before = page.content()
    for name in live.bidder_names:  # 招标投标法 第22条: nobody is named before the opening
        assert name not in before
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    screenshot(page, "hall-before-deadline")

    live.start(site.clock)  # another thread advances the opening through the services, as the host's request would
    expect(page.locator("#status")).to_contain_text("开标开始：共 3 份投标文件")
    expect(page.locator("#total")).to_have_text("3")
    expect(page.locator("#countdown")).to_have_text("00:00:00")
    for number, name in enumerate(live.bidder_names):
        live.decrypt(number, site.clock)
        expect(page.locator("#progress")).to_contain_text(f"{name} 已解密投标文件")
        expect(page.locator("#decrypted")).to_have_text(str(number + 1))
    screenshot(page, "hall-decrypting")

    live.finish(site.clock)
    expect(page.locator("#status")).to_contain_text("开标结束")
    lines = page.locator("#record .record-line")
    expect(lines).to_have_count(3)  # read out one line at a time
    expect(lines.nth(1)).to_contain_text(live.bidder_names[1])
    expect(lines.nth(1)).to_contain_text("866,000.00 元")
    assert page.evaluate("window.__same_page") is True
    screenshot(page, "hall-record")


def test_the_demo_opening_replays_its_read_out(page: Any, site: Site) -> None:
    tender_id = site.demo["lots"][0]["tender_id"]
    page.goto(f"{site.url}/openings/{tender_id}?replay=1")
    expect(page.locator("#record .record-line")).to_have_count(site.demo["lots"][0]["bids"])  # one per bid, read out
    expect(page.locator("#status")).to_contain_text("开标结束")
    expect(page.locator("#progress")).to_contain_text("已解密投标文件")
    screenshot(page, "hall-demo-replay")


def test_the_hall_in_english_on_a_phone(phone: Any, site: Site) -> None:
    tender_id = site.demo["lots"][0]["tender_id"]
    phone.goto(f"{site.url}/openings/{tender_id}?lang=en")
    expect(phone.locator("h2#hall-heading")).to_contain_text("Live opening")
    expect(phone.locator("#status")).to_contain_text("The opening has ended")
    expect(phone.locator("#record .record-line").first).to_contain_text("CNY ")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(phone, "hall-en-phone")
    phone.goto(f"{site.url}/openings?lang=zh")
    expect(phone.locator("h1")).to_have_text("开标大厅")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(phone, "openings-zh-phone")
