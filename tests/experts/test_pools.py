"""Expert pools shared down the centre hierarchy (decision 0041; 招标投标法实施条例 第45条: the province's comprehensive
register; 第46条: drawn at random, with recusal).

The seed names the gap: 县级平台还不能直接抽取市上专家 — a city's tender could not draw the province's experts (the
draw raised NotEnoughExperts with ten province experts in the register). A centre now draws from the pools of its own
region, then from the pool of each region above it; never from a sibling's.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import InvalidInput
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.experts import rules
from ggzy.experts import service as experts
from ggzy.experts.models import CommitteeMember, Draw
from ggzy.experts.rules import Candidate
from ggzy.projects.access import NotYourCentre
from tests.factories import event_count, make_expert, make_opened_tender, make_user, principal, token_for

PROVINCE, CITY, COUNTY, SIBLING_COUNTY, OTHER_CITY = "530000", "530100", "530102", "530103", "530300"


def _opened(db: Session, ca: Path, level: str) -> dict:
    return make_opened_tender(db, ca, prices=[90_000_000, 80_000_000, 70_000_000], centre_level=level)


def _draw(db: Session, opened: dict, **overrides: object) -> Draw:
    arguments: dict = {"specialty_code": "A01", "size": 5, "reserve": 2, "owner_representative_user_ids": []}
    arguments.update(overrides)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    return experts.draw_committee(db, staff, tender_id=opened["tender"].id, now=opened["opened_at"], **arguments)


def _experts(db: Session, region_code: str, count: int) -> set[int]:
    return {make_expert(db, region_code=region_code).id for _ in range(count)}


def _seats(db: Session, opened: dict) -> list[CommitteeMember]:
    return [m for m in experts.committee_of(db, opened["tender"].id) if m.expert_id is not None]


def test_the_seed_a_city_tender_draws_the_provinces_experts_when_its_own_pool_is_empty(
    db: Session, gm_ca: Path
) -> None:
    """Before the pools were shared this raised NotEnoughExperts (needed 7, available 0) with ten in the province."""
    opened = _opened(db, gm_ca, "city")
    province = _experts(db, PROVINCE, 10)
    draw = _draw(db, opened)
    seats = _seats(db, opened)
    assert {seat.expert_id for seat in seats} <= province
    assert {seat.pool_region_code for seat in seats} == {PROVINCE}
    assert (draw.candidates, draw.recused, draw.pool_rule) == (10, 0, rules.NEAREST_FIRST)
    event = db.scalar(select(Event).where(Event.action == "committee.drawn"))
    assert event is not None
    assert event.disclosed is False
    assert json.loads(event.payload)["pools"] == [PROVINCE] * 7


def test_a_county_tender_draws_its_own_pool_first_then_its_citys_then_the_provinces(db: Session, gm_ca: Path) -> None:
    opened = _opened(db, gm_ca, "county")
    county, city, province = _experts(db, COUNTY, 2), _experts(db, CITY, 3), _experts(db, PROVINCE, 10)
    _draw(db, opened, rng=random.Random(7))
    seats = _seats(db, opened)
    pools = [seat.pool_region_code for seat in seats]
    assert pools == [COUNTY] * 2 + [CITY] * 3 + [PROVINCE] * 2  # in the order drawn: nearest first
    assert {s.expert_id for s in seats[:2]} == county
    assert {s.expert_id for s in seats[2:5]} == city
    assert {s.expert_id for s in seats[5:]} <= province


def test_no_centre_draws_a_siblings_pool(db: Session, gm_ca: Path) -> None:
    """A county branch draws neither a sibling county's sub-pool nor another city's; a city not another city's."""
    county_tender = _opened(db, gm_ca, "county")
    _experts(db, SIBLING_COUNTY, 5)
    _experts(db, OTHER_CITY, 5)
    _experts(db, "530302", 5)
    before = event_count(db)
    with pytest.raises(experts.NotEnoughExperts) as refused:
        _draw(db, county_tender)
    assert refused.value.params["available"] == 0
    assert db.scalar(select(func.count()).select_from(Draw)) == 0
    assert event_count(db) == before


def test_a_city_tender_draws_its_counties_sub_pools_as_its_own(db: Session, gm_ca: Path) -> None:
    opened = _opened(db, gm_ca, "city")
    local = _experts(db, COUNTY, 4) | _experts(db, SIBLING_COUNTY, 3)
    _experts(db, PROVINCE, 5)
    draw = _draw(db, opened)
    assert {seat.expert_id for seat in _seats(db, opened)} == local  # 7 local: the province is not needed
    assert draw.candidates == 12


def test_regulations_art_46_recusal_applies_to_the_provinces_experts_too(db: Session, gm_ca: Path) -> None:
    opened = _opened(db, gm_ca, "city")
    clean = _experts(db, PROVINCE, 7)
    employers = [opened["owner"].id, opened["agent"].id, opened["bidders"][0].entity_id]
    conflicted = {make_expert(db, region_code=PROVINCE, employer_id=e).id for e in employers}
    draw = _draw(db, opened)
    drawn = {seat.expert_id for seat in _seats(db, opened)}
    assert drawn == clean
    assert not drawn & conflicted
    assert (draw.candidates, draw.recused) == (10, 3)


