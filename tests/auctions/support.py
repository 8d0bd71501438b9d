"""Builders of the auction tests (and of the event walk in tests/core/test_events.py), through the services."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.auctions import confirmation, letter, reserve, service
from ggzy.auctions.models import Auction, AuctionBid
from ggzy.auctions.rules import Method, TradeKind
from ggzy.core.events import Event, events_for
from ggzy.core.permissions import Permission, Principal
from ggzy.crypto import load_private_key_pem
from ggzy.crypto.certificates import load_certificate
from ggzy.crypto.envelope import read_envelope_header, seal_bid, unwrap_data_key
from ggzy.entities.models import Entity, User
from ggzy.entities.service import get_entity
from ggzy.finance import refund_triggers
from ggzy.finance import service as finance
from ggzy.finance.models import RefundOrderRow
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Method as TenderMethod
from tests.conftest import TEST_NOW
from tests.factories import (
    bidder_user,
    factory_ca,
    issue,
    load_test_calendar,
    make_accepted_project,
    principal,
    trust_factory_ca,
)
from tests.finance.support import DEPOSIT_FEN, notice, opened

YUAN = 100
START = 1_000_000 * YUAN  # 1,000,000.00 yuan
STEP = 10_000 * YUAN
RESERVE = 1_050_000 * YUAN

# 挂牌: notice at TEST_NOW (24 Nov 2026), listing from 15 Dec (21 days later) for 10 days
LISTING_START = TEST_NOW + timedelta(days=21)
LISTING_END = LISTING_START + timedelta(days=10)
# 网络司法拍卖: 30 days' notice (第12条), then 24 hours' bidding (第20条)
JUDICIAL_START = TEST_NOW + timedelta(days=31)
JUDICIAL_END = JUDICIAL_START + timedelta(hours=24)
# 拍卖: viewing 25–28 Nov (第48条), the auction 8 days after the notice (第45条)
AUCTION_START = TEST_NOW + timedelta(days=8)
AUCTION_END = AUCTION_START + timedelta(hours=1)
VIEWING = (TEST_NOW + timedelta(days=1), TEST_NOW + timedelta(days=4))

AUCTION_ACTIONS = (
    "auction.created",
    "auction.published",
    "auction.bidder_registered",
    "auction.timed_bidding_requested",
    "auction.reserve_sealed",
    "auction.reserve_opened",
    "auction.bid_placed",
    "auction.closed",
    # decision 0052 (tests/auctions/pause_support.py)
    "auction.suspended",
    "auction.resumed",
    "auction.cap_lottery_drawn",
    "auction.confirmation_signed",
    "auction.deposits_released",  # decision 0053
)


@dataclass
class Trade:
    auction: Auction
    tender: Tender
    seller: Principal
    holder: Principal | None
    holder_user: User
    setup: dict


TRADE_TYPE_OF = {
    TradeKind.LAND: "land",
    TradeKind.MINING: "mining",
    TradeKind.PROPERTY: "property",
    TradeKind.JUDICIAL: "property",
}


def rights_round(
    db: Session, *, trade_type: str = "land", deposit_fen: int | None = DEPOSIT_FEN, publish: bool = True
) -> tuple[Tender, dict]:
    """A land, mining or property project's deposit round (procedure ``rights``, decision 0051) published at
    TEST_NOW, its deposit deadline 25 days later."""
    load_test_calendar(db)
    setup = make_accepted_project(db, trade_type=trade_type)
    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    tender = tendering.create_tender(
        db, agent, lot_id=setup["lots"][0].id, procedure_key="rights", method=TenderMethod.HIGHEST_PRICE,
        title="竞买保证金", notice_text="出让公告正文", documents_until=TEST_NOW + timedelta(days=10),
        bid_deadline=TEST_NOW + timedelta(days=25), invited_entity_ids=[], now=TEST_NOW, deposit_fen=deposit_fen,
        bid_validity_days=90 if deposit_fen is not None else None,
    )  # fmt: skip
    tendering.attach_documents(db, agent, tender_id=tender.id, sha256="d" * 64, name="f.pdf", size=1, now=TEST_NOW)
    if publish:
        tendering.publish_tender(db, agent, tender_id=tender.id, now=TEST_NOW)
    return tender, setup


def schedule_of(kind: TradeKind, method: Method) -> dict[str, object]:
    if kind is TradeKind.JUDICIAL:
        return {"bidding_start": JUDICIAL_START, "bidding_end": JUDICIAL_END}
    if method is Method.AUCTION:
        return {
            "bidding_start": AUCTION_START, "bidding_end": AUCTION_END, "viewing_start": VIEWING[0],
            "viewing_end": VIEWING[1],
        }  # fmt: skip
    return {"bidding_start": LISTING_START, "bidding_end": LISTING_END}


def make_trade(
    db: Session, *, kind: TradeKind = TradeKind.LAND, method: Method = Method.LISTING, publish: bool = True,
    start_price_fen: int = START, increment_fen: int = STEP, price_cap_fen: int | None = None, **schedule: datetime,
) -> Trade:  # fmt: skip
    """A published listing (or auction) of a right; its deposits are those of a round published at TEST_NOW whose
    deposit deadline is 25 days later."""
    tender, setup = rights_round(db, trade_type=TRADE_TYPE_OF[kind])
    seller = principal(db, setup["agent_user"], Permission.AUCTION_MANAGE)
    if kind is TradeKind.JUDICIAL:  # a judicial sale's seller is the court that seized the right, itself (review M4)
        setup["owner"].kind = "court"
        seller = principal(db, setup["owner_user"], Permission.AUCTION_MANAGE)
    holder_user = setup["owner_user"]
    sealed = kind is not TradeKind.JUDICIAL
    draft = service.AuctionDraft(
        tender_id=tender.id, trade_kind=kind, method=method, title="某地块国有建设用地使用权",
        start_price_fen=start_price_fen, increment_fen=increment_fen,
        reserve_holder_user_id=holder_user.id if sealed else None, price_cap_fen=price_cap_fen,
        **(schedule_of(kind, method) | schedule),  # type: ignore[arg-type]
    )  # fmt: skip
    auction = service.create_auction(db, seller, draft=draft, now=TEST_NOW)
    if publish:
        service.publish_auction(db, seller, auction_id=auction.id, now=TEST_NOW)
    holder = principal(db, holder_user, Permission.AUCTION_RESERVE) if sealed else None
    return Trade(auction=auction, tender=tender, seller=seller, holder=holder, holder_user=holder_user, setup=setup)


def paid_bidder(db: Session, trade: Trade, *, pay: bool = True) -> Principal:
    """A bidder whose deposit for the trade's round is paid in full (or, ``pay=False``, only asked for)."""
    user = bidder_user(db)
    row, _ = opened(db, trade.tender, user)
    if pay:
        finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
    return principal(db, user, Permission.AUCTION_BID)


