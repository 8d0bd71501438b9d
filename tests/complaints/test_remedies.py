"""A complaint's decision ordering a re-tender or re-evaluation is carried out, not left as a lock (招标投标法实施条例
第81条: 招标、投标、中标无效，应当依法重新招标或者评标; 政府采购法实施条例 第71条: 终止本次政府采购活动，重新开展
政府采购活动): a re-tender fails the round and the lot starts a new one; a re-evaluation sends the round back to
``opened``, supersedes its evaluation, publicity and award (kept for the record), and — by the same committee or a
new one, as the decision says — the round runs to a second report and award. Decision 0020."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.awards.models import Award, AwardLetter, CandidatePublicity
from ggzy.complaints.models import Complaint
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.evaluation import rules as evaluation_rules
from ggzy.evaluation import service as evaluation
from ggzy.evaluation.models import Evaluation, EvaluationReport
from ggzy.experts import service as experts
from ggzy.experts.models import CommitteeMember, Draw
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Method
from ggzy.tendering.rules import china_date
from tests.complaints.test_complaints import PROBLEM, _body, _load_2027, _supervisor
from tests.conftest import LEDGER_KEYS
from tests.factories import (
    bidder_user,
    event_count,
    make_awarded_tender,
    make_evaluated_tender,
    make_expert,
    make_publicised_tender,
    make_published_tender,
    make_user,
    principal,
    token_for,
)

LOWEST_PRICE = evaluation_rules.Scheme((), (), Decimal(0), evaluation_rules.PriceFormula.LOWEST_BASE)
ARTICLE_81 = "招标投标法实施条例 第八十一条"


def _lodged_and_accepted(client: TestClient, db: Session, clock: FixedClock, scene: dict, at: datetime) -> str:
    """A complaint on ``other`` matters at ``at``, by the first bidder once the bids are public (before the opening
    by an interested party stating its interest), accepted by the supervisor; its URL."""
    clock.set(at)
    tender = scene["tender"]
    if "bidders" in scene:
        body, complainant = _body(matter="other", knew_on=str(china_date(at))), scene["bidders"][0]
    else:
        body = _body(matter="other", knew_on=str(china_date(at)), interest="本地施工企业，拟参加投标")
        complainant = bidder_user(db)
    lodged = client.post(f"/api/v1/tenders/{tender.id}/complaints", json=body, headers=token_for(db, complainant))
    assert lodged.status_code == 201, lodged.text
    url = f"/api/v1/complaints/{lodged.json()['id']}"
    assert client.post(f"{url}/accept", headers=_supervisor(db)).status_code == 200
    return url


def _uphold(client: TestClient, db: Session, url: str, **decision: object) -> dict:
    upheld = client.post(
        f"{url}/uphold", json={"decision": "影响中标结果且不能纠正"} | decision, headers=_supervisor(db)
    )
    assert upheld.status_code == 200, upheld.text
    db.expire_all()  # the request's session changed the rows this one holds
    return dict(upheld.json())


def _upheld_event(db: Session) -> dict:
    event = db.scalar(select(Event).where(Event.action == "complaint.upheld"))
    assert event is not None
    return dict(json.loads(event.payload))


def _count(db: Session, model: type, *, superseded: bool | None = None) -> int:
    query = select(func.count()).select_from(model)
    if superseded is not None:
        column = model.superseded_at  # type: ignore[attr-defined]
        query = query.where(column.is_not(None) if superseded else column.is_(None))
    return db.scalar(query) or 0


def _stage(client: TestClient, tender: Tender) -> str:
    return str(client.get(f"/api/v1/tenders/{tender.id}/award").json()["stage"])


def _published(db: Session, _: Path) -> dict:
    tender, setup = make_published_tender(db)
    return {"tender": tender, "lot": setup["lots"][0], "agent_user": setup["agent_user"], "at": tender.published_at}


def _evaluated(db: Session, gm_ca: Path) -> dict:
    scene = make_evaluated_tender(db, gm_ca)
    return scene | {"at": scene["reported_at"] + timedelta(hours=1)}


def _publicised(db: Session, gm_ca: Path) -> dict:
    scene = make_publicised_tender(db, gm_ca)
    return scene | {"at": scene["publicity"].starts_at + timedelta(hours=1)}


def _awarded(db: Session, gm_ca: Path) -> dict:
    scene = make_awarded_tender(db, gm_ca)
    return scene | {"at": scene["publicity"].ends_at + timedelta(hours=1)}


def _new_round(db: Session, scene: dict, now: datetime) -> Tender:
    return tendering.create_tender(
        db, principal(db, scene["agent_user"], Permission.TENDER_MANAGE), lot_id=scene["lot"].id,
        procedure_key=scene["tender"].procedure, method=Method.LOWEST_PRICE, title="重新招标",
        notice_text="重新招标公告", documents_until=now + timedelta(days=10), bid_deadline=now + timedelta(days=25),
        invited_entity_ids=[], now=now,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("make", "stage"),
    [(_published, "published"), (_evaluated, "evaluated"), (_publicised, "publicity"), (_awarded, "awarded")],
)
def test_re_tender_ordered_fails_the_round_and_the_lot_starts_a_new_one_招标投标法实施条例第81条(
    client: TestClient,
    db: Session,
    gm_ca: Path,
    clock: FixedClock,
    make: Callable[[Session, Path], dict],
    stage: str,
) -> None:
    _load_2027(db)
    scene = make(db, gm_ca)
    url = _lodged_and_accepted(client, db, clock, scene, scene["at"])
    assert _stage(client, scene["tender"]) == stage
    with pytest.raises(tendering.RoundRunning):  # the round runs: no second round of the lot beside it
        _new_round(db, scene, clock.now())
    decided = _uphold(client, db, url, remedy="re_tender")
    assert (decided["remedy"], decided["committee"]) == ("re_tender", None)
    assert _stage(client, scene["tender"]) == "failed"
    carried = _upheld_event(db)
    assert carried["round"] == {
        "step": "re_tender", "from": stage, "to": "failed", "article": ARTICLE_81, "reason_zh": "责令重新招标",
        "committee": None, "committee_zh": None,
    }  # fmt: skip
    failed = db.scalar(select(Event).where(Event.action == "tender.failed"))
    assert failed is not None
    assert json.loads(failed.payload) | {"complaint_id": None} == {
        "ground": "re_tender_ordered", "ground_zh": "投诉处理决定责令重新招标",
        "ground_en": "a complaint's decision ordered a re-tender", "article": ARTICLE_81, "complaint_id": None,
        "stage": stage,
    }  # fmt: skip
    assert failed.disclosed
    # 中标无效: an award made is void, kept with its letters for the record
    assert _count(db, Award, superseded=False) == 0
    assert _count(db, Award, superseded=True) == (1 if stage == "awarded" else 0)
    if stage == "awarded":
        winner = scene["bidders"][scene["bid_ids"].index(scene["award"].bid_id)]
        letters = client.get("/api/v1/award-letters/mine", headers=token_for(db, winner)).json()
        assert [letter["void_since"] is not None for letter in letters] == [True]
    # nothing moves the failed round again ...
    clock.set(clock.now() + timedelta(days=1))
    agent = token_for(db, scene["agent_user"])
    refused = client.post(f"/api/v1/tenders/{scene['tender'].id}/publicity", json={}, headers=agent)
    assert (refused.status_code, refused.json()["code"]) == (409, "tender_stage_wrong")
    # ... and the lot starts a new round
    new = _new_round(db, scene, clock.now())
    assert (new.lot_id, new.stage) == (scene["tender"].lot_id, "draft")
    assert new.id != scene["tender"].id


def _re_evaluated(client: TestClient, db: Session, clock: FixedClock, scene: dict, committee: str) -> dict:
    url = _lodged_and_accepted(client, db, clock, scene, scene["publicity"].ends_at + timedelta(hours=1))
    return _uphold(client, db, url, remedy="re_evaluation", committee=committee)


def _evaluate_again(db: Session, scene: dict, now: datetime) -> EvaluationReport:
    staff, tender_id = scene["staff"], scene["tender"].id
    evaluation.start_evaluation(
        db, principal(db, staff, Permission.EVALUATION_RUN), tender_id=tender_id, scheme=LOWEST_PRICE,
        lead_member_id=None, now=now,
    )  # fmt: skip
    return evaluation.finalise_report(
        db, principal(db, staff, Permission.EVALUATION_FINALISE), tender_id=tender_id, now=now
    )


def _publicise_and_award(client: TestClient, db: Session, clock: FixedClock, scene: dict, now: datetime) -> dict:
    """The second report's candidates publicised and the first awarded, through the API; the award stage after."""
    tender_id, agent = scene["tender"].id, token_for(db, scene["agent_user"])
    clock.set(now)
    published = client.post(f"/api/v1/tenders/{tender_id}/publicity", json={}, headers=agent)
    assert published.status_code == 201, published.text
    publicity = published.json()["publicity"]
    clock.set(datetime.fromisoformat(publicity["ends_at"]) + timedelta(hours=1))
    first = publicity["candidates"][0]["bid_id"]
    awarded = client.post(f"/api/v1/tenders/{tender_id}/award", json={"bid_id": first}, headers=agent)
    assert awarded.status_code == 201, awarded.text
    db.expire_all()
    return dict(awarded.json())


