"""The documents as PDFs people can read and verify (issue 11, item 3): each made through the API, signed by the
platform (PAdES) under the certificate the platform publishes, with the amounts in 元 (and in capitals on letters),
Beijing time, names, page numbers and the ledger entry embedded for offline proof; a PDF changed after signing shows
its signature invalid; each readable by whoever may read its data, and no one else."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards.models import AwardLetter
from ggzy.core.clock import to_china_time
from ggzy.core.events import Event
from ggzy.core.money import format_yuan, format_yuan_uppercase
from ggzy.core.permissions import Role
from ggzy.documents.fonts import DocumentFontMissing, find_font
from ggzy.documents.signing import check_pdf
from ggzy.ledger.note import open_note
from ggzy.ledger.sequencer import integrate
from ggzy.ledger.service import publish_checkpoint
from ggzy.tendering.models import SealedBid
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import bidder_user, make_awarded_tender, token_for, user_with_role
from tests.ledger.independent import inclusion_ok, leaf

API = "/api/v1/documents"


def _missing_tools() -> str | None:
    try:
        find_font(None)
    except DocumentFontMissing:
        return "no CJK font (apt-get install fonts-wqy-zenhei)"
    return None if shutil.which("pdftotext") else "no pdftotext (apt-get install poppler-utils)"


@pytest.fixture(autouse=True)
def _tools() -> None:
    """The documents need a CJK font and their tests poppler's pdftotext: .ci/run installs both, so CI fails without
    them; a developer's machine without them skips, saying what to install."""
    missing = _missing_tools()
    if missing and os.environ.get("CI"):
        pytest.fail(missing)
    if missing:
        pytest.skip(missing)


def _text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as a reader extracts it (poppler's pdftotext)."""
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())  # without the spaces and line breaks extraction adds or drops


def _in(needle: str, text: str) -> bool:
    return "".join(needle.split()) in text


def _attachments(pdf: bytes) -> dict[str, Any]:
    names = PdfFileReader(BytesIO(pdf)).root["/Names"]["/EmbeddedFiles"]["/Names"]
    return {str(names[i]): json.loads(names[i + 1]["/EF"]["/F"].data) for i in range(0, len(names), 2)}


def _proved_offline(entry: dict[str, Any]) -> bool:
    """The embedded receipt proves its entry with nothing but RFC 9162 and the ledger's verifier keys."""
    note = open_note(entry["checkpoint"], LEDGER_KEYS.verifiers)
    origin, size, root = note.body.split("\n")[:3]
    leaf_hash = base64.b64decode(entry["leaf_hash"])
    proof = [base64.b64decode(h) for h in entry["inclusion"]["proof"]]
    return (
        origin == LEDGER_KEYS.origin
        and leaf(rfc8785.dumps(entry["entry"])) == leaf_hash
        and inclusion_ok(leaf_hash, entry["index"], int(size), proof, base64.b64decode(root))
    )


def _pdfsig_says_valid(pdf: bytes, tmp_path: Path) -> bool | None:
    if shutil.which("pdfsig") is None:
        return None
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    answer = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    return "Signature Validation: Signature is Valid." in answer


@pytest.fixture
def awarded(db: Session, gm_ca: Path) -> dict[str, Any]:
    """A lot driven to its award, every event committed to the ledger and covered by a checkpoint."""
    scene = make_awarded_tender(db, gm_ca)
    scene["headers"] = {name: token_for(db, scene[name]) for name in ("owner_user", "agent_user", "staff")} | {
        f"bidder{n}": token_for(db, user) for n, user in enumerate(scene["bidders"])
    }
    db.commit()
    integrate(db)
    publish_checkpoint(db, LEDGER_KEYS, now=TEST_NOW)
    db.commit()
    return scene


def _certificate(client: TestClient) -> str:
    answer = client.get(f"{API}/signing-certificate")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/pem-certificate-chain")
    return answer.text


def _pdf(client: TestClient, url: str, headers: dict[str, str] | None = None) -> bytes:
    answer = client.get(url, headers=headers or {})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    return answer.content


