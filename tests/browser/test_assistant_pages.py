"""Bidders through the local assistant in a real browser (issue 11, decision 0026): log in without copy and paste,
seal and submit from files picked and a summary typed on the page, the user approving each signature by clicking the
assistant's own consent page in its popup; one bidder's key is in a SoftHSM2 token. A declined consent, a token
pulled out and a second tab each end in a clear sentence with nothing sent. Neither the summary nor the files ever
reach the platform (every request the browser makes to it is recorded and searched)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from playwright.sync_api import expect
from sqlalchemy import select

from ggzy.assistant import FileKeySource, Pkcs11KeySource
from ggzy.core.db import unit_of_work
from ggzy.tendering.models import SealedBid, Tender
from tests.assistant.tokens import forget_tokens, make_token
from tests.browser.conftest import Site, check_fits_the_phone, log_in, screenshot
from tests.browser.live_opening import LiveOpening, free_port, serve
from tests.browser.test_expert_signing import _evaluating
from tests.conftest import TEST_NOW
from tests.factories import issue
from tests.tendering.test_bids import Bidder

PRICE_YUAN, PRICE_FEN = "4175000.00", 417_500_000
COMMERCIAL = b"%PDF-1.7 commercial part, in the clear on the bidder's computer only " * 40
TECHNICAL = b"%PDF-1.7 technical part, in the clear on the bidder's computer only " * 40


def _demo_keys(site: Site, name: str) -> FileKeySource:
    demo = Path(site.app.state.settings.data_dir) / "demo"
    return FileKeySource(certificate_pem=(demo / f"{name}.pem").read_text(), key_path=demo / f"{name}-key.pem")


@pytest.fixture
def documents_on_offer(site: Site) -> Iterator[int]:
    """The demo's open re-tender, at a time its documents are on offer; yields its id."""
    lot = next(lot for lot in site.demo["lots"] if lot["round"] == 2)
    with unit_of_work(site.factory, read_only=True) as db:
        tender = db.get(Tender, lot["tender_id"])
        assert tender is not None
        assert tender.published_at is not None
        published_at = tender.published_at
    before = site.clock.now()
    site.clock.set(published_at + timedelta(minutes=5))
    yield lot["tender_id"]
    site.clock.set(before)


def _platform_requests(page: Any, site: Site) -> list[bytes]:
    """Everything the browser sends to the platform from now on (URLs and bodies)."""
    sent: list[bytes] = []

    def record(request: Any) -> None:
        if request.url.startswith(site.url):
            sent.append(request.url.encode() + b"\n" + (request.post_data_buffer or b""))

    page.on("request", record)
    return sent


def _approve(popup: Any, site: Site, action: str) -> str:
    """The user reads the assistant's consent page (the platform and the action) and approves; returns its id."""
    approve = popup.get_by_role("button", name=re.compile("批准"))
    expect(approve).to_be_visible()
    expect(popup.locator("#platform")).to_have_text(site.url)
    expect(popup.locator("#action")).to_contain_text(action)
    request_id = popup.url.rsplit("/", 1)[1]
    approve.click()
    return request_id


