"""进场登记 (project registration): an owner, or the tendering agent it appointed, brings a project and its lots into a
trading centre; the centre's staff accept it or return it with the reason; only the parties to the project, the
centre, and oversight over its region and trade type can see it.

招标投标法 第12条: the owner chooses its agent, who acts for that owner only. 招标投标法实施条例 第27条 and
政府采购货物和服务招标投标管理办法 第12条: a ceiling price (最高投标限价) lies within the budget; land, mining and
state-owned property trades sell upward from a starting or reserve price and have no ceiling price.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.codes import validate_project_code
from ggzy.core.events import events_for
from ggzy.core.permissions import Role
from ggzy.core.trade_types import TradeType
from ggzy.entities import login
from ggzy.entities.models import Centre, Entity, User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.projects.models import Lot, Project, ProjectCodeSequence
from tests.factories import event_count, make_centres, make_entity, make_user, project_body, token_for

PROJECTS = "/api/v1/projects"


@dataclass(frozen=True)
class Parties:
    centres: dict[str, Centre]
    owner: Entity
    agent: Entity
    owner_user: User
    agent_user: User

    @property
    def centre(self) -> Centre:
        return self.centres["city"]


@pytest.fixture
def parties(db: Session) -> Parties:
    """The Kunming city centre, an owner (招标人) and the agent it appointed, each with a user in its role there."""
    centres = make_centres(db)
    owner, agent = make_entity(db, name="昆明市五华区教育局"), make_entity(db, name="云南滇中招标代理有限公司")
    city = centres["city"].id
    return Parties(
        centres=centres,
        owner=owner,
        agent=agent,
        owner_user=make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=city)], entity_id=owner.id),
        agent_user=make_user(db, roles=[RoleGrantIn(role=Role.AGENT, centre_id=city)], entity_id=agent.id),
    )


def _register(
    client: TestClient, db: Session, parties: Parties, *, by: User | None = None, **changes: object
) -> Response:
    """The agent registers a construction project in Wuhua county (530102) with the Kunming city centre."""
    body = project_body(
        centre_id=parties.centre.id, owner_id=parties.owner.id, agent_id=parties.agent.id, region_code="530102"
    )
    return client.post(PROJECTS, json=body | changes, headers=token_for(db, by or parties.agent_user))


def _registered(client: TestClient, db: Session, parties: Parties, **changes: object) -> dict:
    response = _register(client, db, parties, **changes)
    assert response.status_code == 201, response.text
    return response.json()


def _rows(db: Session) -> tuple[int, ...]:
    """Everything a registration could leave behind, a used serial of the project code included."""
    return (
        db.scalar(select(func.count()).select_from(Project)) or 0,
        db.scalar(select(func.count()).select_from(Lot)) or 0,
        db.scalar(select(func.coalesce(func.sum(ProjectCodeSequence.last_serial), 0))) or 0,
        event_count(db),
    )


def _assert_problem(response: Response, *, status: int, code: str, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == (code, field)
    assert problem["message_zh"]
    assert problem["message_en"]
    return problem


def _assert_refused(
    client: TestClient,
    db: Session,
    parties: Parties,
    *,
    by: User | None = None,
    status: int,
    code: str,
    field: str,
    **changes: object,
) -> dict:
    before = _rows(db)
    response = _register(client, db, parties, by=by, **changes)
    problem = _assert_problem(response, status=status, code=code, field=field)
    assert _rows(db) == before, "a refused registration must leave no project, no lot, no used serial and no event"
    return problem


def _payload(db: Session, project_id: int, action: str) -> dict:
    events = [event for event in events_for(db, "project", project_id) if event.action == action]
    assert len(events) == 1
    return json.loads(events[0].payload)


# -- registration ---------------------------------------------------------------------------------------------------


def test_agent_registers_a_project_for_its_owner_with_a_unified_project_code(
    client: TestClient, db: Session, parties: Parties
) -> None:
    lots = [
        {"name": "施工总承包", "budget": "1200000.10", "ceiling_price": "1150000"},
        {"name": "监理", "budget": "345678.2"},
    ]
    project = _registered(client, db, parties, lots=lots)

    assert (project["owner_id"], project["agent_id"]) == (parties.owner.id, parties.agent.id)
    assert (project["region_code"], project["status"]) == ("530102", "submitted")
    code = validate_project_code(project["code"])
    assert (code.region_code, code.year, code.trade_type, code.serial) == ("530102", 2026, TradeType.CONSTRUCTION, 1)
    assert project["code"].startswith("530102-2026-G000001-")
    # Amounts are exact decimals of yuan: 1,200,000.10 + 345,678.20 is 1,545,678.30, not a float's approximation.
    assert project["budget"] == "1545678.30"
    assert [(lot["number"], lot["budget"], lot["ceiling_price"]) for lot in project["lots"]] == [
        (1, "1200000.10", "1150000.00"),
        (2, "345678.20", None),
    ]
    events = events_for(db, "project", project["id"])
    assert [(event.action, event.actor_role, event.actor_entity_id) for event in events] == [
        ("project.registered", "agent", parties.agent.id)
    ]
    assert json.loads(events[0].payload)["code"] == project["code"]


def test_serials_of_project_codes_count_per_region_year_and_trade_type(
    client: TestClient, db: Session, parties: Parties
) -> None:
    first = validate_project_code(_registered(client, db, parties)["code"])
    second = validate_project_code(_registered(client, db, parties)["code"])
    procurement = _registered(client, db, parties, trade_type="gov_procurement")
    elsewhere = validate_project_code(_registered(client, db, parties, region_code="530100")["code"])

    assert (first.serial, second.serial) == (1, 2)
    assert procurement["code"].startswith("530102-2026-C000001-")
    assert (elsewhere.region_code, elsewhere.serial) == ("530100", 1)


def test_the_year_of_a_project_code_is_the_year_in_china(
    client: TestClient, db: Session, parties: Parties, clock: FixedClock
) -> None:
    new_year = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # already 1 January 2027, 01:30 in Beijing
    clock.set(new_year)
    token, _ = login.open_session(
        db, parties.agent_user, method="password", certificate_id=None, now=new_year, lifetime=timedelta(hours=1)
    )
    db.flush()
    body = project_body(centre_id=parties.centre.id, owner_id=parties.owner.id, agent_id=parties.agent.id)

    response = client.post(PROJECTS, json=body, headers={"authorization": f"Bearer {token}"})

    assert response.status_code == 201, response.text
    assert response.json()["code"].startswith("530100-2027-G000001-")


def test_owner_registers_its_own_project_without_an_agent(client: TestClient, db: Session, parties: Parties) -> None:
    response = _register(client, db, parties, by=parties.owner_user, agent_id=None)

    assert response.status_code == 201, response.text
    project = response.json()
    assert (project["owner_id"], project["agent_id"]) == (parties.owner.id, None)
    validate_project_code(project["code"])
    assert [event.actor_role for event in events_for(db, "project", project["id"])] == ["owner"]


def _lot(budget: str, ceiling: str | None = None) -> list[dict[str, object]]:
    return [{"name": "第1标段", "budget": budget, "ceiling_price": ceiling}]


def _bad(changes: dict, code: str, field: str, says: str, *, id: str, status: int = 422) -> object:
    return pytest.param(changes, status, code, field, says, id=id)


ABOVE = "ceiling_price_above_budget"


@pytest.mark.parametrize(
    ("changes", "status", "code", "field", "says"),
    [
        _bad({"lots": _lot("12.345")}, "invalid_input", "lots.0.budget", "两位小数", id="fraction-of-fen"),
        _bad({"lots": _lot("abc")}, "invalid_input", "lots.0.budget", "不是有效的金额", id="not-a-number"),
        _bad({"lots": _lot("0")}, "invalid_input", "lots.0.budget", "预算必须大于零", id="zero-budget"),
        _bad({"lots": _lot("-1.00")}, "invalid_input", "lots.0.budget", "不能为负数", id="negative-budget"),
        # 招标投标法实施条例 第27条, 政府采购货物和服务招标投标管理办法 第12条: the ceiling lies within the budget.
        _bad({"lots": _lot("1000000.00", "1000000.01")}, ABOVE, "lots.0.ceiling_price", "不得高于预算", id="ceiling"),
        _bad({"lots": [*_lot("500"), *_lot("800", "900")]}, ABOVE, "lots.1.ceiling_price", "预算", id="ceiling-lot-2"),
        _bad({"lots": []}, "validation_failed", "lots", "lots", id="no-lots"),
        _bad({"region_code": "530302"}, "invalid_input", "region_code", "服务区域", id="outside-the-centre"),
        _bad({"region_code": "530001"}, "region_code_invalid", "region_code", "行政区划", id="not-a-region"),
        _bad({"owner_id": 10**9}, "not_found", "owner_id", "市场主体", id="unknown-owner", status=404),
    ],
)
def test_a_registration_with_bad_input_is_refused_naming_the_field(
    client: TestClient, db: Session, parties: Parties, changes: dict, status: int, code: str, field: str, says: str
) -> None:
    problem = _assert_refused(client, db, parties, status=status, code=code, field=field, **changes)
    assert says in problem["message_zh"]


@pytest.mark.parametrize("trade_type", [TradeType.LAND, TradeType.MINING, TradeType.PROPERTY])
def test_trades_sold_to_the_highest_bidder_have_no_ceiling_price(
    client: TestClient, db: Session, parties: Parties, trade_type: TradeType
) -> None:
    lots = _lot("3000000.00", "2000000.00")
    code, field = "ceiling_price_not_allowed", "lots.0.ceiling_price"
    problem = _assert_refused(client, db, parties, status=422, code=code, field=field, trade_type=trade_type, lots=lots)
    assert "起始价" in problem["message_zh"]


def test_the_agent_cannot_be_the_owner_itself(client: TestClient, db: Session, parties: Parties) -> None:
    # 招标投标法 第12条: an agent is another party, appointed by the owner.
    problem = _assert_refused(
        client, db, parties, status=422, code="invalid_input", field="agent_id", owner_id=parties.agent.id
    )
    assert "代理机构不能是招标人本身" in problem["message_zh"]


STRANGER, OTHER_CENTRE = -1, -2  # stand-ins for the ids of an unrelated entity and of the Qujing centre


@pytest.mark.parametrize(
    ("registrant", "changes", "field"),
    [
        pytest.param("owner_user", {"owner_id": STRANGER, "agent_id": None}, "owner_id", id="owner-for-another"),
        pytest.param("agent_user", {"agent_id": STRANGER}, "agent_id", id="agent-not-appointed"),
        pytest.param("agent_user", {"agent_id": None}, "agent_id", id="agent-not-named"),
        pytest.param("agent_user", {"centre_id": OTHER_CENTRE, "region_code": "530302"}, "agent_id", id="other-centre"),
    ],
)
def test_a_project_is_registered_only_by_its_owner_or_its_appointed_agent(
    client: TestClient, db: Session, parties: Parties, registrant: str, changes: dict, field: str
) -> None:
    # 招标投标法 第12条: the owner registers its own project, or the agent it appointed does, for that owner only.
    ids = {STRANGER: make_entity(db, name="无关单位有限公司").id, OTHER_CENTRE: parties.centres["other_city"].id}
    changes = {key: ids.get(value, value) for key, value in changes.items()}
    user = getattr(parties, registrant)
    _assert_refused(
        client, db, parties, by=user, status=403, code="project_registrant_mismatch", field=field, **changes
    )


# -- review by the centre -------------------------------------------------------------------------------------------


def _staff(db: Session, centre: Centre) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=centre.id)]))


def _status(db: Session, project_id: int) -> str | None:
    return db.scalar(select(Project.status).where(Project.id == project_id))


def test_centre_staff_accept_a_registration(client: TestClient, db: Session, parties: Parties) -> None:
    project = _registered(client, db, parties)

    response = client.post(f"{PROJECTS}/{project['id']}/accept", headers=_staff(db, parties.centre))

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["reviewed_at"]) == ("accepted", "2026-11-24T06:00:00Z")
    assert _payload(db, project["id"], "project.accepted") == {"code": project["code"]}
    seen = client.get(f"{PROJECTS}/{project['id']}", headers=token_for(db, parties.owner_user)).json()
    assert seen["status"] == "accepted"


def test_centre_staff_return_a_registration_saying_why(client: TestClient, db: Session, parties: Parties) -> None:
    project = _registered(client, db, parties)
    reason = "缺少项目审批（核准）文件，请补充后重新提交"

    response = client.post(
        f"{PROJECTS}/{project['id']}/return", json={"reason": reason}, headers=_staff(db, parties.centre)
    )

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["return_reason"]) == ("returned", reason)
    assert _payload(db, project["id"], "project.returned")["reason"] == reason
    seen = client.get(f"{PROJECTS}/{project['id']}", headers=token_for(db, parties.agent_user)).json()
    assert seen["return_reason"] == reason


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}], ids=["missing", "empty", "blank"])
def test_a_registration_is_not_returned_without_a_reason(
    client: TestClient, db: Session, parties: Parties, body: dict
) -> None:
    project = _registered(client, db, parties)
    headers = _staff(db, parties.centre)
    before = event_count(db)

    response = client.post(f"{PROJECTS}/{project['id']}/return", json=body, headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "reason"
    assert _status(db, project["id"]) == "submitted"
    assert event_count(db) == before


def test_a_registration_is_reviewed_only_once(client: TestClient, db: Session, parties: Parties) -> None:
    project = _registered(client, db, parties)
    headers = _staff(db, parties.centre)
    assert client.post(f"{PROJECTS}/{project['id']}/accept", headers=headers).status_code == 200

    again = client.post(f"{PROJECTS}/{project['id']}/accept", headers=headers)
    returned = client.post(f"{PROJECTS}/{project['id']}/return", json={"reason": "改变主意"}, headers=headers)

    for response in (again, returned):
        problem = _assert_problem(response, status=409, code="registration_not_pending", field="project_id")
        assert "accepted" in problem["message_en"]
    assert _status(db, project["id"]) == "accepted"
    assert [event.action for event in events_for(db, "project", project["id"])][1:] == ["project.accepted"]


def test_staff_of_another_centre_cannot_review_the_registration(
    client: TestClient, db: Session, parties: Parties
) -> None:
    project = _registered(client, db, parties)
    headers = _staff(db, parties.centres["other_city"])
    before = event_count(db)

    accept = client.post(f"{PROJECTS}/{project['id']}/accept", headers=headers)
    give_back = client.post(f"{PROJECTS}/{project['id']}/return", json={"reason": "不属于本中心"}, headers=headers)

    for response in (accept, give_back):
        _assert_problem(response, status=403, code="centre_scope_denied", field="project_id")
    assert _status(db, project["id"]) == "submitted"
    assert event_count(db) == before


# -- who sees a project ---------------------------------------------------------------------------------------------


def _sees(client: TestClient, headers: dict[str, str], project_id: int) -> bool:
    """Whether the user finds the project both by its id and in the list; the two must agree."""
    one = client.get(f"{PROJECTS}/{project_id}", headers=headers)
    listed = client.get(PROJECTS, headers=headers)
    assert one.status_code in (200, 404), one.text
    assert listed.status_code == 200, listed.text
    in_list = project_id in [item["id"] for item in listed.json()["items"]]
    assert (one.status_code == 200) == in_list
    if one.status_code == 404:
        assert one.json()["code"] == "not_found"  # the same answer as for a project that does not exist
    return in_list


def test_the_owner_and_its_agent_see_their_project_and_another_owner_does_not(
    client: TestClient, db: Session, parties: Parties
) -> None:
    project = _registered(client, db, parties)
    other = make_entity(db, name="另一招标人有限公司")
    other_owner = make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=parties.centre.id)], entity_id=other.id)

    assert _sees(client, token_for(db, parties.owner_user), project["id"])
    assert _sees(client, token_for(db, parties.agent_user), project["id"])
    assert not _sees(client, token_for(db, other_owner), project["id"])


def _oversight(role: Role, region: str | None, trade_type: str | None = None, *, sees: bool, id: str) -> object:
    return pytest.param(RoleGrantIn(role=role, region_code=region, trade_type=trade_type), sees, id=id)


@pytest.mark.parametrize(
    ("grant", "sees"),
    [
        _oversight(Role.SUPERVISOR, "530100", sees=True, id="supervisor-of-kunming"),
        _oversight(Role.SUPERVISOR, "530102", sees=True, id="supervisor-of-wuhua"),
        _oversight(Role.SUPERVISOR, "530300", sees=False, id="supervisor-of-qujing"),
        _oversight(Role.SUPERVISOR, "530100", "gov_procurement", sees=False, id="procurement-supervisor"),
        _oversight(Role.SUPERVISOR, "530100", "construction", sees=True, id="construction-supervisor"),
        _oversight(Role.INSPECTOR, "530000", sees=True, id="inspector-of-yunnan"),
        _oversight(Role.INSPECTOR, "520000", sees=False, id="inspector-of-guizhou"),
        _oversight(Role.PLATFORM_ADMIN, None, sees=True, id="platform-admin"),
    ],
)
def test_oversight_sees_the_projects_of_its_region_and_trade_type(
    client: TestClient, db: Session, parties: Parties, grant: RoleGrantIn, sees: bool
) -> None:
    project = _registered(client, db, parties)  # construction, in Wuhua county 530102
    assert _sees(client, token_for(db, make_user(db, roles=[grant])), project["id"]) is sees


@pytest.mark.parametrize(("centre", "sees"), [("city", True), ("other_city", False)])
def test_centre_staff_see_the_projects_of_their_own_centre(
    client: TestClient, db: Session, parties: Parties, centre: str, sees: bool
) -> None:
    project = _registered(client, db, parties)
    assert _sees(client, _staff(db, parties.centres[centre]), project["id"]) is sees


# -- the database keeps the rule too --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget_fen", "ceiling_price_fen"),
    [(100_000_00, 100_000_01), (100_000_00, 0), (0, None)],
    ids=["ceiling-above-budget", "zero-ceiling", "zero-budget"],
)
def test_the_lot_table_refuses_amounts_the_service_would_refuse(
    client: TestClient, db: Session, parties: Parties, budget_fen: int, ceiling_price_fen: int | None
) -> None:
    # 政府采购货物和服务招标投标管理办法 第12条 held by a CHECK constraint, should any code bypass the service.
    project = _registered(client, db, parties)

    with pytest.raises(IntegrityError):
        _insert_lot_bypassing_the_service(db, project["id"], budget_fen=budget_fen, ceiling_price_fen=ceiling_price_fen)

    assert db.scalar(select(func.count()).select_from(Lot).where(Lot.project_id == project["id"])) == 1


def _insert_lot_bypassing_the_service(db: Session, project_id: int, **amounts: int | None) -> None:
    with db.begin_nested():  # only this savepoint is rolled back, on SQLite and PostgreSQL alike
        db.add(Lot(project_id=project_id, number=2, name="绕过服务写入的标段", **amounts))
        db.flush()
