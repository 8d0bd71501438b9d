"""What the workspace pages read and the services have no reader for (read only; every change is a service call).

Each function reads only rows its page's reader may see (the page checks who that is, through the domain's access
rules): a bidder's own receipts and decryption, the tenders and objections of a manager's own projects, a centre's
openings, an expert's own score sheets. None of them counts or names bidders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Principal
from ggzy.evaluation.models import ScoreSheet
from ggzy.projects.models import Lot, Project
from ggzy.tendering.models import DecryptedBid, DocumentObjection, SealedBid, Tender


@dataclass(frozen=True)
class OwnBid:
    """One of the bidder's own envelopes, with the ledger event of its receipt."""

    bid: SealedBid
    event_id: int | None
    decrypted_at: datetime | None


def own_bids(db: Session, actor: Principal, *, tender_id: int, bids: list[SealedBid]) -> list[OwnBid]:
    """The bidder's envelopes (``bids.my_bids``) with the event each receipt names (``bid.submitted``)."""
    if actor.entity_id is None or not bids:
        return []
    events = db.scalars(
        select(Event).where(
            Event.action == "bid.submitted",
            Event.subject_type == "tender",
            Event.subject_id == str(tender_id),
            Event.actor_entity_id == actor.entity_id,
        )
    )
    # Events name the bid by its public id; those recorded before migration 0013 by its integer key.
    event_of_bid = {json.loads(event.payload).get("bid_id"): event.id for event in events}
    rows = db.execute(
        select(DecryptedBid.bid_id, DecryptedBid.decrypted_at).where(DecryptedBid.bid_id.in_([bid.id for bid in bids]))
    )
    decrypted = {bid_id: at for bid_id, at in rows}
    return [
        OwnBid(
            bid=bid,
            event_id=event_of_bid.get(bid.public_id, event_of_bid.get(bid.id)),
            decrypted_at=decrypted.get(bid.id),
        )
        for bid in bids
    ]


def tenders_of_lots(db: Session, lot_ids: list[int]) -> dict[int, list[Tender]]:
    """The tenders (rounds) of lots the reader manages, newest round first."""
    found: dict[int, list[Tender]] = {lot_id: [] for lot_id in lot_ids}
    if lot_ids:
        query = select(Tender).where(Tender.lot_id.in_(lot_ids)).order_by(Tender.lot_id, Tender.id.desc())
        for tender in db.scalars(query):
            found[tender.lot_id].append(tender)
    return found


def document_objections(db: Session, tender_id: int) -> list[DocumentObjection]:
    """Objections to a tender's documents, for its owner or agent to answer (the page never shows who raised one)."""
    query = select(DocumentObjection).where(DocumentObjection.tender_id == tender_id)
    return list(db.scalars(query.order_by(DocumentObjection.id)))


def centre_tenders_closing(
    db: Session, centre_ids: set[int], *, start: datetime, end: datetime
) -> list[tuple[Tender, Project]]:
    """The published tenders of the centres whose deadline (the opening) falls in [start, end): today's openings."""
    if not centre_ids:
        return []
    rows = db.execute(
        select(Tender, Project)
        .join(Lot, Lot.id == Tender.lot_id)
        .join(Project, Project.id == Lot.project_id)
        .where(
            Project.centre_id.in_(centre_ids),
            Tender.published_at.is_not(None),
            Tender.bid_deadline >= start,
            Tender.bid_deadline < end,
        )
        .order_by(Tender.bid_deadline, Tender.id)
    )
    return [(tender, project) for tender, project in rows]


def own_score_sheets(db: Session, *, member_id: int, evaluation_id: int) -> dict[int, ScoreSheet]:
    """The member's own score sheets of an evaluation, by bid."""
    query = select(ScoreSheet).where(ScoreSheet.evaluation_id == evaluation_id, ScoreSheet.member_id == member_id)
    return {sheet.bid_id: sheet for sheet in db.scalars(query)}
