"""The demo's two rights trades (issue 14, decision 0051), told before the tender story on the same timeline:

* a land listing (挂牌出让) that goes on to timed bidding (限时竞价) between three plates and sells above its reserve —
  the reserve sealed by its holder (the seller's user) with the seller's certificate, opened at the end — then the
  buyer signs the confirmation (成交确认书) and the two other deposits are ordered back;
* a property transfer by auction (拍卖) with one bidder, below the reserve: it fails (拍卖法 第五十条) and the deposit
  is ordered back.

Each trade's deposits are held on its project's deposit round (procedure ``rights``); with the bank simulator
connected they are paid and refunded through it (``DemoDeposits``), without it the bank's answers are simulated
here so that the trades still run.
"""

from __future__ import annotations

import base64
import io
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ggzy.auctions import confirmation, letter, reserve, state
from ggzy.auctions import service as auctions
from ggzy.auctions.rules import AUCTION, LISTING, AuctionRules, Method, Schedule, TradeKind, schedule_faults
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Permission, Principal
from ggzy.crypto import load_private_key_pem
from ggzy.crypto.ca import IssuedCertificate
from ggzy.crypto.envelope import read_envelope_header, seal_bid, unwrap_data_key
from ggzy.demo_deposits import DemoDeposits
from ggzy.demo_story import DemoBidder
from ggzy.entities import login
from ggzy.entities.models import User
from ggzy.finance import service as finance
from ggzy.finance.bank.protocol import CreditNotice, SubAccount
from ggzy.finance.refund_triggers import refund_orders_of
from ggzy.projects.schemas import LotIn, ProjectIn
from ggzy.projects.service import accept_registration, lots_of, register_project
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import Method as TenderMethod

YUAN = 100
# how long before the tender story the rights trades start: a listing's 20 days' notice, its 10 days, the timed phase,
# with room for a holiday that moves a period's last day (民法典 第203条)
RIGHTS_LEAD = timedelta(days=45)
_serials = itertools.count(1)


@dataclass
class RightsStory:
    title: str
    trade_kind: str
    method: str
    auction_id: int = 0
    tender_id: int = 0
    outcome: str = ""
    price_fen: int | None = None
    reserve_fen: int | None = None
    plates: list[str] = field(default_factory=list)
    bids: list[dict[str, Any]] = field(default_factory=list)
    confirmation_signed: bool = False
    refunds_ordered: int = 0

    def report(self) -> dict[str, Any]:
        return {
            "auction_id": self.auction_id, "tender_id": self.tender_id, "title": self.title,
            "trade_kind": self.trade_kind, "method": self.method, "outcome": self.outcome,
            "price_fen": self.price_fen, "reserve_fen": self.reserve_fen, "plates": self.plates, "bids": self.bids,
            "confirmation_signed": self.confirmation_signed, "refunds_ordered": self.refunds_ordered,
        }  # fmt: skip


@dataclass
class Seller:
    agent: User
    owner: User
    owner_certificate: IssuedCertificate
    centre_id: int
    staff: Principal


def _project(db: Session, seller: Seller, *, name: str, trade_type: str, budget: str, now: datetime) -> int:
    agent = login.principal_for(db, seller.agent).holding(Permission.PROJECT_REGISTER)
    project = register_project(
        db, agent,
        data=ProjectIn(
            centre_id=seller.centre_id, name=name, trade_type=trade_type, region_code="530102",
            owner_id=seller.owner.entity_id or 0, agent_id=seller.agent.entity_id or 0,
            lots=[LotIn(name=name, budget=budget)],
        ),
        now=now,
    )  # fmt: skip
    accept_registration(db, seller.staff.holding(Permission.PROJECT_REVIEW), project_id=project.id, now=now)
    return lots_of(db, [project.id])[project.id][0].id


