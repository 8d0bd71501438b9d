"""Evaluation (评标): 实施条例 第51条 rejections, score sheets within their maxima, the two methods' rankings, the
report (实施条例 第53条) and the committee's secrecy (招标投标法 第37条)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Permission
from ggzy.entities.models import User
from ggzy.evaluation import rules, service
from ggzy.evaluation.models import ScoreSheet
from ggzy.experts import service as experts
from tests.factories import check_in_committee, event_count, make_expert, make_opened_tender, principal, token_for
from tests.tendering.test_opening import Scene

D = Decimal
SCHEME = rules.Scheme(
    qualification_criteria=("licence",),
    criteria=(rules.Criterion("technical", "技术", D(40)), rules.Criterion("business", "商务", D(20))),
    price_weight=D(40),
    price_formula=rules.PriceFormula.LOWEST_BASE,
)
LOWEST = rules.Scheme(("licence",), (), D(0), rules.PriceFormula.LOWEST_BASE)


def _evaluate(db: Session, opened: dict, scheme: rules.Scheme) -> list[User]:
    """Five experts drawn and the evaluation started; returns the members' users in seat order."""
    for _ in range(5):
        make_expert(db)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    now = opened["opened_at"]
    tender_id = opened["tender"].id
    experts.draw_committee(
        db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0, owner_representative_user_ids=[],
        now=now,
    )  # fmt: skip
    check_in_committee(db, opened["staff"], tender_id, now)
    service.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
    return [db.get(User, m.user_id) for m in experts.sitting_members(db, tender_id)]  # type: ignore[misc]


def _member(db: Session, user: User):  # type: ignore[no-untyped-def]
    return principal(db, user, Permission.EVALUATION_SIT)


def test_regulations_art_51_5_a_bid_above_the_ceiling_price_is_rejected_automatically(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=[90_000_000, 100_000_000, 100_000_001], ceiling_price="1000000.00")
    _evaluate(db, opened, SCHEME)
    evaluation = service.find_evaluation(db, opened["tender"].id)
    assert evaluation is not None
    rejected = service._rejected(db, evaluation.id)
    assert {bid: r.ground for bid, r in rejected.items()} == {opened["bid_ids"][2]: "price_above_ceiling"}
    assert rejected[opened["bid_ids"][2]].automatic