def _log_in_with_the_assistant(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/login")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="用投标助手登录").click()
    _approve(opened.value, site, "证书登录")
    expect(page).to_have_url(re.compile(r"/workspace"))


def _register(page: Any, site: Site, tender_id: int) -> None:
    page.goto(f"{site.url}/workspace/bidder/tenders/{tender_id}")
    page.get_by_role("button", name="报名", exact=True).click()
    expect(page.locator("body")).to_contain_text("贵单位已报名本项目")


def _fill_the_bid(page: Any) -> None:
    # what the demo tender declares (开标一览表): the price, 工期, 质量标准, 项目经理
    for key, value in {
        "price_fen": PRICE_YUAN,
        "schedule_days": "520",
        "quality": "合格",
        "project_manager": "张三",
    }.items():
        field = page.locator(f'[data-summary-key="{key}"]')
        if key == "price_fen" or field.count():  # a tender of the factories declares the price only
            field.fill(value)
    page.locator("#bid-files").set_input_files(
        [
            {"name": "商务标.pdf", "mimeType": "application/pdf", "buffer": COMMERCIAL},
            {"name": "技术标.pdf", "mimeType": "application/pdf", "buffer": TECHNICAL},
        ]
    )


def _nothing_in_the_clear(sent: list[bytes]) -> None:
    assert sent, "the page did talk to the platform"
    for body in sent:
        assert str(PRICE_FEN).encode() not in body
        assert b"in the clear on the bidder's computer only" not in body
        assert "商务标".encode() not in body


def test_a_bidder_logs_in_seals_and_submits_through_the_assistant_and_a_second_tab_cannot_submit_again(
    page: Any, site: Site, start_assistant: Any, documents_on_offer: int
) -> None:
    running = start_assistant(_demo_keys(site, "bidder-5"))
    running.pair(page)
    sent = _platform_requests(page, site)
    _log_in_with_the_assistant(page, site)
    _register(page, site, documents_on_offer)

    _fill_the_bid(page)
    with page.expect_popup() as opened:  # first the bidder declines: nothing is sealed, nothing is sent
        page.get_by_role("button", name="用投标助手加密并递交").click()
    opened.value.get_by_role("button", name=re.compile("拒绝")).click()
    expect(page.locator("#assistant-seal-status")).to_contain_text("您在投标助手中拒绝了这次请求")
    expect(page.locator("#bid")).to_contain_text("尚未递交")
    assert not list(running.home.envelopes.iterdir())

    with page.expect_popup() as opened:
        page.get_by_role("button", name="用投标助手加密并递交").click()
    popup = opened.value
    expect(popup.locator("body")).to_contain_text("4,175,000.00 元")  # the user sees, on its computer, what it signs
    expect(popup.locator("body")).to_contain_text("商务标.pdf")
    screenshot(popup, "assistant-consent-seal")
    request_id = _approve(popup, site, "加密并签名投标文件")

    expect(page.locator("body")).to_contain_text("投标回执")
    sealed = next(line for line in running.home.read_log() if line["event"] == "done" and line["kind"] == "seal")
    assert sealed["request"] == request_id
    shown = page.locator("dd code").first.inner_text()
    with unit_of_work(site.factory, read_only=True) as db:
        stored = db.scalars(
            select(SealedBid).where(SealedBid.tender_id == documents_on_offer, SealedBid.ciphertext_sha256 == shown)
        ).all()
    assert len(stored) == 1
    _nothing_in_the_clear(sent)

    # a second tab offers the same envelope again: the assistant handed it out once, and says so
    second = page.context.new_page()
    second.goto(f"{site.url}/workspace/bidder/tenders/{documents_on_offer}")
    button = second.get_by_role("button", name=re.compile("用投标助手重新加密并递交"))
    button.evaluate("(button, id) => window.ggzyAssistant.submitSealed(button, id).catch(() => null)", request_id)
    expect(second.locator("#assistant-seal-status")).to_contain_text("已交给另一个页面递交过")
    with unit_of_work(site.factory, read_only=True) as db:
        assert len(db.scalars(select(SealedBid).where(SealedBid.ciphertext_sha256 == shown)).all()) == 1
    second.close()


def test_a_declined_login_says_so_and_logs_nobody_in(page: Any, site: Site, start_assistant: Any) -> None:
    running = start_assistant(_demo_keys(site, "bidder-1"))
    running.pair(page)
    page.context.clear_cookies()
    page.goto(f"{site.url}/login")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="用投标助手登录").click()
    popup = opened.value
    expect(popup.get_by_role("button", name=re.compile("拒绝"))).to_be_visible()
    popup.get_by_role("button", name=re.compile("拒绝")).click()
    expect(page.locator("#assistant-login-status")).to_contain_text("您在投标助手中拒绝了这次请求")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert not [cookie for cookie in page.context.cookies() if cookie["name"] == "ggzy_session"]
    assert [line["event"] for line in running.home.read_log()] == ["requested", "declined"]


