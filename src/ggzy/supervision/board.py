"""The supervisor's live view (监督工作台, decision 0046): every lot of the reader's jurisdiction whose round is not
over, with its stage, its next statutory deadline and the time left, the violations the lifecycle recorded, and its
alerts; tracked lots of the watch list marked.

- **Scope**: the projects the reader's supervisor and inspector grants cover (region and trade type), the same query
  as every oversight page (``ggzy.projects.access.visible_project_ids``).
- **Stage**: the lifecycle's stage now (``lifecycle.stage_of``: a published round is closed once its deadline
  passed).
- **Next deadline**: the earliest of the deadlines the round already holds and still owes — the bid deadline (the
  opening is held at it, 招标投标法 第34条) while published or closed; the decryption window's recorded end while
  opening; the candidate publicity's end (实施条例 第54条) while in publicity; the last day to answer an objection to
  the documents (第22条); the last day to accept or decide a complaint (第61条). No period is computed here. A
  deadline already passed is shown as overdue.
- **Alerts**: halts in force (every halt the domains registered with the lifecycle), undecided complaints, and —
  once the opening began, never before — unresolved finance alerts on the round's deposits and the related-bidder
  findings and 串标-risk warnings the opening record read out (实施条例 第34条).
- **Secrecy** (招标投标法 第22条, 第36条; 第37条 for experts): nothing here counts or names registrations, bids or
  experts. A watched entity's lot is marked at once where it is the owner or agent; where it registered or bid, only
  once the opening began.

The page is computed in a fixed number of queries whatever the number of lots (each a bulk read over the live rounds
as a subquery), then sorted by time left and cut into pages: the live rounds of one jurisdiction number in the
hundreds to the low thousands, and the sort needs deadlines from several domains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from ggzy.awards.rules import end_of_day
from ggzy.awards.service import publicity_ends_of
from ggzy.core.clock import as_utc
from ggzy.core.permissions import POLICY, Permission, Principal
from ggzy.core.violations import PeriodViolation
from ggzy.finance.service import open_alerts_of_tenders
from ggzy.projects.access import visible_project_ids
from ggzy.projects.service import lots_with_projects
from ggzy.supervision import watchlist
from ggzy.tendering import lifecycle
from ggzy.tendering import read as tendering_read
from ggzy.tendering.stages import Stage

if TYPE_CHECKING:
    from ggzy.supervision.models import WatchEntry

# -- what complaints tell the view (registered by the composition root: complaints is supervision's sibling) --------

ComplaintReader = Callable[[Session, Select[int]], dict[int, tuple[int, date | None]]]
_complaints: list[ComplaintReader] = []


def install_complaints(reader: ComplaintReader) -> None:
    """Called by ``ggzy.wiring``: {tender id: (undecided complaints, earliest last day)} (idempotent)."""
    if reader not in _complaints:
        _complaints.append(reader)


def _undecided_complaints(db: Session, tender_ids: Select[int]) -> dict[int, tuple[int, date | None]]:
    if not _complaints:
        raise RuntimeError("the complaints of the live view are not installed: make sessions with ggzy.wiring")
    return _complaints[0](db, tender_ids)


# -- the rows ---------------------------------------------------------------------------------------------------------

BID_DEADLINE = "bid_deadline"
DECRYPTION_WINDOW = "decryption_window"
PUBLICITY_END = "publicity_end"
OBJECTION_ANSWER = "objection_answer"
COMPLAINT_CLOCK = "complaint_clock"


@dataclass(frozen=True)
class Deadline:
    key: str  # one of the names above
    at: datetime


@dataclass(frozen=True)
class BoardRow:
    tender_id: int
    round: int
    title: str
    procedure: str
    stage: Stage
    project_id: int
    project_code: str
    project_name: str
    region_code: str
    trade_type: str
    lot_number: int
    lot_name: str
    opened: bool  # the opening began: from then on the bidders are no secret
    deadline: Deadline | None
    seconds_left: int | None  # negative: overdue
    violations: int
    halts: tuple[str, ...]
    complaints: int
    finance_alerts: int | None  # None: before the opening (a deposit names a bidder)
    rigging_markers: int | None  # None: before the opening
    watched: tuple[int, ...]  # the watch entries that track this lot

    @property
    def has_alerts(self) -> bool:
        return bool(self.halts or self.complaints or self.finance_alerts or self.rigging_markers)


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    total: int  # rows that pass the filters, on every page


def readable_projects(actor: Principal) -> Select[tuple[int]]:
    """The projects of the reader's oversight grants only (a supervisor who is also an owner does not see its own
    projects here)."""
    readers = POLICY[Permission.SUPERVISION_BOARD]
    return visible_project_ids(replace(actor, grants=tuple(g for g in actor.grants if g.role in readers)))


def _violations(db: Session, tender_ids: Select[int]) -> dict[int, int]:
    subjects = select(cast(tender_ids.subquery().c.id, String))
    rows = db.execute(
        select(PeriodViolation.subject_id, func.count())
        .where(PeriodViolation.subject_type == "tender", PeriodViolation.subject_id.in_(subjects))
        .group_by(PeriodViolation.subject_id)
    )
    return {int(subject_id): count for subject_id, count in rows}


def _next_deadline(candidates: list[Deadline]) -> Deadline | None:
    return min(candidates, key=lambda found: as_utc(found.at)) if candidates else None


def all_rows(db: Session, actor: Principal, *, now: datetime) -> list[BoardRow]:
    """Every live round of the reader's jurisdiction, sorted by time left (those without a deadline last)."""
    projects = readable_projects(actor)
    tenders = tendering_read.live_rounds_of_projects(db, projects)
    if not tenders:
        return []
    live = tendering_read.live_round_ids_of_projects(projects)
    lots = lots_with_projects(db, {tender.lot_id for tender in tenders})
    violations = _violations(db, live)
    halts = lifecycle.halts_in_force_of(db, live, now=now)
    complaints = _undecided_complaints(db, live)
    openings = tendering_read.openings_of(db, live)
    objections = tendering_read.objection_answers_due(db, live)
    publicities = publicity_ends_of(db, live)
    finance = open_alerts_of_tenders(db, live)
    entries = watchlist.visible_entries(db, actor, now=now)
    watched_ids = sorted({entry.entity_id for entry in entries})
    entered = tendering_read.opened_rounds_entered_by(db, watched_ids, live)
    rows = []
    for tender in tenders:
        lot, project = lots[tender.lot_id]
        stage = lifecycle.stage_of(tender, now)
        opening = openings.get(tender.id)
        candidates = []
        if stage in (Stage.PUBLISHED, Stage.CLOSED):
            candidates.append(Deadline(BID_DEADLINE, tender.bid_deadline))
        if stage == Stage.OPENING and opening is not None:
            candidates.append(Deadline(DECRYPTION_WINDOW, opening.window_ends_at))
        if stage == Stage.PUBLICITY and tender.id in publicities:
            candidates.append(Deadline(PUBLICITY_END, publicities[tender.id]))
        if tender.id in objections:
            candidates.append(Deadline(OBJECTION_ANSWER, end_of_day(objections[tender.id][1])))
        complaint_count, complaint_due = complaints.get(tender.id, (0, None))
        if complaint_due is not None:
            candidates.append(Deadline(COMPLAINT_CLOCK, end_of_day(complaint_due)))
        deadline = _next_deadline(candidates)
        opened = opening is not None
        tracked = tuple(
            entry.id
            for entry in entries
            if watchlist.applies_to(entry, region_code=project.region_code, trade_type=project.trade_type)
            and _tracks(entry, project.owner_id, project.agent_id, entered.get(tender.id, set()))
        )
        rows.append(
            BoardRow(
                tender_id=tender.id,
                round=tender.round,
                title=tender.title,
                procedure=tender.procedure,
                stage=stage,
                project_id=project.id,
                project_code=project.code,
                project_name=project.name,
                region_code=project.region_code,
                trade_type=project.trade_type,
                lot_number=lot.number,
                lot_name=lot.name,
                opened=opened,
                deadline=deadline,
                seconds_left=int((as_utc(deadline.at) - as_utc(now)).total_seconds()) if deadline else None,
                violations=violations.get(tender.id, 0),
                halts=tuple(sorted(halts.get(tender.id, ()))),
                complaints=complaint_count,
                finance_alerts=finance.get(tender.id, 0) if opened else None,
                rigging_markers=opening.markers if opening is not None else None,
                watched=tracked,
            )
        )
    return sorted(rows, key=lambda row: (row.seconds_left is None, row.seconds_left or 0, row.tender_id))


