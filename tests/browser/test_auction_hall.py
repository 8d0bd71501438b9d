"""Two bidders in timed bidding and a visitor, each in a real browser, watch one auction hall (decision 0050)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from ggzy.auctions import service
from ggzy.core.db import unit_of_work
from tests.auctions.support import LISTING_END, LISTING_START, make_trade, paid_bidder
from tests.browser.conftest import Site, check_fits_the_phone, log_in, screenshot


@dataclass
class TimedTrade:
    auction_id: int
    users: list[int]
    plates: list[str]


@pytest.fixture
def timed_trade(site: Site) -> TimedTrade:
    """A listing whose two bidders both asked for timed bidding: after the listing's end it goes on to it."""
    during = LISTING_START + timedelta(days=1)
    with unit_of_work(site.factory) as db:
        trade = make_trade(db)
        bidders = [paid_bidder(db, trade) for _ in range(2)]
        plates = []
        for bidder in bidders:
            plates.append(service.register_bidder(db, bidder, auction_id=trade.auction.id, now=during).plate)
            service.request_timed_bidding(db, bidder, auction_id=trade.auction.id, now=during)
        users = [bidder.user_id for bidder in bidders]
        auction_id = trade.auction.id
    return TimedTrade(auction_id=auction_id, users=[u for u in users if u is not None], plates=plates)


@pytest.fixture
def second(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _bid(page: Any, amount: str) -> None:
    page.locator("#amount_yuan").fill(amount)
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    page.locator("#bid-form button[type=submit]").click()
    expect(page.locator("#bid-result")).to_contain_text("报价已被接受：序号")
    assert "报价一经提出不得撤回（拍卖法 第三十六条）" in questions[0]


def test_two_bidders_and_a_visitor_see_each_bid_by_plate_and_the_countdown_reset(
    page: Any, second: Any, phone: Any, site: Site, timed_trade: TimedTrade
) -> None:
    site.clock.set(LISTING_END + timedelta(minutes=3, seconds=30))  # 30 s left of the timed phase's 4 minutes
    auction = timed_trade.auction_id
    bidder_page = f"{site.url}/workspace/bidder/auctions/{auction}"
    log_in(page, site, timed_trade.users[0])
    log_in(second, site, timed_trade.users[1])
    page.goto(bidder_page)
    second.goto(bidder_page)
    phone.goto(f"{site.url}/auctions/{auction}")  # a visitor, not logged in
    for watcher in (page, second, phone):
        expect(watcher.locator("#hall")).to_have_attribute("data-connected", "true")
        expect(watcher.locator("#phase")).to_have_text("限时竞价")
        expect(watcher.locator("#countdown")).to_have_text(re.compile(r"^00:00:[0-3]\d$"))
        expect(watcher.locator("#warning")).to_be_visible()  # the last minute
    expect(page.locator("#my-plate")).to_have_text(timed_trade.plates[0])

    site.clock.set(LISTING_END + timedelta(minutes=3, seconds=40))
    _bid(page, "1000000")  # the first bid at the start price
    for watcher in (second, phone, page):
        expect(watcher.locator("#plate")).to_have_text(timed_trade.plates[0])
        expect(watcher.locator("#price")).to_have_text("1,000,000.00 元")
        expect(watcher.locator("#bids tr")).to_have_count(1)
        # the countdown restarted: 4 minutes after the bid, by the server's clock
        expect(watcher.locator("#countdown")).to_have_text(re.compile(r"^00:0[34]:\d\d$"))
        expect(watcher.locator("#warning")).to_be_hidden()
    expect(second.locator("#minimum")).to_have_text("1,010,000.00 元")  # the form follows the price
    expect(second.locator("#amount_yuan")).to_have_value("1010000.00")
    screenshot(second, "auction-hall-bidder-after-first-bid")

    site.clock.set(LISTING_END + timedelta(minutes=4))
    _bid(second, "1010000")
    for watcher in (page, phone, second):
        expect(watcher.locator("#plate")).to_have_text(timed_trade.plates[1])
        expect(watcher.locator("#price")).to_have_text("1,010,000.00 元")
        expect(watcher.locator("#bids tr")).to_have_count(2)
        expect(watcher.locator("#bids tr").first).to_contain_text(timed_trade.plates[1])  # the latest first
        expect(watcher.locator("#bids tr").nth(1)).to_contain_text(timed_trade.plates[0])
    hall = phone.locator("#hall").inner_text()
    assert "报名" not in hall  # nothing of registrations in the hall: bids by plate only
    check_fits_the_phone(phone, "auction-hall-phone")

    log_in(phone, site, timed_trade.users[0])
    phone.goto(bidder_page)
    expect(phone.locator("#bids tr")).to_have_count(2)
    expect(phone.locator("#bid-form")).to_be_visible()
    check_fits_the_phone(phone, "auction-bidder-phone")
    phone.goto(f"{site.url}/auctions")
    check_fits_the_phone(phone, "auctions-phone")
    phone.goto(f"{site.url}/auctions/{auction}/bids")  # every bid, as a table
    expect(phone.locator("tbody tr")).to_have_count(2)
    check_fits_the_phone(phone, "auction-bids-phone")
