"""API shapes of rights trades (decision 0049). Amounts in integer 分; times in UTC (ISO 8601 with offset)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ggzy.auctions.rules import Method, Phase, SuspensionGround, TradeKind
from ggzy.core.inputs import Ascii, Id, Moment, Name, Text

MAX_FEN = 10**15  # ten trillion yuan: beyond any trade, within a 64-bit column


class AuctionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tender_id: Id = Field(description="The round whose deposits the bidders pay (the money domain holds them)")
    trade_kind: TradeKind
    method: Method
    title: Name = Field(min_length=2, max_length=300)
    start_price_fen: int = Field(ge=1, le=MAX_FEN, description="起始价 (起拍价), 分")
    increment_fen: int = Field(ge=1, le=MAX_FEN, description="加价幅度, 分")
    bidding_start: Moment
    bidding_end: Moment = Field(description="The end of the listing, or of the auction's bidding before extensions")
    reserve_holder_user_id: Id | None = Field(
        default=None, description="The seller's user who seals the reserve (none where the start price is the reserve)"
    )
    viewing_start: Moment | None = None
    viewing_end: Moment | None = None
    price_cap_fen: int | None = Field(
        default=None, ge=1, le=MAX_FEN, description="最高限价, 分 (decision 0052): where the rules allow a cap"
    )


class AuctionOut(BaseModel):
    id: int
    tender_id: int
    trade_kind: str
    method: str
    rules: str
    title: str
    status: str
    phase: Phase
    start_price_fen: int
    increment_fen: int
    current_price_fen: int | None
    current_plate: str | None
    last_sequence: int
    bidding_start: datetime
    bidding_end: datetime
    ends_at: datetime = Field(description="The end of the bidding now under way, by the server's clock")
    server_time: datetime
    reserve_sealed: bool
    reserve_fen: int | None = Field(description="Only once opened at the end")
    outcome: str | None
    published_at: datetime | None
    suspended_at: datetime | None = Field(default=None, description="Since when the trade is suspended (中止)")
    suspension_reason: str | None = None
    price_cap_fen: int | None = Field(default=None, description="最高限价, 分")
    confirmation_sha256: str | None = None  # the sale's confirmation (成交确认书), once sold
    confirmation_signed_at: datetime | None = None
    losers_released_at: datetime | None = Field(
        default=None, description="When the deposits the end of the bidding decided were ordered back (decision 0053)"
    )


class RegistrationOut(BaseModel):
    auction_id: int
    plate: str = Field(description="号牌: how the others know this bidder")
    registered_at: datetime
    wants_timed: bool


class BidIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount_fen: int = Field(ge=1, le=MAX_FEN)
    client_bid_id: Ascii = Field(
        min_length=1,
        max_length=64,
        description="The client's id of this bid: sent again, it is answered with the same bid",
    )


class BidOut(BaseModel):
    sequence: int
    plate: str
    amount_fen: int
    phase: str
    placed_at: datetime


class PlacedBidOut(BidOut):
    replayed: bool
    ends_at: datetime


class ReserveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    envelope: Ascii = Field(max_length=200_000, description="Base64 of the sealed envelope (ggzy-sealed-bid/v1)")


class ReserveKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    data_key: Ascii = Field(max_length=200, description="Base64 data key, unwrapped with the holder's own key")


class SuspensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ground: SuspensionGround = Field(description="The ground in the law (宁波市条例 第25条; 网络司法拍卖规定 第28条)")
    reason: Text = Field(min_length=2, max_length=1000, description="The reason, published (第28条 第3款)")


class ResumptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause_ended_at: Moment | None = Field(
        default=None,
        description="When the postponement expired or the cause ended (a judicial sale resumes within 5 days of it)",
    )


class SuspensionOut(BaseModel):
    auction_id: int
    ground: str
    reason: str
    phase: str = Field(description="The phase it interrupted")
    suspended_at: datetime
    until_start_ms: int | None
    bidding_left_ms: int | None = Field(description="What was left of the bidding (listing) at the suspension")
    timed_left_ms: int | None = Field(description="What was left of the timed phase at the suspension")
    resumed_at: datetime | None
    cause_ended_at: datetime | None


class ConfirmationSignatureIn(BaseModel):
    """The buyer's signature of the confirmation (decision 0051)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    certificate_pem: Ascii = Field(max_length=20_000, description="The buyer's certificate (PEM)")
    signature: Ascii = Field(max_length=2_000, description="Base64 signature of the confirmation's message")
