"""The watch list (重点关注对象名单, decision 0046): a supervisor puts a registered entity under tracking, with its
grounds and optionally a last day, and takes it off with a reason; discipline inspection reads the list.

- **Whose entry.** An entry carries the jurisdiction of the supervisor who made it: its broadest supervisor grant's
  region and trade type (None: every region, every trade), as a credit decision does (decision 0040). Supervisors
  and inspectors whose scope overlaps it read it (a province's entry is read in its cities, a county's entry in its
  province); only a supervisor whose grant covers it takes it off.
- **What it tracks.** The entry's lots, on the live view (``ggzy.supervision.board``): every lot in its jurisdiction
  whose project the entity owns or is the agent of, at once; a lot it bid on only once that lot's
  opening began — until then nobody may learn who registered or bid (招标投标法 第22条), supervisors included.
- Every change is a service with its event (``watchlist.added``, ``watchlist.removed``), kept out of the public
  ledger: whom the supervisors watch, and why, is theirs until they act on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ggzy.core.clock import to_china_time
from ggzy.core.codes import region_contains, validate_credit_code
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal, Role, RoleGrant
from ggzy.entities.service import entity_names, find_entity_by_credit_code
from ggzy.supervision.models import WatchEntry

SUBJECT = "watch_entry"
READERS = (Role.SUPERVISOR, Role.INSPECTOR)


class EntityNotRegistered(DomainError):
    code = "watch_entity_not_registered"
    status = 404
    message_zh = "主体库中没有统一社会信用代码为 {credit_code} 的市场主体，不能列入重点关注对象名单"
    message_en = "No entity with credit code {credit_code} is in the register: it cannot be put on the watch list"


class AlreadyWatched(DomainError):
    code = "watch_entry_exists"
    status = 409
    message_zh = "该市场主体已在您所辖范围的重点关注对象名单中"
    message_en = "This entity is already on the watch list of your jurisdiction"


class WatchScopeDenied(DomainError):
    code = "watch_scope_denied"
    status = 403
    message_zh = "该名单条目属于{region}的监督部门，超出您的监督范围，不能移出"
    message_en = "This entry belongs to the supervision of {region}, outside yours: it is not yours to remove"


@dataclass(frozen=True)
class Scope:
    region_code: str | None
    trade_type: str | None


def jurisdiction(actor: Principal) -> Scope:
    """The scope a supervisor keeps the list under: its broadest grant (no region first, then no trade), as credit
    decisions are made (``ggzy.credit.access.jurisdiction``)."""
    grants = sorted(
        actor.grants_for(Role.SUPERVISOR), key=lambda g: (g.region_code is not None, g.trade_type is not None)
    )
    if not grants:
        raise WatchScopeDenied(field="credit_code", region="—")
    return Scope(grants[0].region_code, grants[0].trade_type)


def _region_contains(ancestor: str | None, code: str | None) -> bool:
    return ancestor is None or (code is not None and region_contains(ancestor, code))


def covers(grant: RoleGrant, region_code: str | None, trade_type: str | None) -> bool:
    """The grant covers the whole of that scope (the same or wider)."""
    return _region_contains(grant.region_code, region_code) and (not grant.trade_type or grant.trade_type == trade_type)


def applies_to(entry: WatchEntry, *, region_code: str, trade_type: str) -> bool:
    """The entry's scope holds a project of that region and trade."""
    return _region_contains(entry.region_code, region_code) and entry.trade_type in (None, trade_type)


def _overlap(grant: RoleGrant) -> ColumnElement[bool]:
    """Entries whose scope and the grant's overlap: one region holds the other, the trades agree or one is open."""
    region: ColumnElement[bool] = true()
    if grant.region_code:
        prefix = grant.region_code.rstrip("0")
        prefix = prefix + "0" * (len(prefix) % 2)  # whole levels: 53 / 5301 / 530102
        wider = [WatchEntry.region_code.is_(None)] + [
            WatchEntry.region_code == prefix[:n].ljust(6, "0") for n in range(2, len(prefix), 2)
        ]
        region = or_(WatchEntry.region_code.startswith(prefix), *wider)
    trade: ColumnElement[bool] = true()
    if grant.trade_type:
        trade = WatchEntry.trade_type.is_(None) | (WatchEntry.trade_type == grant.trade_type)
    return region & trade


