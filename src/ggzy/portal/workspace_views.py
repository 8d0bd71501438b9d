"""What the bidder's workspace reads beside the services: its own envelopes with the ledger events of their receipts
(read only). The other workspace reads are the domains' own read-model functions (``tendering.read``,
``tendering.service.published_tenders_closing``, ``evaluation.service.own_score_sheets``). None counts or names
bidders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Principal
from ggzy.tendering.read import decrypted_at_of_bids

if TYPE_CHECKING:  # the bids the tendering service hands over; its tables are never read here
    from ggzy.tendering.models import SealedBid


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
    decrypted = decrypted_at_of_bids(db, [bid.id for bid in bids])
    return [
        OwnBid(
            bid=bid,
            event_id=event_of_bid.get(bid.public_id, event_of_bid.get(bid.id)),
            decrypted_at=decrypted.get(bid.id),
        )
        for bid in bids
    ]
