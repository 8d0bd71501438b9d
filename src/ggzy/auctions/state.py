"""The auction as every step of the rights trades reads it (decision 0049): found, seen, locked, its rules' entry, its
phase and its end; the event of a step; the refusal of a step in the wrong phase.

One writer per auction: every step that reads and moves the auction's price, sequence or countdown first locks its
row (:func:`_locked`: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every writing transaction already holds the
database's write lock from ``BEGIN IMMEDIATE``, ``ggzy.core.db.make_engine``). Two bids at the same instant are
therefore taken one after the other: the second reads the first's price and is refused with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.auctions import rules
from ggzy.auctions.access import check_seller
from ggzy.auctions.errors import AuctionPhaseWrong, AuctionSuspended
from ggzy.auctions.models import Auction
from ggzy.auctions.rules import AuctionRules, Phase, Status
from ggzy.core.clock import as_utc
from ggzy.core.errors import NotFound
from ggzy.core.events import record_event
from ggzy.core.permissions import Principal
from ggzy.tendering import service as tendering

if TYPE_CHECKING:
    from ggzy.projects.models import Project


def get_auction(db: Session, auction_id: int) -> Auction:
    auction = db.get(Auction, auction_id)
    if auction is None:
        raise NotFound(field="auction_id", what_zh="拍卖（挂牌）项目", what_en="Auction")
    return auction


def entry_of(auction: Auction) -> AuctionRules:
    return rules.rules_by_key(auction.rules_key)


def clocked(auction: Auction) -> rules.Clocked:
    return rules.Clocked(
        status=Status(auction.status), bidding_start=auction.bidding_start, closes_at=auction.closes_at,
        timed_requests=auction.timed_requests, timed_closes_at=auction.timed_closes_at,
        suspended_at=auction.suspended_at,
    )  # fmt: skip


def phase_of(auction: Auction, now: datetime) -> Phase:
    return rules.phase(entry_of(auction), clocked(auction), now)


def bidding_ends_at(auction: Auction, now: datetime) -> datetime:
    return rules.bidding_ends_at(entry_of(auction), clocked(auction), now)


def _not_found() -> NotFound:
    return NotFound(field="auction_id", what_zh="拍卖（挂牌）项目", what_en="Auction")


def _is_seller(actor: Principal | None, project: Project) -> bool:
    """The seller's side: a user of the seller or of its agent (who see a draft; nobody else does)."""
    return actor is not None and actor.entity_id is not None and actor.entity_id in (project.owner_id, project.agent_id)


def _hide_draft(db: Session, actor: Principal | None, auction: Auction) -> None:
    if auction.status == Status.DRAFT.value:
        project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
        if not _is_seller(actor, project):
            raise _not_found()


def visible_auction(db: Session, actor: Principal | None, auction_id: int) -> Auction:
    """The auction as ``actor`` may see it: a draft is its seller's business only, and to anyone else it does not
    exist (404, whatever the action: security review L3)."""
    auction = get_auction(db, auction_id)
    _hide_draft(db, actor, auction)
    return auction


def locked_for(db: Session, actor: Principal, auction_id: int) -> Auction:
    """The auction's row locked, a draft not found but by its seller: for the auctions domain's other modules."""
    return _locked(db, auction_id, actor)


def _locked(db: Session, auction_id: int, actor: Principal | None = None) -> Auction:
    """The auction, its row locked until the transaction ends: the one writer (see the module's docstring). Given
    the ``actor``, a draft is not found unless it is the seller's side (security review L3)."""
    query = select(Auction).where(Auction.id == auction_id).with_for_update()
    auction = db.scalar(query.execution_options(populate_existing=True))
    if auction is None:
        raise _not_found()
    if actor is not None:
        _hide_draft(db, actor, auction)
    return auction


def _seller(db: Session, actor: Principal, auction: Auction) -> Principal:
    project, _ = tendering.project_of(db, tendering.get_tender(db, auction.tender_id))
    return check_seller(actor, project)


def _record(db: Session, actor: Principal, auction: Auction, action: str, payload: dict, now: datetime) -> None:
    record_event(
        db, actor, action=action, subject_type="auction", subject_id=auction.id, centre_id=auction.centre_id,
        payload=payload, now=now,
    )  # fmt: skip


def _wrong_phase(
    auction: Auction, now: datetime, action_zh: str, action_en: str
) -> AuctionPhaseWrong | AuctionSuspended:
    if auction.suspended_at is not None and auction.status == Status.PUBLISHED.value:
        return AuctionSuspended(
            field="auction_id", suspended_since=as_utc(auction.suspended_at).isoformat(timespec="milliseconds"),
            reason=auction.suspension_reason or "", action_zh=action_zh, action_en=action_en,
        )  # fmt: skip
    return AuctionPhaseWrong(
        field="auction_id", phase=phase_of(auction, now).value, action_zh=action_zh, action_en=action_en
    )
