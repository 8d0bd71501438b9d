"""The full trail of an opened round for supervision and discipline inspection (decision 0043): sealed until the
opening (招标投标法 第22条, 第36条); the payloads the ledger withholds only once the result is known (招标投标法
第37条: the committee's names stay secret until then); every reading an event the round's owner, agent and bidders
see; nobody outside the region reads it, and a bidder or visitor is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering.models import SealedBid
from ggzy.tendering.stages import Stage
from tests.factories import (
    make_awarded_tender,
    make_opened_tender,
    make_published_tender,
    make_user,
    token_for,
    user_with_role,
)
from tests.portal.ws_support import browser_login

DETAILS = {"ip": "198.51.100.7", "user_agent": "ggzy-bid/0.1", "device": {"mac": "00-1A-2B-3C-4D-5E"}}


def _with_details(db: Session) -> Any:
    def record(tender: Any, bidders: list[Any]) -> None:  # what the submission API records (tendering/api.py)
        db.execute(
            update(SealedBid).where(SealedBid.tender_id == tender.id).values(submission_details=json.dumps(DETAILS))
        )

    return record


def _looks(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event).where(Event.action == "oversight.viewed")) or 0


def test_before_the_opening_nothing_is_readable_and_the_refusal_records_nothing(
    client: TestClient, db: Session
) -> None:
    tender, _ = make_published_tender(db)
    supervisor = token_for(db, user_with_role(db, Role.SUPERVISOR))
    answer = client.get(f"/api/v1/oversight/tenders/{tender.id}/trail", headers=supervisor)
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "trail_sealed_until_opening"
    assert _looks(db) == 0
    assert client.get("/api/v1/oversight/rounds", headers=supervisor).json() == []


def test_after_the_opening_the_supervisor_reads_every_event_and_every_envelopes_details(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_opened_tender(db, gm_ca, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00],
                               before_opening=_with_details(db))  # fmt: skip
    tender_id = scene["tender"].id
    supervisor = token_for(db, user_with_role(db, Role.SUPERVISOR))  # 云南 530000; the project is in 530102
    [row] = client.get("/api/v1/oversight/rounds", headers=supervisor).json()
    assert row["tender_id"] == tender_id
    answer = client.get(f"/api/v1/oversight/tenders/{tender_id}/trail", headers=supervisor)
    assert answer.status_code == 200, answer.text
    trail = answer.json()
    assert len(trail["submissions"]) == 3
    assert {(s["ip"], s["user_agent"], s["device"]) for s in trail["submissions"]} == {
        ("198.51.100.7", "ggzy-bid/0.1", "mac: 00-1A-2B-3C-4D-5E")
    }
    actions = [entry["action"] for entry in trail["entries"]]
    assert "tender.published" in actions
    assert trail["result_known"] is False
    withheld = [entry for entry in trail["entries"] if not entry["disclosed"]]
    assert withheld, "an opened round has undisclosed events (the bids' submissions)"
    assert all(entry["facts"] is None for entry in withheld)  # before the result: withheld
    assert all(entry["facts"] is not None for entry in trail["entries"] if entry["disclosed"])
    assert _looks(db) == 1
    # the reading itself is in the trail it returns, and is shown to the inspected
    assert [look["role"] for look in trail["looks"]] == ["supervisor"]


def test_once_the_result_is_known_the_withheld_payloads_are_shown_too(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_awarded_tender(db, gm_ca)
    assert scene["tender"].stage == Stage.AWARDED
    inspector = token_for(db, user_with_role(db, Role.INSPECTOR))
    trail = client.get(f"/api/v1/oversight/tenders/{scene['tender'].id}/trail", headers=inspector).json()
    assert trail["result_known"] is True
    drawn = [entry for entry in trail["entries"] if entry["action"] == "committee.drawn"]
    assert drawn, [entry["action"] for entry in trail["entries"]]
    assert drawn[0]["disclosed"] is False
    keys = {key for key, _ in drawn[0]["facts"]}
    assert "experts" in keys  # the committee, named once the result is known


def test_outside_the_region_nothing_is_found_a_bidder_and_a_visitor_are_refused(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_opened_tender(db, gm_ca, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00])
    path = f"/api/v1/oversight/tenders/{scene['tender'].id}/trail"
    for grant in (RoleGrantIn(role=Role.SUPERVISOR, region_code="110000"),
                  RoleGrantIn(role=Role.INSPECTOR, region_code="110000"),
                  RoleGrantIn(role=Role.SUPERVISOR, region_code="530000", trade_type="land")):  # fmt: skip
        answer = client.get(path, headers=token_for(db, make_user(db, roles=[grant])))
        assert answer.status_code == 404, (grant, answer.text)
    bidder = token_for(db, scene["bidders"][0])
    for where in (path, f"/workspace/oversight/tenders/{scene['tender'].id}", "/workspace/oversight"):
        assert client.get(where, headers=bidder).status_code == 403
        assert client.get(where).status_code == 401
    assert _looks(db) == 0


def test_the_pages_show_the_trail_as_tables_and_the_inspected_see_who_read_it(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_opened_tender(db, gm_ca, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00],
                               before_opening=_with_details(db))  # fmt: skip
    tender_id = scene["tender"].id
    inspector = make_user(db, roles=[RoleGrantIn(role=Role.INSPECTOR, region_code="530000")])
    inspector.display_name = "省纪检审计员"
    db.flush()
    browser_login(client, db, inspector)
    listing = client.get("/workspace/oversight")
    assert listing.status_code == 200
    assert f"/workspace/oversight/tenders/{tender_id}" in listing.text
    page = client.get(f"/workspace/oversight/tenders/{tender_id}")
    assert page.status_code == 200, page.text
    assert "198.51.100.7" in page.text
    assert "mac: 00-1A-2B-3C-4D-5E" in page.text
    assert "tender.published" in page.text
    assert "结果确定前不予显示" in page.text
    assert '{"' not in page.text.split("<main", 1)[1]  # tables, never raw JSON

    client.cookies.clear()
    browser_login(client, db, scene["agent_user"])
    owner_page = client.get(f"/workspace/projects/tenders/{tender_id}")
    assert owner_page.status_code == 200, owner_page.text
    assert "监督查阅记录" in owner_page.text
    assert "省纪检审计员" in owner_page.text
    client.cookies.clear()
    browser_login(client, db, scene["bidders"][0])
    bidder_page = client.get(f"/workspace/bidder/tenders/{tender_id}")
    assert bidder_page.status_code == 200, bidder_page.text
    assert "省纪检审计员" in bidder_page.text


def test_a_payload_reads_as_rows_in_beijing_time_never_as_json() -> None:
    from ggzy.supervision.trail import flatten

    rows = flatten({"at": "2026-11-24T06:00:00+00:00", "bids": [{"id": "B1", "price_fen": 1}], "days": [1, 2],
                    "note": "2026-11-24 是日"})  # fmt: skip
    assert rows == [
        ("at", "2026-11-24T14:00:00+08:00"), ("bids[1].id", "B1"), ("bids[1].price_fen", "1"), ("days", "1、2"),
        ("note", "2026-11-24 是日"),
    ]  # fmt: skip
