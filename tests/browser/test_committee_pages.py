"""The committee's day on a phone, with no command line: the centre's staff draw the committee and check its members
in (签到); the members enrol their signing keys in the browser, elect their lead (浙江省招标投标条例 第29条), review
qualification, the lead rejects one bid on a case of 招标投标法实施条例 第51条 with its reasons, they score, the lead
finalises the report and every member signs it with their key, one dissenting in writing (第53条); the report reads
as tables on the members' and the staff's pages. Every page fits a 390-px screen and says what happened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from ggzy.core.db import unit_of_work
from ggzy.evaluation import signing
from ggzy.evaluation.models import EvaluationReport, ReportSignature
from ggzy.evaluation.report_signing import report_message
from ggzy.experts import service as experts
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.factories import make_expert, make_opened_tender

SPECIALTY = "B0204"  # its own pool: the members enrol keys, and another test's draw must not seat them
DISSENT = "第一名的施工组织设计未满足工期要求，\n排序应当调整。"


def _said(page: Any, text: str) -> None:
    expect(page.locator('p.flash-done[role="status"]')).to_contain_text(text)  # ggzy.portal.outcomes


def _opened(site: Site, ca_dir: Path) -> dict[str, Any]:
    with unit_of_work(site.factory) as db:
        opened = make_opened_tender(db, ca_dir, prices=[30_000_000, 20_000_000, 10_000_000], method="scoring")
        for n in range(5):
            make_expert(db, name=f"手机评委{n}", specialty_codes=[SPECIALTY])
        return {
            "tender_id": opened["tender"].id, "staff_id": opened["staff"].id, "bid_ids": opened["bid_ids"],
            "opened_at": opened["opened_at"],
        }  # fmt: skip


def _seats(site: Site, tender_id: int) -> list[tuple[int, int]]:
    with unit_of_work(site.factory, read_only=True) as db:
        return [(m.id, m.user_id) for m in experts.sitting_members(db, tender_id)]


def test_staff_draw_and_check_in_and_the_committee_reviews_rejects_scores_elects_and_signs_with_a_dissent_on_a_phone(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    scene = _opened(site, gm_ca)
    tender_id, bids = scene["tender_id"], scene["bid_ids"]
    staff_page = f"{site.url}/workspace/committee/tenders/{tender_id}"
    member_page = f"{site.url}/workspace/expert/tenders/{tender_id}"
    phone.on("dialog", lambda dialog: dialog.accept())  # every irreversible step asks first (data-confirm)
    before = site.clock.now()
    site.clock.set(scene["opened_at"])
    try:
        # the centre's staff: draw, check every member in, start the evaluation
        log_in(phone, site, scene["staff_id"])
        phone.goto(f"{site.url}/workspace/committee")
        phone.locator(f'a[href="/workspace/committee/tenders/{tender_id}"]').click()
        check_fits_the_phone(phone, "phone-committee-draw")
        phone.locator("#specialty").fill(SPECIALTY)
        phone.get_by_role("button", name="随机抽取").click()
        _said(phone, "评标委员会已随机抽取")
        for _ in range(5):
            phone.locator("#committee").get_by_role("button", name="签到").first.click()
            _said(phone, "该成员已签到")
        expect(phone.locator('#committee [data-role="checked-in"]')).to_have_count(5)
        check_fits_the_phone(phone, "phone-committee-checked-in")
        phone.locator("#qualification").fill("营业执照")
        phone.locator("#criteria").fill("technical 技术方案 40")
        phone.locator("#price-weight").fill("60")
        phone.get_by_role("button", name="开始评标").click()
        _said(phone, "评标已开始")
        check_fits_the_phone(phone, "phone-committee-started")

        seats = _seats(site, tender_id)
        chosen = seats[1][0]
        for n, (_, user_id) in enumerate(seats):
            log_in(phone, site, user_id)
            phone.goto(member_page)
            expect(phone.locator('#attendance [data-role="checked-in"]')).to_be_visible()
            phone.get_by_role("button", name="在本浏览器生成并登记签名密钥").click()
            _said(phone, "签名密钥已登记")
            if n < 3:  # three of five elect the second member
                phone.locator("#candidate").select_option(str(chosen))
                phone.get_by_role("button", name="提交推举").click()
                _said(phone, "推举意见已提交")
            for bid in bids:
                phone.locator(f"#qualification-{bid} select").select_option("pass")
                phone.locator(f"#qualification-{bid}").get_by_role("button", name="提交资格审查意见").click()
                _said(phone, "资格审查意见已提交")
            if n == 0:
                check_fits_the_phone(phone, "phone-expert-reviewed")

        # the elected lead rejects the cheapest bid, with the article's case and the facts
        lead_user = seats[1][1]
        log_in(phone, site, lead_user)
        phone.goto(member_page)
        expect(phone.locator('#committee [data-role="lead"]')).to_contain_text("由成员推举产生")
        phone.locator("#reject-bid").select_option(str(bids[2]))
        phone.locator("#reject-ground").select_option("not_responsive")
        phone.locator("#reject-note").fill("工期 400 天，超出招标文件要求的 300 天")
        phone.get_by_role("button", name="否决该投标").click()
        _said(phone, "已否决该投标")
        expect(phone.locator(f'#rejections [data-rejected="{bids[2]}"]')).to_contain_text("实质性要求")

        # every member scores the two bids in play; the page signs each sheet with the member's key
        for _, user_id in seats:
            log_in(phone, site, user_id)
            phone.goto(member_page)
            expect(phone.locator('#signing-key [data-state="ready"]')).to_be_visible()
            for bid, points in zip(bids[:2], ("36", "30"), strict=True):
                section = phone.locator(f"#bid-{bid}-section")
                section.locator('input[name="score.technical"]').fill(points)
                section.get_by_role("button", name="签名并提交评分表").click()
                _said(phone, "评分表已签名提交")
        check_fits_the_phone(phone, "phone-expert-scored")

        log_in(phone, site, lead_user)
        phone.goto(member_page)
        phone.get_by_role("button", name="出具评标报告").click()
        _said(phone, "评标报告已出具")

        # every member signs the report; the last dissents in writing
        for n, (_, user_id) in enumerate(seats):
            log_in(phone, site, user_id)
            phone.goto(member_page)
            expect(phone.locator('#signing-key [data-state="ready"]')).to_be_visible()
            if n == len(seats) - 1:
                phone.locator('input[name="opinion"][value="dissent"]').check()
                phone.locator("#reasons").fill(DISSENT)
            phone.get_by_role("button", name="签名并签署评标报告").click()
            _said(phone, "您已签署评标报告")
        report = phone.locator("#report")
        expect(report.locator(".report-ranking tbody tr")).to_have_count(2)
        expect(report.locator(".report-ranking")).to_contain_text("元")
        expect(report.locator(".report-rejected")).to_contain_text("工期 400 天")
        expect(report.locator(f'[data-dissent="{seats[-1][0]}"]')).to_contain_text("排序应当调整")
        expect(report.locator(".report-signatures")).to_contain_text("已签名")
        check_fits_the_phone(phone, "phone-expert-report-signed")

        # the staff's page: the same report, names, every signature and the dissent
        log_in(phone, site, scene["staff_id"])
        phone.goto(staff_page)
        expect(phone.locator("#report .report-signatures tbody tr")).to_have_count(5)
        expect(phone.locator("#report .report-dissent")).to_contain_text("排序应当调整")
        check_fits_the_phone(phone, "phone-committee-report")
    finally:
        site.clock.set(before)

    # each signature verifies, offline, against the member's enrolled key over the report's digest
    with unit_of_work(site.factory, read_only=True) as db:
        rows = list(db.scalars(select(ReportSignature)))
        mine = [row for row in rows if row.member_id in {seat for seat, _ in seats}]
        assert [row.opinion for row in sorted(mine, key=lambda r: r.member_id)] == ["agree"] * 4 + ["dissent"]
        for row in mine:
            user_id = next(user for seat, user in seats if seat == row.member_id)
            key = signing.current_key(db, user_id)
            assert key is not None
            assert row.signed_message is not None
            assert row.signed_message.startswith("ggzy evaluation report v1\n")
            signing.verify(key, message=row.signed_message, signature=row.signature or "")
        dissent = next(row for row in mine if row.opinion == "dissent")
        assert dissent.reasons == DISSENT
        report_sha256 = db.scalar(select(EvaluationReport.sha256).where(EvaluationReport.id == dissent.report_id))
        assert report_sha256 is not None
        assert dissent.signed_message == report_message(
            tender_id=tender_id,
            member_id=dissent.member_id,
            report_sha256=report_sha256,
            opinion="dissent",
            reasons=DISSENT,
        )
