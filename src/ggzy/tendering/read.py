"""Read models of tendering for the domains above and the portal: narrow functions over tendering's own tables, so
that nobody else reads them (DESIGN §3, tests/test_import_rules.py). Read only; whoever calls one has checked, through
its own domain's access rules, that its reader may see what it returns. None of them counts or names bidders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.projects.service import lot_ids_of_projects
from ggzy.tendering.models import (
    Clarification,
    DecryptedBid,
    DocumentObjection,
    Opening,
    SealedBid,
    Tender,
)
from ggzy.tendering.stages import ENDED

# The grounds on which the report's finalisation fails a round (evaluation.finalise_report; tendering.FAILURE_GROUNDS):
# 招标投标法 第42条, 政府采购法 第36条 (一). A re-tender (re_tender_ordered) is not among them, and a round that failed
# at its opening (实施条例 第44条) has no tender.failed event at all.
EVALUATION_FAILURES = frozenset({"all_bids_rejected", "too_few_valid_bids"})


def evaluation_failure_at(db: Session, tender_id: int) -> datetime | None:
    """When the round failed after its evaluation (招标投标法 第42条, 政府采购法 第36条): its last ``tender.failed``
    event on an evaluation's ground; None for a round that did not fail so (at its opening, or by a re-tender)."""
    rows = db.execute(
        select(Event.payload, Event.occurred_at)
        .where(Event.subject_type == "tender", Event.subject_id == str(tender_id), Event.action == "tender.failed")
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    if rows is None or json.loads(rows.payload).get("ground") not in EVALUATION_FAILURES:
        return None
    return rows.occurred_at


def titles_and_deadlines(db: Session, tender_ids: set[int]) -> dict[int, tuple[str, datetime]]:
    """Each tender's title and bid deadline, by id."""
    if not tender_ids:
        return {}
    rows = db.execute(select(Tender.id, Tender.title, Tender.bid_deadline).where(Tender.id.in_(tender_ids)))
    return {tender_id: (title, deadline) for tender_id, title, deadline in rows}


def published_tenders_of_lots(db: Session, lot_ids: list[int]) -> list[Tender]:
    """The published tenders of these lots, by lot and round."""
    query = select(Tender).where(Tender.lot_id.in_(lot_ids), Tender.published_at.is_not(None))
    return list(db.scalars(query.order_by(Tender.lot_id, Tender.round)))


def tenders_of_lots(db: Session, lot_ids: list[int]) -> dict[int, list[Tender]]:
    """Every tender (round) of these lots, published or not, by lot, newest round first."""
    found: dict[int, list[Tender]] = {lot_id: [] for lot_id in lot_ids}
    if lot_ids:
        query = select(Tender).where(Tender.lot_id.in_(lot_ids)).order_by(Tender.lot_id, Tender.id.desc())
        for tender in db.scalars(query):
            found[tender.lot_id].append(tender)
    return found


def clarifications_of_tenders(db: Session, tender_ids: list[int]) -> dict[int, list[Clarification]]:
    """Every tender's clarifications in one query, each tender's in the order of ``service.clarifications_of``."""
    by_tender: dict[int, list[Clarification]] = {}
    query = select(Clarification).where(Clarification.tender_id.in_(tender_ids)).order_by(Clarification.id)
    for clarification in db.scalars(query):
        by_tender.setdefault(clarification.tender_id, []).append(clarification)
    return by_tender


def document_objections_of(db: Session, tender_id: int) -> list[DocumentObjection]:
    """Objections to a tender's documents, oldest first (for its owner or agent to answer)."""
    query = select(DocumentObjection).where(DocumentObjection.tender_id == tender_id)
    return list(db.scalars(query.order_by(DocumentObjection.id)))


def decrypted_at_of_bids(db: Session, bid_ids: list[int]) -> dict[int, datetime]:
    """When each of these bids was decrypted, for those that were, by bid id."""
    if not bid_ids:
        return {}
    rows = db.execute(select(DecryptedBid.bid_id, DecryptedBid.decrypted_at).where(DecryptedBid.bid_id.in_(bid_ids)))
    return {bid_id: at for bid_id, at in rows}


def opening_started_at(db: Session, tender_id: int) -> datetime | None:
    """When the tender's opening began (None: not yet): from then on its bidders are no secret (招标投标法 第36条)."""
    return db.scalar(select(Opening.started_at).where(Opening.tender_id == tender_id))


# the statuses of a bid standing at the deadline: tendering.bids.ACTIVE, opening.REVOKED, opening.WITHDRAWN_UNOPENED
STANDING_AT_OPENING = ("active", "revoked", "withdrawn_unopened")


def bids_at_opening(db: Session, tender_id: int) -> list[tuple[str, int]]:
    """The bids standing at the deadline (public id, entity), in the order received — the opening record's. Names
    bidders: for a reader whose domain has checked that the opening began (:func:`opening_started_at`) or who asks
    about its own bid."""
    query = select(SealedBid.public_id, SealedBid.entity_id).where(
        SealedBid.tender_id == tender_id, SealedBid.status.in_(STANDING_AT_OPENING)
    )
    return [(public_id, entity_id) for public_id, entity_id in db.execute(query.order_by(SealedBid.id))]


@dataclass(frozen=True)
class SubmissionFacts:
    """One envelope as received, with what the client reported (IP, user agent, device): sealed until the opening."""

    public_id: str
    entity_id: int
    status: str
    submitted_at: datetime
    ended_at: datetime | None
    details: dict[str, Any]


def submissions_of(db: Session, tender_id: int) -> list[SubmissionFacts]:
    """Every envelope of the round — replaced and withdrawn ones too — in the order received, with its submission
    details. For a reader whose domain has checked that the opening began (:func:`opening_started_at`)."""
    rows = db.scalars(select(SealedBid).where(SealedBid.tender_id == tender_id).order_by(SealedBid.id))
    return [
        SubmissionFacts(
            public_id=row.public_id,
            entity_id=row.entity_id,
            status=row.status,
            submitted_at=row.submitted_at,
            ended_at=row.ended_at,
            details=json.loads(row.submission_details or "{}"),
        )
        for row in rows
    ]


def opened_rounds_of_projects(
    db: Session, project_ids: Select[tuple[int]], *, limit: int, offset: int
) -> list[tuple[Tender, datetime]]:
    """The rounds of these projects whose opening began, each with when it began, the newest opening first."""
    rows = db.execute(
        select(Tender, Opening.started_at)
        .join(Opening, Opening.tender_id == Tender.id)
        .where(Tender.lot_id.in_(lot_ids_of_projects(project_ids)))
        .order_by(Opening.started_at.desc(), Tender.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(tender, started_at) for tender, started_at in rows]


# -- the supervisor's live view (decision 0046) -------------------------------------------------------------------


def round_ids_of_projects(project_ids: Select[tuple[int]]) -> Select[int]:
    """The ids of every round of these projects, as a query for other domains' scopes to filter by."""
    return select(Tender.id).where(Tender.lot_id.in_(lot_ids_of_projects(project_ids)))


def live_round_ids_of_projects(project_ids: Select[tuple[int]]) -> Select[int]:
    """The ids of the rounds of these projects that are not over (any stage but failed, cancelled, contracted), as a
    query for other domains' bulk reads to filter by: one IN (subquery), never a list of ids per row."""
    ended = [stage.value for stage in ENDED]
    return select(Tender.id).where(Tender.lot_id.in_(lot_ids_of_projects(project_ids)), Tender.stage.not_in(ended))


def live_rounds_of_projects(db: Session, project_ids: Select[tuple[int]]) -> list[Tender]:
    """The rounds of these projects that are not over, in one query."""
    query = select(Tender).where(Tender.id.in_(live_round_ids_of_projects(project_ids)))
    return list(db.scalars(query.order_by(Tender.id)))


@dataclass(frozen=True)
class OpeningFacts:
    """What the opening of a round says, for the supervisor's live view: when it began (from then on its bidders are
    no secret, 招标投标法 第36条), the decryption window's recorded end, and — once the record is read out — how many
    findings of related bidders (实施条例 第34条) and 串标-risk warnings it read out, as the record has them."""

    started_at: datetime
    window_ends_at: datetime
    finished_at: datetime | None
    related_groups: int
    interested: int
    warnings: int
    unconfirmed: int

    @property
    def markers(self) -> int:
        return self.related_groups + self.interested + self.warnings + self.unconfirmed


def openings_of(db: Session, tender_ids: Select[int]) -> dict[int, OpeningFacts]:
    """The openings of these rounds (those begun), by tender id, in one query."""
    rows = db.execute(
        select(Opening.tender_id, Opening.started_at, Opening.window_ends_at, Opening.finished_at, Opening.record)
        .where(Opening.tender_id.in_(tender_ids))
    )  # fmt: skip
    found: dict[int, OpeningFacts] = {}
    for tender_id, started_at, window_ends_at, finished_at, record_text in rows:
        record = json.loads(record_text) if record_text else {}
        found[tender_id] = OpeningFacts(
            started_at=started_at, window_ends_at=window_ends_at, finished_at=finished_at,
            related_groups=len(record.get("related_bidders") or []),
            interested=len(record.get("interested_bidders") or []),
            warnings=len(record.get("related_bidder_warnings") or []),
            unconfirmed=len(record.get("related_bidders_unconfirmed") or []),
        )  # fmt: skip
    return found


def objection_answers_due(db: Session, tender_ids: Select[int]) -> dict[int, tuple[int, date]]:
    """Objections to the documents not yet answered (实施条例 第22条: answered within 3 days), by tender id: how
    many, and the earliest last day of an answer. One query. Names nobody (who objected stays secret)."""
    rows = db.execute(
        select(DocumentObjection.tender_id, func.count(), func.min(DocumentObjection.answer_due))
        .where(DocumentObjection.tender_id.in_(tender_ids), DocumentObjection.answered_at.is_(None))
        .group_by(DocumentObjection.tender_id)
    )
    return {tender_id: (count, due) for tender_id, count, due in rows}


def opened_rounds_entered_by(db: Session, entity_ids: list[int], tender_ids: Select[int]) -> dict[int, set[int]]:
    """Of these rounds, those whose opening began in which any of these entities is a bidder the opening record
    names (a bid standing at the deadline), as {tender id: entities}. A round not yet opened is never in the answer,
    nor one the entity only registered for or withdrew from: the opening names bidders, never potential bidders
    (招标投标法 第22条, 第36条). One query."""
    if not entity_ids:
        return {}
    opened = select(Opening.tender_id).where(Opening.tender_id.in_(tender_ids))
    rows = db.execute(
        select(SealedBid.tender_id, SealedBid.entity_id)
        .where(
            SealedBid.entity_id.in_(entity_ids),
            SealedBid.tender_id.in_(opened),
            SealedBid.status.in_(STANDING_AT_OPENING),
        )
        .distinct()
    )
    found: dict[int, set[int]] = {}
    for tender_id, entity_id in rows:
        found.setdefault(tender_id, set()).add(entity_id)
    return found
