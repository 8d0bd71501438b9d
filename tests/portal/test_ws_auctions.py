"""The seller's pages of rights trades (decision 0051): a draft on a deposit round, published after asking, the
reserve's state, the close after asking, the outcome and the confirmation's link; a refusal inline with its code."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.auctions.models import Auction
from ggzy.core.clock import FixedClock, to_china_time
from tests.auctions.support import LISTING_END, LISTING_START, START, Trade, bid, registered, rights_round
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code


def _local(moment) -> str:  # type: ignore[no-untyped-def]
    return to_china_time(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_seller_drafts_publishes_and_closes_a_listing_on_the_pages(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, setup = rights_round(db)
    browser_login(client, db, setup["agent_user"])
    assert 'href="/workspace/auctions"' in client.get("/workspace").text  # the menu leads the seller there
    token = csrf_from(client, "/workspace/auctions")
    form = {
        "csrf_token": token, "tender_id": str(tender.id), "trade_kind": "mining", "method": "listing",
        "title": "某宗地挂牌", "start_price": "1000000.00", "increment": "10000",
        "bidding_start": _local(LISTING_START), "bidding_end": _local(LISTING_END),
        "reserve_holder_user_id": str(setup["owner_user"].id),
    }  # fmt: skip
    refused = client.post("/workspace/auctions", data=form)  # a land project sells no mining right
    assert (refused.status_code, problem_code(refused)) == (422, "auction_trade_kind_mismatch")
    assert db.scalar(select(Auction).where(Auction.tender_id == tender.id)) is None
    created = client.post("/workspace/auctions", data=form | {"trade_kind": "land"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    assert outcome_code(created) == "auction_drafted"
    page = created.headers["location"]
    draft = client.get(page).text
    assert 'data-confirm="确认发布公告？' in draft
    assert "尚未录入" in draft  # the reserve: what its holder does
    published = client.post(f"{page}/publish", data={"csrf_token": token}, follow_redirects=False)
    assert (published.status_code, outcome_code(published)) == (303, "auction_published")
    auction = db.scalar(select(Auction).where(Auction.tender_id == tender.id))
    assert auction is not None
    trade = Trade(
        auction=auction, tender=tender, seller=None, holder=None, holder_user=setup["owner_user"], setup=setup
    )  # type: ignore[arg-type]
    (bidder,) = registered(db, trade, 1)
    bid(db, trade, bidder, START, LISTING_START + timedelta(days=1))
    clock.set(LISTING_END + timedelta(minutes=1))
    ended = client.get(page).text
    assert 'data-confirm="确认成交结果？' in ended
    assert 'data-confirm="确认发出退还指令？' in ended  # the deposits the end decided, before the close (0053)
    released = client.post(f"{page}/deposits/release", data={"csrf_token": token}, follow_redirects=False)
    assert (released.status_code, outcome_code(released)) == (303, "auction_deposits_released")
    assert 'id="deposits-released"' in client.get(page).text
    closed = client.post(f"{page}/close", data={"csrf_token": token}, follow_redirects=False)
    assert (closed.status_code, outcome_code(closed)) == (303, "auction_closed")
    result = client.get(page).text
    assert f"/api/v1/documents/auctions/{auction.id}/confirmation.pdf" in result
    assert "1,000,000.00" in result


def test_a_court_suspends_and_resumes_its_judicial_sale_on_its_own_page_article_28(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    """网络司法拍卖规定 第二十八条: the court may suspend its own sale itself; it does so from its trade's page (the
    centre's pages list the centre's trades only). A land listing's seller has no such form, and its post is refused
    with nothing written."""
    from ggzy.auctions.models import AuctionSuspension
    from ggzy.auctions.rules import Method, TradeKind
    from tests.auctions.support import make_trade

    judicial = make_trade(db, kind=TradeKind.JUDICIAL, method=Method.AUCTION)
    page = f"/workspace/auctions/{judicial.auction.id}"
    browser_login(client, db, judicial.holder_user)  # the court's user
    token = csrf_from(client, page)
    shown = client.get(page).text
    assert 'id="suspend-form"' in shown
    assert f'action="{page}/suspension"' in shown
    assert 'data-confirm="确认中止交易？' in shown
    empty = client.post(f"{page}/suspension", data={"csrf_token": token, "ground": "court_order", "reason": " "})
    assert (empty.status_code, problem_code(empty)) == (422, "invalid_input")
    assert db.scalar(select(AuctionSuspension).where(AuctionSuspension.auction_id == judicial.auction.id)) is None
    form = {"csrf_token": token, "ground": "court_order", "reason": "案外人异议，裁定中止"}
    suspended = client.post(f"{page}/suspension", data=form, follow_redirects=False)
    assert (suspended.status_code, outcome_code(suspended)) == (303, "auction_suspended_by_centre")
    now_shown = client.get(page).text
    assert 'id="resume-form"' in now_shown
    assert "案外人异议，裁定中止" in now_shown
    assert 'id="suspend-form"' not in now_shown
    resumed = client.post(f"{page}/resumption", data={"csrf_token": token}, follow_redirects=False)
    assert (resumed.status_code, outcome_code(resumed)) == (303, "auction_resumed")
    row = db.scalar(select(AuctionSuspension).where(AuctionSuspension.auction_id == judicial.auction.id))
    assert row is not None
    assert row.resumed_at is not None

    listing = make_trade(db)  # a land listing: its seller (the agent) is no court
    browser_login(client, db, listing.setup["owner_user"])
    other = f"/workspace/auctions/{listing.auction.id}"
    token = csrf_from(client, other)
    assert 'id="suspend-form"' not in client.get(other).text
    refused = client.post(f"{other}/suspension", data=form | {"csrf_token": token})
    assert (refused.status_code, problem_code(refused)) == (403, "auction_centre_mismatch")
    assert db.scalar(select(AuctionSuspension).where(AuctionSuspension.auction_id == listing.auction.id)) is None
