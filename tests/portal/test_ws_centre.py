"""The centre staff's workspace through the pages: accept or return registrations, today's openings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Permission, Role
from ggzy.entities.models import Entity
from ggzy.projects import service as projects
from ggzy.projects.schemas import LotIn, ProjectIn
from tests.conftest import TEST_NOW
from tests.factories import make_accepted_project, make_published_tender, principal, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, problem_code
from tests.tendering.test_bids import Bidder, seal


def _submitted(db: Session, setup: dict | None = None) -> tuple[dict, int]:
    setup = setup or make_accepted_project(db)
    project = projects.register_project(
        db,
        principal(db, setup["agent_user"], Permission.PROJECT_REGISTER),
        data=ProjectIn(
            centre_id=setup["centres"]["city"].id, name="待受理工程", trade_type="construction", region_code="530102",
            owner_id=setup["owner"].id, agent_id=setup["agent"].id, lots=[LotIn(name="第1标段", budget="100000.00")],
        ),
        now=TEST_NOW,
    )  # fmt: skip
    return setup, project.id


def test_staff_accept_a_registration_of_their_centre_and_return_another(client: TestClient, db: Session) -> None:
    setup, project_id = _submitted(db)
    _, other_id = _submitted(db, setup)
    browser_login(client, db, setup["staff"])
    home = client.get("/workspace/centre")
    assert home.status_code == 200
    assert "待受理工程" in home.text
    token = csrf_from(client, "/workspace/centre")
    accepted = client.post(
        f"/workspace/centre/projects/{project_id}/accept", data={"csrf_token": token}, follow_redirects=False
    )
    assert accepted.status_code == 303, accepted.text
    again = client.post(f"/workspace/centre/projects/{project_id}/accept", data={"csrf_token": token})
    assert (again.status_code, problem_code(again)) == (409, "registration_not_pending")
    assert 'role="alert"' in again.text
    returned = client.post(
        f"/workspace/centre/projects/{other_id}/return",
        data={"csrf_token": token, "reason": "缺少审批文件"},
        follow_redirects=False,
    )
    assert returned.status_code == 303, returned.text
    assert "待受理工程" not in client.get("/workspace/centre").text


def test_staff_of_another_centre_cannot_accept(client: TestClient, db: Session) -> None:
    _, project_id = _submitted(db)
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))
    token = csrf_from(client, "/workspace/centre")
    refused = client.post(f"/workspace/centre/projects/{project_id}/accept", data={"csrf_token": token})
    assert refused.status_code in (403, 404)
    assert problem_code(refused) in ("centre_scope_denied", "not_found")


def _openings(page: str) -> str:
    """The section of today's openings (the rooms section below it lists the tenders to book rooms for)."""
    return page.split('id="openings"')[1].split('id="rooms"')[0]


def test_todays_openings_show_no_bidder_nor_their_number_before_the_opening(
    client: TestClient, db: Session, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    tender, setup = make_published_tender(db)
    crew = [Bidder(db, gm_ca, tender.id) for _ in range(2)]
    for bidder in crew:
        browser_login(client, db, bidder.user)
        page = f"/workspace/bidder/tenders/{tender.id}"
        client.post(
            f"{page}/bids",
            data={"csrf_token": csrf_from(client, page)},
            files={"envelope": ("B", seal(db, tender, bidder))},
        )
    client.cookies.clear()
    browser_login(client, db, setup["staff"])
    assert tender.title not in _openings(client.get("/workspace/centre").text)  # not today yet
    clock.set(tender.bid_deadline - timedelta(hours=1))
    text = client.get("/workspace/centre").text
    assert tender.title in _openings(text)
    assert f'href="/openings/{tender.id}"' in _openings(text)
    for bidder in crew:
        entity = db.get(Entity, bidder.user.entity_id)
        assert entity is not None
        assert entity.name not in text
