"""A bidder's first visit in a real browser (issue 5): log in with its certificate by signing the page's challenge,
find the demo's open re-tender (lot 2, round 2), register, upload the envelope it sealed with the bidder client and
see its receipt — the ciphertext hash of the envelope it holds, and the link to the ledger's proof."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ggzy.bidclient.inputs import load_private_key
from ggzy.bidclient.sealing import fetch_tender_material, seal_for_tender
from ggzy.bidclient.transport import UrllibTransport
from ggzy.core.db import unit_of_work
from ggzy.crypto import Suite
from ggzy.entities.login import login_message
from ggzy.tendering.models import Tender
from tests.browser.conftest import Site, screenshot

BIDDER = "bidder-3"  # a GM-suite bidder of the demo that took no part in lot 2's failed first round


def _retender(site: Site) -> dict[str, Any]:
    lot = next(lot for lot in site.demo["lots"] if lot["round"] == 2)
    assert lot["stages"][-1] == "published"
    return lot


def test_a_bidder_logs_in_by_certificate_registers_submits_its_envelope_and_sees_the_receipt(
    page: Any, site: Site, tmp_path: Path
) -> None:
    demo_dir = Path(site.app.state.settings.data_dir) / "demo"
    certificate_pem = (demo_dir / f"{BIDDER}.pem").read_text()
    key = load_private_key(demo_dir / f"{BIDDER}-key.pem")
    tender_id = _retender(site)["tender_id"]
    with unit_of_work(site.factory, read_only=True) as db:
        tender = db.get(Tender, tender_id)
        assert tender is not None
        assert tender.published_at is not None
        published_at, documents_until = tender.published_at, tender.documents_until
    before = site.clock.now()
    site.clock.set(published_at + timedelta(minutes=5))  # while its documents are on offer, whatever others did
    try:
        # the login page shows the challenge; the bidder signs it as `ggzy bid sign-login` does and pastes it
        page.goto(f"{site.url}/login")
        nonce = page.locator('input[name="nonce"]').first.get_attribute("value")
        assert nonce
        expect(page.locator("body")).to_contain_text("ggzy bid sign-login --key")
        page.get_by_text("不使用投标助手：在命令行签名后粘贴").click()  # the manual way, under its fold
        page.locator("#certificate_pem").fill(certificate_pem)
        page.locator("#signature").fill(base64.b64encode(key.sign(login_message(nonce, site.url))).decode("ascii"))
        page.get_by_role("button", name="证书登录").click()
        expect(page).to_have_url(re.compile(r"/workspace"))  # logged in: the login page sends it to its workspace
        page.goto(f"{site.url}/workspace/bidder")
        retender = page.locator(f'a[href="/workspace/bidder/tenders/{tender_id}"]')
        expect(retender).to_contain_text("重新招标")
        retender.click()
        page.get_by_role("button", name="报名").click()
        expect(page.locator("body")).to_contain_text("贵单位已报名本项目")

        # sealed on the bidder's own computer with the bidder client, against what the platform publishes
        material = fetch_tender_material(
            UrllibTransport(timeout=10), f"{site.url}/api/v1/tenders/{tender_id}", Suite.GM
        )
        envelope = tmp_path / "BID.ggzy"
        sealed = seal_for_tender(
            lot_code=material.lot_code,
            opening_key=material.opening_key,
            certificate_pem=certificate_pem,
            private_key=key,
            summary={
                "price_fen": 417_500_000,
                "schedule_days": 520,
                "quality": "合格",
                "project_manager": "一级建造师",
            },
            files={"商务标.pdf": b"%PDF-1.7 commercial " * 200, "技术标.pdf": b"%PDF-1.7 technical " * 200},
            out=envelope,
            now=site.clock.now(),
        )
        page.locator("#envelope").set_input_files(str(envelope))
        page.get_by_role("button", name="递交投标文件").click()

        expect(page.locator("body")).to_contain_text("投标回执")
        # the hash the envelope's own header commits to, which the platform checked while storing it
        expect(page.locator("dd code").first).to_have_text(sealed.header.ciphertext_sha256)
        ledger = page.locator('dd a[href^="/api/v1/ledger/events/"]')
        expect(ledger).to_have_count(1)
        expect(ledger).to_contain_text("事件 #")
        screenshot(page, "bidder-receipt-zh")
        assert site.clock.now() <= documents_until
    finally:
        site.clock.set(before)
