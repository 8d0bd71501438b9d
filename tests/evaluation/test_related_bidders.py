"""招标投标法实施条例 第34条 at evaluation: bids of units with a 控股 or 管理 relation (第2款) that centre staff
recorded by the bid deadline are void (第3款: 相关投标均无效) and rejected when evaluation starts, citing the article;
a relation one side declared on its own or staff recorded after the deadline, the same person in charge (known only by
name), an interest in the owner (第1款) and siblings under one parent (not 第34条) are flagged for the committee, each
flag naming the source of its data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission
from ggzy.entities import relations
from ggzy.entities import service as entities
from ggzy.entities.models import Entity, User
from ggzy.entities.schemas import EntityRelationCorrection, EntityRelationIn, EntityUpdate
from ggzy.evaluation import service
from tests.conftest import TEST_NOW
from tests.evaluation.test_evaluation import LOWEST, _evaluate
from tests.factories import make_entity, make_opened_tender, principal

PRICES = [40_000_000, 30_000_000, 20_000_000, 10_000_000]


def _entity_ids(db: Session, opened: dict) -> list[int]:
    return [db.get(User, user.id).entity_id for user in opened["bidders"]]  # type: ignore[union-attr,misc]


def _holds(
    db: Session, upper: int, lower: int, percent: int = 60, *, kind: str = "shareholding", now: datetime = TEST_NOW
) -> None:
    """Centre staff record the relation (by default at TEST_NOW, before the bid deadline)."""
    share = percent if kind == "shareholding" else None
    data = EntityRelationIn(kind=kind, upper_entity_id=upper, lower_entity_id=lower, share_percent=share)  # type: ignore[arg-type]
    relations.record_relation(db, SYSTEM, data=data, now=now)


def _declares(db: Session, user: User, upper: int, lower: int, percent: int, now: datetime) -> int:
    """The bidder's own user declares the relation (entity.update_own); returns the relation's id."""
    data = EntityRelationIn(kind="shareholding", upper_entity_id=upper, lower_entity_id=lower, share_percent=percent)  # type: ignore[arg-type]
    actor = principal(db, user, Permission.ENTITY_UPDATE_OWN)
    return relations.declare_relation(db, actor, data=data, now=now).id


def _rejections(db: Session, opened: dict) -> dict[int, tuple[str, str, bool]]:
    evaluation = service.find_evaluation(db, opened["tender"].id)
    assert evaluation is not None
    return {bid: (r.ground, r.note, r.automatic) for bid, r in service._rejected(db, evaluation.id).items()}


def _started_payload(db: Session, opened: dict) -> dict:
    event = db.scalar(
        select(Event).where(Event.action == "evaluation.started", Event.subject_id == str(opened["tender"].id))
    )
    assert event is not None
    return json.loads(event.payload)


def test_parent_and_controlled_subsidiary_bids_are_void_实施条例第34条(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    _holds(db, bidders[0], bidders[1], 51)
    _evaluate(db, opened, LOWEST)
    rejected = _rejections(db, opened)
    assert set(rejected) == set(opened["bid_ids"][:2])
    for ground, note, automatic in rejected.values():
        assert (ground, automatic) == ("related_bidders", True)
        assert "存在控股关系" in note
        assert "实施条例 第三十四条" in note


def test_control_through_a_non_bidding_holding_company_voids_both_实施条例第34条(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    holding = make_entity(db, name="中间控股有限公司")
    _holds(db, bidders[2], holding.id, 100)
    _holds(db, holding.id, bidders[3], 70)
    _evaluate(db, opened, LOWEST)
    assert set(_rejections(db, opened)) == set(opened["bid_ids"][2:])


def test_management_relation_bids_are_void_实施条例第34条(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    _holds(db, bidders[1], bidders[2], kind="management")
    _evaluate(db, opened, LOWEST)
    rejected = _rejections(db, opened)
    assert set(rejected) == set(opened["bid_ids"][1:3])
    assert "存在管理关系" in rejected[opened["bid_ids"][1]][1]


def test_same_person_in_charge_by_name_is_flagged_for_the_committee_to_confirm_实施条例第34条(
    db: Session, gm_ca: Path
) -> None:
    """The register knows the person in charge only by name, which namesakes share: the committee confirms from the
    bids (法定代表人身份证明) and rejects with the ground ``related_bidders``; the platform does not void them."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = [db.get(Entity, entity_id) for entity_id in _entity_ids(db, opened)]
    bidders[0].legal_representative = bidders[3].legal_representative  # type: ignore[union-attr]
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    assert _started_payload(db, opened)["flagged"] == [
        {
            "ground": "same_person_in_charge",
            "bid_ids": [opened["bid_ids"][0], opened["bid_ids"][3]],
            "path": [],
            "source": "recorded",
        }
    ]


