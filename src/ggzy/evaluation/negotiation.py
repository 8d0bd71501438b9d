"""The panel's side of 竞争性谈判 and 竞争性磋商 (政府采购法 第38条 (四)、(五)): who is still negotiating — the
suppliers whose responses were opened and not rejected — is the evaluation's to say; tendering seals, keeps and
opens the quotations (``ggzy.tendering.quotations``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ggzy.core.permissions import Principal
from ggzy.evaluation.service import _evaluating, _rejected, opened_bids
from ggzy.tendering import quotations

if TYPE_CHECKING:
    from ggzy.tendering.models import NegotiationNotice, QuotationRound

__all__ = ["call_quotation_round", "notify_negotiation_change", "suppliers_negotiating"]


def suppliers_negotiating(db: Session, tender_id: int) -> list[int]:
    """The entities still in the negotiation: their responses were opened and the panel has not rejected them."""
    evaluation = _evaluating(db, tender_id)
    rejected = _rejected(db, evaluation.id)
    return sorted({bid.entity_id for bid in opened_bids(db, tender_id).values() if bid.bid_id not in rejected})


def call_quotation_round(
    db: Session, actor: Principal, *, tender_id: int, deadline: datetime, final: bool, now: datetime
) -> QuotationRound:
    """Call a round of sealed quotations from every supplier still negotiating (the last one final, 第38条 (五))."""
    return quotations.call_round(
        db, actor, tender_id=tender_id, participants=suppliers_negotiating(db, tender_id), deadline=deadline,
        final=final, now=now,
    )  # fmt: skip


def notify_negotiation_change(
    db: Session, actor: Principal, *, tender_id: int, text: str, now: datetime
) -> NegotiationNotice:
    """Notify every supplier still negotiating of a substantive change to the documents (第38条 (四))."""
    return quotations.notify_change(
        db, actor, tender_id=tender_id, text=text, recipients=suppliers_negotiating(db, tender_id), now=now
    )
