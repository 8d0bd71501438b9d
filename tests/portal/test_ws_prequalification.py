"""The prequalification pages (资格预审): the applicant applies on its page, a late envelope is refused inline and
leaves nothing; the owner's page shows no applicant before the opening and runs the result to the invited tender."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.prequalification.models import Application
from ggzy.tendering.models import Invitation
from tests.factories import event_count
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code
from tests.prequalification import scenarios
from tests.prequalification.scenarios import DEADLINE, applicant


def _counts(db: Session, app: FastAPI) -> tuple[int, int, int]:
    files = [path for path in app.state.blob_store.root.rglob("*") if path.is_file()]
    return db.scalar(select(func.count()).select_from(Application)) or 0, event_count(db), len(files)


def test_an_applicant_applies_on_its_page_and_a_late_envelope_is_refused_with_its_article_实施条例_第17条(
    client: TestClient, app: FastAPI, db: Session, clock: FixedClock
) -> None:
    prequalification, _ = scenarios.published(db)
    who = applicant(db)
    envelope = scenarios.seal(db, prequalification, who)
    browser_login(client, db, who.user)
    db.commit()
    page = f"/workspace/bidder/prequalifications/{prequalification.id}"
    shown = client.get(page)
    assert shown.status_code == 200
    assert (
        scenarios.service.application_code(*scenarios.service.project_of(db, prequalification), prequalification)
        in shown.text
    )

    applied = client.post(
        f"{page}/applications", data={"csrf_token": csrf_from(client, page)},
        files={"envelope": ("APPLICATION.ggzy", envelope)}, follow_redirects=False,
    )  # fmt: skip
    assert applied.status_code == 303
    assert outcome_code(applied) == "applied"
    before = _counts(db, app)

    token = csrf_from(client, page)
    clock.set(DEADLINE)
    late = client.post(
        f"{page}/applications", data={"csrf_token": token}, files={"envelope": ("APPLICATION.ggzy", envelope)}
    )
    assert problem_code(late) == "prequalification_application_late"
    assert "招标投标法实施条例 第十七条" in late.text
    assert _counts(db, app) == before


def test_the_owners_page_shows_no_applicant_before_the_opening_and_invites_the_pass_list_实施条例_第19条(
    client: TestClient, app: FastAPI, db: Session, clock: FixedClock
) -> None:
    prequalification, setup, crew = scenarios.reviewed(db, app.state.blob_store, verdicts=[True, True, True, False])
    browser_login(client, db, setup["agent_user"])
    db.commit()
    clock.set(scenarios.AFTER)
    page = f"/workspace/projects/prequalifications/{prequalification.id}"
    concluded = client.post(
        f"{page}/result", data={"csrf_token": csrf_from(client, page), "confirmed": "yes"}, follow_redirects=False
    )
    assert concluded.status_code == 303
    for who in crew:
        public_id = scenarios.application_of(db, prequalification, who).public_id
        sent = client.post(
            f"/workspace/projects/prequalification-applications/{public_id}/result-notice",
            data={"csrf_token": csrf_from(client, page)}, follow_redirects=False,
        )  # fmt: skip
        assert sent.status_code == 303
    invited = client.post(
        f"{page}/tender",
        data={"csrf_token": csrf_from(client, page), "title": "邀请招标", "notice_text": "投标邀请书",
              "method": "scoring", "documents_days": "10", "bid_days": "25"},
        follow_redirects=False,
    )  # fmt: skip
    assert invited.status_code == 303, invited.text
    location = invited.headers["location"]
    assert outcome_code(invited) == "invited_from_prequalification"  # the tender's page says what happened
    tender_id = int(location.rsplit("/", 1)[1])
    entities = set(db.scalars(select(Invitation.entity_id).where(Invitation.tender_id == tender_id)))
    assert entities == {who.user.entity_id for who in crew[:3]}


def test_the_owners_page_names_nobody_before_the_opening(client: TestClient, app: FastAPI, db: Session) -> None:
    prequalification, setup = scenarios.published(db)
    crew = [applicant(db) for _ in range(3)]
    for who in crew:
        scenarios.apply(db, app.state.blob_store, prequalification, who)
    browser_login(client, db, setup["agent_user"])
    db.commit()
    shown = client.get(f"/workspace/projects/prequalifications/{prequalification.id}")
    assert shown.status_code == 200
    assert "看不到申请人的名称和数量" in shown.text
    from ggzy.entities.service import entity_names

    for name in entity_names(db, [who.user.entity_id for who in crew]).values():
        assert name not in shown.text
    assert timedelta(0) < DEADLINE - prequalification.published_at
