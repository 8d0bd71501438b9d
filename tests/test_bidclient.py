"""``ggzy bid``: the bidder's client seals offline, submits to the real server code, checks the signed receipt, and
unwraps its own data key; HTTP goes through a transport around FastAPI's TestClient or, once, through urllib against
a uvicorn server."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from ggzy.app import create_app
from ggzy.bidclient import (
    BidClientError,
    HttpResponse,
    MultipartBody,
    SummaryRefused,
    TenderUrl,
    fetch_tender_material,
    parse_summary,
    receipt_message,
    seal_for_tender,
    verify_receipt,
)
from ggzy.bidclient_cli import bid_app
from ggzy.cli import app as main_cli
from ggzy.config import Settings
from ggzy.core.clock import FixedClock
from ggzy.core.public_ids import BID, new_public_id
from ggzy.crypto import (
    IssuedCertificate,
    Suite,
    generate_exchange_key,
    load_private_key_pem,
    open_bid,
    read_envelope_header,
)
from ggzy.entities.models import RoleBinding, User
from ggzy.ledger.service import LedgerKeys
from ggzy.tendering.models import OpeningKey, SealedBid, Tender
from ggzy.tendering.summary_form import FieldKind, SummaryField
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import bidder_user, issue, make_published_tender, token_for
from tests.tendering.test_bids import Bidder

SUMMARY = {"price_fen": 1_823_456_700, "schedule_days": 540, "quality": "合格"}
DEVICE = {"mac": "00:11:22:33:44:55", "disk": "S3YJNX0K", "cpu": "BFEBFBFF000906EA"}
runner = CliRunner()


class AppTransport:
    """The client's transport over FastAPI's TestClient: the real application code answers, in process."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.requests: list[tuple[str, str]] = []

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
    ) -> HttpResponse:
        self.requests.append((method, url))
        content = body if body is None or isinstance(body, bytes) else b"".join(body)
        response = self.client.request(method, url, headers=dict(headers or {}), content=content)
        return HttpResponse(response.status_code, dict(response.headers), response.content)


def _invoke(args: list[str], transport: object | None = None) -> Result:
    return runner.invoke(bid_app, args, obj={"transport": transport} if transport else None)


