"""招标投标法实施条例 第34条 as a pure function of the register: groups of bidders barred together on one lot (第2款,
their bids void under 第3款), bidders with an interest in the owner (第1款, flagged), and warnings that are not
第34条 (siblings under one parent, minority stakes: 串标 risk)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from ggzy.entities import rules
from ggzy.entities.rules import Link, Party

OWNER = 100


def _party(entity_id: int, person: str | None = None) -> Party:
    return Party(entity_id, person if person is not None else f"负责人{entity_id}")


def _share(
    upper: int, lower: int, basis_points: int, *, actual_control: bool = False, source: str = rules.RECORDED
) -> Link:
    controls = rules.controls(kind=rules.SHAREHOLDING, share_basis_points=basis_points, actual_control=actual_control)
    return Link(rules.SHAREHOLDING, upper, lower, controls, source)


def _manages(upper: int, lower: int) -> Link:
    return Link(rules.MANAGEMENT, upper, lower, True)


def test_control_is_more_than_half_or_declared_actual_control_公司法第265条() -> None:
    assert rules.controls(kind=rules.SHAREHOLDING, share_basis_points=5_001, actual_control=False)
    assert not rules.controls(kind=rules.SHAREHOLDING, share_basis_points=5_000, actual_control=False)
    assert rules.controls(kind=rules.SHAREHOLDING, share_basis_points=3_000, actual_control=True)
    assert rules.controls(kind=rules.MANAGEMENT, share_basis_points=None, actual_control=False)


def test_same_person_in_charge_barred_实施条例第34条() -> None:
    bidders = [_party(1, "张三"), _party(2, "李四"), _party(3, " 张 三 "), _party(4, None), _party(5, "")]
    result = rules.related_bidders(bidders, owner=None, links=[])
    assert result.groups == ((1, 3),)
    assert result.findings == (rules.Finding(rules.SAME_PERSON_IN_CHARGE, (1, 3)),)


def test_full_width_and_spaced_names_are_one_person_实施条例第34条() -> None:
    assert rules.same_person("王\u3000五", "王五")
    assert rules.same_person("ＡＢＣ", "abc")
    assert not rules.same_person(None, None)
    assert not rules.same_person("", " ")


def test_parent_and_controlled_subsidiary_barred_实施条例第34条() -> None:
    result = rules.related_bidders([_party(1), _party(2), _party(3)], owner=None, links=[_share(1, 2, 5_100)])
    assert result.groups == ((1, 2),)
    assert result.findings == (rules.Finding(rules.SHAREHOLDING_CONTROL, (1, 2), (1, 2)),)


def test_minority_stake_is_not_control_but_warned_实施条例第34条() -> None:
    result = rules.related_bidders([_party(1), _party(2)], owner=None, links=[_share(1, 2, 5_000)])
    assert result.groups == ()
    assert result.warnings == (rules.Finding(rules.MINORITY_STAKE, (1, 2)),)


def test_management_relation_barred_实施条例第34条() -> None:
    result = rules.related_bidders([_party(1), _party(2)], owner=None, links=[_manages(2, 1)])
    assert result.groups == ((1, 2),)
    assert result.findings == (rules.Finding(rules.MANAGEMENT_RELATION, (1, 2), (2, 1)),)


def test_grandparent_controls_through_a_non_bidding_subsidiary_实施条例第34条() -> None:
    """A parent steers its subsidiary's subsidiary: still a 控股 relation between the two bidding units."""
    links = [_share(1, 50, 6_000), _share(50, 2, 10_000)]
    result = rules.related_bidders([_party(1), _party(2)], owner=None, links=links)
    assert result.groups == ((1, 2),)
    assert result.findings[0].path == (1, 50, 2)


def test_a_chain_mixing_shareholding_and_management_is_named_as_such_实施条例第34条() -> None:
    result = rules.related_bidders([_party(1), _party(2)], owner=None, links=[_manages(1, 50), _share(50, 2, 9_000)])
    assert result.findings[0].ground == rules.CONTROL_CHAIN


def test_same_parent_siblings_are_a_warning_not_a_34_violation_实施条例第34条() -> None:
    """Two subsidiaries of one parent have no 控股 or 管理 relation between themselves: not barred by 第34条第2款,
    but flagged (实施条例 第39条 (四): members of one group bidding on its instructions)."""
    links = [_share(50, 1, 8_000), _share(50, 2, 6_000, actual_control=True)]
    result = rules.related_bidders([_party(1), _party(2)], owner=None, links=links)
    assert result.groups == ()
    assert result.warnings == (rules.Finding(rules.COMMON_PARENT, (1, 2), (50,)),)


