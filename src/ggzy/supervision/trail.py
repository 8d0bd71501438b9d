"""The full trail of a round for supervision and discipline inspection (监督 / 纪检监察、审计; decision 0043).

After the fact, the supervisor and the inspector of a region (and trade type) read everything of a round: every
event of the round and of its project, each with its ledger receipt, and the submission details of every envelope
received (IP, user agent, the device identifiers the client reported) — sealed until the opening (招标投标法
第22条, 第36条), so a round is readable here only once its opening began. The payloads the public ledger withholds
are shown once the result is known (中标结果确定, or the round ended otherwise): before that they may name the
committee (招标投标法 第37条: 评标委员会成员的名单在中标结果确定前应当保密).

Every reading is itself an event (``oversight.viewed``, kept out of the public ledger), and the round's owner, its
agent and its bidders see who read their round and when (:func:`looks_at`): whoever inspects is inspected too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import DomainError, NotFound
from ggzy.core.events import Event, changes_state, events_for, record_event
from ggzy.core.permissions import POLICY, Permission, Principal
from ggzy.entities.service import display_names, entity_names
from ggzy.projects.access import visible_project_ids
from ggzy.tendering import read as tendering_read
from ggzy.tendering.service import rounds_with_projects
from ggzy.tendering.stages import Stage

VIEWED = "oversight.viewed"
RESULT_KNOWN = frozenset({Stage.AWARDED, Stage.CONTRACTED, Stage.FAILED, Stage.CANCELLED})
_MAX_VALUE = 300


class TrailSealed(DomainError):
    code = "trail_sealed_until_opening"
    status = 409
    message_zh = "该标段尚未开标：投标文件及其递交信息在开标前保密（招标投标法 第二十二条、第三十六条）"
    message_en = "The round is not opened yet: the bids and their submission details are sealed until the opening"


def readable_project_ids(actor: Principal) -> Select[tuple[int]]:
    """The projects whose trail ``actor`` may read: from its oversight grants only (a supervisor who is also an
    owner does not read its own projects here)."""
    readers = POLICY[Permission.OVERSIGHT_TRAIL]
    return visible_project_ids(replace(actor, grants=tuple(g for g in actor.grants if g.role in readers)))


@dataclass(frozen=True)
class RoundRow:
    tender_id: int
    title: str
    round: int
    stage: str
    project_code: str
    project_name: str
    lot_name: str
    opened_at: datetime


def opened_rounds(db: Session, actor: Principal, *, limit: int, offset: int) -> list[RoundRow]:
    """The opened rounds of the reader's scope, the newest opening first."""
    rows = tendering_read.opened_rounds_of_projects(db, readable_project_ids(actor), limit=limit, offset=offset)
    projects = rounds_with_projects(db, [tender.id for tender, _ in rows])
    return [
        RoundRow(
            tender_id=tender.id,
            title=tender.title,
            round=tender.round,
            stage=tender.stage,
            project_code=projects[tender.id][2].code,
            project_name=projects[tender.id][2].name,
            lot_name=projects[tender.id][1].name,
            opened_at=opened_at,
        )
        for tender, opened_at in rows
    ]


@dataclass(frozen=True)
class TrailEntry:
    event_id: int
    occurred_at: datetime
    action: str
    actor_role: str
    disclosed: bool
    facts: list[tuple[str, str]] | None  # the payload as rows of (key, value); None: withheld until the result


@dataclass(frozen=True)
class Look:
    at: datetime
    role: str
    name: str


@dataclass(frozen=True)
class Trail:
    round: RoundRow
    result_known: bool
    entries: list[TrailEntry]
    submissions: list[tendering_read.SubmissionFacts]
    bidder_names: dict[int, str]
    looks: list[Look]


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A payload as rows a person reads (never raw JSON): nested keys joined with dots, lists of plain values
    joined with 、, times in Beijing time, each value cut at 300 characters."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key in sorted(value):
            rows += flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            return [(prefix, "、".join("—" if item is None else _beijing(str(item)) for item in value) or "—")]
        rows = []
        for n, item in enumerate(value, start=1):
            rows += flatten(item, f"{prefix}[{n}]")
        return rows
    text = "—" if value is None else _beijing(str(value))
    return [(prefix, text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "…")]


def _beijing(text: str) -> str:
    """An aware ISO time in a payload (stored in UTC) shown at the same instant in Beijing time; other text as is."""
    if len(text) < 19 or text[4:5] != "-" or "T" not in text:
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return to_china_time(moment).isoformat() if moment.tzinfo is not None else text


def _entry(event: Event, result_known: bool) -> TrailEntry:
    shown = event.disclosed or result_known
    return TrailEntry(
        event_id=event.id, occurred_at=event.occurred_at, action=event.action, actor_role=event.actor_role,
        disclosed=event.disclosed, facts=flatten(json.loads(event.payload)) if shown else None,
    )  # fmt: skip


def _round(db: Session, actor: Principal, tender_id: int) -> RoundRow:
    rounds = rounds_with_projects(db, [tender_id])
    readable = readable_project_ids(actor).subquery()
    if (
        tender_id not in rounds
        or db.scalar(select(readable.c.id).where(readable.c.id == rounds[tender_id][2].id)) is None
    ):
        raise NotFound(field="tender_id", what_zh="标段", what_en="Round")
    tender, lot, project = rounds[tender_id]
    opened_at = tendering_read.opening_started_at(db, tender_id)
    if opened_at is None:
        raise TrailSealed(field="tender_id")
    return RoundRow(
        tender_id=tender.id, title=tender.title, round=tender.round, stage=tender.stage, project_code=project.code,
        project_name=project.name, lot_name=lot.name, opened_at=opened_at,
    )  # fmt: skip


@changes_state(VIEWED, disclosed=False)  # who reads what is the readers' and the read's business, not the public's
def read_trail(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> Trail:
    """The round's full trail for its supervisor or inspector; the reading recorded, for the inspected to see."""
    row = _round(db, actor, tender_id)
    project_id = rounds_with_projects(db, [tender_id])[tender_id][2].id
    record_event(
        db, actor, action=VIEWED, subject_type="tender", subject_id=tender_id, now=now,
        payload={"what": "trail", "role": actor.acting_role.value},
    )  # fmt: skip
    db.flush()
    result_known = Stage(row.stage) in RESULT_KNOWN
    events = sorted(
        events_for(db, "tender", tender_id) + events_for(db, "project", project_id), key=lambda e: (e.occurred_at, e.id)
    )
    submissions = tendering_read.submissions_of(db, tender_id)
    return Trail(
        round=row, result_known=result_known, entries=[_entry(event, result_known) for event in events],
        submissions=submissions, bidder_names=entity_names(db, sorted({s.entity_id for s in submissions})),
        looks=looks_at(db, tender_id),
    )  # fmt: skip


def looks_at(db: Session, tender_id: int) -> list[Look]:
    """Who read the round's trail and when, newest first (for its owner, agent and bidders too)."""
    events = [event for event in events_for(db, "tender", tender_id) if event.action == VIEWED]
    names = display_names(db, sorted({e.actor_user_id for e in events if e.actor_user_id is not None}))
    return [
        Look(at=event.occurred_at, role=event.actor_role, name=names.get(event.actor_user_id or 0, ""))
        for event in reversed(events)
    ]
