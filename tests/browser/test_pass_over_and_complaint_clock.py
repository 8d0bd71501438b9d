"""Two steps that were in the API only, now on their pages, on a 390-px phone.

The agent passes over the first-ranked candidate who gave up the award and awards the second, the ground and what
happened written into the award (招标投标法实施条例 第55条), asked first; a pass-over without its ground is refused
and nothing is awarded. The supervisor reads the clock of a complaint's decision (实施条例 第61条: 30 working days
of acceptance, inspection, testing, appraisal and expert review not counted) as a table with the days left and the
Beijing dates, stops it for an expert review and starts it again, the last day moved back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from ggzy.awards import rules as award_rules
from ggzy.awards import service as awards
from ggzy.complaints import service as complaints
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.portal.formatting import china_date
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.factories import make_publicised_tender, make_user, principal

FLASH = 'p.flash-done[role="status"]'
LAWS = Path(__file__).parents[1] / "data" / "laws"


def _article(number: str) -> str:
    """One article of the excerpt of 招标投标法实施条例 in tests/data/laws (up to the next article)."""
    text = (LAWS / "招标投标法实施条例-摘录.md").read_text(encoding="utf-8")
    start = text.index(f"\n第{number}条") + 1
    following = text.find("\n第", start + 1)
    return text[start : following if following != -1 else None]


def test_regulations_art_55_the_agent_passes_over_the_first_candidate_who_gave_up_and_awards_the_second(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    text = _article("五十五")
    assert "排名第一的中标候选人放弃中标" in text
    assert "依次确定其他中标候选人为中标人" in text
    with unit_of_work(site.factory) as db:
        scene = make_publicised_tender(db, gm_ca)
        tender_id, agent_id, publicity = scene["tender"].id, scene["agent_user"].id, scene["publicity"]
        first, second = awards.candidates_of(publicity)[:2]
        ends_at = publicity.ends_at
    before = site.clock.now()
    site.clock.set(ends_at)
    phone.on("dialog", lambda dialog: dialog.accept())  # the step asks first (data-confirm)
    try:
        log_in(phone, site, agent_id)
        page = f"{site.url}/workspace/projects/tenders/{tender_id}"
        phone.goto(page)
        phone.locator("#pass-over summary").click()
        expect(phone.locator("#pass-over")).to_contain_text("第五十五条")
        phone.locator("#next-candidate").select_option(str(second["bid_id"]))
        phone.get_by_role("button", name="依次确定其他中标候选人为中标人").click()  # no ground given: refused
        expect(phone.locator("#form-error")).to_be_visible()
        with unit_of_work(site.factory) as db:
            assert awards.find_award(db, tender_id) is None

        phone.locator("#pass-over summary").click()
        phone.locator("#next-candidate").select_option(str(second["bid_id"]))
        phone.locator(f"#pass-ground-{first['bid_id']}").select_option("gave_up")
        phone.locator(f"#pass-note-{first['bid_id']}").fill("第一中标候选人于公示期满后书面声明放弃中标")
        check_fits_the_phone(phone, "phone-owner-pass-over")
        phone.get_by_role("button", name="依次确定其他中标候选人为中标人").click()
        expect(phone.locator(FLASH)).to_contain_text("已依次确定其他中标候选人为中标人")
        expect(phone.locator("#passed-over")).to_contain_text(award_rules.PASS_OVER_GROUNDS["gave_up"][0])
        expect(phone.locator("#passed-over")).to_contain_text("书面声明放弃中标")
        expect(phone.locator("#passed-over")).to_contain_text(first["name"])
        check_fits_the_phone(phone, "phone-owner-passed-over")
        with unit_of_work(site.factory) as db:
            award = awards.find_award(db, tender_id)
            assert award is not None
            assert award.bid_id == second["bid_id"]
    finally:
        site.clock.set(before)


def test_regulations_art_61_the_supervisor_reads_the_decision_clock_and_stops_it_for_an_expert_review(
    phone: Any, site: Site, gm_ca: Path
) -> None:
    text = _article("六十一")
    assert "自受理投诉之日起30个工作日内作出书面处理决定" in text
    assert "专家评审的，所需时间不计算在内" in text
    with unit_of_work(site.factory) as db:
        scene = make_publicised_tender(db, gm_ca)
        tender_id, publicity = scene["tender"].id, scene["publicity"]
        now = publicity.starts_at + timedelta(hours=1)
        objector = principal(db, scene["bidders"][1], Permission.AWARD_OBJECT)
        raised = awards.raise_objection(db, objector, tender_id=tender_id, text="评分有误", now=now)
        manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
        awards.answer_objection(db, manager, objection_id=raised.id, answer="无误", now=now)
        complainant = principal(db, scene["bidders"][1], Permission.COMPLAINT_LODGE)
        complaint = complaints.lodge_complaint(
            db, complainant, tender_id=tender_id, matter="evaluation_result", request="重新评标", facts="评分有误",
            evidence=[{"name": "证明.pdf", "sha256": "c" * 64}], knew_on=now.date(), interest=None, now=now,
        )  # fmt: skip
        grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
        supervisor = make_user(db, roles=[grant])
        complaints.accept_complaint(
            db, principal(db, supervisor, Permission.COMPLAINT_HANDLE), complaint_id=complaint.id, now=now
        )
        complaint_id, supervisor_id, due = complaint.id, supervisor.id, complaint.decision_due
    assert due is not None
    before = site.clock.now()
    site.clock.set(now + timedelta(hours=1))
    phone.on("dialog", lambda dialog: dialog.accept())
    try:
        log_in(phone, site, supervisor_id)
        page = f"{site.url}/workspace/complaints/{complaint_id}"
        phone.goto(page)
        expect(phone.locator("#clock-table")).to_contain_text(china_date(due))
        expect(phone.locator("#clock-left")).to_contain_text("剩余 30 个工作日")
        check_fits_the_phone(phone, "phone-complaint-clock")

        phone.locator("#review-kind").select_option("expert_review")
        phone.locator("#review-note").fill("委托三名专家复核评分")
        phone.get_by_role("button", name="开始评审，暂停计时").click()
        expect(phone.locator(FLASH)).to_contain_text("计时暂停")
        expect(phone.locator("#clock-left")).to_contain_text("计时暂停")
        expect(phone.locator("#clock-reviews")).to_contain_text("专家评审")
        expect(phone.locator("#clock-reviews")).to_contain_text("进行中")

        site.clock.advance(timedelta(days=7))  # a week of review: five working days, whatever the weekday
        phone.goto(page)
        expect(phone.locator("#clock-left")).to_contain_text("剩余 30 个工作日")  # the clock stood still
        phone.get_by_role("button", name="结束评审，恢复计时").click()
        expect(phone.locator(FLASH)).to_contain_text("处理期限已相应顺延")
        with unit_of_work(site.factory) as db:
            handled, _ = complaints.get_complaint(db, complaint_id)
            moved, excluded = handled.decision_due, handled.excluded_working_days
        assert moved is not None
        assert moved > due
        assert excluded > 0
        expect(phone.locator("#clock-table")).to_contain_text(china_date(moved))
        expect(phone.locator("#clock-table")).to_contain_text(f"{excluded} 个工作日")
        expect(phone.locator("#clock-reviews")).to_contain_text("委托三名专家复核评分")
        check_fits_the_phone(phone, "phone-complaint-clock-resumed")
    finally:
        site.clock.set(before)