def test_same_parent_sibling_bidders_are_flagged_not_voided_实施条例第34条(db: Session, gm_ca: Path) -> None:
    """第34条第2款 speaks of a relation between the bidding units; two subsidiaries of one parent have none between
    themselves, so their bids stand, flagged for the committee (串标 risk, 实施条例 第39条)."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    parent = make_entity(db, name="集团母公司")
    _holds(db, parent.id, bidders[0], 80)
    _holds(db, parent.id, bidders[1], 55)
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    flagged = _started_payload(db, opened)["flagged"]
    assert flagged == [
        {"ground": "common_parent", "bid_ids": opened["bid_ids"][:2], "path": [parent.id], "source": "recorded"}
    ]


def test_a_bidder_the_owner_controls_is_flagged_for_the_committee_实施条例第34条第1款(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    _holds(db, opened["owner"].id, bidders[3], 90)
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    assert _started_payload(db, opened)["flagged"] == [
        {
            "ground": "owner_controls_bidder",
            "bid_ids": [opened["bid_ids"][3]],
            "path": [opened["owner"].id, bidders[3]],
            "source": "recorded",
        }
    ]


def test_an_ended_relation_voids_nothing_实施条例第34条(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    data = EntityRelationIn(
        kind="shareholding", upper_entity_id=bidders[0], lower_entity_id=bidders[1], share_percent=60
    )  # type: ignore[arg-type]
    relation = relations.record_relation(db, SYSTEM, data=data, now=TEST_NOW)
    changes = EntityRelationCorrection(ended=True)
    relations.correct_relation(db, SYSTEM, relation_id=relation.id, changes=changes, now=TEST_NOW)
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}


# -- who may void a bid: authoritative data only (docs/decisions/0007) ------------------------------------------------


def test_one_sided_declaration_after_opening_only_flags_实施条例第34条(db: Session, gm_ca: Path) -> None:
    """The reproduced attack: once the opening shows who bid, bidder 0 declares "we hold 51 % of bidder 3" (the
    cheapest). A declaration is one side's word about another unit: both bids stay in play, flagged for the committee
    (which may reject with ``related_bidders``) with the source of the relation."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    assert opened["opened_at"] > opened["tender"].bid_deadline
    _declares(db, opened["bidders"][0], bidders[0], bidders[3], 51, opened["opened_at"])
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    assert _started_payload(db, opened)["flagged"] == [
        {
            "ground": "shareholding_control",
            "bid_ids": [opened["bid_ids"][0], opened["bid_ids"][3]],
            "path": [bidders[0], bidders[3]],
            "source": "declared",
        }
    ]


def test_one_sided_declaration_before_the_deadline_only_flags_too_实施条例第34条(db: Session, gm_ca: Path) -> None:
    """Declared by the held unit about itself, before any bid: still one side's word, still only a flag."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    _declares(db, opened["bidders"][2], bidders[1], bidders[2], 80, TEST_NOW)
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    assert [(f["ground"], f["source"]) for f in _started_payload(db, opened)["flagged"]] == [
        ("shareholding_control", "declared")
    ]


def test_staff_recorded_control_voids_both_bids_实施条例第34条(db: Session, gm_ca: Path) -> None:
    """Register data recorded by centre staff before the bid deadline: both bids void (第3款), nothing flagged."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    _holds(db, bidders[0], bidders[3], 51, now=opened["tender"].bid_deadline)
    _evaluate(db, opened, LOWEST)
    rejected = _rejections(db, opened)
    assert set(rejected) == {opened["bid_ids"][0], opened["bid_ids"][3]}
    assert all(ground == "related_bidders" and "实施条例 第三十四条" in note for ground, note, _ in rejected.values())
    assert _started_payload(db, opened)["flagged"] == []


def test_staff_confirming_a_declaration_before_the_deadline_voids_both_bids_实施条例第34条(
    db: Session, gm_ca: Path
) -> None:
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    relation_id = _declares(db, opened["bidders"][1], bidders[1], bidders[2], 60, TEST_NOW)
    changes = EntityRelationCorrection(actual_control=True)
    relations.correct_relation(db, SYSTEM, relation_id=relation_id, changes=changes, now=TEST_NOW)
    _evaluate(db, opened, LOWEST)
    assert set(_rejections(db, opened)) == set(opened["bid_ids"][1:3])


def test_staff_recording_after_the_deadline_only_flags_实施条例第34条(db: Session, gm_ca: Path) -> None:
    """The register as it stood at the deadline is what voids: a relation recorded (or corrected) later, after the
    bidders are known, is weighed by the committee."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    _holds(db, bidders[0], bidders[1], 70, now=opened["tender"].bid_deadline + timedelta(seconds=1))
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    assert [(f["ground"], f["bid_ids"], f["source"]) for f in _started_payload(db, opened)["flagged"]] == [
        ("shareholding_control", opened["bid_ids"][:2], "recorded_after_deadline")
    ]


def test_a_declared_shortcut_does_not_hide_a_recorded_chain_实施条例第34条(db: Session, gm_ca: Path) -> None:
    """Bidder 0 controls bidder 1 through a holding company on the register; a direct declaration between them does
    not lower the relation to a flag."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    holding = make_entity(db, name="登记在册的中间控股公司")
    _holds(db, bidders[0], holding.id, 100)
    _holds(db, holding.id, bidders[1], 60)
    _declares(db, opened["bidders"][0], bidders[0], bidders[1], 60, opened["opened_at"])
    _evaluate(db, opened, LOWEST)
    assert set(_rejections(db, opened)) == set(opened["bid_ids"][:2])
    assert _started_payload(db, opened)["flagged"] == []


def test_a_person_in_charge_changed_after_the_deadline_is_flagged_as_such_实施条例第34条(
    db: Session, gm_ca: Path
) -> None:
    """An entity renaming its own legal representative to a competitor's after the deadline: a flag whose source says
    the register entry changed after the deadline, never a rejection."""
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    rival = db.get(Entity, _entity_ids(db, opened)[3])
    assert rival is not None
    actor = principal(db, opened["bidders"][0], Permission.ENTITY_UPDATE_OWN)
    changes = EntityUpdate(legal_representative=rival.legal_representative)
    entities.update_own_entity(db, actor, changes=changes, now=opened["opened_at"])
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    assert _started_payload(db, opened)["flagged"] == [
        {
            "ground": "same_person_in_charge",
            "bid_ids": [opened["bid_ids"][0], opened["bid_ids"][3]],
            "path": [],
            "source": "changed_after_deadline",
        }
    ]
