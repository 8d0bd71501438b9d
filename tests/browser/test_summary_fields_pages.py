"""The opening summary (开标一览表) on a phone: the agent declares its items on the tender-preparation form, and the bid
summary partial says in the page what is wrong before anything is sealed (static/js/bid_summary.js)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from ggzy.core.clock import to_china_time
from ggzy.core.db import unit_of_work
from ggzy.portal.i18n import Language
from ggzy.tendering.summary_form import FieldKind, SummaryField, declare
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.conftest import TEST_NOW
from tests.factories import make_accepted_project
from tests.portal.test_ws_summary_fields import render_partial

FIELDS = declare(
    [
        SummaryField("schedule_days", "工期（日历天）", "Schedule (calendar days)", FieldKind.DAYS, True),
        SummaryField("rate_percent", "费率", "Rate", FieldKind.PERCENTAGE, False),
        SummaryField("project_manager", "项目经理", "Project manager", FieldKind.TEXT, True),
    ]
)


def test_the_agent_declares_the_opening_summary_on_a_phone(phone: Any, site: Site) -> None:
    with unit_of_work(site.factory) as db:
        setup = make_accepted_project(db)
        agent_id, lot_id = setup["agent_user"].id, setup["lots"][0].id
    log_in(phone, site, agent_id)
    phone.goto(f"{site.url}/workspace/projects")
    form = phone.locator(f'form[action="/workspace/projects/lots/{lot_id}/tenders"]')
    form.locator("xpath=..").locator("summary").click()  # the <details> it sits in
    form.locator('input[name="title"]').fill("开标一览表手机招标")
    form.locator('textarea[name="notice_text"]').fill("公告正文")
    form.locator('input[name="documents_until"]').fill(f"{to_china_time(TEST_NOW + timedelta(days=10)):%Y-%m-%dT%H:%M}")
    form.locator('input[name="bid_deadline"]').fill(f"{to_china_time(TEST_NOW + timedelta(days=25)):%Y-%m-%dT%H:%M}")
    rows = form.locator("[data-summary-item]")
    expect(rows).to_have_count(3)
    rows.nth(0).locator('input[name="summary_label"]').fill("工期（日历天）")
    rows.nth(0).locator('input[name="summary_label"]').dispatch_event("change")
    expect(rows.nth(0).locator('select[name="summary_kind"]')).to_have_value("days")  # a common item's kind
    form.get_by_role("button", name="再添加一项").click()
    expect(rows).to_have_count(4)
    rows.nth(3).locator('input[name="summary_label"]').fill("投标有效期（日历天）")
    rows.nth(3).locator('select[name="summary_kind"]').select_option("days")
    rows.nth(3).locator('select[name="summary_required"]').select_option("no")
    check_fits_the_phone(phone, "phone-summary-declaration-form")
    form.get_by_role("button", name="保存草稿").click()

    table = phone.locator('section[aria-labelledby="summary-fields"] table')
    expect(table).to_contain_text("投标报价")
    expect(table).to_contain_text("schedule_days")
    expect(table).to_contain_text("投标有效期（日历天）")
    expect(table.locator("tbody tr")).to_have_count(3)
    check_fits_the_phone(phone, "phone-summary-declared")


def _sealing_page(site: Site, lang: Language) -> str:
    """A sealing form as the assistant's page includes the partial, with a stand-in for the sealing code."""
    return f"""<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{site.url}/static/portal/css/portal.css"></head>
<body><main><form class="stacked" id="seal">{render_partial(FIELDS, lang)}
<button class="button" type="submit">加密</button></form></main>
<script src="{site.url}/static/portal/js/bid_summary.js"></script>
<script>document.addEventListener("submit", (event) => {{
  event.preventDefault(); document.body.dataset.sealed = "yes"; }});</script>
</body></html>"""


def test_the_bid_summary_says_what_is_wrong_before_anything_is_sealed_on_a_phone(phone: Any, site: Site) -> None:
    phone.set_content(_sealing_page(site, "zh"), wait_until="load")
    problems = phone.locator("[data-summary-problems]")
    seal = phone.get_by_role("button", name="加密")
    seal.click()
    expect(problems).to_contain_text("未加密任何文件")
    expect(problems).to_contain_text("缺少必填项“投标报价”")
    expect(problems).to_contain_text("缺少必填项“工期（日历天）”")
    expect(problems).to_contain_text("缺少必填项“项目经理”")
    assert phone.evaluate("document.body.dataset.sealed") is None, "nothing is sealed"
    assert phone.locator('input[name="summary.price_fen"]').evaluate("e => e === document.activeElement")

    phone.locator('input[name="summary.price_fen"]').fill("4200000.001")
    phone.locator('input[name="summary.schedule_days"]').fill("0")
    phone.locator('input[name="summary.rate_percent"]').fill("100.5")
    phone.locator('input[name="summary.project_manager"]').fill("张三")
    seal.click()
    expect(problems).to_contain_text("“投标报价”应为大于零的金额")
    expect(problems).to_contain_text("“工期（日历天）”应为 1 至 36500 的天数")
    expect(problems).to_contain_text("“费率”应为 0 至 100 的百分数")
    expect(problems).not_to_contain_text("项目经理")
    assert phone.locator('input[name="summary.schedule_days"]').get_attribute("aria-invalid") == "true"
    assert phone.evaluate("document.body.dataset.sealed") is None
    check_fits_the_phone(phone, "phone-bid-summary-problems")

    phone.locator('input[name="summary.price_fen"]').fill("4200000.00")
    phone.locator('input[name="summary.schedule_days"]').fill("300")
    phone.locator('input[name="summary.rate_percent"]').fill("")
    seal.click()
    expect(phone.locator("body")).to_have_attribute("data-sealed", "yes")
    expect(problems.locator("li")).to_have_count(0)
    summary = phone.evaluate("window.ggzyBidSummary.summary(document.getElementById('seal'))")
    assert summary == {"price_fen": 420_000_000, "schedule_days": 300, "project_manager": "张三"}


def test_the_bid_summary_speaks_english_on_an_english_page(phone: Any, site: Site) -> None:
    phone.set_content(_sealing_page(site, "en"), wait_until="load")
    phone.locator('input[name="summary.schedule_days"]').fill("300")
    phone.get_by_role("button", name="加密").click()
    problems = phone.locator("[data-summary-problems]")
    expect(problems).to_contain_text("nothing has been sealed")
    expect(problems).to_contain_text("“Bid price” is required")
    expect(problems).to_contain_text("“Project manager” is required")
    expect(phone.locator("label", has_text="Bid price")).to_contain_text("yuan")
