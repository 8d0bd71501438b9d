"""Builders of the suspension and price-cap tests (decision 0052), through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ggzy.auctions import cap, suspension
from ggzy.auctions.rules import SuspensionGround
from ggzy.core.events import record_event
from ggzy.core.permissions import Permission, Principal, Role
from ggzy.ledger.sequencer import integrate
from ggzy.ledger.service import publish_checkpoint
from tests.auctions.support import LISTING_END, LISTING_START, START, STEP, Trade, bid, make_trade, registered
from tests.conftest import LEDGER_KEYS
from tests.factories import principal, user_with_role

CAP = START + 5 * STEP
DURING = LISTING_START + timedelta(days=1)
AFTER = LISTING_END + timedelta(seconds=1)


def centre_staff(db: Session, trade: Trade, permission: Permission = Permission.AUCTION_SUSPEND) -> Principal:
    user = user_with_role(db, Role.CENTRE_STAFF, centre_id=trade.auction.centre_id)
    return principal(db, user, permission)


def suspend(db: Session, trade: Trade, staff: Principal, at: object, reason: str = "电子交易系统故障") -> object:
    return suspension.suspend_auction(
        db, staff, auction_id=trade.auction.id, ground=SuspensionGround.SYSTEM_FAILURE, reason=reason,
        now=at,  # type: ignore[arg-type]
    )  # fmt: skip


def checkpoint(db: Session, at: datetime = AFTER) -> None:
    """Commit (the ledger numbers events at commit), integrate and sign a checkpoint at ``at``."""
    db.commit()
    integrate(db)
    publish_checkpoint(db, LEDGER_KEYS, now=at)
    db.flush()


def later_event(db: Session, at: datetime) -> None:
    """Some event of the platform recorded at ``at``, whatever it is about (the ledger holds every domain's)."""
    actor = principal(db, user_with_role(db, Role.PLATFORM_ADMIN))
    record_event(
        db, actor, action="ledger.witness_added", subject_type="ledger_witness", subject_id=0, payload={}, now=at
    )


def capped_with_plates(db: Session, plates: int) -> tuple[Trade, list[Principal]]:
    """A listing with a cap, ``plates`` plates at the cap by its end, under a signed checkpoint."""
    trade = make_trade(db, price_cap_fen=CAP)
    bidders = registered(db, trade, max(plates, 1))
    bid(db, trade, bidders[0], START, DURING)
    for index, bidder in enumerate(bidders[:plates]):
        bid(db, trade, bidder, CAP, DURING + timedelta(minutes=index + 1))
    later_event(db, AFTER)  # the seed: a checkpoint signed after the end, holding an event after it (review H1)
    checkpoint(db)
    return trade, bidders


def pause_scenario(db: Session, action: str) -> Callable[[], object]:
    if action == "auction.cap_lottery_drawn":
        trade, _ = capped_with_plates(db, 2)
        drawer = centre_staff(db, trade, Permission.AUCTION_DRAW)
        return lambda: cap.draw_cap_lottery(db, drawer, auction_id=trade.auction.id, now=AFTER)
    trade = make_trade(db)
    staff = centre_staff(db, trade)
    if action == "auction.suspended":
        return lambda: suspend(db, trade, staff, DURING)
    suspend(db, trade, staff, DURING)
    assert action == "auction.resumed", action
    return lambda: suspension.resume_auction(db, staff, auction_id=trade.auction.id, now=DURING + timedelta(hours=2))
