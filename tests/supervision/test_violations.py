"""A missed statutory period is a recorded violation shown to the supervisor, never a lock (DESIGN §5, decision
0021): the late step goes ahead, and in the same unit of work its event carries the violation and a
``period_violations`` row records it with the period's article."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ggzy.awards import rules as award_rules
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.core.violations import PeriodViolation
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering.procedures import OPEN
from ggzy.tendering.rules import china_date
from tests.factories import (
    bidder_user,
    make_evaluated_tender,
    make_published_tender,
    make_user,
    token_for,
    user_with_role,
)

ART_54 = "招标投标法实施条例 第五十四条"
ART_22 = "招标投标法实施条例 第二十二条"


def _violations(db: Session) -> list[PeriodViolation]:
    return list(db.scalars(select(PeriodViolation).order_by(PeriodViolation.id)))


def _publish_on_day_4(client: TestClient, db: Session, gm_ca: Path, clock: FixedClock) -> dict:
    scene = make_evaluated_tender(db, gm_ca)
    clock.set(scene["reported_at"] + timedelta(days=4))
    published = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/publicity", json={}, headers=token_for(db, scene["agent_user"])
    )
    assert published.status_code == 201, published.text
    return scene | {"published": published.json()}


def test_regulations_art_54_candidates_publicised_on_day_4_are_published_the_violation_recorded_and_the_lot_awarded(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """实施条例 第54条: publicised one day after the 3 days — the publicity is published (no refusal locks the lot),
    the violation is recorded with 第54条, and the tender goes on to its award."""
    scene = _publish_on_day_4(client, db, gm_ca, clock)
    assert scene["published"]["stage"] == "publicity"
    due = award_rules.last_publicity_start_day(
        working_day_calendar(db), report_received_at=scene["reported_at"], procedure=OPEN
    )
    started_on = china_date(scene["reported_at"] + timedelta(days=4))

    [violation] = _violations(db)
    assert (violation.period_key, violation.article) == ("award.publicity_start", ART_54)
    assert (violation.due, violation.happened_on) == (due, started_on)
    assert violation.days_late == (started_on - due).days >= 1
    assert (violation.subject_type, violation.subject_id) == ("tender", str(scene["tender"].id))
    assert violation.centre_id == scene["project"].centre_id
    assert violation.actor_role == Role.AGENT.value
    event = db.get(Event, violation.event_id)
    assert event is not None
    assert event.action == "award.publicity_published"
    assert json.loads(event.payload)["violation"] == {
        "period": "award.publicity_start", "article": ART_54, "due": due.isoformat(),
        "happened_on": started_on.isoformat(), "days_late": violation.days_late,
    }  # fmt: skip

    publicity_ends = scene["published"]["publicity"]["ends_at"]
    clock.set(datetime.fromisoformat(publicity_ends))
    first = scene["published"]["publicity"]["candidates"][0]["bid_id"]
    awarded = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/award",
        json={"bid_id": first},
        headers=token_for(db, scene["agent_user"]),
    )
    assert awarded.status_code == 201, awarded.text
    assert awarded.json()["stage"] == "awarded"


def test_regulations_art_54_a_publicity_in_time_records_no_violation(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    clock.set(scene["reported_at"] + timedelta(days=3))
    published = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/publicity", json={}, headers=token_for(db, scene["agent_user"])
    )
    assert published.status_code == 201, published.text
    assert _violations(db) == []
    event = db.scalar(select(Event).where(Event.action == "award.publicity_published"))
    assert event is not None
    assert "violation" not in json.loads(event.payload)


def test_regulations_art_54_a_publicity_shorter_than_3_days_is_still_refused_and_leaves_nothing(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """Even a late start never shortens the public's 3 days (第54条): the refusal stands, and nothing of the late
    step — no violation either — is left behind."""
    scene = make_evaluated_tender(db, gm_ca)
    now = scene["reported_at"] + timedelta(days=5)
    clock.set(now)
    short = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/publicity", json={"ends_at": (now + timedelta(days=1)).isoformat()},
        headers=token_for(db, scene["agent_user"]),
    )  # fmt: skip
    assert short.status_code == 422, short.text
    assert short.json()["code"] == "publicity_too_short"
    assert db.scalar(select(func.count()).select_from(PeriodViolation)) == 0


def test_regulations_art_22_an_objection_to_the_documents_answered_late_is_answered_and_recorded(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    """实施条例 第22条: the owner answers within 3 days; answered on the 5th day, the answer is given (the tender
    resumes) and the missed period recorded with 第22条."""
    tender, setup = make_published_tender(db)
    raised = client.post(
        f"/api/v1/tenders/{tender.id}/objections", json={"text": "资格条件排斥潜在投标人"},
        headers=token_for(db, bidder_user(db)),
    )  # fmt: skip
    assert raised.status_code == 201, raised.text
    clock.advance(timedelta(days=5))
    answer = client.post(
        f"/api/v1/objections/{raised.json()['id']}/answer", json={"text": "已修改资格条件"},
        headers=token_for(db, setup["owner_user"]),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert client.get(f"/api/v1/tenders/{tender.id}").json()["paused"] is False

    [violation] = _violations(db)
    assert (violation.period_key, violation.article) == ("tender.documents_objection_answer", ART_22)
    assert violation.due.isoformat() == raised.json()["answer_due"]
    assert violation.days_late == 2
    event = db.get(Event, violation.event_id)
    assert event is not None
    payload = json.loads(event.payload)
    assert event.action == "tender.objection_answered"
    assert payload["late"] is True
    assert payload["violation"]["article"] == ART_22
    assert payload["violation"]["days_late"] == 2


def test_regulations_art_54_an_objection_to_the_result_answered_late_is_recorded(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    clock.set(scene["reported_at"])
    agent = token_for(db, scene["agent_user"])
    assert client.post(f"/api/v1/tenders/{scene['tender'].id}/publicity", json={}, headers=agent).status_code == 201
    raised = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/publicity/objections", json={"text": "评分有误"},
        headers=token_for(db, scene["bidders"][0]),
    )  # fmt: skip
    assert raised.status_code == 201, raised.text
    clock.advance(timedelta(days=6))
    answered = client.post(
        f"/api/v1/publicity-objections/{raised.json()['id']}/answer", json={"text": "经复核，评分无误"}, headers=agent
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_late"] is True
    [violation] = _violations(db)
    assert (violation.period_key, violation.article) == ("award.result_objection_answer", ART_54)
    assert violation.days_late >= 1


def test_the_supervisor_sees_missed_periods_on_the_api_and_the_page_and_others_are_refused(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """DESIGN §5: shown to the supervisor. The supervisor of the region, the centre's staff and the administrator
    read the violation; a supervisor elsewhere, the staff of another centre, an inspector elsewhere see nothing; a
    bidder is refused (403) and a visitor asked to log in (401), on the API and the page alike."""
    scene = _publish_on_day_4(client, db, gm_ca, clock)
    tender_id = scene["tender"].id
    supervisor = token_for(db, user_with_role(db, Role.SUPERVISOR))  # 云南 530000: the project is in 530102
    listed = client.get("/api/v1/violations", headers=supervisor)
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    assert (row["tender_id"], row["period"], row["article"]) == (tender_id, "award.publicity_start", ART_54)
    assert row["project_code"] == scene["project"].code
    assert row["days_late"] >= 1
    assert row["period_name_zh"] == "自收到评标报告之日起公示中标候选人"
    assert client.get(f"/api/v1/violations?tender_id={tender_id}", headers=supervisor).json() == [row]
    assert client.get(f"/api/v1/violations?tender_id={tender_id + 1000}", headers=supervisor).json() == []
    centre_id = scene["project"].centre_id
    assert client.get(f"/api/v1/violations?centre_id={centre_id}", headers=supervisor).json() == [row]

    staff = token_for(db, scene["staff"])
    assert [r["id"] for r in client.get("/api/v1/violations", headers=staff).json()] == [row["id"]]
    admin = token_for(db, user_with_role(db, Role.PLATFORM_ADMIN))
    assert [r["id"] for r in client.get("/api/v1/violations", headers=admin).json()] == [row["id"]]
    elsewhere = [
        make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="110000")]),
        make_user(db, roles=[RoleGrantIn(role=Role.INSPECTOR, region_code="110000")]),
        user_with_role(db, Role.CENTRE_STAFF),  # a centre of its own
    ]
    for user in elsewhere:
        assert client.get("/api/v1/violations", headers=token_for(db, user)).json() == []

    bidder = token_for(db, scene["bidders"][0])
    for path in ("/api/v1/violations", "/workspace/violations"):
        assert client.get(path, headers=bidder).status_code == 403
        assert client.get(path).status_code == 401

    page = client.get("/workspace/violations", headers=supervisor)
    assert page.status_code == 200, page.text
    assert "期间违规记录" in page.text
    assert ART_54 in page.text
    assert scene["project"].code in page.text
    due = row["due"].split("-")
    assert f"{int(due[0])}年{int(due[1])}月{int(due[2])}日" in page.text  # shown as a China date
    assert "/workspace/violations" in client.get("/workspace", headers=supervisor).text
    english = client.get("/workspace/violations?lang=en", headers=supervisor)
    assert "Missed statutory periods" in english.text
    assert "The candidates are publicised after the evaluation report is received" in english.text


@pytest.mark.parametrize(
    "statement", ["UPDATE period_violations SET article = 'forged'", "UPDATE period_violations SET due = happened_on",
                  "DELETE FROM period_violations"],
)  # fmt: skip
def test_a_recorded_violation_cannot_be_changed_or_deleted(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock, statement: str
) -> None:
    """Like the events that carry them (DESIGN §4.1), violations are append-only in the database itself."""
    _publish_on_day_4(client, db, gm_ca, clock)
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))
    assert len(_violations(db)) == 1
