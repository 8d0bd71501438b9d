"""The financial institution's workspace on a phone (decision 0035): its own guarantees as a table — number, bidder,
tender, amount in 元, valid-until in Beijing time, status — and another institution's guarantee nowhere on it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from ggzy.core.db import unit_of_work
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.factories import bidder_user
from tests.finance.guarantees_support import entity_of, issued, onboard
from tests.finance.support import deposit_tender


def test_an_institution_reads_its_own_guarantees_on_a_phone(phone: Any, site: Site) -> None:
    with unit_of_work(site.factory) as db:
        tender, _ = deposit_tender(db)
        bank, other_bank = onboard(db), onboard(db)
        mine = issued(db, bank, tender, entity_of(db, bidder_user(db)))
        theirs = issued(db, other_bank, tender, entity_of(db, bidder_user(db)))
        scene = {"user": bank.user.id, "number": mine.number, "other": theirs.number, "title": tender.title}
    log_in(phone, site, scene["user"])
    phone.goto(f"{site.url}/workspace")
    phone.get_by_role("link", name="金融机构").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/institution$"))
    row = phone.locator("table tbody tr", has_text=scene["number"])
    expect(row).to_contain_text(scene["title"])
    expect(row).to_contain_text("20,000.00")
    expect(row).to_contain_text("有效")
    expect(phone.locator("main")).not_to_contain_text(scene["other"])
    check_fits_the_phone(phone, "phone-workspace-institution")
