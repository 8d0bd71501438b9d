"""The API of performance security and fees (decision 0037): each refusal a problem with its stable code, leaving no
row and no event; each reader only what is its own."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.finance.purpose_models import FeeSchedule, PerformanceRequirement
from ggzy.tendering import service as tendering
from tests.factories import bidder_user, make_awarded_tender, token_for, user_with_role
from tests.finance.performance_support import awarded_with_security, save, scene_winner_user
from tests.finance.support import deposit_tender


def _count(db: Session, model: type, *where: object) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def test_regulations_art_58_over_the_api_above_10_percent_is_a_422_naming_the_article_and_leaves_nothing(
    client: TestClient, db: Session
) -> None:
    tender, setup = deposit_tender(db)
    agent = token_for(db, setup["agent_user"])
    url = f"/api/v1/finance/performance/{tender.id}/requirement"
    refused = client.post(url, json={"percent": "10.5"}, headers=agent)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "performance_security_above_cap"
    assert "58" in refused.json()["detail"], refused.json()
    assert _count(db, PerformanceRequirement) == 0
    assert _count(db, Event, Event.action == "performance.required") == 0
    bidder = token_for(db, bidder_user(db))
    assert client.post(url, json={"percent": "5"}, headers=bidder).status_code == 403
    made = client.post(url, json={"percent": "10"}, headers=agent)
    assert made.status_code == 201, made.text
    assert made.json()["percent"] == "10"


def test_the_fee_schedule_over_the_api_a_malformed_one_is_refused_and_leaves_nothing(
    client: TestClient, db: Session
) -> None:
    staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF))
    bands = [{"up_to_fen": 100_000_000, "rate_percent": "0.5"}, {"up_to_fen": None, "rate_percent": "0.1"}]
    body = {"payer": "winner", "due_days": 10, "bands": bands}
    bad = client.post(
        "/api/v1/finance/fee-schedules", json=body | {"bands": [{"up_to_fen": 5, "rate_percent": "1"}]}, headers=staff
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["code"] == "fee_schedule_invalid"
    assert _count(db, FeeSchedule) == 0
    made = client.post("/api/v1/finance/fee-schedules", json=body, headers=staff)
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1
    listed = client.get("/api/v1/finance/fee-schedules", headers=staff).json()
    assert [row["version"] for row in listed] == [1]
    assert listed[0]["bands"][0] == {"up_to_fen": 100_000_000, "rate_percent": "0.5"}


def test_the_fee_notice_is_read_by_its_payer_not_by_another_bidder(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_awarded_tender(
        db, gm_ca, before_opening=lambda t, u: save(db, tendering.project_of(db, t)[0].centre_id)
    )
    tender = scene["tender"]
    winner = token_for(db, scene_winner_user(db, scene))
    read = client.get(f"/api/v1/finance/fee-notices/{tender.id}", headers=winner)
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "unpaid"
    assert "元" in read.json()["amount_in_words"]
    assert read.json()["lines"][0]["rate_percent"] == "0.5"
    other = token_for(db, bidder_user(db))
    assert client.get(f"/api/v1/finance/fee-notices/{tender.id}", headers=other).status_code == 403


def test_the_performance_security_is_read_by_the_winner_not_by_a_loser(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = awarded_with_security(db, gm_ca)
    tender = scene["tender"]
    winner = token_for(db, scene_winner_user(db, scene))
    read = client.get(f"/api/v1/finance/performance/{tender.id}", headers=winner)
    assert read.status_code == 200, read.text
    assert (read.json()["provided"], read.json()["percent"], read.json()["cash_accepted"]) == (False, "10", True)
    loser = next(user for user in scene["bidders"] if user.entity_id != scene["award"].entity_id)
    assert client.get(f"/api/v1/finance/performance/{tender.id}", headers=token_for(db, loser)).status_code == 403
    early = client.post(
        f"/api/v1/finance/performance/{tender.id}/completion", json={"completed_on": "2026-01-01"},
        headers=token_for(db, scene["agent_user"]),
    )  # fmt: skip
    assert early.status_code == 409  # no contract yet
    assert _count(db, Event, Event.action == "performance.completed") == 0
