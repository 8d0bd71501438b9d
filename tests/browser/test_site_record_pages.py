"""On-site records on a phone (现场见证记录, decision 0048): the demo's centre staff member, from the awarded works
lot's committee page, records that a bidder's representative used a phone at the opening; the demo's supervisor
(昆明 530100, construction) finds it in the workspace and reads it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from ggzy.core.clock import to_china_time
from tests.browser.conftest import Site, check_fits_the_phone


def _log_in(phone: Any, site: Site, username: str) -> None:
    phone.context.clear_cookies()
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill(username)
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))


def test_centre_staff_record_a_phone_used_at_the_opening_and_the_supervisor_reads_it(phone: Any, site: Site) -> None:
    tender_id = site.demo["lots"][0]["tender_id"]
    _log_in(phone, site, "staff")
    phone.goto(f"{site.url}/workspace/committee/tenders/{tender_id}")
    phone.get_by_role("link", name="现场见证记录").first.click()
    expect(phone).to_have_url(re.compile(rf"/workspace/centre/tenders/{tender_id}/site-records"))
    check_fits_the_phone(phone, "phone-site-records-form")
    phone.locator("#site-session").select_option("opening")
    seen = to_china_time(site.clock.now() - timedelta(minutes=15))
    phone.locator("#site-occurred").fill(seen.strftime("%Y-%m-%dT%H:%M"))
    bidder = phone.locator("#site-subject option[value^='bidder:']").first.get_attribute("value")
    phone.locator("#site-subject").select_option(bidder)
    phone.locator("#site-representative").fill("王浏览")
    phone.locator("#site-category").select_option("communication_device")
    phone.locator("#site-description").fill("开标过程中投标人代表王浏览使用手机对外通话（浏览器测试）。")
    phone.get_by_role("button", name="保存记录").click()
    expect(phone.locator(".flash-done")).to_contain_text("现场见证记录已保存")
    row = phone.locator("table.site-records tr", has_text="王浏览").first
    expect(row).to_contain_text("违规使用通讯工具")
    check_fits_the_phone(phone, "phone-site-records-tender")

    _log_in(phone, site, "supervisor")
    phone.goto(f"{site.url}/workspace")
    phone.get_by_role("link", name="现场见证记录").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/site-records$"))
    row = phone.locator("table.site-records tr", has_text="王浏览").first
    expect(row).to_contain_text("违规使用通讯工具")
    check_fits_the_phone(phone, "phone-site-records-list")
    row.locator("a").first.click()
    expect(phone.locator("h1")).to_contain_text("现场见证记录")
    expect(phone.locator("#penalties")).to_contain_text("尚无处罚决定引用该记录")
    check_fits_the_phone(phone, "phone-site-record")
