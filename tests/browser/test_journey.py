"""One lot from its notice to its contract, in the browser only (issue 11, the first "Done when").

Every user's step is a click or a field on a page: the agent registers the project and prepares the tender, declaring
its 开标一览表, and the centre's staff accept the registration; the agent publishes. Three bidders log in, seal and
submit through their own local assistant (one holds its key in a SoftHSM2 token), approving each signature in the
assistant's window. After the deadline the agent hosts the opening on its page, each bidder decrypts through its
assistant, the record is read out. The staff draw the committee and check it in; the experts review, elect their
lead, score and sign with their browser keys; the agent publicises the candidates, a bidder objects and then
complains, the supervisor decides, the bidder reads the decision; the agent awards (the letters go out) and records
the contract. The receipt, the opening record and a letter are downloaded through the pages' links and each PDF's
signature validates against the certificate the platform publishes.

Only what no user does on a page is set up by the factories: the accounts, the centre and its key custodians, the
expert pool, the certificates (a CA's job), and the assistants' processes (each bidder starts its own)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ggzy.assistant import FileKeySource, KeySource, Pkcs11KeySource
from ggzy.core.clock import to_china_time
from ggzy.core.db import unit_of_work
from ggzy.core.permissions import SYSTEM, Role
from ggzy.crypto import load_certificate
from ggzy.documents.signing import check_pdf
from ggzy.entities import login
from ggzy.entities.models import TrustAnchor
from ggzy.entities.schemas import RoleGrantIn
from ggzy.experts import service as experts
from tests.assistant.tokens import forget_tokens, make_token
from tests.browser.conftest import Site, check_fits_the_phone, log_in, screenshot
from tests.browser.test_assistant_pages import _approve, _log_in_with_the_assistant, _register
from tests.conftest import TEST_NOW
from tests.factories import (
    credit_code,
    issue,
    load_test_calendar,
    make_centres,
    make_custodians,
    make_entity,
    make_expert,
    make_user,
)

FLASH = 'p.flash-done[role="status"]'
SPECIALTY = "B0203"  # the journey's own pool: the other browser tests draw from A01 on the same database
PROJECT = "滇中旅程示范工程"
TENDER = "滇中旅程示范工程施工招标"
OBJECTION = "第一中标候选人项目经理同时在其他在建项目任职"
DECISION = "经调查，第一中标候选人项目经理已依法变更，投诉缺乏事实根据，予以驳回。"
# the three bidders: name, price (元), 工期 (the item the tender declares), technical points the experts give
BIDDERS = [
    ("旅程甲建设有限公司", "4175000.00", "520", "36"),
    ("旅程乙建设有限公司", "4080000.00", "500", "34"),
    ("旅程丙建设有限公司", "4260000.00", "540", "30"),
]


@dataclass
class Cast:
    """The people of the story, as the factories made them (no page makes accounts or issues certificates)."""

    agent: int
    owner_code: str
    centre_id: int
    staff: int
    supervisor: int
    certificates: list[Any]


def _cast(site: Site, intl_ca: Path) -> Cast:
    with unit_of_work(site.factory) as db:
        load_test_calendar(db)  # the periods of the story run into 2027
        pem = (intl_ca / "ca.pem").read_text()
        fingerprint = load_certificate(pem).fingerprint
        if db.scalar(select(TrustAnchor.id).where(TrustAnchor.fingerprint == fingerprint)) is None:
            login.add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW)
        city = make_centres(db)["city"]
        owner, agent = (
            make_entity(db, name="滇中旅程建设投资有限公司"),
            make_entity(db, name="滇中旅程招标代理有限公司"),
        )
        agent_user = make_user(db, roles=[RoleGrantIn(role=Role.AGENT, centre_id=city.id)], entity_id=agent.id)
        staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)])
        supervisor = make_user(
            db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")]
        )
        make_custodians(db, city.id)
        for n in range(5):
            make_expert(db, name=f"旅程评委{n}", specialty_codes=[SPECIALTY])
        return Cast(
            agent=agent_user.id, owner_code=owner.credit_code, centre_id=city.id, staff=staff.id,
            supervisor=supervisor.id,
            certificates=[issue(intl_ca, name=name, code=credit_code()) for name, *_ in BIDDERS],
        )  # fmt: skip


def _china(moment: datetime) -> str:
    return f"{to_china_time(moment):%Y-%m-%dT%H:%M}"


def _said(page: Any, text: str) -> None:
    expect(page.locator(FLASH)).to_contain_text(text)


def _signed_pdf(page: Any, site: Site, link: Any, certificate: str, title: str) -> bytes:
    """Follow a page's PDF link with the page's own session and check the platform's signature on it."""
    href = link.get_attribute("href")
    assert href is not None
    assert href.startswith("/api/v1/documents/"), href
    assert href.endswith(".pdf"), href
    answer = page.context.request.get(f"{site.url}{href}")
    assert answer.ok, (href, answer.status)
    assert answer.headers["content-type"] == "application/pdf"
    pdf = answer.body()
    with ThreadPoolExecutor(1) as thread:  # pyHanko runs its own event loop; Playwright's holds this thread
        check = thread.submit(check_pdf, pdf, certificate).result()
    assert check.ok, (title, check.summary)
    return pdf


