"""招标投标法实施条例 第34条 at evaluation: bids of units with a 控股 or 管理 relation (第2款) are void (第3款:
相关投标均无效) and rejected when evaluation starts, citing the article; the same person in charge (known only by
name), an interest in the owner (第1款) and siblings under one parent (not 第34条) are flagged for the committee."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM
from ggzy.entities import relations
from ggzy.entities.models import Entity, User
from ggzy.entities.schemas import EntityRelationCorrection, EntityRelationIn
from ggzy.evaluation import service
from tests.conftest import TEST_NOW
from tests.evaluation.test_evaluation import LOWEST, _evaluate
from tests.factories import make_entity, make_opened_tender

PRICES = [40_000_000, 30_000_000, 20_000_000, 10_000_000]


def _entity_ids(db: Session, opened: dict) -> list[int]:
    return [db.get(User, user.id).entity_id for user in opened["bidders"]]  # type: ignore[union-attr,misc]


def _holds(db: Session, upper: int, lower: int, percent: int = 60, *, kind: str = "shareholding") -> None:
    share = percent if kind == "shareholding" else None
    data = EntityRelationIn(kind=kind, upper_entity_id=upper, lower_entity_id=lower, share_percent=share)  # type: ignore[arg-type]
    relations.record_relation(db, SYSTEM, data=data, now=TEST_NOW)


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
        {"ground": "same_person_in_charge", "bid_ids": [opened["bid_ids"][0], opened["bid_ids"][3]], "path": []}
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
    assert flagged == [{"ground": "common_parent", "bid_ids": opened["bid_ids"][:2], "path": [parent.id]}]


def test_a_bidder_the_owner_controls_is_flagged_for_the_committee_实施条例第34条第1款(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=PRICES, method="lowest_price")
    bidders = _entity_ids(db, opened)
    _holds(db, opened["owner"].id, bidders[3], 90)
    _evaluate(db, opened, LOWEST)
    assert _rejections(db, opened) == {}
    assert _started_payload(db, opened)["flagged"] == [
        {"ground": "owner_controls_bidder", "bid_ids": [opened["bid_ids"][3]], "path": [opened["owner"].id, bidders[3]]}
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
