"""The supervisor's live view and the watch list (decision 0046): every unfinished lot of the jurisdiction with its
stage, next statutory deadline and time left, violations and alerts; nothing of who registered or bid, nor how many,
before the opening (招标投标法 第22条, 第36条); watch list entries with grounds, in the supervisor's jurisdiction,
tracking a bidder's lots only after their opening; inspectors read and never write."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.supervision import board
from ggzy.supervision.models import WatchEntry
from ggzy.tendering import service as tendering
from tests.conftest import TEST_NOW
from tests.factories import (
    bidder_user,
    credit_code,
    make_entity,
    make_opened_tender,
    make_published_tender,
    make_user,
    principal,
    token_for,
)
from tests.portal.ws_support import browser_login, csrf_from, outcome_code

BOARD = "/api/v1/supervision/board"
WATCH = "/api/v1/supervision/watchlist"


def _supervisor(db: Session, region: str = "530000", trade: str | None = None, role: Role = Role.SUPERVISOR) -> Any:
    return make_user(db, roles=[RoleGrantIn(role=role, region_code=region, trade_type=trade)])


def _rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(WatchEntry)) or 0


def _events(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event).where(Event.action.like("watchlist.%"))) or 0


def _ids(client: TestClient, headers: dict[str, str], **query: Any) -> list[int]:
    answer = client.get(BOARD, headers=headers, params=query)
    assert answer.status_code == 200, answer.text
    return [row["tender_id"] for row in answer.json()["rows"]]


# -- the live view --------------------------------------------------------------------------------------------------


def test_a_published_lot_shows_its_stage_and_bid_deadline_and_nothing_of_its_bidders_招标投标法_第22条(
    client: TestClient, db: Session
) -> None:
    """招标投标法 第22条: 招标人不得向他人透露已获取招标文件的潜在投标人的名称、数量 — the live view answers the
    same before and after a bidder registers."""
    tender, _ = make_published_tender(db)
    headers = token_for(db, _supervisor(db))
    before = client.get(BOARD, headers=headers).json()
    browser_login(client, db, _supervisor(db))
    page_before = client.get("/workspace/board").text
    [row] = before["rows"]
    assert (row["tender_id"], row["stage"], row["deadline"]) == (tender.id, "published", "bid_deadline")
    assert row["seconds_left"] == 25 * 86400
    assert (row["finance_alerts"], row["rigging_markers"], row["violations"], row["halts"]) == (None, None, 0, [])
    bidder = bidder_user(db)
    tendering.register_for_tender(db, principal(db, bidder, Permission.TENDER_REGISTER), tender_id=tender.id,
                                  now=TEST_NOW)  # fmt: skip
    after = client.get(BOARD, headers=headers).json()
    assert after == before, "a registration must not change what the supervisor sees before the opening"
    assert client.get("/workspace/board").text == page_before
    text = json.dumps(after)
    assert "registr" not in text
    assert "bidder" not in text


def test_the_board_page_shows_the_lot_in_beijing_time_with_the_time_left(client: TestClient, db: Session) -> None:
    tender, _ = make_published_tender(db)
    browser_login(client, db, _supervisor(db))
    page = client.get("/workspace/board")
    assert page.status_code == 200, page.text
    assert f'id="board-{tender.id}"' in page.text
    assert "25天0小时" in page.text
    assert "投标截止（开标）" in page.text
    assert "14:00" in page.text  # 06:00 UTC is 14:00 in Beijing
    home = client.get("/workspace")
    assert home.text.index("/workspace/board") < home.text.index("/workspace/oversight")


def test_scope_province_city_and_county_supervisors_see_their_lots_and_no_others(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    """A lot in 昆明市五华区 (530102) and one in 曲靖市 (530300): the province sees both, the Kunming city and the
    Wuhua county supervisors only the first, Qujing's only the second; another trade type or another province
    none; an inspector as its grant says."""
    kunming, _ = make_published_tender(db)
    qujing = make_opened_tender(db, gm_ca, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00],
                                centre_level="other_city")["tender"]  # fmt: skip
    expect = {
        ("530000", None): {kunming.id, qujing.id},
        ("530100", None): {kunming.id},
        ("530102", None): {kunming.id},
        ("530300", None): {qujing.id},
        ("530103", None): set(),
        ("520000", None): set(),
        ("530000", "gov_procurement"): set(),
        ("530000", "construction"): {kunming.id, qujing.id},
    }
    for (region, trade), wanted in expect.items():
        for role in (Role.SUPERVISOR, Role.INSPECTOR):
            headers = token_for(db, _supervisor(db, region, trade, role))
            assert set(_ids(client, headers)) == wanted, (region, trade, role)
    bidder = token_for(db, bidder_user(db))
    assert client.get(BOARD, headers=bidder).status_code == 403


def test_after_the_opening_the_view_reads_the_openings_markers_and_filters_and_pages(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    opened = make_opened_tender(db, gm_ca, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00])["tender"]
    published, _ = make_published_tender(db)
    headers = token_for(db, _supervisor(db))
    rows = {row["tender_id"]: row for row in client.get(BOARD, headers=headers).json()["rows"]}
    assert rows[opened.id]["stage"] == "opened"
    assert rows[opened.id]["opened"] is True
    assert rows[opened.id]["finance_alerts"] == 0
    assert rows[opened.id]["rigging_markers"] == 0
    assert rows[opened.id]["deadline"] is None
    assert _ids(client, headers) == [published.id, opened.id]  # with a deadline first, by time left
    assert _ids(client, headers, stage="opened") == [opened.id]
    assert _ids(client, headers, alerts_only="true") == []
    paged = client.get(BOARD, headers=headers, params={"limit": 1, "offset": 1}).json()
    assert paged["total"] == 2
    assert [row["tender_id"] for row in paged["rows"]] == [opened.id]


def test_a_halt_in_force_is_an_alert(client: TestClient, db: Session) -> None:
    """招标投标法实施条例 第22条: an unanswered objection to the documents pauses the tender — an alert, with the
    last day of its answer as the next deadline."""
    tender, _ = make_published_tender(db)
    bidder = bidder_user(db)
    actor = principal(db, bidder, Permission.TENDER_REGISTER)
    tendering.register_for_tender(db, actor, tender_id=tender.id, now=TEST_NOW)
    objector = principal(db, bidder, Permission.TENDER_OBJECT)
    tendering.raise_objection(db, objector, tender_id=tender.id, text="评分标准有倾向性", now=TEST_NOW)
    headers = token_for(db, _supervisor(db))
    [row] = client.get(BOARD, headers=headers, params={"alerts_only": "true"}).json()["rows"]
    assert row["halts"] == ["paused_by_objection"]
    assert row["deadline"] == "objection_answer"
    assert 0 < row["seconds_left"] < 25 * 86400


def _publish_lot(db: Session, setup: dict[str, Any], index: int) -> None:
    from ggzy.tendering.procedures import Method

    agent = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    tender = tendering.create_tender(
        db, agent, lot_id=setup["lots"][index].id, procedure_key="open", method=Method.SCORING,
        title=f"第{index + 1}标段施工招标", notice_text="招标公告正文", documents_until=TEST_NOW + timedelta(days=10),
        bid_deadline=TEST_NOW + timedelta(days=25, hours=index), invited_entity_ids=[], now=TEST_NOW,
    )  # fmt: skip
    tendering.attach_documents(
        db, agent, tender_id=tender.id, sha256="a" * 64, name="招标文件.pdf", size=10, now=TEST_NOW
    )
    tendering.publish_tender(db, agent, tender_id=tender.id, now=TEST_NOW)


def test_the_page_takes_a_fixed_number_of_queries_for_1_lot_as_for_20(db: Session) -> None:
    """No N+1: each fact of the page is one bulk read over all the lots."""
    from ggzy.supervision import watchlist
    from tests.factories import make_accepted_project

    supervisor = principal(db, _supervisor(db), Permission.SUPERVISION_BOARD)
    setup = make_accepted_project(db, lots=20)
    make_published_tender(db, setup=setup)
    keeper = principal(db, _supervisor(db), Permission.WATCHLIST_MANAGE)
    watchlist.add(db, keeper, credit_code=setup["owner"].credit_code, grounds="多次投诉", until=None, now=TEST_NOW)

    def queries() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        bind = db.connection()
        event.listen(bind, "before_cursor_execute", count)
        try:
            board.board(db, supervisor, now=TEST_NOW, limit=100)
        finally:
            event.remove(bind, "before_cursor_execute", count)
        return len(statements)

    one = queries()
    for index in range(1, 20):
        _publish_lot(db, setup, index)
    rows = board.board(db, supervisor, now=TEST_NOW, limit=100).rows
    assert len(rows) == 20
    assert all(row.watched for row in rows)
    assert queries() == one <= 16  # a dozen bulk reads, whatever the number of lots


# -- the watch list -------------------------------------------------------------------------------------------------


def test_a_supervisor_watches_an_owner_and_its_lot_is_tracked_at_once(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    headers = token_for(db, _supervisor(db))
    body = {"credit_code": setup["owner"].credit_code, "grounds": "近一年三次被投诉", "until": "2027-06-30"}
    answer = client.post(WATCH, headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    entry = answer.json()
    assert (entry["region_code"], entry["trade_type"], entry["grounds"]) == ("530000", None, "近一年三次被投诉")
    assert _events(db) == 1
    [added] = db.scalars(select(Event).where(Event.action == "watchlist.added")).all()
    assert added.disclosed is False
    assert _ids(client, headers, watched_only="true") == [tender.id]
    inspector = token_for(db, _supervisor(db, "530100", role=Role.INSPECTOR))
    [listed] = client.get(WATCH, headers=inspector).json()
    assert listed["tracked_tender_ids"] == [tender.id]
    assert listed["entity_name"] == setup["owner"].name
    again = client.post(WATCH, headers=headers, json={"credit_code": setup["owner"].credit_code, "grounds": "再次"})
    assert again.status_code == 409
    assert _rows(db) == 1


def test_a_watched_bidder_is_tracked_only_after_the_opening_招标投标法_第22条(db: Session, gm_ca: Path) -> None:
    """招标投标法 第22条 / 第36条: until the opening nobody learns who registered or bid — the watch list neither."""
    from ggzy.supervision import watchlist

    supervisor = principal(db, _supervisor(db), Permission.WATCHLIST_MANAGE)
    seen_before: list[tuple[int, ...]] = []

    def before_opening(tender: Any, bidders: list[Any]) -> None:
        code = db.get(type(make_entity(db)), bidders[0].entity_id).credit_code  # type: ignore[union-attr]
        watchlist.add(db, supervisor, credit_code=code, grounds="围标嫌疑", until=None, now=TEST_NOW)
        [row] = [r for r in board.all_rows(db, supervisor, now=TEST_NOW) if r.tender_id == tender.id]
        seen_before.append(row.watched)
        [item] = board.watch_list(db, supervisor, now=TEST_NOW)
        assert item.tracked == []

    scene = make_opened_tender(db, gm_ca, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00],
                               before_opening=before_opening)  # fmt: skip
    assert seen_before == [()]
    [row] = [r for r in board.all_rows(db, supervisor, now=scene["opened_at"]) if r.tender_id == scene["tender"].id]
    assert len(row.watched) == 1
    [item] = board.watch_list(db, supervisor, now=scene["opened_at"])
    assert [tracked.tender_id for tracked in item.tracked] == [scene["tender"].id]


def test_a_watched_entity_that_only_registered_is_never_tracked_招标投标法_第22条(db: Session, gm_ca: Path) -> None:
    """招标投标法 第22条: the potential bidders (who obtained the documents) stay secret; the opening (第36条) names the
    bidders only. An entity that registered and never bid is not linked to the lot, after the opening either."""
    from ggzy.entities.service import get_entity
    from ggzy.supervision import watchlist

    supervisor = principal(db, _supervisor(db), Permission.WATCHLIST_MANAGE)
    registrant = bidder_user(db)

    def before_opening(tender: Any, bidders: list[Any]) -> None:
        actor = principal(db, registrant, Permission.TENDER_REGISTER)
        tendering.register_for_tender(db, actor, tender_id=tender.id, now=TEST_NOW)
        code = get_entity(db, registrant.entity_id or 0).credit_code
        watchlist.add(db, supervisor, credit_code=code, grounds="围标嫌疑", until=None, now=TEST_NOW)

    scene = make_opened_tender(db, gm_ca, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00],
                               before_opening=before_opening)  # fmt: skip
    [row] = [r for r in board.all_rows(db, supervisor, now=scene["opened_at"]) if r.tender_id == scene["tender"].id]
    assert row.watched == ()
    [item] = board.watch_list(db, supervisor, now=scene["opened_at"])
    assert item.tracked == []


def test_bad_watch_entries_are_refused_and_leave_no_row_and_no_event(client: TestClient, db: Session) -> None:
    headers = token_for(db, _supervisor(db))
    owner = make_entity(db)
    cases = [
        ({"credit_code": "91530100MA0000000X", "grounds": "理由"}, 422, "credit_code_invalid"),
        ({"credit_code": credit_code(serial=987654), "grounds": "理由"}, 404, "watch_entity_not_registered"),
        ({"credit_code": owner.credit_code, "grounds": " "}, 422, None),
        ({"credit_code": owner.credit_code}, 422, None),
        ({"credit_code": owner.credit_code, "grounds": "理由", "until": "2020-01-01"}, 422, None),
        ({"credit_code": "<script>", "grounds": "理由"}, 422, None),
    ]
    for body, status, code in cases:
        answer = client.post(WATCH, headers=headers, json=body)
        assert answer.status_code == status, (body, answer.text)
        if code:
            assert answer.json()["code"] == code
    assert (_rows(db), _events(db)) == (0, 0)


def test_an_inspector_reads_and_never_writes(client: TestClient, db: Session) -> None:
    owner = make_entity(db)
    inspector = token_for(db, _supervisor(db, role=Role.INSPECTOR))
    refused = client.post(WATCH, headers=inspector, json={"credit_code": owner.credit_code, "grounds": "理由"})
    assert refused.status_code == 403
    assert (_rows(db), _events(db)) == (0, 0)
    supervisor = token_for(db, _supervisor(db))
    entry = client.post(WATCH, headers=supervisor, json={"credit_code": owner.credit_code, "grounds": "理由"}).json()
    remove = client.post(f"{WATCH}/{entry['id']}/remove", headers=inspector, json={"reason": "已整改"})
    assert remove.status_code == 403
    assert _events(db) == 1
    assert db.get(WatchEntry, entry["id"]).removed_at is None
    assert [row["id"] for row in client.get(WATCH, headers=inspector).json()] == [entry["id"]]


def test_removal_needs_a_reason_and_the_jurisdiction_that_covers_the_entry(client: TestClient, db: Session) -> None:
    owner = make_entity(db)
    province = token_for(db, _supervisor(db, "530000"))
    entry = client.post(WATCH, headers=province, json={"credit_code": owner.credit_code, "grounds": "理由"}).json()
    city = token_for(db, _supervisor(db, "530100"))
    elsewhere = token_for(db, _supervisor(db, "520000"))
    assert [row["id"] for row in client.get(WATCH, headers=city).json()] == [entry["id"]]  # seen in the city
    assert client.get(WATCH, headers=elsewhere).json() == []
    refusals = [
        (city, {"reason": "已整改"}, 403, "watch_scope_denied"),
        (elsewhere, {"reason": "已整改"}, 404, "not_found"),
        (province, {"reason": ""}, 422, None),
    ]
    for headers, body, status, code in refusals:
        answer = client.post(f"{WATCH}/{entry['id']}/remove", headers=headers, json=body)
        assert answer.status_code == status, answer.text
        if code:
            assert answer.json()["code"] == code
    assert _events(db) == 1
    removed = client.post(f"{WATCH}/{entry['id']}/remove", headers=province, json={"reason": "已整改到位"})
    assert removed.status_code == 200, removed.text
    assert removed.json()["removal_reason"] == "已整改到位"
    assert _events(db) == 2
    assert _rows(db) == 1
    assert client.get(WATCH, headers=province).json() == []
    twice = client.post(f"{WATCH}/{entry['id']}/remove", headers=province, json={"reason": "再次"})
    assert twice.status_code == 404


def test_an_entry_past_its_last_day_no_longer_tracks(db: Session) -> None:
    from ggzy.supervision import watchlist

    _tender, setup = make_published_tender(db)
    supervisor = principal(db, _supervisor(db), Permission.WATCHLIST_MANAGE)
    last_day = (TEST_NOW + timedelta(days=2)).date()
    watchlist.add(db, supervisor, credit_code=setup["agent"].credit_code, grounds="理由", until=last_day, now=TEST_NOW)
    [row] = board.all_rows(db, supervisor, now=TEST_NOW)
    assert row.watched
    [row] = board.all_rows(db, supervisor, now=TEST_NOW + timedelta(days=3))
    assert row.watched == ()


def test_the_watch_list_page_adds_and_removes_with_outcomes(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    browser_login(client, db, _supervisor(db))
    form = {"csrf_token": csrf_from(client, "/workspace/watchlist"), "credit_code": setup["owner"].credit_code,
            "grounds": "多次投诉", "until": ""}  # fmt: skip
    added = client.post("/workspace/watchlist", data=form, follow_redirects=False)
    assert outcome_code(added) == "watch_added", added.text
    page = client.get("/workspace/watchlist")
    assert setup["owner"].name in page.text
    assert "多次投诉" in page.text
    assert f"/workspace/board#board-{tender.id}" in page.text
    assert "重点关注" in client.get("/workspace/board?watched=1").text
    bad = client.post("/workspace/watchlist", data=form | {"credit_code": "123", "csrf_token": csrf_from(
        client, "/workspace/watchlist")})  # fmt: skip
    assert bad.status_code == 422
    assert _rows(db) == 1
    [entry] = db.scalars(select(WatchEntry)).all()
    token = csrf_from(client, "/workspace/watchlist")
    removed = client.post(
        f"/workspace/watchlist/{entry.id}/remove",
        follow_redirects=False,
        data={"csrf_token": token, "reason": "已整改"},
    )
    assert outcome_code(removed) == "watch_removed"
    assert _events(db) == 2
    client.cookies.clear()
    browser_login(client, db, _supervisor(db, role=Role.INSPECTOR))
    inspector_page = client.get("/workspace/watchlist")
    assert inspector_page.status_code == 200
    assert 'action="/workspace/watchlist"' not in inspector_page.text  # no form to add


def test_an_undecided_complaint_and_its_suspension_are_alerts_实施条例_第61条_第62条(db: Session, gm_ca: Path) -> None:
    """招标投标法实施条例 第61条: a complaint accepted and not yet decided is counted; 第62条: the suspension the
    supervisor ordered while handling it is a halt in force. The candidate publicity's end (第54条) stays the next
    deadline: it comes before the decision's 30 working days."""
    from ggzy.complaints.models import Complaint
    from tests.complaints.scenarios import complaint_scenario

    complaint_scenario(db, gm_ca, "complaint.tender_suspended")()  # a publicised round's complaint, accepted
    complaint = db.scalars(select(Complaint)).one()
    supervisor = principal(db, _supervisor(db), Permission.SUPERVISION_BOARD)
    now = complaint.accepted_at
    [row] = [r for r in board.all_rows(db, supervisor, now=now) if r.tender_id == complaint.tender_id]
    assert (row.complaints, row.halts, row.stage.value) == (1, ("suspended",), "publicity")
    assert row.deadline is not None
    assert row.deadline.key == board.PUBLICITY_END
    assert row.deadline.at < board.end_of_day(complaint.decision_due)  # type: ignore[arg-type]
    assert (row.rigging_markers, row.finance_alerts) == (0, 0)
    other_trade = principal(db, _supervisor(db, trade="gov_procurement"), Permission.SUPERVISION_BOARD)
    assert board.all_rows(db, other_trade, now=now) == []
