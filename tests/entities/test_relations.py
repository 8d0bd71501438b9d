"""Control relations in the entity register (招标投标法实施条例 第34条: 控股、管理关系): declared by an entity about
itself, recorded and corrected by centre staff, refused with problem+json when they cannot be true; and the person in
charge (单位负责人) corrected by staff with an undisclosed event (its values are personal data)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event, events_for
from ggzy.core.permissions import Role
from ggzy.entities import relations, rules
from ggzy.entities.models import Centre, Entity, EntityRelation
from ggzy.entities.schemas import RoleGrantIn
from tests.factories import make_centres, make_entity, make_user, token_for, user_with_role

MINE = "/api/v1/entities/me/relations"
RELATIONS = "/api/v1/entity-relations"


@pytest.fixture
def city(db: Session) -> Centre:
    return make_centres(db)["city"]


@pytest.fixture
def staff(db: Session, city: Centre) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)]))


@pytest.fixture
def subsidiary(db: Session) -> Entity:
    return make_entity(db, name="昆明子公司建设有限公司")


@pytest.fixture
def parent(db: Session) -> Entity:
    return make_entity(db, name="云南集团有限公司")


@pytest.fixture
def bidder(db: Session, subsidiary: Entity) -> dict[str, str]:
    """A bidder user of the subsidiary."""
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=subsidiary.id))


def _rows(db: Session) -> tuple[int, int]:
    return (
        db.scalar(select(func.count()).select_from(EntityRelation)) or 0,
        db.scalar(select(func.count()).select_from(Event)) or 0,
    )


def _share(upper: Entity, lower: Entity, percent: object = "60", **extra: object) -> dict:
    return {"kind": "shareholding", "upper_entity_id": upper.id, "lower_entity_id": lower.id, "share_percent": percent}


def test_an_entity_declares_its_controlling_shareholder_in_a_disclosed_event_实施条例第34条(
    client: TestClient, db: Session, bidder: dict[str, str], parent: Entity, subsidiary: Entity
) -> None:
    response = client.post(MINE, json=_share(parent, subsidiary, "50.01"), headers=bidder)
    assert response.status_code == 201, response.text
    relation = response.json()
    assert (relation["share_percent"], relation["controls"], relation["source"]) == ("50.01", True, "declared")
    (event,) = events_for(db, "entity_relation", relation["id"])
    assert (event.action, event.disclosed) == ("entity.relation_declared", True)
    assert json.loads(event.payload)["share_percent"] == "50.01"
    listed = client.get(MINE, headers=bidder).json()
    assert [item["id"] for item in listed] == [relation["id"]]


def test_half_the_capital_is_not_control_unless_declared_as_actual_control_实施条例第34条(
    client: TestClient, bidder: dict[str, str], parent: Entity, subsidiary: Entity, db: Session
) -> None:
    half = client.post(MINE, json=_share(parent, subsidiary, "50"), headers=bidder).json()
    assert half["controls"] is False
    other = make_entity(db)
    declared = client.post(MINE, json=_share(other, subsidiary, "30") | {"actual_control": True}, headers=bidder).json()
    assert declared["controls"] is True


def test_an_entity_cannot_declare_a_relation_between_two_others(
    client: TestClient, db: Session, bidder: dict[str, str], parent: Entity
) -> None:
    other = make_entity(db)
    before = _rows(db)
    response = client.post(MINE, json=_share(parent, other), headers=bidder)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert _rows(db) == before


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        pytest.param(lambda p, s: _share(s, s), 422, "entity_relation_to_itself", "lower_entity_id", id="self"),
        pytest.param(lambda p, s: _share(p, s, "0"), 422, "invalid_input", "share_percent", id="zero"),
        pytest.param(lambda p, s: _share(p, s, "-5"), 422, "invalid_input", "share_percent", id="negative"),
        pytest.param(lambda p, s: _share(p, s, "100.01"), 422, "invalid_input", "share_percent", id="above-100"),
        pytest.param(lambda p, s: _share(p, s, "33.333"), 422, "invalid_input", "share_percent", id="3-decimals"),
        pytest.param(lambda p, s: _share(p, s, None), 422, "invalid_input", "share_percent", id="no-share"),
        pytest.param(
            lambda p, s: {"kind": "management", "upper_entity_id": p.id, "lower_entity_id": s.id, "share_percent": 10},
            422,
            "invalid_input",
            "share_percent",
            id="management-with-share",
        ),
        pytest.param(
            lambda p, s: _share(p, s) | {"upper_entity_id": 999_999}, 404, "not_found", "upper_entity_id", id="unknown"
        ),
    ],
)
def test_an_impossible_relation_is_refused_with_problem_json_and_leaves_nothing_实施条例第34条(
    client: TestClient,
    db: Session,
    staff: dict[str, str],
    parent: Entity,
    subsidiary: Entity,
    body,
    status,
    code,
    field,
) -> None:  # type: ignore[no-untyped-def]
    before = _rows(db)
    response = client.post(RELATIONS, json=body(parent, subsidiary), headers=staff)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem.get("field")) == (code, field)
    assert problem["message_zh"]
    assert problem["message_en"]
    assert _rows(db) == before


def test_a_duplicate_live_relation_is_refused_but_an_ended_one_can_be_registered_anew(
    client: TestClient, db: Session, staff: dict[str, str], parent: Entity, subsidiary: Entity
) -> None:
    first = client.post(RELATIONS, json=_share(parent, subsidiary), headers=staff).json()
    before = _rows(db)
    duplicate = client.post(RELATIONS, json=_share(parent, subsidiary, "70"), headers=staff)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "entity_relation_exists")
    assert str(first["id"]) in duplicate.json()["message_en"]
    assert _rows(db) == before
    ended = client.patch(f"{RELATIONS}/{first['id']}", json={"ended": True}, headers=staff)
    assert ended.status_code == 200, ended.text
    assert ended.json()["ended_at"] is not None
    again = client.patch(f"{RELATIONS}/{first['id']}", json={"share_percent": "10"}, headers=staff)
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    assert client.post(RELATIONS, json=_share(parent, subsidiary, "70"), headers=staff).status_code == 201


def test_staff_correct_a_declared_share_and_the_relation_becomes_recorded(
    client: TestClient, db: Session, staff: dict[str, str], bidder: dict[str, str], parent: Entity, subsidiary: Entity
) -> None:
    declared = client.post(MINE, json=_share(parent, subsidiary, "60"), headers=bidder).json()
    response = client.patch(f"{RELATIONS}/{declared['id']}", json={"share_percent": "45.5"}, headers=staff)
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert (corrected["share_percent"], corrected["controls"], corrected["source"]) == ("45.50", False, "recorded")
    event = events_for(db, "entity_relation", declared["id"])[-1]
    assert event.action == "entity.relation_corrected"
    assert json.loads(event.payload)["changed"] == ["share_percent"]
    bad = client.patch(f"{RELATIONS}/{declared['id']}", json={"share_percent": "150"}, headers=staff)
    assert (bad.status_code, bad.json()["field"]) == (422, "share_percent")


def test_supervisors_read_an_entitys_relations_both_ways(
    client: TestClient, db: Session, staff: dict[str, str], parent: Entity, subsidiary: Entity
) -> None:
    managed = make_entity(db)
    management = {"kind": "management", "upper_entity_id": subsidiary.id, "lower_entity_id": managed.id}
    client.post(RELATIONS, json=_share(parent, subsidiary), headers=staff)
    client.post(RELATIONS, json=management, headers=staff)
    supervisor = token_for(db, user_with_role(db, Role.SUPERVISOR))
    listed = client.get(f"/api/v1/entities/{subsidiary.id}/relations", headers=supervisor).json()
    assert [(r["kind"], r["upper_entity_id"], r["lower_entity_id"]) for r in listed] == [
        ("shareholding", parent.id, subsidiary.id),
        ("management", subsidiary.id, managed.id),
    ]
    assert client.get("/api/v1/entities/999999/relations", headers=supervisor).status_code == 404


def test_staff_correct_the_person_in_charge_in_an_undisclosed_event_实施条例第34条(
    client: TestClient, db: Session, staff: dict[str, str], subsidiary: Entity
) -> None:
    old = subsidiary.legal_representative
    response = client.patch(f"/api/v1/entities/{subsidiary.id}", json={"legal_representative": "赵更正"}, headers=staff)
    assert response.status_code == 200, response.text
    assert response.json()["legal_representative"] == "赵更正"
    event = events_for(db, "entity", subsidiary.id)[-1]
    assert (event.action, event.disclosed) == ("entity.corrected", False)
    assert json.loads(event.payload) == {
        "before": {"legal_representative": old},
        "after": {"legal_representative": "赵更正"},
    }


def test_the_register_query_marks_each_relation_with_its_source_实施条例第34条(
    client: TestClient, db: Session, bidder: dict[str, str], staff: dict[str, str], parent: Entity, subsidiary: Entity
) -> None:
    """A relation the subsidiary declared is only ``declared``: the query reads it, the rule never groups on it
    (only flags it, with its source); once staff correct it, it is ``recorded``, but only if that happened by the
    tender's bid deadline."""
    declared = client.post(MINE, json=_share(parent, subsidiary), headers=bidder).json()
    found, _ = relations.related_bidders_of(db, bidder_ids=[parent.id, subsidiary.id], owner_id=None)
    assert found.groups == ()
    assert [(item.ground, item.source) for item in found.unconfirmed] == [(rules.SHAREHOLDING_CONTROL, rules.DECLARED)]
    corrected = client.patch(f"{RELATIONS}/{declared['id']}", json={"actual_control": True}, headers=staff)
    assert corrected.json()["source"] == "recorded", corrected.text
    row = db.get(EntityRelation, declared["id"])
    assert row is not None
    bidders = [parent.id, subsidiary.id]
    after, _ = relations.related_bidders_of(db, bidder_ids=bidders, owner_id=None, deadline=row.updated_at)
    assert (after.groups, after.unconfirmed) == (((parent.id, subsidiary.id),), ())
    early = row.updated_at - timedelta(seconds=1)
    late, _ = relations.related_bidders_of(db, bidder_ids=bidders, owner_id=None, deadline=early)
    assert late.groups == ()
    assert [item.source for item in late.unconfirmed] == [rules.RECORDED_AFTER_DEADLINE]
