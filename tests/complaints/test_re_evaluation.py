"""A complaint's decision ordering re-evaluation (责令重新评标, 招标投标法实施条例 第61条, 第81条) binds whatever stage
the tender is in: the candidates of the report it supersedes are not publicised, no contract follows an award made
from it, until a newer evaluation report exists; during the publicity the changed candidates are publicised afresh
(第54条, tests/complaints/test_complaints.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards.models import CandidatePublicity, Contract
from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Permission
from ggzy.tendering.rules import china_date
from tests.complaints.test_complaints import PROBLEM, _body, _load_2027, _supervisor
from tests.factories import (
    event_count,
    make_awarded_tender,
    make_evaluated_tender,
    make_expert,
    make_opened_tender,
    principal,
    token_for,
)


def _re_evaluation_ordered(client: TestClient, db: Session, clock: FixedClock, scene: dict, at: datetime) -> None:
    """A bidder of the tender complains at ``at``; the supervisor accepts and orders re-evaluation."""
    clock.set(at)
    facts = "评标委员会未按招标文件评审"
    body = _body(matter="other", request="责令重新评标", facts=facts, knew_on=str(china_date(at)))
    lodged = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/complaints", json=body, headers=token_for(db, scene["bidders"][0])
    )
    assert lodged.status_code == 201, lodged.text
    url, supervisor = f"/api/v1/complaints/{lodged.json()['id']}", _supervisor(db)
    assert client.post(f"{url}/accept", headers=supervisor).status_code == 200
    decision = {"decision": "评标委员会未按招标文件规定的标准评审，责令重新评标", "remedy": "re_evaluation"}
    upheld = client.post(f"{url}/uphold", json=decision, headers=supervisor)
    assert upheld.status_code == 200, upheld.text


def _refused_re_evaluation(db: Session, response, model: type) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "re_evaluation_ordered"
    assert "第六十一条" in problem["message_zh"]
    assert "第八十一条" in problem["message_zh"]
    assert "新的评标报告" in problem["message_zh"]
    assert "arts. 61, 81" in problem["message_en"]
    assert "new evaluation report" in problem["message_en"]
    assert db.scalar(select(func.count()).select_from(model)) == 0


def test_re_evaluation_ordered_after_the_report_refuses_the_publicity_of_its_candidates_实施条例第61条第81条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    _load_2027(db)
    scene = make_evaluated_tender(db, gm_ca)
    _re_evaluation_ordered(client, db, clock, scene, scene["reported_at"] + timedelta(hours=1))
    before = event_count(db)
    agent = token_for(db, scene["agent_user"])
    refused = client.post(f"/api/v1/tenders/{scene['tender'].id}/publicity", json={}, headers=agent)
    _refused_re_evaluation(db, refused, CandidatePublicity)
    assert event_count(db) == before, "a refused publicity leaves no event"
    assert client.get(f"/api/v1/tenders/{scene['tender'].id}/award").json()["stage"] == "evaluated"


def test_re_evaluation_ordered_after_the_award_refuses_the_contract_实施条例第81条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    _load_2027(db)
    scene = make_awarded_tender(db, gm_ca)
    _re_evaluation_ordered(client, db, clock, scene, scene["publicity"].ends_at + timedelta(hours=1))
    before = event_count(db)
    award = scene["award"]
    amount = f"{award.price_fen // 100}.{award.price_fen % 100:02d}"
    body = {"amount": amount, "signed_on": china_date(clock.now()).isoformat()}
    refused = client.post(
        f"/api/v1/tenders/{scene['tender'].id}/contract", json=body, headers=token_for(db, scene["agent_user"])
    )
    _refused_re_evaluation(db, refused, Contract)
    assert event_count(db) == before, "a refused contract leaves no event"


def test_re_evaluation_ordered_before_the_report_is_answered_by_that_report_实施条例第81条(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """Ordered while the tender is opened, the evaluation still to come is the re-evaluation: its report, newer
    than the decision, is publicised."""
    from ggzy.evaluation import rules as evaluation_rules
    from ggzy.evaluation import service as evaluation
    from ggzy.experts import service as experts

    _load_2027(db)
    scene = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000], method="lowest_price")
    decided_at = scene["opened_at"] + timedelta(hours=1)
    _re_evaluation_ordered(client, db, clock, scene, decided_at)
    for _ in range(5):
        make_expert(db)
    staff, tender_id, later = scene["staff"], scene["tender"].id, decided_at + timedelta(hours=1)
    experts.draw_committee(
        db, principal(db, staff, Permission.COMMITTEE_DRAW), tender_id=tender_id, specialty_code="A01", size=5,
        reserve=0, owner_representative_user_ids=[], now=later,
    )  # fmt: skip
    scheme = evaluation_rules.Scheme((), (), Decimal(0), evaluation_rules.PriceFormula.LOWEST_BASE)
    evaluation.start_evaluation(
        db, principal(db, staff, Permission.EVALUATION_RUN), tender_id=tender_id, scheme=scheme, lead_member_id=None,
        now=later,
    )  # fmt: skip
    evaluation.finalise_report(db, principal(db, staff, Permission.EVALUATION_FINALISE), tender_id=tender_id, now=later)
    db.commit()
    clock.set(later + timedelta(hours=1))
    published = client.post(
        f"/api/v1/tenders/{tender_id}/publicity", json={}, headers=token_for(db, scene["agent_user"])
    )
    assert published.status_code == 201, published.text
