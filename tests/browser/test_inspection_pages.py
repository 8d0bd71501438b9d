"""A random inspection (双随机一公开, decision 0042) from a phone: the demo's supervisor plans one over the Kunming
construction rounds opened in the last 40 days, draws it once the ledger has signed a checkpoint over the plan,
records the finding, publishes it, and the public page shows it — each step asked first and said after, every page
390 px wide at most."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from ggzy.core.clock import FixedClock, as_utc
from ggzy.core.db import unit_of_work
from ggzy.ledger.service import catch_up, latest_checkpoint
from ggzy.supervision import inspections
from ggzy.supervision.models import InspectionPlan
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.conftest import LEDGER_KEYS

TITLE = "昆明市房屋建筑工程双随机抽查（演示）"


def _beat(site: Site) -> None:
    """The ledger's beat, at the site's time or just after its newest checkpoint (other tests move the clock)."""
    with unit_of_work(site.factory, read_only=True) as db:
        last = latest_checkpoint(db)
        newest = as_utc(last.created_at) if last is not None else site.clock.now()
    catch_up(site.factory, LEDGER_KEYS, FixedClock(max(site.clock.now(), newest + timedelta(seconds=1))))


def test_the_supervisor_draws_inspects_and_publishes_on_a_phone(phone: Any, site: Site) -> None:
    phone.on("dialog", lambda dialog: dialog.accept())  # every irreversible step asks first (data-confirm)
    phone.goto(f"{site.url}/login")
    phone.locator("#username").fill("supervisor")
    phone.locator("#password").fill(site.demo["password"])
    phone.locator("#password").press("Enter")
    expect(phone).to_have_url(re.compile(r"/workspace"))
    phone.get_by_role("link", name="双随机抽查").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/inspections"))
    check_fits_the_phone(phone, "phone-inspections-empty")

    today = site.clock.now().date()
    phone.locator("#title").fill(TITLE)
    phone.locator("#region_code").select_option("530100")
    phone.locator("#window_start").fill((today - timedelta(days=40)).isoformat())
    phone.locator("#window_end").fill(today.isoformat())
    phone.locator("#inspectors_to_draw").fill("1")
    phone.get_by_role("button", name="登记计划").click()
    expect(phone.locator(".flash-done")).to_contain_text("抽查计划已登记")

    _beat(site)  # the ledger's beat signs a checkpoint over the plan
    plan = phone.locator("section.card", has_text=TITLE).first
    plan.get_by_role("button", name="抽取").click()
    expect(phone.locator(".flash-done")).to_contain_text("已抽取")
    plan = phone.locator("section.card", has_text=TITLE).first
    expect(plan).to_contain_text("抽中（第1位）")
    check_fits_the_phone(phone, "phone-inspections-drawn")

    # the drawn inspector records the finding: other tests may have added supervisors of the region, and the draw is
    # random, so the browser becomes the one drawn
    with unit_of_work(site.factory, read_only=True) as db:
        row = db.scalars(select(InspectionPlan).where(InspectionPlan.title == TITLE).order_by(InspectionPlan.id.desc()))
        drawn = inspections.drawn(row.first())  # type: ignore[arg-type]
    assert drawn is not None
    log_in(phone, site, drawn.inspectors[0])
    phone.goto(f"{site.url}/workspace/inspections")
    plan = phone.locator("section.card", has_text=TITLE).first
    plan.get_by_label("未发现问题").first.check()
    plan.locator("textarea").first.fill("开标记录、评标报告、中标候选人公示齐全，未发现问题")
    plan.get_by_role("button", name="记录检查结果").first.click()
    expect(phone.locator(".flash-done")).to_contain_text("检查结果已记录")
    plan = phone.locator("section.card", has_text=TITLE).first
    plan.get_by_role("button", name="公开抽查结果").click()
    expect(phone.locator(".flash-done")).to_contain_text("抽查结果已向社会公开")

    phone.goto(f"{site.url}/inspections")
    expect(phone.locator("main")).to_contain_text("开标记录、评标报告、中标候选人公示齐全，未发现问题")
    check_fits_the_phone(phone, "phone-inspections-public")
