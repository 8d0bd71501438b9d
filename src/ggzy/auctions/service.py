"""Rights trades (decision 0049): create and publish a listing or auction, admit bidders under plate numbers on a paid
deposit, take bids by the one writer, close. The reserve is sealed and opened in :mod:`ggzy.auctions.reserve`; a trade
is suspended and resumed in :mod:`ggzy.auctions.suspension`, its price cap checked and drawn in
:mod:`ggzy.auctions.cap` (decision 0052).

One writer per auction: every step that reads and moves the auction's price, sequence or countdown first locks its
row (:func:`ggzy.auctions.state._locked`: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every writing transaction
already holds the database's write lock from ``BEGIN IMMEDIATE``, ``ggzy.core.db.make_engine``). Two bids at the same
instant are therefore taken one after the other: the second reads the first's price and is refused with it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.auctions import letter, rules
from ggzy.auctions.access import check_may_bid, check_may_close, check_may_release, check_seller
from ggzy.auctions.cap import _check_cap, _check_cap_setting, check_cap_settled, plates_at_cap
from ggzy.auctions.errors import (
    BiddingClosed,
    BidNotInIncrements,
    BidReplayDiffers,
    BidTooLow,
    BuyerDepositNoLongerHeld,
    DepositNoLongerHeld,
    DepositNotPaid,
    DepositsAlreadyReleased,
    JudicialSellerNotACourt,
    NoRulesForTrade,
    NotInTimedBidding,
    NotRegistered,
    ReleaseTooEarly,
    ReserveNotOpened,
    RoundDepositMissing,
    RoundNotForRights,
    RoundTaken,
    ScheduleBreaksRules,
    TradeKindMismatch,
)
from ggzy.auctions.models import Auction, AuctionBid, AuctionRegistration
from ggzy.auctions.rules import AuctionRules, Method, Phase, ReserveRule, Status, TradeKind
from ggzy.auctions.state import _locked, _record, _seller, _wrong_phase, bidding_ends_at, clocked, entry_of, phase_of
from ggzy.core import screening
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import as_utc, to_china_time
from ggzy.core.errors import InvalidInput
from ggzy.core.events import changes_state
from ggzy.core.money import format_yuan
from ggzy.core.permissions import SYSTEM, Principal, Role
from ggzy.core.screening import Checkpoint
from ggzy.core.trade_types import TradeType
from ggzy.entities.service import COURT, find_user, get_entity
from ggzy.finance import refund_triggers
from ggzy.finance import views as deposits
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import RIGHTS, procedure

# 号牌: 8 characters of an alphabet without look-alikes (32⁸ ≈ 10¹²), drawn at random: it says nothing of its bidder
PLATE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PLATE_LENGTH = 8

logger = logging.getLogger(__name__)


# --- creation and publication -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuctionDraft:
    tender_id: int
    trade_kind: TradeKind
    method: Method
    title: str
    start_price_fen: int
    increment_fen: int
    bidding_start: datetime
    bidding_end: datetime
    reserve_holder_user_id: int | None = None
    viewing_start: datetime | None = None
    viewing_end: datetime | None = None
    price_cap_fen: int | None = None  # 最高限价 (decision 0052), where the entry allows one


@changes_state("auction.created")
def create_auction(db: Session, actor: Principal, *, draft: AuctionDraft, now: datetime) -> Auction:
    """A draft listing or auction of the right a round's lot offers, by its seller or the seller's agent. The round
    (``tender_id``) is where the money domain holds the bidders' deposits; the entry of the registry that sells
    ``trade_kind`` by ``method`` gives its rules."""
    tender = tendering.get_tender(db, draft.tender_id)
    project, _ = tendering.project_of(db, tender)
    actor = check_seller(actor, project)
    if tender.procedure != RIGHTS.key:
        chosen = procedure(tender.procedure)
        raise RoundNotForRights(field="tender_id", procedure_zh=chosen.name_zh, procedure_en=chosen.name_en)
    _check_kind(TradeType(project.trade_type), draft.trade_kind)
    if draft.trade_kind is TradeKind.JUDICIAL and (
        actor.acting_role is not Role.OWNER or get_entity(db, project.owner_id).kind != COURT
    ):  # review M4: a judicial sale is the court's own act, not a label, nor an agent's in a court's name
        raise JudicialSellerNotACourt(field="trade_kind")
    if tender.deposit_fen is None:
        raise RoundDepositMissing(field="tender_id")
    taken = db.scalar(select(Auction.id).where(Auction.tender_id == tender.id))
    if taken is not None:
        raise RoundTaken(field="tender_id", auction_id=taken)
    _check_amounts(draft)
    entry = rules.rules_for(draft.trade_kind, draft.method)
    if entry is None:
        choices = ", ".join(e.method.value for e in rules.REGISTRY if draft.trade_kind in e.kinds)
        raise NoRulesForTrade(field="method", kind=draft.trade_kind.value, method=draft.method.value, choices=choices)
    _check_holder(db, entry, project.owner_id, draft.reserve_holder_user_id)
    _check_cap_setting(entry, draft)
    auction = Auction(
        tender_id=tender.id, centre_id=project.centre_id, trade_kind=draft.trade_kind.value,
        method=draft.method.value, rules_key=entry.key, rules_version=entry.version, title=draft.title,
        status=Status.DRAFT.value, start_price_fen=draft.start_price_fen, increment_fen=draft.increment_fen,
        reserve_holder_user_id=draft.reserve_holder_user_id, viewing_start=draft.viewing_start,
        viewing_end=draft.viewing_end, bidding_start=draft.bidding_start, bidding_end=draft.bidding_end,
        closes_at=draft.bidding_end, timed_requests=0, last_sequence=0, created_by=actor.user_id, created_at=now,
        price_cap_fen=draft.price_cap_fen,
    )  # fmt: skip
    try:  # two drafts on one round at the same moment: the unique round decides (migration 0045)
        with db.begin_nested():
            db.add(auction)
            db.flush()
    except IntegrityError:
        taken = db.scalar(select(Auction.id).where(Auction.tender_id == tender.id))
        if taken is None:  # not the unique round: another constraint, which the checks above should have caught
            raise
        raise RoundTaken(field="tender_id", auction_id=taken) from None
    _record(
        db, actor, auction, "auction.created",
        {"tender_id": tender.id, "trade_kind": auction.trade_kind, "method": auction.method, "rules": entry.key,
         "start_price_fen": auction.start_price_fen, "increment_fen": auction.increment_fen}
        | ({"price_cap_fen": draft.price_cap_fen} if draft.price_cap_fen is not None else {}),
        now,
    )  # fmt: skip
    return auction


def _check_amounts(draft: AuctionDraft) -> None:
    """The start price and the increment are at least one fen (the table's CHECKs; review L5: a zero from a form was
    reported as the round taken)."""
    for field, value in (("start_price_fen", draft.start_price_fen), ("increment_fen", draft.increment_fen)):
        if value < 1:
            raise InvalidInput(field=field, reason_zh="须至少为 1 分", reason_en="must be at least 1 fen")


def _check_kind(trade_type: TradeType, kind: TradeKind) -> None:
    """What is sold is what the project registers (decision 0051): a land project's land use right, a mining
    project's mining right, a property project's state-owned property; a judicial sale sells whichever right the
    court seized, so any of the three."""
    allowed = rules.KINDS_OF_TRADE_TYPE.get(trade_type, frozenset())
    if kind not in allowed:
        raise TradeKindMismatch(
            field="trade_kind", trade_type_zh=trade_type.label_zh, trade_type_en=trade_type.label_en.lower(),
            kind=kind.value, choices=", ".join(sorted(k.value for k in allowed)) or "—",
        )  # fmt: skip


def _check_holder(db: Session, entry: AuctionRules, owner_id: int, holder_id: int | None) -> None:
    """A sealed reserve has a holder of the seller's own (拍卖法 第二十八条: the principal sets it); a trade whose
    start price is the reserve has none (网络司法拍卖规定 第十条)."""
    if entry.reserve is ReserveRule.START_PRICE:
        if holder_id is not None:
            raise InvalidInput(
                field="reserve_holder_user_id", reason_zh=f"起拍价即为保留价（{entry.reserve_source}）",
                reason_en=f"the start price is the reserve ({entry.reserve_source})",
            )  # fmt: skip
        return
    holder = find_user(db, holder_id) if holder_id is not None else None
    if holder is None or holder.entity_id != owner_id:
        raise InvalidInput(
            field="reserve_holder_user_id", reason_zh="须为出让人（委托人）本单位的用户",
            reason_en="must be a user of the seller",
        )  # fmt: skip


@changes_state("auction.published")
def publish_auction(db: Session, actor: Principal, *, auction_id: int, now: datetime) -> Auction:
    """Publish the notice now: the schedule must keep every period of the entry (notice before the bidding, the
    listing's length, the viewing, the judicial auction's 24 hours)."""
    auction = _locked(db, auction_id, actor)
    actor = _seller(db, actor, auction)
    if auction.status != Status.DRAFT.value:
        raise _wrong_phase(auction, now, "发布公告", "publish the notice")
    schedule = rules.Schedule(
        notice_at=now, bidding_start=auction.bidding_start, bidding_end=auction.bidding_end,
        viewing_start=auction.viewing_start, viewing_end=auction.viewing_end,
    )  # fmt: skip
    faults = rules.schedule_faults(entry_of(auction), working_day_calendar(db), schedule)
    if faults:
        first = faults[0]
        raise ScheduleBreaksRules(field=first.field, reason_zh=first.reason_zh, reason_en=first.reason_en)
    auction.status = Status.PUBLISHED.value
    auction.published_at = now
    db.flush()
    _record(
        db, actor, auction, "auction.published",
        {"bidding_start": auction.bidding_start.isoformat(), "bidding_end": auction.bidding_end.isoformat(),
         "rules": auction.rules_key, "rules_version": auction.rules_version},
        now,
    )  # fmt: skip
    return auction


# --- bidders -------------------------------------------------------------------------------------------------------


def registration_of(db: Session, *, auction_id: int, entity_id: int) -> AuctionRegistration | None:
    query = select(AuctionRegistration).where(
        AuctionRegistration.auction_id == auction_id, AuctionRegistration.entity_id == entity_id
    )
    return db.scalar(query)


def new_plate() -> str:
    return "".join(secrets.choice(PLATE_ALPHABET) for _ in range(PLATE_LENGTH))


@changes_state("auction.bidder_registered", disclosed=False)
def register_bidder(db: Session, actor: Principal, *, auction_id: int, now: datetime) -> AuctionRegistration:
    """A bidder whose deposit is paid (asked of the money domain) gets its plate, before the bidding ends
    (网络司法拍卖规定 第十八条: qualified once the deposit is confirmed, known by its code, its identity kept secret).
    Asking again returns the same plate and records nothing. The auction's row is locked first, so that the phase
    is read as the one writer leaves it (a registration never races the close)."""
    auction = _locked(db, auction_id, actor)  # a draft: not found but by its seller (security review L3)
    project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
    entity_id = check_may_bid(actor, project)
    existing = registration_of(db, auction_id=auction.id, entity_id=entity_id)
    if existing is not None:
        return existing
    if phase_of(auction, now) not in (Phase.NOTICE, Phase.BIDDING):
        raise _wrong_phase(auction, now, "报名竞买", "register")
    _screen(db, actor, auction, Checkpoint.AUCTION_REGISTRATION, entity_id, now)
    if not deposits.deposit_met(db, tender_id=auction.tender_id, entity_id=entity_id):
        raise DepositNotPaid(field="auction_id")
    registration = None
    while registration is None:  # a plate drawn twice in one auction (one in 10¹² a pair): draw again
        try:
            with db.begin_nested():
                registration = AuctionRegistration(
                    auction_id=auction.id, entity_id=entity_id, user_id=actor.user_id, plate=new_plate(),
                    registered_at=now, wants_timed=False,
                )  # fmt: skip
                db.add(registration)
                db.flush()
        except IntegrityError:
            registration = None
            existing = registration_of(db, auction_id=auction.id, entity_id=entity_id)
            if existing is not None:  # the same bidder, at the same moment: its plate
                return existing
    _record(db, actor, auction, "auction.bidder_registered", {"plate": registration.plate}, now)
    return registration


def _screen(
    db: Session, actor: Principal, auction: Auction, checkpoint: Checkpoint, entity_id: int, now: datetime
) -> None:
    """信用拦截 (decision 0040) at a rights trade's registration and at each bid (a restriction decided after the plate
    was given bars the bids that follow, as a tender's bid is screened at its submission). The rights trades are no
    one procurement law's: a restriction of every trade bars (``law=None``). The interception names the trade's
    round (one auction per round, decision 0051), so that the supervisors of its project's jurisdiction count it."""
    screening.screen_entity(
        db, actor, checkpoint=checkpoint, entity_id=entity_id, law=None, subject_type="tender",
        subject_id=auction.tender_id, now=now,
    )  # fmt: skip


