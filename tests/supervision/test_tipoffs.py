"""Tip-offs (举报, decision 0045): anyone reports, anonymous allowed, and follows by a code shown once; the report goes
to the supervisors of its region and trade, who accept or decline it and tell the reporter the result
(浙江省招标投标条例 第48条: 及时调查处理，将处理情况告知举报人，并为举报人保密); floods are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.supervision.models import Tipoff
from tests.factories import bidder_user, make_published_tender, make_user, token_for, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, outcome_code

API = "/api/v1/tipoffs"
REPORT = {"subject": "某标段投标人串通投标", "content": "三家投标人的投标文件由同一台电脑制作，报价呈规律性差异。",
          "region_code": "530102"}  # fmt: skip


def _rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Tipoff)) or 0


def _events(db: Session, action: str | None = None) -> list[Event]:
    query = select(Event).where(Event.action.like("tipoff.%"))
    if action:
        query = query.where(Event.action == action)
    return list(db.scalars(query.order_by(Event.id)))


def test_a_visitor_reports_anonymously_and_follows_by_a_code_that_is_never_stored(
    client: TestClient, db: Session
) -> None:
    answer = client.post(API, json=REPORT)
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    assert len(code) >= 20
    [row] = db.scalars(select(Tipoff)).all()
    assert (row.reporter_user_id, row.contact, row.status) == (None, None, "received")
    assert code not in {row.code_sha256, row.content, row.subject}
    [event] = _events(db)
    assert (event.action, event.actor_user_id, event.actor_entity_id, event.disclosed) == ("tipoff.received", None,
                                                                                           None, False)  # fmt: skip
    followed = client.post(f"{API}/follow", json={"code": code})
    assert followed.status_code == 200, followed.text
    assert followed.json()["status"] == "received"
    assert "content" not in followed.json()
    wrong = client.post(f"{API}/follow", json={"code": code[:-1] + ("A" if code[-1] != "A" else "B")})
    assert wrong.status_code == 404
    assert wrong.json()["code"] == "tipoff_code_unknown"


def test_a_logged_in_reporter_stays_anonymous_unless_it_chooses_to_be_named(client: TestClient, db: Session) -> None:
    user = bidder_user(db)
    headers = token_for(db, user)
    assert client.post(API, json=REPORT, headers=headers).status_code == 201
    assert client.post(API, json=REPORT | {"anonymous": False, "contact": "张先生 13800000000"},
                       headers=headers).status_code == 201  # fmt: skip
    anonymous, named = db.scalars(select(Tipoff).order_by(Tipoff.id)).all()
    assert (anonymous.reporter_user_id, anonymous.contact) == (None, None)
    assert (named.reporter_user_id, named.contact) == (user.id, "张先生 13800000000")
    first, second = _events(db)
    assert first.actor_user_id is None  # not even the event knows who sent an anonymous report
    assert second.actor_user_id == user.id


def test_the_report_goes_to_the_supervisors_of_its_scope_who_accept_and_close_it_and_the_reporter_reads_the_result(
    client: TestClient, db: Session
) -> None:
    tender, _ = make_published_tender(db)  # a construction project in 530102
    code = client.post(API, json=REPORT | {"region_code": None, "tender_id": tender.id}).json()["code"]
    [row] = db.scalars(select(Tipoff)).all()
    assert (row.region_code, row.trade_type) == ("530102", "construction")
    yunnan = token_for(db, user_with_role(db, Role.SUPERVISOR))  # 530000
    beijing = token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="110000")]))
    land = token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530000",
                                                          trade_type="land")]))  # fmt: skip
    assert [t["id"] for t in client.get(API, headers=yunnan).json()] == [row.id]
    assert client.get(API, headers=beijing).json() == []
    assert client.get(API, headers=land).json() == []
    assert client.post(f"{API}/{row.id}/accept", headers=beijing).status_code == 404  # outside: not found
    early = client.post(f"{API}/{row.id}/close", json={"text": "查实"}, headers=yunnan)
    assert early.status_code == 409
    assert early.json()["code"] == "tipoff_state_wrong"
    assert client.post(f"{API}/{row.id}/accept", headers=yunnan).status_code == 200
    assert client.post(f"{API}/follow", json={"code": code}).json()["status"] == "accepted"
    closed = client.post(
        f"{API}/{row.id}/close", json={"text": "经调查属实，已立案查处并记入信用档案。"}, headers=yunnan
    )
    assert closed.status_code == 200, closed.text
    told = client.post(f"{API}/follow", json={"code": code}).json()
    assert (told["status"], told["answer"]) == ("closed", "经调查属实，已立案查处并记入信用档案。")
    assert [e.action for e in _events(db)] == ["tipoff.received", "tipoff.accepted", "tipoff.closed"]


def test_a_report_naming_no_trade_reaches_every_trades_supervisors_of_its_region(
    client: TestClient, db: Session
) -> None:
    assert client.post(API, json=REPORT).status_code == 201  # 530102, no trade named
    land = token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530000",
                                                          trade_type="land")]))  # fmt: skip
    [row] = client.get(API, headers=land).json()
    assert client.post(f"{API}/{row['id']}/accept", headers=land).status_code == 200


def test_a_declined_report_tells_the_reporter_why(client: TestClient, db: Session) -> None:
    code = client.post(API, json=REPORT).json()["code"]
    [row] = db.scalars(select(Tipoff)).all()
    supervisor = token_for(db, user_with_role(db, Role.SUPERVISOR))
    declined = client.post(f"{API}/{row.id}/decline", json={"text": "不属于招标投标活动，请向市场监管部门反映。"},
                           headers=supervisor)  # fmt: skip
    assert declined.status_code == 200
    told = client.post(f"{API}/follow", json={"code": code}).json()
    assert (told["status"], told["answer"]) == ("declined", "不属于招标投标活动，请向市场监管部门反映。")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (REPORT | {"region_code": None}, 422),
        (REPORT | {"region_code": "999999"}, 422),
        (REPORT | {"content": "太短"}, 422),
        (REPORT | {"tender_id": 999_999}, 404),
        (REPORT | {"subject": "\u202e串通"}, 422),
    ],
)
def test_a_refused_report_leaves_no_row_and_no_event(
    client: TestClient, db: Session, body: dict[str, Any], status: int
) -> None:
    answer = client.post(API, json=body)
    assert answer.status_code == status, answer.text
    assert _rows(db) == 0
    assert _events(db) == []


def test_a_flood_of_reports_from_one_address_is_refused_and_writes_nothing(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    for _ in range(5):
        assert client.post(API, json=REPORT).status_code == 201
    flooded = client.post(API, json=REPORT)
    assert flooded.status_code == 429
    assert flooded.json()["code"] == "rate_limited"
    assert _rows(db) == 5
    clock.set(clock.now() + timedelta(seconds=31))  # two a minute come back
    assert client.post(API, json=REPORT).status_code == 201


def test_the_pages_report_show_the_code_once_follow_and_handle(client: TestClient, db: Session) -> None:
    form = REPORT | {"csrf_token": csrf_from(client, "/tipoffs"), "trade_type": "construction"}
    received = client.post("/tipoffs", data=form)
    assert received.status_code == 200, received.text
    code = received.text.split('id="tipoff-code">', 1)[1].split("<", 1)[0]
    assert len(code) >= 20
    followed = client.post("/tipoffs/follow", data={"csrf_token": csrf_from(client, "/tipoffs/follow"), "code": code})
    assert "已收到，待受理" in followed.text
    [row] = db.scalars(select(Tipoff)).all()

    browser_login(client, db, user_with_role(db, Role.SUPERVISOR))
    queue = client.get("/workspace/tipoffs")
    assert "三家投标人的投标文件由同一台电脑制作" in queue.text
    assert "匿名" in queue.text
    token = {"csrf_token": csrf_from(client, "/workspace/tipoffs")}
    accepted = client.post(f"/workspace/tipoffs/{row.id}/accept", data=token, follow_redirects=False)
    assert outcome_code(accepted) == "tipoff_accepted"
    closed = client.post(f"/workspace/tipoffs/{row.id}/close", follow_redirects=False,
                         data={"csrf_token": csrf_from(client, "/workspace/tipoffs"), "text": "已查处。"})  # fmt: skip
    assert outcome_code(closed) == "tipoff_closed"
    again = client.post(f"/workspace/tipoffs/{row.id}/close",
                        data={"csrf_token": csrf_from(client, "/workspace/tipoffs"), "text": "再次办结"})  # fmt: skip
    assert again.status_code == 409
    client.cookies.clear()
    told = client.post("/tipoffs/follow", data={"csrf_token": csrf_from(client, "/tipoffs/follow"), "code": code})
    assert "已查处。" in told.text
    assert "已办结" in told.text