def test_every_document_is_a_signed_pdf_with_beijing_time_yuan_names_and_its_ledger_entry(
    client: TestClient, db: Session, awarded: dict[str, Any], tmp_path: Path
) -> None:
    certificate = _certificate(client)
    tender = awarded["tender"]
    award = awarded["award"]
    headers = awarded["headers"]
    winner_index = next(n for n, u in enumerate(awarded["bidders"]) if u.entity_id == award.entity_id)
    bid = db.scalar(select(SealedBid).where(SealedBid.entity_id == award.entity_id, SealedBid.tender_id == tender.id))
    letters = {
        letter.kind: letter for letter in db.scalars(select(AwardLetter).where(AwardLetter.tender_id == tender.id))
    }
    documents = {
        "投标文件递交回执": (
            f"{API}/tenders/{tender.id}/bids/{bid.public_id}/receipt.pdf",
            headers[f"bidder{winner_index}"],
        ),
        "开标记录": (f"{API}/tenders/{tender.id}/opening-record.pdf", None),
        "评标报告": (f"{API}/tenders/{tender.id}/evaluation-report.pdf", headers["owner_user"]),
        "中标候选人公示": (f"{API}/tenders/{tender.id}/publicity.pdf", None),
        "中标通知书": (f"{API}/letters/{letters['award'].id}.pdf", headers[f"bidder{winner_index}"]),
        "中标结果通知书": (f"{API}/letters/{letters['result'].id}.pdf", headers["agent_user"]),
        "交易见证书": (f"{API}/tenders/{tender.id}/witness-certificate.pdf", headers["owner_user"]),
    }
    for title, (url, who) in documents.items():
        pdf = _pdf(client, url, who)
        check = check_pdf(pdf, certificate)
        assert check.ok, (title, check.summary)
        assert "公共资源交易平台" in check.signer
        assert _pdfsig_says_valid(pdf, tmp_path) in (True, None), title
        text = _text(pdf, tmp_path)
        assert _in(title, text)
        assert _in("公共资源交易平台", text)
        assert _in("第 1 页 / 共", text)
        assert _in("（北京时间）", text)
        assert _in(awarded["owner"].name, text)  # names, not ids
        attached = _attachments(pdf)
        assert set(attached) == {"ledger.json", "document.json"}
        entries = attached["ledger.json"]["entries"]
        assert entries, title
        for entry in entries:
            assert _proved_offline(entry), title
            assert _in(f"#{entry['event_id']}", text)
            assert _in(entry["leaf_hash"], text)
    letter_text = _text(_pdf(client, *documents["中标通知书"]), tmp_path)
    assert _in(format_yuan_uppercase(award.price_fen), letter_text)  # 大写
    assert _in(f"{format_yuan(award.price_fen)} 元", letter_text)
    assert _in(format_yuan_uppercase(award.price_fen), _text(_pdf(client, *documents["中标结果通知书"]), tmp_path))
    receipt_text = _text(_pdf(client, *documents["投标文件递交回执"]), tmp_path)
    received = to_china_time(bid.submitted_at)
    assert _in(f"{received.year}年{received.month}月{received.day}日 {received:%H:%M:%S}（北京时间）", receipt_text)
    assert _in(bid.ciphertext_sha256, receipt_text)


