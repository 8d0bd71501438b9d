"""API of rights trades (decision 0049): the seller creates, publishes and closes; its designated user seals and
opens the reserve; bidders register for a plate and bid; anyone watches the price, the plates and the countdown."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ggzy.auctions import cap, confirmation, errors, reserve, service, state, suspension
from ggzy.auctions.models import Auction, AuctionBid, AuctionRegistration, AuctionSuspension
from ggzy.auctions.rules import Phase
from ggzy.auctions.schemas import (
    AuctionIn,
    AuctionOut,
    BidIn,
    BidOut,
    ConfirmationSignatureIn,
    PlacedBidOut,
    RegistrationOut,
    ReserveIn,
    ReserveKeyIn,
    ResumptionIn,
    SuspensionIn,
    SuspensionOut,
)
from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Id
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.screening import Intercepted
from ggzy.core.web import DB, Now, Public
from ggzy.crypto.errors import (
    CertificateExpired,
    CertificateMalformed,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    DecryptionFailed,
    EnvelopeInvalid,
    SignatureInvalid,
)

router = APIRouter(tags=["auctions"], route_class=PermissionedRoute)

Seller = Annotated[Principal, Depends(require(Permission.AUCTION_MANAGE))]
Holder = Annotated[Principal, Depends(require(Permission.AUCTION_RESERVE))]
Bidder = Annotated[Principal, Depends(require(Permission.AUCTION_BID))]
Suspender = Annotated[Principal, Depends(require(Permission.AUCTION_SUSPEND))]
Drawer = Annotated[Principal, Depends(require(Permission.AUCTION_DRAW))]
Closer = Annotated[Principal, Depends(require(Permission.AUCTION_CLOSE))]
Releaser = Annotated[Principal, Depends(require(Permission.AUCTION_RELEASE))]
PHASE = (errors.AuctionPhaseWrong, errors.AuctionSuspended)


CREATE_REFUSALS = (
    NotFound,
    InvalidInput,
    errors.NoRulesForTrade,
    errors.NotTheSeller,
    errors.RoundNotForRights,
    errors.TradeKindMismatch,
    errors.JudicialSellerNotACourt,
    errors.RoundDepositMissing,
    errors.RoundTaken,
)


def auction_out(auction: Auction, now: datetime) -> AuctionOut:
    return AuctionOut(
        id=auction.id, tender_id=auction.tender_id, trade_kind=auction.trade_kind, method=auction.method,
        rules=auction.rules_key, title=auction.title, status=auction.status, phase=state.phase_of(auction, now),
        start_price_fen=auction.start_price_fen, increment_fen=auction.increment_fen,
        current_price_fen=auction.current_price_fen, current_plate=auction.current_plate,
        last_sequence=auction.last_sequence, bidding_start=auction.bidding_start, bidding_end=auction.bidding_end,
        ends_at=state.bidding_ends_at(auction, now), server_time=now,
        reserve_sealed=auction.reserve_sealed_at is not None, reserve_fen=auction.reserve_fen,
        outcome=auction.outcome, published_at=auction.published_at, suspended_at=auction.suspended_at,
        suspension_reason=auction.suspension_reason, price_cap_fen=auction.price_cap_fen,
        confirmation_sha256=auction.confirmation_sha256, confirmation_signed_at=auction.confirmation_signed_at,
        losers_released_at=auction.losers_released_at,
    )  # fmt: skip


def registration_out(row: AuctionRegistration) -> RegistrationOut:
    return RegistrationOut(
        auction_id=row.auction_id, plate=row.plate, registered_at=row.registered_at, wants_timed=row.wants_timed
    )


def bid_out(row: AuctionBid) -> BidOut:
    return BidOut(
        sequence=row.sequence, plate=row.plate, amount_fen=row.amount_fen, phase=row.phase, placed_at=row.placed_at
    )


def _b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise InvalidInput(field=field, reason_zh="应为 Base64", reason_en="must be base64") from None


def _published(db: DB, auction_id: int, now: datetime) -> Auction:
    auction = state.get_auction(db, auction_id)
    if state.phase_of(auction, now) is Phase.DRAFT:  # a draft is its seller's business only (public reads)
        raise NotFound(field="auction_id", what_zh="拍卖（挂牌）项目", what_en="Auction")
    return auction


@router.post(
    "/auctions",
    status_code=201,
    response_model=AuctionOut,
    summary="Create a draft listing (挂牌) or auction (拍卖) of a right, under its registry entry",
    responses=problem_responses(
        NotFound,
        InvalidInput,
        errors.NoRulesForTrade,
        errors.NotTheSeller,
        errors.RoundNotForRights,
        errors.TradeKindMismatch,
        errors.RoundDepositMissing,
        errors.RoundTaken,
    ),
)
def create(body: AuctionIn, db: DB, actor: Seller, now: Now) -> AuctionOut:
    draft = service.AuctionDraft(**body.model_dump())
    return auction_out(service.create_auction(db, actor, draft=draft, now=now), now)


@router.post(
    "/auctions/{auction_id}/publish",
    response_model=AuctionOut,
    summary="Publish the notice now; the schedule must keep the entry's periods",
    responses=problem_responses(errors.NotTheSeller, errors.ScheduleBreaksRules, *PHASE),
)
def publish(auction_id: Id, db: DB, actor: Seller, now: Now) -> AuctionOut:
    return auction_out(service.publish_auction(db, actor, auction_id=auction_id, now=now), now)


@router.get(
    "/auctions/{auction_id}",
    response_model=AuctionOut,
    summary="The auction by the server's clock (a draft: to its seller only, 404 to anyone else)",
    responses=problem_responses(NotFound),
)
def read(auction_id: Id, db: DB, actor: Public, now: Now) -> AuctionOut:
    return auction_out(state.visible_auction(db, actor, auction_id), now)  # a draft: its seller's only


@router.get(
    "/auctions/{auction_id}/bids",
    response_model=list[BidOut],
    summary="The accepted bids in order, by plate (网络司法拍卖规定 第20条: shown and kept in full)",
)
def bids(
    auction_id: Id,
    db: DB,
    _: Public,
    now: Now,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> list[BidOut]:
    auction = _published(db, auction_id, now)
    return [bid_out(row) for row in service.bids_of(db, auction.id, after_sequence=after, limit=limit)]


@router.post(
    "/auctions/{auction_id}/registrations",
    status_code=201,
    response_model=RegistrationOut,
    summary="Register with a paid deposit and receive a plate (号牌); again, the same plate",
    responses=problem_responses(errors.DepositNotPaid, errors.SellerCannotBid, Intercepted, *PHASE),
)
def register(auction_id: Id, db: DB, actor: Bidder, now: Now) -> RegistrationOut:
    return registration_out(service.register_bidder(db, actor, auction_id=auction_id, now=now))


@router.post(
    "/auctions/{auction_id}/timed-bidding-requests",
    response_model=RegistrationOut,
    summary="Ask, before the listing ends, to go on to timed bidding (限时竞价)",
    responses=problem_responses(errors.NotRegistered, *PHASE),
)
def ask_for_timed_bidding(auction_id: Id, db: DB, actor: Bidder, now: Now) -> RegistrationOut:
    return registration_out(service.request_timed_bidding(db, actor, auction_id=auction_id, now=now))


@router.post(
    "/auctions/{auction_id}/bids",
    status_code=201,
    response_model=PlacedBidOut,
    summary="Bid by plate: at least the current price plus the increment, before the end by the server's clock; "
    "never withdrawn (拍卖法 第36条). The same client_bid_id again is answered with the same bid (200)",
    responses={
        200: {"description": "A replay: the bid made earlier under this client_bid_id", "model": PlacedBidOut},
        **problem_responses(
            errors.NotRegistered,
            errors.NotInTimedBidding,
            errors.BidTooLow,
            errors.BidNotInIncrements,
            errors.BiddingClosed,
            errors.BidReplayDiffers,
            errors.PriceCapExceeded,
            errors.CapAlreadyAccepted,
            errors.DepositNoLongerHeld,
            *PHASE,
        ),
    },
)
def bid(auction_id: Id, body: BidIn, db: DB, actor: Bidder, now: Now, response: Response) -> PlacedBidOut:
    placed = service.place_bid(
        db, actor, auction_id=auction_id, amount_fen=body.amount_fen, client_bid_id=body.client_bid_id, now=now
    )
    if placed.replayed:
        response.status_code = 200
    return PlacedBidOut(**bid_out(placed.bid).model_dump(), replayed=placed.replayed, ends_at=placed.ends_at)


CERTIFICATE = (
    CertificateUntrusted,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateMalformed,
)


@router.put(
    "/auctions/{auction_id}/reserve",
    response_model=AuctionOut,
    summary="The designated holder seals the reserve (保留价, 底价) before the bidding starts (拍卖法 第28条)",
    responses=problem_responses(
        InvalidInput,
        errors.NotTheReserveHolder,
        errors.ReserveNotSealedHere,
        errors.ReserveAlreadySealed,
        errors.ReserveSealingClosed,
        errors.ReserveEnvelopeWrong,
        EnvelopeInvalid,
        SignatureInvalid,
        *CERTIFICATE,
        *PHASE,
    ),
)
def seal_reserve(auction_id: Id, body: ReserveIn, db: DB, actor: Holder, now: Now) -> AuctionOut:
    envelope = _b64(body.envelope, "envelope")
    return auction_out(reserve.seal_reserve(db, actor, auction_id=auction_id, envelope=envelope, now=now), now)


@router.post(
    "/auctions/{auction_id}/reserve/opening",
    response_model=AuctionOut,
    summary="At the end, the holder releases the reserve envelope's data key: the reserve is opened and recorded",
    responses=problem_responses(
        InvalidInput,
        errors.NotTheReserveHolder,
        errors.ReserveNotSealedHere,
        errors.ReserveEnvelopeWrong,
        DecryptionFailed,
        SignatureInvalid,
        EnvelopeInvalid,
        *PHASE,
    ),
)
def open_reserve(auction_id: Id, body: ReserveKeyIn, db: DB, actor: Holder, now: Now) -> AuctionOut:
    data_key = _b64(body.data_key, "data_key")
    return auction_out(reserve.open_reserve(db, actor, auction_id=auction_id, data_key=data_key, now=now), now)


@router.post(
    "/auctions/{auction_id}/close",
    response_model=AuctionOut,
    summary="After the bidding: sold to the highest plate at or above the reserve (拍卖法 第51条), or failed (流拍). "
    "The seller's side; once the other bidders' deposits were due back, the centre's staff too (decision 0053)",
    responses=problem_responses(
        errors.NotTheSeller,
        errors.CloseNotYetForTheCentre,
        errors.ReserveNotOpened,
        errors.CapDrawPending,
        errors.BuyerDepositNoLongerHeld,
        *PHASE,
    ),
)
def close(auction_id: Id, db: DB, actor: Closer, now: Now) -> AuctionOut:
    return auction_out(service.close_auction(db, actor, auction_id=auction_id, now=now), now)


@router.post(
    "/auctions/{auction_id}/deposits/release",
    response_model=AuctionOut,
    summary="Once the bidding has ended, the deposits it decided ordered back without waiting for the close "
    "(网络司法拍卖规定 第23条: counted from the end): every plate's but the highest's (decision 0053)",
    responses=problem_responses(
        errors.NotTheSellerNorBidder, errors.DepositsAlreadyReleased, errors.ReleaseTooEarly, *PHASE
    ),
)
def release_deposits(auction_id: Id, db: DB, actor: Releaser, now: Now) -> AuctionOut:
    return auction_out(service.release_deposits(db, actor, auction_id=auction_id, now=now), now)


# --- decision 0052: suspension and resumption, the price cap's lottery --------------------------------------------


def suspension_out(row: AuctionSuspension) -> SuspensionOut:
    return SuspensionOut(
        auction_id=row.auction_id, ground=row.ground, reason=row.reason, phase=row.phase,
        suspended_at=row.suspended_at, until_start_ms=row.until_start_ms, bidding_left_ms=row.bidding_left_ms,
        timed_left_ms=row.timed_left_ms, resumed_at=row.resumed_at, cause_ended_at=row.cause_ended_at,
    )  # fmt: skip


@router.post(
    "/auctions/{auction_id}/suspension",
    status_code=201,
    response_model=SuspensionOut,
    summary="Suspend the trade (中止; 宁波市条例 第25条, 网络司法拍卖规定 第28条): the centre's staff (in a judicial "
    "sale also the court), with the ground and the published reason; nothing moves until it resumes",
    responses=problem_responses(NotFound, InvalidInput, errors.NotTheCentre, *PHASE),
)
def suspend(auction_id: Id, body: SuspensionIn, db: DB, actor: Suspender, now: Now) -> SuspensionOut:
    row = suspension.suspend_auction(db, actor, auction_id=auction_id, ground=body.ground, reason=body.reason, now=now)
    return suspension_out(row)


@router.post(
    "/auctions/{auction_id}/resumption",
    response_model=SuspensionOut,
    summary="Resume the trade: the time left of each countdown at the suspension is given back from now; a "
    "judicial sale resumed after 5 days of its cause ending is a recorded violation (第28条 第4款)",
    responses=problem_responses(NotFound, InvalidInput, errors.NotTheCentre, errors.NotSuspended),
)
def resume(auction_id: Id, body: ResumptionIn, db: DB, actor: Suspender, now: Now) -> SuspensionOut:
    row = suspension.resume_auction(db, actor, auction_id=auction_id, cause_ended_at=body.cause_ended_at, now=now)
    return suspension_out(row)


@router.get(
    "/auctions/{auction_id}/suspensions",
    response_model=list[SuspensionOut],
    summary="Every suspension and resumption of the trade, with its reason (published: 第28条 第3款)",
)
def suspensions(auction_id: Id, db: DB, _: Public, now: Now) -> list[SuspensionOut]:
    auction = _published(db, auction_id, now)
    return [suspension_out(row) for row in suspension.suspensions_of(db, auction.id)]


@router.post(
    "/auctions/{auction_id}/cap-lottery",
    response_model=AuctionOut,
    summary="After the end, draw by lot among the plates that bid the price cap (最高限价, the centre's rule); the "
    "seed is SHA-256 of the first signed checkpoint covering the last bid and the sorted plates",
    responses=problem_responses(
        NotFound, errors.NotTheCentre, errors.CapDrawNotNeeded, errors.CapDrawSeedNotPublished, *PHASE
    ),
)
def draw_cap_lottery(auction_id: Id, db: DB, actor: Drawer, now: Now) -> AuctionOut:
    return auction_out(cap.draw_cap_lottery(db, actor, auction_id=auction_id, now=now), now)


@router.post(
    "/auctions/{auction_id}/confirmation/signature",
    response_model=AuctionOut,
    summary="The buyer signs the confirmation (成交确认书, 拍卖法 第52条) with its certificate, over "
    "'ggzy auction confirmation v1\\nauction=<id>\\nsha256=<confirmation_sha256>\\n'",
    responses=problem_responses(
        errors.ConfirmationNotReady,
        errors.NotTheBuyer,
        errors.ConfirmationAlreadySigned,
        errors.ConfirmationSignatureWrong,
        *CERTIFICATE,
    ),
)
def sign_confirmation(auction_id: Id, body: ConfirmationSignatureIn, db: DB, actor: Bidder, now: Now) -> AuctionOut:
    signed = confirmation.sign_confirmation(
        db, actor, auction_id=auction_id, certificate_pem=body.certificate_pem, signature=body.signature, now=now
    )
    return auction_out(signed, now)
