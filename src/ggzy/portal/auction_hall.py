"""The live auction hall (拍卖/挂牌竞价大厅, decision 0050): every published rights trade, watchable without logging in.

``/auctions`` lists the published trades; ``/auctions/{auction_id}`` is one hall: the current price and the plate
(号牌) of the highest bid, the countdown to the end by the SERVER's clock (the page and every event carry the
server's time and the end; the browser only ticks it down), a warning in the last minute, the bids by sequence and
the phase. ``/auctions/{auction_id}/events`` streams what follows as Server-Sent Events from the process's one hub
(``ggzy.portal.live_feed``), each with its ledger index as ``id``: a browser that reconnects sends the last one it
saw (``Last-Event-ID``) and resumes exactly after it, nothing lost, nothing twice, in the order the one writer
accepted the bids.

Nothing in the hall names a bidder or counts the registrations (网络司法拍卖规定 第十八条: the bidder known by its
plate, its identity kept secret): it reads the auction's disclosed events only, of which a registration is none.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy.orm import Session

from ggzy.auctions import read, service
from ggzy.auctions.read import AuctionNow
from ggzy.auctions.rules import Phase
from ggzy.core.db import unit_of_work
from ggzy.core.errors import NotFound
from ggzy.core.inputs import BIGINT_MAX, Id
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public
from ggzy.portal.i18n import Language, choose_language, translations
from ggzy.portal.labels import N_
from ggzy.portal.live import (
    AfterIndex,
    HallStream,
    LastEventId,
    event_stream,
    hall_fragment,
    hall_message,
    resume_after,
)
from ggzy.portal.live_feed import HallEvent, hall_events
from ggzy.portal.outcomes import outcome
from ggzy.portal.rendering import PageRoute, render

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)
# what the seller's, a plate's and the centre's release of the deposits answer (decision 0053): one sentence
DEPOSITS_RELEASED = outcome(
    "auction_deposits_released", N_("已下达退还指令：竞价结束即可确定的保证金（最高报价号牌以外）将按期退还。")
)

WARNING_SECONDS = 60  # the hall warns in the last minute of a countdown

KIND_LABELS = {
    "land": N_("国有建设用地使用权"),
    "mining": N_("矿业权"),
    "property": N_("产权"),
    "judicial": N_("司法拍卖"),
}
METHOD_LABELS = {"listing": N_("挂牌"), "auction": N_("拍卖")}
PHASE_LABELS = {
    "notice": N_("公告期"),
    "bidding": N_("挂牌期"),  # an auction's is its bidding (below)
    "timed": N_("限时竞价"),
    "ended": N_("已结束"),
    "sold": N_("成交"),
    "failed": N_("流拍"),
    "suspended": N_("已中止"),  # decision 0052: nothing moves until it resumes
    "draft": N_("未发布"),  # never listed; the seller's own pages may show it
}
AUCTION_BIDDING = N_("竞价期")


def phase_labels(method: str) -> dict[str, str]:
    return PHASE_LABELS | ({"bidding": AUCTION_BIDDING} if method == "auction" else {})


def fragment(item: HallEvent, language: Language) -> str:
    """The HTML of one auction event, in ``language``: what the page shows and what the stream sends."""
    return hall_fragment("auction_event.html", item, language)


def sse_message(item: HallEvent, language: str) -> bytes:
    return hall_message("auction_event.html", item, language)


# The hall page shows this many of the latest bids (every other event of the hall too); a trade with more has the full
# record on its bids page. A late watcher of a rush of thousands of bids gets its page at once, then the stream.
HALL_BIDS_SHOWN = 100
BIDS_PAGE = 500


def hall_context(db: Session, request: Request, auction_id: int, now: datetime) -> dict[str, Any]:
    """What the hall shows, for the public page and for the bidder's (which embeds it)."""
    state = read.auction_now(db, auction_id, now)
    items = hall_events(db, after=-1, auction_id=state.auction.id)
    language = choose_language(request).language
    after = items[-1].index if items else -1
    bids = [item.index for item in items if item.action == "auction.bid_placed"]
    older = set(bids[:-HALL_BIDS_SHOWN]) if len(bids) > HALL_BIDS_SHOWN else set()
    items = [item for item in items if item.index not in older]
    labels = phase_labels(state.auction.method)
    gettext = translations(language).gettext
    return {
        "hall": state,
        "countdown_to": countdown_target(state),
        "phase_label": labels[state.phase.value],
        "phase_labels_json": json.dumps({key: gettext(text) for key, text in labels.items()}, ensure_ascii=False),
        "kind_labels": KIND_LABELS,
        "method_labels": METHOD_LABELS,
        "lines": [fragment(item, language) for item in items],
        "stream": f"/auctions/{state.auction.id}/events?after={after}&lang={language}",
        "warning_seconds": WARNING_SECONDS,
        "bids_total": len(bids),
        "bids_shown": len(bids) - len(older),
    }