def test_without_a_running_assistant_the_page_says_how_to_start_it(page: Any, site: Site) -> None:
    before = site.app.state.settings.assistant_url
    site.app.state.settings.assistant_url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    try:
        page.context.clear_cookies()
        page.goto(f"{site.url}/login")
        page.evaluate("localStorage.setItem('ggzy-assistant-pairing-code', 'AAAA-BBBB-CCCC-DDDD')")  # paired once
        with page.expect_popup() as opened:
            page.get_by_role("button", name="用投标助手登录").click()
        expect(page.locator("#assistant-login-status")).to_contain_text("ggzy assistant serve")
        popup = opened.value
        for _ in range(50):  # the page closes the popup it had opened
            if popup.is_closed():
                break
            page.wait_for_timeout(100)
        assert popup.is_closed()
        expect(page.get_by_role("button", name="用投标助手登录")).to_be_enabled()  # try again once it runs
    finally:
        site.app.state.settings.assistant_url = before


def test_a_page_of_another_site_gets_a_refusal_it_cannot_even_read(page: Any, site: Site, start_assistant: Any) -> None:
    running = start_assistant(_demo_keys(site, "bidder-1"))
    stranger = httpx.post(f"{running.url}/v1/login", json={"nonce": "x"}, headers={"Origin": "https://evil.example"})
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "assistant_origin_not_paired"
    page.goto("about:blank")  # a page of no paired origin: the browser's CORS check stops it reading anything
    outcome = page.evaluate(
        """(url) => fetch(url + "/v1/login", {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify({nonce: "x"})})
                     .then(r => "read " + r.status, e => "blocked")""",
        running.url,
    )
    assert outcome == "blocked"
    assert "requested" not in [line["event"] for line in running.home.read_log()]


