"""Tables of rights trades (decision 0049): an auction or listing, its bidders' registrations under plate numbers
(号牌), and its bids. Money in integer 分; times in UTC from the injectable clock.

The auction row is the one writer's lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's writers take the database's
write lock at BEGIN): every bid reads and moves the current price, the sequence and the countdown here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class Auction(Base):
    """One listing or auction of one right. Its deposits are those of its ``tender_id``: the round under which the
    money domain holds the bidders' deposit sub-accounts (decision 0031), whose deadline is the deposit deadline."""

    __tablename__ = "auctions"
    __table_args__ = (
        CheckConstraint("start_price_fen > 0", name="start_price_positive"),
        CheckConstraint("increment_fen > 0", name="increment_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # one auction per deposit round (review M1, migration 0045)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True, unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    trade_kind: Mapped[str] = mapped_column(String(16))  # rules.TradeKind
    method: Mapped[str] = mapped_column(String(16))  # rules.Method
    rules_key: Mapped[str] = mapped_column(String(32))  # the registry entry
    rules_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), index=True)  # rules.Status
    start_price_fen: Mapped[int] = mapped_column(BigInteger)
    increment_fen: Mapped[int] = mapped_column(BigInteger)
    reserve_holder_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the sealed reserve: the envelope's signed header and its ciphertext, the ciphertext's SHA-256 (as a bid's)
    reserve_header: Mapped[str | None] = mapped_column(Text)
    reserve_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    reserve_sha256: Mapped[str | None] = mapped_column(String(64))
    reserve_sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reserve_fen: Mapped[int | None] = mapped_column(BigInteger)  # once opened at the end
    reserve_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    viewing_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    viewing_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bidding_start: Mapped[datetime] = mapped_column(UTCDateTime)
    bidding_end: Mapped[datetime] = mapped_column(UTCDateTime)  # as published
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the bidding's end, extensions included
    timed_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the timed phase's, once a bid reset it
    timed_requests: Mapped[int] = mapped_column(Integer, default=0)
    current_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    current_plate: Mapped[str | None] = mapped_column(String(16))
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the deposits the end of the bidding decided, ordered back before the close (decision 0053, migration 0047)
    losers_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # rules.Outcome, at the close
    # the sale's confirmation (成交确认书, 拍卖法 第52条; decision 0051, migration 0045): made at the close, its
    # buyer named, signed online by the buyer with its certificate over the text's SHA-256
    buyer_entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    confirmation_text: Mapped[str | None] = mapped_column(Text)
    confirmation_sha256: Mapped[str | None] = mapped_column(String(64))
    confirmation_signature: Mapped[str | None] = mapped_column(Text)  # base64
    confirmation_certificate: Mapped[str | None] = mapped_column(Text)  # PEM
    confirmation_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # decision 0052: while suspended (中止) the phase is "suspended" whatever the clock says; the reason is the
    # refusal's; the history is in auction_suspensions
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # decision 0052: 最高限价 (None: no cap), and when the plates at the cap were separated by lot
    price_cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    cap_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuctionSuspension(Base):
    """One suspension (中止/暂缓) and its resumption: the ground and the reason, who and when, what was left of each
    countdown at the suspension (milliseconds) and the ends given back at the resumption."""

    __tablename__ = "auction_suspensions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id"), index=True)
    ground: Mapped[str] = mapped_column(String(32))  # rules.SuspensionGround
    reason: Mapped[str] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(16))  # the phase it interrupted
    suspended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    suspended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    until_start_ms: Mapped[int | None] = mapped_column(BigInteger)
    bidding_left_ms: Mapped[int | None] = mapped_column(BigInteger)
    timed_left_ms: Mapped[int | None] = mapped_column(BigInteger)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resumed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cause_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuctionRegistration(Base):
    """A bidder admitted to an auction (its deposit paid), known to the others only by its plate (号牌)."""

    __tablename__ = "auction_registrations"
    __table_args__ = (UniqueConstraint("auction_id", "entity_id"), UniqueConstraint("auction_id", "plate"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    plate: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wants_timed: Mapped[bool] = mapped_column(Boolean, default=False)  # asked to go on to timed bidding


class AuctionBid(Base):
    """A bid accepted (a refused one leaves no row): never withdrawn (拍卖法 第36条), numbered in the order the one
    writer accepted it."""

    __tablename__ = "auction_bids"
    __table_args__ = (
        UniqueConstraint("auction_id", "sequence"),
        UniqueConstraint("registration_id", "client_bid_id"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("auction_registrations.id"), index=True)
    plate: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    sequence: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(16))  # rules.Phase: bidding or timed
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    client_bid_id: Mapped[str] = mapped_column(String(64))