def _registration(
    db: Session, actor: Principal, auction: Auction, action_zh: str, action_en: str
) -> AuctionRegistration:
    registration = (
        registration_of(db, auction_id=auction.id, entity_id=actor.entity_id) if actor.entity_id is not None else None
    )
    if registration is None:
        raise NotRegistered(field="auction_id", action_zh=action_zh, action_en=action_en)
    return registration


@changes_state("auction.timed_bidding_requested", disclosed=False)  # who goes on, and how many, kept until the end
def request_timed_bidding(db: Session, actor: Principal, *, auction_id: int, now: datetime) -> AuctionRegistration:
    """A plate asks, before the listing ends, to go on to timed bidding (限时竞价) if others do too. Asking again
    changes nothing."""
    auction = _locked(db, auction_id, actor)
    registration = _registration(db, actor, auction, "要求限时竞价", "ask for timed bidding")
    if entry_of(auction).timed is None or phase_of(auction, now) is not Phase.BIDDING:
        raise _wrong_phase(auction, now, "要求限时竞价", "ask for timed bidding")
    if registration.wants_timed:
        return registration
    registration.wants_timed = True
    auction.timed_requests += 1
    db.flush()
    _record(db, actor, auction, "auction.timed_bidding_requested", {"plate": registration.plate}, now)
    return registration


