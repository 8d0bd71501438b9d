"""Random inspections (双随机一公开, decision 0042): rounds and inspectors drawn at random with a seed nobody could know
when the plan was made — the root of the first signed ledger checkpoint holding the plan — and replayed by anyone
from the public ledger alone; the findings recorded by the drawn inspectors and published.

浙江省招标投标条例 第48条: the supervisory department investigates (调查处理); a random inspection is its own look."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.ledger.merkle import leaf_hash, root_from_leaf_hashes
from ggzy.supervision import inspections
from ggzy.supervision.models import InspectionFinding, InspectionPlan
from tests.conftest import TEST_NOW
from tests.factories import make_published_tender, make_user, principal, token_for, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, outcome_code
from tests.supervision.inspection_support import AFTER_DEADLINES, checkpoint, plan

API = "/api/v1/inspections"
PAGE = "/workspace/inspections"


@pytest.fixture
def scene(db: Session, clock: FixedClock) -> dict[str, Any]:
    """Four opened rounds in 云南 (530102), three supervisors of 云南 (530000), one of 北京."""
    tenders = [make_published_tender(db)[0] for _ in range(4)]
    supervisors = [user_with_role(db, Role.SUPERVISOR) for _ in range(3)]
    beijing = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="110000")])
    db.flush()
    clock.set(AFTER_DEADLINES)
    return {"tenders": tenders, "supervisors": supervisors, "beijing": beijing}


def _plan_body(**changes: Any) -> dict[str, Any]:
    deadline_day = (TEST_NOW + timedelta(days=25)).date()
    body = {
        "title": "2027年第一季度工程建设项目双随机抽查",
        "region_code": "530000",
        "window_start": (deadline_day - timedelta(days=1)).isoformat(),
        "window_end": (deadline_day + timedelta(days=1)).isoformat(),
        "rounds_to_draw": 2,
        "inspectors_to_draw": 2,
    }
    return body | changes


def _events(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event).where(Event.action.like("inspection.%"))) or 0


def test_a_plan_freezes_its_candidates_in_a_public_entry_and_draws_once(
    client: TestClient, db: Session, scene: dict[str, Any]
) -> None:
    supervisor = token_for(db, scene["supervisors"][0])
    planned = client.post(API, json=_plan_body(), headers=supervisor)
    assert planned.status_code == 201, planned.text
    plan = planned.json()
    assert [c["tender_id"] for c in plan["candidate_rounds"]] == sorted(t.id for t in scene["tenders"])
    assert {c["user_id"] for c in plan["candidate_inspectors"]} == {u.id for u in scene["supervisors"]}
    assert scene["beijing"].id not in {c["user_id"] for c in plan["candidate_inspectors"]}
    assert plan["drawn_rounds"] is None

    # the platform signs a checkpoint after each commit (the ledger's beat): it holds the plan, so it draws now
    drawn = client.post(f"{API}/{plan['id']}/draw", headers=supervisor)
    assert drawn.status_code == 200, drawn.text
    result = drawn.json()
    assert len(result["drawn_rounds"]) == 2
    assert len(result["drawn_inspectors"]) == 2
    assert set(result["drawn_rounds"]) <= {t.id for t in scene["tenders"]}
    again = client.post(f"{API}/{plan['id']}/draw", headers=supervisor)
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_without_a_signed_checkpoint_over_the_plan_there_is_no_seed_and_nothing_is_drawn(
    db: Session, scene: dict[str, Any]
) -> None:
    """The seed is a checkpoint's root that nobody knew when the plan was recorded: none yet, no draw (409)."""
    supervisor = principal(db, scene["supervisors"][0], Permission.INSPECTION_MANAGE)
    body = _plan_body()
    plan = inspections.plan_inspection(
        db, supervisor, title=body["title"], region_code="530000", trade_type=None,
        window_start=date.fromisoformat(body["window_start"]), window_end=date.fromisoformat(body["window_end"]),
        rounds_to_draw=2, inspectors_to_draw=2, now=AFTER_DEADLINES,
    )  # fmt: skip
    db.flush()
    before = _events(db)
    with pytest.raises(inspections.SeedNotYetPublished):
        inspections.draw_inspection(db, supervisor, plan_id=plan.id, now=AFTER_DEADLINES)
    assert _events(db) == before
    assert plan.drawn_at is None
    checkpoint(db)
    drawn = inspections.draw_inspection(db, supervisor, plan_id=plan.id, now=AFTER_DEADLINES)
    assert drawn.seed_tree_size is not None
    assert len(inspections.candidates(drawn)[0]) == 4