def test_a_score_above_the_maximum_is_refused_naming_the_criterion_and_leaves_nothing(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    opened = make_opened_tender(db, gm_ca, prices=[90_000_000, 80_000_000, 70_000_000])
    users = _evaluate(db, opened, SCHEME)
    headers = token_for(db, users[0])
    before = event_count(db)
    url = f"/api/v1/tenders/{opened['tender'].id}/evaluation/score-sheets"
    body = {"bid_id": opened["bid_ids"][0], "scores": {"technical": "40.5", "business": "10"}}
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "score_above_maximum"
    assert response.json()["field"] == "scores.technical"
    assert "technical" in response.json()["message_en"]
    assert db.scalar(select(func.count()).select_from(ScoreSheet)) == 0
    assert event_count(db) == before


def test_a_score_sheet_is_final_once_submitted_and_its_sha256_is_recorded(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=[90_000_000, 80_000_000, 70_000_000])
    users = _evaluate(db, opened, SCHEME)
    tender_id, bid = opened["tender"].id, opened["bid_ids"][0]
    now = opened["opened_at"]
    sheet = service.submit_score_sheet(
        db, _member(db, users[0]), tender_id=tender_id, bid_id=bid, scores={"technical": D(30), "business": D(15)},
        now=now,
    )  # fmt: skip
    assert sheet.total == "45.00"
    from ggzy.core.events import Event

    event = db.scalar(select(Event).where(Event.action == "evaluation.score_sheet_submitted"))
    assert event is not None
    assert sheet.sha256 in event.payload
    assert event.disclosed is False
    with pytest.raises(service.SheetFinal):
        service.submit_score_sheet(
            db, _member(db, users[0]), tender_id=tender_id, bid_id=bid, scores={"technical": D(1), "business": D(1)},
            now=now,
        )  # fmt: skip


def test_lowest_evaluated_price_ranks_valid_bids_by_price_and_recommends_three(db: Session, gm_ca: Path) -> None:
    prices = [50_000_000, 30_000_000, 40_000_000, 20_000_000, 60_000_000]
    opened = make_opened_tender(db, gm_ca, prices=prices, method="lowest_price")
    users = _evaluate(db, opened, LOWEST)
    tender_id, bids, now = opened["tender"].id, opened["bid_ids"], opened["opened_at"]
    # The committee's lead rejects the cheapest as not responsive (实施条例 第51条 (六)).
    service.reject_bid(
        db, _member(db, users[0]), tender_id=tender_id, bid_id=bids[3], ground="not_responsive", note="工期不满足",
        now=now,
    )  # fmt: skip
    for user in users:
        for bid in bids[:3] + bids[4:]:
            service.mark_qualification(db, _member(db, user), tender_id=tender_id, bid_id=bid, marks={"licence": True},
                                       now=now)  # fmt: skip
    report = service.finalise_report(db, principal(db, opened["staff"], Permission.EVALUATION_FINALISE),
                                     tender_id=tender_id, now=now)  # fmt: skip
    import json

    body = json.loads(report.body)
    assert [line["bid_id"] for line in body["ranking"]] == [bids[1], bids[2], bids[0], bids[4]]
    assert body["recommended"] == [bids[1], bids[2], bids[0]]
    assert body["rejected"][0]["bid_id"] == bids[3]
    assert body["rejected"][0]["ground"] == "not_responsive"
    assert body["committee_size"] == 5
    assert service.find_evaluation(db, tender_id).status == "evaluated"  # type: ignore[union-attr]


def test_a_bid_a_majority_fails_in_qualification_is_not_ranked_and_the_report_waits_for_every_member(
    db: Session, gm_ca: Path
) -> None:
    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 40_000_000], method="lowest_price")
    users = _evaluate(db, opened, LOWEST)
    tender_id, bids, now = opened["tender"].id, opened["bid_ids"], opened["opened_at"]
    staff = principal(db, opened["staff"], Permission.EVALUATION_FINALISE)
    for n, user in enumerate(users):
        for bid in bids:
            passed = not (bid == bids[1] and n < 3)  # three of five fail the cheapest
            service.mark_qualification(db, _member(db, user), tender_id=tender_id, bid_id=bid,
                                       marks={"licence": passed}, now=now)  # fmt: skip
        if n == 3:
            with pytest.raises(service.EvaluationIncomplete):
                service.finalise_report(db, staff, tender_id=tender_id, now=now)
    import json

    body = json.loads(service.finalise_report(db, staff, tender_id=tender_id, now=now).body)
    assert [line["bid_id"] for line in body["ranking"]] == [bids[0], bids[2]]
    assert body["failed_qualification"] == [{"bid_id": bids[1], "entity_id": opened["bidders"][1].entity_id}]


