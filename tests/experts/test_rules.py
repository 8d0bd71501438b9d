"""招标投标法 第37条: the committee's shape; 实施条例 第46条: recusal — as pure rules."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.experts import rules
from ggzy.experts.rules import Candidate
from ggzy.tendering.procedures import OPEN


@pytest.mark.parametrize(
    ("size", "representatives", "lawful"),
    [(5, 0, True), (5, 1, True), (7, 2, True), (9, 3, True), (4, 0, False), (6, 0, False), (3, 0, False),
     (5, 2, False), (7, 3, False), (9, 4, False)],
)  # fmt: skip
def test_tendering_law_art_37_five_or_more_odd_experts_two_thirds(
    size: int, representatives: int, lawful: bool
) -> None:
    assert rules.lawful_committee(size=size, owner_representatives=representatives, procedure=OPEN) is lawful


def test_art_37_five_with_two_owner_representatives_has_three_experts_less_than_two_thirds() -> None:
    assert rules.experts_needed(size=5, owner_representatives=2) == 3
    assert 3 * 3 < 2 * 5
    assert not rules.lawful_committee(size=5, owner_representatives=2, procedure=OPEN)


def test_regulations_art_46_experts_of_the_owner_agent_or_a_bidder_are_recused_and_others_counted() -> None:
    candidates = [
        Candidate(1, employer_id=10, region_code="530102"),
        Candidate(2, employer_id=11, region_code="530100"),
        Candidate(3, employer_id=12, region_code="530300"),  # another city: not considered
        Candidate(4, employer_id=13, region_code="530103"),
    ]
    pool = rules.pool_for(candidates, centre_region="530100", conflicted_entities={10, 13})
    assert pool == rules.Pool(eligible=(2,), considered=3, recused=2)


@given(st.lists(st.integers(0, 5), min_size=1, max_size=30), st.sets(st.integers(0, 5)), st.integers(0, 2**32))
def test_a_recused_expert_is_never_drawn(employers: list[int], conflicted: set[int], seed: int) -> None:
    candidates = [Candidate(n, employer_id=e, region_code="530100") for n, e in enumerate(employers)]
    pool = rules.pool_for(candidates, centre_region="530000", conflicted_entities=conflicted)
    drawn = rules.draw_at_random(pool.eligible, len(pool.eligible), random.Random(seed))
    assert sorted(drawn) == sorted(pool.eligible)
    assert not {employers[n] for n in drawn} & conflicted


def test_regulations_art_81_a_new_committee_leaves_out_the_former_members_and_art_46_recusal_still_applies() -> None:
    """A decision ordering re-evaluation by a new committee (实施条例 第81条, decision 0020): who sat on the superseded
    committee is left out, counted apart from the 第46条 recusals, which still apply."""
    candidates = [Candidate(n, employer_id=10 + n, region_code="530102") for n in range(1, 7)]
    pool = rules.pool_for(candidates, centre_region="530100", conflicted_entities={11}, former_members={1, 2, 3})
    assert pool.eligible == (4, 5, 6)
    assert (pool.considered, pool.recused, pool.former_members) == (6, 1, 2)  # expert 1 is recused first
