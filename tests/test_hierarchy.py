"""One system for the centre hierarchy (统分结合, decision 0041): who sees and who runs a project at each level.

A project is registered at each of four centres: the province (云南省), a city below it (昆明市), a county branch below
the city (五华区) and a sibling city (曲靖市). Every role is then asked, at every level, which projects it reads
(``visible_projects``: the projects list, a project's page, the violations and documents that follow it) and which it
may review (``check_reviewer``: the acts that stay with the project's own centre).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.core.errors import NotFound
from ggzy.core.permissions import SYSTEM, Permission, Principal, Role
from ggzy.entities.hierarchy import ancestors_of, centre_scope, children_of
from ggzy.entities.models import Centre, User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.projects import service as projects
from ggzy.projects.access import NotYourCentre, check_reviewer
from ggzy.projects.models import Project
from ggzy.projects.schemas import LotIn, ProjectIn
from tests.conftest import TEST_NOW
from tests.factories import event_count, make_centres, make_entity, make_user, principal, token_for

LEVELS = ("province", "city", "county", "other_city")
REGION = {"province": "530000", "city": "530102", "county": "530102", "other_city": "530302"}


@dataclass
class World:
    centres: dict[str, Centre]
    projects: dict[str, Project]
    owners: dict[str, User]
    agents: dict[str, User]


def _world(db: Session) -> World:
    centres = make_centres(db)
    made: dict[str, Project] = {}
    owners: dict[str, User] = {}
    agents: dict[str, User] = {}
    for level in LEVELS:
        centre = centres[level]
        owner, agent = make_entity(db), make_entity(db)
        owners[level] = make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=centre.id)], entity_id=owner.id)
        agents[level] = make_user(db, roles=[RoleGrantIn(role=Role.AGENT, centre_id=centre.id)], entity_id=agent.id)
        made[level] = projects.register_project(
            db, principal(db, agents[level], Permission.PROJECT_REGISTER),
            data=ProjectIn(
                centre_id=centre.id, name=f"{level} 工程", trade_type="construction", region_code=REGION[level],
                owner_id=owner.id, agent_id=agent.id, lots=[LotIn(name="第1标段", budget="1000000.00")],
            ),
            now=TEST_NOW,
        )  # fmt: skip
    return World(centres, made, owners, agents)


def _seen(db: Session, actor: Principal, world: World) -> set[str]:
    ids = {project.id for project in projects.list_projects(db, actor, limit=100, offset=0)[0]}
    return {level for level, project in world.projects.items() if project.id in ids}


def _staff(db: Session, centre: Centre) -> User:
    return make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=centre.id)])


def test_centre_scope_is_the_centre_and_every_centre_below_it_never_a_sibling_or_a_parent(db: Session) -> None:
    centres = make_centres(db)
    ids = {level: centre.id for level, centre in centres.items()}
    assert centre_scope(db, ids["province"]) >= {ids["province"], ids["city"], ids["county"], ids["other_city"]}
    assert centre_scope(db, ids["city"]) == {ids["city"], ids["county"]}
    assert centre_scope(db, ids["county"]) == {ids["county"]}
    assert centre_scope(db, ids["other_city"]) == {ids["other_city"]}
    assert centre_scope(db, []) == set()
    assert [c.id for c in children_of(db, ids["city"])] == [ids["county"]]
    assert [c.id for c in ancestors_of(db, ids["county"])] == [ids["city"], ids["province"]]


# which levels' projects each centre's staff read, and review (the own centre only)
STAFF_SEES = {
    "province": {"province", "city", "county", "other_city"},
    "city": {"city", "county"},
    "county": {"county"},
    "other_city": {"other_city"},
}


@pytest.mark.parametrize("level", LEVELS)
def test_centre_staff_read_their_centre_and_the_centres_below_and_review_only_their_own(
    db: Session, level: str
) -> None:
    world = _world(db)
    staff = _staff(db, world.centres[level])
    assert _seen(db, principal(db, staff, Permission.PROJECT_READ), world) == STAFF_SEES[level]
    reviewer = principal(db, staff, Permission.PROJECT_REVIEW)
    for other, project in world.projects.items():
        if other == level:
            check_reviewer(reviewer, project)
            continue
        before = event_count(db, "project.accepted")
        with pytest.raises(NotYourCentre):
            projects.accept_registration(db, reviewer, project_id=project.id, now=TEST_NOW)
        assert event_count(db, "project.accepted") == before
        assert project.status == "submitted"


SUPERVISOR_SEES = {
    "530000": {"province", "city", "county", "other_city"},
    "530100": {"city", "county"},
    "530102": {"city", "county"},  # both projects lie in 五华区 (the city's project is located there)
    "530300": {"other_city"},
}


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.INSPECTOR])
@pytest.mark.parametrize("region_code", sorted(SUPERVISOR_SEES))
def test_supervisors_and_inspectors_read_by_region_at_every_level(db: Session, role: Role, region_code: str) -> None:
    world = _world(db)
    user = make_user(db, roles=[RoleGrantIn(role=role, region_code=region_code)])
    assert _seen(db, principal(db, user), world) == SUPERVISOR_SEES[region_code]
    with pytest.raises(NotYourCentre):
        check_reviewer(principal(db, user), world.projects["county"])


@pytest.mark.parametrize("level", LEVELS)
def test_owners_and_agents_read_their_own_project_at_every_level_and_no_other(db: Session, level: str) -> None:
    world = _world(db)
    assert _seen(db, principal(db, world.owners[level], Permission.PROJECT_READ), world) == {level}
    assert _seen(db, principal(db, world.agents[level], Permission.PROJECT_READ), world) == {level}


@pytest.mark.parametrize("role", [Role.BIDDER, Role.EXPERT])
def test_bidders_and_experts_read_no_project_through_the_register_at_any_level(db: Session, role: Role) -> None:
    world = _world(db)
    user = make_user(db, roles=[RoleGrantIn(role=role)], entity_id=make_entity(db).id if role == Role.BIDDER else None)
    assert _seen(db, principal(db, user), world) == set()


def test_the_administrator_reads_every_level(db: Session) -> None:
    world = _world(db)
    assert _seen(db, SYSTEM, world) == set(LEVELS)


def test_a_province_staff_member_reads_a_county_project_over_http_and_cannot_accept_it(
    client: TestClient, db: Session
) -> None:
    world = _world(db)
    province, county, sibling = (_staff(db, world.centres[level]) for level in ("province", "county", "other_city"))
    project = world.projects["county"]
    url = f"/api/v1/projects/{project.id}"
    seen = client.get(url, headers=token_for(db, province))
    assert seen.status_code == 200, seen.text
    assert seen.json()["id"] == project.id
    assert client.get(url, headers=token_for(db, county)).status_code == 200
    assert client.get(url, headers=token_for(db, sibling)).status_code == 404
    before = event_count(db)
    refused = client.post(f"{url}/accept", headers=token_for(db, province))
    assert refused.status_code == 403
    assert refused.json()["code"] == "centre_scope_denied"
    assert event_count(db) == before
    assert client.post(f"{url}/accept", headers=token_for(db, county)).status_code == 200


def test_a_city_staff_member_does_not_read_the_province_or_a_sibling(db: Session) -> None:
    world = _world(db)
    city = principal(db, _staff(db, world.centres["city"]), Permission.PROJECT_READ)
    for level in ("province", "other_city"):
        with pytest.raises(NotFound):
            projects.get_project(db, city, world.projects[level].id)


def test_the_violations_of_a_centre_and_those_below_read_by_its_staff_in_one_query(db: Session) -> None:
    """The staff's scope and the centre filter are two hierarchy queries in one statement (each its own CTE)."""
    from ggzy.supervision.service import visible_violations

    world = _world(db)
    staff = principal(db, _staff(db, world.centres["province"]), Permission.VIOLATION_READ)
    rows = visible_violations(db, staff, centre_id=world.centres["city"].id, tender_id=None, limit=10, offset=0)
    assert rows == []


def test_a_centres_queue_of_registrations_is_its_own_not_those_of_the_centres_below(
    client: TestClient, db: Session
) -> None:
    """The province reads a county's submitted registration, but its workspace does not offer to accept it."""
    world = _world(db)
    province, county = _staff(db, world.centres["province"]), _staff(db, world.centres["county"])
    county_project = world.projects["county"]
    accept = f"/workspace/centre/projects/{county_project.id}/accept"
    province_page = client.get("/workspace/centre", headers=token_for(db, province))
    assert province_page.status_code == 200
    assert accept not in province_page.text
    assert f"/workspace/centre/projects/{world.projects['province'].id}/accept" in province_page.text
    assert accept in client.get("/workspace/centre", headers=token_for(db, county)).text