def test_scoring_method_end_to_end_through_the_api_from_an_opened_tender(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path, clock: FixedClock
) -> None:
    """Five bids of 10,000 … 50,000 yuan; 低价优先 (第55条) with a price weight of 40: 40, 20, 13.33, 10, 8."""
    scene = Scene(client, db, gm_ca, intl_ca, 5)
    clock.set(scene.tender.bid_deadline)
    assert client.post(scene.url("/opening/start"), headers=scene.host).status_code == 200
    for number in range(5):
        assert scene.decrypt(number).status_code == 200
    clock.advance(timedelta(minutes=31))
    assert client.post(scene.url("/opening/finish"), json={}, headers=scene.host).status_code == 200
    staff = token_for(db, scene.setup["staff"])
    owner, agent = token_for(db, scene.setup["owner_user"]), token_for(db, scene.setup["agent_user"])
    pool = [make_expert(db) for _ in range(7)]
    make_expert(db, employer_id=scene.bidders[0].user.entity_id)  # recused

    drawn = client.post(scene.url("/committee/draw"), json={"specialty_code": "A01", "size": 5, "reserve": 2},
                        headers=staff)  # fmt: skip
    assert drawn.status_code == 201, drawn.text
    assert (drawn.json()["candidates"], drawn.json()["recused"]) == (8, 1)
    scheme = {
        "qualification_criteria": ["licence"],
        "criteria": [{"key": "technical", "name": "技术", "max_points": "40"},
                     {"key": "business", "name": "商务", "max_points": "20"}],
        "price_weight": "40", "price_formula": "lowest_base",
    }  # fmt: skip
    db.expire_all()  # the API moved the tender on; this session still holds it as it was
    check_in_committee(db, scene.setup["staff"], scene.tender.id, clock.now())
    started = client.post(scene.url("/evaluation"), json={"scheme": scheme}, headers=staff)
    assert started.status_code == 201, started.text
    assert started.json()["stage"] == "evaluating"

    seats = [m for m in drawn.json()["members"] if m["kind"] == "expert"]
    by_user = {e.user_id: e for e in pool}
    headers = [token_for(db, db.get(User, seat["user_id"])) for seat in seats]  # type: ignore[arg-type]
    assert all(seat["user_id"] in by_user for seat in seats)
    mine = client.get("/api/v1/evaluation-assignments/mine", headers=headers[0]).json()
    assert mine[0]["tender_id"] == scene.tender.id
    assert mine[0]["lead"] is True

    from ggzy.tendering.models import DecryptedBid

    opened_by = dict(db.execute(select(DecryptedBid.entity_id, DecryptedBid.bid_id)).all())
    bids = [opened_by[bidder.user.entity_id or 0] for bidder in scene.bidders]  # prices 10,000 … 50,000 yuan
    technical = ["30", "39", "20", "35", "38"]  # the dearer bids score better technically
    for header in headers:
        for bid, points in zip(bids, technical, strict=True):
            marked = client.post(
                scene.url("/evaluation/qualification"), json={"bid_id": bid, "marks": {"licence": True}}, headers=header
            )
            assert marked.status_code == 201, marked.text
            sheet = client.post(
                scene.url("/evaluation/score-sheets"),
                json={"bid_id": bid, "scores": {"technical": points, "business": "10"}},
                headers=header,
            )
            assert sheet.status_code == 201, sheet.text

    for header in (owner, agent, scene.bidders[0].headers, {}):
        view = client.get(scene.url("/evaluation"), headers=header).json()
        assert view["committee"]["members"] is None  # 第37条: names secret before the result
        assert view["committee"]["size"] == 5
        assert view["report"] is None
    assert len(client.get(scene.url("/evaluation"), headers=staff).json()["committee"]["members"]) == 7

    outsider = client.post(scene.url("/evaluation/report"), headers=headers[1])
    assert outsider.json()["code"] == "evaluation_finaliser_mismatch"
    final = client.post(scene.url("/evaluation/report"), headers=headers[0])  # the lead
    assert final.status_code == 201, final.text
    assert final.json()["stage"] == "evaluated"
    report = client.get(scene.url("/evaluation"), headers=owner).json()["report"]
    totals = {line["bid_id"]: line["total"] for line in report["ranking"]}
    # technical + business 10 + price: 30+10+40, 39+10+20, 20+10+13.33, 35+10+10, 38+10+8
    assert totals == dict(zip(bids, ["80.00", "69.00", "43.33", "55.00", "56.00"], strict=True))
    assert report["recommended"] == [bids[0], bids[1], bids[4]]
    assert client.get(scene.url("/evaluation"), headers=scene.bidders[0].headers).json()["report"] is None
    again = client.post(
        scene.url("/evaluation/score-sheets"),
        json={"bid_id": bids[0], "scores": {"technical": "1", "business": "1"}},
        headers=headers[0],
    )
    assert again.json()["code"] == "tender_stage_wrong"


def test_only_members_submit_sheets(client: TestClient, db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=[90_000_000, 80_000_000, 70_000_000])
    _evaluate(db, opened, SCHEME)
    stranger = make_expert(db)
    response = client.post(
        f"/api/v1/tenders/{opened['tender'].id}/evaluation/score-sheets",
        json={"bid_id": opened["bid_ids"][0], "scores": {"technical": "1", "business": "1"}},
        headers=token_for(db, db.get(User, stranger.user_id)),  # type: ignore[arg-type]
    )
    assert response.json()["code"] == "not_a_committee_member"
