"""The local assistant (decision 0026): only the paired portal is answered, nothing is signed before the user approves
on the assistant's own page, a declined request signs and sends nothing, every request and decision is logged, and
what it signs and seals is what the platform accepts (the real platform code answers through the bidder client's
transport)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.assistant import Assistant, AssistantHome, FileKeySource, check_bind
from ggzy.assistant.home import BindRefused, OriginInvalid, normalise_origin
from ggzy.assistant.pairing import ANSWER_LABEL, PROOF_LABEL, SESSION_LIFETIME, mac
from ggzy.assistant.requests import DECISION_WINDOW
from ggzy.assistant.server import ARMING_SCRIPT
from ggzy.bidclient.origins import OriginNotSecure
from ggzy.cli import app as main_cli
from ggzy.core.clock import FixedClock
from ggzy.crypto import (
    IssuedCertificate,
    Suite,
    create_opening_key,
    load_certificate,
    read_envelope_header,
    unwrap_data_key,
)
from ggzy.entities.login import login_message
from ggzy.evaluation import signing
from ggzy.evaluation.models import SigningKey
from ggzy.evaluation.report_signing import report_message
from ggzy.tendering.models import Tender
from tests.assistant.conftest import ASSISTANT, PORT, PORTAL, STRANGER, Running, handshake, start
from tests.conftest import TEST_NOW
from tests.factories import issue, make_published_tender
from tests.tendering.test_bids import Bidder
from tests.test_bidclient import AppTransport

SUMMARY = {"price_fen": 1_823_456_700}  # what the factories' tender declares: the price
FILES = {"商务标.pdf": b"%PDF commercial " * 300, "技术标.pdf": b"%PDF technical " * 300}


def _file_keys(tmp_path: Path, issued: IssuedCertificate) -> FileKeySource:
    key = tmp_path / "key.pem"
    key.write_text(issued.private_key_pem)
    return FileKeySource(certificate_pem=issued.certificate_pem, key_path=key)


@pytest.fixture
def gm_assistant(tmp_path: Path, assistant_home: Path, gm_ca: Path) -> Iterator[Running]:
    yield from start(assistant_home, _file_keys(tmp_path, issue(gm_ca)))


def _log_events(running: Running) -> list[str]:
    return [line["event"] for line in running.home.read_log()]


# --- pairing and origins ------------------------------------------------------------------------------------------


def test_another_origin_is_refused_with_no_cors_header_and_the_paired_one_is_answered(gm_assistant: Running) -> None:
    for origin in (STRANGER, "https://testserver:8080", "http://testserver", None):
        headers = {"Origin": origin} if origin else {}
        refused = gm_assistant.client.post("/v1/login", json={"nonce": "n"}, headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "assistant_origin_not_paired"
        assert "未与" in refused.json()["message_zh"]
        assert not any(name.lower().startswith("access-control-") for name in refused.headers)
        preflight = gm_assistant.client.options(
            "/v1/login", headers={**headers, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 403
        assert "access-control-allow-origin" not in preflight.headers
    assert gm_assistant.home.read_log()[-1]["event"] == "refused_origin"
    assert "requested" not in _log_events(gm_assistant)  # nothing was asked of the user

    preflight = gm_assistant.client.options(
        "/v1/seal",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == PORTAL
    assert preflight.headers["access-control-allow-private-network"] == "true"
    front = gm_assistant.client.get("/")  # any program may read it: it says the assistant runs, nothing more
    assert "正在运行" in front.text
    assert PORTAL not in front.text
    assert "PEM" not in front.text
    assert front.headers["x-frame-options"] == "DENY"
    status = gm_assistant.client.get("/v1/status", headers=gm_assistant.headers())
    assert status.status_code == 200
    assert status.json()["suite"] == "gm"
    assert status.headers["access-control-allow-origin"] == PORTAL


def test_a_request_addressed_to_another_host_name_is_refused(gm_assistant: Running) -> None:
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 still says ``Host: evil.example``."""
    rebound = gm_assistant.client.get("/v1/status", headers={"Origin": PORTAL, "Host": "evil.example:17999"})
    assert rebound.status_code == 421
    assert rebound.json()["code"] == "assistant_host_refused"