def test_anyone_replays_the_draw_from_the_public_ledger_alone(
    client: TestClient, db: Session, scene: dict[str, Any]
) -> None:
    supervisor = token_for(db, scene["supervisors"][1])
    plan_id = client.post(API, json=_plan_body(rounds_to_draw=3), headers=supervisor).json()["id"]
    checkpoint(db)
    drawn = client.post(f"{API}/{plan_id}/draw", headers=supervisor).json()

    # a visitor: the plan's public entry and every entry before the seed's checkpoint, nothing else
    public = client.get(f"{API}/{plan_id}").json()
    size = public["seed_tree_size"]
    entries = client.get(f"/api/v1/ledger/entries?start=0&end={size}").json()["entries"]
    leaves = [base64.b64decode(entry["data"]) for entry in entries]
    root = root_from_leaf_hashes([leaf_hash(data) for data in leaves])
    assert root.hex() == public["seed_root_hash"]
    documents = [json.loads(data) for data in leaves]
    [planned] = [
        d for d in documents if d.get("action") == "inspection.planned" and d["subject"] == f"inspection:{plan_id}"
    ]
    payload = planned["payload"]
    replayed = inspections.replay(
        seed=root, plan_id=plan_id, rounds=payload["candidate_rounds"], inspectors=payload["candidate_inspectors"],
        rounds_to_draw=payload["rounds_to_draw"], inspectors_to_draw=payload["inspectors_to_draw"],
    )  # fmt: skip
    assert list(replayed.rounds) == drawn["drawn_rounds"] == public["drawn_rounds"]
    assert list(replayed.inspectors) == drawn["drawn_inspectors"]
    # another seed draws otherwise (the draw is not a fixed order of the candidates)
    draws = {
        inspections.replay(seed=bytes([n]) * 32, plan_id=plan_id, rounds=payload["candidate_rounds"],
                           inspectors=payload["candidate_inspectors"], rounds_to_draw=3, inspectors_to_draw=2).rounds
        for n in range(16)
    }  # fmt: skip
    assert len(draws) > 1


def test_the_drawn_inspectors_record_findings_and_publish_them_and_only_then_the_public_reads_them(
    client: TestClient, db: Session, scene: dict[str, Any]
) -> None:
    planner = token_for(db, scene["supervisors"][0])
    plan_id = client.post(API, json=_plan_body(inspectors_to_draw=1), headers=planner).json()["id"]
    checkpoint(db)
    drawn = client.post(f"{API}/{plan_id}/draw", headers=planner).json()
    [inspector_id] = drawn["drawn_inspectors"]
    inspector = token_for(db, next(u for u in scene["supervisors"] if u.id == inspector_id))
    other = token_for(db, next(u for u in scene["supervisors"] if u.id != inspector_id))
    first, second = drawn["drawn_rounds"]
    not_drawn = next(t.id for t in scene["tenders"] if t.id not in (first, second))

    finding = {"tender_id": first, "outcome": "no_problem", "text": "开标、评标记录完整，未发现问题"}
    refused = client.post(f"{API}/{plan_id}/findings", json=finding, headers=other)
    assert refused.status_code == 403
    assert refused.json()["code"] == "inspection_not_drawn_inspector"
    outside = client.post(f"{API}/{plan_id}/findings", json=finding | {"tender_id": not_drawn}, headers=inspector)
    assert outside.status_code == 422
    assert client.post(f"{API}/{plan_id}/findings", json=finding, headers=inspector).status_code == 201
    assert client.post(f"{API}/{plan_id}/findings", json=finding, headers=inspector).status_code == 409

    early = client.post(f"{API}/{plan_id}/publish", headers=inspector)
    assert early.status_code == 409
    assert client.get(f"{API}/{plan_id}").json()["findings"] == []  # a visitor: nothing before publication
    problem = {"tender_id": second, "outcome": "problems_found", "text": "评标专家签到时间晚于开标时间，已移交处理"}
    assert client.post(f"{API}/{plan_id}/findings", json=problem, headers=inspector).status_code == 201
    published = client.post(f"{API}/{plan_id}/publish", headers=inspector)
    assert published.status_code == 200, published.text
    public = client.get(f"{API}?published=true").json()
    [row] = [p for p in public if p["id"] == plan_id]
    assert [(f["tender_id"], f["outcome"]) for f in row["findings"]] == [
        (first, "no_problem"),
        (second, "problems_found"),
    ]
    page = client.get("/inspections")
    assert page.status_code == 200
    assert "评标专家签到时间晚于开标时间" in page.text
    assert "发现问题" in page.text


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("beijing", {}, 403, "inspection_scope_denied"),
        ("yunnan", {"region_code": "110000"}, 403, "inspection_scope_denied"),
        ("yunnan", {"rounds_to_draw": 5}, 409, "inspection_nothing_to_draw"),
        ("yunnan", {"inspectors_to_draw": 4}, 409, "inspection_nothing_to_draw"),
        ("yunnan", {"window_end": "2026-01-01"}, 422, "invalid_input"),
        ("yunnan", {"region_code": "999999"}, 422, "region_code_invalid"),
        ("yunnan", {"title": " "}, 422, "invalid_input"),
    ],
)
def test_a_refused_plan_leaves_no_row_and_no_event(
    client: TestClient, db: Session, scene: dict[str, Any], who: str, body: dict[str, Any], status: int, code: str
) -> None:
    user = scene["beijing"] if who == "beijing" else scene["supervisors"][0]
    answer = client.post(API, json=_plan_body(**body), headers=token_for(db, user))
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert db.scalar(select(func.count()).select_from(InspectionPlan)) == 0
    assert db.scalar(select(func.count()).select_from(InspectionFinding)) == 0
    assert _events(db) == 0


