"""The money pages on a phone (issue 12, point 7): the owner reads each bid's deposit after the opening and keeps a
revoked bid's deposit (招标投标法实施条例 第35条 第2款) with its reasons and the bidder's appeal deadline; the centre's
staff resolve an alert, which stays in the history; a bidder reads its refund with interest and where it went."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ggzy.core.db import unit_of_work
from ggzy.core.permissions import SYSTEM, Role
from ggzy.finance import refunds
from ggzy.finance import service as finance
from ggzy.finance.bank.protocol import OrderStatus
from ggzy.finance.refund_rules import RefundGround
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.conftest import TEST_NOW
from tests.factories import make_opened_tender, user_with_role
from tests.finance.desk_support import unmatched_alert
from tests.finance.support import BASIS, DEPOSIT_FEN, RATE, deposit_tender, notice, opened, pay_in_full, receipt


def _said(page: Any, text: str) -> None:
    expect(page.locator('p.flash-done[role="status"]')).to_contain_text(text)  # ggzy.portal.outcomes


def test_the_owner_reads_the_deposits_after_the_opening_and_keeps_a_revoked_bids_deposit_on_a_phone(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    with unit_of_work(site.factory) as db:
        setup = make_opened_tender(
            db, gm_ca, prices=[10_000_000, 11_000_000, 12_000_000], deposit_fen=DEPOSIT_FEN,
            before_opening=lambda tender, users: pay_in_full(db, tender, users[:2]),
        )  # fmt: skip
        scene = {
            "tender": setup["tender"].id, "agent": setup["agent_user"].id, "opened_at": setup["opened_at"],
            "staff": setup["staff"].id,
        }  # fmt: skip
    phone.on("dialog", lambda dialog: dialog.accept())  # the forfeiture asks first (data-confirm)
    before = site.clock.now()
    site.clock.set(scene["opened_at"])
    try:
        log_in(phone, site, scene["agent"])
        phone.goto(f"{site.url}/workspace/projects/tenders/{scene['tender']}#deposits")
        rows = phone.locator("#deposit-table tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("已足额缴纳")
        expect(rows.nth(0)).to_contain_text("20,000.00 元")
        expect(rows.nth(2)).to_contain_text("未缴纳")
        check_fits_the_phone(phone, "phone-owner-deposits")
        phone.select_option("#forfeit-ground", "revoked_after_deadline")
        phone.fill("#forfeit-reasons", "投标截止后书面通知撤销投标文件")
        phone.get_by_role("button", name="决定不予退还").click()
        _said(phone, "已决定不予退还")
        decided = phone.locator("#forfeitures tbody tr")
        expect(decided).to_have_count(1)
        expect(decided).to_contain_text("投标截止后书面通知撤销投标文件")
        expect(decided).to_contain_text("年")  # the appeal deadline, a Beijing day
        check_fits_the_phone(phone, "phone-owner-forfeiture")
        # the centre's staff read the same table on the centre's side
        log_in(phone, site, scene["staff"])
        phone.goto(f"{site.url}/workspace/centre/finance/tenders/{scene['tender']}")
        expect(phone.locator("#deposit-table tbody tr")).to_have_count(3)
        expect(phone.locator("#deposit-table tbody tr").nth(0)).to_contain_text("投诉期限至")
        check_fits_the_phone(phone, "phone-centre-tender-deposits")
    finally:
        site.clock.set(before)


def test_the_centre_resolves_an_alert_and_it_stays_in_the_history_on_a_phone(phone: Any, site: Site) -> None:
    with unit_of_work(site.factory) as db:
        alert = unmatched_alert(db, bank_txn_id=f"BR{uuid.uuid4().hex[:12]}", amount_fen=777_700)
        scene = {"alert": alert.id, "staff": user_with_role(db, Role.CENTRE_STAFF).id}
    phone.on("dialog", lambda dialog: dialog.accept())
    log_in(phone, site, scene["staff"])
    phone.goto(f"{site.url}/workspace/centre")
    phone.get_by_role("link", name="资金管理").first.click()
    expect(phone).to_have_url(re.compile(r"/workspace/centre/finance$"))
    row = phone.locator(f"#alert-{scene['alert']}")
    expect(row).to_contain_text("入账子账号无法匹配")
    expect(phone.locator("#suspense")).to_contain_text("7,777.00 元")
    check_fits_the_phone(phone, "phone-centre-finance")
    row.locator("textarea").fill("已核实为误入，联系付款人后原路退回")
    row.get_by_role("button", name="标记为已处理").click()
    _said(phone, "告警已标记为已处理")
    expect(phone.locator(f"#alert-{scene['alert']}")).to_have_count(0)  # no longer open
    phone.select_option("#finance-status", "resolved")
    phone.get_by_role("button", name="查看").click()
    resolved = phone.locator(f"#alert-{scene['alert']}")
    expect(resolved).to_contain_text("已处理")
    expect(resolved).to_contain_text("已核实为误入，联系付款人后原路退回")
    check_fits_the_phone(phone, "phone-centre-finance-resolved")


def test_a_bidder_reads_its_refund_with_interest_on_a_phone(phone: Any, site: Site) -> None:
    with unit_of_work(site.factory) as db:
        tender, _ = deposit_tender(db)
        row, user = opened(db, tender)
        credit = notice(
            row.number or "", DEPOSIT_FEN, payer_account="530100000888", bank_txn_id=f"BR{uuid.uuid4().hex[:12]}"
        )
        finance.record_credit(db, credit, now=TEST_NOW)
        ordered = refunds.order_refunds(
            db, SYSTEM, tender_id=tender.id, entity_id=row.entity_id, ground=RefundGround.UNSUCCESSFUL,
            annual_rate=RATE, day_basis=BASIS, now=TEST_NOW + timedelta(days=30),
        )  # fmt: skip
        key = ordered[0].idempotency_key
        refunds.record_order_receipt(db, receipt(key, OrderStatus.EXECUTED, txn=f"BK{key[:10]}"), now=TEST_NOW)
        scene = {"tender": tender.id, "user": user.id, "interest": ordered[0].interest_fen}
    log_in(phone, site, scene["user"])
    phone.goto(f"{site.url}/workspace/bidder/tenders/{scene['tender']}#refund")
    refund = phone.locator("#deposit table", has=phone.locator("th", has_text="本金")).locator("tbody tr")
    expect(refund).to_have_count(1)
    expect(refund).to_contain_text("已退还")
    expect(refund).to_contain_text("20,000.00 元")
    expect(refund).to_contain_text(f"{scene['interest'] / 100:,.2f} 元")
    expect(refund).to_contain_text("530100000888")
    check_fits_the_phone(phone, "phone-bidder-refund")
