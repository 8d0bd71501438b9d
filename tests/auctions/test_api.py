"""The auctions API (decision 0049): what a client sees of each rule — problem+json with a stable code, the price to
beat, the server's time — and a refused request leaving no row and no event."""

from __future__ import annotations

import base64
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.auctions.state import get_auction
from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Role
from ggzy.finance import service as finance
from tests.auctions.support import (
    LISTING_END,
    LISTING_START,
    RESERVE,
    START,
    STEP,
    counts,
    rights_round,
    seal_reserve_for,
)
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, token_for, user_with_role
from tests.finance.support import DEPOSIT_FEN, notice, opened

BODY = {
    "trade_kind": "land", "method": "listing", "title": "某地块国有建设用地使用权", "start_price_fen": START,
    "increment_fen": STEP, "bidding_start": LISTING_START.isoformat(), "bidding_end": LISTING_END.isoformat(),
}  # fmt: skip


def _created(client: TestClient, db: Session) -> tuple[int, dict]:
    tender, setup = rights_round(db)
    seller = token_for(db, setup["agent_user"])
    body = BODY | {"tender_id": tender.id, "reserve_holder_user_id": setup["owner_user"].id}
    created = client.post("/api/v1/auctions", json=body, headers=seller)
    assert created.status_code == 201, created.text
    return created.json()["id"], {"tender": tender, "setup": setup, "seller": seller}


def test_a_draft_is_no_ones_to_see_and_publication_checks_the_schedule(client: TestClient, db: Session) -> None:
    auction_id, scene = _created(client, db)
    assert client.get(f"/api/v1/auctions/{auction_id}").status_code == 404
    assert client.get(f"/api/v1/auctions/{auction_id}", headers=scene["seller"]).json()["phase"] == "draft"
    bidder = token_for(db, bidder_user(db))
    other_seller = token_for(db, rights_round(db)[1]["agent_user"])  # the seller of another trade
    for path, stranger in (
        ("", bidder), ("/registrations", bidder), ("/bids", bidder), ("/timed-bidding-requests", bidder),
        ("/close", other_seller), ("/publish", other_seller),
    ):  # review L3: a draft is not found, whoever asks and whatever the action, but by its seller  # fmt: skip
        method = client.get if path == "" else client.post
        kwargs = {"json": {"amount_fen": START, "client_bid_id": "x"}} if path == "/bids" else {}
        answer = method(f"/api/v1/auctions/{auction_id}{path}", headers=stranger, **kwargs)  # type: ignore[operator]
        assert answer.status_code == 404, (path, answer.text)
    published = client.post(f"/api/v1/auctions/{auction_id}/publish", headers=scene["seller"])
    assert published.status_code == 200, published.text
    seen = client.get(f"/api/v1/auctions/{auction_id}").json()
    assert seen["phase"] == "notice"
    assert seen["reserve_fen"] is None
    assert seen["server_time"]


def test_registering_without_a_paid_deposit_is_a_clear_409_and_leaves_nothing(client: TestClient, db: Session) -> None:
    auction_id, scene = _created(client, db)
    client.post(f"/api/v1/auctions/{auction_id}/publish", headers=scene["seller"])
    user = bidder_user(db)
    opened(db, scene["tender"], user)
    before = counts(db, auction_id)
    refused = client.post(f"/api/v1/auctions/{auction_id}/registrations", headers=token_for(db, user))
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "auction_deposit_not_paid"
    assert refused.json()["message_zh"]
    assert counts(db, auction_id) == before