def _round(db: Session, seller: Seller, lot_id: int, *, deposit_fen: int, deadline: datetime, now: datetime) -> int:
    agent = login.principal_for(db, seller.agent).holding(Permission.TENDER_MANAGE)
    tender = tendering.create_tender(
        db, agent, lot_id=lot_id, procedure_key="rights", method=TenderMethod.HIGHEST_PRICE, title="竞买保证金",
        notice_text="出让（转让）公告，竞买人交纳竞买保证金后取得竞买资格。",
        documents_until=min(now + timedelta(days=10), deadline),
        bid_deadline=deadline, invited_entity_ids=[], now=now, deposit_fen=deposit_fen, bid_validity_days=90,
    )  # fmt: skip
    tendering.attach_documents(db, agent, tender_id=tender.id, sha256="e" * 64, name="公告.pdf", size=1, now=now)
    tendering.publish_tender(db, agent, tender_id=tender.id, now=now)
    return tender.id


def _pay(db: Session, deposits: DemoDeposits, tender_id: int, bidders: list[DemoBidder], deposit_fen: int,
         clock: FixedClock) -> None:  # fmt: skip
    if deposits.bank is not None:
        deposits.pay(db, tendering.get_tender(db, tender_id), [(b, deposit_fen) for b in bidders], clock=clock)
        return
    for bidder in bidders:  # no bank connected: its answers simulated, so that the trade still runs
        row = finance.request_sub_account(
            db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=tender_id, now=clock.now()
        )
        number = f"62229{tender_id:05d}{row.entity_id:06d}"
        finance.record_sub_account(
            db, sub_account=SubAccount(number=number, name=row.name, reference=row.reference), now=clock.now()
        )
        clock.advance(timedelta(minutes=3))
        finance.record_credit(
            db,
            CreditNotice(
                bank_txn_id=f"DEMO-RIGHTS-{next(_serials):06d}", sub_account=number, amount_fen=deposit_fen,
                payer_account=f"2502{row.entity_id:015d}", payer_name=row.name, payer_bank="演示银行",
                booked_at=clock.now(), own_funds=False,
            ),
            now=clock.now(),
        )  # fmt: skip


def _seal_reserve(issued: IssuedCertificate, auction_id: int, reserve_fen: int, now: datetime) -> tuple[bytes, bytes]:
    """The holder seals the reserve as a bid is sealed (decision 0049), with the seller's certificate."""
    key = load_private_key_pem(issued.private_key_pem)
    out = io.BytesIO()
    seal_bid(
        lot_code=reserve.reserve_lot_code(auction_id), suite=issued.certificate.suite,
        summary={"reserve_fen": reserve_fen}, files={}, bidder_certificate_pem=issued.certificate_pem,
        bidder_private_key=key, opening_public_key=issued.certificate.public_key, out=out, now=now,
    )  # fmt: skip
    envelope = out.getvalue()
    return envelope, unwrap_data_key(read_envelope_header(io.BytesIO(envelope)), key, "bidder")


def _bid(db: Session, story: RightsStory, bidder: DemoBidder, auction_id: int, amount_fen: int, now: datetime) -> None:
    placed = auctions.place_bid(
        db, bidder.actor(db, Permission.AUCTION_BID), auction_id=auction_id, amount_fen=amount_fen,
        client_bid_id=f"demo-{auction_id}-{len(story.bids) + 1}", now=now,
    )  # fmt: skip
    story.bids.append({"plate": placed.bid.plate, "amount_fen": amount_fen, "phase": placed.bid.phase})


def _close(db: Session, story: RightsStory, seller: Seller, auction_id: int, data_key: bytes, now: datetime) -> None:
    holder = login.principal_for(db, seller.owner).holding(Permission.AUCTION_RESERVE)
    reserve.open_reserve(db, holder, auction_id=auction_id, data_key=data_key, now=now)
    manager = login.principal_for(db, seller.agent).holding(Permission.AUCTION_MANAGE)
    closed = auctions.close_auction(db, manager, auction_id=auction_id, now=now)
    story.outcome, story.price_fen, story.reserve_fen = (
        closed.outcome or "",
        closed.current_price_fen,
        closed.reserve_fen,
    )
    story.refunds_ordered = sum(1 for row in finance_refunds(db, closed.tender_id))


