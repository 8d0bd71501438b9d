"""The sole supplier's publicity on a phone (政府采购法实施条例 第38条): anyone reads it on the public portal; a
supplier objects there during its days; the purchaser answers on the tender's page, and the answer is public with the
objection, its objector unnamed. Every page fits a 390-px screen and says what happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from ggzy.core.db import unit_of_work
from ggzy.entities.models import Entity
from ggzy.portal.formatting import china_time
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.conftest import TEST_NOW
from tests.factories import bidder_user
from tests.tendering.test_sole_supplier_publicity import _publicised

OBJECTION = "本单位同样具备供货能力，不属于只能从唯一供应商处采购的情形"
ANSWER = "经论证，该设备专利由唯一供应商持有，其他供应商无法提供"


def _publicity(site: Site) -> dict[str, Any]:
    with unit_of_work(site.factory) as db:
        scene = _publicised(db)
        objector = bidder_user(db)
        objector_name = db.get(Entity, objector.entity_id).name  # type: ignore[union-attr]
        return {
            "tender_id": scene["tender"].id, "purchaser_id": scene["tender"].created_by,
            "supplier_name": scene["supplier_name"], "objector_id": objector.id, "objector_name": objector_name,
        }  # fmt: skip


def test_政府采购法实施条例_第38条_a_supplier_objects_to_the_publicity_and_the_purchaser_answers_on_a_phone(
    phone: Any, site: Site
) -> None:
    phone.on("dialog", lambda dialog: dialog.accept())  # the irreversible steps ask first (data-confirm)
    scene = _publicity(site)
    public_page = f"{site.url}/notices/sole-supplier"
    publicity = phone.locator(f'section[aria-labelledby="sole-{scene["tender_id"]}"]')
    raised_at = TEST_NOW + timedelta(days=1)
    before = site.clock.now()
    site.clock.set(raised_at)
    try:
        phone.goto(public_page)  # anyone, not logged in
        expect(publicity.locator("table").first).to_contain_text(scene["supplier_name"])
        expect(publicity).to_contain_text("尚无异议")
        check_fits_the_phone(phone, "phone-sole-supplier-publicity")

        log_in(phone, site, scene["objector_id"])
        phone.goto(public_page)
        publicity.locator("textarea").fill(OBJECTION)
        publicity.get_by_role("button", name="提出异议").click()
        expect(phone.locator('p.flash-done[role="status"]')).to_contain_text("异议已提交")
        objections = publicity.locator("table").nth(1)
        expect(objections).to_contain_text(OBJECTION)
        expect(objections).to_contain_text(china_time(raised_at))
        expect(objections).to_contain_text("待答复")
        check_fits_the_phone(phone, "phone-sole-supplier-objected")

        log_in(phone, site, scene["purchaser_id"])
        phone.goto(f"{site.url}/workspace/projects/tenders/{scene['tender_id']}")
        record = phone.locator("#sole-supplier-objections")
        expect(record).to_contain_text(OBJECTION)
        expect(record).to_contain_text(china_time(raised_at))
        check_fits_the_phone(phone, "phone-sole-supplier-purchaser")
        record.locator("textarea").fill(ANSWER)
        phone.once("dialog", lambda dialog: dialog.accept())  # an answer is final: the page asks first
        record.get_by_role("button", name="答复异议").click()
        expect(phone.locator('p.flash-done[role="status"]')).to_contain_text("异议已答复")
        expect(record).to_contain_text(ANSWER)
        check_fits_the_phone(phone, "phone-sole-supplier-answered")

        phone.context.clear_cookies()
        phone.goto(public_page)
        expect(objections).to_contain_text(ANSWER)
        expect(publicity).not_to_contain_text(scene["objector_name"])  # the objector is not named
        check_fits_the_phone(phone, "phone-sole-supplier-publicity-answered")
    finally:
        site.clock.set(before)