# --- bids ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedBid:
    bid: AuctionBid
    replayed: bool  # the same client bid id again: the bid it already made, nothing new recorded
    ends_at: datetime  # the bidding's end after this bid, by the server's clock


def _replay(db: Session, registration: AuctionRegistration, client_bid_id: str) -> AuctionBid | None:
    query = select(AuctionBid).where(
        AuctionBid.registration_id == registration.id, AuctionBid.client_bid_id == client_bid_id
    )
    return db.scalar(query)


def _check_amount(auction: Auction, amount_fen: int) -> None:
    minimum = rules.lowest_acceptable(
        start_fen=auction.start_price_fen, increment_fen=auction.increment_fen, current_fen=auction.current_price_fen
    )
    if amount_fen < minimum:
        raise BidTooLow(
            field="amount_fen", minimum_yuan=format_yuan(minimum), current_price_fen=auction.current_price_fen,
            current_yuan="—" if auction.current_price_fen is None else format_yuan(auction.current_price_fen),
            increment_yuan=format_yuan(auction.increment_fen), minimum_fen=minimum,
        )  # fmt: skip
    if (amount_fen - auction.start_price_fen) % auction.increment_fen:
        raise BidNotInIncrements(field="amount_fen", increment_yuan=format_yuan(auction.increment_fen))


