"""The award stage on the database and through the API: 招标投标法实施条例 第54条 (publicity, objections), 第55条
(the award), 招标投标法 第45条 (the letters) and 第46条 (the contract). Refused requests leave no row and no event."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import service
from ggzy.awards.models import Award, AwardLetter, CandidatePublicity, Contract, PublicityObjection
from ggzy.core.calendar_store import package_calendar, working_day_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.core.violations import PeriodViolation
from ggzy.ledger.note import open_note
from ggzy.tendering.rules import china_date
from tests.conftest import LEDGER_KEYS
from tests.factories import (
    bidder_user,
    event_count,
    make_awarded_tender,
    make_evaluated_tender,
    make_publicised_tender,
    principal,
    token_for,
)

PROBLEM = "application/problem+json"


def _rows(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _url(scene: dict, tail: str) -> str:
    return f"/api/v1/tenders/{scene['tender'].id}{tail}"


def _refused(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code
    return response.json()


def test_regulations_art_54_publicity_within_3_days_of_the_report_shows_the_ranked_candidates(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """A start after the 3 days is published too, with its violation: tests/supervision/test_violations.py."""
    scene = make_evaluated_tender(db, gm_ca)
    agent = token_for(db, scene["agent_user"])
    clock.set(scene["reported_at"] + timedelta(days=3))
    published = client.post(_url(scene, "/publicity"), json={}, headers=agent)
    assert published.status_code == 201, published.text
    assert published.json()["stage"] == "publicity"
    candidates = published.json()["publicity"]["candidates"]
    bids = scene["bid_ids"]  # prices 300,000, 200,000 and 100,000 yuan: the cheapest ranks first
    assert [(c["rank"], c["bid_id"], c["price"]) for c in candidates] == [
        (1, bids[2], "100000.00"), (2, bids[1], "200000.00"), (3, bids[0], "300000.00")
    ]  # fmt: skip
    event = db.scalar(select(Event).where(Event.action == "award.publicity_published"))
    assert event is not None
    assert event.disclosed


def test_regulations_art_54_publicity_lasts_at_least_3_days_and_may_be_longer(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    agent = token_for(db, scene["agent_user"])
    clock.set(scene["reported_at"])
    from ggzy.awards import rules
    from ggzy.tendering.procedures import OPEN

    earliest = rules.earliest_publicity_end(package_calendar(), starts_at=scene["reported_at"], procedure=OPEN)
    short = client.post(
        _url(scene, "/publicity"), json={"ends_at": (earliest - timedelta(minutes=1)).isoformat()}, headers=agent
    )
    assert _refused(short, 422, "publicity_too_short")["field"] == "ends_at"
    assert _rows(db, CandidatePublicity) == 0
    longer = earliest + timedelta(days=2)
    published = client.post(_url(scene, "/publicity"), json={"ends_at": longer.isoformat()}, headers=agent)
    assert published.status_code == 201, published.text
    publicity = service.find_publicity(db, scene["tender"].id)
    assert publicity is not None
    assert publicity.ends_at == longer


def test_regulations_art_54_objection_only_from_a_bidder_during_publicity(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    bidder = token_for(db, scene["bidders"][0])
    body = {"text": "第一名业绩造假，请复核"}
    clock.set(scene["reported_at"])
    _refused(client.post(_url(scene, "/publicity/objections"), json=body, headers=bidder), 409, "tender_stage_wrong")
    publicity = service.publish_publicity(
        db, principal(db, scene["owner_user"], Permission.AWARD_MANAGE), tender_id=scene["tender"].id, ends_at=None,
        now=scene["reported_at"],
    )  # fmt: skip
    stranger = token_for(db, bidder_user(db))
    _refused(
        client.post(_url(scene, "/publicity/objections"), json=body, headers=stranger), 403, "not_a_bidder_of_tender"
    )
    raised = client.post(_url(scene, "/publicity/objections"), json=body, headers=bidder)
    assert raised.status_code == 201, raised.text
    assert raised.json()["answer_due"] == (china_date(scene["reported_at"]) + timedelta(days=3)).isoformat()
    assert raised.json()["text"] == body["text"]  # the objector reads its own
    public = client.get(_url(scene, "/award")).json()["publicity"]
    assert (public["objections_raised"], public["objections_pending"], public["objections"]) == (1, 1, None)
    owner_view = client.get(_url(scene, "/award"), headers=token_for(db, scene["owner_user"])).json()
    assert owner_view["publicity"]["objections"][0]["text"] == body["text"]

    before = event_count(db)
    clock.set(publicity.ends_at)
    late = client.post(_url(scene, "/publicity/objections"), json=body, headers=bidder)
    assert "第五十四条" in _refused(late, 409, "objection_outside_publicity")["message_zh"]
    assert (_rows(db, PublicityObjection), event_count(db)) == (1, before)


def test_regulations_art_54_award_refused_before_publicity_ends_and_while_an_objection_is_pending(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_publicised_tender(db, gm_ca)
    publicity = scene["publicity"]
    agent = token_for(db, scene["agent_user"])
    first = service.candidates_of(publicity)[0]["bid_id"]
    award = {"bid_id": first}

    def nothing_left(before: int) -> None:
        assert (_rows(db, Award), _rows(db, AwardLetter), event_count(db)) == (0, 0, before)
        assert scene["tender"].stage == "publicity"

    before = event_count(db)
    clock.set(publicity.ends_at - timedelta(seconds=1))
    early = _refused(client.post(_url(scene, "/award"), json=award, headers=agent), 409, "publicity_not_ended")
    assert "第五十四条" in early["message_zh"]
    assert "art. 54" in early["message_en"]
    nothing_left(before)

    clock.set(publicity.ends_at - timedelta(hours=1))
    objection = client.post(
        _url(scene, "/publicity/objections"), json={"text": "评分有误"}, headers=token_for(db, scene["bidders"][0])
    )
    assert objection.status_code == 201, objection.text
    clock.set(publicity.ends_at)
    before = event_count(db)
    paused = _refused(client.post(_url(scene, "/award"), json=award, headers=agent), 409, "award_paused")
    assert "第五十四条" in paused["message_zh"]
    nothing_left(before)

    clock.set(publicity.ends_at + timedelta(days=5))  # answered after its 3 days: recorded as late
    answered = client.post(
        f"/api/v1/publicity-objections/{objection.json()['id']}/answer",
        json={"text": "经复核，评分无误"},
        headers=agent,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_late"] is True
    event = db.scalar(select(Event).where(Event.action == "award.objection_answered"))
    assert event is not None
    assert json.loads(event.payload)["late"] is True
    assert client.post(_url(scene, "/award"), json=award, headers=agent).status_code == 201


def test_regulations_art_55_award_to_the_first_candidate(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_publicised_tender(db, gm_ca)
    listed = service.candidates_of(scene["publicity"])
    agent = token_for(db, scene["agent_user"])
    clock.set(scene["publicity"].ends_at)
    second = client.post(_url(scene, "/award"), json={"bid_id": listed[1]["bid_id"]}, headers=agent)
    assert "第五十五条" in _refused(second, 422, "award_not_in_rank_order")["message_zh"]
    assert _rows(db, Award) == 0

    awarded = client.post(_url(scene, "/award"), json={"bid_id": listed[0]["bid_id"]}, headers=agent)
    assert awarded.status_code == 201, awarded.text
    view = client.get(_url(scene, "/award")).json()  # public: the winner and the price
    assert view["stage"] == "awarded"
    assert (view["award"]["bid_id"], view["award"]["rank"], view["award"]["price"]) == (
        listed[0]["bid_id"], 1, "100000.00"
    )  # fmt: skip
    assert view["award"]["name"] == listed[0]["name"]
    assert view["award"]["notice"]["winner"]["name"] == listed[0]["name"]
    event = db.scalar(select(Event).where(Event.action == "award.awarded"))
    assert event is not None
    assert event.disclosed
    payload = json.loads(event.payload)
    assert (payload["price_fen"], payload["passed_over"]) == (10_000_000, [])
    assert "expert" not in event.payload
    assert "member" not in event.payload


def test_regulations_art_55_a_later_candidate_only_with_a_recorded_reason(db: Session, gm_ca: Path) -> None:
    scene = make_publicised_tender(db, gm_ca)
    listed = service.candidates_of(scene["publicity"])
    manager = principal(db, scene["owner_user"], Permission.AWARD_MANAGE)
    from ggzy.awards import rules

    award = service.award_tender(
        db, manager, tender_id=scene["tender"].id, bid_id=listed[1]["bid_id"],
        passed_over=[rules.PassedOver(listed[0]["bid_id"], "gave_up", "第一名于公示期满后书面放弃中标")],
        signers=LEDGER_KEYS.signers, now=scene["publicity"].ends_at,
    )  # fmt: skip
    assert (award.rank, award.price_fen, award.entity_id) == (2, 20_000_000, listed[1]["entity_id"])
    reasons = json.loads(award.passed_over)
    assert reasons == [
        {"bid_id": listed[0]["bid_id"], "rank": 1, "ground": "gave_up", "ground_zh": "放弃中标",
         "note": "第一名于公示期满后书面放弃中标"}
    ]  # fmt: skip
    assert json.loads(award.notice)["passed_over"] == reasons


def test_tendering_law_art_45_letters_to_the_winner_and_the_others_with_verifiable_signatures(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_awarded_tender(db, gm_ca)
    award = scene["award"]
    letters = {letter.entity_id: letter for letter in db.scalars(select(AwardLetter))}
    assert set(letters) == {user.entity_id for user in scene["bidders"]}
    assert [letters[e].kind for e in sorted(letters)].count("award") == 1
    assert letters[award.entity_id].kind == "award"
    assert "中标通知书" in letters[award.entity_id].text
    for user in scene["bidders"]:
        mine = client.get("/api/v1/award-letters/mine", headers=token_for(db, user))
        assert mine.status_code == 200, mine.text
        [letter] = mine.json()
        assert letter["kind"] == ("award" if user.entity_id == award.entity_id else "result")
        assert hashlib.sha256(letter["text"].encode()).hexdigest() == letter["sha256"]
        note = open_note(base64.b64decode(letter["note"]).decode(), LEDGER_KEYS.verifiers)
        assert len(note.verified_signatures) == 2  # Ed25519 and SM2, the ledger's keys
        assert f"sha256 {letter['sha256']}\n" in note.body
        if letter["kind"] == "result":
            assert "中标结果通知书" in letter["text"]
            assert "100,000.00" in letter["text"]
    winner_letter = letters[award.entity_id].id
    other = next(u for u in scene["bidders"] if u.entity_id != award.entity_id)
    refused = client.get(f"/api/v1/award-letters/{winner_letter}", headers=token_for(db, other))
    _refused(refused, 403, "award_letter_not_yours")
    for reader in (scene["owner_user"], scene["agent_user"]):
        read = client.get(f"/api/v1/award-letters/{winner_letter}", headers=token_for(db, reader))
        assert read.status_code == 200
        assert read.json()["kind"] == "award"


def test_tendering_law_art_46_contract_due_30_days_after_the_letter_民法典第203条(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_awarded_tender(db, gm_ca)
    award = scene["award"]
    letter = db.scalar(select(AwardLetter).where(AwardLetter.kind == "award"))
    assert letter is not None
    assert award.contract_due == working_day_calendar(db).period_end(china_date(letter.issued_at), 30)
    assert award.contract_due >= china_date(letter.issued_at) + timedelta(days=30)
    assert client.get(_url(scene, "/award")).json()["award"]["contract_due"] == award.contract_due.isoformat()


def test_tendering_law_art_46_a_contract_signed_in_time_but_recorded_later_is_not_late(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """第46条 measures the 30 days from the letter to the signing, not to the day the owner records it."""
    scene = make_awarded_tender(db, gm_ca)
    award = scene["award"]
    clock.set(award.awarded_at + timedelta(days=45))  # recorded two weeks after the last day
    body = {"amount": "100000.00", "signed_on": award.contract_due.isoformat()}  # signed on the last day
    recorded = client.post(_url(scene, "/contract"), json=body, headers=token_for(db, scene["agent_user"]))
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["stage"] == "contracted"
    assert recorded.json()["contract"]["late"] is False
    event = db.scalar(select(Event).where(Event.action == "award.contract_recorded"))
    assert event is not None
    assert json.loads(event.payload)["late"] is False


def test_tendering_law_art_46_a_contract_signed_after_the_30_days_is_recorded_and_flagged_late(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_awarded_tender(db, gm_ca)
    award = scene["award"]
    clock.set(award.awarded_at + timedelta(days=45))
    signed = (award.contract_due + timedelta(days=1)).isoformat()
    recorded = client.post(
        _url(scene, "/contract"), json={"amount": "100000.00", "signed_on": signed},
        headers=token_for(db, scene["agent_user"]),
    )  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["contract"]["late"] is True  # a violation recorded, never a refusal
    event = db.scalar(select(Event).where(Event.action == "award.contract_recorded"))
    assert event is not None
    assert json.loads(event.payload)["late"] is True
    assert json.loads(event.payload)["violation"]["article"] == "招标投标法 第四十六条"
    violation = db.scalar(select(PeriodViolation).where(PeriodViolation.event_id == event.id))
    assert violation is not None
    assert (violation.period_key, violation.due, violation.days_late) == ("award.contract", award.contract_due, 1)


@pytest.mark.parametrize("when", ["before_the_letter", "in_the_future"])
def test_tendering_law_art_46_the_signing_date_lies_between_the_letter_and_today(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock, when: str
) -> None:
    scene = make_awarded_tender(db, gm_ca)
    award = scene["award"]
    clock.set(award.awarded_at + timedelta(days=10))
    signed_on = (
        china_date(award.awarded_at) - timedelta(days=1)
        if when == "before_the_letter"
        else china_date(clock.now()) + timedelta(days=1)
    )
    before = event_count(db)
    refused = client.post(
        _url(scene, "/contract"), json={"amount": "100000.00", "signed_on": signed_on.isoformat()},
        headers=token_for(db, scene["agent_user"]),
    )  # fmt: skip
    assert _refused(refused, 422, "invalid_input")["field"] == "signed_on"
    assert (_rows(db, Contract), event_count(db)) == (0, before)


def test_tendering_law_art_46_contract_amount_must_equal_the_award_price(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_awarded_tender(db, gm_ca)
    award = scene["award"]
    owner = token_for(db, scene["owner_user"])
    clock.set(award.awarded_at + timedelta(days=10))
    signed = (china_date(award.awarded_at) + timedelta(days=7)).isoformat()
    before = event_count(db)
    departs = client.post(_url(scene, "/contract"), json={"amount": "99000.00", "signed_on": signed}, headers=owner)
    problem = _refused(departs, 422, "contract_amount_departs")
    assert "第四十六条" in problem["message_zh"]
    assert "art. 46" in problem["message_en"]
    assert (_rows(db, Contract), event_count(db)) == (0, before)
    recorded = client.post(
        _url(scene, "/contract"), json={"amount": "100000.00", "signed_on": signed, "blob_sha256": "b" * 64},
        headers=owner,
    )  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["contract"] == {
        "amount": "100000.00", "signed_on": signed, "blob_sha256": "b" * 64, "late": False,
        "recorded_at": recorded.json()["contract"]["recorded_at"],
    }  # fmt: skip


@pytest.mark.parametrize("who", ["bidder", "stranger_agent"])
def test_only_the_owner_or_its_agent_publicises(client: TestClient, db: Session, gm_ca: Path, who: str) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    from ggzy.core.permissions import Role
    from tests.factories import user_with_role

    user = scene["bidders"][0] if who == "bidder" else user_with_role(db, Role.AGENT, entity=True)
    response = client.post(_url(scene, "/publicity"), json={}, headers=token_for(db, user))
    assert response.json()["code"] == ("permission_denied" if who == "bidder" else "tender_manager_mismatch")
    assert _rows(db, CandidatePublicity) == 0


def test_the_award_stage_is_public_candidates_during_publicity_nothing_before(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    clock.set(scene["reported_at"])
    before = client.get(_url(scene, "/award")).json()
    assert (before["stage"], before["publicity"], before["award"]) == ("evaluated", None, None)
    service.publish_publicity(
        db, principal(db, scene["agent_user"], Permission.AWARD_MANAGE), tender_id=scene["tender"].id, ends_at=None,
        now=scene["reported_at"],
    )  # fmt: skip
    during = client.get(_url(scene, "/award")).json()
    assert during["publicity"]["running"] is True
    assert [c["price"] for c in during["publicity"]["candidates"]] == ["100000.00", "200000.00", "300000.00"]
    assert during["award"] is None
    assert date.fromisoformat(during["publicity"]["ends_at"][:10]) >= china_date(scene["reported_at"])