def test_a_pdf_changed_after_signing_shows_its_signature_invalid(
    client: TestClient, db: Session, awarded: dict[str, Any]
) -> None:
    certificate = _certificate(client)
    pdf = _pdf(client, f"{API}/tenders/{awarded['tender'].id}/opening-record.pdf")
    assert check_pdf(pdf, certificate).ok
    signed_range_end = pdf.rindex(b"/Contents <") if b"/Contents <" in pdf else len(pdf) // 3
    target = pdf.index(b"stream", len(pdf) // 4, signed_range_end)  # a byte inside the first signed range
    tampered = bytearray(pdf)
    tampered[target + 20] ^= 0x01
    check = check_pdf(bytes(tampered), certificate)
    assert not check.intact
    assert not check.ok
    other_platform = client.app.state.document_keys.get().generate("另一个平台").certificate_pem  # type: ignore[attr-defined]
    assert not check_pdf(pdf, other_platform).trusted  # and a certificate other than the published one is not trusted


def test_who_may_download_each_document_and_refusals_leave_no_event(
    client: TestClient, db: Session, awarded: dict[str, Any]
) -> None:
    tender = awarded["tender"]
    headers = awarded["headers"]
    award = awarded["award"]
    loser = next(n for n, u in enumerate(awarded["bidders"]) if u.entity_id != award.entity_id)
    winner_letter = db.scalar(select(AwardLetter.id).where(AwardLetter.entity_id == award.entity_id))
    winner_bid = db.scalar(select(SealedBid.public_id).where(SealedBid.entity_id == award.entity_id))
    outsider = token_for(db, bidder_user(db))
    supervisor = token_for(db, user_with_role(db, Role.SUPERVISOR))
    events = db.scalar(select(func.count()).select_from(Event))
    refused = {
        # another bidder's receipt is not found: its existence is not disclosed (招标投标法 第22条)
        (f"{API}/tenders/{tender.id}/bids/{winner_bid}/receipt.pdf", "bidder", 404, "not_found"),
        (f"{API}/tenders/{tender.id}/evaluation-report.pdf", "bidder", 403, "document_not_yours"),
        (f"{API}/tenders/{tender.id}/evaluation-report.pdf", "visitor", 403, "document_not_yours"),
        (f"{API}/letters/{winner_letter}.pdf", "bidder", 403, "award_letter_not_yours"),
        (f"{API}/letters/{winner_letter}.pdf", "outsider", 403, "award_letter_not_yours"),
        (f"{API}/tenders/{tender.id}/witness-certificate.pdf", "bidder", 403, "permission_denied"),
        (f"{API}/tenders/{tender.id}/witness-certificate.pdf", "visitor", 401, "not_authenticated"),
    }
    who = {"bidder": headers[f"bidder{loser}"], "outsider": outsider, "visitor": {}, "supervisor": supervisor}
    for url, reader, status, code in refused:
        answer = client.get(url, headers=who[reader])
        assert answer.status_code == status, (url, reader, answer.text)
        assert answer.json()["code"] == code, (url, reader)
    assert db.scalar(select(func.count()).select_from(Event)) == events
    for url, reader in (
        (f"{API}/tenders/{tender.id}/evaluation-report.pdf", headers["agent_user"]),
        (f"{API}/tenders/{tender.id}/evaluation-report.pdf", headers["staff"]),
        (f"{API}/tenders/{tender.id}/witness-certificate.pdf", headers["agent_user"]),
        (f"{API}/tenders/{tender.id}/witness-certificate.pdf", supervisor),
        (f"{API}/letters/{winner_letter}.pdf", headers["owner_user"]),
    ):
        assert client.get(url, headers=reader).status_code == 200, url


def test_a_document_that_does_not_exist_yet_is_a_clear_409(client: TestClient, db: Session, gm_ca: Path) -> None:
    from tests.factories import make_opened_tender

    scene = make_opened_tender(db, gm_ca, prices=[10_000_000, 20_000_000, 30_000_000])
    headers = token_for(db, scene["owner_user"])
    for tail in ("evaluation-report.pdf", "publicity.pdf"):
        answer = client.get(f"{API}/tenders/{scene['tender'].id}/{tail}", headers=headers)
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "document_not_ready"
        assert answer.json()["message_zh"].endswith("尚未产生")


def test_the_font_is_the_setting_then_the_first_system_font_found_else_a_clear_error(tmp_path: Path) -> None:
    font = tmp_path / "font.ttc"
    font.write_bytes(b"x")
    assert find_font(font) == (font, 0)
    with pytest.raises(DocumentFontMissing) as missing:
        find_font(tmp_path / "absent.ttf")
    assert "GGZY_DOCUMENTS_FONT" in missing.value.detail_zh
    assert "absent.ttf" in missing.value.detail_en
    assert find_font(None, ((str(tmp_path / "no.ttc"), 0), (str(font), 1))) == (font, 1)
    with pytest.raises(DocumentFontMissing) as none:
        find_font(None, ((str(tmp_path / "no.ttc"), 0),))
    assert "fonts-wqy-zenhei" in none.value.detail_zh


def test_the_pages_link_each_document_and_the_browser_session_downloads_it(
    client: TestClient, db: Session, awarded: dict[str, Any]
) -> None:
    from tests.portal.ws_support import browser_login

    tender, award = awarded["tender"], awarded["award"]
    project_page = client.get(f"/projects/{awarded['project'].id}").text
    assert f"/api/v1/documents/tenders/{tender.id}/opening-record.pdf" in project_page
    assert f"/api/v1/documents/tenders/{tender.id}/publicity.pdf" in project_page
    winner = next(user for user in awarded["bidders"] if user.entity_id == award.entity_id)
    browser_login(client, db, winner)
    letter_id = db.scalar(select(AwardLetter.id).where(AwardLetter.entity_id == award.entity_id))
    assert f"/api/v1/documents/letters/{letter_id}.pdf" in client.get(f"/workspace/letters/{letter_id}").text
    bidder_page = client.get(f"/workspace/bidder/tenders/{tender.id}").text
    bid_id = db.scalar(select(SealedBid.public_id).where(SealedBid.entity_id == award.entity_id))
    receipt = f"/api/v1/documents/tenders/{tender.id}/bids/{bid_id}/receipt.pdf"
    assert receipt in bidder_page
    assert client.get(receipt).headers["content-type"] == "application/pdf"  # the page's session cookie suffices
    browser_login(client, db, awarded["agent_user"])
    owner_page = client.get(f"/workspace/projects/tenders/{tender.id}").text
    assert f"/api/v1/documents/tenders/{tender.id}/witness-certificate.pdf" in owner_page
    assert f"/api/v1/documents/tenders/{tender.id}/evaluation-report.pdf" in owner_page


def test_without_a_font_a_download_says_what_to_install_and_leaves_nothing(
    client: TestClient, db: Session, awarded: dict[str, Any], tmp_path: Path
) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(update={"documents_font": tmp_path / "absent.ttc"})  # type: ignore[attr-defined]
    events = db.scalar(select(func.count()).select_from(Event))
    answer = client.get(f"{API}/tenders/{awarded['tender'].id}/opening-record.pdf")
    assert answer.status_code == 503
    assert answer.json()["code"] == "document_font_missing"
    assert "fonts-wqy-zenhei" in answer.json()["message_zh"]
    assert "absent.ttc" in answer.json()["message_en"]
    assert db.scalar(select(func.count()).select_from(Event)) == events


def test_the_signing_key_is_made_once_kept_0600_in_the_data_directory_or_read_from_its_own_file(
    tmp_path: Path,
) -> None:
    from ggzy.config import Settings
    from ggzy.documents.keys import DocumentKeyFileError, DocumentSigningKey, load_document_key

    settings = Settings(data_dir=tmp_path / "data")
    first = load_document_key(settings)
    assert first.in_data_dir
    assert first.custody_warning is not None
    assert (tmp_path / "data" / "documents-signing-key.pem").stat().st_mode & 0o777 == 0o600
    assert load_document_key(settings).fingerprint == first.fingerprint  # the same certificate after a restart
    with pytest.raises(DocumentKeyFileError, match="keygen"):
        load_document_key(Settings(data_dir=tmp_path / "data", documents_key_file=tmp_path / "absent.pem"))
    own = DocumentSigningKey.create_file(tmp_path / "secrets" / "documents.pem", "测试平台")
    assert (tmp_path / "secrets" / "documents.pem").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        DocumentSigningKey.create_file(tmp_path / "secrets" / "documents.pem", "测试平台")
    elsewhere = load_document_key(Settings(data_dir=tmp_path / "data", documents_key_file=own.location))
    assert elsewhere.fingerprint == own.fingerprint
    assert not elsewhere.in_data_dir
    assert "测试平台" in elsewhere.certificate.subject.rfc4514_string()


def test_a_document_asked_again_within_five_minutes_is_the_same_signed_file_then_made_anew(
    client: TestClient, db: Session, awarded: dict[str, Any], clock: Any
) -> None:
    from ggzy.documents.service import KEEP

    url = f"{API}/tenders/{awarded['tender'].id}/opening-record.pdf"
    first = _pdf(client, url)
    assert _pdf(client, url) == first  # public and costly to make: kept, not made again for each visitor
    clock.advance(KEEP)
    again = _pdf(client, url)
    assert again != first
    assert check_pdf(again, _certificate(client)).ok


def test_the_witness_certificate_never_names_an_objector_before_the_opening(db: Session) -> None:
    """招标投标法 第22条: who takes part stays secret before the opening. An objection to the documents is on the
    certificate as a stage, by a bidder's role, never by the objector's name (a security review found it named)."""
    from ggzy.core.permissions import Permission
    from ggzy.documents import content
    from ggzy.entities.service import get_entity
    from ggzy.tendering import service
    from tests.conftest import TEST_NOW
    from tests.factories import bidder_user, make_published_tender, principal

    tender, setup = make_published_tender(db)
    objector = bidder_user(db)
    service.raise_objection(
        db, principal(db, objector, Permission.TENDER_OBJECT), tender_id=tender.id, text="资格条件排斥潜在投标人",
        now=TEST_NOW,
    )  # fmt: skip
    owner = principal(db, setup["owner_user"], Permission.PROJECT_READ)
    document = content.witness_certificate(db, owner, tender_id=tender.id, now=TEST_NOW)
    rows = [row for section in document.sections if section.table is not None for row in section.table.rows]
    objection_rows = [row for row in rows if "异议" in " ".join(row)]
    assert objection_rows, rows  # the stage is there
    name = get_entity(db, objector.entity_id).name
    assert not any(name in cell for row in rows for cell in row), rows
    assert any("投标人" in row for row in objection_rows)  # by its role
    agent_name = get_entity(db, setup["agent_user"].entity_id).name
    assert any(agent_name in cell for row in rows for cell in row)  # the agent acts in public: named


def test_the_opening_record_names_each_summary_item_by_the_label_the_tender_declared() -> None:
    from ggzy.documents.content import _summary_text

    labels = {"schedule_days": "工期（日历天）", "project_manager": "项目经理"}
    price, others = _summary_text({"price_fen": 1_765_000_000, "schedule_days": 540, "project_manager": "张三"}, labels)
    assert price == "17,650,000.00 元"
    assert others == "工期（日历天）：540；项目经理：张三"  # never the key (project_manager)


def test_the_font_is_read_once_per_process_and_each_document_keeps_its_own_subset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The parsed font is kept between documents (ggzy.documents.layout._parsed_font), yet each document subsets
    its own copy: documents made one after another with the kept font are byte for byte those made with a font read
    afresh for each, so nothing one document used or subset leaks into the next."""
    from ggzy.documents import layout

    font = find_font(None)
    made_at = TEST_NOW

    def document(title: str, text: str) -> layout.Document:
        return layout.Document(
            kind="test", title=title, sections=[layout.Section(heading="正文", paragraphs=[text])], ledger=[],
            proofs=[], data={"title": title},
        )  # fmt: skip

    documents = [
        document("开标记录", "昆明市某道路改造工程 投标报价 壹拾万元整 工期三百日历天"),
        document("中标通知书", "贵单位于投标截止时间前递交的投标文件，经评标委员会评审，确定为中标人。"),
        document("开标记录", "昆明市某道路改造工程 投标报价 壹拾万元整 工期三百日历天"),
    ]

    def made() -> list[bytes]:
        return [
            layout.render(doc, font=font, platform_name="公共资源交易平台", made_at=made_at,
                          certificate_fingerprint="f" * 64)[0]
            for doc in documents
        ]  # fmt: skip

    layout._parsed_font.cache_clear()
    kept = made()
    info = layout._parsed_font.cache_info()
    assert (info.misses, info.hits) == (1, 2)  # read once, for the first document
    monkeypatch.setattr(
        layout,
        "_add_font",
        lambda pdf, font: pdf.add_font(layout.FONT, fname=str(font[0]), collection_font_number=font[1]),
    )
    afresh = made()
    assert kept == afresh
    assert kept[0] == kept[2]
    assert kept[0] != kept[1]
