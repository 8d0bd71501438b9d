"""The owner's and agent's workspace through the pages: register a project, prepare, document and publish a tender,
clarify, answer objections, follow the opening, confirm the award — and see no bidder before the opening."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock, to_china_time
from ggzy.core.permissions import Permission, Role
from ggzy.entities.models import Entity
from ggzy.projects.models import Project
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from tests.conftest import TEST_NOW
from tests.factories import (
    event_count,
    make_accepted_project,
    make_publicised_tender,
    make_published_tender,
    principal,
    user_with_role,
)
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code
from tests.tendering.test_bids import Bidder, seal


def _local(moment) -> str:  # type: ignore[no-untyped-def]
    return to_china_time(moment).strftime("%Y-%m-%dT%H:%M")


def test_an_agent_prepares_documents_and_publishes_a_tender_on_the_pages(
    client: TestClient, db: Session, trusted: dict[str, int]
) -> None:
    setup = make_accepted_project(db)
    browser_login(client, db, setup["agent_user"])
    home = client.get("/workspace/projects")
    assert home.status_code == 200
    assert setup["project"].code in home.text
    lot_id = setup["lots"][0].id
    token = csrf_from(client, "/workspace/projects")
    created = client.post(
        f"/workspace/projects/lots/{lot_id}/tenders",
        data={
            "csrf_token": token,
            "title": "页面招标",
            "notice_text": "公告正文",
            "procedure": "open",
            "method": "scoring",
            "documents_until": _local(TEST_NOW + timedelta(days=10)),
            "bid_deadline": _local(TEST_NOW + timedelta(days=25)),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    page = created.headers["location"]
    assert outcome_code(created) == "tender_drafted"
    tender = db.scalar(select(Tender).where(Tender.title == "页面招标"))
    assert tender is not None
    assert to_china_time(tender.bid_deadline).strftime("%Y-%m-%dT%H:%M") == _local(TEST_NOW + timedelta(days=25))
    unpublished = client.post(f"{page}/publish", data={"csrf_token": token})
    assert (unpublished.status_code, problem_code(unpublished)) == (409, "tender_documents_missing")
    uploaded = client.post(
        f"{page}/documents",
        data={"csrf_token": token},
        files={"file": ("招标文件.pdf", b"%PDF tender documents")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"] == page
    assert outcome_code(uploaded) == "tender_documents_uploaded"
    draft = client.get(uploaded.headers["location"]).text
    assert "招标文件已上传。" in draft  # the page says what was done
    assert 'data-confirm="确认发布招标公告？' in draft  # and asks before the irreversible step
    published = client.post(f"{page}/publish", data={"csrf_token": token}, follow_redirects=False)
    assert published.status_code == 303, published.text
    assert "招标公告已发布" in client.get(published.headers["location"]).text
    db.refresh(tender)
    assert tender.published_at is not None
    assert event_count(db, "tender.published") == 1


def test_an_agent_registers_a_project_and_a_wrong_owner_code_is_shown_inline(
    client: TestClient, db: Session, trusted: dict[str, int]
) -> None:
    setup = make_accepted_project(db)
    browser_login(client, db, setup["agent_user"])
    token = csrf_from(client, "/workspace/projects")
    form = {
        "csrf_token": token,
        "centre_id": str(setup["centres"]["city"].id),
        "name": "页面登记的项目",
        "trade_type": "construction",
        "region_code": "530102",
        "other_credit_code": "91530100MA00000000",
        "lot_name": "第1标段",
        "budget": "500000.00",
    }
    before = db.scalar(select(func.count()).select_from(Project))
    wrong = client.post("/workspace/projects", data=form)
    assert (wrong.status_code, problem_code(wrong)) == (404, "not_found")
    assert 'role="alert"' in wrong.text
    assert db.scalar(select(func.count()).select_from(Project)) == before
    registered = client.post(
        "/workspace/projects", data=form | {"other_credit_code": setup["owner"].credit_code}, follow_redirects=False
    )
    assert registered.status_code == 303, registered.text
    assert "项目登记已提交" in client.get(registered.headers["location"]).text
    project = db.scalar(select(Project).where(Project.name == "页面登记的项目"))
    assert project is not None
    assert (project.owner_id, project.agent_id, project.status) == (setup["owner"].id, setup["agent"].id, "submitted")


@pytest.fixture
def published(db: Session, trusted: dict[str, int]):  # type: ignore[no-untyped-def]
    tender, setup = make_published_tender(db)
    return tender, setup


def test_before_opening_the_owner_sees_no_registration_nor_bid_nor_their_number(
    client: TestClient,
    db: Session,
    published,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    """招标投标法 第22条: the owner learns who registered or bid, and how many, only at the opening."""
    tender, setup = published
    crew = [Bidder(db, gm_ca, tender.id) for _ in range(2)]
    for bidder in crew:
        browser_login(client, db, bidder.user)
        page = f"/workspace/bidder/tenders/{tender.id}"
        client.post(
            f"{page}/bids",
            data={"csrf_token": csrf_from(client, page)},
            files={"envelope": ("B", seal(db, tender, bidder))},
        )
    for user in (setup["owner_user"], setup["agent_user"]):
        client.cookies.clear()
        browser_login(client, db, user)
        texts = [client.get("/workspace/projects").text, client.get(f"/workspace/projects/tenders/{tender.id}").text]
        for text in texts:
            for bidder in crew:
                entity = db.get(Entity, bidder.user.entity_id)
                assert entity is not None
                assert entity.name not in text
            assert "/ 2 " not in text
        assert "开标前不公开任何投标人信息" in texts[1]


def test_another_entitys_agent_may_not_manage_the_tender(
    client: TestClient,
    db: Session,
    published,  # type: ignore[no-untyped-def]
) -> None:
    tender, _ = published
    browser_login(client, db, user_with_role(db, Role.AGENT, entity=True))
    response = client.get(f"/workspace/projects/tenders/{tender.id}")
    assert (response.status_code, problem_code(response)) == (403, "tender_manager_mismatch")


def test_the_agent_clarifies_and_answers_an_objection_without_learning_who_raised_it(
    client: TestClient,
    db: Session,
    published,
    gm_ca: Path,  # type: ignore[no-untyped-def]
) -> None:
    tender, setup = published
    objector = Bidder(db, gm_ca, tender.id)
    objection = tendering.raise_objection(
        db,
        principal(db, objector.user, Permission.TENDER_OBJECT),
        tender_id=tender.id,
        text="资格条件排斥潜在投标人",
        interest=None,
        now=TEST_NOW,
    )
    browser_login(client, db, setup["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    text = client.get(page).text
    assert "资格条件排斥潜在投标人" in text
    entity = db.get(Entity, objector.user.entity_id)
    assert entity is not None
    assert entity.name not in text
    token = csrf_from(client, page)
    answered = client.post(
        f"/workspace/projects/objections/{objection.public_id}/answer",
        data={"csrf_token": token, "tender_id": str(tender.id), "answer": "已修改资格条件"},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    clarified = client.post(
        f"{page}/clarifications", data={"csrf_token": token, "text": "修改第三章", "affects_bids": "true"},
        follow_redirects=False,
    )  # fmt: skip
    assert clarified.status_code == 303, clarified.text
    after = client.get(page).text
    assert "已修改资格条件" in after
    assert "修改第三章" in after


def test_the_agent_confirms_the_first_candidate_after_the_publicity(
    client: TestClient, db: Session, app: FastAPI, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    publicised = make_publicised_tender(db, gm_ca)
    tender = publicised["tender"]
    browser_login(client, db, publicised["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    token = csrf_from(client, page)
    first = publicised["publicity"]
    from ggzy.awards import service as awards

    bid_id = awards.candidates_of(first)[0]["bid_id"]
    early = client.post(f"{page}/award", data={"csrf_token": token, "bid_id": str(bid_id)})
    assert early.status_code in (409, 422), early.text  # the publicity is still running (实施条例 第54条)
    assert event_count(db, "award.awarded") == 0
    clock.set(first.ends_at)
    confirmed = client.post(f"{page}/award", data={"csrf_token": token, "bid_id": str(bid_id)}, follow_redirects=False)
    assert confirmed.status_code == 303, confirmed.text
    assert event_count(db, "award.awarded") == 1
    assert "已定标" in client.get(page).text


def test_the_agent_answers_an_objection_to_the_result_during_the_publicity(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    """实施条例 第54条: a bidder objects during the publicity; the owner or its agent answers."""
    from ggzy.awards import service as awards

    publicised = make_publicised_tender(db, gm_ca)
    tender, objector = publicised["tender"], publicised["bidders"][2]
    objection = awards.raise_objection(
        db, principal(db, objector, Permission.AWARD_OBJECT), tender_id=tender.id, text="第一名业绩不实",
        now=publicised["reported_at"],
    )  # fmt: skip
    browser_login(client, db, publicised["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    assert "第一名业绩不实" in client.get(page).text
    answered = client.post(
        f"/workspace/projects/publicity-objections/{objection.id}/answer",
        data={"csrf_token": csrf_from(client, page), "tender_id": str(tender.id), "answer": "经核实业绩真实"},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    assert event_count(db, "award.objection_answered") == 1
    assert "经核实业绩真实" in client.get(page).text


def test_the_workspace_offers_the_procedures_of_the_trade_types_law_and_the_next_step(
    client: TestClient, db: Session, trusted: dict[str, int]
) -> None:
    """DESIGN §5: the trade type picks the law — a government-procurement project is offered the procedures of
    政府采购法 only, a land project none (listing and auction come later), and each round shows its next step."""
    procurement = make_accepted_project(db, trade_type="gov_procurement")
    browser_login(client, db, procurement["agent_user"])
    home = client.get("/workspace/projects").text
    assert 'value="gp_open"' in home
    assert 'value="rfq"' in home
    assert 'value="single_source"' in home
    assert 'value="open"' not in home  # 招标投标法's open tendering is not offered for 政府采购
    token = csrf_from(client, "/workspace/projects")
    refused = client.post(
        f"/workspace/projects/lots/{procurement['lots'][0].id}/tenders",
        data={
            "csrf_token": token, "title": "错用的方式", "notice_text": "正文", "procedure": "open", "method": "scoring",
            "documents_until": _local(TEST_NOW + timedelta(days=10)),
            "bid_deadline": _local(TEST_NOW + timedelta(days=25)),
        },
    )  # fmt: skip
    assert (refused.status_code, problem_code(refused)) == (422, "procedure_not_for_trade_type")
    assert db.scalar(select(func.count()).select_from(Tender)) == 0
    created = client.post(
        f"/workspace/projects/lots/{procurement['lots'][0].id}/tenders",
        data={
            "csrf_token": token, "title": "设备采购", "notice_text": "正文", "procedure": "gp_open",
            "method": "lowest_price", "documents_until": _local(TEST_NOW + timedelta(days=10)),
            "bid_deadline": _local(TEST_NOW + timedelta(days=25)),
        },
    )  # fmt: skip
    assert created.status_code == 200, created.text
    listing = client.get("/workspace/projects").text
    assert "公开招标（政府采购）" in listing
    assert "上传招标（采购）文件" in listing  # the next step of a draft


def test_terminating_a_round_asks_first_and_says_what_happened(
    client: TestClient, db: Session, trusted: dict[str, int]
) -> None:
    """招标投标法实施条例 第31条: the owner or agent terminates at any stage with its reason; the page asks for a
    confirmation, and a request without it changes nothing."""
    tender, setup = make_published_tender(db)
    browser_login(client, db, setup["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    assert "终止本轮" in client.get(page).text
    token = csrf_from(client, page)
    before = event_count(db)
    unconfirmed = client.post(f"{page}/terminate", data={"csrf_token": token, "reason": "需求变化"})
    assert (unconfirmed.status_code, problem_code(unconfirmed)) == (422, "invalid_input")
    assert event_count(db) == before
    done = client.post(f"{page}/terminate", data={"csrf_token": token, "reason": "需求变化", "confirmed": "yes"})
    assert done.status_code == 200, done.text
    assert "本轮已终止" in done.text
    db.refresh(tender)
    assert tender.stage == "cancelled"
    assert event_count(db, "tender.cancelled") == 1
    assert "终止本轮" not in client.get(page).text  # over: nothing to terminate
