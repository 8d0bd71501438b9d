"""资格预审 on a phone (招标投标法实施条例 第15–19条): the agent publishes the prequalification; an applicant uploads
the application it sealed on its own computer and hands over its data key at the opening; the agent, who saw no
applicant before the opening, concludes the review, sends each applicant its result notice and prepares the tender
by invitation of the pass list; a failed applicant reads its notice. Every page fits a 390-px screen and says what
happened."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from ggzy.core.db import unit_of_work
from ggzy.portal.formatting import china_time
from ggzy.prequalification import applications, review
from ggzy.prequalification.models import Prequalification
from tests.browser.conftest import Site, check_fits_the_phone, log_in
from tests.conftest import TEST_NOW
from tests.prequalification import scenarios

VERDICTS = [False, True, True, True]  # the first applicant, the one on the phone, fails the review


def _on_the_services(site: Site, prequalification_id: int, step: Callable[[Session, Prequalification], object]) -> None:
    with unit_of_work(site.factory) as db:
        prequalification = db.get(Prequalification, prequalification_id)
        assert prequalification is not None
        step(db, prequalification)


def _said(page: Any, text: str) -> None:
    expect(page.locator('main p[role="status"]')).to_contain_text(text)  # the layout's message, or the page's own


def test_实施条例_第15至19条_a_prequalification_from_its_notice_to_the_invitation_on_a_phone(
    phone: Any, site: Site, tmp_path: Path
) -> None:
    phone.on("dialog", lambda dialog: dialog.accept())  # the irreversible steps ask first (data-confirm)
    with unit_of_work(site.factory) as db:
        prequalification, setup = scenarios.draft(db)
        crew = [scenarios.applicant(db) for _ in VERDICTS]
    pq_id, agent_id, applicant_id = prequalification.id, setup["agent_user"].id, crew[0].user.id
    store = site.app.state.blob_store
    owner_page = f"{site.url}/workspace/projects/prequalifications/{pq_id}"
    applicant_page = f"{site.url}/workspace/bidder/prequalifications/{pq_id}"
    before = site.clock.now()
    site.clock.set(TEST_NOW)
    try:
        log_in(phone, site, agent_id)
        phone.goto(owner_page)
        check_fits_the_phone(phone, "phone-prequalification-owner-draft")
        phone.get_by_role("button", name="发布资格预审公告").click()
        _said(phone, "资格预审公告已发布")
        expect(phone.locator("main")).to_contain_text(china_time(scenarios.DEADLINE))
        expect(phone.locator("main")).to_contain_text("看不到申请人的名称和数量")
        check_fits_the_phone(phone, "phone-prequalification-owner-published")

        # the applicant uploads the envelope it sealed with the bidder client
        envelope = tmp_path / "APPLICATION.ggzy"
        _on_the_services(site, pq_id, lambda db, pq: envelope.write_bytes(scenarios.seal(db, pq, crew[0])))
        log_in(phone, site, applicant_id)
        phone.goto(applicant_page)
        check_fits_the_phone(phone, "phone-prequalification-applicant")
        phone.locator("#envelope").set_input_files(str(envelope))
        phone.get_by_role("button", name="递交申请文件").click()
        _said(phone, "申请文件已递交")
        expect(phone.locator("main table")).to_contain_text("有效")
        check_fits_the_phone(phone, "phone-prequalification-applicant-applied")

        # the others apply; after the deadline the opening starts and the applicant hands over its data key
        _on_the_services(site, pq_id, lambda db, pq: [scenarios.apply(db, store, pq, who) for who in crew[1:]])
        site.clock.set(scenarios.AFTER)
        _on_the_services(
            site, pq_id, lambda db, pq: applications.start_opening(
                db, scenarios.host(db, setup), prequalification_id=pq.id, now=scenarios.AFTER
            ),
        )  # fmt: skip
        data_key: list[bytes] = []
        _on_the_services(site, pq_id, lambda db, pq: data_key.append(scenarios.data_key(db, pq, crew[0])))
        phone.goto(applicant_page)
        phone.locator("#data_key").fill(base64.b64encode(data_key[0]).decode("ascii"))
        phone.get_by_role("button", name="解密").click()
        _said(phone, "申请文件已解密")
        check_fits_the_phone(phone, "phone-prequalification-applicant-decrypted")

        def _reviewed(db: Session, pq: Prequalification) -> None:
            for who in crew[1:]:
                applications.decrypt_application(
                    db, who.actor(db), prequalification_id=pq.id, data_key=scenarios.data_key(db, pq, who),
                    store=store, max_mb=100, now=scenarios.AFTER,
                )  # fmt: skip
            applications.finish_opening(db, scenarios.host(db, setup), prequalification_id=pq.id, now=scenarios.AFTER)
            scenarios.experts(db)
            review.form_committee(
                db, scenarios.staff(db, setup), prequalification_id=pq.id, specialty_code="A01", size=5,
                owner_representative_user_ids=[], now=scenarios.AFTER,
            )  # fmt: skip
            member = scenarios.reviewer(db, pq)
            for who, passed in zip(crew, VERDICTS, strict=True):
                review.review_application(
                    db, member, application_id=scenarios.application_of(db, pq, who).public_id, passed=passed,
                    reason="" if passed else "业绩不满足资格预审文件第3.2条", now=scenarios.AFTER,
                )  # fmt: skip

        _on_the_services(site, pq_id, _reviewed)

        # the agent concludes (it asks first), sends every result notice, and prepares the invitation
        log_in(phone, site, agent_id)
        phone.goto(owner_page)
        expect(phone.locator("main table")).to_contain_text("业绩不满足资格预审文件第3.2条")
        check_fits_the_phone(phone, "phone-prequalification-owner-reviewing")
        phone.locator('input[name="confirmed"]').check()
        phone.get_by_role("button", name="确定审查结果").click()
        _said(phone, "审查结果已确定")
        for _ in VERDICTS:
            phone.get_by_role("button", name="发出通知书").first.click()
            _said(phone, "结果通知书已发出")
        check_fits_the_phone(phone, "phone-prequalification-owner-notified")
        phone.locator("#pq-notice").fill("投标邀请书：请于投标截止时间前递交投标文件")
        phone.get_by_role("button", name="准备邀请招标").click()
        _said(phone, "邀请招标已准备")
        assert phone.url.split("#")[0].endswith(f"/workspace/projects/tenders/{_tender_of(site, pq_id)}")
        check_fits_the_phone(phone, "phone-prequalification-invited-tender")

        # the failed applicant reads its notice and the reason
        log_in(phone, site, applicant_id)
        phone.goto(applicant_page)
        expect(phone.locator("main table")).to_contain_text("未通过资格预审")
        expect(phone.locator("main table")).to_contain_text("业绩不满足资格预审文件第3.2条")
        check_fits_the_phone(phone, "phone-prequalification-applicant-failed")
    finally:
        site.clock.set(before)


def _tender_of(site: Site, prequalification_id: int) -> int:
    with unit_of_work(site.factory, read_only=True) as db:
        prequalification = db.get(Prequalification, prequalification_id)
        assert prequalification is not None
        assert prequalification.tender_id is not None
        return prequalification.tender_id
