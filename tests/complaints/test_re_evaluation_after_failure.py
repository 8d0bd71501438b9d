"""A complaint's decision may order a round re-evaluated (招标投标法实施条例 第81条: 应当依法重新招标或者评标) after
the round failed at its report (招标投标法 第42条; 政府采购法 第36条): the failure was the evaluation's, which the
decision sets aside, so the round goes back to ``opened`` with the failed evaluation superseded (decision 0020). Not
a round that failed at its opening (第44条: no evaluation to set aside), nor one a decision ordered re-tendered, nor
once the lot has started a newer round."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import challenges
from ggzy.complaints import service as complaints
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Principal, Role
from ggzy.entities.models import User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.evaluation import service as evaluation
from ggzy.evaluation.models import Evaluation
from ggzy.tendering import opening
from ggzy.tendering.lifecycle import FailedRoundNotReEvaluable
from ggzy.tendering.rules import china_date
from ggzy.tendering.stages import Stage
from tests.complaints.test_new_round_waits import _new_round
from tests.complaints.test_remedies import LOWEST_PRICE
from tests.factories import bidder_user, make_evaluated_tender, make_published_tender, make_user, principal

pytestmark = pytest.mark.db


def _accepted(
    db: Session, tender_id: int, trade_type: str, now: datetime, *, supplier: User | None = None,
    agent: User | None = None,
) -> tuple[Principal, int]:  # fmt: skip
    """A complaint accepted by the competent supervisor: under 招标投标法 one needing no objection first; under
    政府采购法 (``supplier``, a bidder of the round) after its challenge of the failure was answered (第52–55条)."""
    if supplier is None:
        complainant, matter, interest = bidder_user(db), "other", "本项目潜在投标人"
    else:
        complainant, matter, interest = supplier, "evaluation_result", None
        challenge = challenges.challenge_result(
            db, principal(db, supplier, Permission.TENDER_REGISTER), tender_id=tender_id, text="废标理由有误",
            now=now - timedelta(minutes=30),
        )  # fmt: skip
        assert challenge.award_id is None  # a challenge of the failure (废标), not of an award
        assert agent is not None
        challenges.answer_result_challenge(
            db, principal(db, agent, Permission.AWARD_MANAGE), challenge_id=challenge.id, answer="维持废标",
            now=now - timedelta(minutes=10),
        )  # fmt: skip
    lodged = complaints.lodge_complaint(
        db, principal(db, complainant, Permission.COMPLAINT_LODGE), tender_id=tender_id, matter=matter,
        request="重新评标", facts="否决投标有误", evidence=[{"name": "证明.pdf", "sha256": "a" * 64}],
        knew_on=china_date(now), interest=interest, now=now,
    )  # fmt: skip
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type=trade_type)
    supervisor = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    complaints.accept_complaint(db, supervisor, complaint_id=lodged.id, now=now)
    return supervisor, lodged.id


def _re_evaluate(db: Session, supervisor: Principal, complaint_id: int, now: datetime) -> object:
    return complaints.uphold_complaint(
        db, supervisor, complaint_id=complaint_id, decision="否决有误，重新评审", remedy="re_evaluation",
        committee="same", now=now,
    )  # fmt: skip


def _refused(db: Session, call: object) -> FailedRoundNotReEvaluable:
    events = db.scalar(select(func.count()).select_from(Event))
    with pytest.raises(FailedRoundNotReEvaluable) as refused, db.begin_nested():
        call()  # type: ignore[operator]
    assert db.scalar(select(func.count()).select_from(Event)) == events, "a refused decision leaves no event"
    assert refused.value.code == "failed_round_not_re_evaluable"
    assert "第八十一条" in refused.value.detail_zh
    return refused.value


@pytest.mark.parametrize(
    ("trade_type", "procedure", "prices", "ground"),
    [
        ("construction", "open", [30_000_000, 40_000_000, 50_000_000], "all_bids_rejected"),  # 招标投标法 第42条
        ("gov_procurement", "gp_open", [30_000_000, 9_000_000, 8_000_000], "too_few_valid_bids"),  # 政府采购法 第36条
    ],
)
def test_a_round_failed_at_its_report_is_re_evaluated_招标投标法实施条例第81条(
    db: Session, gm_ca: Path, trade_type: str, procedure: str, prices: list[int], ground: str
) -> None:
    scene = make_evaluated_tender(
        db, gm_ca, prices=prices, ceiling_price="200000.00", trade_type=trade_type, procedure=procedure
    )
    tender = scene["tender"]
    assert tender.stage == Stage.FAILED
    failed = db.scalar(select(Event).where(Event.action == "tender.failed"))
    assert failed is not None
    assert json.loads(failed.payload)["ground"] == ground
    now = scene["reported_at"] + timedelta(hours=2)
    supplier = scene["bidders"][0] if trade_type == "gov_procurement" else None
    supervisor, complaint_id = _accepted(db, tender.id, trade_type, now, supplier=supplier, agent=scene["agent_user"])
    _re_evaluate(db, supervisor, complaint_id, now)

    assert tender.stage == Stage.OPENED
    upheld = db.scalar(select(Event).where(Event.action == "complaint.upheld"))
    assert upheld is not None
    carried = json.loads(upheld.payload)
    assert (carried["round"]["from"], carried["round"]["to"]) == ("failed", "opened")
    assert carried["superseded"]["evaluation_id"] == scene["report"].evaluation_id
    first = db.get(Evaluation, scene["report"].evaluation_id)
    assert first is not None
    assert first.superseded_at is not None
    assert evaluation.find_evaluation(db, tender.id) is None
    # the committee sits again on a new evaluation of the same opened bids
    staff = principal(db, scene["staff"], Permission.EVALUATION_RUN)
    later = now + timedelta(hours=1)
    evaluation.start_evaluation(db, staff, tender_id=tender.id, scheme=LOWEST_PRICE, lead_member_id=None, now=later)
    assert tender.stage == Stage.EVALUATING
    assert db.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.tender_id == tender.id)) == 2


def test_a_round_failed_at_its_opening_is_not_re_evaluated_招标投标法实施条例第44条第81条(db: Session) -> None:
    """No bidder at the deadline (第44条): the round fails at its opening; there is no evaluation to set aside."""
    tender, setup = make_published_tender(db)
    host = principal(db, setup["agent_user"], Permission.OPENING_HOST)
    after = tender.bid_deadline + timedelta(minutes=1)
    opening.start_opening(db, host, tender_id=tender.id, now=after)
    assert tender.stage == Stage.FAILED
    supervisor, complaint_id = _accepted(db, tender.id, "construction", after)
    _refused(db, lambda: _re_evaluate(db, supervisor, complaint_id, after))
    assert complaints.get_complaint(db, complaint_id)[0].status == "accepted"
    assert tender.stage == Stage.FAILED


def test_a_re_tendered_round_is_not_re_evaluated_招标投标法实施条例第81条(db: Session, gm_ca: Path) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    now = scene["reported_at"] + timedelta(hours=2)
    supervisor, first = _accepted(db, scene["tender"].id, "construction", now)
    _, second = _accepted(db, scene["tender"].id, "construction", now)
    complaints.uphold_complaint(db, supervisor, complaint_id=first, decision="不能纠正", remedy="re_tender", now=now)
    assert scene["tender"].stage == Stage.FAILED
    _refused(db, lambda: _re_evaluate(db, supervisor, second, now))


def test_a_failed_round_is_not_re_evaluated_once_a_newer_round_started_招标投标法实施条例第81条(
    db: Session, gm_ca: Path
) -> None:
    """The lot started its second round before the complaint about the first was lodged: two rounds would run at
    once, so the decision cannot take the first back to ``opened``."""
    scene = make_evaluated_tender(db, gm_ca, prices=[30_000_000, 40_000_000, 50_000_000], ceiling_price="200000.00")
    now = scene["reported_at"] + timedelta(hours=2)
    assert _new_round(db, scene, now).round == 2
    supervisor, complaint_id = _accepted(db, scene["tender"].id, "construction", now)
    _refused(db, lambda: _re_evaluate(db, supervisor, complaint_id, now))