def test_same_parent_controlled_bidders_void_when_the_parent_bids_too_实施条例第34条() -> None:
    links = [_share(50, 1, 8_000), _share(50, 2, 6_000)]
    result = rules.related_bidders([_party(1), _party(2), _party(50), _party(7)], owner=None, links=links)
    assert result.groups == ((1, 2, 50),)
    assert result.warnings == ()


def test_bidders_with_an_interest_in_the_owner_are_flagged_实施条例第34条第1款() -> None:
    links = [_share(OWNER, 1, 10_000), _manages(2, OWNER), _share(3, OWNER, 1_000), _share(60, OWNER, 7_000)]
    links.append(_share(60, 5, 7_000))
    bidders = [_party(1), _party(2), _party(3), _party(4, "招标人负责人"), _party(5), _party(6)]
    result = rules.related_bidders(bidders, owner=_party(OWNER, "招标人负责人"), links=links)
    assert [(item.ground, item.entity_ids[0]) for item in result.interests] == [
        (rules.OWNER_CONTROLS_BIDDER, 1),
        (rules.BIDDER_CONTROLS_OWNER, 2),
        (rules.OWNER_MINORITY_STAKE, 3),
        (rules.OWNER_SAME_PERSON_IN_CHARGE, 4),
        (rules.OWNER_COMMON_PARENT, 5),
    ]


def test_a_cycle_in_the_register_does_not_loop() -> None:
    links = [_manages(1, 2), _manages(2, 3), _manages(3, 1)]
    result = rules.related_bidders([_party(1), _party(3)], owner=None, links=links)
    assert result.groups == ((1, 3),)


def test_describe_reads_out_names() -> None:
    result = rules.related_bidders(
        [_party(1), _party(2)], owner=None, links=[_share(1, 50, 6_000), _share(50, 2, 9_000)]
    )
    names = {1: "甲公司", 2: "乙公司", 50: "中间控股公司"}
    described = rules.describe(result, names)
    assert described["related_bidders"] == [
        {
            "bidders": ["甲公司", "乙公司"],
            "grounds": [
                {
                    "ground": "shareholding_control",
                    "entities": ["甲公司", "乙公司"],
                    "path": ["甲公司", "中间控股公司", "乙公司"],
                }
            ],
        }
    ]
    assert described["interested_bidders"] == described["related_bidder_warnings"] == []
    assert described["related_bidders_unconfirmed"] == []


# -- the source filter: only authoritative data voids (docs/decisions/0007) -------------------------------------------


def test_a_one_sided_declaration_is_never_grouped_only_unconfirmed_实施条例第34条() -> None:
    """Bidder 1 declares it controls bidder 2: a 第34条第2款 finding for the committee, with its source; no group."""
    result = rules.related_bidders(
        [_party(1), _party(2), _party(3)], owner=None, links=[_share(1, 2, 5_100, source=rules.DECLARED)]
    )
    assert result.groups == result.findings == result.warnings == ()
    assert result.unconfirmed == (rules.Finding(rules.SHAREHOLDING_CONTROL, (1, 2), (1, 2), rules.DECLARED),)
    described = rules.describe(result, {1: "甲", 2: "乙", 3: "丙"})
    assert described["related_bidders"] == []
    assert described["related_bidders_unconfirmed"] == [
        {"ground": "shareholding_control", "entities": ["甲", "乙"], "path": ["甲", "乙"], "source": "declared"}
    ]


def test_a_chain_is_as_authoritative_as_its_weakest_link_实施条例第34条() -> None:
    links = [_share(1, 50, 6_000), _share(50, 2, 9_000, source=rules.RECORDED_AFTER_DEADLINE)]
    result = rules.related_bidders([_party(1), _party(2)], owner=None, links=links)
    assert result.groups == ()
    assert [(item.path, item.source) for item in result.unconfirmed] == [((1, 50, 2), rules.RECORDED_AFTER_DEADLINE)]
    assert rules.weakest([rules.RECORDED, rules.RECORDED_AFTER_DEADLINE, rules.DECLARED]) == rules.DECLARED


def test_a_recorded_chain_voids_even_beside_a_shorter_declared_one_实施条例第34条() -> None:
    links = [_share(1, 2, 6_000, source=rules.DECLARED), _share(1, 50, 6_000), _share(50, 2, 6_000)]
    result = rules.related_bidders([_party(1), _party(2)], owner=None, links=links)
    assert result.groups == ((1, 2),)
    assert result.findings == (rules.Finding(rules.SHAREHOLDING_CONTROL, (1, 2), (1, 50, 2)),)
    assert result.unconfirmed == ()


