"""The supervisor's live view and watch list on a phone (decision 0046): the demo's supervisor opens the live view of
its jurisdiction, puts an entity on the watch list with its grounds and takes it off again, the removal asked first
and each step said after — tables, Beijing time, 390 px wide at most."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from ggzy.core.db import unit_of_work
from tests.browser.conftest import Site, check_fits_the_phone
from tests.factories import make_entity


def test_the_supervisor_opens_the_board_and_keeps_the_watch_list_on_a_phone(phone: Any, site: Site) -> None:
    with unit_of_work(site.factory) as db:
        entity = make_entity(db, name="重点关注演示建设工程有限公司")
        code, name = entity.credit_code, entity.name
    phone.on("dialog", lambda dialog: dialog.accept())  # the removal asks first (data-confirm)
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill("supervisor")
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))
    phone.get_by_role("link", name="监督实时视图").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/board"))
    expect(phone.locator("h1")).to_have_text("监督实时视图")
    expect(phone.locator("main")).to_contain_text("个标段")
    check_fits_the_phone(phone, "phone-workspace-board")

    phone.get_by_role("link", name="重点关注对象名单").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/watchlist"))
    phone.locator("#watch-code").fill(code)
    phone.locator("#watch-grounds").fill("近一年内三次被投诉（演示）")
    phone.get_by_role("button", name="列入名单").click()
    expect(phone.locator(".flash-done")).to_contain_text("已列入重点关注对象名单")
    row = phone.locator("table.watchlist tbody tr", has_text=name)
    expect(row).to_contain_text("近一年内三次被投诉（演示）")
    check_fits_the_phone(phone, "phone-workspace-watchlist")

    row.locator("textarea").fill("已整改到位（演示）")
    row.get_by_role("button", name="移出名单").click()
    expect(phone.locator(".flash-done")).to_contain_text("已移出重点关注对象名单")
    expect(phone.locator("table.watchlist tbody tr", has_text=name)).to_have_count(0)
