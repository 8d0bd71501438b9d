"""The full-process page of a project (全流程公开): every lot's tenders, each stage with its status, and every
published document with the ledger event that proves it.

The documents come from the domains' own public views — ``tendering.opening.opening_view`` (nothing before the
opening starts), ``awards.views.award_stage_view`` (candidates, result, contract) — so the page shows exactly what
the API shows a visitor. A project is public once one of its tenders is published; before that it is "not found",
as the API's project reads are for its owner, agent, centre and supervisors only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.awards.schemas import AwardStageOut
from ggzy.awards.views import award_stage_view
from ggzy.complaints.service import complaints_of_tenders
from ggzy.core.errors import NotFound
from ggzy.core.events import Event
from ggzy.core.permissions import ANONYMOUS
from ggzy.entities.service import entity_names
from ggzy.portal.regions import region_label
from ggzy.portal.views import PUBLISHED_DOCUMENTS
from ggzy.projects import service as projects
from ggzy.tendering import lifecycle
from ggzy.tendering import read as tendering_read
from ggzy.tendering.bids import lot_code
from ggzy.tendering.opening import opening_views
from ggzy.tendering.procedures import procedure
from ggzy.tendering.stages import Stage

if TYPE_CHECKING:  # what the projects and tendering services hand over; their tables are never read here
    from ggzy.projects.models import Lot, Project
    from ggzy.tendering.models import Clarification, Tender


@dataclass(frozen=True)
class Proof:
    """A published document's event: its ledger receipt is at /api/v1/ledger/events/{event_id}."""

    event_id: int
    at: datetime


@dataclass(frozen=True)
class StageStatus:
    stage: str
    status: str  # done | current | pending


@dataclass
class TenderProcess:
    tender: Tender
    lot_code: str
    stage: str
    procedure_name_zh: str
    procedure_name_en: str
    stages: list[StageStatus]
    proofs: dict[str, Proof]  # the latest event of each single document kind (notice, documents, result, …)
    clarifications: list[tuple[Clarification, Proof | None]]
    opening: dict[str, Any]
    award: AwardStageOut | None  # None before the opening: no candidates, result or contract can exist yet
    decisions: list[Decision] = field(default_factory=list)


# The disclosed events that answer an objection or a challenge, or decide a complaint: the public project page's
# table of decisions shows exactly what these events disclose (decision texts and complainants only where the
# complaint service put them into the public ledger, i.e. once the bids were public).
DECISION_ACTIONS = (
    "award.objection_answered",
    "award.result_challenge_answered",
    "complaint.refused",
    "complaint.upheld",
    "complaint.dismissed",
)


@dataclass(frozen=True)
class Decision:
    """One answer or decision as the public ledger discloses it, with its proof."""

    action: str
    at: datetime
    event_id: int
    late: bool
    outcome: str  # changes_result | kept | answered | refused | an upheld complaint's remedy | dismissed
    text: str | None  # the written decision or refusal reason, where disclosed
    party: str | None  # the complainant, where disclosed
    false_complaint: bool = False
    basis: list[str] = field(default_factory=list)  # the articles the decision rests on (decision 0047)
    department_region: str | None = None  # the handling supervisory department: its region's name …
    department_trade: str | None = None  # … and trade type (None where its grant covers all)
    department_named: bool = False  # older decisions' events name no department


@dataclass
class LotProcess:
    lot: Lot
    tenders: list[TenderProcess] = field(default_factory=list)


@dataclass
class ProjectProcess:
    project: Project
    owner_name: str
    agent_name: str | None
    lots: list[LotProcess]


def stage_statuses(stages: tuple[Stage, ...], current: Stage) -> list[StageStatus]:
    """Each public stage of the procedure as done, current or pending; a failed or cancelled tender ends where it
    stopped (a failed lot after its opening, 实施条例 第44条), with the terminal stage as the current one."""
    shown = [stage for stage in stages if stage != Stage.DRAFT]
    if current in shown:
        reached = shown.index(current)
    elif current == Stage.FAILED:
        reached = shown.index(Stage.OPENING) + 1
    else:  # cancelled: the notice was published, then terminated
        reached = 1
    statuses = [StageStatus(stage.value, "done" if index < reached else "pending") for index, stage in enumerate(shown)]
    if current in shown:
        statuses[reached] = StageStatus(current.value, "current")
    else:
        statuses = [*statuses[:reached], StageStatus(current.value, "current")]
    return statuses


def project_process(db: Session, *, project_id: int, now: datetime) -> ProjectProcess:
    """The public page is the same for everyone (and kept for visitors, ``page_cache``): every view is read as a
    visitor's, whoever is logged in."""
    project = projects.find_project(db, project_id)
    lots_of_project = {lot.id: lot for lot in projects.lots_of(db, [project_id])[project_id]} if project else {}
    published = tendering_read.published_tenders_of_lots(db, list(lots_of_project))
    if project is None or not published:
        raise NotFound(field="project_id", what_zh="公开的项目", what_en="Public project")
    # the lots with a published tender: the page shows those
    lots = {tender.lot_id: LotProcess(lots_of_project[tender.lot_id]) for tender in published}
    tender_ids = [tender.id for tender in published]
    events = _document_events(db, tender_ids)
    clarifications = tendering_read.clarifications_of_tenders(db, tender_ids)
    openings = opening_views(db, published, now)
    decisions = public_decisions(db, tender_ids)
    for tender in published:
        lot = lots[tender.lot_id]
        opening = openings[tender.id]
        # Candidates, the result and the contract follow the opening: a tender not yet opened has none to read.
        award = award_stage_view(db, ANONYMOUS, tender_id=tender.id, now=now) if "started_at" in opening else None
        proofs = _proofs(events.get(tender.id, []))
        lot.tenders.append(
            _tender_process(project, lot.lot, tender, proofs, clarifications.get(tender.id, []), opening, award, now)
        )
        lot.tenders[-1].decisions = decisions.get(tender.id, [])
    parties = [project.owner_id] + ([project.agent_id] if project.agent_id is not None else [])
    names = entity_names(db, parties)
    return ProjectProcess(
        project=project,
        owner_name=names[project.owner_id],
        agent_name=names[project.agent_id] if project.agent_id is not None else None,
        lots=sorted(lots.values(), key=lambda item: item.lot.number),
    )