@changes_state("auction.bid_placed")
def place_bid(
    db: Session, actor: Principal, *, auction_id: int, amount_fen: int, client_bid_id: str, now: datetime
) -> PlacedBid:
    """A plate bids ``amount_fen``: at least the start price first, then the current price plus the increment, in
    whole increments; before the bidding's end by the server's clock (a bid one millisecond late is refused with the
    server's time); never withdrawn (拍卖法 第三十六条). A bid in a countdown's last minutes moves its end
    (网络司法拍卖规定 第二十条; the timed bidding's reset). The same ``client_bid_id`` again is answered with the bid it
    made; with another amount, refused."""
    auction = _locked(db, auction_id, actor)  # the one writer, before anything is read
    registration = _registration(db, actor, auction, "报价", "bid")
    earlier = _replay(db, registration, client_bid_id)
    if earlier is not None:
        if earlier.amount_fen != amount_fen:
            raise BidReplayDiffers(
                field="client_bid_id", client_bid_id=client_bid_id, amount_yuan=format_yuan(earlier.amount_fen)
            )
        return PlacedBid(bid=earlier, replayed=True, ends_at=bidding_ends_at(auction, now))
    entry, state = entry_of(auction), clocked(auction)
    current = rules.phase(entry, state, now)
    if current in (Phase.ENDED, Phase.SOLD, Phase.FAILED) or auction.losers_released_at is not None:
        ended = rules.timed_end(entry, state) or auction.closes_at
        raise BiddingClosed(
            field="auction_id", closes_at=as_utc(ended).isoformat(timespec="milliseconds"),
            server_time=as_utc(now).isoformat(timespec="milliseconds"),
        )  # fmt: skip
    if current not in (Phase.BIDDING, Phase.TIMED):
        raise _wrong_phase(auction, now, "报价", "bid")
    if current is Phase.TIMED and not registration.wants_timed:
        raise NotInTimedBidding(field="auction_id")
    verdict = _check_cap(entry, auction, amount_fen, db=db, registration=registration)
    if verdict is not rules.CapVerdict.ACCEPTS:
        _check_amount(auction, amount_fen)
    if deposits.deposit_refunded(db, tender_id=auction.tender_id, entity_id=registration.entity_id):
        raise DepositNoLongerHeld(field="auction_id", action_zh="报价", action_en="bid")  # review M1
    _screen(db, actor, auction, Checkpoint.AUCTION_BID, registration.entity_id, now)  # restricted since its plate
    auction.last_sequence += 1
    bid = AuctionBid(
        auction_id=auction.id, registration_id=registration.id, plate=registration.plate, amount_fen=amount_fen,
        sequence=auction.last_sequence, phase=current.value, placed_at=now, client_bid_id=client_bid_id,
    )  # fmt: skip
    db.add(bid)
    if verdict is rules.CapVerdict.ACCEPTS:  # at the cap already: the price and the countdowns stay (decision 0052)
        pass
    elif current is Phase.TIMED:
        assert entry.timed is not None
        auction.current_price_fen, auction.current_plate = amount_fen, registration.plate
        ends = rules.timed_end(entry, state)
        assert ends is not None
        auction.timed_closes_at = entry.timed.countdown.end_after(ends, now)
    else:
        auction.current_price_fen, auction.current_plate = amount_fen, registration.plate
        if entry.extension is not None:
            auction.closes_at = entry.extension.end_after(auction.closes_at, now)
    db.flush()
    ends_at = bidding_ends_at(auction, now)
    _record(
        db, actor, auction, "auction.bid_placed",
        {"plate": bid.plate, "amount_fen": amount_fen, "sequence": bid.sequence, "phase": bid.phase,
         "ends_at": ends_at.isoformat(), "cap_acceptance": verdict is rules.CapVerdict.ACCEPTS},
        now,
    )  # fmt: skip
    return PlacedBid(bid=bid, replayed=False, ends_at=ends_at)


