"""询价 (政府采购法 第40条 (三)): each supplier quotes once, a price it cannot change — but a quotation made before
the purchaser amended the documents in a way that affects the quotations answered documents that no longer stand:
its supplier may quote once more, and the earlier quotation is superseded. A clarification that does not affect
the quotations changes nothing, and the new quotation is final again."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.storage import LocalBlobStore
from ggzy.tendering import bids
from ggzy.tendering import service as tendering
from ggzy.tendering.models import SealedBid
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import bidder_user, event_count, load_test_calendar, make_accepted_project, principal
from tests.tendering.test_bids import Bidder, seal
from tests.tendering.test_procurement import _create

pytestmark = pytest.mark.db


def _rfq(db: Session, gm_ca: Path) -> dict:  # type: ignore[type-arg]
    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    suppliers = [bidder_user(db) for _ in range(3)]
    tender, manager = _create(db, setup, procedure="rfq", invited=[u.entity_id for u in suppliers])
    tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW)
    crew = [Bidder(db, gm_ca, tender.id, user=user) for user in suppliers[:2]]
    store = LocalBlobStore(gm_ca.parent / f"rfq-requote-blobs-{tender.id}")
    return {"tender": tender, "manager": manager, "crew": crew, "store": store}


def _quote(db: Session, scene: dict, index: int, now: datetime) -> bids.BidReceipt:  # type: ignore[type-arg]
    bidder = scene["crew"][index]
    return bids.submit_bid(
        db, principal(db, bidder.user, Permission.TENDER_REGISTER), tender_id=scene["tender"].id,
        envelope=io.BytesIO(seal(db, scene["tender"], bidder)), store=scene["store"], max_bytes=10**8, details={},
        signer=LEDGER_KEYS.ed25519_key, now=now,
    )  # fmt: skip


def _refused(db: Session, scene: dict, index: int, now: datetime) -> None:  # type: ignore[type-arg]
    before = (event_count(db), db.scalar(select(func.count()).select_from(SealedBid)))
    with pytest.raises(bids.QuotationFinal) as refused, db.begin_nested():
        _quote(db, scene, index, now)
    assert "第四十条" in refused.value.detail_zh
    assert (event_count(db), db.scalar(select(func.count()).select_from(SealedBid))) == before


def test_政府采购法_第40条_a_supplier_quotes_again_once_after_an_amendment_that_affects_the_quotations(
    db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    scene = _rfq(db, gm_ca)
    first = _quote(db, scene, 0, TEST_NOW + timedelta(days=1))
    _refused(db, scene, 0, TEST_NOW + timedelta(days=2))  # one price, not to be changed

    amended_at = TEST_NOW + timedelta(days=3)
    tendering.clarify(
        db, scene["manager"], tender_id=scene["tender"].id, text="采购数量由100台改为120台", affects_bids=True,
        now=amended_at,
    )  # fmt: skip
    again = _quote(db, scene, 0, amended_at + timedelta(days=1))
    earlier = db.scalar(select(SealedBid).where(SealedBid.public_id == first.bid_id))
    assert earlier is not None
    assert earlier.status == "replaced"  # superseded, kept for the record
    current = db.scalar(select(SealedBid).where(SealedBid.public_id == again.bid_id))
    assert current is not None
    assert current.status == "active"
    event = db.get(Event, again.event_id)
    assert event is not None
    payload = json.loads(event.payload)
    assert payload["replaces"] == first.bid_id
    assert payload["amended_at"] == amended_at.isoformat()

    # once: the new quotation, made after the amendment, cannot be changed
    _refused(db, scene, 0, amended_at + timedelta(days=2))
    # a supplier that first quotes after the amendment quotes once, as always
    _quote(db, scene, 1, amended_at + timedelta(days=1))
    _refused(db, scene, 1, amended_at + timedelta(days=2))


def test_政府采购法_第40条_a_clarification_that_does_not_affect_the_quotations_opens_no_second_quotation(
    db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    scene = _rfq(db, gm_ca)
    _quote(db, scene, 0, TEST_NOW + timedelta(days=1))
    tendering.clarify(
        db, scene["manager"], tender_id=scene["tender"].id, text="联系人电话更正", affects_bids=False,
        now=TEST_NOW + timedelta(days=2),
    )  # fmt: skip
    _refused(db, scene, 0, TEST_NOW + timedelta(days=3))


def test_may_quote_again_is_once_per_amendment_政府采购法_第40条() -> None:
    quoted, amended = TEST_NOW, TEST_NOW + timedelta(hours=1)
    assert bids.may_quote_again(quoted_at=None, amended_at=None)  # the first quotation
    assert not bids.may_quote_again(quoted_at=quoted, amended_at=None)
    assert bids.may_quote_again(quoted_at=quoted, amended_at=amended)
    assert not bids.may_quote_again(quoted_at=amended + timedelta(minutes=1), amended_at=amended)
