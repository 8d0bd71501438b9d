"""The expert register and the committee draw: 招标投标法 第37条 (committee shape, secrecy) and 实施条例 第46条
(random draw from the register, recusal of experts with an interest)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import InvalidInput
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.experts import service as experts
from ggzy.experts.models import CommitteeMember, Draw, Expert
from ggzy.projects.access import NotYourCentre
from tests.factories import event_count, make_entity, make_expert, make_opened_tender, make_user, principal, token_for


@pytest.fixture
def opened(db: Session, gm_ca: Path) -> dict:
    return make_opened_tender(db, gm_ca, prices=[90_000_000, 80_000_000, 70_000_000])


def _conflicted_experts(db: Session, opened: dict) -> list[Expert]:
    """Experts of the right specialty and region employed by the owner, the agent and a bidder."""
    employers = [opened["owner"].id, opened["agent"].id, opened["bidders"][0].entity_id]
    return [make_expert(db, employer_id=employer) for employer in employers]


def _draw(db: Session, opened: dict, **overrides: object) -> Draw:
    arguments: dict = {"specialty_code": "A01", "size": 5, "reserve": 2, "owner_representative_user_ids": []}
    arguments.update(overrides)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    return experts.draw_committee(db, staff, tender_id=opened["tender"].id, now=opened["opened_at"], **arguments)


def test_tendering_law_art_37_a_lawful_committee_is_drawn_with_reserve_experts(db: Session, opened: dict) -> None:
    for _ in range(8):
        make_expert(db)
    make_expert(db, specialty_codes=["B02"])  # another specialty: not considered
    make_expert(db, region_code="530300")  # another city: not considered
    draw = _draw(db, opened, owner_representative_user_ids=[opened["owner_user"].id])
    members = experts.committee_of(db, opened["tender"].id)
    assert [m.kind for m in members].count("expert") == 4
    assert [m.kind for m in members].count("reserve") == 2
    assert [m.kind for m in members].count("owner_representative") == 1
    assert (draw.candidates, draw.recused) == (8, 0)
    event = db.scalar(select(Event).where(Event.action == "committee.drawn"))
    assert event is not None
    assert event.disclosed is False


@pytest.mark.parametrize(("size", "representatives"), [(4, 0), (6, 0), (5, 2)])
def test_tendering_law_art_37_an_unlawful_committee_is_refused_and_leaves_nothing(
    db: Session, opened: dict, size: int, representatives: int
) -> None:
    """4 and 6 members are refused (five or more, odd); 5 with 2 owner's representatives has 3 experts < 2/3 × 5."""
    for _ in range(8):
        make_expert(db)
    owner_users = [
        opened["owner_user"].id,
        make_user(db, roles=[RoleGrantIn(role=Role.OWNER)], entity_id=opened["owner"].id).id,
    ]
    before = event_count(db)
    with pytest.raises(experts.CommitteeUnlawful) as refused:
        _draw(db, opened, size=size, owner_representative_user_ids=owner_users[:representatives])
    assert "第三十七条" in refused.value.detail_zh
    assert "art. 37" in refused.value.detail_en
    assert db.scalar(select(func.count()).select_from(Draw)) == 0
    assert db.scalar(select(func.count()).select_from(CommitteeMember)) == 0
    assert event_count(db) == before


def test_regulations_art_46_experts_employed_by_the_owner_agent_or_a_bidder_are_never_drawn(
    db: Session, opened: dict
) -> None:
    clean = {make_expert(db).id for _ in range(7)}
    conflicted = {expert.id for expert in _conflicted_experts(db, opened)}
    seen: set[int | None] = set()
    for _ in range(40):
        savepoint = db.begin_nested()
        draw = _draw(db, opened, size=5, reserve=1)
        assert (draw.candidates, draw.recused) == (10, 3)
        drawn = {m.expert_id for m in experts.committee_of(db, opened["tender"].id)}
        assert drawn <= clean
        assert not drawn & conflicted
        seen |= drawn
        savepoint.rollback()
    assert seen == clean  # all the others do come up: the draw is random over them


def test_a_draw_is_random_and_uses_the_given_source(db: Session, opened: dict) -> None:
    for _ in range(9):
        make_expert(db)
    savepoint = db.begin_nested()
    _draw(db, opened, rng=random.Random(1))
    first = [m.expert_id for m in experts.committee_of(db, opened["tender"].id)]
    savepoint.rollback()
    _draw(db, opened, rng=random.Random(1))
    assert [m.expert_id for m in experts.committee_of(db, opened["tender"].id)] == first


def test_too_few_eligible_experts_refuses_the_draw(db: Session, opened: dict) -> None:
    for _ in range(5):
        make_expert(db)
    _conflicted_experts(db, opened)
    with pytest.raises(experts.NotEnoughExperts) as refused:
        _draw(db, opened, size=5, reserve=2)
    assert refused.value.params == {"specialty_code": "A01", "needed": 7, "available": 5, "recused": 3}


def test_owner_representatives_must_be_the_owners_people(db: Session, opened: dict) -> None:
    for _ in range(8):
        make_expert(db)
    with pytest.raises(InvalidInput):
        _draw(db, opened, owner_representative_user_ids=[opened["agent_user"].id])


def test_only_staff_of_the_projects_centre_draw(db: Session, opened: dict) -> None:
    other = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=opened["centres"]["other_city"].id)])
    with pytest.raises(NotYourCentre):
        experts.draw_committee(
            db, principal(db, other, Permission.COMMITTEE_DRAW), tender_id=opened["tender"].id, specialty_code="A01",
            size=5, reserve=0, owner_representative_user_ids=[], now=opened["opened_at"],
        )  # fmt: skip


def test_centre_staff_register_an_expert_through_the_api_and_the_event_is_undisclosed(
    client: TestClient, db: Session
) -> None:
    from tests.factories import make_centres

    city = make_centres(db)["city"]
    staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)])
    user = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)])
    employer = make_entity(db)
    body = {"user_id": user.id, "name": "李专家", "employer_id": employer.id, "specialty_codes": ["A01", "B0203"],
            "tier": "city", "region_code": "530100"}  # fmt: skip
    response = client.post("/api/v1/experts", json=body, headers=token_for(db, staff))
    assert response.status_code == 201, response.text
    assert response.json()["specialty_codes"] == ["A01", "B0203"]
    event = db.scalar(select(Event).where(Event.action == "expert.registered"))
    assert event is not None
    assert event.disclosed is False
    again = client.post("/api/v1/experts", json=body, headers=token_for(db, staff))
    assert again.status_code == 409


def test_an_expert_must_hold_the_expert_role_and_sit_in_the_staffs_region(client: TestClient, db: Session) -> None:
    from tests.factories import make_centres

    city = make_centres(db)["city"]
    staff = token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)]))
    employer = make_entity(db)
    plain = make_user(db)
    body = {"user_id": plain.id, "name": "王某", "employer_id": employer.id, "specialty_codes": ["A01"],
            "tier": "city", "region_code": "530100"}  # fmt: skip
    assert client.post("/api/v1/experts", json=body, headers=staff).json()["code"] == "invalid_input"
    expert_user = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)])
    elsewhere = body | {"user_id": expert_user.id, "region_code": "530300"}
    assert client.post("/api/v1/experts", json=elsewhere, headers=staff).json()["code"] == "centre_scope_denied"
    wrong_tier = body | {"user_id": expert_user.id, "tier": "province"}
    assert client.post("/api/v1/experts", json=wrong_tier, headers=staff).json()["field"] == "tier"
    assert db.scalar(select(func.count()).select_from(Expert)) == 0