def bids_of(db: Session, auction_id: int, *, after_sequence: int = 0, limit: int = 500) -> list[AuctionBid]:
    query = (
        select(AuctionBid)
        .where(AuctionBid.auction_id == auction_id, AuctionBid.sequence > after_sequence)
        .order_by(AuctionBid.sequence)
        .limit(limit)
    )
    return list(db.scalars(query))


# --- the close -----------------------------------------------------------------------------------------------------


def losers_due(db: Session, auction: Auction) -> tuple[rules.LosersRefund, date]:
    """The rule of the other bidders' deposits and its last day, counted from the end of the bidding."""
    refund = entry_of(auction).losers_refund
    ended = rules.bidding_ended_at(entry_of(auction), clocked(auction))
    return refund, refund.due_on(working_day_calendar(db), ended)


def _undecided(db: Session, auction: Auction) -> set[str]:
    """The plates whose deposits the end of the bidding does not decide: the highest bid's (its plate buys if the
    reserve is reached) and, at a reached price cap, every plate that accepted it (the draw picks among them)."""
    return set(plates_at_cap(db, auction)) | ({auction.current_plate} if auction.current_plate else set())


def _entities_of(db: Session, auction: Auction, plates: set[str]) -> set[int]:
    if not plates:
        return set()
    query = select(AuctionRegistration.entity_id).where(
        AuctionRegistration.auction_id == auction.id, AuctionRegistration.plate.in_(plates)
    )
    return set(db.scalars(query))


