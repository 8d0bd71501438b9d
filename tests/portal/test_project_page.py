"""The full-process page: every stage and published document with its ledger proof, nothing secret before opening."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.entities.models import Entity
from ggzy.portal.process import stage_statuses
from ggzy.storage import LocalBlobStore
from ggzy.tendering import bids
from ggzy.tendering.procedures import OPEN
from ggzy.tendering.stages import Stage
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import make_awarded_tender, make_published_tender, principal
from tests.portal.builders import NoticeMaker
from tests.tendering.test_bids import Bidder, seal


def event_id(db: Session, action: str, tender_id: int) -> int:
    found = db.scalar(
        select(Event.id).where(Event.action == action, Event.subject_id == str(tender_id)).order_by(Event.id.desc())
    )
    assert found is not None, action
    return found


def test_the_page_of_a_published_tender_shows_its_notice_and_documents_with_their_proofs(
    client: TestClient, db: Session
) -> None:
    tender, setup = make_published_tender(db)
    db.commit()
    response = client.get(f"/projects/{setup['project'].id}")
    assert response.status_code == 200
    text = response.text
    assert tender.title in text
    assert setup["project"].code in text
    assert f'href="/api/v1/tenders/{tender.id}/documents"' in text
    for action in ("tender.published", "tender.documents_attached"):
        assert f'href="/api/v1/ledger/events/{event_id(db, action, tender.id)}"' in text
    assert 'aria-current="step"' in text
    assert "公告中" in text
    assert "1,000,000.00 元" in text  # the lot's budget in 元 with separators


def test_the_page_follows_the_whole_process_to_the_award(client: TestClient, db: Session, gm_ca: Path) -> None:
    awarded = make_awarded_tender(db, gm_ca)
    db.commit()
    tender = awarded["tender"]
    text = client.get(f"/projects/{awarded['project'].id}").text
    for action in ("tender.published", "opening.recorded", "award.publicity_published", "award.awarded"):
        assert f'href="/api/v1/ledger/events/{event_id(db, action, tender.id)}"' in text, action
    names = [db.get(Entity, bidder.entity_id).name for bidder in awarded["bidders"]]
    assert all(name in text for name in names)  # the opening record reads out every bidder
    assert "100,000.00 元" in text  # the cheapest price, 10,000,000 fen, from the record and the candidates
    assert "壹拾万元整" in text  # the award price in capitals
    assert "已定标" in text
    english = client.get(f"/projects/{awarded['project'].id}?lang=en").text
    assert "Opening record" in english
    assert "CNY 100,000.00" in english


def test_a_project_with_nothing_published_is_not_found(client: TestClient, db: Session) -> None:
    maker = NoticeMaker(db)
    draft = maker.notice(title="草稿", publish=False)
    db.commit()
    project_id = maker.project()  # a project without a tender
    for url in (f"/projects/{maker.setup['project'].id}", "/projects/999999"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.headers["x-problem-code"] == "not_found"
        assert "未找到公开的项目" in response.text
    assert draft.title not in client.get("/notices").text
    assert project_id


def test_a_failed_or_cancelled_tender_ends_where_it_stopped() -> None:
    failed = stage_statuses(OPEN.stages, Stage.FAILED)
    assert [(s.stage, s.status) for s in failed] == [
        ("published", "done"),
        ("closed", "done"),
        ("opening", "done"),
        ("failed", "current"),
    ]
    cancelled = stage_statuses(OPEN.stages, Stage.CANCELLED)
    assert [(s.stage, s.status) for s in cancelled] == [("published", "done"), ("cancelled", "current")]
    opened = stage_statuses(OPEN.stages, Stage.OPENED)
    assert [s.status for s in opened][:5] == ["done", "done", "done", "current", "pending"]


def _public_pages(client: TestClient, project_id: int) -> dict[str, str]:
    pages = {}
    for url in ("/", "/notices", f"/projects/{project_id}", "/statistics", "/notices?q=测试工程"):
        for lang in ("zh", "en"):
            response = client.get(url, params={"lang": lang})
            assert response.status_code == 200, url
            pages[f"{url} {lang}"] = re.sub(r'name="csrf_token" value="[^"]*"', "", response.text)
    return pages


def test_before_opening_no_page_shows_who_bid_or_how_many_招标投标法第22条(
    client: TestClient, db: Session, gm_ca: Path, tmp_path: Path
) -> None:
    """招标投标法 第22条: the tenderer must not disclose who registered or bid, nor how many, before the opening.
    Every public page is the same, byte for byte, before and after three bidders registered and sealed their bids."""
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities.login import add_trust_anchor

    add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
    tender, setup = make_published_tender(db)
    db.commit()
    before = _public_pages(client, setup["project"].id)
    store = LocalBlobStore(tmp_path / "blobs")
    names = []
    for _ in range(3):
        bidder = Bidder(db, gm_ca, tender.id)
        envelope = seal(db, tender, bidder)
        bids.submit_bid(
            db, principal(db, bidder.user, Permission.TENDER_REGISTER), tender_id=tender.id,
            envelope=io.BytesIO(envelope), store=store, max_bytes=10**8, details={},
            signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
        )  # fmt: skip
        names.append(db.get(Entity, bidder.user.entity_id).name)
    db.commit()
    after = _public_pages(client, setup["project"].id)
    for page, html in after.items():
        assert not any(name in html for name in names), page
        assert html == before[page], page
