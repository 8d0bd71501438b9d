"""The opening host's page: start the opening, follow decryption, open by custodians, answer objections, read out
the record — and say nothing about bids before the start (招标投标法 第22条, 实施条例 第44条,
电子招标投标办法 第三十一条)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.crypto import Suite
from ggzy.entities.models import Entity
from ggzy.projects.models import Lot
from ggzy.tendering.models import DecryptedBid, OpeningObjection
from tests.factories import event_count, make_accepted_project, make_user
from tests.portal.ws_support import browser_login, csrf_from, problem_code
from tests.tendering.test_bids import Bidder
from tests.tendering.test_opening import Scene


@pytest.fixture
def scene(client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path) -> Scene:
    return Scene(client, db, gm_ca, intl_ca, 5)


def _page(scene: Scene) -> str:
    return f"/workspace/openings/{scene.tender.id}"


def _post(client: TestClient, scene: Scene, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    token = csrf_from(client, _page(scene))
    return client.post(_page(scene) + path, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def test_the_host_runs_a_whole_opening_from_the_page(
    client: TestClient, db: Session, scene: Scene, clock: FixedClock
) -> None:
    agent = scene.setup["agent_user"]
    browser_login(client, db, agent)
    before = client.get(_page(scene)).text
    assert "投标截止前不能开标" in before
    assert f'action="/workspace/openings/{scene.tender.id}/start"' not in before
    assert all(_name(db, bidder) not in before for bidder in scene.bidders)  # 第22条: not even to the host

    clock.set(scene.tender.bid_deadline)
    started = _post(client, scene, "/start")
    assert started.status_code == 303, started.text
    assert event_count(db, "opening.started") == 1
    again = _post(client, scene, "/start")  # twice: refused inline, nothing written
    assert (again.status_code, problem_code(again)) == (409, "tender_stage_wrong")
    assert event_count(db, "opening.started") == 1

    for number in range(4):  # the fifth bidder does not decrypt
        assert scene.decrypt(number).status_code == 200
    page = client.get(_page(scene)).text
    assert "已解密 4 / 5" in page
    assert _name(db, scene.bidders[4]) in page  # read out at the opening anyway: the host sees who is missing
    assert "custodian-open" not in page  # the bidders' window is still open

    browser_login(client, db, scene.bidders[4].user)  # the fifth bidder objects at the opening
    bidder_page = f"/workspace/bidder/tenders/{scene.tender.id}"
    objected = client.post(
        f"{bidder_page}/opening-objections",
        data={"csrf_token": csrf_from(client, bidder_page), "text": "我方解密客户端故障，请求由保管人开启"},
        follow_redirects=False,
    )
    assert objected.status_code == 303, objected.text
    objection = db.scalars(select(OpeningObjection)).one()

    browser_login(client, db, agent)
    answered = _post(
        client, scene, f"/objections/{objection.public_id}/answer", {"answer": "解密时限结束后由保管人开启"}
    )
    assert answered.status_code == 303, answered.text
    db.refresh(objection)
    assert objection.answer == "解密时限结束后由保管人开启"

    clock.advance(timedelta(minutes=31))  # the window has ended
    assert all(response.status_code == 201 for response in scene.release(Suite.GM, 2))
    bid = next(bid for bid, _ in _undecrypted(db, scene))
    bid_id = bid.id
    opened = _post(client, scene, f"/bids/{bid.public_id}/custodian-open")
    assert opened.status_code == 303, opened.text
    assert db.scalar(select(DecryptedBid.method).where(DecryptedBid.bid_id == bid_id)) == "custodians"

    finished = _post(client, scene, "/finish")
    assert finished.status_code == 303, finished.text
    record = client.get(_page(scene)).text
    assert "开标记录" in record
    assert all(_name(db, bidder) in record for bidder in scene.bidders)
    assert "50,000.00" in record  # the fifth price, 5,000,000 fen, read out as 元
    project_id = db.get(Lot, scene.tender.lot_id).project_id  # type: ignore[union-attr]
    client.cookies.clear()
    public = client.get(f"/projects/{project_id}").text  # the same record on the public project page
    assert all(_name(db, bidder) in public for bidder in scene.bidders)


def _name(db: Session, bidder: Bidder) -> str:
    entity = db.get(Entity, bidder.user.entity_id)
    assert entity is not None
    return entity.name


def _undecrypted(db: Session, scene: Scene):  # type: ignore[no-untyped-def]
    from ggzy.tendering.opening import undecrypted_bids

    return undecrypted_bids(db, scene.tender.id)


def test_finishing_before_the_window_ends_is_refused_and_writes_nothing(
    client: TestClient, db: Session, scene: Scene, clock: FixedClock
) -> None:
    browser_login(client, db, scene.setup["agent_user"])
    clock.set(scene.tender.bid_deadline)
    assert _post(client, scene, "/start").status_code == 303
    refused = _post(client, scene, "/finish")
    assert (refused.status_code, problem_code(refused)) == (409, "decryption_window")
    assert event_count(db, "opening.recorded") == 0
    assert "解密时限结束后方可结束解密" in refused.text


def test_only_the_host_of_this_project_reaches_its_opening_page(
    client: TestClient, db: Session, scene: Scene, clock: FixedClock
) -> None:
    other = make_accepted_project(db)  # another owner and agent, of another project
    browser_login(client, db, other["agent_user"])
    response = client.get(_page(scene))
    assert (response.status_code, problem_code(response)) == (403, "opening_host_mismatch")
    clock.set(scene.tender.bid_deadline)
    refused = client.post(_page(scene) + "/start", data={"csrf_token": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert event_count(db, "opening.started") == 0
    browser_login(client, db, make_user(db, username="opening-host-nobody"))
    assert client.get(_page(scene)).status_code == 403  # no opening.host permission at all


def test_the_owners_tender_page_and_the_centres_day_link_to_the_host_page(
    client: TestClient, db: Session, scene: Scene, clock: FixedClock
) -> None:
    link = f'href="/workspace/openings/{scene.tender.id}"'
    browser_login(client, db, scene.setup["agent_user"])
    assert link in client.get(f"/workspace/projects/tenders/{scene.tender.id}").text
    clock.set(scene.tender.bid_deadline - timedelta(hours=1))  # the day of the opening
    browser_login(client, db, scene.setup["staff"])
    assert link in client.get("/workspace/centre").text


def test_an_objection_of_spaces_only_is_refused_and_writes_nothing(
    client: TestClient, db: Session, scene: Scene, clock: FixedClock
) -> None:
    browser_login(client, db, scene.setup["agent_user"])
    clock.set(scene.tender.bid_deadline)
    assert _post(client, scene, "/start").status_code == 303
    browser_login(client, db, scene.bidders[0].user)
    page = f"/workspace/bidder/tenders/{scene.tender.id}"
    refused = client.post(f"{page}/opening-objections", data={"csrf_token": csrf_from(client, page), "text": "   "})
    assert (refused.status_code, problem_code(refused)) == (422, "invalid_input")
    assert event_count(db, "opening.objection_raised") == 0