def registered(db: Session, trade: Trade, count: int = 1) -> list[Principal]:
    bidders = [paid_bidder(db, trade) for _ in range(count)]
    for bidder in bidders:
        service.register_bidder(db, bidder, auction_id=trade.auction.id, now=TEST_NOW)
    return bidders


@dataclass(frozen=True)
class SealedReserve:
    envelope: bytes
    data_key: bytes


def seal_reserve_envelope(db: Session, trade: Trade, reserve_fen: int, *, lot_code: str | None = None) -> SealedReserve:
    return seal_reserve_for(db, trade.auction.id, trade.setup["owner"], reserve_fen, lot_code=lot_code)


def seal_reserve_for(
    db: Session, auction_id: int, owner: Entity, reserve_fen: int, *, lot_code: str | None = None
) -> SealedReserve:
    """The holder seals the reserve with a certificate of the seller (``owner``), as a bidder seals a bid."""
    trust_factory_ca(db)
    issued = issue(factory_ca(), name=owner.name, code=owner.credit_code)
    key = load_private_key_pem(issued.private_key_pem)
    out = io.BytesIO()
    seal_bid(
        lot_code=lot_code or reserve.reserve_lot_code(auction_id), suite=issued.certificate.suite,
        summary={"reserve_fen": reserve_fen}, files={}, bidder_certificate_pem=issued.certificate_pem,
        bidder_private_key=key, opening_public_key=load_certificate(issued.certificate_pem).public_key, out=out,
        now=TEST_NOW,
    )  # fmt: skip
    envelope = out.getvalue()
    data_key = unwrap_data_key(read_envelope_header(io.BytesIO(envelope)), key, "bidder")
    return SealedReserve(envelope=envelope, data_key=data_key)


def bid(db: Session, trade: Trade, bidder: Principal, amount: int, at: datetime, client_id: str = "") -> object:
    return service.place_bid(
        db,
        bidder,
        auction_id=trade.auction.id,
        amount_fen=amount,
        client_bid_id=client_id or f"b{amount}-{at}",
        now=at,
    )


def counts(db: Session, auction_id: int) -> tuple[int, int]:
    """(accepted bids, events of this auction)."""
    bids = db.scalar(select(func.count()).select_from(AuctionBid).where(AuctionBid.auction_id == auction_id))
    events = db.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.subject_type == "auction", Event.subject_id == str(auction_id))
    )
    return bids or 0, events or 0


