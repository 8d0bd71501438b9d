"""The bidder's workspace through the pages: register, submit and replace a sealed envelope, see the receipt,
withdraw, decrypt at opening, read its letters — and never see another bidder before the opening."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import canonical_json
from ggzy.core.permissions import Permission
from ggzy.crypto import load_private_key_pem
from ggzy.crypto.envelope import read_envelope_header, unwrap_data_key
from ggzy.entities.models import Entity
from ggzy.tendering import opening
from ggzy.tendering.models import Registration, SealedBid, Tender
from tests.conftest import LEDGER_KEYS
from tests.factories import bidder_user, event_count, issue, make_awarded_tender, make_published_tender, principal
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code
from tests.tendering.test_bids import Bidder, seal


@pytest.fixture
def tender(db: Session, trusted: dict[str, int]):  # type: ignore[no-untyped-def]
    tender, setup = make_published_tender(db)
    tender.setup = setup  # the agent, for hosting the opening
    return tender


def _counts(db: Session, app: FastAPI) -> tuple[int, int, int, int]:
    files = [p for p in app.state.blob_store.root.rglob("*") if p.is_file()]
    bids = db.scalar(select(func.count()).select_from(SealedBid)) or 0
    registrations = db.scalar(select(func.count()).select_from(Registration)) or 0
    return bids, registrations, event_count(db), len(files)


def _upload(client: TestClient, tender_id: int, envelope: bytes, *, token: str | None = None):  # type: ignore[no-untyped-def]
    page = f"/workspace/bidder/tenders/{tender_id}"
    return client.post(
        f"{page}/bids",
        data={"csrf_token": token or csrf_from(client, page)},
        files={"envelope": ("BID.ggzy", envelope)},
    )


def test_a_bidder_finds_an_open_tender_and_registers_on_the_page(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path
) -> None:
    user = bidder_user(db)
    browser_login(client, db, user)
    home = client.get("/workspace/bidder")
    assert home.status_code == 200
    assert f'href="/workspace/bidder/tenders/{tender.id}"' in home.text
    page = client.get(f"/workspace/bidder/tenders/{tender.id}")
    assert f'action="/workspace/bidder/tenders/{tender.id}/registration"' in page.text
    response = client.post(
        f"/workspace/bidder/tenders/{tender.id}/registration",
        data={"csrf_token": csrf_from(client, f"/workspace/bidder/tenders/{tender.id}")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    registered = db.scalar(select(Registration).where(Registration.tender_id == tender.id))
    assert registered is not None
    assert registered.entity_id == user.entity_id
    after = client.get(f"/workspace/bidder/tenders/{tender.id}").text
    assert "贵单位已报名本项目" in after
    assert f"ggzy bid seal --tender-url http://testserver/api/v1/tenders/{tender.id}" in after
    mine = client.get("/workspace/bidder").text
    assert "我的报名" in mine
    assert tender.title in mine


def test_registering_twice_is_refused_inline_with_the_code_and_nothing_is_written(
    client: TestClient, db: Session, app: FastAPI, tender: Tender, gm_ca: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)  # registered already
    browser_login(client, db, bidder.user)
    token = csrf_from(client, f"/workspace/bidder/tenders/{tender.id}")
    before = _counts(db, app)
    response = client.post(f"/workspace/bidder/tenders/{tender.id}/registration", data={"csrf_token": token})
    assert response.status_code == 409
    assert problem_code(response) == "conflict"
    assert 'role="alert"' in response.text
    assert "本单位已报名" in response.text
    assert _counts(db, app) == before


def test_a_bidder_uploads_its_sealed_envelope_and_gets_the_signed_receipt_with_its_ledger_proof(
    client: TestClient, db: Session, app: FastAPI, tender: Tender, gm_ca: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    browser_login(client, db, bidder.user)
    envelope = seal(db, tender, bidder)
    response = _upload(client, tender.id, envelope)
    assert response.status_code == 201, response.text
    header = read_envelope_header(io.BytesIO(envelope))
    assert header.ciphertext_sha256 in response.text
    assert app.state.blob_store.exists(header.ciphertext_sha256)
    event_id = int(re.search(r'href="/api/v1/ledger/events/(\d+)"', response.text).group(1))  # type: ignore[union-attr]
    assert client.get(f"/api/v1/ledger/events/{event_id}").status_code == 200
    # the receipt offered for download is the platform's signed receipt
    href = re.search(r'href="data:application/json;base64,([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    receipt = __import__("json").loads(base64.b64decode(href))
    signed = {key: value for key, value in receipt.items() if key != "signature"}
    public_key = LEDGER_KEYS.ed25519_key.public_key()
    assert isinstance(public_key, Ed25519PublicKey)
    public_key.verify(base64.b64decode(receipt["signature"]), canonical_json(signed).encode())
    assert receipt["event_id"] == event_id
    page = client.get(f"/workspace/bidder/tenders/{tender.id}").text
    assert header.ciphertext_sha256 in page
    assert f'/api/v1/ledger/events/{event_id}"' in page  # the receipt stays findable


def test_a_new_envelope_replaces_the_last_and_the_bid_can_be_withdrawn_before_the_deadline(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    browser_login(client, db, bidder.user)
    assert _upload(client, tender.id, seal(db, tender, bidder)).status_code == 201
    assert _upload(client, tender.id, seal(db, tender, bidder, summary={"price_fen": 1})).status_code == 201
    statuses = db.scalars(select(SealedBid.status).where(SealedBid.tender_id == tender.id).order_by(SealedBid.id))
    assert list(statuses) == ["replaced", "active"]
    page = client.get(f"/workspace/bidder/tenders/{tender.id}").text
    assert "已替换" in page
    assert "重新递交（替换）" in page
    token = csrf_from(client, f"/workspace/bidder/tenders/{tender.id}")
    withdrawn = client.post(
        f"/workspace/bidder/tenders/{tender.id}/bids/withdraw", data={"csrf_token": token}, follow_redirects=False
    )
    assert withdrawn.status_code == 303
    assert withdrawn.headers["location"] == f"/workspace/bidder/tenders/{tender.id}#bid"
    assert outcome_code(withdrawn) == "bid_withdrawn"
    landed = client.get(withdrawn.headers["location"]).text
    assert "已撤回" in landed
    assert "投标文件已撤回。投标截止时间前可以重新递交。" in landed  # the page says what was done
    # shown once: the page deleted the one-time cookie; a link cannot make the platform claim what it did not do
    assert 'class="notice-ok flash-done"' not in client.get(f"/workspace/bidder/tenders/{tender.id}").text
    crafted = client.get(f"/workspace/bidder/tenders/{tender.id}?done=bid_withdrawn").text
    assert 'class="notice-ok flash-done"' not in crafted
    again = client.post(f"/workspace/bidder/tenders/{tender.id}/bids/withdraw", data={"csrf_token": token})
    assert (again.status_code, problem_code(again)) == (404, "bid_not_found")


def test_an_envelope_of_another_entity_is_refused_inline_and_leaves_no_row_event_or_file(
    client: TestClient, db: Session, app: FastAPI, tender: Tender, gm_ca: Path
) -> None:
    bidder, other = Bidder(db, gm_ca, tender.id), Bidder(db, gm_ca, tender.id)
    browser_login(client, db, bidder.user)
    token = csrf_from(client, f"/workspace/bidder/tenders/{tender.id}")
    before = _counts(db, app)
    response = _upload(client, tender.id, seal(db, tender, bidder, issued=other.issued), token=token)
    assert (response.status_code, problem_code(response)) == (403, "envelope_not_yours")
    assert "envelope_not_yours" in response.text
    assert 'role="alert"' in response.text
    assert _counts(db, app) == before


def test_the_page_takes_envelopes_under_the_apis_size_limit(
    client: TestClient, db: Session, app: FastAPI, tender: Tender, gm_ca: Path
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    browser_login(client, db, bidder.user)
    envelope = seal(db, tender, bidder)
    token = csrf_from(client, f"/workspace/bidder/tenders/{tender.id}")
    app.state.settings.bid_max_mb = 0  # the same setting as the API's: nothing fits
    before = _counts(db, app)
    response = _upload(client, tender.id, envelope, token=token)
    assert (response.status_code, problem_code(response)) == (413, "blob_too_large")
    assert _counts(db, app) == before


def test_an_envelope_after_the_deadline_by_the_servers_clock_is_refused(
    client: TestClient, db: Session, app: FastAPI, tender: Tender, gm_ca: Path, clock: FixedClock
) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    browser_login(client, db, bidder.user)
    envelope = seal(db, tender, bidder)
    token = csrf_from(client, f"/workspace/bidder/tenders/{tender.id}")
    clock.set(tender.bid_deadline + timedelta(seconds=1))
    before = _counts(db, app)
    response = _upload(client, tender.id, envelope, token=token)
    assert (response.status_code, problem_code(response)) == (409, "tender_stage_wrong")
    assert _counts(db, app) == before


def test_at_opening_the_bidder_hands_over_its_data_key_on_the_page(
    client: TestClient, db: Session, app: FastAPI, tender: Tender, gm_ca: Path, clock: FixedClock
) -> None:
    crew = [Bidder(db, gm_ca, tender.id) for _ in range(3)]
    envelopes = []
    for bidder in crew:
        browser_login(client, db, bidder.user)
        envelope = seal(db, tender, bidder)
        assert _upload(client, tender.id, envelope).status_code == 201
        envelopes.append(envelope)
    after = tender.bid_deadline + timedelta(minutes=1)
    clock.set(after)
    host = principal(db, tender.setup["agent_user"], Permission.OPENING_HOST)
    opening.start_opening(db, host, tender_id=tender.id, now=after)
    db.flush()
    bidder, envelope = crew[0], envelopes[0]
    browser_login(client, db, bidder.user)
    page = client.get(f"/workspace/bidder/tenders/{tender.id}")
    assert "ggzy bid decrypt --envelope BID.ggzy" in page.text
    token = csrf_from(client, f"/workspace/bidder/tenders/{tender.id}")
    wrong = client.post(
        f"/workspace/bidder/tenders/{tender.id}/decryption", data={"csrf_token": token, "data_key": "not base64!"}
    )
    assert (wrong.status_code, problem_code(wrong)) == (422, "invalid_input")
    key = unwrap_data_key(
        read_envelope_header(io.BytesIO(envelope)), load_private_key_pem(bidder.issued.private_key_pem), "bidder"
    )
    response = client.post(
        f"/workspace/bidder/tenders/{tender.id}/decryption",
        data={"csrf_token": token, "data_key": base64.b64encode(key).decode()},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert event_count(db, "bid.decrypted") == 1
    assert "已解密" in client.get(f"/workspace/bidder/tenders/{tender.id}").text


def test_before_opening_a_bidders_pages_show_no_other_bidder_nor_how_many(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path
) -> None:
    """招标投标法 第22条: nobody but the bidder itself learns who registered or bid, or how many, before opening."""
    mine, theirs = Bidder(db, gm_ca, tender.id), Bidder(db, gm_ca, tender.id)
    for bidder in (theirs, mine):
        browser_login(client, db, bidder.user)
        assert _upload(client, tender.id, seal(db, tender, bidder)).status_code == 201
    their_entity = db.get(Entity, theirs.user.entity_id)
    their_bid = db.scalar(select(SealedBid).where(SealedBid.entity_id == theirs.user.entity_id))
    assert their_entity is not None
    assert their_bid is not None
    pages = [client.get("/workspace/bidder").text, client.get(f"/workspace/bidder/tenders/{tender.id}").text]
    for text in pages:
        assert their_entity.name not in text
        assert their_entity.credit_code not in text
        assert their_bid.ciphertext_sha256 not in text
        assert "开标前不公开任何投标人信息" in text or "我的报名" in text
    assert " / 2 " not in pages[1]  # no count of bids


def test_a_winner_reads_its_award_letter_and_another_bidder_may_not(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    awarded = make_awarded_tender(db, gm_ca, prices=[90_000_000, 95_000_000, 99_000_000])
    winner = awarded["bidders"][0]
    browser_login(client, db, winner)
    home = client.get("/workspace/bidder").text
    found = re.search(r'href="/workspace/letters/(\d+)"', home)
    assert found, home
    letter = client.get(f"/workspace/letters/{found.group(1)}")
    assert letter.status_code == 200
    assert "中标通知书" in letter.text
    assert 'download="letter-' in letter.text
    client.cookies.clear()
    browser_login(client, db, bidder_user(db))
    refused = client.get(f"/workspace/letters/{found.group(1)}")
    assert (refused.status_code, problem_code(refused)) == (403, "award_letter_not_yours")


def test_certificate_login_then_register_and_bid_end_to_end(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path
) -> None:
    """The whole first visit: log in with the certificate, register, upload the envelope, see the receipt."""
    from tests.portal.test_ws_session import _certificate_form

    user = bidder_user(db)
    entity = db.get(Entity, user.entity_id)
    assert entity is not None
    issued = issue(gm_ca, name=entity.name, code=entity.credit_code)
    assert client.post("/login/certificate", data=_certificate_form(client, issued)).status_code == 200
    page = f"/workspace/bidder/tenders/{tender.id}"
    assert client.post(f"{page}/registration", data={"csrf_token": csrf_from(client, page)}).status_code == 200

    class Holder:  # the sealing helper wants a bidder with its certificate
        pass

    holder = Holder()
    holder.issued = issued  # type: ignore[attr-defined]
    response = _upload(client, tender.id, seal(db, tender, holder))  # type: ignore[arg-type]
    assert response.status_code == 201
    assert "投标回执" in response.text


def test_the_bidder_pages_speak_english_too(client: TestClient, db: Session, tender: Tender, gm_ca: Path) -> None:
    bidder = Bidder(db, gm_ca, tender.id)
    browser_login(client, db, bidder.user)
    home = client.get("/workspace/bidder?lang=en")
    assert home.headers["content-language"] == "en"
    assert "My registrations" in home.text
    page = client.get(f"/workspace/bidder/tenders/{tender.id}").text  # the choice is remembered
    assert "Submit the sealed bid" in page
    assert "Log out" in page


def test_a_draft_tender_is_nobodys_business_but_its_owners(client: TestClient, db: Session, gm_ca: Path) -> None:
    from ggzy.tendering import service as tendering
    from ggzy.tendering.procedures import Method
    from tests.conftest import TEST_NOW
    from tests.factories import make_accepted_project

    setup = make_accepted_project(db)
    draft = tendering.create_tender(
        db, principal(db, setup["agent_user"], Permission.TENDER_MANAGE), lot_id=setup["lots"][0].id,
        procedure_key="open", method=Method.SCORING, title="草稿", notice_text="草稿正文",
        documents_until=TEST_NOW + timedelta(days=10), bid_deadline=TEST_NOW + timedelta(days=25),
        invited_entity_ids=[], now=TEST_NOW,
    )  # fmt: skip
    browser_login(client, db, bidder_user(db))
    response = client.get(f"/workspace/bidder/tenders/{draft.id}")
    assert (response.status_code, problem_code(response)) == (404, "not_found")


def test_an_open_tender_older_than_fifty_newer_closed_notices_is_still_offered(
    client: TestClient, db: Session, tender: Tender, gm_ca: Path
) -> None:
    """The open tenders are filtered in SQL, not picked out of the newest page of notices."""
    assert tender.published_at is not None
    for round_ in range(2, 53):  # 51 newer notices of the same lot, all past their deadline
        columns = {c.key: getattr(tender, c.key) for c in Tender.__table__.columns if c.key != "id"}
        columns |= {
            "round": round_,
            "title": f"已截止的招标 {round_}",
            "published_at": tender.published_at + timedelta(minutes=round_),
            "documents_until": tender.published_at - timedelta(days=2),
            "bid_deadline": tender.published_at - timedelta(days=1),
        }
        db.add(Tender(**columns))
    db.flush()
    browser_login(client, db, bidder_user(db))
    home = client.get("/workspace/bidder").text
    assert f'href="/workspace/bidder/tenders/{tender.id}"' in home
    assert "已截止的招标" not in home


def test_an_invited_tender_is_offered_only_to_the_invited(client: TestClient, db: Session, gm_ca: Path) -> None:
    """招标投标法 第17条: an invited tender's invitations name who may bid; the others are not offered it."""
    from tests.factories import make_entity

    user = bidder_user(db)
    others = [make_entity(db).id for _ in range(3)]
    not_me, _ = make_published_tender(db, procedure="invited", invited=others)
    me, _ = make_published_tender(db, procedure="invited", invited=[user.entity_id, *others[:2]])
    browser_login(client, db, user)
    home = client.get("/workspace/bidder").text
    assert f'href="/workspace/bidder/tenders/{me.id}"' in home
    assert f'href="/workspace/bidder/tenders/{not_me.id}"' not in home


def test_neither_an_own_project_nor_a_suspended_tender_is_offered(client: TestClient, db: Session, gm_ca: Path) -> None:
    """实施条例 第34条 (the owner) and 第13条 (its agent) may not bid on their own tender; a suspended tender
    (第62条) takes no registrations: neither is offered, as registration would refuse it."""
    from ggzy.core.permissions import Role
    from ggzy.entities.schemas import RoleGrantIn
    from tests.complaints.test_suspension_steps import _suspend
    from tests.conftest import TEST_NOW
    from tests.factories import make_user

    open_one, setup = make_published_tender(db)
    suspended, _ = make_published_tender(db)
    _suspend(db, suspended.id, bidder_user(db), TEST_NOW)
    owner_as_bidder = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=setup["owner"].id)
    browser_login(client, db, owner_as_bidder)
    assert f'href="/workspace/bidder/tenders/{open_one.id}"' not in client.get("/workspace/bidder").text
    browser_login(client, db, bidder_user(db))
    home = client.get("/workspace/bidder").text
    assert f'href="/workspace/bidder/tenders/{open_one.id}"' in home
    assert f'href="/workspace/bidder/tenders/{suspended.id}"' not in home