def test_the_together_rule_draws_over_every_open_pool_at_once(db: Session, gm_ca: Path) -> None:
    opened = _opened(db, gm_ca, "city")
    _experts(db, CITY, 8)
    _experts(db, PROVINCE, 8)
    seen: Counter[str | None] = Counter()
    for seed in range(12):
        savepoint = db.begin_nested()
        _draw(db, opened, pool_rule=rules.TOGETHER, rng=random.Random(seed))
        seen.update(seat.pool_region_code for seat in _seats(db, opened))
        savepoint.rollback()
    assert seen[CITY] > 0
    assert seen[PROVINCE] > 0
    savepoint = db.begin_nested()
    _draw(db, opened, pool_rule=rules.NEAREST_FIRST)
    assert {seat.pool_region_code for seat in _seats(db, opened)} == {CITY}  # 7 of 8 local: nobody from above
    savepoint.rollback()


def test_an_unknown_pool_rule_is_refused_and_leaves_nothing(db: Session, gm_ca: Path) -> None:
    opened = _opened(db, gm_ca, "city")
    _experts(db, PROVINCE, 10)
    before = event_count(db)
    with pytest.raises(InvalidInput) as refused:
        _draw(db, opened, pool_rule="sideways")
    assert refused.value.field == "pool_rule"
    assert db.scalar(select(func.count()).select_from(Draw)) == 0
    assert event_count(db) == before


def test_the_draw_over_http_tells_the_centre_staff_each_members_pool(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    opened = _opened(db, gm_ca, "city")
    _experts(db, CITY, 3)
    _experts(db, PROVINCE, 10)
    response = client.post(
        f"/api/v1/tenders/{opened['tender'].id}/committee/draw",
        json={"specialty_code": "A01", "size": 5, "reserve": 0, "owner_representative_user_ids": []},
        headers=token_for(db, opened["staff"]),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["pool_rule"] == "nearest_first"
    assert Counter(m["pool_region_code"] for m in body["members"]) == {CITY: 3, PROVINCE: 2}


def test_a_prequalification_review_committee_draws_up_the_hierarchy_as_well(db: Session, gm_ca: Path) -> None:
    opened = _opened(db, gm_ca, "county")
    province = _experts(db, PROVINCE, 4)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    drawn, pool = experts.draw_from_register(
        db, staff, specialty_code="A01", count=3, centre_id=opened["centres"]["county"].id, conflicted_entities=set(),
        subject_type="prequalification", subject_id=1, now=opened["opened_at"],
    )  # fmt: skip
    assert {expert_id for expert_id, _ in drawn} <= province
    assert set(pool.pool_of.values()) == {PROVINCE}


# -- the rules, as pure functions ---------------------------------------------------------------------------------


def test_the_pools_open_to_a_centre_are_its_regions_and_each_region_above() -> None:
    assert rules.regions_up(COUNTY) == (COUNTY, CITY, PROVINCE)
    assert rules.regions_up(CITY) == (CITY, PROVINCE)
    assert rules.regions_up(PROVINCE) == (PROVINCE,)
    assert [rules.level_of(COUNTY, r) for r in (COUNTY, CITY, PROVINCE, SIBLING_COUNTY, OTHER_CITY)] == [
        0, 1, 2, None, None,
    ]  # fmt: skip
    assert [rules.level_of(CITY, r) for r in (COUNTY, CITY, PROVINCE, OTHER_CITY)] == [0, 0, 1, None]
    assert [rules.level_of(PROVINCE, r) for r in (COUNTY, CITY, PROVINCE, OTHER_CITY)] == [0, 0, 0, 0]


def test_nearest_first_takes_all_of_a_level_before_the_next_and_together_mixes() -> None:
    candidates = [Candidate(n, employer_id=100 + n, region_code=r) for n, r in enumerate([PROVINCE] * 6 + [CITY] * 2)]
    pool = rules.pool_for(candidates, centre_region=COUNTY, conflicted_entities=set())
    assert pool.tiers == ((), (6, 7), (0, 1, 2, 3, 4, 5))
    drawn = rules.draw_by_rule(pool, 4, random.Random(3), rules.NEAREST_FIRST)
    assert sorted(drawn[:2]) == [6, 7]
    assert set(drawn[2:]) <= {0, 1, 2, 3, 4, 5}
    mixed = {tuple(rules.draw_by_rule(pool, 2, random.Random(s), rules.TOGETHER)) for s in range(30)}
    assert any(set(d) <= {0, 1, 2, 3, 4, 5} for d in mixed)  # together: the province's can come first


@pytest.mark.parametrize("level", ["province", "county", "other_city"])
def test_only_the_tenders_own_centre_draws_not_the_province_above_nor_a_county_below(
    db: Session, gm_ca: Path, level: str
) -> None:
    """The province reads the city's tender; the centre that runs it draws its committee (decision 0041)."""
    opened = _opened(db, gm_ca, "city")
    _experts(db, PROVINCE, 10)
    other = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=opened["centres"][level].id)])
    before = event_count(db)
    with pytest.raises(NotYourCentre):
        experts.draw_committee(
            db, principal(db, other, Permission.COMMITTEE_DRAW), tender_id=opened["tender"].id, specialty_code="A01",
            size=5, reserve=0, owner_representative_user_ids=[], now=opened["opened_at"],
        )  # fmt: skip
    assert db.scalar(select(func.count()).select_from(Draw)) == 0
    assert event_count(db) == before