def _bidder_files(tmp_path: Path, issued: IssuedCertificate, summary: object = SUMMARY) -> dict[str, Path]:
    """The bidder's inputs on disk: certificate, key, summary, a file and a directory of files."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    paths = {
        "cert": tmp_path / "bidder.pem",
        "key": tmp_path / "bidder-key.pem",
        "summary": tmp_path / "summary.json",
        "commercial": tmp_path / "商务标.pdf",
        "technical": tmp_path / "技术标",
    }
    paths["cert"].write_text(issued.certificate_pem)
    paths["key"].write_text(issued.private_key_pem)
    paths["summary"].write_text(json.dumps(summary, ensure_ascii=False) if not isinstance(summary, str) else summary)
    paths["commercial"].write_bytes(b"%PDF commercial " * 5000)
    (paths["technical"] / "附件").mkdir(parents=True)
    (paths["technical"] / "施工组织设计.pdf").write_bytes(b"%PDF technical " * 3000)
    (paths["technical"] / "附件" / "资质证书.pdf").write_bytes(b"%PDF licence")
    return paths


def _seal_args(paths: dict[str, Path], out: Path) -> list[str]:
    return [
        "seal",
        "--cert",
        str(paths["cert"]),
        "--key",
        str(paths["key"]),
        "--summary",
        str(paths["summary"]),
        "--file",
        str(paths["commercial"]),
        "--file",
        str(paths["technical"]),
        "--out",
        str(out),
    ]


def _token(bidder: Bidder) -> str:
    return bidder.headers["authorization"].removeprefix("Bearer ")


# the items of SUMMARY beyond the price, as the tender declares them (开标一览表)
DECLARED = (
    SummaryField("schedule_days", "工期（日历天）", "Schedule (calendar days)", FieldKind.DAYS, True),
    SummaryField("quality", "质量标准", "Quality", FieldKind.TEXT, False),
)


@pytest.fixture
def tender(db: Session, trusted: dict[str, int]) -> Tender:
    tender, _ = make_published_tender(db, summary_fields=DECLARED)
    assert isinstance(tender, Tender)
    return tender


@pytest.mark.parametrize("suite", [Suite.GM, Suite.INTL])
def test_a_bid_sealed_offline_opens_with_the_bidders_key(
    tmp_path: Path, gm_ca: Path, intl_ca: Path, suite: Suite
) -> None:
    issued = issue(gm_ca if suite is Suite.GM else intl_ca)
    paths = _bidder_files(tmp_path, issued)
    opening = generate_exchange_key(suite)
    (tmp_path / "opening.pem").write_text(opening.public_key.to_pem())
    envelope = tmp_path / "out" / "BID.ggzy"

    sealed = _invoke(
        [*_seal_args(paths, envelope), "--lot-code", "E5301000001/1", "--opening-key", str(tmp_path / "opening.pem")]
    )
    assert sealed.exit_code == 0, sealed.output
    with envelope.open("rb") as stream:
        header = read_envelope_header(stream)
    assert header.lot_code == "E5301000001/1"
    assert header.recipient("opening").key_fingerprint == opening.public_key.fingerprint
    assert "SHA-256" in sealed.output
    assert header.ciphertext_sha256 in sealed.output.replace("\n", "").replace("│", "").replace(" ", "")
    assert f"{envelope.stat().st_size:,} B" in sealed.output

    opened = _invoke(
        ["open", "--envelope", str(envelope), "--key", str(paths["key"]), "--out", str(tmp_path / "check")]
    )
    assert opened.exit_code == 0, opened.output
    check = tmp_path / "check"
    assert json.loads((check / "bid.json").read_text()) == SUMMARY
    assert (check / "files" / "商务标.pdf").read_bytes() == paths["commercial"].read_bytes()
    assert (check / "files" / "技术标" / "附件" / "资质证书.pdf").read_bytes() == b"%PDF licence"
    assert (check / "bid.sig").stat().st_size > 0
    assert "inner signature verified" in opened.output

    # Never overwritten: neither the envelope nor a check directory with something in it.
    again = _invoke([*_seal_args(paths, envelope), "--lot-code", "X/1", "--opening-key", str(tmp_path / "opening.pem")])
    assert again.exit_code == 1
    assert "output_exists" in again.output
    reopened = _invoke(["open", "--envelope", str(envelope), "--key", str(paths["key"]), "--out", str(check)])
    assert reopened.exit_code == 1
    assert "output_exists" in reopened.output


def test_seal_needs_a_tender_url_or_both_offline_inputs(tmp_path: Path, gm_ca: Path) -> None:
    paths = _bidder_files(tmp_path, issue(gm_ca))
    only_lot = _invoke([*_seal_args(paths, tmp_path / "b.ggzy"), "--lot-code", "X/1"])
    assert only_lot.exit_code == 1
    assert "--opening-key" in only_lot.output
    assert not (tmp_path / "b.ggzy").exists()


@pytest.mark.parametrize("amount", ["18234567.5", "1.8234567e9", "1823456700.0", "NaN"])
def test_a_float_in_the_summary_is_refused(tmp_path: Path, gm_ca: Path, amount: str) -> None:
    paths = _bidder_files(tmp_path, issue(gm_ca), summary=f'{{"price_fen": {amount}, "schedule_days": 540}}')
    opening = generate_exchange_key(Suite.GM)
    (tmp_path / "opening.pem").write_text(opening.public_key.to_pem())
    out = tmp_path / "BID.ggzy"
    result = _invoke([*_seal_args(paths, out), "--lot-code", "X/1", "--opening-key", str(tmp_path / "opening.pem")])
    assert result.exit_code == 1
    assert "summary_not_integer" in result.output
    assert "分" in result.output
    assert "integer fen" in result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".BID.ggzy.*")), "no staging file is left behind"


def test_the_summary_must_be_an_object_without_repeated_keys() -> None:
    assert parse_summary('\ufeff{"price_fen": 1}'.encode()) == {"price_fen": 1}
    for bad in (b"[1, 2]", b'{"a": 1, "a": 2}', b"{", '{"a": "合格"}'.encode("gbk")):
        with pytest.raises(BidClientError) as caught:
            parse_summary(bad)
        assert caught.value.code == "summary_invalid"


def test_tender_urls() -> None:
    url = TenderUrl.parse("https://ggzy.example.cn/api/v1/tenders/42/")
    assert (url.api_base, url.tender_id) == ("https://ggzy.example.cn/api/v1", 42)
    assert url.ledger_keys == "https://ggzy.example.cn/api/v1/ledger/keys"
    assert url.decryptions == "https://ggzy.example.cn/api/v1/tenders/42/decryptions"
    for bad in ("ggzy.example.cn/api/v1/tenders/42", "http://h/api/v1/tenders/x", "http://h/api/v1/tenders/4/bids"):
        with pytest.raises(BidClientError):
            TenderUrl.parse(bad)


def test_the_multipart_body_streams_the_file_and_announces_its_length(tmp_path: Path) -> None:
    envelope = tmp_path / "投标.ggzy"
    envelope.write_bytes(bytes(range(256)) * 10_000)
    body = MultipartBody.for_file("envelope", envelope)
    chunks = list(body.chunks())
    assert sum(len(chunk) for chunk in chunks) == body.length == int(body.headers["Content-Length"])
    assert max(len(chunk) for chunk in chunks) <= 1 << 20
    assert b'filename="envelope.ggzy"' in chunks[0], "a non-ASCII name is not put into the header"
    envelope.write_bytes(b"shorter")
    with pytest.raises(BidClientError, match="changed"):
        list(body.chunks())


@pytest.mark.parametrize("suite", [Suite.GM, Suite.INTL])
def test_seal_from_the_tender_url_submit_and_verify_the_receipt(
    client: TestClient,
    db: Session,
    app: FastAPI,
    tender: Tender,
    gm_ca: Path,
    intl_ca: Path,
    tmp_path: Path,
    suite: Suite,
) -> None:
    bidder = Bidder(db, gm_ca if suite is Suite.GM else intl_ca, tender.id)
    db.commit()
    transport = AppTransport(client)
    tender_url = f"http://testserver/api/v1/tenders/{tender.id}"
    paths = _bidder_files(tmp_path, bidder.issued)
    envelope = tmp_path / "BID.ggzy"

    sealed = _invoke([*_seal_args(paths, envelope), "--tender-url", tender_url], transport)
    assert sealed.exit_code == 0, sealed.output
    assert transport.requests == [("GET", tender_url), ("GET", f"{tender_url}/opening-keys")], "fetched once"
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == suite.value))
    assert key is not None
    with envelope.open("rb") as stream:
        header = read_envelope_header(stream)
    assert header.suite is suite
    assert header.lot_code == client.get(f"/api/v1/tenders/{tender.id}").json()["lot_code"]

    submitted = _invoke(
        [
            "submit",
            "--tender-url",
            tender_url,
            "--envelope",
            str(envelope),
            "--token",
            _token(bidder),
            "--device-json",
            json.dumps(DEVICE),
        ],
        transport,
    )
    assert submitted.exit_code == 0, submitted.output
    assert "Receipt verified" in submitted.output
    receipt_file = tmp_path / "BID.ggzy.receipt.json"
    receipt = json.loads(receipt_file.read_text())
    assert receipt["ciphertext_sha256"] == header.ciphertext_sha256
    assert receipt["tender_id"] == tender.id
    assert str(receipt["bid_id"]) in submitted.output
    assert app.state.blob_store.exists(header.ciphertext_sha256)
    stored = db.scalars(select(SealedBid).where(SealedBid.tender_id == tender.id)).one()
    assert stored.ciphertext_sha256 == header.ciphertext_sha256
    mine = client.get(f"/api/v1/tenders/{tender.id}/bids/mine", headers=bidder.headers).json()
    assert [bid["status"] for bid in mine] == ["active"]

    # The receipt verifies against the platform's published key, and not once anything in it changes.
    platform_key = LEDGER_KEYS.verifier_keys[0]
    assert client.get("/api/v1/ledger/keys").json()["verifier_keys"][0] == platform_key
    verify_receipt(receipt, platform_key, ciphertext_sha256=header.ciphertext_sha256, tender_id=tender.id)
    tampered: list[dict[str, Any]] = [
        receipt | {"bid_id": new_public_id(BID)},
        receipt | {"received_at": "2026-11-24T05:59:59+00:00"},
        receipt | {"ciphertext_sha256": "0" * 64},
        receipt | {"ciphertext_size": receipt["ciphertext_size"] - 1},
        receipt | {"signature": base64.b64encode(bytes(64)).decode()},
        receipt | {"note": "extra"},
    ]
    for changed in tampered:
        with pytest.raises(BidClientError) as caught:
            verify_receipt(changed, platform_key)
        assert caught.value.code == "receipt_invalid", changed
    other_platform = LedgerKeys.generate("ggzy.test/ledger").verifier_keys[0]
    with pytest.raises(BidClientError, match="signature"):
        verify_receipt(receipt, other_platform)
    with pytest.raises(BidClientError, match="ciphertext"):
        verify_receipt(receipt, platform_key, ciphertext_sha256="f" * 64)
    with pytest.raises(BidClientError) as sm2_key:
        verify_receipt(receipt, LEDGER_KEYS.verifier_keys[1])
    assert sm2_key.value.code == "platform_key_invalid"

    # With a pinned key, a platform answering under another key is caught and its answer kept as evidence.
    resealed = tmp_path / "BID2.ggzy"
    assert _invoke([*_seal_args(paths, resealed), "--tender-url", tender_url], transport).exit_code == 0
    pinned = _invoke(
        [
            *["submit", "--tender-url", tender_url, "--envelope", str(resealed)],
            *["--token", _token(bidder), "--platform-key", other_platform],
        ],
        transport,
    )
    assert pinned.exit_code == 1
    assert "receipt_invalid" in pinned.output
    assert not (tmp_path / "BID2.ggzy.receipt.json").exists()
    assert json.loads((tmp_path / "BID2.ggzy.receipt.unverified.json").read_text())["tender_id"] == tender.id


def test_the_signed_bytes_are_the_canonical_json_without_the_signature() -> None:
    receipt = {"tender_id": 7, "bid_id": 1, "received_at": "2026-11-24T06:00:00+00:00", "signature": "x"}
    assert receipt_message(receipt) == b'{"bid_id":1,"received_at":"2026-11-24T06:00:00+00:00","tender_id":7}'


def test_a_refusal_is_printed_with_its_code_and_both_messages(
    client: TestClient,
    db: Session,
    tender: Tender,
    gm_ca: Path,
    tmp_path: Path,
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    stranger = bidder_user(db)
    db.commit()
    transport = AppTransport(client)
    tender_url = f"http://testserver/api/v1/tenders/{tender.id}"
    paths = _bidder_files(tmp_path, bidder.issued)
    envelope = tmp_path / "BID.ggzy"
    assert _invoke([*_seal_args(paths, envelope), "--tender-url", tender_url], transport).exit_code == 0

    refused = _invoke(
        ["submit", "--tender-url", tender_url, "--envelope", str(envelope), "--token", _token_of(db, stranger)],
        transport,
    )
    assert refused.exit_code == 1
    assert "bid_not_registered" in refused.output
    assert "HTTP 403" in refused.output
    assert "贵单位尚未报名本项目" in refused.output
    assert "has not registered for this tender" in refused.output
    assert not (tmp_path / "BID.ggzy.receipt.json").exists()

    unknown = _invoke(
        ["seal", *_seal_args(paths, tmp_path / "x.ggzy")[1:], "--tender-url", tender_url + "999"], transport
    )
    assert unknown.exit_code == 1
    assert "not_found" in unknown.output


def _token_of(db: Session, user: User) -> str:
    return token_for(db, user)["authorization"].removeprefix("Bearer ")


def test_decrypt_print_key_gives_the_key_that_opens_the_envelope(
    db: Session,
    tender: Tender,
    gm_ca: Path,
    tmp_path: Path,
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    key = db.scalar(select(OpeningKey).where(OpeningKey.tender_id == tender.id, OpeningKey.suite == "gm"))
    assert key is not None
    (tmp_path / "opening.pem").write_text(key.public_key_pem)
    paths = _bidder_files(tmp_path, bidder.issued)
    envelope = tmp_path / "BID.ggzy"
    args = [*_seal_args(paths, envelope), "--lot-code", "L/1", "--opening-key", str(tmp_path / "opening.pem")]
    assert _invoke(args).exit_code == 0

    printed = _invoke(["decrypt", "--envelope", str(envelope), "--key", str(paths["key"]), "--print-key"])
    assert printed.exit_code == 0, printed.output
    data_key = base64.b64decode(printed.output.strip(), validate=True)
    with envelope.open("rb") as stream:
        opened = open_bid(read_envelope_header(stream), stream, data_key)
    assert opened.summary == SUMMARY
    assert opened.file("技术标/施工组织设计.pdf").content == b"%PDF technical " * 3000

    other = issue(gm_ca)
    (tmp_path / "other-key.pem").write_text(other.private_key_pem)
    wrong = _invoke(["decrypt", "--envelope", str(envelope), "--key", str(tmp_path / "other-key.pem"), "--print-key"])
    assert wrong.exit_code == 1
    assert "key_not_bidders" in wrong.output
    neither = _invoke(["decrypt", "--envelope", str(envelope), "--key", str(paths["key"])])
    assert neither.exit_code == 1


def test_decrypt_hands_the_data_key_to_the_real_opening(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path, clock: FixedClock
) -> None:
    """`ggzy bid decrypt` unwraps the key locally and the platform's opening decrypts the bid with it."""
    from tests.factories import principal
    from tests.tendering.test_bids import _post, seal

    bidder = Bidder(db, gm_ca, tender.id)
    others = [Bidder(db, gm_ca, tender.id) for _ in range(2)]
    for other in others:
        assert _post(client, tender.id, seal(db, tender, other), other.headers).status_code == 201
    db.commit()
    transport = AppTransport(client)
    tender_url = f"http://testserver/api/v1/tenders/{tender.id}"
    paths = _bidder_files(tmp_path, bidder.issued)
    envelope = tmp_path / "BID.ggzy"
    assert _invoke([*_seal_args(paths, envelope), "--tender-url", tender_url], transport).exit_code == 0
    submit = ["submit", "--tender-url", tender_url, "--envelope", str(envelope), "--token", _token(bidder)]
    assert _invoke(submit, transport).exit_code == 0

    from ggzy.core.permissions import Permission
    from ggzy.tendering.opening import start_opening

    setup_agent = db.scalar(  # the agent's user the entity enrolled with the agent role (decision 0013)
        select(User)
        .join(RoleBinding, RoleBinding.user_id == User.id)
        .where(User.entity_id == _agent_entity(db, tender), RoleBinding.role == "agent")
    )
    assert setup_agent is not None
    clock.set(tender.bid_deadline)
    start_opening(db, principal(db, setup_agent, Permission.OPENING_HOST), tender_id=tender.id, now=clock.now())
    db.commit()

    decrypt = ["decrypt", "--envelope", str(envelope), "--key", str(paths["key"]), "--tender-url", tender_url]
    result = _invoke([*decrypt, "--token", _token(bidder)], transport)
    assert result.exit_code == 0, result.output
    view = client.get(f"/api/v1/tenders/{tender.id}/opening").json()
    assert len(view["decrypted"]) == 1
    again = _invoke([*decrypt, "--token", _token(bidder)], transport)
    assert again.exit_code == 1
    assert "conflict" in again.output


