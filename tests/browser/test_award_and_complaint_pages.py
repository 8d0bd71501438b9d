"""From the evaluation report to the contract, and a complaint to its decision, on a 390-px phone.

The agent publicises the candidates (招标投标法实施条例 第54条), awards when the publicity has ended (第55条) — the
letters go out with the award (招标投标法 第45条) — and records the contract (第46条), each step asked first and
said after. A bidder complains about the result after its objection was answered (实施条例 第60条), the supervisor
accepts it (第61条), records an investigation step (第62条) and a hearing (政府采购法实施条例 第56条) and dismisses
it; the bidder reads the decision and the hearing's record, and the public project page shows the decision."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ggzy.awards import service as awards
from ggzy.core.clock import to_china_time
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.factories import make_evaluated_tender, make_publicised_tender, make_user, principal

FLASH = 'p.flash-done[role="status"]'
DECISION = "经调查，第一中标候选人的业绩属实，投诉缺乏事实根据，予以驳回。"


def test_the_agent_publicises_awards_and_records_the_contract_on_a_phone(phone: Any, site: Site, gm_ca: Path) -> None:
    with unit_of_work(site.factory) as db:
        scene = make_evaluated_tender(db, gm_ca)
        tender_id, agent_id, reported_at = scene["tender"].id, scene["agent_user"].id, scene["reported_at"]
    before = site.clock.now()
    site.clock.set(reported_at)
    phone.on("dialog", lambda dialog: dialog.accept())  # every irreversible step asks first (data-confirm)
    try:
        log_in(phone, site, agent_id)
        page = f"{site.url}/workspace/projects/tenders/{tender_id}"
        phone.goto(page)
        expect(phone.locator("#ranking")).to_contain_text("100,000.00 元")
        check_fits_the_phone(phone, "phone-owner-report")
        phone.get_by_role("button", name="发布中标候选人公示").click()
        expect(phone.locator(FLASH)).to_contain_text("中标候选人已公示")
        expect(phone.locator("#candidates")).to_be_visible()
        check_fits_the_phone(phone, "phone-owner-publicity")

        with unit_of_work(site.factory) as db:
            publicity = awards.find_publicity(db, tender_id)
            assert publicity is not None
            site.clock.set(publicity.ends_at)
        phone.goto(page)
        phone.get_by_role("button", name="定标并发出中标通知书").click()
        expect(phone.locator(FLASH)).to_contain_text("中标通知书已发给中标人")
        expect(phone.locator("#letters tbody tr")).to_have_count(3)
        check_fits_the_phone(phone, "phone-owner-awarded")
        phone.locator("#letters a", has_text="查看").first.click()
        expect(phone.locator("main")).to_contain_text("壹拾万元整")  # the price in 大写 on the letter
        check_fits_the_phone(phone, "phone-owner-letter")
        phone.goto(page)

        phone.locator("#contract-signed").fill(to_china_time(site.clock.now()).date().isoformat())
        phone.get_by_role("button", name="登记合同").click()
        expect(phone.locator(FLASH)).to_contain_text("合同已登记")
        expect(phone.locator("#contract")).to_contain_text("100,000.00 元")
        check_fits_the_phone(phone, "phone-owner-contract")
    finally:
        site.clock.set(before)


def test_a_bidder_complains_the_supervisor_decides_and_the_decision_is_public_on_a_phone(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    with unit_of_work(site.factory) as db:
        scene = make_publicised_tender(db, gm_ca)
        tender, publicity = scene["tender"], scene["publicity"]
        now = publicity.starts_at + timedelta(hours=1)
        objector = principal(db, scene["bidders"][1], Permission.AWARD_OBJECT)
        raised = awards.raise_objection(db, objector, tender_id=tender.id, text="第一名业绩不实", now=now)
        manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
        awards.answer_objection(db, manager, objection_id=raised.id, answer="经核实业绩真实", now=now)
        grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
        ids = {
            "tender": tender.id, "project": scene["project"].id, "bidder": scene["bidders"][1].id,
            "supervisor": make_user(db, roles=[grant]).id,
        }  # fmt: skip
    before = site.clock.now()
    site.clock.set(now + timedelta(hours=1))
    phone.on("dialog", lambda dialog: dialog.accept())
    try:
        log_in(phone, site, ids["bidder"])
        phone.goto(f"{site.url}/workspace/objections/tenders/{ids['tender']}")
        check_fits_the_phone(phone, "phone-complaint-form")
        phone.locator("#complaint-matter").select_option("evaluation_result")
        phone.locator("#complaint-request").fill("责令重新评标")
        phone.locator("#complaint-facts").fill("第一中标候选人业绩不实，答复未予纠正")
        phone.locator("#complaint-knew").fill(to_china_time(site.clock.now()).date().isoformat())
        phone.locator("#complaint-evidence").set_input_files(
            files=[{"name": "业绩证明.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 evidence"}]
        )
        phone.get_by_role("button", name="提交投诉").click()
        expect(phone.locator(FLASH)).to_contain_text("投诉已提交")
        expect(phone.locator("#my-complaints")).to_contain_text("待受理")
        check_fits_the_phone(phone, "phone-my-objections")

        log_in(phone, site, ids["supervisor"])
        phone.goto(f"{site.url}/workspace/complaints")
        check_fits_the_phone(phone, "phone-complaint-queue")
        phone.locator("#complaint-queue a", has_text="责令重新评标").first.click()
        phone.get_by_role("button", name="受理", exact=True).click()
        expect(phone.locator(FLASH)).to_contain_text("投诉已受理")
        # before deciding: an investigation step and a hearing (实施条例 第62条; 政府采购法实施条例 第56条)
        phone.locator("#investigation-kind").select_option("inquiry")
        phone.locator("#investigation-role").select_option("owner")
        phone.locator("#investigation-name").fill("招标人项目负责人")
        phone.locator("#investigation-summary").fill("询问招标人：第一中标候选人业绩合同已核对原件")
        phone.get_by_role("button", name="保存调查记录").click()
        expect(phone.locator(FLASH)).to_contain_text("调查记录已保存")
        expect(phone.locator("#investigation-table")).to_contain_text("业绩合同已核对原件")
        held_at = to_china_time(site.clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        phone.locator("#hearing-time").fill(held_at)
        phone.locator("#hearing-place").fill("市公共资源交易中心第三会议室")
        phone.locator("#hearing-matters").fill("第一中标候选人业绩合同的真实性")
        phone.get_by_role("button", name="安排听证并通知当事人").click()
        expect(phone.locator(FLASH)).to_contain_text("听证已安排")
        check_fits_the_phone(phone, "phone-complaint-hearing-scheduled")
        site.clock.set(site.clock.now() + timedelta(hours=2))
        phone.reload()
        phone.locator("textarea[name=statement]").first.fill("业绩合同系伪造")
        phone.locator("input[name=attended]").last.uncheck()
        phone.locator("[id^=hearing-summary-]").fill("各方就业绩合同的真实性进行了质证")
        phone.get_by_role("button", name="保存听证记录").click()
        expect(phone.locator(FLASH)).to_contain_text("听证记录已保存")
        expect(phone.locator("#hearings")).to_contain_text("未到场")
        expect(phone.locator("#hearings")).to_contain_text("业绩合同系伪造")
        check_fits_the_phone(phone, "phone-complaint-hearing-recorded")
        phone.locator("#dismiss-decision").fill(DECISION)
        phone.get_by_role("button", name="驳回投诉").click()
        expect(phone.locator(FLASH)).to_contain_text("驳回投诉")
        expect(phone.locator("#decision")).to_contain_text(DECISION)
        check_fits_the_phone(phone, "phone-complaint-decided")

        log_in(phone, site, ids["bidder"])
        phone.goto(f"{site.url}/workspace/objections")
        expect(phone.locator("#my-complaints")).to_contain_text(DECISION)
        check_fits_the_phone(phone, "phone-my-complaint-decided")
        phone.goto(f"{site.url}/workspace/hearings")  # the hearing it was party to, with its record
        expect(phone.locator("section.hearing")).to_contain_text("业绩合同系伪造")
        check_fits_the_phone(phone, "phone-my-hearings")

        phone.context.clear_cookies()
        phone.goto(f"{site.url}/projects/{ids['project']}")
        expect(phone.locator("table.decisions")).to_contain_text(DECISION)
        expect(phone.locator("table.decisions")).to_contain_text("驳回投诉")
        check_fits_the_phone(phone, "phone-project-decisions")
    finally:
        site.clock.set(before)
