"""The expert's workspace through the pages: the tenders it sits on, its score sheets, final once submitted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission
from ggzy.entities.models import User
from ggzy.evaluation import rules
from ggzy.evaluation import service as evaluation
from ggzy.evaluation.models import ScoreSheet
from ggzy.experts import service as experts
from ggzy.experts.models import CommitteeMember
from tests.factories import bidder_user, event_count, make_expert, make_opened_tender, principal
from tests.portal.ws_support import browser_login, csrf_from, problem_code


def _evaluating(db: Session, ca_dir: Path) -> tuple[dict, User]:
    opened = make_opened_tender(db, ca_dir, prices=[30_000_000, 20_000_000, 10_000_000], method="scoring")
    for _ in range(5):
        make_expert(db)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    tender_id, now = opened["tender"].id, opened["opened_at"]
    experts.draw_committee(
        db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0, owner_representative_user_ids=[],
        now=now,
    )  # fmt: skip
    scheme = rules.Scheme(
        (), (rules.Criterion("technical", "技术方案", Decimal(30)),), Decimal(70), rules.PriceFormula.LOWEST_BASE
    )
    evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
    member = db.scalar(select(CommitteeMember).where(CommitteeMember.tender_id == tender_id))
    assert member is not None
    user = db.get(User, member.user_id)
    assert user is not None
    return opened, user


def test_an_expert_submits_a_score_sheet_that_is_final_and_in_the_ledger(
    client: TestClient,
    db: Session,
    clock,
    gm_ca: Path,
    trusted: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    opened, expert = _evaluating(db, gm_ca)
    clock.set(opened["opened_at"])
    tender = opened["tender"]
    browser_login(client, db, expert)
    home = client.get("/workspace/expert")
    assert f'href="/workspace/expert/tenders/{tender.id}"' in home.text
    page = f"/workspace/expert/tenders/{tender.id}"
    text = client.get(page).text
    assert 'name="score.technical"' in text
    token = csrf_from(client, page)
    bid_id = opened["bid_ids"][0]
    too_high = client.post(
        f"{page}/score-sheets", data={"csrf_token": token, "bid_id": str(bid_id), "score.technical": "31"}
    )
    assert (too_high.status_code, problem_code(too_high)) == (422, "score_above_maximum")
    assert event_count(db, "evaluation.score_sheet_submitted") == 0
    done = client.post(
        f"{page}/score-sheets",
        data={"csrf_token": token, "bid_id": str(bid_id), "score.technical": "27.5"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    sheet = db.scalar(select(ScoreSheet).where(ScoreSheet.bid_id == bid_id))
    assert sheet is not None
    assert sheet.sha256 in client.get(page).text
    assert event_count(db, "evaluation.score_sheet_submitted") == 1
    again = client.post(
        f"{page}/score-sheets", data={"csrf_token": token, "bid_id": str(bid_id), "score.technical": "20"}
    )
    assert problem_code(again) == "evaluation_entry_final"


def test_a_user_off_the_committee_sees_no_score_sheet(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    opened, _ = _evaluating(db, gm_ca)
    outsider = make_expert(db)
    user = db.get(User, outsider.user_id)
    assert user is not None
    browser_login(client, db, user)
    response = client.get(f"/workspace/expert/tenders/{opened['tender'].id}")
    assert (response.status_code, problem_code(response)) == (403, "not_a_committee_member")
    client.cookies.clear()
    browser_login(client, db, bidder_user(db))
    refused = client.get(f"/workspace/expert/tenders/{opened['tender'].id}")
    assert (refused.status_code, problem_code(refused)) == (403, "permission_denied")
