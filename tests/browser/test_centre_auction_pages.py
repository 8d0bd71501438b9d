"""A centre's staff suspend a rights trade from their pages and resume it, and a court its judicial sale from its own,
on a 390-px phone (decision 0052)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from ggzy.auctions.rules import Method, TradeKind
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Role
from tests.auctions.support import JUDICIAL_START, LISTING_START, make_trade
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.factories import user_with_role


def _asked(page: Any, questions: list[str]) -> None:
    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)


def test_the_staff_suspend_and_resume_a_trade_from_the_page_on_a_phone(phone: Any, site: Site) -> None:
    with unit_of_work(site.factory) as db:
        trade = make_trade(db)
        auction_id, centre_id = trade.auction.id, trade.auction.centre_id
        staff_id = user_with_role(db, Role.CENTRE_STAFF, centre_id=centre_id).id
    before = site.clock.now()
    site.clock.set(LISTING_START + timedelta(days=1))  # the listing is open
    try:
        log_in(phone, site, staff_id)
        phone.goto(f"{site.url}/workspace/centre/auctions")
        check_fits_the_phone(phone, "centre-auctions-phone")
        phone.locator(f'a[href="/workspace/centre/auctions/{auction_id}"]').click()
        expect(phone.locator("#phase")).to_have_text("挂牌期")
        check_fits_the_phone(phone, "centre-auction-phone")

        phone.locator("#ground").select_option("system_failure")
        phone.locator("#reason").fill("电子交易系统故障，暂停竞价待修复")
        questions: list[str] = []
        _asked(phone, questions)
        phone.locator("#suspend-form button[type=submit]").click()
        expect(phone.locator(".flash-done")).to_contain_text("交易已中止")
        assert len(questions) == 1  # asked first
        assert questions[0].startswith("确认中止交易？")
        expect(phone.locator("#phase")).to_have_text("已中止")
        expect(phone.locator("#suspension-rows")).to_contain_text("电子交易系统故障，暂停竞价待修复")
        expect(phone.locator("#suspension-rows")).to_contain_text("尚未恢复")
        check_fits_the_phone(phone, "centre-auction-suspended-phone")

        site.clock.set(LISTING_START + timedelta(days=1, hours=2))
        _asked(phone, questions)
        phone.locator("#resume-form button[type=submit]").click()
        expect(phone.locator(".flash-done")).to_contain_text("交易已恢复")
        assert questions[1].startswith("确认恢复交易？")
        expect(phone.locator("#phase")).to_have_text("挂牌期")
        expect(phone.locator("#suspension-rows")).not_to_contain_text("尚未恢复")
        check_fits_the_phone(phone, "centre-auction-resumed-phone")
    finally:
        site.clock.set(before)


def test_a_court_suspends_and_resumes_its_judicial_sale_from_its_page_on_a_phone(phone: Any, site: Site) -> None:
    """网络司法拍卖规定 第二十八条: the court stops its own sale itself, from its trade's page."""
    with unit_of_work(site.factory) as db:
        trade = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
        auction_id, court_user_id = trade.auction.id, trade.holder_user.id
    before = site.clock.now()
    site.clock.set(JUDICIAL_START + timedelta(hours=2))  # the 24 hours of bidding are under way
    try:
        log_in(phone, site, court_user_id)
        phone.goto(f"{site.url}/workspace/auctions/{auction_id}")
        phone.locator("#ground").select_option("court_order")
        phone.locator("#reason").fill("案外人提出异议，裁定中止拍卖")
        questions: list[str] = []
        _asked(phone, questions)
        phone.locator("#suspend-form button[type=submit]").click()
        expect(phone.locator(".flash-done")).to_contain_text("交易已中止")
        assert questions[0].startswith("确认中止交易？")  # asked first
        expect(phone.locator("#resume")).to_be_visible()
        expect(phone.locator("#suspend-form")).to_have_count(0)
        check_fits_the_phone(phone, "court-auction-suspended-phone")

        site.clock.set(JUDICIAL_START + timedelta(days=2))
        _asked(phone, questions)
        phone.locator("#resume-form button[type=submit]").click()
        expect(phone.locator(".flash-done")).to_contain_text("交易已恢复")
        assert questions[1].startswith("确认恢复交易？")
        expect(phone.locator("#suspend-form")).to_have_count(1)
        check_fits_the_phone(phone, "court-auction-resumed-phone")
    finally:
        site.clock.set(before)
