"""The halt the auctions domain puts on a rights trade's deposit round (decision 0051), registered with the lifecycle
(:mod:`ggzy.tendering.lifecycle`) by the composition root: while the round's auction is published and not closed the
round cannot be terminated (its termination orders every deposit back, the plates' included: security review M4)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from ggzy.auctions.models import Auction
from ggzy.auctions.rules import Status
from ggzy.tendering.lifecycle import Halt, LifecycleRefusal, TenderColumn, register_halt
from ggzy.tendering.stages import Step


class AuctionUnderway(LifecycleRefusal):
    code = "tender_auction_underway"
    message_zh = "本轮次的拍卖（挂牌）已发布且尚未结束：须先结束该拍卖（挂牌），不能{action_zh}"
    message_en = (
        "The round's listing or auction is published and not closed: close it first; the round cannot {action_en}"
    )


def underway(tender_id: TenderColumn) -> ColumnElement[bool]:
    """The round's auction is published and not closed (sold or failed): the halt's SQL."""
    return exists().where(Auction.tender_id == tender_id, Auction.status == Status.PUBLISHED.value)


AUCTION_UNDERWAY = Halt(
    key="auction_underway", steps=frozenset({Step.TERMINATE}), refusal=AuctionUnderway, sql=underway
)


def register() -> None:
    register_halt(AUCTION_UNDERWAY)
