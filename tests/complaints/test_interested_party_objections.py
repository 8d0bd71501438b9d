"""Objections to the tender documents by potential bidders or other interested parties (潜在投标人或者其他利害关系人,
招标投标法实施条例 第22条), without revealing who registered or how many (招标投标法 第22条)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.tendering import service as tendering
from ggzy.tendering.models import DocumentObjection
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, make_published_tender, principal, token_for


def test_an_interested_party_objects_to_the_documents_and_nothing_tells_who_registered_实施条例第22条(
    client: TestClient, db: Session
) -> None:
    tender, _ = make_published_tender(db)
    registered, outsider = bidder_user(db), bidder_user(db)
    tendering.register_for_tender(
        db, principal(db, registered, Permission.TENDER_REGISTER), tender_id=tender.id, now=TEST_NOW
    )
    url = f"/api/v1/tenders/{tender.id}/objections"
    by_bidder = client.post(url, json={"text": "工期要求不合理"}, headers=token_for(db, registered))
    by_outsider = client.post(
        url, json={"text": "技术参数指向特定品牌", "interest": "我公司为该品牌同类产品的供应商"},
        headers=token_for(db, outsider),
    )  # fmt: skip
    assert (by_bidder.status_code, by_outsider.status_code) == (201, 201), (by_bidder.text, by_outsider.text)
    # The same shape for both, and no word of registrations: the answer does not depend on having registered.
    assert set(by_bidder.json()) == set(by_outsider.json())
    assert not any("regist" in key for key in by_outsider.json())
    stored = db.scalar(select(DocumentObjection).where(DocumentObjection.public_id == by_outsider.json()["id"]))
    assert stored is not None
    assert stored.interest == "我公司为该品牌同类产品的供应商"
    payloads = [
        json.loads(e.payload) for e in db.scalars(select(Event).where(Event.action == "tender.objection_raised"))
    ]
    assert [p["interest_stated"] for p in payloads] == [False, True]
    assert all(set(p) == {"objection_id", "answer_due", "interest_stated"} for p in payloads)
    assert "registrations" not in client.get(f"/api/v1/tenders/{tender.id}").text
