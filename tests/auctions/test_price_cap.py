"""The price cap (最高限价) with its lottery (decision 0052), on SQLite and PostgreSQL: a centre rule (its source is
``CENTRE_RULES``, no article claimed). Once a bid reaches the cap, bidding stops at it; a bid above is refused; other
plates may bid the cap until the end; several plates at the cap are separated by a lottery anyone can recompute
(seed: SHA-256 over the first signed checkpoint created after the end, holding an event recorded after it, and the
sorted plates); a single plate at the
cap wins outright."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from ggzy.auctions import cap, errors, rules, service, state
from ggzy.auctions.rules import Method, Phase, TradeKind
from ggzy.core.errors import InvalidInput
from ggzy.core.events import events_for
from ggzy.core.permissions import Permission, Principal
from ggzy.ledger.service import latest_checkpoint
from tests.auctions.pause_support import (
    AFTER,
    CAP,
    DURING,
    capped_with_plates,
    centre_staff,
    checkpoint,
    later_event,
)
from tests.auctions.support import LISTING_END, START, STEP, Trade, bid, counts, last_payload, make_trade, registered


def test_the_cap_is_the_centres_rule_and_no_article_is_claimed() -> None:
    assert rules.LISTING.cap is not None
    assert rules.LISTING.cap.source == rules.CENTRE_RULES
    assert rules.LISTING.cap.tie_break is rules.TieBreak.LOTTERY
    assert rules.JUDICIAL.cap is None


def test_a_cap_where_the_rules_allow_none_or_off_the_increments_is_refused(db: Session) -> None:
    with pytest.raises(InvalidInput) as judicial:
        make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION, price_cap_fen=CAP)
    assert judicial.value.field == "price_cap_fen"
    with pytest.raises(InvalidInput) as off_grid:
        make_trade(db, price_cap_fen=CAP + STEP // 2)
    assert off_grid.value.field == "price_cap_fen"


def test_once_the_cap_is_reached_a_bid_above_is_refused_and_others_may_only_bid_the_cap(db: Session) -> None:
    trade = make_trade(db, price_cap_fen=CAP)
    first, second = registered(db, trade, 2)
    with pytest.raises(errors.PriceCapExceeded) as above:  # above the cap, even before it is reached
        bid(db, trade, first, CAP + STEP, DURING)
    assert above.value.problem()["price_cap_fen"] == CAP
    bid(db, trade, first, CAP, DURING)
    first_plate, ends = trade.auction.current_plate, trade.auction.closes_at
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.PriceCapExceeded):
        bid(db, trade, second, CAP + STEP, DURING + timedelta(minutes=1))
    with pytest.raises(errors.BidTooLow) as below:
        bid(db, trade, second, CAP - STEP, DURING + timedelta(minutes=1))
    assert below.value.problem()["minimum_fen"] == CAP
    with pytest.raises(errors.CapAlreadyAccepted):
        bid(db, trade, first, CAP, DURING + timedelta(minutes=1), client_id="again")
    assert counts(db, trade.auction.id) == before  # refusals leave nothing
    bid(db, trade, second, CAP, DURING + timedelta(minutes=2))  # the second plate accepts the cap
    assert trade.auction.current_price_fen == CAP
    assert trade.auction.current_plate == first_plate  # the price did not rise: nothing moves
    assert trade.auction.closes_at == ends
    assert cap.plates_at_cap(db, trade.auction) == [first_plate, registered_plate(db, trade, second)]


def registered_plate(db: Session, trade: Trade, bidder: Principal) -> str:
    assert bidder.entity_id is not None
    row = service.registration_of(db, auction_id=trade.auction.id, entity_id=bidder.entity_id)
    assert row is not None
    return row.plate


def test_several_plates_at_the_cap_are_drawn_by_lot_and_anyone_can_recompute_the_draw(db: Session) -> None:
    trade, _ = capped_with_plates(db, 3)
    auction_id = trade.auction.id
    before = counts(db, auction_id)
    with pytest.raises(errors.CapDrawPending) as pending:  # no close before the draw
        service.close_auction(db, trade.seller, auction_id=auction_id, now=AFTER)
    assert pending.value.params["count"] == 3
    drawer = centre_staff(db, trade, Permission.AUCTION_DRAW)
    with pytest.raises(errors.AuctionPhaseWrong):  # not before the end
        cap.draw_cap_lottery(db, drawer, auction_id=auction_id, now=LISTING_END - timedelta(seconds=1))
    assert counts(db, auction_id) == before
    cap.draw_cap_lottery(db, drawer, auction_id=auction_id, now=AFTER)
    drawn = last_payload(db, auction_id, "auction.cap_lottery_drawn")
    # recomputed from the published inputs alone
    text = "|".join(
        ["ggzy-auction-cap-lottery/v1", str(auction_id), str(drawn["seed_tree_size"]), drawn["seed_root_hash"],
         ",".join(sorted(drawn["plates"]))]
    )  # fmt: skip
    seed = hashlib.sha256(text.encode()).hexdigest()
    assert drawn["seed"] == seed
    assert drawn["winner"] == sorted(drawn["plates"])[int(seed, 16) % 3]
    assert drawn["plates"] == sorted(cap.plates_at_cap(db, trade.auction))
    assert trade.auction.current_plate == drawn["winner"]
    with pytest.raises(errors.CapDrawNotNeeded):  # once only
        cap.draw_cap_lottery(db, drawer, auction_id=auction_id, now=AFTER)
    service.close_auction(db, trade.seller, auction_id=auction_id, now=AFTER)
    closed = last_payload(db, auction_id, "auction.closed")
    assert (closed["outcome"], closed["plate"], closed["price_fen"]) == ("sold", drawn["winner"], CAP)


def test_the_draw_is_the_same_whoever_recomputes_it_and_whatever_the_order_of_the_plates() -> None:
    plates = ["QW3RTY45", "ABCDEFGH", "ZX9CVB23"]
    one = rules.cap_lottery(auction_id=7, root_hash_hex="ab" * 32, tree_size=1234, plates=plates)
    two = rules.cap_lottery(auction_id=7, root_hash_hex="ab" * 32, tree_size=1234, plates=plates[::-1])
    assert one == two
    assert one.plates == ("ABCDEFGH", "QW3RTY45", "ZX9CVB23")
    other = rules.cap_lottery(auction_id=7, root_hash_hex="cd" * 32, tree_size=1234, plates=plates)
    assert other.seed_hex != one.seed_hex


def test_the_draw_waits_for_a_checkpoint_signed_after_the_end_over_an_event_after_it(db: Session) -> None:
    """Security review H1: a checkpoint covering the last cap bid, signed while bids were still open, would let anyone
    compute the winner before the end (and allies redraw it by adding a plate). Neither it, nor a checkpoint signed
    after the end over only what was recorded before, seeds the draw."""
    trade = make_trade(db, price_cap_fen=CAP)
    first, second = registered(db, trade, 2)
    bid(db, trade, first, CAP, DURING)
    bid(db, trade, second, CAP, DURING + timedelta(minutes=1))
    checkpoint(db, at=DURING + timedelta(minutes=1, seconds=1))  # signed ~1 s after the last cap bid, bids open
    drawer = centre_staff(db, trade, Permission.AUCTION_DRAW)
    before = counts(db, trade.auction.id)
    with pytest.raises(errors.CapDrawSeedNotPublished):
        cap.draw_cap_lottery(db, drawer, auction_id=trade.auction.id, now=AFTER)
    assert counts(db, trade.auction.id) == before
    later_event(db, LISTING_END)  # at the end itself: not after it
    checkpoint(db, at=AFTER)
    with pytest.raises(errors.CapDrawSeedNotPublished):
        cap.draw_cap_lottery(db, drawer, auction_id=trade.auction.id, now=AFTER)
    later_event(db, AFTER)
    checkpoint(db, at=AFTER + timedelta(seconds=1))
    seeded = latest_checkpoint(db)
    assert seeded is not None
    cap.draw_cap_lottery(db, drawer, auction_id=trade.auction.id, now=AFTER + timedelta(seconds=2))
    drawn = last_payload(db, trade.auction.id, "auction.cap_lottery_drawn")
    assert (drawn["seed_tree_size"], drawn["seed_root_hash"]) == (seeded.size, seeded.root_hash.hex())


def test_a_single_plate_at_the_cap_wins_outright(db: Session) -> None:
    trade, _ = capped_with_plates(db, 1)
    plate = trade.auction.current_plate
    drawer = centre_staff(db, trade, Permission.AUCTION_DRAW)
    with pytest.raises(errors.CapDrawNotNeeded):
        cap.draw_cap_lottery(db, drawer, auction_id=trade.auction.id, now=AFTER)
    assert state.phase_of(trade.auction, AFTER) is Phase.ENDED
    service.close_auction(db, trade.seller, auction_id=trade.auction.id, now=AFTER)
    closed = last_payload(db, trade.auction.id, "auction.closed")
    assert (closed["outcome"], closed["plate"], closed["price_fen"]) == ("sold", plate, CAP)
    assert START < CAP


def test_a_bid_that_only_accepts_the_cap_says_so_in_its_event(db: Session) -> None:
    """Review 7 (for the hall): ``cap_acceptance`` is true on the bid that only accepts the reached cap (the price and
    the leading plate stay), false on every bid that moves them."""
    trade = make_trade(db, price_cap_fen=CAP)
    first, second = registered(db, trade, 2)
    bid(db, trade, first, START, DURING)
    bid(db, trade, second, CAP, DURING + timedelta(minutes=1))  # reaches the cap: it moves the price
    bid(db, trade, first, CAP, DURING + timedelta(minutes=2))  # accepts it
    placed = [
        json.loads(e.payload) for e in events_for(db, "auction", trade.auction.id) if e.action == "auction.bid_placed"
    ]
    assert [(p["amount_fen"], p["cap_acceptance"]) for p in placed] == [(START, False), (CAP, False), (CAP, True)]