def _tracks(entry: WatchEntry, owner_id: int, agent_id: int | None, entered_opened: set[int]) -> bool:
    """Owner or agent: at once; registered or bid: only once the opening began (``entered_opened`` holds only
    the entities of opened rounds, :func:`ggzy.tendering.read.opened_rounds_entered_by`)."""
    return entry.entity_id in (owner_id, agent_id) or entry.entity_id in entered_opened


def board(
    db: Session, actor: Principal, *, now: datetime, stage: Stage | None = None, alerts_only: bool = False,
    watched_only: bool = False, limit: int = 50, offset: int = 0,
) -> Board:  # fmt: skip
    """The live view, filtered (a stage, with alerts only, tracked only), sorted by time left, one page of it."""
    rows = [
        row
        for row in all_rows(db, actor, now=now)
        if (stage is None or row.stage == stage)
        and (not alerts_only or row.has_alerts)
        and (not watched_only or row.watched)
    ]
    return Board(rows=rows[offset : offset + limit], total=len(rows))


@dataclass(frozen=True)
class WatchedEntity:
    entry: WatchEntry
    name: str
    tracked: list[BoardRow]


def watch_list(db: Session, actor: Principal, *, now: datetime) -> list[WatchedEntity]:
    """The entries in force the reader sees, newest first, each with the live lots it tracks in the reader's
    jurisdiction."""
    entries = watchlist.visible_entries(db, actor, now=now)
    names = watchlist.names_of(db, entries)
    rows = all_rows(db, actor, now=now) if entries else []
    return [
        WatchedEntity(entry, names.get(entry.entity_id, ""), [row for row in rows if entry.id in row.watched])
        for entry in entries
    ]
