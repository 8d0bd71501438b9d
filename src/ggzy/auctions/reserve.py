"""Rights trades (decision 0049): the reserve (保留价, 底价) sealed by its holder as a bid is, opened at the end
(拍卖法 第二十八条)."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

from sqlalchemy.orm import Session

from ggzy.auctions.errors import (
    NotTheReserveHolder,
    ReserveAlreadySealed,
    ReserveEnvelopeWrong,
    ReserveNotSealedHere,
    ReserveSealingClosed,
)
from ggzy.auctions.models import Auction
from ggzy.auctions.rules import Phase, ReserveRule
from ggzy.auctions.schemas import MAX_FEN
from ggzy.auctions.state import _locked, _record, _wrong_phase, entry_of, phase_of
from ggzy.core.events import changes_state
from ggzy.core.permissions import Principal
from ggzy.crypto.envelope import parse_header, read_envelope_header, verify_bid
from ggzy.crypto.envelope.header import check_ciphertext
from ggzy.entities.login import trust_store
from ggzy.entities.service import get_entity

# A reserve above the highest bid the platform takes (the API's bound) cannot be met: it is recorded as this figure
# (the sealed one kept, as text, in the event), and the close fails as below any reserve (拍卖法 第五十条). Refusing
# it instead would brick the trade, since the reserve cannot be sealed again once the bidding started.
UNREACHABLE_RESERVE_FEN = MAX_FEN + 1

# --- the reserve ---------------------------------------------------------------------------------------------------


def reserve_lot_code(auction_id: int) -> str:
    """What the reserve's envelope is sealed for (its header's lot code): this auction and nothing else."""
    return f"AUCTION-{auction_id}-RESERVE"


def _holder_only(auction: Auction, actor: Principal) -> None:
    entry = entry_of(auction)
    if entry.reserve is not ReserveRule.SEALED:
        raise ReserveNotSealedHere(
            field="auction_id", reason_zh=f"起拍价即为保留价（{entry.reserve_source}）",
            reason_en=f"the start price is the reserve ({entry.reserve_source})",
        )  # fmt: skip
    if actor.user_id is None or actor.user_id != auction.reserve_holder_user_id:
        raise NotTheReserveHolder(field="auction_id")


@changes_state("auction.reserve_sealed")
def seal_reserve(db: Session, actor: Principal, *, auction_id: int, envelope: bytes, now: datetime) -> Auction:
    """The designated holder enters the reserve (保留价, 底价) sealed exactly as a bid is — an envelope
    (``ggzy-sealed-bid/v1``) signed with the holder's certificate, its summary ``{"reserve_fen": …}`` — before the
    bidding starts (in the draft or the notice: once bids can be seen it would be set after them; review M3). The
    server checks the signature, the certificate and the ciphertext's digest, and keeps the envelope; nobody reads
    the price until it is opened at the end (拍卖法 第二十八条)."""
    auction = _locked(db, auction_id, actor)
    _holder_only(auction, actor)
    if auction.reserve_sealed_at is not None:
        raise ReserveAlreadySealed(field="auction_id", sealed_at=auction.reserve_sealed_at.isoformat())
    current = phase_of(auction, now)
    if current is Phase.BIDDING:  # security review M3: not after the bids have been seen
        raise ReserveSealingClosed(field="auction_id", phase=current.value)
    if current not in (Phase.DRAFT, Phase.NOTICE):
        raise _wrong_phase(auction, now, "录入保留价", "enter the reserve")
    stream = io.BytesIO(envelope)
    header = read_envelope_header(stream)  # the outer signature (EnvelopeInvalid, SignatureInvalid)
    ciphertext = stream.read()
    digest = hashlib.sha256(ciphertext).hexdigest()
    check_ciphertext(header, len(ciphertext), digest)
    if header.lot_code != reserve_lot_code(auction.id):
        raise ReserveEnvelopeWrong(
            field="envelope", reason_zh=f"信封属于 {header.lot_code}", reason_en=f"it is sealed for {header.lot_code}"
        )
    trust_store(db).validate(header.bidder_certificate, at=now)
    assert actor.entity_id is not None  # the holder is a user of the seller (_check_holder)
    if header.bidder_certificate.credit_code != get_entity(db, actor.entity_id).credit_code:
        raise ReserveEnvelopeWrong(
            field="envelope",
            reason_zh="签名证书不属于出让人",
            reason_en="not signed by the seller",
        )
    auction.reserve_header = header.to_bytes().decode()
    auction.reserve_ciphertext = ciphertext
    auction.reserve_sha256 = digest
    auction.reserve_sealed_at = now
    db.flush()
    _record(db, actor, auction, "auction.reserve_sealed", {"ciphertext_sha256": digest}, now)
    return auction


@changes_state("auction.reserve_opened")
def open_reserve(db: Session, actor: Principal, *, auction_id: int, data_key: bytes, now: datetime) -> Auction:
    """At the end (no more bids), the holder releases the envelope's data key, as a bidder decrypts its bid remotely;
    the server decrypts, checks the inner signature and records the reserve in the clear."""
    auction = _locked(db, auction_id, actor)
    _holder_only(auction, actor)
    if phase_of(auction, now) is not Phase.ENDED or auction.reserve_header is None:
        raise _wrong_phase(auction, now, "开启保留价", "open the reserve")
    if auction.reserve_opened_at is not None:
        return auction
    header = parse_header(auction.reserve_header.encode())
    assert auction.reserve_ciphertext is not None
    opened = verify_bid(header, io.BytesIO(auction.reserve_ciphertext), data_key)  # DecryptionFailed on a wrong key
    reserve = opened.summary.get("reserve_fen")
    if not isinstance(reserve, int) or isinstance(reserve, bool) or reserve < 1:
        raise ReserveEnvelopeWrong(
            field="data_key", reason_zh="信封中没有有效的 reserve_fen", reason_en="it holds no valid reserve_fen"
        )
    payload: dict[str, object] = {"reserve_fen": reserve}
    if reserve > UNREACHABLE_RESERVE_FEN:  # review M3: above any bid the platform takes, it cannot be met
        payload = {"reserve_fen": UNREACHABLE_RESERVE_FEN, "sealed_reserve_fen": str(reserve), "unreachable": True}
        reserve = UNREACHABLE_RESERVE_FEN
    auction.reserve_fen, auction.reserve_opened_at = reserve, now
    db.flush()
    _record(db, actor, auction, "auction.reserve_opened", payload, now)
    return auction
