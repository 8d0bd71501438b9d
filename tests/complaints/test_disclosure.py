"""Who learns who complained. Before the opening a complainant about the documents is a potential bidder
(招标投标法 第22条): the public ledger and the feed never name it, not even in the decision, and only the complainant
and the competent supervisor read the complaint (实施条例 第62条 confidentiality). Once the opening record has named
the bidders the decision names its complainant (实施条例 第78条) and discipline inspection reads the complaint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.entities.models import Entity
from ggzy.entities.schemas import RoleGrantIn
from ggzy.ledger.entries import entry_bytes
from tests.complaints.test_complaints import (
    _body,
    _complained_about_the_result,
    _cst,
    _load_2027,
    _objected_to_documents,
    _supervisor,
)
from tests.factories import bidder_user, make_user, token_for

# What would tell who complained, or what it alleged (the complaint row keeps all of it).
_IDENTIFYING = {"entity_id", "complainant", "interest", "request", "evidence", "decision"}


def _feed(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = -1
    while True:
        page = client.get("/api/v1/feed", params={"cursor": cursor, "limit": 500}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["more"]:
            return items


def _inspector(db: Session) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.INSPECTOR, region_code="530000")]))


def test_decision_before_the_opening_names_no_potential_bidder_招标投标法第22条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    _load_2027(db)
    tender, _, complainant = _objected_to_documents(db)
    entity = db.get(Entity, complainant.entity_id)
    assert entity is not None
    mine, supervisor = token_for(db, complainant), _supervisor(db)
    clock.set(_cst(2026, 11, 27))
    decisions = {
        "dismiss": {"decision": f"投诉人{entity.name}提供的业绩证明系伪造", "false_complaint": True},
        "uphold": {"decision": f"投诉人{entity.name}的投诉成立，责令改正资格条件", "remedy": "corrective_action"},
    }
    for step, body in decisions.items():
        lodged = client.post(f"/api/v1/tenders/{tender.id}/complaints", json=_body(), headers=mine)
        assert lodged.status_code == 201, lodged.text
        url = f"/api/v1/complaints/{lodged.json()['id']}"

        # before the opening: the complainant and the competent supervisor read it; nobody else learns it exists
        assert client.get(url, headers=mine).status_code == 200
        assert lodged.json()["id"] in [c["id"] for c in client.get("/api/v1/complaints", headers=mine).json()]
        assert client.get(url, headers=supervisor).status_code == 200
        for stranger in (_inspector(db), token_for(db, bidder_user(db)), _supervisor(db, region_code="530300")):
            assert client.get(url, headers=stranger).json()["code"] == "not_found"
            assert client.get("/api/v1/complaints", headers=stranger).json() == []

        assert client.post(f"{url}/accept", headers=supervisor).status_code == 200
        decided = client.post(f"{url}/{step}", json=body, headers=supervisor)
        assert decided.status_code == 200, decided.text
        # the complaint row keeps who complained and the written decision, for the complainant and the supervisor
        assert (decided.json()["entity_id"], decided.json()["decision"]) == (entity.id, body["decision"])
        assert client.get(url, headers=mine).json()["decision"] == body["decision"]
        assert client.get(url, headers=_inspector(db)).json()["code"] == "not_found"

    events = list(db.scalars(select(Event).where(Event.action.like("complaint.%")).order_by(Event.id)))
    assert [e.action for e in events if e.disclosed] == [
        "complaint.accepted", "complaint.dismissed", "complaint.accepted", "complaint.upheld"
    ]  # fmt: skip
    for event in events:  # the public ledger entries: the bytes anyone can fetch and hash
        public = entry_bytes(event).decode()
        assert entity.name not in public, event.action
        assert entity.credit_code not in public, event.action
        if event.disclosed:
            assert not _IDENTIFYING & set(json.loads(event.payload)), event.action
    # exactly the public facts of the decision: no hash of the written decision either (it names the complainant)
    # (the handling department and the legal basis are the supervisor's, never the complainant's: decision 0047)
    public_facts = {"complaint_id", "tender_id", "matter", "decision_due", "late", "suspension_lifted", "basis",
                    "department"}  # fmt: skip
    assert set(json.loads(events[2].payload)) == public_facts | {"false_complaint"}
    assert set(json.loads(events[5].payload)) == public_facts | {"remedy", "remedy_zh"}
    assert json.loads(events[2].payload)["false_complaint"] is True
    assert json.loads(events[5].payload)["remedy"] == "corrective_action"

    complaint_items = [item for item in _feed(client) if str(item.get("action", "")).startswith("complaint.")]
    assert [item["action"] for item in complaint_items] == [e.action for e in events if e.disclosed]
    feed_text = json.dumps(complaint_items, ensure_ascii=False)
    assert entity.name not in feed_text
    assert entity.credit_code not in feed_text
    assert not any(_IDENTIFYING & set(item["payload"]) for item in complaint_items)


def test_decision_once_the_bids_are_public_names_the_complainant_实施条例第78条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _complained_about_the_result(client, db, gm_ca, clock)
    url, supervisor = scene["complaint_url"], scene["supervisor"]
    entity = db.get(Entity, scene["bidders"][1].entity_id)
    assert entity is not None
    assert client.get(url, headers=_inspector(db)).status_code == 200  # discipline inspection, once bids are public
    assert [c["entity_id"] for c in client.get("/api/v1/complaints", headers=_inspector(db)).json()] == [entity.id]
    decision = "第一中标候选人业绩属实，投诉不成立"
    dismissed = client.post(f"{url}/dismiss", json={"decision": decision}, headers=supervisor)
    assert dismissed.status_code == 200, dismissed.text
    item = next(item for item in _feed(client) if item.get("action") == "complaint.dismissed")
    assert item["payload"]["complainant"] == {"name": entity.name, "credit_code": entity.credit_code}
    assert item["payload"]["decision"] == decision
