"""The centre staff's pages of rights trades (decisions 0052, 0053): the published trades of their own centres, never a
draft nor another centre's; suspend and resume, draw the lottery at a reached cap, release the deposits the end
decided and close a trade the seller left, each from the page with what happened said; a refusal shown inline with
nothing written."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.auctions import service, suspension
from ggzy.auctions.rules import RIGHTS_REFUND, china_day
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Role
from ggzy.entities.models import User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.finance import refund_triggers
from tests.auctions.pause_support import AFTER, DURING, capped_with_plates
from tests.auctions.support import LISTING_END, START, STEP, Trade, bid, counts, make_trade, registered
from tests.factories import event_count, make_user, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code

PAGES = "/workspace/centre/auctions"


def _staff(db: Session, *trades: Trade) -> User:
    """A user who is staff of each of these trades' centres."""
    grants = [RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=trade.auction.centre_id) for trade in trades]
    return make_user(db, roles=grants)


def _written(db: Session, trade: Trade) -> tuple[object, ...]:
    """What a step would write: the trade's bids and events, every event, its suspensions and refund orders."""
    return (
        counts(db, trade.auction.id), event_count(db), len(suspension.suspensions_of(db, trade.auction.id)),
        len(refund_triggers.refund_orders_of(db, trade.tender.id)),
    )  # fmt: skip


def test_the_staff_see_the_published_trades_of_their_centres_only_never_a_draft(
    client: TestClient, db: Session
) -> None:
    own, draft, other = make_trade(db), make_trade(db, publish=False), make_trade(db)
    browser_login(client, db, _staff(db, own, draft))  # staff of the draft's centre too: still not theirs to see
    assert f'href="{PAGES}"' in client.get("/workspace").text  # the menu leads the staff there
    listing = client.get(PAGES)
    assert listing.status_code == 200
    assert f'href="{PAGES}/{own.auction.id}"' in listing.text
    assert f"{PAGES}/{draft.auction.id}" not in listing.text
    assert f"{PAGES}/{other.auction.id}" not in listing.text
    assert "公告期" in listing.text  # the phase, as the hall names it
    assert "挂牌" in listing.text
    for hidden in (draft, other):
        assert client.get(f"{PAGES}/{hidden.auction.id}").status_code == 404
    assert client.get(f"{PAGES}/{own.auction.id}").status_code == 200


def test_staff_of_another_centre_find_no_trade_and_write_nothing(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    trade = make_trade(db)
    clock.set(DURING)
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))  # a centre of its own
    token = csrf_from(client, PAGES)  # the logout form of its own list gives the token
    before = _written(db, trade)
    assert client.get(f"{PAGES}/{trade.auction.id}").status_code == 404
    refused = client.post(
        f"{PAGES}/{trade.auction.id}/suspension",
        data={"csrf_token": token, "ground": "system_failure", "reason": "电子交易系统故障"},
    )
    assert refused.status_code == 404
    assert _written(db, trade) == before


def test_the_staff_suspend_and_resume_a_trade_from_the_page(client: TestClient, db: Session, clock: FixedClock) -> None:
    trade = make_trade(db)
    clock.set(DURING)
    browser_login(client, db, _staff(db, trade))
    page = f"{PAGES}/{trade.auction.id}"
    token = csrf_from(client, page)
    shown = client.get(page).text
    assert 'data-confirm="确认中止交易？' in shown
    assert '<option value="title_dispute">交易标的存在权属争议</option>' in shown
    assert "恢复交易" not in shown  # nothing to resume
    suspended = client.post(
        f"{page}/suspension", data={"csrf_token": token, "ground": "title_dispute", "reason": "出让宗地权属争议待查"},
        follow_redirects=False,
    )  # fmt: skip
    assert (suspended.status_code, outcome_code(suspended)) == (303, "auction_suspended_by_centre")
    after = client.get(page).text
    assert "已中止" in after
    assert "出让宗地权属争议待查" in after
    assert 'data-confirm="确认恢复交易？' in after
    assert 'id="suspend-form"' not in after  # suspended once is enough
    (row,) = suspension.suspensions_of(db, trade.auction.id)
    assert (row.ground, row.resumed_at) == ("title_dispute", None)

    clock.set(DURING + timedelta(hours=2))
    resumed = client.post(f"{page}/resumption", data={"csrf_token": token}, follow_redirects=False)
    assert (resumed.status_code, outcome_code(resumed)) == (303, "auction_resumed")
    db.expire_all()
    (row,) = suspension.suspensions_of(db, trade.auction.id)
    assert row.resumed_at is not None
    again = client.get(page).text
    assert "尚未恢复" not in again
    assert 'id="suspend-form"' in again  # the bidding goes on, and may be suspended again

    before = _written(db, trade)
    twice = client.post(f"{page}/resumption", data={"csrf_token": token})  # not suspended: refused inline
    assert (twice.status_code, problem_code(twice)) == (409, "auction_not_suspended")
    assert "交易未中止，无需恢复" in twice.text
    assert _written(db, trade) == before