def _superseded_for_the_record(db: Session, scene: dict) -> None:
    """The first evaluation, its report, publicity, award and letters are still there, marked superseded."""
    first = db.get(Evaluation, scene["report"].evaluation_id)
    assert first is not None
    assert first.superseded_at is not None
    assert db.get(EvaluationReport, scene["report"].id) is not None
    assert (_count(db, Evaluation, superseded=True), _count(db, Evaluation, superseded=False)) == (1, 1)
    assert _count(db, EvaluationReport) == 2
    assert (_count(db, CandidatePublicity, superseded=True), _count(db, CandidatePublicity, superseded=False)) == (1, 1)
    assert (_count(db, Award, superseded=True), _count(db, Award, superseded=False)) == (1, 1)
    old = scene["award"]
    assert db.scalar(select(func.count()).where(AwardLetter.award_id == old.id)) == len(scene["bidders"])


def test_re_evaluation_by_the_same_committee_runs_to_a_second_report_and_award_招标投标法实施条例第81条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    _load_2027(db)
    scene = make_awarded_tender(db, gm_ca)
    tender, agent = scene["tender"], token_for(db, scene["agent_user"])
    seats = [member.id for member in experts.committee_of(db, tender.id)]
    decided = _re_evaluated(client, db, clock, scene, "same")
    assert (decided["remedy"], decided["committee"]) == ("re_evaluation", "same")
    carried = _upheld_event(db)
    assert carried["round"]["from"] == "awarded"
    assert carried["round"]["to"] == "opened"
    assert carried["round"]["article"] == ARTICLE_81
    assert carried["round"]["committee_zh"] == "原评标委员会重新评审"
    assert carried["superseded"] == {
        "evaluation_id": scene["report"].evaluation_id, "publicity_id": scene["publicity"].id,
        "award_id": scene["award"].id,
    }  # fmt: skip
    # what everyone reads now: the round is opened again, nothing publicised or awarded, the committee sits again
    stage = client.get(f"/api/v1/tenders/{tender.id}/award").json()
    assert (stage["stage"], stage["publicity"], stage["award"]) == ("opened", None, None)
    assert evaluation.find_evaluation(db, tender.id) is None
    assert [member.id for member in experts.committee_of(db, tender.id)] == seats
    assert _count(db, Draw, superseded=True) == 0
    # the old result cannot be carried on: no contract from the void award
    body = {"amount": "100000.00", "signed_on": china_date(clock.now()).isoformat()}
    refused = client.post(f"/api/v1/tenders/{tender.id}/contract", json=body, headers=agent)
    assert (refused.status_code, refused.json()["code"]) == (409, "tender_stage_wrong")
    # the same committee evaluates a second time, and the round runs on to a second report and award
    later = clock.now() + timedelta(hours=1)
    report = _evaluate_again(db, scene, later)
    assert report.id != scene["report"].id
    db.commit()
    staff = token_for(db, scene["staff"])
    shown = client.get(f"/api/v1/tenders/{tender.id}/evaluation", headers=staff).json()
    assert (shown["stage"], shown["report_sha256"]) == ("evaluated", report.sha256)
    awarded = _publicise_and_award(client, db, clock, scene, later)
    assert awarded["stage"] == "awarded"
    assert awarded["publicity"]["round"] == 1  # a publicity of its own, not a round of the superseded one
    current = awards.find_award(db, tender.id)
    assert current is not None
    assert current.id != scene["award"].id
    assert awarded["award"]["notice_sha256"] == current.notice_sha256
    _superseded_for_the_record(db, scene)
    winner = scene["bidders"][scene["bid_ids"].index(current.bid_id)]
    letters = client.get("/api/v1/award-letters/mine", headers=token_for(db, winner)).json()
    assert [letter["void_since"] is None for letter in letters] == [True, False]  # newest first: the new award's