def auction_scenario(db: Session, action: str) -> Callable[[], object]:
    """The call that records ``action`` once, everything before it done (for the event walk)."""
    if action in ("auction.suspended", "auction.resumed", "auction.cap_lottery_drawn"):
        from tests.auctions.pause_support import pause_scenario

        return pause_scenario(db, action)
    if action == "auction.created":
        tender, setup = rights_round(db)
        seller = principal(db, setup["agent_user"], Permission.AUCTION_MANAGE)
        draft = service.AuctionDraft(
            tender_id=tender.id, trade_kind=TradeKind.LAND, method=Method.LISTING, title="地块",
            start_price_fen=START, increment_fen=STEP, reserve_holder_user_id=setup["owner_user"].id,
            bidding_start=LISTING_START, bidding_end=LISTING_END,
        )  # fmt: skip
        return lambda: service.create_auction(db, seller, draft=draft, now=TEST_NOW)
    trade = make_trade(db, publish=action != "auction.published")
    auction_id = trade.auction.id
    if action == "auction.published":
        return lambda: service.publish_auction(db, trade.seller, auction_id=auction_id, now=TEST_NOW)
    if action == "auction.bidder_registered":
        bidder = paid_bidder(db, trade)
        return lambda: service.register_bidder(db, bidder, auction_id=auction_id, now=TEST_NOW)
    assert trade.holder is not None
    holder = trade.holder
    sealed = seal_reserve_envelope(db, trade, RESERVE)
    if action == "auction.reserve_sealed":
        return lambda: reserve.seal_reserve(db, holder, auction_id=auction_id, envelope=sealed.envelope, now=TEST_NOW)
    reserve.seal_reserve(db, holder, auction_id=auction_id, envelope=sealed.envelope, now=TEST_NOW)
    (bidder,) = registered(db, trade)
    during = LISTING_START + timedelta(days=1)
    if action == "auction.timed_bidding_requested":
        return lambda: service.request_timed_bidding(db, bidder, auction_id=auction_id, now=during)
    if action == "auction.bid_placed":
        return lambda: bid(db, trade, bidder, START, during)
    bid(db, trade, bidder, RESERVE, during)
    after = LISTING_END + timedelta(seconds=1)
    if action == "auction.reserve_opened":
        return lambda: reserve.open_reserve(db, holder, auction_id=auction_id, data_key=sealed.data_key, now=after)
    reserve.open_reserve(db, holder, auction_id=auction_id, data_key=sealed.data_key, now=after)
    if action == "auction.closed":
        return lambda: service.close_auction(db, trade.seller, auction_id=auction_id, now=after)
    if action == "auction.deposits_released":  # the one plate is the highest: nothing ordered, only the release
        released_at = after + service.RELEASE_GRACE
        return lambda: service.release_deposits(db, trade.seller, auction_id=auction_id, now=released_at)
    assert action == "auction.confirmation_signed", action
    service.close_auction(db, trade.seller, auction_id=auction_id, now=after)
    assert bidder.entity_id is not None
    pem, signature = confirmation_signature(db, bidder.entity_id, auction_id, trade.auction.confirmation_sha256 or "")
    return lambda: confirmation.sign_confirmation(
        db, bidder, auction_id=auction_id, certificate_pem=pem, signature=signature, now=after
    )


def confirmation_signature(db: Session, entity_id: int, auction_id: int, sha256: str) -> tuple[str, str]:
    """The buyer's certificate (PEM) and its signature (base64) of the confirmation ``sha256``."""
    entity = get_entity(db, entity_id)
    trust_factory_ca(db)
    issued = issue(factory_ca(), name=entity.name, code=entity.credit_code)
    key = load_private_key_pem(issued.private_key_pem)
    signed = key.sign(letter.signed_message(auction_id=auction_id, sha256=sha256))
    return issued.certificate_pem, base64.b64encode(signed).decode()


def last_payload(db: Session, auction_id: int, action: str) -> dict:
    """The payload of the auction's latest event of ``action``."""
    return json.loads(next(e for e in reversed(events_for(db, "auction", auction_id)) if e.action == action).payload)


def refund_orders_by_entity(db: Session, tender_id: int) -> dict[int, list[RefundOrderRow]]:
    """The round's refund orders, by the entity each refunds."""
    found: dict[int, list[RefundOrderRow]] = {}
    for row in refund_triggers.refund_orders_of(db, tender_id):
        found.setdefault(row.entity_id, []).append(row)
    return found