def test_a_bidder_with_its_key_in_a_token_seals_after_the_token_comes_back(
    page: Any, site: Site, start_assistant: Any, documents_on_offer: int, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SOFTHSM2_CONF", "")  # make_token sets it; restored after
    demo = Path(site.app.state.settings.data_dir) / "demo"
    settings = make_token(tmp_path / "hsm", (demo / "bidder-4-key.pem").read_text())
    source = Pkcs11KeySource(certificate_pem=(demo / "bidder-4.pem").read_text(), settings=settings)
    try:
        start_assistant(source).pair(page)
        sent = _platform_requests(page, site)
        _log_in_with_the_assistant(page, site)
        _register(page, site, documents_on_offer)
        _fill_the_bid(page)

        source.close()  # the USB key is pulled out before the seal
        with page.expect_popup() as opened:
            page.get_by_role("button", name="用投标助手加密并递交").click()
        expect(opened.value.locator("body")).to_contain_text("PKCS#11 token")
        _approve(opened.value, site, "加密并签名投标文件")
        status = page.locator("#assistant-seal-status")
        expect(status).to_contain_text("USB 密钥是否已拔出")
        expect(page.locator("body")).to_contain_text("尚未递交")  # nothing was uploaded

        source._open()  # put back in
        with page.expect_popup() as opened:
            page.get_by_role("button", name="用投标助手加密并递交").click()
        _approve(opened.value, site, "加密并签名投标文件")
        expect(page.locator("body")).to_contain_text("投标回执")
        _nothing_in_the_clear(sent)
    finally:
        source.close()
        forget_tokens()


def test_a_bidder_decrypts_at_the_opening_through_the_assistant(
    page: Any, site: Site, start_assistant: Any, gm_ca: Path, tmp_path: Path
) -> None:
    live = LiveOpening(site.factory, gm_ca, [300_000_000, 310_000_000]).prepare()
    with unit_of_work(site.factory) as db:
        bidder = Bidder(db, gm_ca, live.tender_id)  # a third bidder, registered; it seals through the assistant
        user_id = bidder.user.id
    (tmp_path / "key.pem").write_text(bidder.issued.private_key_pem)
    running = start_assistant(
        FileKeySource(certificate_pem=bidder.issued.certificate_pem, key_path=tmp_path / "key.pem")
    )
    running.pair(page)
    before = site.clock.now()
    site.clock.set(TEST_NOW + timedelta(days=1))
    try:
        log_in(page, site, user_id)
        page.goto(f"{site.url}/workspace/bidder/tenders/{live.tender_id}")
        _fill_the_bid(page)
        with page.expect_popup() as opened:
            page.get_by_role("button", name="用投标助手加密并递交").click()
        _approve(opened.value, site, "加密并签名投标文件")
        expect(page.locator("body")).to_contain_text("投标回执")

        live.start(site.clock)
        page.goto(f"{site.url}/workspace/bidder/tenders/{live.tender_id}#opening")
        with page.expect_popup() as opened:
            page.get_by_role("button", name="用投标助手解密").click()
        page.once("dialog", lambda dialog: dialog.accept())  # the decryption form asks first (data-confirm)
        _approve(opened.value, site, "开标解密")
        expect(page.locator("body")).to_contain_text("投标文件已解密。")
        expect(page.locator("#bid")).to_contain_text("已解密")
        assert [line["kind"] for line in running.home.read_log() if line["event"] == "done"] == ["seal", "decrypt"]
        screenshot(page, "assistant-decrypted")
    finally:
        site.clock.set(before)


def test_an_expert_enrols_the_assistants_certificate_key_and_signs_a_score_sheet_through_it(
    page: Any, site: Site, start_assistant: Any, gm_ca: Path, intl_ca: Path, tmp_path: Path
) -> None:
    """The alternative to the browser's WebCrypto key (tests/browser/test_expert_signing.py keeps that way tested)."""
    scene = _evaluating(site, gm_ca)
    issued = issue(intl_ca, name="评标专家证书测试单位")
    (tmp_path / "expert-key.pem").write_text(issued.private_key_pem)
    running = start_assistant(
        FileKeySource(certificate_pem=issued.certificate_pem, key_path=tmp_path / "expert-key.pem")
    )
    running.pair(page)
    before = site.clock.now()
    site.clock.set(scene["opened_at"])
    try:
        page.goto(f"{site.url}/login")
        page.locator("#username").fill(scene["username"])
        page.locator("#password").fill(scene["password"])
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).to_have_url(re.compile(r"/workspace"))
        page.goto(f"{site.url}/workspace/expert/tenders/{scene['tender_id']}")
        page.get_by_role("button", name="或登记投标助手中证书的密钥").click()
        expect(page.locator('#signing-key [data-state="assistant"]')).to_be_visible()
        fingerprint = issued.certificate.public_key.fingerprint
        expect(page.locator('#signing-key [data-role="fingerprint"]')).to_have_text(fingerprint)

        form = page.locator(f'form[data-sign] input[name="bid_id"][value="{scene["bid_id"]}"] >> xpath=..')
        form.locator('input[name="score.technical"]').fill("27.5")
        form.locator('input[name="score.business"]').fill("18")
        page.once("dialog", lambda dialog: dialog.accept())  # a sheet is final: the page asks first (data-confirm)
        with page.expect_popup() as opened:
            form.get_by_role("button", name="签名并提交评分表").click()
        expect(opened.value.locator("body")).to_contain_text("technical=27.5")
        _approve(opened.value, site, "签署评分表")
        sheet_line = page.locator(f'[data-sheet="{scene["bid_id"]}"]')
        expect(sheet_line).to_contain_text("已签名")
        expect(sheet_line).to_contain_text(fingerprint)
        assert [line["kind"] for line in running.home.read_log() if line["event"] == "done"] == ["score-sheet"]
    finally:
        site.clock.set(before)


def test_the_assistant_pages_fit_a_phone(phone: Any, site: Site, start_assistant: Any, documents_on_offer: int) -> None:
    running = start_assistant(_demo_keys(site, "bidder-2"))
    running.pair(phone)
    check_fits_the_phone(phone, "assistant-pairing-phone")
    phone.goto(f"{site.url}/login")
    expect(phone.get_by_role("button", name="用投标助手登录")).to_be_visible()
    check_fits_the_phone(phone, "assistant-login-phone")
    asked = httpx.post(f"{running.url}/v1/login", json={"nonce": "phone"}, headers=running.headers())
    consent = phone.context.new_page()
    consent.goto(asked.json()["consent_url"])
    expect(consent.get_by_role("button", name=re.compile("批准"))).to_be_visible()
    width = consent.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the consent page is {width} px wide"
    screenshot(consent, "assistant-consent-phone")
    consent.get_by_role("button", name=re.compile("拒绝")).click()  # one request at a time waits for the user
    expect(consent.locator("#outcome")).to_contain_text("已拒绝")
    consent.close()

    _log_in_with_the_assistant(phone, site)  # the popup on a phone too
    _register(phone, site, documents_on_offer)
    expect(phone.get_by_role("button", name="用投标助手加密并递交")).to_be_visible()
    check_fits_the_phone(phone, "assistant-seal-phone")