def _document_events(db: Session, tender_ids: list[int]) -> dict[int, list[Event]]:
    rows = db.scalars(
        select(Event)
        .where(
            Event.subject_type == "tender",
            Event.subject_id.in_([str(tender_id) for tender_id in tender_ids]),
            Event.action.in_(PUBLISHED_DOCUMENTS),
            Event.disclosed.is_(True),
        )
        .order_by(Event.id)
    )
    by_tender: dict[int, list[Event]] = {}
    for event in rows:
        by_tender.setdefault(int(event.subject_id), []).append(event)
    return by_tender


def _proofs(events: list[Event]) -> tuple[dict[str, Proof], dict[int, Proof]]:
    """The proving event of each document kind and of each clarification."""
    proofs: dict[str, Proof] = {}
    clarification_proofs: dict[int, Proof] = {}
    for event in events:  # in order: a later event of a kind (a republicity) replaces the earlier one
        proof = Proof(event.id, event.occurred_at)
        if event.action == "tender.clarified":
            clarification_proofs[int(json.loads(event.payload)["clarification_id"])] = proof
        else:
            proofs[PUBLISHED_DOCUMENTS[event.action]] = proof
    return proofs, clarification_proofs


def _tender_process(
    project: Project,
    lot: Lot,
    tender: Tender,
    proofs: tuple[dict[str, Proof], dict[int, Proof]],
    clarifications: list[Clarification],
    opening: dict[str, Any],
    award: AwardStageOut | None,
    now: datetime,
) -> TenderProcess:
    documents, clarification_proofs = proofs
    stage = lifecycle.stage_of(tender, now)
    tender_procedure = procedure(tender.procedure)
    return TenderProcess(
        tender=tender,
        lot_code=lot_code(project, lot),
        stage=stage.value,
        procedure_name_zh=tender_procedure.name_zh,
        procedure_name_en=tender_procedure.name_en,
        stages=stage_statuses(tender_procedure.stages, stage),
        proofs=documents,
        clarifications=[(c, clarification_proofs.get(c.id)) for c in clarifications],
        opening=opening,
        award=award,
    )


def public_decisions(db: Session, tender_ids: list[int]) -> dict[int, list[Decision]]:
    """Each tender's disclosed answers to objections and challenges and decisions on complaints, oldest first."""
    if not tender_ids:
        return {}
    complaint_tenders = complaints_of_tenders(db, tender_ids)
    subjects = [Event.subject_type == "tender", Event.subject_id.in_([str(t) for t in tender_ids])]
    query = select(Event).where(Event.action.in_(DECISION_ACTIONS), Event.disclosed.is_(True))
    events: list[Event] = list(db.scalars(query.where(*subjects)))
    if complaint_tenders:
        complaint_ids = [str(c) for c in complaint_tenders]
        events += db.scalars(query.where(Event.subject_type == "complaint", Event.subject_id.in_(complaint_ids)))
    found: dict[int, list[Decision]] = {}
    for event in sorted(events, key=lambda e: e.id):
        payload = json.loads(event.payload)
        subject = int(event.subject_id)
        tender_id = subject if event.subject_type == "tender" else complaint_tenders[subject]
        if event.action == "award.objection_answered":
            outcome, text = ("changes_result" if payload.get("changes_result") else "kept"), None
        elif event.action == "award.result_challenge_answered":
            outcome, text = "answered", None
        elif event.action == "complaint.refused":
            outcome, text = "refused", payload.get("reason")
        elif event.action == "complaint.upheld":
            outcome, text = str(payload.get("remedy")), payload.get("decision")
        else:
            outcome, text = "dismissed", payload.get("decision")
        complainant = payload.get("complainant")
        department = payload.get("department")
        department = department if isinstance(department, dict) else None
        basis = [str(payload["basis"])] if payload.get("basis") else []
        if isinstance(payload.get("round"), dict) and payload["round"].get("article"):
            basis.append(str(payload["round"]["article"]))  # 第81条: what the remedy does to the round
        found.setdefault(tender_id, []).append(
            Decision(
                action=event.action, at=event.occurred_at, event_id=event.id, late=bool(payload.get("late")),
                outcome=outcome, text=text, party=complainant.get("name") if isinstance(complainant, dict) else None,
                false_complaint=bool(payload.get("false_complaint")), basis=basis,
                department_region=region_label(department["region_code"])
                if department is not None and department.get("region_code") else None,
                department_trade=department.get("trade_type") if department is not None else None,
                department_named=department is not None,
            )
        )  # fmt: skip
    return found
