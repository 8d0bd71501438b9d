"""Performance security and fees on a phone (decision 0037): the payer's 缴费通知单 — the amount band by band, in 元
and in 大写, the sub-account to pay into, the status — and the winner's performance security status, each within 390
px, in Beijing time, as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ggzy.core.db import unit_of_work
from ggzy.core.money import format_yuan_uppercase
from ggzy.finance import fees, performance, purpose_accounts
from ggzy.tendering import service as tendering
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.finance.performance_support import awarded_with_security, opened, pay, save, scene_winner_user


def test_the_winner_reads_its_fee_notice_and_its_performance_security_on_a_phone(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    with unit_of_work(site.factory) as db:
        scene = awarded_with_security(
            db, gm_ca, before_opening=lambda t, u: save(db, tendering.project_of(db, t)[0].centre_id)
        )
        tender_id = scene["tender"].id
        notice = fees.notice_of(db, tender_id)
        assert notice is not None
        fee_sub = opened(db, fees.view(db, notice).sub_account)
        security = performance.security_of(db, tender_id)
        assert security is not None
        sub = opened(db, purpose_accounts.of_tender(db, "performance", tender_id))  # type: ignore[arg-type]
        pay(db, sub, security.required_fen)
        facts = {
            "user": scene_winner_user(db, scene).id, "fee_account": fee_sub.number,
            "words": format_yuan_uppercase(notice.amount_fen), "perf_account": sub.number,
        }  # fmt: skip
    log_in(phone, site, facts["user"])
    phone.goto(f"{site.url}/workspace/fees/{tender_id}")
    expect(phone.locator("#fee-sub-account")).to_contain_text(facts["fee_account"])
    expect(phone.locator("#fee-amount-words")).to_contain_text(facts["words"])
    expect(phone.locator("#fee-status")).to_contain_text("未缴")
    expect(phone.locator("table").nth(1).locator("tbody tr").first).to_contain_text("0.5%")
    check_fits_the_phone(phone, "phone-fee-notice")
    phone.goto(f"{site.url}/workspace/performance/{tender_id}")
    expect(phone.locator("#performance-sub-account")).to_contain_text(facts["perf_account"])
    expect(phone.locator("#performance-status")).to_contain_text("已提交")
    check_fits_the_phone(phone, "phone-performance-security")