def test_the_staff_release_the_deposits_and_close_a_trade_the_seller_left_but_not_before_its_day(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    trade = make_trade(db)
    low, high = registered(db, trade, 2)
    bid(db, trade, low, START, DURING)
    bid(db, trade, high, START + STEP, DURING)
    due_on = RIGHTS_REFUND.due_on(working_day_calendar(db), LISTING_END)  # the seller's last day
    clock.set(AFTER + service.RELEASE_GRACE)  # bids sent before the end let in first (review M1)
    browser_login(client, db, _staff(db, trade))
    page = f"{PAGES}/{trade.auction.id}"
    token = csrf_from(client, page)
    ended = client.get(page).text
    assert "已结束" in ended
    assert 'data-confirm="确认下达退还指令？' in ended
    assert 'data-confirm="确认代为确认成交结果？' in ended
    assert f"可在 {due_on.year}年{due_on.month}月{due_on.day}日 前" in ended
    english = client.get(page, params={"lang": "en"}).text
    assert f"The seller may decide the result until {due_on.isoformat()} (that day included)" in english
    client.get(page, params={"lang": "zh"})  # back to Chinese, for the messages below

    before = _written(db, trade)
    early = client.post(f"{page}/close", data={"csrf_token": token})  # the seller's time: refused, nothing written
    assert (early.status_code, problem_code(early)) == (409, "auction_close_not_yet_for_the_centre")
    assert f"出让人（委托人）可在 {due_on.isoformat()} 前确认成交结果" in early.text
    assert _written(db, trade) == before

    released = client.post(f"{page}/deposits-release", data={"csrf_token": token}, follow_redirects=False)
    assert (released.status_code, outcome_code(released)) == (303, "auction_deposits_released")
    assert {row.entity_id for row in refund_triggers.refund_orders_of(db, trade.tender.id)} == {low.entity_id}
    after_release = client.get(page).text
    assert "已下达退还指令" in after_release
    assert "deposits-release" not in after_release  # once only

    clock.set(AFTER + (due_on - china_day(LISTING_END)) + timedelta(days=1))  # the day after the seller's last
    closed = client.post(f"{page}/close", data={"csrf_token": token}, follow_redirects=False)
    assert (closed.status_code, outcome_code(closed)) == (303, "auction_closed_by_centre")
    db.expire_all()
    assert trade.auction.closed_at is not None
    assert trade.auction.outcome == "sold"  # no reserve was sealed: the highest bid sells
    result = client.get(page).text
    assert "成交" in result
    assert f"{PAGES}/{trade.auction.id}/close" not in result
    assert "1,010,000.00" in client.get(PAGES).text  # the list: the price the trade closed at


def test_the_staff_draw_the_lottery_at_a_reached_cap_from_the_page(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    trade, bidders = capped_with_plates(db, 2)
    clock.set(AFTER + timedelta(minutes=5))
    browser_login(client, db, _staff(db, trade))
    page = f"{PAGES}/{trade.auction.id}"
    token = csrf_from(client, page)
    shown = client.get(page).text
    assert 'data-confirm="确认摇号？' in shown
    plates = [service.registration_of(db, auction_id=trade.auction.id, entity_id=b.entity_id) for b in bidders]  # type: ignore[arg-type]
    assert all(plate is not None and plate.plate in shown for plate in plates)
    drawn = client.post(f"{page}/cap-lottery", data={"csrf_token": token}, follow_redirects=False)
    assert (drawn.status_code, outcome_code(drawn)) == (303, "auction_cap_lottery_drawn")
    db.expire_all()
    assert trade.auction.cap_drawn_at is not None
    assert "cap-lottery" not in client.get(page).text  # drawn once
