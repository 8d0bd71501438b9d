"""Control relations of the entity register (控股、管理关系, 招标投标法实施条例 第34条): the only code that changes
them, and the one query that gathers them around the bidders of a lot.

An entity declares its own relations (as the shareholder or managing unit, or as the entity held or managed); centre
staff record and correct any. A declaration is the entity's word about another unit, which it can give at any time,
after an opening too: it never voids a bid by itself (``rules.DECLARED``); only a relation staff recorded or corrected
by the bid deadline does (docs/decisions/0007).

Their events are disclosed: relations between units, and the stakes behind them, are public registration facts
(企业信息公示暂行条例 第九条、第十条: shareholders and their contributions are published), and a bid voided on them
must be checkable by anyone against the ledger. The register holds units only, never natural persons as
shareholders, so no personal data is in these payloads.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.entities import rules
from ggzy.entities.models import Entity, EntityRelation
from ggzy.entities.schemas import EntityRelationCorrection, EntityRelationIn, EntityRelationOut
from ggzy.entities.service import get_entity

DECLARED = rules.DECLARED
RECORDED = rules.RECORDED
HUNDRED = Decimal(100)


class RelationToItself(DomainError):
    code = "entity_relation_to_itself"
    status = 422
    message_zh = "主体不能与自身存在控股或管理关系"
    message_en = "An entity cannot hold shares in or manage itself"


class RelationExists(DomainError):
    code = "entity_relation_exists"
    status = 409
    message_zh = "两主体之间已登记同类关系（编号 {relation_id}），请更正该关系"
    message_en = "This relation between the two entities is already registered (id {relation_id}); correct it instead"


def basis_points(share_percent: Decimal | None, *, kind: str, actual_control: bool) -> int | None:
    """The share of a shareholding in basis points (0 < p ≤ 100 %, at most two decimals); a management relation has
    neither a share nor actual control."""
    if kind == rules.MANAGEMENT:
        if share_percent is not None or actual_control:
            raise InvalidInput(
                field="share_percent",
                reason_zh="管理关系不登记持股比例和实际控制",
                reason_en="a management relation has no share and no actual control",
            )
        return None
    try:
        points = (share_percent * HUNDRED) if share_percent is not None else None
        whole = points is not None and points.is_finite() and points == points.to_integral_value()
    except InvalidOperation:
        whole = False
    if points is None or not whole or not 0 < points <= 100 * HUNDRED:
        raise InvalidInput(
            field="share_percent",
            reason_zh="持股比例须大于 0 且不超过 100，至多两位小数",
            reason_en="the share must be above 0 and at most 100 per cent, with at most two decimals",
        )
    return int(points)


def relation_out(relation: EntityRelation) -> EntityRelationOut:
    points = relation.share_basis_points
    return EntityRelationOut(
        id=relation.id,
        kind=relation.kind,
        upper_entity_id=relation.upper_entity_id,
        lower_entity_id=relation.lower_entity_id,
        share_percent=(Decimal(points) / HUNDRED).quantize(Decimal("0.01")) if points is not None else None,
        actual_control=relation.actual_control,
        controls=_controls(relation),
        source=relation.source,
        created_at=relation.created_at,
        updated_at=relation.updated_at,
        ended_at=relation.ended_at,
    )


def _controls(relation: EntityRelation) -> bool:
    return rules.controls(
        kind=relation.kind, share_basis_points=relation.share_basis_points, actual_control=relation.actual_control
    )


def _payload(relation: EntityRelation) -> dict[str, Any]:
    return relation_out(relation).model_dump(mode="json", exclude={"created_at", "updated_at"})


def relations_of(db: Session, entity_id: int) -> list[EntityRelation]:
    """Every relation the entity is a side of, live and ended, oldest first."""
    get_entity(db, entity_id)
    query = select(EntityRelation).where(
        or_(EntityRelation.upper_entity_id == entity_id, EntityRelation.lower_entity_id == entity_id)
    )
    return list(db.scalars(query.order_by(EntityRelation.id)))


def _add(db: Session, actor: Principal, *, data: EntityRelationIn, source: str, action: str, now: datetime) -> Any:
    if data.upper_entity_id == data.lower_entity_id:
        raise RelationToItself(field="lower_entity_id")
    get_entity(db, data.upper_entity_id, field="upper_entity_id")
    get_entity(db, data.lower_entity_id, field="lower_entity_id")
    points = basis_points(data.share_percent, kind=data.kind, actual_control=data.actual_control)
    existing = db.scalar(
        select(EntityRelation.id).where(
            EntityRelation.kind == data.kind,
            EntityRelation.upper_entity_id == data.upper_entity_id,
            EntityRelation.lower_entity_id == data.lower_entity_id,
            EntityRelation.ended_at.is_(None),
        )
    )
    if existing is not None:
        raise RelationExists(field="lower_entity_id", relation_id=existing)
    relation = EntityRelation(
        kind=data.kind, upper_entity_id=data.upper_entity_id, lower_entity_id=data.lower_entity_id,
        share_basis_points=points, actual_control=data.actual_control, source=source, created_at=now,
        updated_at=now, ended_at=None,
    )  # fmt: skip
    db.add(relation)
    db.flush()
    record_event(
        db, actor, action=action, subject_type="entity_relation", subject_id=relation.id, payload=_payload(relation),
        now=now,
    )  # fmt: skip
    return relation


@changes_state("entity.relation_declared")
def declare_relation(db: Session, actor: Principal, *, data: EntityRelationIn, now: datetime) -> EntityRelation:
    """An entity declares a relation it is a side of: its shareholder or managing unit, or an entity it holds shares
    in or manages (实施条例 第34条)."""
    if actor.entity_id is None or actor.entity_id not in (data.upper_entity_id, data.lower_entity_id):
        raise PermissionDenied(permission="entity.update_own")
    relation: EntityRelation = _add(db, actor, data=data, source=DECLARED, action="entity.relation_declared", now=now)
    return relation


@changes_state("entity.relation_recorded")
def record_relation(db: Session, actor: Principal, *, data: EntityRelationIn, now: datetime) -> EntityRelation:
    """Centre staff record a relation between any two entities of the register (from the enterprise credit
    publicity system, a complaint, a bid's own disclosure)."""
    relation: EntityRelation = _add(db, actor, data=data, source=RECORDED, action="entity.relation_recorded", now=now)
    return relation


@changes_state("entity.relation_corrected")
def correct_relation(
    db: Session, actor: Principal, *, relation_id: int, changes: EntityRelationCorrection, now: datetime
) -> EntityRelation:
    """Centre staff correct a relation's share or actual control, or end it; an ended relation stays as history and
    cannot be changed again (register it anew)."""
    relation = db.get(EntityRelation, relation_id)
    if relation is None:
        raise NotFound(field="relation_id", what_zh="主体关系", what_en="Entity relation")
    if relation.ended_at is not None:
        raise Conflict(field="relation_id", reason_zh="该关系已终止", reason_en="the relation has ended")
    given = changes.model_dump(exclude_unset=True)
    share = changes.share_percent if "share_percent" in given else _percent(relation.share_basis_points)
    actual_control = relation.actual_control if changes.actual_control is None else changes.actual_control
    relation.share_basis_points = basis_points(share, kind=relation.kind, actual_control=actual_control)
    relation.actual_control = actual_control
    relation.source, relation.updated_at = RECORDED, now
    if changes.ended:
        relation.ended_at = now
    db.flush()
    record_event(
        db, actor, action="entity.relation_corrected", subject_type="entity_relation", subject_id=relation.id,
        payload=_payload(relation) | {"changed": sorted(given)}, now=now,
    )  # fmt: skip
    return relation


def _percent(points: int | None) -> Decimal | None:
    return None if points is None else Decimal(points) / HUNDRED


# -- the bidders of a lot -------------------------------------------------------------------------------------------


def link_source(relation: EntityRelation, deadline: datetime | None) -> str:
    """Whether a relation may void a bid (rules.RECORDED: staff recorded or corrected it, and it has not changed
    since the bid deadline) or only be weighed by the committee."""
    if relation.source != RECORDED:
        return rules.DECLARED
    if deadline is not None and relation.updated_at > deadline:
        return rules.RECORDED_AFTER_DEADLINE
    return rules.RECORDED


def related_bidders_of(
    db: Session, *, bidder_ids: list[int], owner_id: int | None, deadline: datetime | None = None
) -> tuple[rules.RelatedBidders, dict[int, str]]:
    """实施条例 第34条 over the register as it is now: the rule's result for these bidders and this owner, and the
    names of every entity it mentions. Walks up the live controlling links from each party (one query per level of
    the longest chain), and takes every live link that ends at one of them. With the tender's bid ``deadline``, a
    relation recorded or corrected after it, and a person in charge whose register entry changed after it, are
    marked so (the rule then only flags them): the register as it stood at the deadline is what may void a bid."""
    parties = [*bidder_ids, *([owner_id] if owner_id is not None else [])]
    entities = {e.id: e for e in db.scalars(select(Entity).where(Entity.id.in_(parties)))}
    links: dict[int, rules.Link] = {}
    frontier, seen = set(parties), set(parties)
    while frontier:
        rows = db.scalars(
            select(EntityRelation).where(
                EntityRelation.lower_entity_id.in_(sorted(frontier)), EntityRelation.ended_at.is_(None)
            )
        )
        frontier = set()
        for row in rows:
            link = rules.Link(
                row.kind, row.upper_entity_id, row.lower_entity_id, _controls(row), link_source(row, deadline)
            )
            links[row.id] = link
            if link.controls and link.upper not in seen:
                frontier.add(link.upper)
                seen.add(link.upper)
    named = db.execute(select(Entity.id, Entity.name).where(Entity.id.in_(seen | set(entities))))
    names = {row.id: row.name for row in named}

    def party(entity_id: int) -> rules.Party:
        entity = entities[entity_id]
        changed = deadline is not None and entity.updated_at > deadline
        source = rules.CHANGED_AFTER_DEADLINE if changed else rules.RECORDED
        return rules.Party(entity_id, entity.legal_representative, source)

    result = rules.related_bidders(
        [party(entity_id) for entity_id in bidder_ids],
        owner=party(owner_id) if owner_id is not None else None,
        links=[links[key] for key in sorted(links)],
    )
    return result, names