def test_a_person_in_charge_changed_after_the_deadline_is_unconfirmed_实施条例第34条() -> None:
    late = Party(2, "张三", rules.CHANGED_AFTER_DEADLINE)
    result = rules.related_bidders([_party(1, "张三"), late], owner=None, links=[])
    assert result.groups == ()
    assert result.unconfirmed == (rules.Finding(rules.SAME_PERSON_IN_CHARGE, (1, 2), (), rules.CHANGED_AFTER_DEADLINE),)


# -- properties ------------------------------------------------------------------------------------------------------

_ids = st.integers(min_value=1, max_value=12)
_SOURCES = (rules.RECORDED, rules.DECLARED, rules.RECORDED_AFTER_DEADLINE)
_links = st.lists(
    st.builds(
        lambda kind, upper, lower, points, actual, source: Link(
            kind, upper, lower, rules.controls(kind=kind, share_basis_points=points, actual_control=actual), source
        ),
        st.sampled_from(rules.RELATION_KINDS),
        _ids,
        _ids,
        st.integers(min_value=1, max_value=10_000),
        st.booleans(),
        st.sampled_from(_SOURCES),
    ),
    max_size=20,
)
_bidders = st.lists(_ids, min_size=0, max_size=8, unique=True).map(
    lambda ids: [Party(entity_id, f"人{entity_id % 5}") for entity_id in ids]
)


@given(bidders=_bidders, links=_links, seed=st.randoms(use_true_random=False))
def test_groups_do_not_depend_on_the_order_of_bidders_实施条例第34条(bidders, links, seed) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(bidders)
    seed.shuffle(shuffled)
    first = rules.related_bidders(bidders, owner=None, links=links)
    second = rules.related_bidders(shuffled, owner=None, links=links)
    assert {frozenset(group) for group in first.groups} == {frozenset(group) for group in second.groups}


@given(bidders=_bidders, links=_links)
def test_every_voided_bidder_has_a_34_finding_and_no_warning_pair_is_barred_实施条例第34条(bidders, links) -> None:  # type: ignore[no-untyped-def]
    result = rules.related_bidders(bidders, owner=None, links=links)
    in_findings = {entity_id for item in result.findings for entity_id in item.entity_ids}
    grouped = [entity_id for group in result.groups for entity_id in group]
    assert len(grouped) == len(set(grouped))  # the groups do not overlap
    assert set(grouped) == in_findings
    barred = {frozenset(item.entity_ids) for item in result.findings}
    assert all(frozenset(item.entity_ids) not in barred for item in result.warnings)


@given(length=st.integers(min_value=2, max_value=8), data=st.data())
def test_any_two_units_on_one_chain_of_control_are_barred_实施条例第34条(length: int, data: st.DataObject) -> None:
    chain = list(range(1, length + 1))
    links = [_share(upper, lower, data.draw(st.integers(5_001, 10_000))) for upper, lower in pairwise(chain)]
    a, b = data.draw(st.lists(st.sampled_from(chain), min_size=2, max_size=2, unique=True))
    result = rules.related_bidders([_party(a), _party(b)], owner=None, links=links)
    assert result.groups == ((a, b),)
    assert result.findings[0].path == tuple(range(min(a, b), max(a, b) + 1))


@given(children=st.integers(min_value=2, max_value=6))
def test_siblings_under_one_parent_are_never_voided_for_the_parent_alone_实施条例第34条(children: int) -> None:
    links = [_share(99, child, 10_000) for child in range(1, children + 1)]
    result = rules.related_bidders([_party(child) for child in range(1, children + 1)], owner=None, links=links)
    assert result.groups == ()
    assert len(result.warnings) == children * (children - 1) // 2


@given(bidders=_bidders, links=_links)
def test_only_authoritative_links_void_whatever_else_is_declared_实施条例第34条(bidders, links) -> None:  # type: ignore[no-untyped-def]
    """The source filter: the groups (void bids) over the whole register are exactly the groups over its staff-recorded
    links alone, so no declaration or late record can add or change a group; every 第34条第2款 pair found over all
    links is either in a group or flagged as unconfirmed with a non-authoritative source."""
    result = rules.related_bidders(bidders, owner=None, links=links)
    recorded = rules.related_bidders(bidders, owner=None, links=[link for link in links if link.authoritative])
    assert result.groups == recorded.groups
    assert all(item.authoritative for item in result.findings)
    assert all(not item.authoritative for item in result.unconfirmed)
    everything = [Link(link.kind, link.upper, link.lower, link.controls) for link in links]
    grouped = {entity_id: n for n, group in enumerate(result.groups) for entity_id in group}
    flagged = {frozenset(item.entity_ids) for item in result.unconfirmed}
    for item in rules.related_bidders(bidders, owner=None, links=everything).findings:
        a, b = item.entity_ids
        assert grouped.get(a, -1) == grouped.get(b, -2) or frozenset((a, b)) in flagged