def test_the_assistant_listens_on_the_loopback_address_only(tmp_path: Path, gm_ca: Path) -> None:
    assert check_bind("127.0.0.1") == "127.0.0.1"
    for host in ("0.0.0.0", "192.168.1.20", "::", "localhost.evil.example"):
        with pytest.raises(BindRefused):
            check_bind(host)
    issued = issue(gm_ca)
    (tmp_path / "c.pem").write_text(issued.certificate_pem)
    (tmp_path / "k.pem").write_text(issued.private_key_pem)
    refused = CliRunner().invoke(
        main_cli,
        ["assistant", "serve", "--cert", str(tmp_path / "c.pem"), "--key", str(tmp_path / "k.pem"),
         "--portal", PORTAL, "--home", str(tmp_path / "home"), "--host", "0.0.0.0"],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "assistant_bind_refused" in refused.output


def test_pairing_is_kept_in_the_config_file_and_origins_are_written_as_browsers_write_them(tmp_path: Path) -> None:
    home = AssistantHome.open(tmp_path / "h", pair=["HTTPS://GGZY.example.cn:443/", "http://127.0.0.1:8000"])
    assert home.portals == ["https://ggzy.example.cn", "http://127.0.0.1:8000"]
    again = AssistantHome.open(tmp_path / "h")
    assert again.portals == home.portals
    assert again.pairings == home.pairings  # each portal keeps its own code across starts
    first, second = home.pairings.values()
    assert first != second
    assert len(first.replace("-", "")) == 32  # 160 bits in base32
    saved = json.loads((tmp_path / "h" / "config.json").read_text())["portals"]
    assert [item["origin"] for item in saved] == home.portals
    assert (tmp_path / "h" / "config.json").stat().st_mode & 0o077 == 0  # the codes: the user's own
    assert again.is_paired("https://ggzy.example.cn")
    assert not again.is_paired("https://ggzy.example.cn.evil.example")
    for bad in ("ggzy.example.cn", "https://ggzy.example.cn/login", "ftp://x", "https://u:p@x"):
        with pytest.raises(OriginInvalid):
            normalise_origin(bad)


def test_a_portal_is_paired_over_https_or_on_this_computer_only(tmp_path: Path) -> None:
    """A page served over plain HTTP from elsewhere could be altered on its way, and whoever altered it would speak to
    the assistant as the portal: refused, and nothing is written."""
    for insecure in ("http://ggzy.example.cn", "http://192.168.1.20:8000", "http://testserver"):
        with pytest.raises(OriginNotSecure):
            AssistantHome.open(tmp_path / "refused", pair=[insecure])
        assert not (tmp_path / "refused" / "config.json").exists()
    home = AssistantHome.open(tmp_path / "h", pair=["http://localhost:8000", "http://[::1]:8000", "https://a.example"])
    assert home.portals == ["http://localhost:8000", "http://[::1]:8000", "https://a.example"]


def test_a_config_of_before_the_pairing_codes_gets_a_code_for_each_portal(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "config.json").write_text(json.dumps({"portals": ["https://ggzy.example.cn"]}))
    home = AssistantHome.open(tmp_path / "h")
    assert list(home.pairings) == ["https://ggzy.example.cn"]
    assert (
        json.loads((tmp_path / "h" / "config.json").read_text())["portals"][0]["code"]
        == home.pairings["https://ggzy.example.cn"]
    )


# --- the pairing handshake ------------------------------------------------------------------------------------------


def test_the_paired_origin_alone_gets_nothing_without_the_handshake(gm_assistant: Running) -> None:
    """Any program on the computer can write ``Origin: <the portal>`` itself: it is still refused, and no request
    reaches the user, until it proves the pairing code."""
    for path, body in (("/v1/login", {"nonce": "n"}), ("/v1/score-sheet", {"message": "x"})):
        refused = gm_assistant.client.post(path, json=body, headers={"Origin": PORTAL})
        assert refused.status_code == 401
        assert refused.json()["code"] == "assistant_session_required"
        assert refused.headers["access-control-allow-origin"] == PORTAL  # the page can read it and shake hands
    for headers in ({"Authorization": "Bearer guessed"}, {"Authorization": "guessed"}):
        status = gm_assistant.client.get("/v1/status", headers={"Origin": PORTAL, **headers})
        assert status.status_code == 401
    assert "requested" not in _log_events(gm_assistant)
    assert gm_assistant.client.get("/v1/status", headers=gm_assistant.headers()).status_code == 200


def test_a_page_that_does_not_know_the_code_gets_no_session_and_its_challenge_is_used_up(
    gm_assistant: Running,
) -> None:
    hello = gm_assistant.client.get("/v1/hello", params={"challenge": "c" * 24}, headers={"Origin": PORTAL})
    challenge = hello.json()["challenge"]
    wrong = mac("WRONG-CODE", ANSWER_LABEL, ASSISTANT, PORTAL, challenge)
    refused = gm_assistant.client.post(
        "/v1/session", json={"challenge": challenge, "answer": wrong}, headers={"Origin": PORTAL}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "assistant_pairing_answer_wrong"
    code = gm_assistant.home.pairing_code(PORTAL)
    assert code is not None
    right = mac(code, ANSWER_LABEL, ASSISTANT, PORTAL, challenge)  # too late: a challenge is answered once
    again = gm_assistant.client.post(
        "/v1/session", json={"challenge": challenge, "answer": right}, headers={"Origin": PORTAL}
    )
    assert again.status_code == 403
    assert _log_events(gm_assistant) == ["refused_pairing"]  # the second, in the same minute, is counted only


def test_refusals_are_logged_once_a_minute_per_origin_with_their_count(
    tmp_path: Path, assistant_home: Path, gm_ca: Path
) -> None:
    """Anything that reaches the port can make refusals; the append-only log must not fill the disk with them."""
    clock = FixedClock(TEST_NOW)
    home = AssistantHome.open(assistant_home, pair=[PORTAL])
    assistant = Assistant.build(home, _file_keys(tmp_path, issue(gm_ca)), port=PORT, clock=clock)
    with TestClient(assistant.app(), base_url=ASSISTANT) as client:
        for _ in range(50):
            client.post("/v1/login", json={"nonce": "n"}, headers={"Origin": STRANGER})
        clock.advance(timedelta(minutes=1))
        client.post("/v1/login", json={"nonce": "n"}, headers={"Origin": STRANGER})
    lines = [line for line in home.read_log() if line["event"] == "refused_origin"]
    assert [line["refused_before_unlogged"] for line in lines] == [0, 49]


def test_the_assistant_proves_the_code_for_the_address_the_page_called(gm_assistant: Running) -> None:
    """An impostor on the port cannot make the proof; nor can a program relaying to an assistant on another port,
    because the proof names the address the page called."""
    code = gm_assistant.home.pairing_code(PORTAL)
    assert code is not None
    hello = gm_assistant.client.get("/v1/hello", params={"challenge": "p" * 24}, headers={"Origin": PORTAL}).json()
    assert hello["proof"] == mac(code, PROOF_LABEL, ASSISTANT, PORTAL, "p" * 24)
    assert hello["proof"] != mac(code, PROOF_LABEL, "http://127.0.0.1:17170", PORTAL, "p" * 24)
    assert hello["proof"] != mac("ANOTHER-CODE", PROOF_LABEL, ASSISTANT, PORTAL, "p" * 24)
    assert code not in json.dumps(hello)


def test_a_session_is_the_portals_that_opened_it(tmp_path: Path, assistant_home: Path, gm_ca: Path) -> None:
    other = "https://other.example"
    home = AssistantHome.open(assistant_home, pair=[PORTAL, other])
    assistant = Assistant.build(home, _file_keys(tmp_path, issue(gm_ca)), port=PORT, clock=FixedClock(TEST_NOW))
    with TestClient(assistant.app(), base_url=ASSISTANT) as client:
        code = home.pairing_code(PORTAL)
        assert code is not None
        token = handshake(client, code)
        borrowed = client.get("/v1/status", headers={"Origin": other, "Authorization": f"Bearer {token}"})
        assert borrowed.status_code == 401
        assert client.get("/v1/status", headers={"Origin": PORTAL, "Authorization": f"Bearer {token}"}).is_success


def test_a_session_ends_with_its_lifetime(tmp_path: Path, assistant_home: Path, gm_ca: Path) -> None:
    clock = FixedClock(TEST_NOW)
    home = AssistantHome.open(assistant_home, pair=[PORTAL])
    assistant = Assistant.build(home, _file_keys(tmp_path, issue(gm_ca)), port=PORT, clock=clock)
    with TestClient(assistant.app(), base_url=ASSISTANT) as client:
        code = home.pairing_code(PORTAL)
        assert code is not None
        headers = {"Origin": PORTAL, "Authorization": f"Bearer {handshake(client, code)}"}
        assert client.get("/v1/status", headers=headers).is_success
        clock.set(TEST_NOW + SESSION_LIFETIME)
        assert client.get("/v1/status", headers=headers).status_code == 401


# --- consent ------------------------------------------------------------------------------------------------------


def test_a_login_is_signed_only_after_the_user_approves_on_the_assistants_page(gm_assistant: Running) -> None:
    asked = gm_assistant.ask("/v1/login", json={"nonce": "abc123"})
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["id"]
    assert asked.json()["consent_url"] == f"{ASSISTANT}/consent/{request_id}"
    pending = gm_assistant.poll(request_id).json()
    assert pending["status"] == "pending"
    assert "result" not in pending

    page = gm_assistant.client.get(f"/consent/{request_id}")
    assert PORTAL in page.text
    assert "证书登录" in page.text
    assert f"ggzy-login:{PORTAL} abc123" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "access-control-allow-origin" not in page.headers
    # Approve starts disabled; only the page's own script arms it, a second after the window is seen and again after
    # every change of focus (double-click-jacking). The policy allows that one script, by its digest, and no other.
    assert 'value="approve" data-arm disabled' in page.text
    assert ARMING_SCRIPT in page.text
    digest = base64.b64encode(hashlib.sha256(ARMING_SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page.headers["content-security-policy"]
    assert "unsafe-inline'; form" not in page.headers["content-security-policy"].split("script-src")[1]

    # the portal's script cannot answer for the user: its Origin is the portal's and it lacks the page's token
    token = page.text.split('name="consent_token" value="')[1].split('"')[0]
    for origin, sent_token in ((PORTAL, token), (ASSISTANT, "guessed")):
        forged = gm_assistant.client.post(
            f"/consent/{request_id}", data={"consent_token": sent_token, "decision": "approve"},
            headers={"Origin": origin},
        )  # fmt: skip
        assert forged.status_code == 403
        assert forged.json()["code"] == "assistant_consent_forged"
    assert gm_assistant.poll(request_id).json()["status"] == "pending"

    approved = gm_assistant.decide(request_id, "approve")
    assert approved.status_code == 200
    assert "已批准并完成" in approved.text
    done = gm_assistant.poll(request_id).json()
    assert done["status"] == "done"
    keys = gm_assistant.assistant.operations.keys
    certificate = load_certificate(done["result"]["certificate_pem"])
    # signed for the portal that asked, by its origin: good there only (a relayed challenge fails elsewhere)
    certificate.public_key.verify(login_message("abc123", PORTAL), base64.b64decode(done["result"]["signature"]))
    assert certificate.public_key == keys.certificate.public_key
    assert "PRIVATE KEY" not in json.dumps(done)
    assert _log_events(gm_assistant) == ["requested", "refused_consent", "refused_consent", "approved", "done"]
    assert gm_assistant.home.read_log()[0]["digest"] == hashlib.sha256(login_message("abc123", PORTAL)).hexdigest()


def test_a_declined_request_signs_nothing_and_takes_no_second_decision(gm_assistant: Running) -> None:
    request_id = gm_assistant.ask("/v1/login", json={"nonce": "abc123"}).json()["id"]
    declined = gm_assistant.decide(request_id, "decline")
    assert "已拒绝" in declined.text
    answer = gm_assistant.poll(request_id).json()
    assert answer["status"] == "declined"
    assert answer["problem"]["code"] == "assistant_request_declined"
    assert "未签名" in answer["problem"]["message_zh"]
    assert "result" not in answer
    token = gm_assistant.client.get(f"/consent/{request_id}").text
    assert 'name="consent_token"' not in token  # the page offers no second decision
    assert _log_events(gm_assistant) == ["requested", "declined"]
    log = gm_assistant.home.read_log()
    assert log[0]["platform"] == PORTAL
    assert log[0]["action"].startswith("证书登录")
    assert len(log[0]["digest"]) == 64


def test_a_page_cancelling_its_request_leaves_it_unapproved(gm_assistant: Running) -> None:
    request_id = gm_assistant.ask("/v1/login", json={"nonce": "abc123"}).json()["id"]
    cancelled = gm_assistant.ask(f"/v1/requests/{request_id}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    late = gm_assistant.client.get(f"/consent/{request_id}")
    assert 'name="consent_token"' not in late.text
    other_portal = gm_assistant.poll(request_id, origin=STRANGER)
    assert other_portal.status_code == 403


def test_a_request_left_unanswered_expires_unsigned(gm_assistant: Running) -> None:
    request_id = gm_assistant.ask("/v1/login", json={"nonce": "abc123"}).json()["id"]
    clock = gm_assistant.assistant.operations.clock
    assert isinstance(clock, FixedClock)
    clock.advance(DECISION_WINDOW + timedelta(seconds=1))
    assert gm_assistant.poll(request_id).json()["status"] == "cancelled"
    assert 'name="consent_token"' not in gm_assistant.client.get(f"/consent/{request_id}").text
    assert _log_events(gm_assistant) == ["requested", "cancelled"]


def test_the_log_is_appended_to_across_runs(tmp_path: Path, assistant_home: Path, gm_ca: Path) -> None:
    keys = _file_keys(tmp_path, issue(gm_ca))
    for nonce in ("first", "second"):
        for running in start(assistant_home, keys):
            running.decide(running.ask("/v1/login", json={"nonce": nonce}).json()["id"], "decline")
    log = AssistantHome.open(assistant_home).read_log()
    assert [line["event"] for line in log] == ["requested", "declined", "requested", "declined"]
    assert all(line["at"].endswith("+00:00") for line in log)


# --- sealing and submitting a bid ----------------------------------------------------------------------------------


@pytest.fixture
def tender(db: Session, trusted: dict[str, int]) -> Tender:
    tender, _ = make_published_tender(db)
    assert isinstance(tender, Tender)
    return tender


def _seal(running: Running, tender_id: int, *, summary: Any = SUMMARY, origin: str = PORTAL) -> Any:
    return running.ask(
        "/v1/seal",
        origin=origin,
        data={
            "tender_url": f"{PORTAL}/api/v1/tenders/{tender_id}",
            "tender_title": "测试工程施工招标",
            "summary": json.dumps(summary, ensure_ascii=False),
        },
        files=[("files", (name, io.BytesIO(content), "application/pdf")) for name, content in FILES.items()],
    )


@pytest.mark.parametrize("suite", [Suite.GM, Suite.INTL])
def test_a_bid_sealed_by_the_assistant_is_uploaded_once_and_decrypted_at_the_opening(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, intl_ca: Path, tmp_path: Path, suite: Suite
) -> None:
    bidder = Bidder(db, gm_ca if suite is Suite.GM else intl_ca, tender.id)
    db.commit()
    transport = AppTransport(client)
    for running in start(tmp_path / "home", _file_keys(tmp_path, bidder.issued), transport):
        asked = _seal(running, tender.id)
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["id"]
        assert transport.requests == [], "nothing reaches the platform before the user approves"
        assert len(list((running.home.path / "staging").rglob("*"))) == 3  # the files wait here, on this computer
        page = running.client.get(f"/consent/{request_id}").text
        assert "18,234,567.00 元（1823456700 分）" in page  # the user sees the price it signs, in 元
        assert "商务标.pdf" in page

        assert running.decide(request_id, "approve").status_code == 200
        done = running.poll(request_id).json()
        assert done["status"] == "done", done
        assert not list((running.home.path / "staging").rglob("*")), "the files in the clear are gone"
        envelope = running.client.get(f"/v1/requests/{request_id}/envelope", headers=running.headers())
        assert envelope.status_code == 200
        header = read_envelope_header(io.BytesIO(envelope.content))
        assert header.ciphertext_sha256 == done["result"]["ciphertext_sha256"]
        assert header.suite is suite

        second_tab = running.client.get(f"/v1/requests/{request_id}/envelope", headers=running.headers())
        assert second_tab.status_code == 409
        assert second_tab.json()["code"] == "assistant_envelope_already_taken"

        uploaded = client.post(
            f"/api/v1/tenders/{tender.id}/bids", files={"envelope": ("BID.ggzy", envelope.content)},
            headers=bidder.headers,
        )  # fmt: skip
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["ciphertext_sha256"] == header.ciphertext_sha256

        # at the opening the page asks for the data key of the envelope it holds
        decrypting = running.ask(
            "/v1/decrypt",
            json={"tender_url": f"{PORTAL}/api/v1/tenders/{tender.id}", "ciphertext_sha256": header.ciphertext_sha256},
        )
        assert decrypting.status_code == 202, decrypting.text
        running.decide(decrypting.json()["id"], "approve")
        data_key = base64.b64decode(running.poll(decrypting.json()["id"]).json()["result"]["data_key"])
        key = running.assistant.operations.keys.private_key()
        assert data_key == unwrap_data_key(header, key, "bidder")


def test_a_declined_seal_writes_no_envelope_and_keeps_no_file(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    transport = AppTransport(client)
    for running in start(tmp_path / "home", _file_keys(tmp_path, bidder.issued), transport):
        request_id = _seal(running, tender.id).json()["id"]
        running.decide(request_id, "decline")
        assert running.poll(request_id).json()["status"] == "declined"
        assert not list(running.home.envelopes.iterdir())
        assert not list((running.home.path / "staging").rglob("*"))
        assert transport.requests == []
        gone = running.client.get(f"/v1/requests/{request_id}/envelope", headers=running.headers())
        assert gone.status_code == 404


def test_what_the_bidder_client_refuses_reaches_the_page_and_nothing_is_sealed(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    for running in start(tmp_path / "home", _file_keys(tmp_path, bidder.issued), AppTransport(client)):
        floating = running.ask(
            "/v1/seal",
            data={"tender_url": f"{PORTAL}/api/v1/tenders/{tender.id}", "summary": '{"price_fen": 18234567.5}'},
            files=[("files", ("a.pdf", b"%PDF", "application/pdf"))],
        )
        assert floating.status_code == 422
        assert floating.json()["code"] == "summary_not_integer"
        assert floating.headers["access-control-allow-origin"] == PORTAL  # the page can read why
        elsewhere = running.ask(
            "/v1/seal",
            data={"tender_url": "https://other.example/api/v1/tenders/1", "summary": "{}"},
            files=[("files", ("a.pdf", b"%PDF", "application/pdf"))],
        )
        assert elsewhere.status_code == 403
        assert elsewhere.json()["code"] == "assistant_tender_elsewhere"
        unknown = running.ask(
            "/v1/decrypt", json={"tender_url": f"{PORTAL}/api/v1/tenders/{tender.id}", "ciphertext_sha256": "a" * 64}
        )
        assert unknown.status_code == 404
        assert "requested" not in _log_events(running)
        assert not list(running.home.envelopes.iterdir())


# --- a custodian's share and an expert's score sheet ---------------------------------------------------------------


def test_a_gm_certificate_does_not_sign_score_sheets_and_a_share_release_names_a_tender_url(
    tmp_path: Path, gm_ca: Path, assistant_home: Path
) -> None:
    """A custodian's share release is bound to a tender URL of the asking platform (tests/assistant/
    test_share_release.py: the deadline, the listed share and its published digest); a bare tender id is refused."""
    custodian = issue(gm_ca, name="云南省公共资源交易中心")
    other = issue(gm_ca, name="昆明市公证处")
    setup = create_opening_key(Suite.GM, [custodian.certificate, other.certificate], 2)
    share = next(s for s in setup.shares if s.custodian_fingerprint == custodian.certificate.public_key.fingerprint)
    for running in start(assistant_home, _file_keys(tmp_path, custodian)):
        body = {"tender_id": 7, "suite": "gm", "share_index": share.index,
                "encrypted_share": base64.b64encode(share.ciphertext).decode()}  # fmt: skip
        assert running.ask("/v1/share-release", json=body).status_code == 422
        assert "requested" not in _log_events(running)

        message = "ggzy score sheet v1\ntender=7\nbid=3\nmember=2\nprice=30.00\n"
        gm_refused = running.ask("/v1/score-sheet", json={"message": message})
        assert gm_refused.status_code == 422  # the platform verifies sheets with P-256 keys only
        assert "国密证书请用浏览器中登记的签名密钥" in gm_refused.json()["message_zh"]


def test_an_expert_signs_a_score_sheet_as_the_platform_verifies_it(
    tmp_path: Path, intl_ca: Path, assistant_home: Path
) -> None:
    expert = issue(intl_ca)
    for running in start(assistant_home, _file_keys(tmp_path, expert)):
        message = "ggzy score sheet v1\ntender=7\nbid=3\nmember=2\nprice=30.00\n"
        request_id = running.ask("/v1/score-sheet", json={"message": message}).json()["id"]
        assert "price=30.00" in running.client.get(f"/consent/{request_id}").text
        running.decide(request_id, "approve")
        signed = running.poll(request_id).json()["result"]
        _, der = signing.public_key_of(signed["public_key"])  # what /workspace/expert/signing-key enrols
        enrolled = SigningKey(public_key=base64.b64encode(der).decode(), fingerprint=signing.fingerprint_of(der))
        signing.verify(enrolled, message=message, signature=signed["signature"])
        with pytest.raises(signing.SignatureInvalid):
            signing.verify(enrolled, message=message.replace("30.00", "31.00"), signature=signed["signature"])
        refused = running.ask("/v1/score-sheet", json={"message": "pay 1000000 to account 42"})
        assert refused.status_code == 422


def test_an_expert_signs_the_evaluation_report_as_the_platform_verifies_it_实施条例第53条(
    tmp_path: Path, intl_ca: Path, assistant_home: Path
) -> None:
    """实施条例 第53条: every member signs the report; a dissent is written with its reasons. The assistant signs
    ``report_signing.report_message`` with the enrolled P-256 key, as a score sheet, and shows the opinion first."""
    expert = issue(intl_ca)
    dissent = report_message(
        tender_id=7, member_id=2, report_sha256="ab" * 32, opinion="dissent", reasons="第三名的技术分计算有误。"
    )
    for running in start(assistant_home, _file_keys(tmp_path, expert)):
        request_id = running.ask("/v1/report", json={"message": dissent}).json()["id"]
        consent = running.client.get(f"/consent/{request_id}").text
        assert "签署评标报告" in consent
        assert "不同意" in consent
        running.decide(request_id, "approve")
        signed = running.poll(request_id).json()["result"]
        _, der = signing.public_key_of(signed["public_key"])
        enrolled = SigningKey(public_key=base64.b64encode(der).decode(), fingerprint=signing.fingerprint_of(der))
        signing.verify(enrolled, message=dissent, signature=signed["signature"])
        with pytest.raises(signing.SignatureInvalid):
            signing.verify(enrolled, message=dissent.replace("dissent", "agree"), signature=signed["signature"])
        agree = report_message(tender_id=7, member_id=2, report_sha256="ab" * 32, opinion="agree", reasons="")
        for refused in (
            "ggzy score sheet v1\ntender=7\nbid=3\nmember=2\nprice=30.00\n",  # a sheet is not a report
            agree.replace("reasons=\n", "reasons=" + "0" * 64 + "\n"),  # agree with reasons
            dissent.split("reasons=")[0] + "reasons=\n",  # a dissent without its written reasons
            agree + "pay=1000000\n",
        ):
            answer = running.ask("/v1/report", json={"message": refused})
            assert answer.status_code == 422, refused
            assert answer.json()["code"] == "invalid_input"
        assert [line["kind"] for line in running.home.read_log() if line["event"] == "requested"] == ["report"]


def test_the_assistant_refuses_a_summary_without_the_declared_price_and_seals_nothing(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    """Issue 11's example: a summary whose price is not under the declared key seals nothing, through the assistant
    as through ``ggzy bid seal`` (the same check, bidclient.seal_for_tender)."""
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    transport = AppTransport(client)
    for running in start(tmp_path / "home", _file_keys(tmp_path, bidder.issued), transport):
        asked = _seal(running, tender.id, summary={"投标报价": 420000000, "工期": 300})
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["id"]
        assert running.decide(request_id, "approve").status_code == 200
        done = running.poll(request_id).json()
        assert done["status"] == "failed", done
        assert done["problem"]["code"] == "summary_incomplete"
        assert not list(running.home.envelopes.iterdir()), "no envelope was written"
        assert not list((running.home.path / "staging").rglob("*")), "the files in the clear are gone"
        refused = running.client.get(f"/v1/requests/{request_id}/envelope", headers=running.headers())
        assert refused.status_code >= 400


def test_a_bid_is_decrypted_only_for_the_lot_it_was_sealed_for(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    """A page that presents one lot's envelope as another tender's opening gets no data key (a security review
    found the envelope was looked up by its digest alone): the assistant reads the lot from the envelope, shows it,
    and compares it with the lot of the tender the platform describes."""
    other, _ = make_published_tender(db)
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    for running in start(tmp_path / "home", _file_keys(tmp_path, bidder.issued), AppTransport(client)):
        sealing = _seal(running, tender.id)
        running.decide(sealing.json()["id"], "approve")
        sealed = running.poll(sealing.json()["id"]).json()
        assert sealed["status"] == "done", sealed
        digest = sealed["result"]["ciphertext_sha256"]
        asked = running.ask(
            "/v1/decrypt",
            json={"tender_url": f"{PORTAL}/api/v1/tenders/{other.id}", "tender_title": "另一个项目（正在开标）",
                  "ciphertext_sha256": digest},
        )  # fmt: skip
        assert asked.status_code == 202, asked.text
        consent = running.client.get(f"/consent/{asked.json()['id']}").text
        assert sealed["result"]["lot_code"] in consent  # the user sees the lot the envelope is sealed for
        running.decide(asked.json()["id"], "approve")
        done = running.poll(asked.json()["id"]).json()
        assert done["status"] == "failed", done
        assert done["problem"]["code"] == "assistant_envelope_of_another_tender"
        assert "result" not in done or not done["result"]


def test_an_abandoned_seal_leaves_no_bid_file_waiting_once_anything_else_is_asked(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    """A page that went away without cancelling (a closed tab): its request's files in the clear are swept when the
    next request or lookup comes, not kept until the assistant restarts (the security review's finding)."""
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    for running in start(tmp_path / "home", _file_keys(tmp_path, bidder.issued), AppTransport(client)):
        assert _seal(running, tender.id).status_code == 202
        staging = running.home.path / "staging"
        assert list(staging.rglob("*")), "the files wait for the user's decision"
        clock = running.assistant.operations.clock
        assert isinstance(clock, FixedClock)
        clock.advance(DECISION_WINDOW + timedelta(seconds=1))
        running.ask("/v1/login", json={"nonce": "next"})  # any later request
        assert not [path for path in staging.rglob("*") if path.is_file()], "the abandoned bid's files are gone"
        assert [line["event"] for line in running.home.read_log()][-2:] == ["cancelled", "requested"]


def test_one_request_at_a_time_waits_for_the_user(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    """A page cannot queue a second request behind the first and swap the consent window under the user's click:
    while one waits, another is refused, and a refused seal keeps none of its files."""
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    for running in start(tmp_path / "home", _file_keys(tmp_path, bidder.issued), AppTransport(client)):
        first = running.ask("/v1/login", json={"nonce": "first"})
        assert first.status_code == 202, first.text
        second = _seal(running, tender.id)
        assert (second.status_code, second.json()["code"]) == (409, "assistant_another_request_pending")
        assert not [path for path in (running.home.path / "staging").rglob("*") if path.is_file()]
        running.decide(first.json()["id"], "decline")
        assert _seal(running, tender.id).status_code == 202  # once the first is decided, the next may ask