def countdown_target(state: AuctionNow) -> datetime | None:
    """The moment the hall counts down to: the bidding's start during the notice, its end while open."""
    if state.phase is Phase.NOTICE:
        return state.auction.bidding_start
    return state.ends_at if state.open_for_bids else None


@router.get("/auctions", summary="Auction hall: the published listings and auctions of rights, the latest first")
def auctions(request: Request, db: DB, _: Public, now: Now) -> HTMLResponse:
    rows = [
        {"auction": auction, "phase": phase_labels(auction.method)[read.phase_of(auction, now).value]}
        for auction in read.published_auctions(db)
    ]
    context = {"active": "auctions", "rows": rows, "kind_labels": KIND_LABELS, "method_labels": METHOD_LABELS}
    return render(request, "auctions.html", context)


@router.get(
    "/auctions/{auction_id}",
    summary="One live auction hall: price, plate of the highest bid, countdown by the server's clock, bids by plate",
    responses=problem_responses(NotFound),
)
def auction_hall(request: Request, auction_id: Id, db: DB, _: Public, now: Now) -> HTMLResponse:
    context = hall_context(db, request, auction_id, now) | {"active": "auctions"}
    return render(request, "auction_hall.html", context)


@router.get(
    "/auctions/{auction_id}/bids",
    summary="Every accepted bid of a trade by plate, in order, 500 a page (网络司法拍卖规定 第20条: shown in full)",
    responses=problem_responses(NotFound),
)
def auction_bids(
    request: Request,
    auction_id: Id,
    db: DB,
    _: Public,
    after: Annotated[int, Query(ge=0, le=BIGINT_MAX, description="The last sequence already shown")] = 0,
) -> HTMLResponse:
    auction = read.published_auction(db, auction_id)
    rows = service.bids_of(db, auction.id, after_sequence=after, limit=BIDS_PAGE)
    more = len(rows) == BIDS_PAGE and rows[-1].sequence < auction.last_sequence
    context = {
        "active": "auctions", "auction": auction, "rows": rows, "after": after,
        "next_after": rows[-1].sequence if more else None,
    }  # fmt: skip
    return render(request, "auction_bids.html", context)


@router.get(
    "/auctions/{auction_id}/events",
    summary="The auction as Server-Sent Events: id = ledger index; resumes after Last-Event-ID or ?after",
    response_class=StreamingResponse,
    response_model=None,  # a HallStream: the events, not a model
    responses={200: {"content": {"text/event-stream": {}}}, **problem_responses(NotFound)},
)
async def auction_events(
    request: Request,
    auction_id: Id,
    _: Public,
    after: AfterIndex = -1,
    last_event_id: LastEventId = None,
) -> HallStream:
    # As the opening hall's: no request-long unit of work, short reads on the executor (ggzy.portal.live).
    factory = request.app.state.session_factory
    await asyncio.to_thread(_check_published, factory, auction_id)
    return event_stream(
        request,
        topic=("auction", auction_id),
        after=resume_after(after, last_event_id),
        history=lambda after: _history(factory, auction_id, after),
        render=sse_message,
        clock_each=True,  # the countdown is resynchronised with every bid
    )


def _check_published(factory: Any, auction_id: int) -> None:
    with unit_of_work(factory, read_only=True) as db:
        read.published_auction(db, auction_id)


def _history(factory: Any, auction_id: int, after: int) -> list[HallEvent]:
    with unit_of_work(factory, read_only=True) as db:
        return hall_events(db, after=after, auction_id=auction_id)
