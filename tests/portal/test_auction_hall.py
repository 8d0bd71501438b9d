"""The live auction hall's pages (decision 0050): what a visitor and a bidder see; nobody named, nothing counted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.auctions import service
from ggzy.core.clock import FixedClock
from ggzy.entities.models import Entity, User
from ggzy.finance import refund_triggers
from ggzy.portal import auction_hall
from ggzy.portal.auction_hall import sse_message
from ggzy.portal.formatting import iso_time
from ggzy.portal.live_feed import hall_events
from tests.auctions.support import LISTING_END, LISTING_START, START, STEP, Trade, bid, make_trade, paid_bidder
from tests.auctions.support import registered as registered_bidders
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code

pytestmark = pytest.mark.db

DURING = LISTING_START + timedelta(days=1)


def _names(db: Session, *principals: object) -> list[str]:
    names = []
    for who in principals:
        entity = db.get(Entity, who.entity_id)  # type: ignore[attr-defined]
        assert entity is not None
        names += [entity.name, entity.credit_code]
    return names


def _trade_with_bids(db: Session) -> tuple[Trade, list[object], list[str]]:
    trade = make_trade(db)
    bidders = [paid_bidder(db, trade) for _ in range(3)]
    plates = [service.register_bidder(db, b, auction_id=trade.auction.id, now=DURING).plate for b in bidders]
    bid(db, trade, bidders[0], START, DURING)
    bid(db, trade, bidders[1], START + STEP, DURING + timedelta(minutes=1))
    db.commit()  # the ledger numbers the events at commit: the hall reads numbered, disclosed events
    return trade, bidders, plates


def test_the_hall_lists_the_published_trades_and_never_a_draft(client: TestClient, db: Session) -> None:
    published = make_trade(db)
    draft = make_trade(db, publish=False)
    db.commit()
    html = client.get("/auctions").text
    assert f'href="/auctions/{published.auction.id}"' in html
    assert f'href="/auctions/{draft.auction.id}"' not in html
    assert "国有建设用地使用权" in html
    assert "挂牌" in html
    assert "100.00 万元" in html  # the start price, 1,000,000 yuan
    assert "公告期" in html
    assert client.get(f"/auctions/{draft.auction.id}").status_code == 404
    assert client.get(f"/auctions/{draft.auction.id}/events").status_code == 404


def test_the_hall_shows_price_plate_countdown_and_bids_by_plate_and_names_no_bidder_网络司法拍卖规定第18条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    trade, bidders, plates = _trade_with_bids(db)
    clock.set(DURING + timedelta(minutes=2))
    for language in ("zh", "en"):
        html = client.get(f"/auctions/{trade.auction.id}?lang={language}").text
        for name in _names(db, *bidders):
            assert name not in html
        assert plates[2] not in html  # registered but never bid: its plate is nobody's business
        assert 'id="plate" class="plate">' + plates[1] in html
        assert "1,010,000.00" in html  # the current price
        # the countdown counts to the server's end by the server's clock, both in the page
        assert f'data-ends-at="{iso_time(LISTING_END)}"' in html
        assert f'data-now="{iso_time(DURING + timedelta(minutes=2))}"' in html
        assert "registrations" not in html.lower()
        assert "报名人数" not in html
    html = client.get(f"/auctions/{trade.auction.id}?lang=zh").text
    assert f'data-sequence="1" data-price="1,000,000.00 元" data-plate="{plates[0]}"' in html
    assert "挂牌期" in html


def test_the_stream_carries_every_bid_by_plate_in_order_and_never_a_registration(db: Session) -> None:
    trade, bidders, plates = _trade_with_bids(db)
    items = hall_events(db, after=-1, auction_id=trade.auction.id)
    assert [i.action for i in items] == ["auction.published", "auction.bid_placed", "auction.bid_placed"]
    assert [i.index for i in items] == sorted(i.index for i in items)
    stream = b"".join(sse_message(item, "zh") for item in items).decode()
    assert "bidder_registered" not in stream
    for name in _names(db, *bidders):
        assert name not in stream
    assert plates[2] not in stream
    assert stream.count("event: hall") == 3
    ids = [int(x) for x in re.findall(r"^id: (\d+)$", stream, re.M)]
    assert ids == [i.index for i in items]
    assert f'data-plate="{plates[1]}"' in stream
    # resuming after the first bid's index gives the second alone
    later = hall_events(db, after=items[1].index, auction_id=trade.auction.id)
    assert [i.payload["sequence"] for i in later] == [2]


def _bidder_page(client: TestClient, db: Session, trade: Trade, bidder: object) -> str:
    user = db.get(User, bidder.user_id)  # type: ignore[attr-defined]
    assert user is not None
    browser_login(client, db, user)
    db.commit()
    return f"/workspace/bidder/auctions/{trade.auction.id}"


def test_a_bidder_without_a_paid_deposit_is_told_why_it_has_no_plate(client: TestClient, db: Session) -> None:
    trade = make_trade(db)
    bidder = paid_bidder(db, trade, pay=False)
    page = _bidder_page(client, db, trade, bidder)
    token = csrf_from(client, page)
    response = client.post(f"{page}/registration", data={"csrf_token": token})
    assert problem_code(response) == "auction_deposit_not_paid"
    assert "竞买保证金尚未足额交纳" in response.text
    assert service.registration_of(db, auction_id=trade.auction.id, entity_id=bidder.entity_id) is None  # type: ignore[attr-defined]


def test_a_bidder_registers_asks_for_timed_bidding_and_bids_confirmed_once_拍卖法第36条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    trade = make_trade(db)
    bidder = paid_bidder(db, trade)
    clock.set(DURING)
    page = _bidder_page(client, db, trade, bidder)
    token = csrf_from(client, page)
    registered = client.post(f"{page}/registration", data={"csrf_token": token}, follow_redirects=True)
    assert registered.status_code == 200
    plate = service.registration_of(db, auction_id=trade.auction.id, entity_id=bidder.entity_id).plate  # type: ignore[union-attr, attr-defined]
    assert f'id="my-plate">{plate}<' in registered.text
    assert "已取得竞买资格" in registered.text
    asked = client.post(f"{page}/timed-bidding-request", data={"csrf_token": token}, follow_redirects=True)
    assert 'id="timed-requested"' in asked.text

    form = client.get(page).text
    assert "报价一经提出不得撤回（拍卖法 第三十六条）" in form
    assert 'data-confirm="确认提交该报价？报价一经提出不得撤回' in form
    bid_id = re.search(r'name="client_bid_id" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    assert bid_id != re.search(r'name="client_bid_id" value="([^"]+)"', client.get(page).text).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": token, "client_bid_id": bid_id, "amount_yuan": "1000000"}
    accepted = client.post(f"{page}/bids", data=data)
    assert accepted.status_code == 201
    assert "报价已被接受：序号 1，报价 1,000,000.00 元" in accepted.text
    again = client.post(f"{page}/bids", data=data)  # the same form sent twice: one bid
    assert again.status_code == 200
    assert "该报价已提交过：序号 1" in again.text
    low = client.post(f"{page}/bids", data=data | {"client_bid_id": "another", "amount_yuan": "1000000"})
    assert problem_code(low) == "auction_bid_too_low"
    assert "1,010,000.00" in low.text  # the new minimum
    assert len(service.bids_of(db, trade.auction.id)) == 1


def test_a_suspended_trade_shows_its_published_reason_in_the_hall_and_the_stream_网络司法拍卖规定第28条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    """第二十八条 第三款: the reason of a suspension is published. The list and the hall say 已中止 with the reason (a
    suspended trade once broke both pages), and the stream carries the suspension and the resumption."""
    from tests.auctions.pause_support import centre_staff, suspend

    trade, _, _ = _trade_with_bids(db)
    staff = centre_staff(db, trade)
    suspend(db, trade, staff, DURING + timedelta(minutes=5), reason="电子交易系统故障，暂停交易")
    db.commit()
    clock.set(DURING + timedelta(minutes=6))
    listed = client.get("/auctions")
    assert listed.status_code == 200
    assert "已中止" in listed.text
    hall = client.get(f"/auctions/{trade.auction.id}")
    assert hall.status_code == 200
    assert "已中止" in hall.text
    assert "电子交易系统故障，暂停交易" in hall.text
    actions = [item.action for item in hall_events(db, after=-1, auction_id=trade.auction.id)]
    assert "auction.suspended" in actions
    message = sse_message(hall_events(db, after=-1, auction_id=trade.auction.id)[-1], "zh").decode()
    assert 'data-phase="suspended"' in message


def test_a_losing_plate_releases_the_deposits_from_its_page_once_the_bidding_ended_规定第二十三条(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    """Decision 0053: the button appears once the bidding has ended, asks first, says what happened; twice is refused
    with the time of the first."""
    trade = make_trade(db)
    loser, highest = registered_bidders(db, trade, 2)
    bid(db, trade, loser, START, DURING)
    bid(db, trade, highest, START + STEP, DURING)
    clock.set(DURING)
    page = _bidder_page(client, db, trade, loser)
    assert 'id="deposits-release"' in client.get(page).text
    assert "/deposits/release" not in client.get(page).text  # not before the end
    clock.set(LISTING_END + timedelta(minutes=1))
    token = csrf_from(client, page)
    ended = client.get(page).text
    assert 'data-confirm="确认发出退还指令？' in ended
    released = client.post(f"{page}/deposits/release", data={"csrf_token": token}, follow_redirects=False)
    assert (released.status_code, outcome_code(released)) == (303, "auction_deposits_released")
    assert 'id="deposits-released"' in client.get(page).text
    assert {row.entity_id for row in refund_triggers.refund_orders_of(db, trade.tender.id)} == {loser.entity_id}
    twice = client.post(f"{page}/deposits/release", data={"csrf_token": token})
    assert problem_code(twice) == "auction_deposits_already_released"
    assert len(refund_triggers.refund_orders_of(db, trade.tender.id)) == 1


def test_a_hall_with_thousands_of_bids_shows_the_latest_and_every_bid_is_on_its_own_pages(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A late watcher of a rush gets the latest bids at once (then the stream); the full record is a page of tables
    (网络司法拍卖规定 第二十条: shown in full), 500 bids a page."""
    monkeypatch.setattr(auction_hall, "HALL_BIDS_SHOWN", 3)
    monkeypatch.setattr(auction_hall, "BIDS_PAGE", 4)
    trade = make_trade(db)
    (first, second) = registered_bidders(db, trade, 2)
    for turn in range(6):
        bid(db, trade, (first, second)[turn % 2], START + turn * STEP, DURING + timedelta(minutes=turn))
    db.commit()
    hall = client.get(f"/auctions/{trade.auction.id}").text
    assert hall.count('data-target="bids"') == 3  # the latest three, 4 to 6
    assert 'data-sequence="4"' in hall
    assert 'data-sequence="3"' not in hall
    assert "共 6 次报价，此处显示最近 3 次。" in hall
    first_page = client.get(f"/auctions/{trade.auction.id}/bids")
    assert first_page.status_code == 200
    assert [int(s) for s in re.findall(r'<tr data-sequence="(\d+)"', first_page.text)] == [1, 2, 3, 4]
    assert f'href="/auctions/{trade.auction.id}/bids?after=4"' in first_page.text
    rest = client.get(f"/auctions/{trade.auction.id}/bids", params={"after": 4}).text
    assert [int(s) for s in re.findall(r'<tr data-sequence="(\d+)"', rest)] == [5, 6]
    assert "后续报价" not in rest  # the last page
    draft = make_trade(db, publish=False)
    db.commit()
    assert client.get(f"/auctions/{draft.auction.id}/bids").status_code == 404  # a draft is no one's to see