def finance_refunds(db: Session, tender_id: int) -> list[Any]:

    return refund_orders_of(db, tender_id)


def _schedule(
    db: Session, entry: AuctionRules, notice_at: datetime, *, first: timedelta, length: timedelta, viewing: bool = False
) -> tuple[datetime, datetime, tuple[datetime, datetime] | None]:
    """The earliest bidding start ``first`` after the notice or later, and its end ``length`` after it or later, that
    keep every period of the entry on the working-day calendar (holidays move a period's last day, 民法典 第203条);
    an auction's viewing from the day after the notice to an hour before the bidding."""
    calendar = working_day_calendar(db)
    start, end = notice_at + first, notice_at + first + length
    for _ in range(60):
        shown = (notice_at + timedelta(days=1), start - timedelta(hours=1)) if viewing else None
        faults = schedule_faults(
            entry, calendar,
            Schedule(notice_at=notice_at, bidding_start=start, bidding_end=end,
                     viewing_start=shown[0] if shown else None, viewing_end=shown[1] if shown else None),
        )  # fmt: skip
        if not faults:
            return start, end, shown
        if any(fault.field != "bidding_end" for fault in faults):
            start, end = start + timedelta(days=1), end + timedelta(days=1)
        else:
            end += timedelta(days=1)
    raise AssertionError("no schedule keeps the periods within 60 days")


