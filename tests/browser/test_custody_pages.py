"""The assistant beyond the bidder, in a real browser: a custodian logs in with its certificate, sees the shares its
entity keeps and, after the bid deadline, releases its share through the assistant (which checks the tender, the
deadline and the share's published digest before asking, and decrypts only once approved); an expert signs the
evaluation report, dissenting, with the key of the certificate its assistant holds (实施条例 第53条)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import func, select

from ggzy.assistant import FileKeySource
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Permission
from ggzy.crypto import Suite
from ggzy.entities.models import User
from ggzy.evaluation import rules, signing
from ggzy.evaluation import service as evaluation
from ggzy.evaluation.models import ReportSignature
from ggzy.experts import service as experts
from ggzy.tendering.models import OpeningKey, ShareRelease
from tests.browser.conftest import Site, check_fits_the_phone, screenshot
from tests.browser.live_opening import LiveOpening
from tests.browser.test_assistant_pages import _approve, _log_in_with_the_assistant
from tests.factories import (
    _custodian_material,
    check_in_committee,
    issue,
    make_expert,
    make_opened_tender,
    principal,
)

FACTORY_PASSWORD = "expert password 1"  # tests.factories.make_expert
DISSENT = "第一名的工期承诺不满足招标文件要求。"


def test_a_custodian_releases_its_share_through_the_assistant_on_a_phone_after_the_deadline(
    phone: Any, site: Site, start_assistant: Any, gm_ca: Path, tmp_path: Path
) -> None:
    live = LiveOpening(site.factory, gm_ca, [300_000_000, 310_000_000]).prepare()
    person = _custodian_material()["people"][Suite.INTL][0]  # type: ignore[index]
    (tmp_path / "custodian-key.pem").write_text(person.private_key_pem)
    running = start_assistant(
        FileKeySource(certificate_pem=person.certificate_pem, key_path=tmp_path / "custodian-key.pem")
    )
    running.pair(phone)
    before = site.clock.now()
    site.clock.set(live.deadline - timedelta(hours=1))
    try:
        _log_in_with_the_assistant(phone, site)  # the custodian's own certificate: a user of its entity
        phone.goto(f"{site.url}/workspace")
        phone.get_by_role("link", name="开标密钥保管").click()
        row = phone.locator(f'tr[data-share^="{live.tender_id}-intl-"]')
        expect(row).to_contain_text("开标直播测试招标")
        expect(row.locator('[data-role="status"]')).to_contain_text("未到截止时间")
        expect(row.get_by_role("button", name="用投标助手释放")).to_have_count(0)

        site.clock.set(live.deadline + timedelta(minutes=1))
        phone.reload()
        expect(row.locator('[data-role="status"]')).to_contain_text("待释放")
        check_fits_the_phone(phone, "phone-custody-shares")
        phone.once("dialog", lambda dialog: dialog.accept())  # a release is final: the form asks first
        with phone.expect_popup() as opened:
            row.get_by_role("button", name="用投标助手释放").click()
        popup = opened.value
        expect(popup.locator("body")).to_contain_text("开标直播测试招标")  # as the platform publishes it
        expect(popup.locator("body")).to_contain_text("北京时间")
        screenshot(popup, "assistant-consent-share-release")
        _approve(popup, site, "释放开标密钥份额")

        expect(phone.locator("body")).to_contain_text("开标密钥份额已释放并记录在案。")
        expect(row.locator('[data-role="status"]')).to_contain_text("已释放")
        check_fits_the_phone(phone, "phone-custody-released")
        with unit_of_work(site.factory, read_only=True) as db:
            released = db.scalar(
                select(func.count())
                .select_from(ShareRelease)
                .join(OpeningKey, OpeningKey.id == ShareRelease.opening_key_id)
                .where(OpeningKey.tender_id == live.tender_id, OpeningKey.suite == "intl")
            )
        assert released == 1
        assert [line["kind"] for line in running.home.read_log() if line["event"] == "done"] == [
            "login",
            "share-release",
        ]
    finally:
        site.clock.set(before)


def test_an_expert_signs_the_evaluation_report_dissenting_through_the_assistant_实施条例第53条(
    page: Any, site: Site, start_assistant: Any, gm_ca: Path, intl_ca: Path, tmp_path: Path
) -> None:
    with unit_of_work(site.factory) as db:  # make_evaluated_tender's steps, every member checked in (签到) first
        opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000], method="lowest_price")
        for _ in range(5):
            make_expert(db)
        staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
        tender_id, now = opened["tender"].id, opened["opened_at"]
        experts.draw_committee(
            db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0,
            owner_representative_user_ids=[], now=now,
        )  # fmt: skip
        check_in_committee(db, opened["staff"], tender_id, now)
        scheme = rules.Scheme((), (), Decimal(0), rules.PriceFormula.LOWEST_BASE)
        evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
        finaliser = principal(db, opened["staff"], Permission.EVALUATION_FINALISE)
        evaluation.finalise_report(db, finaliser, tender_id=tender_id, now=now)
        member = experts.sitting_members(db, tender_id)[0]
        user = db.get(User, member.user_id)
        assert user is not None
        username, member_id = user.username, member.id
    password = site.demo["password"] if username.startswith("expert-") else FACTORY_PASSWORD
    issued = issue(intl_ca, name="评标专家报告签署测试单位")
    (tmp_path / "expert-key.pem").write_text(issued.private_key_pem)
    running = start_assistant(
        FileKeySource(certificate_pem=issued.certificate_pem, key_path=tmp_path / "expert-key.pem")
    )
    running.pair(page)
    before = site.clock.now()
    site.clock.set(now)
    try:
        page.goto(f"{site.url}/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).to_have_url(re.compile(r"/workspace"))
        page.goto(f"{site.url}/workspace/expert/tenders/{tender_id}")
        page.get_by_role("button", name="或登记投标助手中证书的密钥").click()
        expect(page.locator('#signing-key [data-state="assistant"]')).to_be_visible()

        page.locator('input[name="opinion"][value="dissent"]').check()
        page.locator("#reasons").fill(DISSENT)
        page.once("dialog", lambda dialog: dialog.accept())  # a signature is final (data-confirm)
        with page.expect_popup() as opened:
            page.get_by_role("button", name="签名并签署评标报告").click()
        expect(opened.value.locator("body")).to_contain_text("不同意")
        _approve(opened.value, site, "签署评标报告")
        expect(page.locator("#report")).to_contain_text(DISSENT)
        with unit_of_work(site.factory, read_only=True) as db:
            row = db.scalar(select(ReportSignature).where(ReportSignature.member_id == member_id))
            assert row is not None
            assert row.opinion == "dissent"
            assert row.key_fingerprint == issued.certificate.public_key.fingerprint
            key = signing.current_key(db, row.recorded_by)
            assert key is not None
            signing.verify(key, message=row.signed_message, signature=row.signature or "")
        assert [line["kind"] for line in running.home.read_log() if line["event"] == "done"] == ["report"]
    finally:
        site.clock.set(before)
