"""Read models of the quotation rounds of 竞争性谈判 and 竞争性磋商 (``ggzy.tendering.quotations``): for the
evaluation, the API and the pages. Read only; whoever calls one has checked its reader through its own access rules.
Nothing here shows a supplier's price before its round is opened, nor to another supplier (政府采购法 第38条 (四))."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Principal
from ggzy.crypto import load_public_key_pem
from ggzy.tendering.models import NegotiationNotice, QuotationRound, SealedQuotation
from ggzy.tendering.quotations import (
    OpenedQuotation,
    keys_of,
    participants_of,
    quotation_code,
    rounds_of,
)
from ggzy.tendering.service import get_tender, project_of


def final_quotations(db: Session, tender_id: int) -> dict[int, int | None] | None:
    """Each supplier's final quotation (price in fen, None if it did not open), by entity id, once the final round is
    opened; None before. A supplier that gave no final quotation is absent."""
    final = db.scalar(
        select(QuotationRound).where(
            QuotationRound.tender_id == tender_id,
            QuotationRound.final.is_(True),
            QuotationRound.opened_at.is_not(None),
        )
    )
    if final is None:
        return None
    rows = db.execute(
        select(SealedQuotation.entity_id, SealedQuotation.price_fen).where(SealedQuotation.round_id == final.id)
    )
    return {entity_id: price for entity_id, price in rows}


def round_view(db: Session, quotation_round: QuotationRound) -> dict[str, object]:
    """What anyone may see of a round: its deadline, whether it is final and opened, and what a supplier's client
    needs to seal a quotation for it (the lot code and the round's public keys) — never who is in it."""
    tender = get_tender(db, quotation_round.tender_id)
    project, lot = project_of(db, tender)
    return {
        "number": quotation_round.number,
        "final": quotation_round.final,
        "deadline": quotation_round.deadline,
        "opened": quotation_round.opened_at is not None,
        "lot_code": quotation_code(project, lot, quotation_round.number),
        "keys": [
            {
                "suite": key.suite,
                "public_key_pem": key.public_key_pem,
                "fingerprint": load_public_key_pem(key.public_key_pem).fingerprint,
                "threshold": key.threshold,
            }
            for key in keys_of(db, quotation_round.id)
        ],
    }


def rounds_for_supplier(db: Session, actor: Principal, tender_id: int) -> list[dict[str, object]]:
    """What a supplier sees of the rounds: each round's deadline, whether it is final, whether the supplier is in
    it and when it quoted — never anyone else's quotation (第38条 (四))."""
    mine = {}
    if actor.entity_id is not None:
        rows = db.execute(
            select(SealedQuotation.round_id, SealedQuotation.submitted_at, SealedQuotation.price_fen).where(
                SealedQuotation.tender_id == tender_id, SealedQuotation.entity_id == actor.entity_id
            )
        )
        mine = {round_id: (submitted_at, price) for round_id, submitted_at, price in rows}
    return [
        {
            "number": item.number,
            "final": item.final,
            "deadline": item.deadline,
            "opened": item.opened_at is not None,
            "in_negotiation": actor.entity_id in participants_of(item),
            "quoted_at": mine[item.id][0] if item.id in mine else None,
            "my_price_fen": mine[item.id][1] if item.id in mine else None,
        }
        for item in rounds_of(db, tender_id)
    ]


def notices_for(db: Session, actor: Principal, tender_id: int) -> list[NegotiationNotice]:
    """The notices of changes addressed to the supplier, oldest first."""
    query = select(NegotiationNotice).where(NegotiationNotice.tender_id == tender_id)
    return [
        notice
        for notice in db.scalars(query.order_by(NegotiationNotice.id))
        if actor.entity_id in json.loads(notice.recipients)
    ]


def opened_quotations(db: Session, quotation_round: QuotationRound) -> list[OpenedQuotation]:
    """A round's quotations with their prices, once the round is opened (nothing before: 第38条 (四)); for the
    host's page, whose reader the caller has checked."""
    if quotation_round.opened_at is None:
        return []
    rows = db.execute(
        select(SealedQuotation.entity_id, SealedQuotation.price_fen)
        .where(SealedQuotation.round_id == quotation_round.id)
        .order_by(SealedQuotation.id)
    )
    return [OpenedQuotation(entity_id, price) for entity_id, price in rows]
