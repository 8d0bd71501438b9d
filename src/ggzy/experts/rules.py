"""The rules of the expert draw, as pure functions (STYLE 4).

- 招标投标法 第37条: five or more members, an odd number, experts at least two thirds (``committee_is_lawful``).
- 招标投标法 第37条 and 实施条例 第46条: experts are drawn at random from the register; an expert with an interest in
  the tender does not sit (回避) — here, one employed by the owner, the agent or any bidder.
- 实施条例 第45条: the province builds the comprehensive register (省级人民政府和国务院有关部门应当组建综合评标
  专家库); the pools of its cities and counties are parts of it, shared down the centre hierarchy (decision 0041): a
  centre draws from the pools of its own region (its city's comprehensive pool and its counties' sub-pools) and then
  from the pool of each region above it (a county: its city's, then the province's; a city: the province's), never
  from a sibling's.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field

from ggzy.core.codes import parent_region, region_contains
from ggzy.tendering.procedures import Procedure
from ggzy.tendering.rules import committee_is_lawful

TIERS = ("province", "city", "county")  # 省级总库, 市州综合库, 县区子库

# How the pools open to a centre are drawn from (decision 0041, setting ``expert_pool_rule``):
NEAREST_FIRST = "nearest_first"  # 本级优先、不足再向上: the centre's own pools first, then the next region up, …
TOGETHER = "together"  # 合并随机: one draw over every pool open to the centre, each expert equally likely
POOL_RULES = (NEAREST_FIRST, TOGETHER)


@dataclass(frozen=True)
class Candidate:
    """An active expert of the wanted specialty, as the draw sees it."""

    expert_id: int
    employer_id: int
    region_code: str


@dataclass(frozen=True)
class Pool:
    """The experts a draw may pick from, and how many it considered and recused."""

    eligible: tuple[int, ...]
    considered: int
    recused: int
    former_members: int = 0  # of those not recused, left out as members of a superseded committee
    # the eligible experts by level of the hierarchy, nearest first (the centre's region, then each region above)
    # (both derived from ``eligible`` and the candidates' regions: not compared)
    tiers: tuple[tuple[int, ...], ...] = field(default=(), compare=False)
    pool_of: dict[int, str] = field(default_factory=dict, compare=False)  # expert id → its pool (its register's region)


def experts_needed(*, size: int, owner_representatives: int) -> int:
    return size - owner_representatives


def lawful_committee(*, size: int, owner_representatives: int, procedure: Procedure) -> bool:
    """招标投标法 第37条, with the owner's representatives counted as members but not as experts."""
    if owner_representatives < 0 or owner_representatives > size:
        return False
    experts = experts_needed(size=size, owner_representatives=owner_representatives)
    return committee_is_lawful(members=size, experts=experts, procedure=procedure)


def is_recused(candidate: Candidate, conflicted_entities: set[int]) -> bool:
    """实施条例 第46条: an expert employed by the owner, its agent or a bidder does not evaluate the tender."""
    return candidate.employer_id in conflicted_entities


def regions_up(centre_region: str) -> tuple[str, ...]:
    """The regions whose pools a centre draws from, nearest first: its own, then each region above it."""
    regions = [centre_region.strip()]
    while (up := parent_region(regions[-1])) is not None:
        regions.append(up)
    return tuple(regions)


def level_of(centre_region: str, expert_region: str) -> int | None:
    """How far up the hierarchy an expert's pool is from the centre: 0 for a pool within the centre's region (its
    own, or a sub-pool below it), 1 for the region above's own pool, 2 for the one above that; None when the pool is
    not open to the centre (a sibling's, or below a region above)."""
    if region_contains(centre_region, expert_region):
        return 0
    for level, region in enumerate(regions_up(centre_region)[1:], start=1):
        if expert_region == region:
            return level
    return None


def pool_for(
    candidates: Iterable[Candidate],
    *,
    centre_region: str,
    conflicted_entities: set[int],
    former_members: Set[int] = frozenset(),
) -> Pool:
    """The candidates of the pools open to the centre (:func:`level_of`), less the recused and the
    ``former_members`` (who sat on a committee of the tender that a complaint's decision replaced, 实施条例 第81条),
    nearest level first and by id within a level."""
    levels = {c.expert_id: level_of(centre_region, c.region_code) for c in candidates}
    considered = sorted(
        (c for c in candidates if levels[c.expert_id] is not None), key=lambda c: (levels[c.expert_id], c.expert_id)
    )
    unrecused = [c for c in considered if not is_recused(c, conflicted_entities)]
    eligible = [c for c in unrecused if c.expert_id not in former_members]
    depth = len(regions_up(centre_region))
    tiers = tuple(tuple(c.expert_id for c in eligible if levels[c.expert_id] == level) for level in range(depth))
    return Pool(
        eligible=tuple(c.expert_id for c in eligible), considered=len(considered),
        recused=len(considered) - len(unrecused), former_members=len(unrecused) - len(eligible), tiers=tiers,
        pool_of={c.expert_id: c.region_code for c in eligible},
    )  # fmt: skip


def draw_at_random(eligible: Sequence[int], count: int, rng: random.Random) -> list[int]:
    """``count`` distinct experts in the order drawn (the first are members, the rest reserve experts)."""
    return rng.sample(list(eligible), count)


def draw_by_rule(pool: Pool, count: int, rng: random.Random, rule: str = NEAREST_FIRST) -> list[int]:
    """``count`` distinct experts of the pool in the order drawn, by the pools' rule: :data:`TOGETHER` draws over
    every eligible expert at once; :data:`NEAREST_FIRST` draws at random within the nearest level as many as it
    holds, then the rest at random from the next level up, and so on (the caller checked there are enough)."""
    if rule == TOGETHER or not pool.tiers:
        return draw_at_random(pool.eligible, count, rng)
    drawn: list[int] = []
    for tier in pool.tiers:
        drawn += rng.sample(list(tier), min(count - len(drawn), len(tier)))
    return drawn
