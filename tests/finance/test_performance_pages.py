"""The pages of performance security and fees (decision 0037): tables not JSON, amounts in 元 and in 大写, the
sub-account to pay into, irreversible steps asking first; a refused form leaves no row and no event."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.money import format_yuan_uppercase
from ggzy.core.permissions import Role
from ggzy.finance import fees, performance, purpose_accounts
from ggzy.finance.purpose_models import FeeSchedule
from ggzy.tendering import service as tendering
from tests.factories import make_awarded_tender, user_with_role
from tests.finance.performance_support import awarded_with_security, opened, pay, save, scene_winner_user
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code


def test_the_centre_saves_a_fee_schedule_on_its_page_and_a_malformed_one_is_refused_leaving_nothing(
    client: TestClient, db: Session
) -> None:
    staff = user_with_role(db, Role.CENTRE_STAFF)
    browser_login(client, db, staff)
    page = client.get("/workspace/centre/fee-schedule")
    assert page.status_code == 200
    assert "data-confirm" in page.text
    token = csrf_from(client, "/workspace/centre/fee-schedule")
    form = {"csrf_token": token, "payer": "winner", "due_days": "10", "minimum": "", "maximum": "50000"}
    bad = client.post("/workspace/centre/fee-schedule", data=form | {"bands": "1000000,0.5\n500000,0.3\n,0.1"})
    assert bad.status_code == 422
    assert problem_code(bad) == "fee_schedule_invalid"
    assert db.scalar(select(func.count()).select_from(FeeSchedule)) == 0
    assert db.scalar(select(func.count()).select_from(Event).where(Event.action == "fee.schedule_saved")) == 0
    done = client.post(
        "/workspace/centre/fee-schedule", data=form | {"bands": "1000000,0.5\n5000000,0.3\n,0.1"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "fee_schedule_saved"
    [row] = db.scalars(select(FeeSchedule)).all()
    assert (row.maximum_fen, row.payer, len(fees.bands_of(row))) == (5_000_000, "winner", 3)
    shown = client.get("/workspace/centre/fee-schedule").text
    assert "<table>" in shown
    assert "0.3%" in shown


def test_the_payer_reads_its_fee_notice_band_by_band_in_yuan_and_in_words_with_the_sub_account(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_awarded_tender(
        db, gm_ca, before_opening=lambda t, u: save(db, tendering.project_of(db, t)[0].centre_id)
    )
    notice = fees.notice_of(db, scene["tender"].id)
    assert notice is not None
    sub = opened(db, fees.view(db, notice).sub_account)
    browser_login(client, db, scene_winner_user(db, scene))
    page = client.get(f"/workspace/fees/{scene['tender'].id}")
    assert page.status_code == 200, page.text
    assert sub.number in page.text
    assert format_yuan_uppercase(notice.amount_fen) in page.text
    assert "0.5%" in page.text
    assert "未缴" in page.text
    tender_page = client.get(f"/workspace/bidder/tenders/{scene['tender'].id}")  # linked from the bidder's tender
    assert f'href="/workspace/fees/{scene["tender"].id}"' in tender_page.text
    pay(db, sub, notice.amount_fen)
    paid = client.get(f"/workspace/fees/{scene['tender'].id}")
    assert "已缴清" in paid.text
    assert fees.view(db, notice).receipt_number in paid.text


def test_the_winner_sees_its_performance_security_and_the_owner_records_completion_after_asking(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = awarded_with_security(db, gm_ca)
    tender = scene["tender"]
    security = performance.security_of(db, tender.id)
    assert security is not None
    sub = opened(db, purpose_accounts.of_tender(db, "performance", tender.id))  # type: ignore[arg-type]
    browser_login(client, db, scene_winner_user(db, scene))
    page = client.get(f"/workspace/performance/{tender.id}")
    assert page.status_code == 200, page.text
    assert sub.number in page.text
    assert "未提交" in page.text
    assert f'action="/workspace/performance/{tender.id}/guarantee"' in page.text
    pay(db, sub, security.required_fen)
    assert "已提交" in client.get(f"/workspace/performance/{tender.id}").text
    client.cookies.clear()
    browser_login(client, db, scene["agent_user"])
    owner_page = client.get(f"/workspace/performance/{tender.id}")
    assert "data-confirm" in owner_page.text
    token = csrf_from(client, f"/workspace/performance/{tender.id}")
    early = client.post(
        f"/workspace/performance/{tender.id}/completion", data={"csrf_token": token, "completed_on": "2026-01-05"}
    )
    assert early.status_code == 409  # no contract yet: refused, nothing ordered
    assert problem_code(early) == "conflict"
    assert db.scalar(select(func.count()).select_from(Event).where(Event.action == "performance.completed")) == 0
    assert security.completed_at is None


def test_the_owner_states_the_requirement_on_the_tender_page_above_10_percent_refused_naming_the_article(
    client: TestClient, db: Session
) -> None:
    from tests.finance.support import deposit_tender

    tender, setup = deposit_tender(db)
    browser_login(client, db, setup["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    token = csrf_from(client, page)
    url = f"{page}/performance-requirement"
    refused = client.post(url, data={"csrf_token": token, "percent": "12"})
    assert refused.status_code == 422
    assert problem_code(refused) == "performance_security_above_cap"
    assert "第五十八条" in refused.text
    assert performance.requirement_of(db, tender.id) is None
    done = client.post(url, data={"csrf_token": token, "percent": "8"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "performance_required"
    assert "合同金额的 8%" in client.get(page).text
