"""The sale's confirmation (成交确认书, decision 0051): the buyer signs it online, the seller's side and the buyer read
it (a judicial sale's anyone: 网络司法拍卖规定 第二十二条, 公示).

The buyer signs as it seals a bid: with its certificate (the CA the platform trusts, its credit code the buyer's),
over :func:`ggzy.auctions.letter.signed_message` — the auction and the SHA-256 of the text made at the close. The
server checks the certificate at the moment of signing and the signature, keeps both, and records the event.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ggzy.auctions import letter, state
from ggzy.auctions.errors import (
    ConfirmationAlreadySigned,
    ConfirmationNotReady,
    ConfirmationSignatureWrong,
    NotTheBuyer,
    NotYourConfirmation,
)
from ggzy.auctions.models import Auction
from ggzy.auctions.rules import Status, TradeKind
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.crypto.certificates import load_certificate
from ggzy.crypto.errors import SignatureInvalid
from ggzy.entities.login import trust_store
from ggzy.entities.service import get_entity
from ggzy.tendering import service as tendering


def _sold(auction: Auction) -> Auction:
    if auction.status != Status.SOLD.value or auction.confirmation_text is None:
        raise ConfirmationNotReady(field="auction_id")
    return auction


@changes_state("auction.confirmation_signed")
def sign_confirmation(
    db: Session, actor: Principal, *, auction_id: int, certificate_pem: str, signature: str, now: datetime
) -> Auction:
    """The buyer signs the confirmation (拍卖法 第五十二条) with its certificate; once."""
    auction = _sold(state.locked_for(db, actor, auction_id))
    if actor.entity_id is None or actor.entity_id != auction.buyer_entity_id:
        raise NotTheBuyer(field="auction_id")
    if auction.confirmation_signed_at is not None:
        raise ConfirmationAlreadySigned(field="auction_id", signed_at=auction.confirmation_signed_at.isoformat())
    certificate = load_certificate(certificate_pem)  # CertificateMalformed
    trust_store(db).validate(certificate, at=now)
    if certificate.credit_code != get_entity(db, actor.entity_id).credit_code:
        raise ConfirmationSignatureWrong(
            field="certificate_pem", reason_zh="证书不属于买受人", reason_en="the certificate is not the buyer's"
        )
    try:
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        raise ConfirmationSignatureWrong(field="signature", reason_zh="应为 Base64", reason_en="not base64") from None
    assert auction.confirmation_sha256 is not None
    message = letter.signed_message(auction_id=auction.id, sha256=auction.confirmation_sha256)
    try:
        certificate.public_key.verify(message, raw)
    except SignatureInvalid:
        raise ConfirmationSignatureWrong(
            field="signature", reason_zh="签名与确认书不符", reason_en="it does not sign this confirmation"
        ) from None
    auction.confirmation_signature, auction.confirmation_certificate = signature, certificate_pem
    auction.confirmation_signed_at = now
    db.flush()
    record_event(
        db, actor, action="auction.confirmation_signed", subject_type="auction", subject_id=auction.id,
        centre_id=auction.centre_id, now=now,
        payload={"confirmation_sha256": auction.confirmation_sha256, "certificate": certificate.public_key.fingerprint},
    )  # fmt: skip
    return auction


@dataclass(frozen=True)
class Confirmation:
    auction: Auction
    text: str
    sha256: str
    signed_at: datetime | None
    certificate_fingerprint: str | None


def confirmation_view(db: Session, actor: Principal | None, *, auction_id: int) -> Confirmation:
    """The confirmation, for the seller, its agent and the buyer; a judicial sale's for anyone (规定 第二十二条)."""
    auction = _sold(state.visible_auction(db, actor, auction_id))
    if auction.trade_kind != TradeKind.JUDICIAL.value:
        project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
        allowed = {project.owner_id, project.agent_id, auction.buyer_entity_id}
        if actor is None or actor.entity_id is None or actor.entity_id not in allowed:
            raise NotYourConfirmation(field="auction_id")
    assert auction.confirmation_text is not None
    assert auction.confirmation_sha256 is not None
    fingerprint = (
        load_certificate(auction.confirmation_certificate).public_key.fingerprint
        if auction.confirmation_certificate
        else None
    )
    return Confirmation(
        auction=auction, text=auction.confirmation_text, sha256=auction.confirmation_sha256,
        signed_at=auction.confirmation_signed_at, certificate_fingerprint=fingerprint,
    )  # fmt: skip
