"""The inspector's workspace on a phone (decision 0043): the demo's discipline inspector (云南 530000) lists the opened
rounds, reads the awarded works lot's full trail — the bids' submission details, every event with its receipt — and
the owner's agent then sees on its own tender page that the inspector read it. A tip-off (decision 0045) sent by a
visitor reaches the demo's supervisor, who accepts and closes it, and the visitor reads the result by its code."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, check_fits_the_phone


def _log_in(phone: Any, site: Site, username: str) -> None:
    phone.context.clear_cookies()
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill(username)
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))


def test_the_inspector_reads_a_rounds_full_trail_on_a_phone(phone: Any, site: Site) -> None:
    _log_in(phone, site, "inspector")
    phone.get_by_role("link", name="全过程记录").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/oversight"))
    check_fits_the_phone(phone, "phone-oversight-rounds")
    works = site.demo["lots"][0]
    phone.locator(f'a[href="/workspace/oversight/tenders/{works["tender_id"]}"]').first.click()
    expect(phone.locator("h1")).to_have_text("全过程记录")
    expect(phone.locator("#submissions-title")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("198.51.100.7")  # the IP the demo's bids were sent from
    expect(phone.locator("main")).to_contain_text("tender.published")
    expect(phone.locator("#oversight-looks")).to_contain_text("云南省纪检审计员")
    check_fits_the_phone(phone, "phone-oversight-trail")


def test_a_visitors_tipoff_is_handled_by_the_supervisor_and_the_visitor_reads_the_result(
    phone: Any, site: Site
) -> None:
    phone.on("dialog", lambda dialog: dialog.accept())  # every irreversible step asks first (data-confirm)
    phone.context.clear_cookies()
    phone.goto(f"{site.url}/tipoffs")
    check_fits_the_phone(phone, "phone-tipoff-form")
    phone.locator("#subject").fill("某标段评标专家与投标人私下接触（演示）")
    phone.locator("#content").fill("开标当日午休时，有人看见评标专家与一家投标人的项目经理在场外交谈。")
    phone.locator("#region_code").select_option("530102")
    phone.locator("#trade_type").select_option("construction")
    phone.get_by_role("button", name="提交举报").click()
    expect(phone.locator("h1")).to_have_text("举报已收到")
    code = phone.locator("#tipoff-code").inner_text().strip()
    check_fits_the_phone(phone, "phone-tipoff-received")

    _log_in(phone, site, "supervisor")
    phone.goto(f"{site.url}/workspace/tipoffs?status=received")
    card = phone.locator("section.card", has_text="某标段评标专家与投标人私下接触（演示）").first
    expect(card).to_contain_text("匿名")
    card.get_by_role("button", name="受理", exact=True).click()
    expect(phone.locator(".flash-done")).to_contain_text("举报已受理")
    card = phone.locator("section.card", has_text="某标段评标专家与投标人私下接触（演示）").first
    card.locator("textarea").fill("经调查，系评标结束后的正常交谈，未发现违规。")
    card.get_by_role("button", name="办结").click()
    expect(phone.locator(".flash-done")).to_contain_text("举报已办结")
    check_fits_the_phone(phone, "phone-tipoffs-queue")

    phone.context.clear_cookies()
    phone.goto(f"{site.url}/tipoffs/follow")
    phone.locator("#code").fill(code)
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator("main")).to_contain_text("经调查，系评标结束后的正常交谈，未发现违规。")
    expect(phone.locator("main")).to_contain_text("已办结")
    check_fits_the_phone(phone, "phone-tipoff-followed")