def _impostor(site: Site, seen: list[str]) -> FastAPI:
    """A program that took the assistant's port first: it answers the handshake as best it can (it does not know the
    pairing code) and would gladly take a login request or a bid's files."""
    impostor = FastAPI()
    cors = {"Access-Control-Allow-Origin": site.url, "Access-Control-Allow-Headers": "Content-Type, Authorization",
            "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Private-Network": "true"}  # fmt: skip

    @impostor.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors)
        response = await call_next(request)
        response.headers.update(cors)
        return response

    @impostor.get("/v1/hello")
    def hello(challenge: str) -> dict[str, str]:
        return {"assistant": "ggzy", "proof": "A" * 43, "challenge": "c" * 32}

    @impostor.post("/v1/{anything}")
    def anything(anything: str) -> dict[str, str]:
        return {"session": "s", "id": "r", "consent_url": "about:blank"}

    return impostor


def test_a_program_that_took_the_assistants_port_is_told_apart_and_sent_nothing(page: Any, site: Site) -> None:
    seen: list[str] = []
    before = site.app.state.settings.assistant_url
    with serve(_impostor(site, seen)) as url:  # type: ignore[arg-type]
        site.app.state.settings.assistant_url = url
        try:
            page.goto(f"{site.url}/assistant")
            page.locator("#pairing-code").fill("ABCD-EFGH-IJKL-MNOP")  # the code the real assistant once showed
            page.get_by_role("button", name="配对并检查连接").click()
            expect(page.locator("#assistant-pairing-status")).to_contain_text("无法证明它是与本站配对的投标助手")
            expect(page.locator("#assistant-certificate")).to_be_hidden()

            page.context.clear_cookies()
            page.goto(f"{site.url}/login")
            # a session the tab kept from the real assistant, before it stopped and the impostor took its port: every
            # request proves the code afresh before its body leaves the page
            page.evaluate("(url) => sessionStorage.setItem('ggzy-assistant-session:' + url, 'kept')", url)
            with page.expect_popup() as opened:
                page.get_by_role("button", name="用投标助手登录").click()
            expect(page.locator("#assistant-login-status")).to_contain_text("无法证明它是与本站配对的投标助手")
            assert opened.value.url == "about:blank"  # never pointed at anything the impostor named
        finally:
            site.app.state.settings.assistant_url = before
    assert [line for line in seen if not line.startswith("OPTIONS")] == ["GET /v1/hello", "GET /v1/hello"]
    assert "ABCD" not in " ".join(seen)  # the code itself never travels


def test_a_wrong_pairing_code_is_refused_by_the_real_assistant_too(page: Any, site: Site, start_assistant: Any) -> None:
    running = start_assistant(_demo_keys(site, "bidder-3"))
    page.goto(f"{site.url}/assistant")
    page.locator("#pairing-code").fill("ABCD-EFGH-IJKL-MNOP")
    page.get_by_role("button", name="配对并检查连接").click()
    expect(page.locator("#assistant-pairing-status")).to_contain_text("无法证明它是与本站配对的投标助手")
    assert "requested" not in [line["event"] for line in running.home.read_log()]
    running.pair(page)  # the right code: the page shows the certificate the assistant holds
    expect(page.locator('#assistant-certificate [data-field="suite"]')).to_have_text("国密（SM2/SM3/SM4）")
    page.get_by_role("button", name="清除本浏览器中的配对码").click()
    expect(page.locator("#assistant-pairing-status")).to_contain_text("已清除")
    assert page.evaluate("localStorage.getItem('ggzy-assistant-pairing-code')") is None