def test_re_evaluation_by_a_new_committee_draws_without_the_former_members_招标投标法实施条例第81条第46条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """The decision ordered a new committee: the old draw and seats are superseded, and the new random draw (第46条,
    its recusals still applying) leaves out every expert who sat on the committee whose evaluation was set aside."""
    _load_2027(db)
    scene = make_awarded_tender(db, gm_ca)
    tender = scene["tender"]
    former = {member.expert_id for member in experts.committee_of(db, tender.id)}
    draw = experts.current_draw(db, tender.id)
    assert draw is not None
    decided = _re_evaluated(client, db, clock, scene, "new")
    assert decided["committee"] == "new"
    assert _upheld_event(db)["superseded"]["draw_id"] == draw.id
    assert experts.current_draw(db, tender.id) is None
    assert experts.committee_of(db, tender.id) == []
    assert _count(db, CommitteeMember, superseded=True) == 5
    later = clock.now() + timedelta(hours=1)
    staff = principal(db, scene["staff"], Permission.COMMITTEE_DRAW)

    def draw_five() -> Draw:
        return experts.draw_committee(
            db, staff, tender_id=tender.id, specialty_code="A01", size=5, reserve=0,
            owner_representative_user_ids=[], now=later,
        )  # fmt: skip

    with pytest.raises(experts.NotEnoughExperts), db.begin_nested():  # only the five former members are in the pool
        draw_five()
    fresh = {make_expert(db).id for _ in range(5)}
    drawn = draw_five()
    assert {member.expert_id for member in experts.committee_of(db, tender.id)} == fresh
    assert not fresh & former
    event = db.scalars(select(Event).where(Event.action == "committee.drawn").order_by(Event.id.desc())).first()
    assert event is not None
    assert json.loads(event.payload)["former_members_excluded"] == 5
    assert drawn.id != draw.id
    report = _evaluate_again(db, scene, later)
    assert json.loads(report.body)["committee_size"] == 5
    db.commit()
    awarded = _publicise_and_award(client, db, clock, scene, later)
    assert awarded["stage"] == "awarded"
    _superseded_for_the_record(db, scene)
    assert (_count(db, Draw, superseded=True), _count(db, Draw, superseded=False)) == (1, 1)
    former_seats = db.scalars(select(CommitteeMember).where(CommitteeMember.draw_id == draw.id))
    assert all(member.superseded_at is not None for member in former_seats)


