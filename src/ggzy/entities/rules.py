"""Related bidders as a pure function of the register (STYLE 4): who may not bid beside whom on one lot.

招标投标法实施条例 第34条:
- 第1款: an entity with an interest in the owner (招标人) that may affect the fairness of the tender may not bid.
  Whether an interest "may affect fairness" is a judgement, so these are *flagged* for the evaluation committee,
  never voided here: the bidder controls the owner or is controlled or managed by it (directly or down a chain),
  has the same person in charge (单位负责人), holds a minority stake either way, or shares a controlling parent.
- 第2款: different units whose person in charge is the same person, or between which there is a 控股 or 管理
  relation, may not bid on the same lot; 第3款: all their bids are void (相关投标均无效). This function finds them.

What the law covers, and what it does not:
- 控股 is control by shareholding: more than half of the capital, or less with voting rights enough to steer the
  company (公司法 第二百六十五条, declared here as ``actual_control``). A minority stake (参股) is not 控股.
- Control down a chain (a parent and its subsidiary's subsidiary) is still a 控股 relation between the two units: the
  parent steers the grandchild through the child, which is the relation 第34条 aims at. So a unit and any unit below
  it in a chain of 控股 or 管理 links are related, whether or not the units in between bid.
- Two subsidiaries of one parent (siblings) have no 控股 or 管理 relation *between themselves*, which is what
  第34条第2款 speaks of; they are not barred by it. A common parent is still a classic route to collusive bidding
  (串标: 实施条例 第39条 (四) members of one group bidding on its instructions), so siblings are reported as a
  *warning* for supervisors and the committee, separate from the 第34条 findings; so is a minority stake between
  two bidders.
- The person in charge is compared by name (the register keeps no identity number): names are NFKC-normalised and
  stripped of all white space, so "张 三" and "张三" are one person.

Which data may void a bid (docs/decisions/0007): only an *authoritative* relation, one centre staff recorded or
corrected and that stood unchanged at the bid deadline (``RECORDED``). A relation an entity declared on its own
(``DECLARED``: any entity may declare one with any other, after the opening too, once it knows who bid) or that staff
recorded after the deadline (``RECORDED_AFTER_DEADLINE``) is a 第34条 finding the committee must weigh, reported in
``unconfirmed`` and never grouped; so is the same person in charge when an entity's register entry changed after the
deadline (``CHANGED_AFTER_DEADLINE``). A chain is as authoritative as its weakest link, and a pair with an
authoritative chain is grouped even if a shorter chain through a declared link also joins it.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

SHAREHOLDING = "shareholding"
MANAGEMENT = "management"
RELATION_KINDS = (SHAREHOLDING, MANAGEMENT)
CONTROL_ABOVE_BASIS_POINTS = 5_000  # 控股: more than 50 % of the capital (公司法 第二百六十五条)

# 第34条第2款 grounds between two bidders
SAME_PERSON_IN_CHARGE = "same_person_in_charge"
SHAREHOLDING_CONTROL = "shareholding_control"
MANAGEMENT_RELATION = "management"
CONTROL_CHAIN = "control_and_management_chain"
# 第34条第1款 grounds between a bidder and the owner
OWNER_CONTROLS_BIDDER = "owner_controls_bidder"
BIDDER_CONTROLS_OWNER = "bidder_controls_owner"
OWNER_SAME_PERSON_IN_CHARGE = "same_person_in_charge_as_owner"
OWNER_MINORITY_STAKE = "minority_stake_with_owner"
OWNER_COMMON_PARENT = "common_parent_with_owner"
# warnings: not 第34条 (串标 risk)
COMMON_PARENT = "common_parent"
MINORITY_STAKE = "minority_stake"

# where a link or a person in charge comes from (see the module docstring); only RECORDED voids
RECORDED = "recorded"  # recorded or corrected by centre staff, unchanged since the bid deadline
DECLARED = "declared"  # declared by one of its sides, never checked by staff
RECORDED_AFTER_DEADLINE = "recorded_after_deadline"  # staff recorded or corrected it after the bid deadline
CHANGED_AFTER_DEADLINE = "changed_after_deadline"  # the entity's register entry changed after the bid deadline
AUTHORITATIVE = frozenset({RECORDED})
_WEAKEST_FIRST = (DECLARED, CHANGED_AFTER_DEADLINE, RECORDED_AFTER_DEADLINE, RECORDED)

GROUNDS_ZH = {
    SAME_PERSON_IN_CHARGE: "单位负责人为同一人",
    SHAREHOLDING_CONTROL: "存在控股关系",
    MANAGEMENT_RELATION: "存在管理关系",
    CONTROL_CHAIN: "存在控股、管理关系",
    OWNER_CONTROLS_BIDDER: "受招标人控股或管理",
    BIDDER_CONTROLS_OWNER: "控股或管理招标人",
    OWNER_SAME_PERSON_IN_CHARGE: "与招标人单位负责人为同一人",
    OWNER_MINORITY_STAKE: "与招标人存在参股关系",
    OWNER_COMMON_PARENT: "与招标人受同一单位控股或管理",
    COMMON_PARENT: "受同一单位控股或管理",
    MINORITY_STAKE: "存在参股关系",
}


@dataclass(frozen=True)
class Party:
    """An entity on the lot: a bidder, or the owner."""

    entity_id: int
    person_in_charge: str | None  # 单位负责人 (the register's legal representative)
    source: str = RECORDED  # CHANGED_AFTER_DEADLINE when the entry may have changed after the bid deadline


@dataclass(frozen=True)
class Link:
    """A live relation of the register: ``upper`` holds shares in or manages ``lower``."""

    kind: str
    upper: int
    lower: int
    controls: bool  # 控股 or 管理: the upper steers the lower
    source: str = RECORDED  # RECORDED, DECLARED or RECORDED_AFTER_DEADLINE

    @property
    def authoritative(self) -> bool:
        return self.source in AUTHORITATIVE


@dataclass(frozen=True)
class Finding:
    """One reason two parties are related. ``entity_ids`` is the pair (bidder, bidder) or (bidder, owner); ``path``
    the chain of links from the upper entity down to the lower one, or the common parents of a warning."""

    ground: str
    entity_ids: tuple[int, int]
    path: tuple[int, ...] = ()
    source: str = RECORDED  # the weakest source of the data behind it

    @property
    def authoritative(self) -> bool:
        return self.source in AUTHORITATIVE


@dataclass(frozen=True)
class RelatedBidders:
    groups: tuple[tuple[int, ...], ...]  # 第34条第2、3款: every bid of a group is void
    findings: tuple[Finding, ...]  # why, pair by pair (authoritative only)
    interests: tuple[Finding, ...]  # 第34条第1款: flagged for the committee
    warnings: tuple[Finding, ...]  # not 第34条: common parents and minority stakes (串标 risk)
    unconfirmed: tuple[Finding, ...] = ()  # 第34条第2款 on data that may not void: flagged for the committee


def controls(*, kind: str, share_basis_points: int | None, actual_control: bool) -> bool:
    """Whether a relation lets its upper entity steer the lower: 控股 (over half, or declared actual control) or a
    管理 relation (a managing unit and the unit it manages)."""
    if kind == MANAGEMENT:
        return True
    return actual_control or (share_basis_points or 0) > CONTROL_ABOVE_BASIS_POINTS


def same_person(first: str | None, second: str | None) -> bool:
    """Whether two names of a person in charge are the same name (NFKC, no white space, case folded)."""
    a, b = _person_key(first), _person_key(second)
    return a is not None and a == b


def _person_key(name: str | None) -> str | None:
    if not name:
        return None
    key = "".join(unicodedata.normalize("NFKC", name).split()).casefold()
    return key or None


def weakest(sources: Iterable[str]) -> str:
    """The least authoritative of ``sources`` (RECORDED when there are none)."""
    found = set(sources)
    return next((source for source in _WEAKEST_FIRST if source in found), RECORDED)


def _uppers(links: Iterable[Link]) -> dict[int, list[Link]]:
    by_lower: dict[int, list[Link]] = {}
    for link in links:
        if link.controls and link.upper != link.lower:
            by_lower.setdefault(link.lower, []).append(link)
    for found in by_lower.values():
        found.sort(key=lambda link: (link.upper, link.kind))
    return by_lower


def _controllers(entity_id: int, uppers: Mapping[int, list[Link]]) -> dict[int, tuple[Link, ...]]:
    """Every entity that steers ``entity_id`` through a chain of controlling links, with the shortest such chain
    (top first). Breadth first, so cycles in the register cannot loop."""
    found: dict[int, tuple[Link, ...]] = {}
    queue: deque[tuple[int, tuple[Link, ...]]] = deque([(entity_id, ())])
    while queue:
        current, chain = queue.popleft()
        for link in uppers.get(current, ()):
            if link.upper == entity_id or link.upper in found:
                continue
            found[link.upper] = (link, *chain)
            queue.append((link.upper, (link, *chain)))
    return found


def _chain_ground(chain: Sequence[Link]) -> str:
    kinds = {link.kind for link in chain}
    if kinds == {SHAREHOLDING}:
        return SHAREHOLDING_CONTROL
    if kinds == {MANAGEMENT}:
        return MANAGEMENT_RELATION
    return CONTROL_CHAIN


def _path(chain: Sequence[Link]) -> tuple[int, ...]:
    return (chain[0].upper, *(link.lower for link in chain))


def _chain_finding(ground: str | None, pair: tuple[int, int], chain: Sequence[Link]) -> Finding:
    return Finding(ground or _chain_ground(chain), pair, _path(chain), weakest(link.source for link in chain))


def _minority(links: Iterable[Link], a: int, b: int) -> Link | None:
    return next((link for link in links if not link.controls and {link.upper, link.lower} == {a, b}), None)


def _common_parent(
    pair: tuple[int, int], ground: str, a: Mapping[int, tuple[Link, ...]], b: Mapping[int, tuple[Link, ...]]
) -> Finding | None:
    common = set(a) & set(b)
    if not common:
        return None
    source = weakest(link.source for parent in common for link in (*a[parent], *b[parent]))
    return Finding(ground, pair, tuple(sorted(common)), source)


def related_bidders(bidders: Sequence[Party], *, owner: Party | None, links: Sequence[Link]) -> RelatedBidders:
    """The bidders on one lot that 第34条 bars together (in groups), those with an interest in the owner, and the
    warnings that are not 第34条. ``links`` are the live relations of the register around these parties (at least
    every controlling link above each of them, and the links between them). Groups, pairs and warnings come in the
    order of ``bidders``. Only authoritative data groups bidders; a 第34条第2款 finding that rests on anything else (a
    one-sided declaration, a record made after the deadline) goes to ``unconfirmed`` for the committee."""
    uppers = _uppers(links)
    controllers = {party.entity_id: _controllers(party.entity_id, uppers) for party in bidders}
    checked_uppers = _uppers(link for link in links if link.authoritative)
    checked = {party.entity_id: _controllers(party.entity_id, checked_uppers) for party in bidders}
    order = {party.entity_id: n for n, party in enumerate(bidders)}
    found: list[Finding] = []
    warnings: list[Finding] = []
    for a, b in combinations(bidders, 2):
        pair = (a.entity_id, b.entity_id)
        barred = False
        if same_person(a.person_in_charge, b.person_in_charge):
            found.append(Finding(SAME_PERSON_IN_CHARGE, pair, source=weakest((a.source, b.source))))
            barred = True
        for upper, lower in ((a, b), (b, a)):
            # an authoritative chain if there is one, even when a shorter one runs through a declared link
            chain = checked[lower.entity_id].get(upper.entity_id) or controllers[lower.entity_id].get(upper.entity_id)
            if chain is not None:
                found.append(_chain_finding(None, pair, chain))
                barred = True
        if barred:
            continue
        warning = _common_parent(pair, COMMON_PARENT, controllers[a.entity_id], controllers[b.entity_id])
        minority = _minority(links, *pair)
        if warning is None and minority is not None:
            warning = Finding(MINORITY_STAKE, pair, source=minority.source)
        if warning is not None:
            warnings.append(warning)
    findings = [item for item in found if item.authoritative]
    groups = groups_of(findings, order)
    void = {entity_id: n for n, group in enumerate(groups) for entity_id in group}

    def apart(pair: tuple[int, int]) -> bool:
        return void.get(pair[0], -1) != void.get(pair[1], -2)

    return RelatedBidders(
        groups=groups,
        findings=tuple(findings),
        interests=tuple(_interests(bidders, owner, links, uppers, controllers)),
        # a warning about two bids already void together (a parent bidding beside two subsidiaries) says nothing new
        warnings=tuple(w for w in warnings if apart(w.entity_ids)),
        unconfirmed=tuple(item for item in found if not item.authoritative and apart(item.entity_ids)),
    )


def groups_of(findings: Iterable[Finding], order: Mapping[int, int]) -> tuple[tuple[int, ...], ...]:
    """Bidders joined by any of ``findings``, transitively, in the order of ``order`` (entity id → position): every
    member of a group is related to another member, so each of their bids is void (第34条第3款: 相关投标均无效)."""
    parent = {entity_id: entity_id for entity_id in order}

    def root(entity_id: int) -> int:
        while parent[entity_id] != entity_id:
            parent[entity_id] = parent[parent[entity_id]]
            entity_id = parent[entity_id]
        return entity_id

    joined: set[int] = set()
    for finding in findings:
        a, b = finding.entity_ids
        joined |= {a, b}
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for entity_id in sorted(joined, key=order.__getitem__):
        groups.setdefault(root(entity_id), []).append(entity_id)
    return tuple(tuple(group) for group in sorted(groups.values(), key=lambda group: order[group[0]]))


def _interests(
    bidders: Sequence[Party],
    owner: Party | None,
    links: Sequence[Link],
    uppers: Mapping[int, list[Link]],
    controllers: Mapping[int, Mapping[int, tuple[Link, ...]]],
) -> list[Finding]:
    """第34条第1款: the bidders with an interest in the owner, one finding per ground."""
    if owner is None:
        return []
    above_owner = _controllers(owner.entity_id, uppers)
    found = []
    for bidder in bidders:
        pair = (bidder.entity_id, owner.entity_id)
        if bidder.entity_id == owner.entity_id:
            continue  # the owner cannot bid on its own tender at all (tendering.access)
        chain = controllers[bidder.entity_id].get(owner.entity_id)
        if chain is not None:
            found.append(_chain_finding(OWNER_CONTROLS_BIDDER, pair, chain))
        chain = above_owner.get(bidder.entity_id)
        if chain is not None:
            found.append(_chain_finding(BIDDER_CONTROLS_OWNER, pair, chain))
        if same_person(bidder.person_in_charge, owner.person_in_charge):
            found.append(Finding(OWNER_SAME_PERSON_IN_CHARGE, pair, source=weakest((bidder.source, owner.source))))
        minority = _minority(links, *pair)
        if minority is not None:
            found.append(Finding(OWNER_MINORITY_STAKE, pair, source=minority.source))
        common = _common_parent(pair, OWNER_COMMON_PARENT, controllers[bidder.entity_id], above_owner)
        if common is not None and not any(item.entity_ids == pair for item in found):
            found.append(common)
    return found


def describe(result: RelatedBidders, names: Mapping[int, str]) -> dict[str, Any]:
    """The findings as the opening record reads them out: entities by name, grounds by key."""

    def finding(item: Finding) -> dict[str, Any]:
        return {
            "ground": item.ground,
            "entities": [names[entity_id] for entity_id in item.entity_ids],
            "path": [names[entity_id] for entity_id in item.path],
        }

    return {
        # 实施条例 第34条第2、3款: the bids of each group are void
        "related_bidders": [
            {
                "bidders": [names[entity_id] for entity_id in group],
                "grounds": [finding(item) for item in result.findings if item.entity_ids[0] in group],
            }
            for group in result.groups
        ],
        # 实施条例 第34条第1款: for the committee to weigh
        "interested_bidders": [finding(item) for item in result.interests],
        # not 第34条: 串标 risk for supervisors and the committee
        "related_bidder_warnings": [finding(item) for item in result.warnings],
        # 实施条例 第34条第2款 on data that voids nothing by itself (a one-sided declaration, a late record), with its
        # source: the committee weighs it
        "related_bidders_unconfirmed": [finding(item) | {"source": item.source} for item in result.unconfirmed],
    }
