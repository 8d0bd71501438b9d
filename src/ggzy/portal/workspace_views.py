"""What the workspace pages read and the services have no reader for (read only; every change is a service call).

Each function takes the principal and reads only its own rows: a bidder's own receipts, its own decryption. None
of them counts or names other bidders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Principal
from ggzy.tendering.models import DecryptedBid, SealedBid


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
    event_of_bid = {json.loads(event.payload).get("bid_id"): event.id for event in events}
    rows = db.execute(
        select(DecryptedBid.bid_id, DecryptedBid.decrypted_at).where(DecryptedBid.bid_id.in_([bid.id for bid in bids]))
    )
    decrypted = {bid_id: at for bid_id, at in rows}
    return [OwnBid(bid=bid, event_id=event_of_bid.get(bid.id), decrypted_at=decrypted.get(bid.id)) for bid in bids]