def test_re_evaluation_ordered_during_the_publicity_supersedes_it_and_its_objections_招标投标法实施条例第81条第54条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """An objection left unanswered on the superseded publicity does not hold up the new one's award (第54条: the
    award waits for the objections to *its* candidates)."""
    _load_2027(db)
    scene = make_publicised_tender(db, gm_ca)
    tender, publicity = scene["tender"], scene["publicity"]
    objector = principal(db, scene["bidders"][1], Permission.AWARD_OBJECT)
    awards.raise_objection(db, objector, tender_id=tender.id, text="第一名业绩造假", now=publicity.starts_at)
    url = _lodged_and_accepted(client, db, clock, scene, publicity.starts_at + timedelta(hours=1))
    _uphold(client, db, url, remedy="re_evaluation", committee="same")
    assert _stage(client, tender) == "opened"
    assert awards.pending_objections(db, tender.id) == 0
    later = clock.now() + timedelta(hours=1)
    _evaluate_again(db, scene, later)
    db.commit()
    assert _publicise_and_award(client, db, clock, scene, later)["stage"] == "awarded"
    assert (_count(db, CandidatePublicity, superseded=True), _count(db, CandidatePublicity, superseded=False)) == (1, 1)


@pytest.mark.parametrize(
    "decision",
    [
        {"remedy": "re_evaluation"},  # who re-evaluates is not said
        {"remedy": "re_evaluation", "committee": "some"},
        {"remedy": "re_tender", "committee": "new"},  # only a re-evaluation names the committee
        {"remedy": "corrective_action", "committee": "same"},
    ],
)
def test_a_decision_without_a_lawful_committee_choice_leaves_no_row_or_event_招标投标法实施条例第81条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock, decision: dict
) -> None:
    _load_2027(db)
    scene = make_awarded_tender(db, gm_ca)
    url = _lodged_and_accepted(client, db, clock, scene, scene["publicity"].ends_at + timedelta(hours=1))
    supervisor = _supervisor(db)
    before = (event_count(db), _count(db, Award, superseded=True), _count(db, Evaluation, superseded=True))
    refused = client.post(f"{url}/uphold", json={"decision": "责令重新评标"} | decision, headers=supervisor)
    assert (refused.status_code, refused.headers["content-type"]) == (422, PROBLEM)
    assert (refused.json()["code"], refused.json()["field"]) == ("invalid_input", "committee")
    assert (event_count(db), _count(db, Award, superseded=True), _count(db, Evaluation, superseded=True)) == before
    db.expire_all()
    complaint = db.scalar(select(Complaint))
    assert complaint is not None
    assert (complaint.status, complaint.remedy, complaint.committee) == ("accepted", None, None)
    assert _stage(client, scene["tender"]) == "awarded"


