"""The platform administrator's workspace on a phone (issue 13, point 8): the demo's admin logs in, creates a supervisor
for a region, adds a county branch under the Kunming centre, registers a ledger witness and checks which years of
the holiday calendar are known — every page 390 px wide at most, with its events in Beijing time."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from ggzy.ledger.note import generate_cosignature_signer
from tests.browser.conftest import Site, check_fits_the_phone


def test_the_admin_manages_users_centres_witnesses_and_checks_the_calendar_on_a_phone(phone: Any, site: Site) -> None:
    phone.on("dialog", lambda dialog: dialog.accept())  # every irreversible step asks first (data-confirm)
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill("admin")
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))
    phone.locator("main").get_by_role("link", name="平台管理").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/admin$"))
    check_fits_the_phone(phone, "phone-admin-home")

    phone.get_by_role("link", name="用户与角色").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/admin/users"))
    assert phone.locator('#new-role option[value="bidder"]').count() == 0  # an entity's role is offered nowhere
    phone.locator("#new-username").fill("sup.qujing")
    phone.locator("#new-display-name").fill("曲靖市行政监督")
    phone.locator("#new-password").fill("a long enough password")
    phone.locator("#new-role").select_option("supervisor")
    phone.locator("#new-region").select_option("530300")
    phone.locator("#new-trade-type").select_option("construction")
    phone.get_by_role("button", name="创建").click()
    expect(phone.locator("main")).to_contain_text("用户已创建")
    row = phone.locator("tbody tr", has_text="sup.qujing")
    expect(row).to_contain_text("行政监督")
    expect(row).to_contain_text("曲靖市")
    expect(phone.locator("table.admin-events")).to_contain_text("创建用户")
    check_fits_the_phone(phone, "phone-admin-users")

    phone.get_by_role("link", name="交易中心层级").first.click()
    phone.locator("#centre-name").fill("官渡区分中心（演示）")
    phone.locator("#centre-region").fill("530111")
    phone.locator("#centre-parent").select_option(label="昆明市公共资源交易中心")
    phone.get_by_role("button", name="创建").click()
    expect(phone.locator("main")).to_contain_text("交易中心已创建")
    city = phone.locator("li", has_text="昆明市公共资源交易中心").last
    expect(city).to_contain_text("官渡区分中心（演示）")
    expect(phone.locator("table.admin-events")).to_contain_text("创建交易中心")
    check_fits_the_phone(phone, "phone-admin-centres")

    _, key = generate_cosignature_signer("witness.demo.example")
    phone.get_by_role("link", name="账本见证方").first.click()
    phone.locator("#witness-name").fill("witness.demo.example")
    phone.locator("#witness-key").fill(key)
    phone.get_by_role("button", name="登记").click()
    expect(phone.locator("main")).to_contain_text("见证方已登记")
    expect(phone.locator("tbody tr", has_text="witness.demo.example")).to_have_count(1)
    expect(phone.locator("table.admin-events")).to_contain_text("登记见证方")
    check_fits_the_phone(phone, "phone-admin-witnesses")

    phone.get_by_role("link", name="节假日安排").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/admin/calendar"))
    expect(phone.locator("#next-year-status")).to_contain_text("2027")  # the demo's clock is in 2026
    expect(phone.locator("#calendar-year")).to_have_value("2027")
    check_fits_the_phone(phone, "phone-admin-calendar")

    phone.get_by_role("link", name="CA 信任根与吊销列表").first.click()
    expect(phone.locator("main")).to_contain_text("SHA-256")
    check_fits_the_phone(phone, "phone-admin-trust")