@changes_state("auction.deposits_released")
def release_deposits(db: Session, actor: Principal, *, auction_id: int, now: datetime) -> Auction:
    """The deposits the end of the bidding decided, ordered back without waiting for the close (decision 0053):
    网络司法拍卖规定 第二十三条 counts the other bidders' 24 hours from the end of the bidding (竞价程序结束后), and the
    centre's rules count their days from it too; a seller that never closed used to hold them all. Once the bidding
    has ended, the seller's side, the centre's staff or any plate of the trade may order them: every deposit but the
    highest plate's (and, at a reached price cap, those of the plates that accepted it). The close orders the rest."""
    auction = _locked(db, auction_id, actor)
    project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
    plate_holder = actor.entity_id is not None and (
        registration_of(db, auction_id=auction.id, entity_id=actor.entity_id) is not None
    )
    actor = check_may_release(actor, project, centre_id=auction.centre_id, plate_holder=plate_holder)
    if phase_of(auction, now) is not Phase.ENDED:
        raise _wrong_phase(auction, now, "退还未竞得人的保证金", "release the other bidders' deposits")
    if auction.losers_released_at is not None:
        raise DepositsAlreadyReleased(field="auction_id", released_at=_china(auction.losers_released_at))
    release_from = _release_from(auction)
    if now < release_from:
        raise ReleaseTooEarly(field="auction_id", release_from=_china(release_from, seconds=True))
    _release(db, actor, auction, now)
    return auction


def release_ended(db: Session, *, now: datetime, limit: int = 100) -> list[int]:
    """The platform's own beat (decision 0053): every trade whose bidding has ended, not suspended, not closed and
    not yet released has the deposits its end decided ordered back, by the platform, so that the other bidders'
    24 hours (规定 第二十三条) or the centre's days run out for no one's want of a click. The auctions released."""
    query = (
        select(Auction)
        .where(
            Auction.status == Status.PUBLISHED.value, Auction.losers_released_at.is_(None),
            Auction.suspended_at.is_(None), Auction.closes_at <= now,
        )
        .order_by(Auction.id)
        .limit(limit)
    )  # fmt: skip
    released = []
    for candidate in db.scalars(query).all():
        auction = _locked(db, candidate.id)  # the one writer: a bid or a close in between is seen
        if auction.losers_released_at is not None or phase_of(auction, now) is not Phase.ENDED:
            continue
        if now < _release_from(auction):
            continue
        try:
            with db.begin_nested():  # one trade that cannot be released stops no other (security review M2)
                _release(db, SYSTEM, auction, now)
        except Exception:
            logger.exception("the deposits of auction %s could not be released; the next beat tries again", auction.id)
            continue
        released.append(auction.id)
    return released


# A bid sent before the end may still be on its way to the one writer (its time is its receipt's, review L11): the
# deposits the end decided are released only this long after it, and a bid never lands after a release (review M1).
RELEASE_GRACE = timedelta(minutes=1)


def _release_from(auction: Auction) -> datetime:
    return rules.bidding_ended_at(entry_of(auction), clocked(auction)) + RELEASE_GRACE


def _release(db: Session, actor: Principal, auction: Auction, now: datetime) -> None:
    kept = _undecided(db, auction)
    refund, due_on = losers_due(db, auction)
    auction.losers_released_at = now
    db.flush()
    refund_triggers.refund_round(
        db, tender_id=auction.tender_id, keep_entity_ids=_entities_of(db, auction, kept), article=refund.source,
        period=refund.period, due_on=due_on, now=now,
    )  # fmt: skip
    _record(  # no count of the deposits: it would count every depositor, plates or not (each refund is finance's)
        db, actor, auction, "auction.deposits_released",
        {"kept_plates": sorted(kept), "deposits_due_on": due_on.isoformat(), "refund_source": refund.source},
        now,
    )  # fmt: skip