def test_only_supervisors_plan_and_the_inspector_reads_but_never_writes(
    client: TestClient, db: Session, scene: dict[str, Any]
) -> None:
    for role in (Role.INSPECTOR, Role.CENTRE_STAFF, Role.PLATFORM_ADMIN):
        answer = client.post(API, json=_plan_body(), headers=token_for(db, user_with_role(db, role)))
        assert answer.status_code == 403, (role, answer.text)
    assert client.post(API, json=_plan_body()).status_code == 401
    assert _events(db) == 0


def test_the_supervisors_workspace_plans_and_draws_on_a_page(
    client: TestClient, db: Session, scene: dict[str, Any]
) -> None:
    supervisor = scene["supervisors"][2]
    headers = token_for(db, supervisor)
    page = client.get("/workspace/inspections", headers=headers)
    assert page.status_code == 200, page.text
    assert "双随机" in page.text
    assert "/workspace/inspections" in client.get("/workspace", headers=headers).text


def test_the_whole_inspection_on_pages_each_step_says_what_happened(
    client: TestClient, db: Session, scene: dict[str, Any]
) -> None:
    """A supervisor plans and draws on its page; the drawn inspector records each finding and publishes; the public
    page shows the findings (双随机一公开). Each form asks first and each step says what it did."""
    supervisor = scene["supervisors"][0]
    browser_login(client, db, supervisor)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page.text.count("data-confirm") == 0  # nothing planned: no irreversible step on offer yet
    body = _plan_body(inspectors_to_draw=1) | {"csrf_token": csrf_from(client, PAGE)}
    planned = client.post(PAGE, data=body, follow_redirects=False)
    assert planned.status_code == 303, planned.text
    assert outcome_code(planned) == "inspection_planned"
    [plan] = db.scalars(select(InspectionPlan)).all()
    listed = client.get(PAGE).text
    assert "data-confirm" in listed
    assert f"/workspace/inspections/{plan.id}/draw" in listed

    drawn = client.post(f"{PAGE}/{plan.id}/draw", data={"csrf_token": csrf_from(client, PAGE)}, follow_redirects=False)
    assert drawn.status_code == 303, drawn.text
    assert outcome_code(drawn) == "inspection_drawn"
    db.refresh(plan)
    [inspector_id] = inspections.drawn(plan).inspectors  # type: ignore[union-attr]
    client.cookies.clear()
    browser_login(client, db, next(u for u in scene["supervisors"] if u.id == inspector_id))
    for tender_id in inspections.drawn(plan).rounds:  # type: ignore[union-attr]
        form = {"csrf_token": csrf_from(client, PAGE), "tender_id": tender_id, "outcome": "no_problem",
                "text": f"标段{tender_id}开评标资料完整，未发现问题"}  # fmt: skip
        recorded = client.post(f"{PAGE}/{plan.id}/findings", data=form, follow_redirects=False)
        assert recorded.status_code == 303, recorded.text
        assert outcome_code(recorded) == "inspection_finding_recorded"
    bad = {"csrf_token": csrf_from(client, PAGE), "tender_id": 1, "outcome": "whatever", "text": "x"}
    refused = client.post(f"{PAGE}/{plan.id}/findings", data=bad)
    assert refused.status_code == 422
    assert "outcome" in refused.text
    published = client.post(
        f"{PAGE}/{plan.id}/publish", data={"csrf_token": csrf_from(client, PAGE)}, follow_redirects=False
    )
    assert published.status_code == 303, published.text
    assert outcome_code(published) == "inspection_published"
    public = client.get("/inspections").text
    assert "开评标资料完整，未发现问题" in public
    assert plan.seed_root_hash is not None
    assert plan.seed_root_hash.hex() in public
    english = client.get("/inspections?lang=en").text
    assert "Random inspection results" in english
    assert "No problem found" in english


def test_a_trade_bound_supervisor_plans_its_own_trade_and_never_draws_a_plan_of_every_trade(
    db: Session, scene: dict[str, Any]
) -> None:
    """A supervisor of 房屋建筑和市政 in 云南 plans construction rounds only (its grant's trade), and may not draw a
    plan of every trade made by a supervisor of every trade."""
    construction = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530000",
                                                    trade_type="construction")])  # fmt: skip
    bound = principal(db, construction, Permission.INSPECTION_MANAGE)
    own = plan(db, bound)
    assert own.trade_type == "construction"
    assert construction.id in inspections.candidates(own)[1]
    every = plan(db, principal(db, scene["supervisors"][0], Permission.INSPECTION_MANAGE))
    assert every.trade_type is None
    assert construction.id not in inspections.candidates(every)[1]  # its grant does not cover every trade
    checkpoint(db)
    with pytest.raises(inspections.OutsideYourScope):
        inspections.draw_inspection(db, bound, plan_id=every.id, now=AFTER_DEADLINES)
