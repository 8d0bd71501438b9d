"""The credit pages on a 390-px phone (decision 0040): the supervisor's credit workspace with its interception
counts and forms, the public blacklist and the public credit query — tables, Beijing time, no sideways scroll."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from ggzy.core.db import unit_of_work
from tests.browser.conftest import Site, check_fits_the_phone
from tests.credit.support import suspend
from tests.factories import make_entity


def test_the_supervisor_the_public_blacklist_and_the_credit_query_fit_a_phone(phone: Any, site: Site) -> None:
    with unit_of_work(site.factory) as db:
        entity = make_entity(db, name="某某串通投标建设工程有限公司")
        suspend(db, entity.credit_code, months=15)
        code, name = entity.credit_code, entity.name
    phone.goto(f"{site.url}/credit/blacklist")
    expect(phone.locator("table.blacklist tbody tr", has_text=code)).to_contain_text(name)
    check_fits_the_phone(phone, "phone-credit-blacklist")
    phone.goto(f"{site.url}/credit/query?credit_code={code}")
    expect(phone.locator("table.credit-records")).to_contain_text("限制参与")
    check_fits_the_phone(phone, "phone-credit-query")
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill("supervisor")
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))
    phone.get_by_role("link", name="信用与拦截").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/credit"))
    expect(phone.locator("table.interception-counts")).to_contain_text("递交投标文件")
    expect(phone.locator("form[data-confirm][action='/workspace/credit/penalties']")).to_be_visible()
    check_fits_the_phone(phone, "phone-workspace-credit")