def _china(moment: datetime, *, seconds: bool = False) -> str:
    return to_china_time(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


@changes_state("auction.closed")
def close_auction(db: Session, actor: Principal, *, auction_id: int, now: datetime) -> Auction:
    """Once the bidding has ended: the highest bid sells if it reaches the reserve (拍卖法 第五十一条: confirmed, the
    sale is made; 第五十条: below the reserve it has no effect); no bid, or below the reserve, the trade fails.

    The seller's side closes; once the other bidders' deposits were due back (decision 0053), the centre's staff may
    close instead. A reserve still sealed then was not opened in its time by the seller's own holder: the highest bid
    cannot be shown to reach it, so it has no effect (第五十条) and the trade fails: every deposit goes back."""
    auction = _locked(db, auction_id, actor)
    refund, due_on = losers_due(db, auction)
    project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
    overdue = rules.china_day(now) > due_on
    actor = check_may_close(actor, project, centre_id=auction.centre_id, due_on=due_on, overdue=overdue)
    by_centre = actor.acting_role is Role.CENTRE_STAFF
    if phase_of(auction, now) is not Phase.ENDED:
        raise _wrong_phase(auction, now, "确认成交结果", "close the auction")
    reserve_unopened = auction.reserve_sealed_at is not None and auction.reserve_opened_at is None
    if reserve_unopened and not by_centre:
        raise ReserveNotOpened(field="auction_id")
    check_cap_settled(db, auction)
    result = (
        rules.Outcome.RESERVE_UNOPENED
        if reserve_unopened
        else rules.outcome(highest_fen=auction.current_price_fen, reserve_fen=auction.reserve_fen)
    )
    buyer = _buyer(db, auction) if result is rules.Outcome.SOLD else None
    if buyer is not None and deposits.deposit_refunded(db, tender_id=auction.tender_id, entity_id=buyer.entity_id):
        raise BuyerDepositNoLongerHeld(field="auction_id")  # review M4: no sale without the deposit it sets off
    auction.status = (Status.SOLD if result is rules.Outcome.SOLD else Status.FAILED).value
    auction.outcome, auction.closed_at = result.value, now
    if buyer is not None:  # the confirmation (成交确认书, 拍卖法 第五十二条), to be signed by the buyer
        auction.buyer_entity_id = buyer.entity_id
        auction.confirmation_text = letter.confirmation_text(_sale(db, auction, buyer.entity_id, now))
        auction.confirmation_sha256 = letter.digest(auction.confirmation_text)
    db.flush()
    _record(
        db, actor, auction, "auction.closed",
        {"outcome": result.value, "plate": auction.current_plate, "price_fen": auction.current_price_fen,
         "reserve_fen": auction.reserve_fen, "deposits_due_on": due_on.isoformat(), "refund_source": refund.source,
         "closed_by": "centre" if by_centre else "seller", "reserve_unopened": reserve_unopened,
         **({"confirmation_sha256": auction.confirmation_sha256} if buyer is not None else {})},
        now,
    )  # fmt: skip
    # the other bidders' deposits (all of them when it failed) ordered back through finance, those released at the
    # end already not again; the buyer's kept, to be set against the price (网络司法拍卖规定 第二十三条: 可以充抵价款)
    refund_triggers.refund_round(
        db, tender_id=auction.tender_id, keep_entity_ids={buyer.entity_id} if buyer is not None else set(),
        article=refund.source, period=refund.period, due_on=due_on, now=now,
    )  # fmt: skip
    return auction


def _sale(db: Session, auction: Auction, buyer_id: int, now: datetime) -> letter.Sale:
    tender = tendering.get_tender(db, auction.tender_id)
    project, _ = tendering.project_of(db, tender)
    seller, buyer = get_entity(db, project.owner_id), get_entity(db, buyer_id)
    assert auction.current_price_fen is not None
    assert auction.current_plate is not None
    return letter.Sale(
        auction_id=auction.id, title=auction.title, rules_name=entry_of(auction).name_zh,
        judicial=auction.trade_kind == TradeKind.JUDICIAL.value, seller=seller.name, seller_code=seller.credit_code,
        buyer=buyer.name, buyer_code=buyer.credit_code, plate=auction.current_plate,
        price_fen=auction.current_price_fen, deposit_fen=tender.deposit_fen, closed_at=now,
    )  # fmt: skip


def _buyer(db: Session, auction: Auction) -> AuctionRegistration:
    query = select(AuctionRegistration).where(
        AuctionRegistration.auction_id == auction.id, AuctionRegistration.plate == auction.current_plate
    )
    buyer = db.scalar(query)
    assert buyer is not None  # the highest bid's plate is a registration of this auction
    return buyer


def auctions_of_rounds(db: Session, tender_ids: list[int]) -> dict[int, Auction]:
    """The auction of each of these rounds that has one (one per round), by round: for the seller's pages."""
    if not tender_ids:
        return {}
    return {row.tender_id: row for row in db.scalars(select(Auction).where(Auction.tender_id.in_(tender_ids)))}
