"""Objections by other interested parties (其他利害关系人, 招标投标法实施条例 第54条) and the fresh publicity after
an answer changes the evaluation result (第54条: at least 3 days, the award waits). Refused requests leave no row
and no event."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import rules, service
from ggzy.awards.models import Award, CandidatePublicity, PublicityObjection
from ggzy.core.calendar_store import package_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.tendering.procedures import OPEN
from tests.factories import bidder_user, event_count, make_publicised_tender, token_for

PROBLEM = "application/problem+json"


def _rows(db: Session) -> tuple[int, ...]:
    counted = (Award, PublicityObjection)
    return (*(db.scalar(select(func.count()).select_from(m)) or 0 for m in counted), event_count(db))


def _refused(db: Session, response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code
    return response.json()


def _url(scene: dict, tail: str) -> str:
    return f"/api/v1/tenders/{scene['tender'].id}{tail}"


def test_an_interested_party_that_did_not_bid_objects_when_it_states_its_interest_实施条例第54条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_publicised_tender(db, gm_ca)
    clock.set(scene["publicity"].starts_at + timedelta(hours=1))
    subcontractor = token_for(db, bidder_user(db))
    body = {"text": "第一中标候选人的项目经理同时在其他在建项目任职"}
    before = _rows(db)
    problem = _refused(
        db, client.post(_url(scene, "/publicity/objections"), json=body, headers=subcontractor), 403,
        "not_a_bidder_of_tender",
    )  # fmt: skip
    assert "其他利害关系人" in problem["message_zh"]
    assert _rows(db) == before

    stated = body | {"interest": "我公司为第二中标候选人的指定分包单位"}
    raised = client.post(_url(scene, "/publicity/objections"), json=stated, headers=subcontractor)
    assert raised.status_code == 201, raised.text
    objection = db.get(PublicityObjection, raised.json()["id"])
    assert objection is not None
    assert objection.interest == "我公司为第二中标候选人的指定分包单位"
    event = db.scalar(select(Event).where(Event.action == "award.objection_raised").order_by(Event.id.desc()))
    assert event is not None
    assert json.loads(event.payload)["objector"] == "interested_party"
    # a bidder needs no statement, and none is kept for it
    bidder = client.post(
        _url(scene, "/publicity/objections"), json=body | {"interest": "无关"},
        headers=token_for(db, scene["bidders"][0]),
    )  # fmt: skip
    assert bidder.status_code == 201, bidder.text
    assert db.get(PublicityObjection, bidder.json()["id"]).interest is None  # type: ignore[union-attr]


def test_an_answer_that_changes_the_result_requires_a_fresh_publicity_of_3_days_before_the_award_实施条例第54条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_publicised_tender(db, gm_ca)
    publicity = scene["publicity"]
    agent = token_for(db, scene["agent_user"])
    bidder = token_for(db, scene["bidders"][1])  # ranked second
    first, second, third = (c["bid_id"] for c in service.candidates_of(publicity))
    clock.set(publicity.starts_at + timedelta(hours=2))
    raised = client.post(_url(scene, "/publicity/objections"), json={"text": "第一名报价低于成本"}, headers=bidder)
    assert raised.status_code == 201, raised.text
    answered = client.post(
        f"/api/v1/publicity-objections/{raised.json()['id']}/answer",
        json={"text": "经评标委员会复核，第一名投标报价低于成本，予以否决", "changes_result": True}, headers=agent,
    )  # fmt: skip
    assert answered.status_code == 200, answered.text
    stage = client.get(_url(scene, "/award")).json()["publicity"]
    assert (stage["state"], stage["round"], stage["running"]) == ("result_changed", 1, False)

    # While the result is changed, no objection to the old result and no award, even after the old period ends.
    before = _rows(db)
    _refused(
        db, client.post(_url(scene, "/publicity/objections"), json={"text": "再次异议"}, headers=bidder), 409,
        "publicity_result_changed",
    )  # fmt: skip
    clock.set(publicity.ends_at + timedelta(hours=1))
    _refused(
        db, client.post(_url(scene, "/award"), json={"bid_id": second}, headers=agent), 409, "publicity_result_changed"
    )
    republish = _url(scene, "/publicity/republish")
    basis = {"basis": "评标委员会复核意见（2026年12月20日）"}
    _refused(
        db, client.post(republish, json=basis | {"recommended": [first, second, third]}, headers=agent), 422,
        "invalid_input",
    )  # the same candidates: the result did not change  # fmt: skip
    now = clock.now()
    short = rules.earliest_publicity_end(package_calendar(), starts_at=now, procedure=OPEN) - timedelta(minutes=1)
    _refused(
        db, client.post(republish, json=basis | {"recommended": [second, third], "ends_at": short.isoformat()},
                        headers=agent),
        422, "publicity_too_short",
    )  # fmt: skip
    assert _rows(db) == before

    again = client.post(republish, json=basis | {"recommended": [second, third]}, headers=agent)
    assert again.status_code == 200, again.text
    fresh = again.json()["publicity"]
    assert (fresh["state"], fresh["round"], fresh["running"]) == ("publicised", 2, True)
    assert [c["bid_id"] for c in fresh["candidates"]] == [second, third]
    db.expire_all()
    row = db.scalar(select(CandidatePublicity).where(CandidatePublicity.tender_id == scene["tender"].id))
    assert row is not None
    assert row.ends_at == rules.earliest_publicity_end(package_calendar(), starts_at=now, procedure=OPEN)
    assert row.ends_at - now >= timedelta(days=3)

    # The award waits for the fresh period; then it goes to the new first candidate.
    clock.set(row.ends_at - timedelta(seconds=1))
    _refused(db, client.post(_url(scene, "/award"), json={"bid_id": second}, headers=agent), 409, "publicity_not_ended")
    clock.set(row.ends_at)
    awarded = client.post(_url(scene, "/award"), json={"bid_id": second}, headers=agent)
    assert awarded.status_code == 201, awarded.text
    assert awarded.json()["award"]["rank"] == 1
    event = db.scalar(select(Event).where(Event.action == "award.publicity_republished"))
    assert event is not None
    assert event.disclosed
    assert json.loads(event.payload)["round"] == 2


def test_republishing_is_refused_unless_the_result_changed_实施条例第54条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_publicised_tender(db, gm_ca)
    second = service.candidates_of(scene["publicity"])[1]["bid_id"]
    clock.set(scene["publicity"].starts_at + timedelta(hours=1))
    before = _rows(db)
    _refused(
        db,
        client.post(
            _url(scene, "/publicity/republish"), json={"recommended": [second], "basis": "复核意见"},
            headers=token_for(db, scene["agent_user"]),
        ),
        409, "publicity_state_wrong",
    )  # fmt: skip
    assert _rows(db) == before


def test_publicity_moves_only_along_its_transitions_实施条例第54条() -> None:
    assert rules.publicity_move(
        current=rules.PUBLICISED, target=rules.RESULT_CHANGED, action_zh="x", action_en="x"
    ) == rules.RESULT_CHANGED  # fmt: skip
    assert rules.publicity_move(
        current=rules.RESULT_CHANGED, target=rules.PUBLICISED, action_zh="x", action_en="x"
    ) == rules.PUBLICISED  # fmt: skip
    for current, target in ((rules.PUBLICISED, rules.PUBLICISED), (rules.RESULT_CHANGED, rules.RESULT_CHANGED)):
        try:
            rules.publicity_move(current=current, target=target, action_zh="x", action_en="x")
        except rules.PublicityStateWrong:
            continue
        raise AssertionError(f"{current} -> {target} must be refused")