def site_certificate(page: Any, site: Site) -> str:
    """The certificate the platform publishes for its documents' signatures."""
    answer = page.context.request.get(f"{site.url}/api/v1/documents/signing-certificate")
    assert answer.ok
    return answer.text()


@pytest.fixture
def computers(browser: Any) -> Iterator[Any]:
    """Each bidder's own desktop browser (its assistant runs on the same computer)."""
    contexts: list[Any] = []

    def open_one() -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # every irreversible step asks first (data-confirm)
        return page

    yield open_one
    for context in contexts:
        context.close()


def test_one_lot_from_notice_to_contract_with_no_command_line(
    phone: Any, site: Site, computers: Any, start_assistant: Any, intl_ca: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    cast = _cast(site, intl_ca)
    certificate = site_certificate(phone, site)
    before = site.clock.now()
    site.clock.set(TEST_NOW)
    phone.on("dialog", lambda dialog: dialog.accept())
    monkeypatch.setenv("SOFTHSM2_CONF", "")  # make_token sets it; restored after
    with ExitStack() as cleanup:
        cleanup.callback(site.clock.set, before)
        # the agent registers the project (进场登记), the centre's staff accept it
        log_in(phone, site, cast.agent)
        phone.goto(f"{site.url}/workspace/projects")
        phone.locator("#centre_id").select_option(str(cast.centre_id))
        phone.locator("#name").fill(PROJECT)
        phone.locator("#trade_type").select_option("construction")
        region = phone.locator("#region_code")
        if region.evaluate("field => field.tagName") == "SELECT":  # regions picked by name (issue 11's edges)
            region.select_option("530102")
        else:
            region.fill("530102")
        phone.locator("#other_credit_code").fill(cast.owner_code)
        phone.locator("#lot_name").fill("施工总承包")
        phone.locator("#budget").fill("5000000.00")
        phone.get_by_role("button", name="提交登记").click()
        _said(phone, "项目登记已提交")
        project_card = phone.locator("section.card", has_text=PROJECT)
        expect(project_card).to_contain_text("待受理")
        check_fits_the_phone(phone, "journey-project-registered")

        log_in(phone, site, cast.staff)
        phone.goto(f"{site.url}/workspace/centre")
        registration = phone.locator("article.card", has_text=PROJECT)
        registration.get_by_role("button", name="受理", exact=True).click()
        expect(phone.locator("article.card", has_text=PROJECT)).to_have_count(0)

        # the agent prepares the tender, declaring its 开标一览表 (the price and 工期), uploads and publishes
        log_in(phone, site, cast.agent)
        phone.goto(f"{site.url}/workspace/projects")
        project_card = phone.locator("section.card", has_text=PROJECT)
        expect(project_card).to_contain_text("已受理")
        project_card.locator("summary", has_text="编制招标").click()
        form = project_card.locator("form[action$='/tenders']")
        form.locator('input[name="title"]').fill(TENDER)
        form.locator('textarea[name="notice_text"]').fill("滇中旅程示范工程施工总承包，欢迎符合资格的投标人参加。")
        form.locator('select[name="method"]').select_option("scoring")
        deadline = TEST_NOW + timedelta(days=25)
        form.locator('input[name="documents_until"]').fill(_china(TEST_NOW + timedelta(days=10)))
        form.locator('input[name="bid_deadline"]').fill(_china(deadline))
        label = form.locator("[data-summary-item]").nth(0).locator('input[name="summary_label"]')
        label.fill("工期（日历天）")
        label.dispatch_event("change")
        expect(form.locator("[data-summary-item]").nth(0).locator('select[name="summary_kind"]')).to_have_value("days")
        form.get_by_role("button", name="保存草稿").click()
        _said(phone, "招标草稿已保存")
        expect(phone.locator("h1")).to_have_text(TENDER)
        tender_page = phone.url.split("?")[0]
        tender_id = int(tender_page.rsplit("/", 1)[1])
        declared = phone.locator('section[aria-labelledby="summary-fields"] table')
        expect(declared).to_contain_text("投标报价")
        expect(declared).to_contain_text("工期（日历天）")
        phone.locator("#file").set_input_files(
            files=[{"name": "招标文件.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7 tender documents"}]
        )
        phone.get_by_role("button", name="上传", exact=True).click()
        _said(phone, "招标文件已上传")
        expect(phone.locator("main")).to_contain_text("招标文件.pdf")
        phone.get_by_role("button", name="发布招标公告").click()  # it asks first (data-confirm)
        _said(phone, "招标公告已发布")
        expect(phone.locator("#clarifications")).to_be_visible()
        check_fits_the_phone(phone, "journey-tender-published")

        # three bidders, each with its own computer and assistant; the second's key is in a SoftHSM2 token
        site.clock.set(TEST_NOW + timedelta(days=1))
        bidders: list[tuple[Any, str]] = []
        for n, ((name, price, days, _), issued) in enumerate(zip(BIDDERS, cast.certificates, strict=True)):
            keys: KeySource
            if n == 1:
                settings = make_token(tmp_path / "hsm", issued.private_key_pem)
                keys = Pkcs11KeySource(certificate_pem=issued.certificate_pem, settings=settings)
                cleanup.callback(forget_tokens)
                cleanup.callback(keys.close)
            else:
                (tmp_path / f"bidder-{n}-key.pem").write_text(issued.private_key_pem)
                keys = FileKeySource(certificate_pem=issued.certificate_pem, key_path=tmp_path / f"bidder-{n}-key.pem")
            running = start_assistant(keys)
            assistant_url = running.url
            page = computers()
            running.pair(page)  # once per browser: the code the assistant showed, entered on the /assistant page
            bidders.append((page, assistant_url))
            _log_in_with_the_assistant(page, site)
            _register(page, site, tender_id)
            expect(page.locator('[data-summary-key="schedule_days"]')).to_be_visible()  # what the tender declares
            page.locator('[data-summary-key="price_fen"]').fill(price)
            page.locator('[data-summary-key="schedule_days"]').fill(days)
            page.locator("#bid-files").set_input_files(
                [
                    {"name": "商务标.pdf", "mimeType": "application/pdf", "buffer": f"%PDF {name} 商务".encode() * 50},
                    {"name": "技术标.pdf", "mimeType": "application/pdf", "buffer": f"%PDF {name} 技术".encode() * 50},
                ]
            )
            with page.expect_popup() as opened:
                page.get_by_role("button", name="用投标助手加密并递交").click()
            if n == 1:
                expect(opened.value.locator("body")).to_contain_text("PKCS#11 token")
            _approve(opened.value, site, "加密并签名投标文件")
            expect(page.locator("body")).to_contain_text("投标回执")
            if n == 0:
                screenshot(page, "journey-bid-receipt")
                receipt = page.locator('a[href$="receipt.pdf"]').first
                _signed_pdf(page, site, receipt, certificate, "投标文件递交回执")

        # after the deadline: the agent starts the opening, each bidder decrypts through its assistant
        site.clock.set(deadline + timedelta(minutes=1))
        host_page = f"{site.url}/workspace/openings/{tender_id}"
        phone.goto(host_page)
        phone.get_by_role("button", name="开始开标").click()
        expect(phone.locator("#decryption")).to_be_visible()
        check_fits_the_phone(phone, "journey-opening-started")
        for page, assistant_url in bidders:
            site.app.state.settings.assistant_url = assistant_url  # the page talks to this bidder's own assistant
            _log_in_with_the_assistant(page, site)  # weeks later: its session has ended, it logs in again
            page.goto(f"{site.url}/workspace/bidder/tenders/{tender_id}#opening")
            with page.expect_popup() as opened:
                page.get_by_role("button", name="用投标助手解密").click()
            _approve(opened.value, site, "开标解密")
            expect(page.locator("body")).to_contain_text("投标文件已解密。")
        phone.goto(host_page)
        expect(phone.locator("#decryption")).to_contain_text("已解密 3 / 3")
        site.clock.set(deadline + timedelta(hours=2))  # the decryption window is over
        phone.goto(host_page)
        phone.get_by_role("button", name="宣读开标记录").click()
        record = phone.locator("#record")
        for name, *_ in BIDDERS:
            expect(record).to_contain_text(name)
        expect(record).to_contain_text("4,080,000.00")
        check_fits_the_phone(phone, "journey-opening-record")
        phone.goto(tender_page)
        opening_pdf = phone.locator('a[href$="opening-record.pdf"]').first
        _signed_pdf(phone, site, opening_pdf, certificate, "开标记录")

        # the centre's staff draw the committee, check it in and start the evaluation
        log_in(phone, site, cast.staff)
        phone.goto(f"{site.url}/workspace/committee/tenders/{tender_id}")
        phone.locator("#specialty").fill(SPECIALTY)
        phone.get_by_role("button", name="随机抽取").click()
        _said(phone, "评标委员会已随机抽取")
        for _ in range(5):
            phone.locator("#committee").get_by_role("button", name="签到").first.click()
            _said(phone, "该成员已签到")
        expect(phone.locator('#committee [data-role="checked-in"]')).to_have_count(5)
        phone.locator("#qualification").fill("营业执照")
        phone.locator("#criteria").fill("technical 技术方案 40")
        phone.locator("#price-weight").fill("60")
        phone.get_by_role("button", name="开始评标").click()
        _said(phone, "评标已开始")

        # the experts: a key each, elect the lead, qualification, score, the report, each signs it
        with unit_of_work(site.factory, read_only=True) as db:  # who sits (to log each in), not a step
            seats = [(m.id, m.user_id) for m in experts.sitting_members(db, tender_id)]
        member_page = f"{site.url}/workspace/expert/tenders/{tender_id}"
        for n, (_, user_id) in enumerate(seats):
            log_in(phone, site, user_id)
            phone.goto(member_page)
            phone.get_by_role("button", name="在本浏览器生成并登记签名密钥").click()
            _said(phone, "签名密钥已登记")
            if n < 3:
                phone.locator("#candidate").select_option(str(seats[0][0]))
                phone.get_by_role("button", name="提交推举").click()
                _said(phone, "推举意见已提交")
            for section in phone.locator(".qualification-bid").all():
                section.locator("select").select_option("pass")
                section.get_by_role("button", name="提交资格审查意见").click()
                _said(phone, "资格审查意见已提交")
        for n, (_, user_id) in enumerate(seats):
            log_in(phone, site, user_id)
            phone.goto(member_page)
            expect(phone.locator('#signing-key [data-state="ready"]')).to_be_visible()
            for name, _, _, points in BIDDERS:
                section = phone.locator(".score-bid", has=phone.locator("h3", has_text=name))
                section.locator('input[name="score.technical"]').fill(points)
                section.get_by_role("button", name="签名并提交评分表").click()
                _said(phone, "评分表已签名提交")
            if n == 0:
                check_fits_the_phone(phone, "journey-expert-scored")
        log_in(phone, site, seats[0][1])
        phone.goto(member_page)
        expect(phone.locator('#committee [data-role="lead"]')).to_contain_text("由成员推举产生")
        phone.get_by_role("button", name="出具评标报告").click()
        _said(phone, "评标报告已出具")
        for _, user_id in seats:
            log_in(phone, site, user_id)
            phone.goto(member_page)
            expect(phone.locator('#signing-key [data-state="ready"]')).to_be_visible()
            phone.get_by_role("button", name="签名并签署评标报告").click()
            _said(phone, "您已签署评标报告")
        expect(phone.locator("#report .report-ranking tbody tr")).to_have_count(3)
        check_fits_the_phone(phone, "journey-report-signed")

        # the agent publicises the candidates
        log_in(phone, site, cast.agent)
        phone.goto(tender_page)
        expect(phone.locator("#ranking tbody tr")).to_have_count(3)
        phone.get_by_role("button", name="发布中标候选人公示").click()
        _said(phone, "中标候选人已公示")
        candidates = phone.locator("#candidates tbody tr")
        expect(candidates).to_have_count(3)
        first = candidates.first.locator("td").nth(1).inner_text()
        ends_at = datetime.fromisoformat(phone.locator("#award time").nth(1).get_attribute("datetime") or "")
        objector_page, _ = next((bidder for bidder, (name, *_) in zip(bidders, BIDDERS, strict=True) if name != first))
        check_fits_the_phone(phone, "journey-publicity")

        # a bidder objects, the agent answers, the bidder complains, the supervisor decides, the bidder reads it
        site.clock.set(site.clock.now() + timedelta(hours=1))
        objector_page.goto(f"{site.url}/workspace/objections/tenders/{tender_id}")
        objector_page.locator("#objection-text").fill(OBJECTION)
        objector_page.get_by_role("button", name="提出异议").click()
        _said(objector_page, "异议已提出")
        phone.goto(tender_page)
        answer = phone.locator('textarea[id^="publicity-answer-"]')
        answer.fill("经核实，项目经理已依法变更，评标结果不变。")
        phone.locator("#award").get_by_role("button", name="答复异议").click()
        _said(phone, "异议已答复")
        expect(phone.locator("#award")).to_contain_text("评标结果不变")

        site.clock.set(site.clock.now() + timedelta(hours=1))
        objector_page.goto(f"{site.url}/workspace/objections/tenders/{tender_id}")
        objector_page.locator("#complaint-matter").select_option("evaluation_result")
        objector_page.locator("#complaint-request").fill("责令重新评标")
        objector_page.locator("#complaint-facts").fill(f"{OBJECTION}，答复未予纠正")
        objector_page.locator("#complaint-knew").fill(to_china_time(site.clock.now()).date().isoformat())
        objector_page.locator("#complaint-evidence").set_input_files(
            files=[{"name": "任职证明.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 evidence"}]
        )
        objector_page.get_by_role("button", name="提交投诉").click()
        _said(objector_page, "投诉已提交")

        log_in(phone, site, cast.supervisor)
        phone.goto(f"{site.url}/workspace/complaints")
        phone.locator("#complaint-queue a", has_text="责令重新评标").first.click()
        phone.get_by_role("button", name="受理", exact=True).click()
        _said(phone, "投诉已受理")
        phone.locator("#dismiss-decision").fill(DECISION)
        phone.get_by_role("button", name="驳回投诉").click()
        expect(phone.locator("#decision")).to_contain_text(DECISION)
        check_fits_the_phone(phone, "journey-complaint-decided")

        objector_page.goto(f"{site.url}/workspace/objections")
        expect(objector_page.locator("#my-complaints")).to_contain_text(DECISION)
        screenshot(objector_page, "journey-bidder-sees-the-decision")
        objector_page.goto(f"{site.url}/workspace/objections/tenders/{tender_id}")
        objector_page.locator('a[href^="/projects/"]').first.click()  # the public project page shows it too
        expect(objector_page.locator("table.decisions")).to_contain_text(DECISION)

        # when the publicity has ended the agent awards (the letters go out) and records the contract
        site.clock.set(max(ends_at, site.clock.now()) + timedelta(minutes=1))
        log_in(phone, site, cast.agent)
        phone.goto(tender_page)
        phone.get_by_role("button", name="定标并发出中标通知书").click()
        _said(phone, "中标通知书已发给中标人")
        expect(phone.locator("#letters tbody tr")).to_have_count(3)
        expect(phone.locator("#award")).to_contain_text(first)
        check_fits_the_phone(phone, "journey-awarded")
        letter_pdf = phone.locator("#letters a", has_text="PDF").first
        _signed_pdf(phone, site, letter_pdf, certificate, "中标通知书")
        phone.locator("#contract-signed").fill(to_china_time(site.clock.now()).date().isoformat())
        phone.get_by_role("button", name="登记合同").click()
        _said(phone, "合同已登记")
        expect(phone.locator("#contract")).to_contain_text("元")
        check_fits_the_phone(phone, "journey-contract")
        for title, document in (("评标报告", "evaluation-report.pdf"), ("交易见证书", "witness-certificate.pdf")):
            _signed_pdf(phone, site, phone.locator(f'a[href$="{document}"]').first, certificate, title)
