"""A lot's new round waits for the decision on a complaint about its last round: the decision may order that round
evaluated again (招标投标法实施条例 第81条: 应当依法重新招标或者评标), which a new round beside it would defeat. A
round a decision ordered re-tendered is void as a whole, so other complaints about it hold nothing up."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.complaints import service as complaints
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Principal, Role
from ggzy.entities.models import User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.tendering import service as tendering
from ggzy.tendering.lifecycle import PreviousRoundUnderComplaint
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Method
from ggzy.tendering.rules import china_date
from ggzy.tendering.stages import Stage
from tests.factories import make_evaluated_tender, make_user, principal

pytestmark = pytest.mark.db


def _complaint(db: Session, scene: dict, complainant: User, now: datetime) -> tuple[Principal, int]:  # type: ignore[type-arg]
    """A bidder's complaint (a matter needing no objection first), accepted by the competent supervisor."""
    lodged = complaints.lodge_complaint(
        db, principal(db, complainant, Permission.COMPLAINT_LODGE), tender_id=scene["tender"].id, matter="other",
        request="重新评标", facts="评标委员会未按招标文件评审", evidence=[{"name": "证明.pdf", "sha256": "e" * 64}],
        knew_on=china_date(now), interest="本轮投标人", now=now,
    )  # fmt: skip
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type=scene["project"].trade_type)
    supervisor = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    complaints.accept_complaint(db, supervisor, complaint_id=lodged.id, now=now)
    return supervisor, lodged.id


def _new_round(db: Session, scene: dict, now: datetime) -> Tender:  # type: ignore[type-arg]
    return tendering.create_tender(
        db, principal(db, scene["agent_user"], Permission.TENDER_MANAGE), lot_id=scene["lot"].id,
        procedure_key=scene["tender"].procedure, method=Method.LOWEST_PRICE, title="重新招标",
        notice_text="第二轮", documents_until=now + timedelta(days=30), bid_deadline=now + timedelta(days=50),
        invited_entity_ids=[], now=now,
    )  # fmt: skip


def _rows(db: Session) -> tuple[int, int]:
    return db.scalar(select(func.count()).select_from(Tender)) or 0, db.scalar(
        select(func.count()).select_from(Event)
    ) or 0


def test_no_new_round_while_a_complaint_about_the_failed_round_is_undecided_招标投标法实施条例第81条(
    db: Session, gm_ca: Path
) -> None:
    """招标投标法 第42条 fails the round (every bid above the ceiling, rejected); a bidder's complaint about the
    evaluation is accepted: no second round until it is decided; once dismissed, the lot starts its second round.
    (Under 政府采购法 the complaint would need a 质疑 first, 第55条: tests/complaints/test_procurement_complaints.)"""
    scene = make_evaluated_tender(
        db, gm_ca, prices=[30_000_000, 29_000_000, 28_000_000], ceiling_price="200000.00",
    )  # fmt: skip
    assert scene["tender"].stage == Stage.FAILED
    now = scene["reported_at"] + timedelta(hours=2)
    supervisor, complaint_id = _complaint(db, scene, scene["bidders"][0], now)

    before = _rows(db)
    with pytest.raises(PreviousRoundUnderComplaint) as refused, db.begin_nested():
        _new_round(db, scene, now)
    assert _rows(db) == before, "a refused round leaves no row and no event"
    assert refused.value.code == "previous_round_under_complaint"
    assert refused.value.status == 409
    assert "第 1 轮" in refused.value.detail_zh
    assert "第八十一条" in refused.value.detail_zh
    assert "round 1" in refused.value.detail_en

    complaints.dismiss_complaint(
        db, supervisor, complaint_id=complaint_id, decision="评审无误", false_complaint=False, now=now
    )
    again = _new_round(db, scene, now)
    assert (again.round, again.stage) == (2, Stage.DRAFT)


def test_a_round_re_tendered_by_a_decision_does_not_wait_for_other_complaints_about_it_招标投标法实施条例第81条(
    db: Session, gm_ca: Path
) -> None:
    """Two complaints about an evaluated round; the first is upheld with a re-tender (招标、投标、中标无效): the
    round fails, and the lot starts its new round though the second complaint is still undecided."""
    scene = make_evaluated_tender(db, gm_ca)
    now = scene["reported_at"] + timedelta(hours=2)
    supervisor, first = _complaint(db, scene, scene["bidders"][0], now)
    _, second = _complaint(db, scene, scene["bidders"][1], now)
    complaints.uphold_complaint(
        db, supervisor, complaint_id=first, decision="影响中标结果且不能纠正", remedy="re_tender", now=now
    )
    assert scene["tender"].stage == Stage.FAILED
    again = _new_round(db, scene, now)
    assert again.round == 2
    assert complaints.get_complaint(db, second)[0].status == "accepted"


def test_a_refused_complaint_holds_no_round_up_招标投标法实施条例第61条(db: Session, gm_ca: Path) -> None:
    """A complaint the supervisor refused to accept (第61条, 不予受理) is decided: it holds nothing up."""
    scene = make_evaluated_tender(db, gm_ca, prices=[30_000_000, 40_000_000, 50_000_000], ceiling_price="200000.00")
    assert scene["tender"].stage == Stage.FAILED
    now = scene["reported_at"] + timedelta(hours=2)
    lodged = complaints.lodge_complaint(
        db, principal(db, scene["bidders"][0], Permission.COMPLAINT_LODGE), tender_id=scene["tender"].id,
        matter="other", request="重新评标", facts="否决有误", evidence=[{"name": "证明.pdf", "sha256": "f" * 64}],
        knew_on=china_date(now), interest="本轮投标人", now=now,
    )  # fmt: skip
    with pytest.raises(PreviousRoundUnderComplaint), db.begin_nested():
        _new_round(db, scene, now)
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    supervisor = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    complaints.refuse_complaint(db, supervisor, complaint_id=lodged.id, reason="不属于受理范围", now=now)
    assert _new_round(db, scene, now).round == 2