def test_bids_through_the_api_replays_refusals_and_the_close(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    auction_id, scene = _created(client, db)
    client.post(f"/api/v1/auctions/{auction_id}/publish", headers=scene["seller"])
    holder = token_for(db, scene["setup"]["owner_user"])
    sealed = seal_reserve_for(db, auction_id, scene["setup"]["owner"], RESERVE)
    put = client.put(
        f"/api/v1/auctions/{auction_id}/reserve", json={"envelope": base64.b64encode(sealed.envelope).decode()},
        headers=holder,
    )  # fmt: skip
    assert put.status_code == 200
    assert put.json()["reserve_sealed"]
    assert put.json()["reserve_fen"] is None
    headers = []
    for _ in range(2):
        user = bidder_user(db)
        row, _ = opened(db, scene["tender"], user)
        finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
        headers.append(token_for(db, user))
        plate = client.post(f"/api/v1/auctions/{auction_id}/registrations", headers=headers[-1])
        assert plate.status_code == 201
        assert len(plate.json()["plate"]) == 8
    clock.set(LISTING_START + timedelta(hours=1))
    url = f"/api/v1/auctions/{auction_id}/bids"
    first = client.post(url, json={"amount_fen": START, "client_bid_id": "x1"}, headers=headers[0])
    assert first.status_code == 201
    assert first.json()["sequence"] == 1
    replay = client.post(url, json={"amount_fen": START, "client_bid_id": "x1"}, headers=headers[0])
    assert replay.status_code == 200
    assert replay.json()["replayed"]
    assert replay.json()["sequence"] == 1
    before = counts(db, auction_id)
    low = client.post(url, json={"amount_fen": START, "client_bid_id": "y1"}, headers=headers[1])
    assert low.status_code == 409
    assert low.json()["code"] == "auction_bid_too_low"
    assert low.json()["current_price_fen"] == START
    assert low.json()["minimum_fen"] == START + STEP
    assert client.delete(url, headers=headers[0]).status_code == 405  # no withdrawal (拍卖法 第36条)
    clock.set(LISTING_END + timedelta(milliseconds=1))
    late = client.post(url, json={"amount_fen": START + STEP, "client_bid_id": "y2"}, headers=headers[1])
    assert late.status_code == 409
    assert late.json()["code"] == "auction_bidding_closed"
    assert late.json()["server_time"].startswith(LISTING_END.strftime("%Y-%m-%dT%H:%M:%S.001"))
    assert counts(db, auction_id) == before
    history = client.get(url).json()
    assert [(item["sequence"], item["amount_fen"]) for item in history] == [(1, START)]
    opened_reserve = client.post(
        f"/api/v1/auctions/{auction_id}/reserve/opening",
        json={"data_key": base64.b64encode(sealed.data_key).decode()}, headers=holder,
    )  # fmt: skip
    assert opened_reserve.status_code == 200
    assert opened_reserve.json()["reserve_fen"] == RESERVE
    closed = client.post(f"/api/v1/auctions/{auction_id}/close", headers=scene["seller"])
    assert closed.status_code == 200
    assert closed.json()["outcome"] == "below_reserve"
    assert closed.json()["status"] == "failed"


# --- decision 0052: suspension and resumption ----------------------------------------------------------------------


def test_a_suspension_through_the_api_refuses_bids_with_its_reason_then_resumes(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    auction_id, scene = _created(client, db)
    client.post(f"/api/v1/auctions/{auction_id}/publish", headers=scene["seller"])
    centre_id = get_auction(db, auction_id).centre_id
    staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF, centre_id=centre_id))
    user = bidder_user(db)
    row, _ = opened(db, scene["tender"], user)
    finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
    bidder = token_for(db, user)
    assert client.post(f"/api/v1/auctions/{auction_id}/registrations", headers=bidder).status_code == 201
    during = LISTING_START + timedelta(days=1)
    clock.set(during)
    suspended = client.post(
        f"/api/v1/auctions/{auction_id}/suspension", headers=staff,
        json={"ground": "system_failure", "reason": "电子交易系统故障"},
    )  # fmt: skip
    assert suspended.status_code == 201, suspended.text
    assert suspended.json()["bidding_left_ms"] == (LISTING_END - during) // timedelta(milliseconds=1)
    seen = client.get(f"/api/v1/auctions/{auction_id}").json()
    assert (seen["phase"], seen["suspension_reason"]) == ("suspended", "电子交易系统故障")
    before = counts(db, auction_id)
    refused = client.post(
        f"/api/v1/auctions/{auction_id}/bids", headers=bidder, json={"amount_fen": START, "client_bid_id": "s1"}
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "auction_suspended"
    assert problem["reason"] == "电子交易系统故障"
    assert problem["suspended_since"].startswith(during.isoformat()[:19])
    assert counts(db, auction_id) == before
    by_seller = client.post(f"/api/v1/auctions/{auction_id}/resumption", headers=scene["seller"], json={})
    assert by_seller.status_code == 403  # the agent holds no such permission
    later = during + timedelta(hours=2)
    clock.set(later)
    resumed = client.post(f"/api/v1/auctions/{auction_id}/resumption", headers=staff, json={})
    assert resumed.status_code == 200, resumed.text
    assert (
        client.get(f"/api/v1/auctions/{auction_id}")
        .json()["ends_at"]
        .startswith((LISTING_END + timedelta(hours=2)).isoformat()[:19])
    )
    history = client.get(f"/api/v1/auctions/{auction_id}/suspensions").json()
    assert [(h["reason"], h["resumed_at"] is not None) for h in history] == [("电子交易系统故障", True)]
    accepted = client.post(
        f"/api/v1/auctions/{auction_id}/bids", headers=bidder, json={"amount_fen": START, "client_bid_id": "s1"}
    )
    assert accepted.status_code == 201, accepted.text
