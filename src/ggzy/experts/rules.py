"""The rules of the expert draw, as pure functions (STYLE 4).

- 招标投标法 第37条: five or more members, an odd number, experts at least two thirds (``committee_is_lawful``).
- 招标投标法 第37条 and 实施条例 第46条: experts are drawn at random from the register; an expert with an interest in
  the tender does not sit (回避) — here, one employed by the owner, the agent or any bidder.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass

from ggzy.core.codes import region_contains
from ggzy.tendering.procedures import Procedure
from ggzy.tendering.rules import committee_is_lawful

TIERS = ("province", "city", "county")  # 省级总库, 市州综合库, 县区子库


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


def pool_for(
    candidates: Iterable[Candidate],
    *,
    centre_region: str,
    conflicted_entities: set[int],
    former_members: Set[int] = frozenset(),
) -> Pool:
    """The candidates within the centre's region, less the recused and the ``former_members`` (who sat on a
    committee of the tender that a complaint's decision replaced, 实施条例 第81条), in a stable order (by id)."""
    considered = sorted(
        (c for c in candidates if region_contains(centre_region, c.region_code)), key=lambda c: c.expert_id
    )
    unrecused = [c.expert_id for c in considered if not is_recused(c, conflicted_entities)]
    eligible = tuple(expert for expert in unrecused if expert not in former_members)
    return Pool(
        eligible=eligible, considered=len(considered), recused=len(considered) - len(unrecused),
        former_members=len(unrecused) - len(eligible),
    )  # fmt: skip


def draw_at_random(eligible: Sequence[int], count: int, rng: random.Random) -> list[int]:
    """``count`` distinct experts in the order drawn (the first are members, the rest reserve experts)."""
    return rng.sample(list(eligible), count)