def run_rights_story(
    db: Session, *, seller: Seller, bidders: list[DemoBidder], deposits: DemoDeposits, clock: FixedClock
) -> list[RightsStory]:
    """The two trades, from ``clock``'s now (at least :data:`RIGHTS_LEAD` before the tender story starts)."""
    start = clock.now()
    manager = login.principal_for(db, seller.agent).holding(Permission.AUCTION_MANAGE)
    holder = login.principal_for(db, seller.owner).holding(Permission.AUCTION_RESERVE)

    # 1. the land listing: 21 days' notice, 10 days' listing, three plates on to timed bidding
    land = RightsStory(title="昆明市五华区原第一中学北校区地块国有建设用地使用权", trade_kind="land", method="listing")
    land_start, land_end, _ = _schedule(db, LISTING, start, first=timedelta(days=21), length=timedelta(days=10))
    start_fen, step_fen, land_deposit = 36_000_000 * YUAN, 200_000 * YUAN, 7_200_000 * YUAN
    land_lot = _project(db, seller, name=land.title, trade_type="land", budget="36000000.00", now=start)
    land.tender_id = _round(db, seller, land_lot, deposit_fen=land_deposit, deadline=land_end, now=start)
    auction = auctions.create_auction(
        db, manager,
        draft=auctions.AuctionDraft(
            tender_id=land.tender_id, trade_kind=TradeKind.LAND, method=Method.LISTING, title=land.title,
            start_price_fen=start_fen, increment_fen=step_fen, bidding_start=land_start, bidding_end=land_end,
            reserve_holder_user_id=seller.owner.id,
        ),
        now=start,
    )  # fmt: skip
    land.auction_id = auction.id
    auctions.publish_auction(db, manager, auction_id=auction.id, now=start)
    envelope, land_key = _seal_reserve(seller.owner_certificate, auction.id, 37_000_000 * YUAN, start)
    reserve.seal_reserve(db, holder, auction_id=auction.id, envelope=envelope, now=start)

    # 2. the property transfer by auction: 7 days' notice (拍卖法 第45条), 2 days' viewing (第48条)
    prop = RightsStory(title="昆明市第一中学校办企业全部国有产权", trade_kind="property", method="auction")
    prop_start, prop_end, viewing = _schedule(
        db, AUCTION, start, first=timedelta(days=8, hours=2), length=timedelta(hours=1), viewing=True
    )
    assert viewing is not None
    prop_fen, prop_step, prop_deposit = 5_000_000 * YUAN, 50_000 * YUAN, 500_000 * YUAN
    prop_lot = _project(db, seller, name=prop.title, trade_type="property", budget="5000000.00", now=start)
    prop.tender_id = _round(db, seller, prop_lot, deposit_fen=prop_deposit, deadline=prop_start, now=start)
    sale = auctions.create_auction(
        db, manager,
        draft=auctions.AuctionDraft(
            tender_id=prop.tender_id, trade_kind=TradeKind.PROPERTY, method=Method.AUCTION, title=prop.title,
            start_price_fen=prop_fen, increment_fen=prop_step, bidding_start=prop_start, bidding_end=prop_end,
            reserve_holder_user_id=seller.owner.id, viewing_start=viewing[0], viewing_end=viewing[1],
        ),
        now=start,
    )  # fmt: skip
    prop.auction_id = sale.id
    auctions.publish_auction(db, manager, auction_id=sale.id, now=start)
    envelope, prop_key = _seal_reserve(seller.owner_certificate, sale.id, 5_600_000 * YUAN, start)
    reserve.seal_reserve(db, holder, auction_id=sale.id, envelope=envelope, now=start)

    # deposits paid, plates given
    clock.advance(timedelta(days=2))
    three, one = bidders[:3], bidders[3:4]
    _pay(db, deposits, land.tender_id, three, land_deposit, clock)
    _pay(db, deposits, prop.tender_id, one, prop_deposit, clock)
    for bidder in three:
        registration = auctions.register_bidder(
            db, bidder.actor(db, Permission.AUCTION_BID), auction_id=auction.id, now=clock.now()
        )
        land.plates.append(registration.plate)
    prop.plates.append(
        auctions.register_bidder(
            db, one[0].actor(db, Permission.AUCTION_BID), auction_id=sale.id, now=clock.now()
        ).plate
    )

    # the property auction: one bid at the start price, below the reserve — it fails (拍卖法 第五十条)
    clock.set(prop_start + timedelta(minutes=10))
    _bid(db, prop, one[0], sale.id, prop_fen, clock.now())
    clock.set(prop_end + timedelta(minutes=5))
    _close(db, prop, seller, sale.id, prop_key, clock.now())
    deposits.refunds(db, clock=clock)

    # the listing: two bids, every plate asks for timed bidding, then the timed phase
    clock.set(land_start + timedelta(days=2))
    _bid(db, land, three[0], auction.id, start_fen, clock.now())
    clock.advance(timedelta(days=3))
    _bid(db, land, three[1], auction.id, start_fen + step_fen, clock.now())
    clock.set(land_end - timedelta(hours=2))
    for bidder in three:
        auctions.request_timed_bidding(db, bidder.actor(db, Permission.AUCTION_BID), auction_id=auction.id,
                                       now=clock.now())  # fmt: skip
    price = start_fen + step_fen
    clock.set(land_end + timedelta(minutes=1))
    for turn in range(6):  # each bid resets the 4 minutes' countdown
        price += step_fen
        _bid(db, land, three[(turn + 2) % 3], auction.id, price, clock.now())
        clock.advance(timedelta(minutes=2))
    clock.advance(timedelta(minutes=5))  # the countdown runs out
    _close(db, land, seller, auction.id, land_key, clock.now())
    sold = state.get_auction(db, auction.id)
    buyer = next(b for b in three if b.user.entity_id == sold.buyer_entity_id)
    signature = load_private_key_pem(buyer.issued.private_key_pem).sign(
        letter.signed_message(auction_id=sold.id, sha256=sold.confirmation_sha256 or "")
    )
    clock.advance(timedelta(minutes=30))
    confirmation.sign_confirmation(
        db, buyer.actor(db, Permission.AUCTION_BID), auction_id=sold.id, certificate_pem=buyer.issued.certificate_pem,
        signature=base64.b64encode(signature).decode(), now=clock.now(),
    )  # fmt: skip
    land.confirmation_signed = True
    deposits.refunds(db, clock=clock)
    return [land, prop]
