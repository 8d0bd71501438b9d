"""Rights trades: the price cap (最高限价; decision 0052) — the setting's check, the bids' check, the lottery among the
plates at the cap."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.auctions import rules
from ggzy.auctions.access import check_centre_staff
from ggzy.auctions.errors import (
    BidTooLow,
    CapAlreadyAccepted,
    CapDrawNotNeeded,
    CapDrawPending,
    CapDrawSeedNotPublished,
    NotTheCentre,
    PriceCapExceeded,
)
from ggzy.auctions.models import Auction, AuctionBid, AuctionRegistration
from ggzy.auctions.rules import AuctionRules, Phase
from ggzy.auctions.state import _locked, _record, _wrong_phase, clocked, entry_of, phase_of
from ggzy.core.errors import InvalidInput
from ggzy.core.events import changes_state
from ggzy.core.money import format_yuan
from ggzy.core.permissions import Principal
from ggzy.ledger.service import first_checkpoint_after

if TYPE_CHECKING:
    from ggzy.auctions.service import AuctionDraft


# --- the price cap (decision 0052) --------------------------------------------------------------------------------


def _check_cap_setting(entry: AuctionRules, draft: AuctionDraft) -> None:
    if draft.price_cap_fen is None:
        return
    if entry.cap is None:
        raise InvalidInput(
            field="price_cap_fen", reason_zh=f"{entry.name_zh}不设最高限价", reason_en=f"a {entry.name_en} has no cap"
        )
    if not rules.cap_on_grid(
        cap_fen=draft.price_cap_fen, start_fen=draft.start_price_fen, increment_fen=draft.increment_fen
    ):
        raise InvalidInput(
            field="price_cap_fen", reason_zh="须为起始价加整数倍加价幅度",
            reason_en="must be the start price plus whole increments",
        )  # fmt: skip


_TIE_BREAK_WORDS = {rules.TieBreak.LOTTERY: ("摇号", "lottery"), rules.TieBreak.SEALED_BID: ("密封报价", "sealed bid")}


def _check_cap(
    entry: AuctionRules, auction: Auction, amount_fen: int, *, db: Session, registration: AuctionRegistration
) -> rules.CapVerdict:
    verdict = rules.cap_verdict(
        amount_fen=amount_fen, cap_fen=auction.price_cap_fen, current_fen=auction.current_price_fen
    )
    if verdict is rules.CapVerdict.ABOVE:
        assert auction.price_cap_fen is not None
        assert entry.cap is not None
        words = _TIE_BREAK_WORDS[entry.cap.tie_break]
        raise PriceCapExceeded(
            field="amount_fen", price_cap_fen=auction.price_cap_fen, cap_yuan=format_yuan(auction.price_cap_fen),
            tie_break_zh=words[0], tie_break_en=words[1],
        )  # fmt: skip
    if verdict is rules.CapVerdict.ACCEPTS and registration.plate in plates_at_cap(db, auction):
        raise CapAlreadyAccepted(field="amount_fen")
    capped = auction.price_cap_fen is not None and auction.current_price_fen == auction.price_cap_fen
    if verdict is rules.CapVerdict.BELOW and capped:  # at the cap, the only bid left is the cap itself
        assert auction.price_cap_fen is not None
        raise BidTooLow(
            field="amount_fen", minimum_yuan=format_yuan(auction.price_cap_fen),
            current_price_fen=auction.current_price_fen, current_yuan=format_yuan(auction.price_cap_fen),
            increment_yuan=format_yuan(auction.increment_fen), minimum_fen=auction.price_cap_fen,
        )  # fmt: skip
    return verdict


def plates_at_cap(db: Session, auction: Auction) -> list[str]:
    """The plates that bid the cap, in the order they did."""
    if auction.price_cap_fen is None:
        return []
    query = (
        select(AuctionBid.plate)
        .where(AuctionBid.auction_id == auction.id, AuctionBid.amount_fen == auction.price_cap_fen)
        .order_by(AuctionBid.sequence)
    )
    return list(db.scalars(query))


def check_cap_settled(db: Session, auction: Auction) -> None:
    """Before the close: several plates at the cap must have been separated (the single one wins outright)."""
    if auction.cap_drawn_at is not None:
        return
    count = len(plates_at_cap(db, auction))
    if count > 1:
        raise CapDrawPending(field="auction_id", count=count)


@changes_state("auction.cap_lottery_drawn")
def draw_cap_lottery(db: Session, actor: Principal, *, auction_id: int, now: datetime) -> Auction:
    """摇号 after the end among the plates that bid the cap (the centre's rule, decision 0052): seeded by the first
    signed ledger checkpoint created after the bidding ended and holding an event recorded after it (no one could know
    it, nor redraw it by adding a plate, while bids were open; security review H1) and the plates sorted,
    recomputable by anyone (:func:`ggzy.auctions.rules.cap_lottery`); the winner becomes the current plate, and the
    close sells to it at the cap."""
    auction = _locked(db, auction_id, actor)  # a draft: not found but by its seller (review L3)
    staff = check_centre_staff(actor, auction.centre_id)
    if staff is None:
        raise NotTheCentre(field="auction_id", also_zh="", also_en="")
    if phase_of(auction, now) is not Phase.ENDED:
        raise _wrong_phase(auction, now, "摇号", "draw the lottery")
    entry, plates = entry_of(auction), plates_at_cap(db, auction)
    if entry.cap is None or entry.cap.tie_break is not rules.TieBreak.LOTTERY or auction.cap_drawn_at is not None:
        raise CapDrawNotNeeded(field="auction_id", reason_zh="本交易不以摇号确定", reason_en="not decided by lot here")
    if len(plates) < 2:
        raise CapDrawNotNeeded(
            field="auction_id", reason_zh="以最高限价报价的号牌不足两个", reason_en="fewer than two plates bid the cap"
        )
    ended = rules.bidding_ended_at(entry, clocked(auction))
    checkpoint = first_checkpoint_after(db, moment=ended)
    if checkpoint is None:
        raise CapDrawSeedNotPublished(field="auction_id")
    draw = rules.cap_lottery(
        auction_id=auction.id, root_hash_hex=checkpoint.root_hash.hex(), tree_size=checkpoint.size, plates=plates
    )
    auction.current_plate, auction.cap_drawn_at = draw.winner, now
    db.flush()
    _record(
        db, staff, auction, "auction.cap_lottery_drawn",
        {"method": "ggzy-auction-cap-lottery/v1", "seed_tree_size": checkpoint.size,
         "seed_root_hash": checkpoint.root_hash.hex(), "plates": list(draw.plates), "seed": draw.seed_hex,
         "winner": draw.winner, "price_cap_fen": auction.price_cap_fen, "source": entry.cap.source},
        now,
    )  # fmt: skip
    return auction
