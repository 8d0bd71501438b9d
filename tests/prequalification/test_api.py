"""Prequalification through the HTTP API: problem+json with the article, and nothing left behind by a refusal."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.prequalification.models import Application
from tests.conftest import TEST_NOW
from tests.factories import event_count, token_for
from tests.prequalification import scenarios
from tests.prequalification.scenarios import DEADLINE, applicant


def _counts(db: Session, app: FastAPI) -> tuple[int, int, int]:
    files = [path for path in app.state.blob_store.root.rglob("*") if path.is_file()]
    return db.scalar(select(func.count()).select_from(Application)) or 0, event_count(db), len(files)


def _post(client: TestClient, prequalification_id: int, envelope: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/prequalifications/{prequalification_id}/applications",
        files={"envelope": ("application.ggzy", envelope)},
        headers=headers,
    )


def test_an_application_after_the_deadline_is_refused_with_its_article_and_leaves_nothing_实施条例_第17条(
    client: TestClient, app: FastAPI, db: Session, clock: FixedClock
) -> None:
    prequalification, _ = scenarios.published(db)
    db.commit()
    who = applicant(db)
    envelope = scenarios.seal(db, prequalification, who)
    headers = token_for(db, who.user)
    db.commit()
    on_time = _post(client, prequalification.id, envelope, headers)
    assert on_time.status_code == 201, on_time.text
    assert on_time.json()["passed"] is None
    before = _counts(db, app)

    clock.set(DEADLINE)
    late = _post(client, prequalification.id, envelope, headers)

    assert late.status_code == 409
    assert late.headers["content-type"].startswith("application/problem+json")
    problem = late.json()
    assert problem["code"] == "prequalification_application_late"
    assert "招标投标法实施条例 第十七条" in problem["message_zh"]
    assert "2026-12-08 14:00" in problem["message_zh"]
    assert _counts(db, app) == before


def test_the_public_notice_tells_nobody_who_applied_or_how_many(
    client: TestClient, app: FastAPI, db: Session, clock: FixedClock
) -> None:
    prequalification, setup = scenarios.published(db)
    for _ in range(3):
        scenarios.apply(db, app.state.blob_store, prequalification, applicant(db))
    agent_headers = token_for(db, setup["agent_user"])
    db.commit()
    notice = client.get(f"/api/v1/prequalifications/{prequalification.id}").json()
    assert notice["stage"] == "published"
    assert not {"applications", "applicants", "count"} & set(notice)
    assert set(notice["opening_keys"]) == {"gm", "intl"}
    clock.set(DEADLINE + timedelta(minutes=1))
    sealed = client.get(f"/api/v1/prequalifications/{prequalification.id}/applications", headers=agent_headers)
    assert sealed.status_code == 409
    assert client.get(f"/api/v1/prequalifications/{prequalification.id}").json()["stage"] == "closed"
    started = client.post(f"/api/v1/prequalifications/{prequalification.id}/opening/start", headers=agent_headers)
    assert started.status_code == 200, started.text
    opened = client.get(f"/api/v1/prequalifications/{prequalification.id}/applications", headers=agent_headers)
    assert len(opened.json()) == 3


def test_a_draft_is_not_published_to_anyone(client: TestClient, db: Session) -> None:
    prequalification, _ = scenarios.draft(db)
    db.commit()
    response = client.get(f"/api/v1/prequalifications/{prequalification.id}")
    assert response.status_code == 404
    assert prequalification.application_deadline > TEST_NOW
