"""竞争性谈判 on a phone (政府采购法 第38条): the host notifies a change to every supplier (第（四）项), calls a
round of sealed quotations with its deadline in Beijing time, opens the round's quotations together after the
deadline, and calls the final round (第（五）项) only once it confirmed that it is the last; the supplier sees its
rounds, their deadlines, when it quoted and the change notified. Every page fits a 390-px screen and says what
happened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.core.db import unit_of_work
from ggzy.portal.formatting import china_time
from ggzy.tendering import quotations
from ggzy.tendering.models import Tender
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.tendering.negotiation_support import negotiating, quote, release, releases

HOUR = timedelta(hours=1)


def _negotiation(site: Site, ca_dir: Path) -> dict[str, Any]:
    with unit_of_work(site.factory) as db:
        scene = negotiating(db, ca_dir, prices=[30_000_000, 20_000_000, 10_000_000])
        scene["store"] = site.app.state.blob_store  # the server opens what the suppliers quote: one store
        return scene | {
            "tender_id": scene["tender"].id, "agent_id": scene["agent_user"].id,
            "supplier_ids": [user.id for user in scene["bidders"]],
        }  # fmt: skip


def _on_the_services(site: Site, scene: dict[str, Any], step: Callable[[Session], object]) -> None:
    """A step a supplier or a custodian takes with its own client, in a transaction of its own."""
    with unit_of_work(site.factory) as db:
        scene["tender"] = db.get(Tender, scene["tender_id"])
        step(db)


def _fill_deadline(page: Any, moment: datetime) -> None:
    page.locator("#deadline").fill(moment.astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%dT%H:%M"))


def _said(page: Any, text: str) -> None:
    expect(page.locator('p.flash-done[role="status"]')).to_contain_text(text)


def test_政府采购法_第38条_the_host_and_a_supplier_negotiate_rounds_on_a_phone(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    phone.on("dialog", lambda dialog: dialog.accept())  # the irreversible steps ask first (data-confirm)
    scene = _negotiation(site, gm_ca)
    t0, tender_id = scene["opened_at"], scene["tender_id"]
    host_page = f"{site.url}/workspace/negotiations/{tender_id}"
    supplier_page = f"{site.url}/workspace/bidder/tenders/{tender_id}/quotations"
    before = site.clock.now()
    site.clock.set(t0)
    try:
        log_in(phone, site, scene["agent_id"])
        phone.goto(host_page)
        expect(phone.locator("#rounds")).to_contain_text("尚未要求报价")
        check_fits_the_phone(phone, "phone-negotiation-host")
        phone.locator("#notice-text").fill("交货期改为60日")
        phone.get_by_role("button", name="通知供应商").click()
        _said(phone, "已书面通知所有参加谈判的供应商")
        _fill_deadline(phone, t0 + HOUR)
        phone.get_by_role("button", name="要求报价").click()
        _said(phone, "已要求参加谈判的供应商在截止时间前报价")
        expect(phone.locator("#rounds tbody tr").first).to_contain_text(china_time(t0 + HOUR))
        check_fits_the_phone(phone, "phone-negotiation-host-called")

        # the supplier: its round, the deadline in Beijing time, the command that seals its quotation, the notice
        log_in(phone, site, scene["supplier_ids"][0])
        phone.goto(supplier_page)
        expect(phone.locator("#rounds")).to_contain_text("待报价")
        expect(phone.locator("#rounds")).to_contain_text(china_time(t0 + HOUR))
        expect(phone.locator("#rounds")).to_contain_text("--round 1")
        expect(phone.locator("#notices")).to_contain_text("交货期改为60日")
        check_fits_the_phone(phone, "phone-negotiation-supplier")
        _on_the_services(
            site, scene,
            lambda db: [quote(db, scene, index, 1, price, at=t0 + 10 * timedelta(minutes=1))
                        for index, price in enumerate([25_000_000, 19_000_000, 9_500_000])],
        )  # fmt: skip
        phone.reload()
        expect(phone.locator("#rounds")).to_contain_text("已报价")
        expect(phone.locator("#rounds")).to_contain_text(china_time(t0 + 10 * timedelta(minutes=1)))
        check_fits_the_phone(phone, "phone-negotiation-supplier-quoted")

        # after the deadline the custodians release their shares; the host opens the round's quotations together
        site.clock.set(t0 + HOUR)
        _on_the_services(
            site, scene, lambda db: [release(db, scene, 1, item, at=t0 + HOUR) for item in releases(db, scene, 1)]
        )
        log_in(phone, site, scene["agent_id"])
        phone.goto(host_page)
        phone.locator('#rounds input[name="confirmed"]').check()
        phone.get_by_role("button", name="一并开启").click()
        _said(phone, "本轮报价已一并开启")
        expect(phone.locator("#rounds")).to_contain_text("95,000.00 元")
        check_fits_the_phone(phone, "phone-negotiation-host-opened")
        log_in(phone, site, scene["supplier_ids"][0])
        phone.goto(supplier_page)
        expect(phone.locator("#rounds")).to_contain_text("250,000.00 元")  # its own price, once opened
        expect(phone.locator("#rounds")).not_to_contain_text("95,000.00")  # never another's
        log_in(phone, site, scene["agent_id"])
        phone.goto(host_page)

        # the final round is called only once the host confirmed it is the last (第38条 第（五）项)
        _fill_deadline(phone, t0 + 2 * HOUR)
        phone.locator('#call input[name="final"]').check()
        phone.get_by_role("button", name="要求报价").click()
        expect(phone.get_by_role("alert")).to_contain_text("请确认这是最后一轮报价")
        check_fits_the_phone(phone, "phone-negotiation-host-final-unconfirmed")
        with unit_of_work(site.factory, read_only=True) as db:
            assert len(quotations.rounds_of(db, tender_id)) == 1
        # what it entered is kept: it only confirms
        expect(phone.locator('#call input[name="final"]')).to_be_checked()
        phone.locator('#call input[name="confirmed"]').check()
        phone.get_by_role("button", name="要求报价").click()
        _said(phone, "已要求参加谈判的供应商在截止时间前报价")
        expect(phone.locator("#rounds tbody tr").last).to_contain_text("最后报价")
        expect(phone.locator("#call")).to_have_count(0)  # no round after the final one is called
        check_fits_the_phone(phone, "phone-negotiation-host-final")
    finally:
        site.clock.set(before)
