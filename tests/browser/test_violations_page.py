"""The supervisor reads a missed statutory period on a phone (DESIGN §5, decision 0021): candidates publicised on
the 4th day after the report (招标投标法实施条例 第54条) are published, and the supervisor of the region finds the
violation, with its article and days, on a 390-px screen without the page scrolling sideways."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ggzy.awards import service as awards
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Permission
from tests.browser.conftest import Site, screenshot
from tests.factories import make_evaluated_tender, principal


def _published_late(site: Site, ca_dir: Path) -> dict[str, Any]:
    with unit_of_work(site.factory) as db:
        scene = make_evaluated_tender(db, ca_dir)
        agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
        awards.publish_publicity(
            db, agent, tender_id=scene["tender"].id, ends_at=None, now=scene["reported_at"] + timedelta(days=4)
        )
        return {"tender_id": scene["tender"].id, "code": scene["project"].code}


def test_regulations_art_54_the_supervisor_reads_a_late_publicity_on_a_phone(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    scene = _published_late(site, gm_ca)
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill("supervisor")
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))
    phone.get_by_role("link", name="逾期记录").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/violations"))
    row = phone.locator("table.violations tbody tr", has_text=scene["code"])
    expect(row).to_contain_text("招标投标法实施条例 第五十四条")
    expect(row).to_contain_text("自收到评标报告之日起公示中标候选人")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(phone, "phone-workspace-violations")
