"""The centre's staff read their statistics rolled up the hierarchy on a phone (decision 0041): the Kunming centre's
own awards and a row for its 五华区 branch, on a 390-px screen without the page scrolling sideways."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, check_fits_the_phone


def test_the_city_centre_reads_its_statistics_with_its_county_branch_on_a_phone(phone: Any, site: Site) -> None:
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill("staff")
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))
    phone.goto(f"{site.url}/workspace/centre/statistics")
    expect(phone.locator("h1")).to_contain_text("昆明市公共资源交易中心")
    centres = phone.locator("#by-centre + .table-scroll tbody")
    expect(centres).to_contain_text("本中心直属项目")
    expect(centres).to_contain_text("昆明市五华区公共资源交易分中心")
    check_fits_the_phone(phone, "phone-workspace-centre-statistics")