def in_force(now: datetime) -> ColumnElement[bool]:
    """Not taken off, and its last day (Beijing time) not past."""
    today = to_china_time(now).date()
    return WatchEntry.removed_at.is_(None) & (WatchEntry.until.is_(None) | (WatchEntry.until >= today))


def visible_entries(db: Session, actor: Principal, *, now: datetime, current: bool = True) -> list[WatchEntry]:
    """The entries the reader's supervisor and inspector grants overlap, newest first; ``current``: those in force."""
    clauses = [_overlap(grant) for grant in actor.grants if grant.role in READERS]
    query = select(WatchEntry).where(or_(*clauses) if clauses else false())
    if current:
        query = query.where(in_force(now))
    return list(db.scalars(query.order_by(WatchEntry.added_at.desc(), WatchEntry.id.desc())))


def names_of(db: Session, entries: list[WatchEntry]) -> dict[int, str]:
    return entity_names(db, sorted({entry.entity_id for entry in entries}))


@changes_state("watchlist.added", disclosed=False)  # whom the supervisors watch is theirs until they act on it
def add(
    db: Session, actor: Principal, *, credit_code: str, grounds: str, until: date | None, now: datetime
) -> WatchEntry:
    """Put a registered entity on the list of the supervisor's jurisdiction, with its grounds."""
    code = validate_credit_code(credit_code)
    if len(grounds.strip()) < 2:
        raise InvalidInput(field="grounds", reason_zh="请写明列入的理由", reason_en="state the grounds")
    if until is not None and until < to_china_time(now).date():
        raise InvalidInput(field="until", reason_zh="截止日期不能早于今天", reason_en="must not be before today")
    entity = find_entity_by_credit_code(db, code)
    if entity is None:
        raise EntityNotRegistered(field="credit_code", credit_code=code)
    scope = jurisdiction(actor)
    duplicate = select(WatchEntry.id).where(
        WatchEntry.entity_id == entity.id, in_force(now),
        WatchEntry.region_code.is_(None) if scope.region_code is None else WatchEntry.region_code == scope.region_code,
        WatchEntry.trade_type.is_(None) if scope.trade_type is None else WatchEntry.trade_type == scope.trade_type,
    )  # fmt: skip
    if db.scalar(duplicate.limit(1)) is not None:
        raise AlreadyWatched(field="credit_code")
    entry = WatchEntry(
        entity_id=entity.id, region_code=scope.region_code, trade_type=scope.trade_type, grounds=grounds.strip(),
        until=until, added_by=actor.user_id, added_at=now,
    )  # fmt: skip
    db.add(entry)
    db.flush()
    record_event(
        db, actor, action="watchlist.added", subject_type=SUBJECT, subject_id=entry.id, now=now,
        payload={"entity_id": entity.id, "credit_code": code, "region_code": scope.region_code,
                 "trade_type": scope.trade_type, "grounds": entry.grounds,
                 "until": until.isoformat() if until else None},
    )  # fmt: skip
    return entry


@changes_state("watchlist.removed", disclosed=False)
def remove(db: Session, actor: Principal, *, entry_id: int, reason: str, now: datetime) -> WatchEntry:
    """Take an entity off the list, with the reason; the entry stays for the record."""
    if len(reason.strip()) < 2:
        raise InvalidInput(field="reason", reason_zh="请写明移出的理由", reason_en="state the reason")
    entry = db.get(WatchEntry, entry_id)
    if entry is None or entry.removed_at is not None or entry not in visible_entries(db, actor, now=now, current=False):
        raise NotFound(field="entry_id", what_zh="名单条目", what_en="Watch list entry")
    if not any(covers(grant, entry.region_code, entry.trade_type) for grant in actor.grants_for(Role.SUPERVISOR)):
        raise WatchScopeDenied(field="entry_id", region=entry.region_code or "全国")
    entry.removed_at, entry.removed_by, entry.removal_reason = now, actor.user_id, reason.strip()
    db.flush()
    record_event(
        db, actor, action="watchlist.removed", subject_type=SUBJECT, subject_id=entry.id, now=now,
        payload={"entity_id": entry.entity_id, "reason": entry.removal_reason},
    )  # fmt: skip
    return entry