def _agent_entity(db: Session, tender: Tender) -> int:
    from ggzy.tendering.service import project_of

    project, _ = project_of(db, tender)
    assert project.agent_id is not None
    return project.agent_id


def test_the_main_cli_mounts_the_bid_client() -> None:
    result = runner.invoke(main_cli, ["bid", "--help"])
    assert result.exit_code == 0
    for command in ("seal", "submit", "decrypt", "open"):
        assert command in result.output


# --- over real HTTP ------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(fresh_engine: Engine, tmp_path: Path, gm_ca: Path, intl_ca: Path) -> Iterator[tuple[str, Bidder]]:
    """A published tender and a registered bidder in a committed database, served by uvicorn on a free port."""
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities.login import add_trust_anchor

    with session_factory(fresh_engine)() as db:
        for directory in (gm_ca, intl_ca):
            add_trust_anchor(db, SYSTEM, certificate_pem=(directory / "ca.pem").read_text(), name=None, now=TEST_NOW)
        tender, _ = make_published_tender(db, summary_fields=DECLARED)
        bidder = Bidder(db, gm_ca, tender.id)
        tender_id = tender.id
        db.commit()
    application = create_app(
        Settings(data_dir=tmp_path / "server", ledger_background=False),
        engine=fresh_engine,
        clock=FixedClock(TEST_NOW),
        secret_key=b"test-secret-key-test-secret-key!",
        ledger_keys=LEDGER_KEYS,
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started
        yield f"http://127.0.0.1:{port}/api/v1/tenders/{tender_id}", bidder
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_urllib_transport_submits_a_bid_to_a_running_server(served: tuple[str, Bidder], tmp_path: Path) -> None:
    tender_url, bidder = served
    paths = _bidder_files(tmp_path / "bidder", bidder.issued)
    envelope = tmp_path / "BID.ggzy"
    sealed = runner.invoke(main_cli, ["bid", *_seal_args(paths, envelope), "--tender-url", tender_url])
    assert sealed.exit_code == 0, sealed.output

    submit = ["bid", "submit", "--tender-url", tender_url, "--envelope", str(envelope)]
    submitted = runner.invoke(
        main_cli, [*submit, "--device-json", json.dumps(DEVICE)], env={"GGZY_TOKEN": _token(bidder)}
    )
    assert submitted.exit_code == 0, submitted.output
    receipt = json.loads((tmp_path / "BID.ggzy.receipt.json").read_text())
    with envelope.open("rb") as stream:
        header = read_envelope_header(stream)
    verify_receipt(receipt, LEDGER_KEYS.verifier_keys[0], ciphertext_sha256=header.ciphertext_sha256)
    assert receipt["ciphertext_size"] == header.ciphertext_size

    # A problem+json refusal comes back through urllib's HTTPError and is printed, not raised.
    refused = runner.invoke(main_cli, [*submit, "--token", "not-a-session"])
    assert refused.exit_code == 1
    assert "HTTP 401" in refused.output
    assert isinstance(refused.exception, SystemExit)
    unreachable = runner.invoke(
        main_cli,
        [
            *submit[:2],
            "--tender-url",
            "http://127.0.0.1:9/api/v1/tenders/1",
            "--envelope",
            str(envelope),
            "--token",
            "t",
        ],
    )
    assert unreachable.exit_code == 1
    assert "network_error" in unreachable.output


# -- the opening summary (开标一览表) is checked where it is made ------------------------------------------------------

ISSUE_EXAMPLE = {"投标报价": 420000000, "工期": 300}  # issue 11: sealed, uploaded and receipted, rejected at evaluation


def _without_summary(args: list[str]) -> list[str]:
    at = args.index("--summary")
    return args[:at] + args[at + 2 :]


def test_the_issues_example_is_refused_before_anything_is_sealed(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    transport = AppTransport(client)
    tender_url = f"http://testserver/api/v1/tenders/{tender.id}"
    paths = _bidder_files(tmp_path, bidder.issued, summary=ISSUE_EXAMPLE)
    envelope = tmp_path / "BID.ggzy"

    refused = _invoke([*_seal_args(paths, envelope), "--tender-url", tender_url], transport)
    assert refused.exit_code == 1
    assert "summary_incomplete" in refused.output
    assert "缺少必填项“投标报价”（price_fen）" in refused.output
    assert "“投标报价”应以项目代码“price_fen”填写" in refused.output
    assert "schedule_days" in refused.output
    assert "“工期”" in refused.output
    assert "nothing was sealed" in refused.output
    assert not envelope.exists()
    assert not list(tmp_path.glob(".BID.ggzy.*")), "no staging file either"
    assert [method for method, _ in transport.requests] == ["GET", "GET"], "nothing sent to the platform"

    # offline the tender's items are unknown, but the price is still required
    opening = generate_exchange_key(Suite.GM)
    (tmp_path / "opening.pem").write_text(opening.public_key.to_pem())
    offline = _invoke(
        [*_seal_args(paths, envelope), "--lot-code", "X/1", "--opening-key", str(tmp_path / "opening.pem")]
    )
    assert offline.exit_code == 1
    assert "price_fen" in offline.output
    assert not envelope.exists()


def test_the_sealing_function_the_assistant_calls_refuses_with_each_problem(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    material = fetch_tender_material(AppTransport(client), f"http://testserver/api/v1/tenders/{tender.id}", Suite.GM)
    assert [field.key for field in material.summary_fields] == ["price_fen", "schedule_days", "quality"]
    out = tmp_path / "BID.ggzy"
    with pytest.raises(SummaryRefused) as refused:
        seal_for_tender(
            lot_code=material.lot_code, opening_key=material.opening_key, certificate_pem=bidder.issued.certificate_pem,
            private_key=load_private_key_pem(bidder.issued.private_key_pem), summary={"price_fen": 1},
            files={"a.pdf": b"%PDF"}, out=out, now=TEST_NOW, summary_fields=material.summary_fields,
        )  # fmt: skip
    assert [(p.code, p.key) for p in refused.value.problems] == [("missing", "schedule_days")]
    assert refused.value.code == "summary_incomplete"
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_the_summary_typed_item_by_item_is_sealed_in_fen(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path, tmp_path: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    db.commit()
    transport = AppTransport(client)
    tender_url = f"http://testserver/api/v1/tenders/{tender.id}"
    paths = _bidder_files(tmp_path, bidder.issued)
    base = [*_without_summary(_seal_args(paths, tmp_path / "BID.ggzy")), "--tender-url", tender_url]

    wrong = _invoke([*base, "--price", "4200000.001", "--field", "工期=三百", "--field", "监理=x"], transport)
    assert wrong.exit_code == 1
    for named in ("投标报价", "工期（日历天）", "“监理”"):
        assert named in wrong.output
    assert not (tmp_path / "BID.ggzy").exists()
    both = _invoke([*base, "--summary", str(paths["summary"]), "--price", "1.00"], transport)
    assert both.exit_code == 1
    assert "usage" in both.output
    assert _invoke([*base, "--price", "1.00", "--field", "工期300"], transport).exit_code == 1

    sealed = _invoke([*base, "--price", "4200000.00", "--field", "工期=300", "--field", "质量标准=合格"], transport)
    assert sealed.exit_code == 0, sealed.output
    opened = _invoke(
        ["open", "--envelope", str(tmp_path / "BID.ggzy"), "--key", str(paths["key"]), "--out", str(tmp_path / "o")]
    )
    assert opened.exit_code == 0, opened.output
    assert json.loads((tmp_path / "o" / "bid.json").read_text()) == {
        "price_fen": 420_000_000, "schedule_days": 300, "quality": "合格",
    }  # fmt: skip