def test_re_evaluation_ordered_before_the_opening_is_refused_and_leaves_nothing_招标投标法实施条例第81条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """There are no opened bids to evaluate again: the decision is refused in the lifecycle's words, unrecorded."""
    _load_2027(db)
    scene = _published(db, gm_ca)
    url = _lodged_and_accepted(client, db, clock, scene, scene["at"] + timedelta(days=1))
    supervisor = _supervisor(db)
    before = event_count(db)
    refused = client.post(
        f"{url}/uphold", json={"decision": "责令重新评标", "remedy": "re_evaluation", "committee": "same"},
        headers=supervisor,
    )  # fmt: skip
    assert (refused.status_code, refused.json()["code"]) == (409, "tender_stage_wrong")
    assert event_count(db) == before
    db.expire_all()
    complaint = db.scalar(select(Complaint))
    assert complaint is not None
    assert complaint.status == "accepted"
    assert _stage(client, scene["tender"]) == "published"


def test_one_current_evaluation_publicity_and_award_per_tender_is_kept_by_the_database_招标投标法实施条例第81条(
    db: Session, gm_ca: Path
) -> None:
    """The partial unique indexes of migration 0017: a second current row is refused; beside a superseded one, it
    is taken (on SQLite and PostgreSQL alike)."""
    _load_2027(db)
    scene = make_awarded_tender(db, gm_ca)
    first = db.get(Evaluation, scene["report"].evaluation_id)
    assert first is not None

    def second() -> None:
        db.add(
            Evaluation(
                tender_id=first.tender_id, method=first.method, scheme=first.scheme, status="evaluating",
                lead_member_id=first.lead_member_id, started_by=first.started_by, started_at=first.started_at,
            )
        )  # fmt: skip
        db.flush()

    with pytest.raises(IntegrityError), db.begin_nested():
        second()
    with db.begin_nested():
        first.superseded_at = first.started_at
        db.flush()
        second()
    assert _count(db, Evaluation) == 2
    award = scene["award"]
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            Award(
                tender_id=award.tender_id, publicity_id=award.publicity_id, bid_id=award.bid_id,
                entity_id=award.entity_id, rank=1, price_fen=award.price_fen, passed_over="[]", notice="{}",
                notice_sha256="0" * 64, contract_due=award.contract_due, awarded_by=award.awarded_by,
                awarded_at=award.awarded_at,
            )
        )  # fmt: skip
        db.flush()


def _procurement_awarded(db: Session, gm_ca: Path) -> dict:
    """A government procurement awarded from its report, without a publicity (政府采购法实施条例 第43条)."""
    scene = make_evaluated_tender(db, gm_ca, trade_type="gov_procurement", procedure="gp_open")
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    first = awards.report_candidates(db, scene["tender"].id)[0]["bid_id"]
    award = awards.award_tender(
        db, manager, tender_id=scene["tender"].id, bid_id=first, passed_over=[], signers=LEDGER_KEYS.signers,
        now=scene["reported_at"],
    )  # fmt: skip
    return scene | {"award": award}


def _procurement_decision(client: TestClient, db: Session, clock: FixedClock, scene: dict, decision: dict) -> None:
    clock.set(scene["reported_at"] + timedelta(hours=1))
    # 政府采购法 第55条: the complainant challenged the result first, and was answered (第53条)
    challenged = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/result-challenges", json={"text": "成交结果有误"},
        headers=token_for(db, scene["bidders"][0]),
    )  # fmt: skip
    assert challenged.status_code == 201, challenged.text
    answered = client.post(
        f"/api/v1/result-challenges/{challenged.json()['id']}/answer", json={"text": "维持成交结果"},
        headers=token_for(db, scene["agent_user"]),
    )  # fmt: skip
    assert answered.status_code == 200, answered.text
    body = _body(matter="evaluation_result", knew_on=str(china_date(clock.now())))
    lodged = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/complaints", json=body, headers=token_for(db, scene["bidders"][0])
    )
    assert lodged.status_code == 201, lodged.text
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="gov_procurement")
    supervisor, url = token_for(db, make_user(db, roles=[grant])), f"/api/v1/complaints/{lodged.json()['id']}"
    assert client.post(f"{url}/accept", headers=supervisor).status_code == 200
    upheld = client.post(f"{url}/uphold", json={"decision": "影响成交结果"} | decision, headers=supervisor)
    assert upheld.status_code == 200, upheld.text
    db.expire_all()


def test_政府采购法实施条例_第71条_a_re_procurement_ordered_after_the_award_voids_it_and_fails_the_round(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    _load_2027(db)
    scene = _procurement_awarded(db, gm_ca)
    _procurement_decision(client, db, clock, scene, {"remedy": "re_tender"})
    assert _stage(client, scene["tender"]) == "failed"
    failed = db.scalar(select(Event).where(Event.action == "tender.failed"))
    assert failed is not None
    assert json.loads(failed.payload)["article"] == "政府采购法实施条例 第七十一条"
    assert awards.find_award(db, scene["tender"].id) is None
    assert _count(db, Award, superseded=True) == 1
    assert _new_round(db, scene, clock.now()).lot_id == scene["tender"].lot_id


def test_政府采购法实施条例_第44条_a_re_evaluation_ordered_after_the_award_runs_to_a_second_award_from_the_report(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    _load_2027(db)
    scene = _procurement_awarded(db, gm_ca)
    _procurement_decision(client, db, clock, scene, {"remedy": "re_evaluation", "committee": "same"})
    assert _stage(client, scene["tender"]) == "opened"
    assert _upheld_event(db)["round"]["article"] == "政府采购法实施条例 第四十四条"
    later = clock.now() + timedelta(hours=1)
    _evaluate_again(db, scene, later)
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    first = awards.report_candidates(db, scene["tender"].id)[0]["bid_id"]
    again = awards.award_tender(
        db, manager, tender_id=scene["tender"].id, bid_id=first, passed_over=[], signers=LEDGER_KEYS.signers,
        now=later,
    )  # fmt: skip
    assert awards.find_award(db, scene["tender"].id) is again
    assert (_count(db, Award, superseded=True), _count(db, Award, superseded=False)) == (1, 1)
    assert (_count(db, Evaluation, superseded=True), _count(db, Evaluation, superseded=False)) == (1, 1)
