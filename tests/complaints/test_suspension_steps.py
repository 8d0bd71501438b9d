"""A suspension ordered while a complaint is handled (实施条例 第62条) stops every step that moves a tender forward:
the opening, the committee draw, the evaluation and its report — not only the award (tests/complaints/
test_complaints.py). Each refusal leaves no row and no event; once lifted, the step goes on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.complaints import service as complaints
from ggzy.core.calendar import parse_year_schedule
from ggzy.core.calendar_store import load_calendar_year, loaded_years
from ggzy.core.errors import DomainError
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.evaluation import rules as evaluation_rules
from ggzy.evaluation import service as evaluation
from ggzy.experts import service as experts
from ggzy.experts.models import Draw
from ggzy.tendering import opening
from ggzy.tendering import service as tendering
from ggzy.tendering.lifecycle import TenderSuspended
from ggzy.tendering.models import Opening
from tests.conftest import TEST_NOW
from tests.factories import (
    bidder_user,
    make_expert,
    make_opened_tender,
    make_published_tender,
    make_user,
    principal,
)

pytestmark = pytest.mark.db
_SCHEDULE_2027 = '{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}'  # test data


def _counts(db: Session) -> tuple[int, int, int]:
    return tuple(db.scalar(select(func.count()).select_from(m)) or 0 for m in (Event, Opening, Draw))  # type: ignore[return-value]


def _suspend(db: Session, tender_id: int, complainant, now):  # type: ignore[no-untyped-def]
    """A complaint lodged (a matter needing no prior objection, so the complainant states its interest), accepted
    and the tender suspended by the competent supervisor; returns the supervisor and the complaint."""
    if 2027 not in {row.year for row in loaded_years(db)}:  # the 30 working days to decide run into 2027
        load_calendar_year(db, SYSTEM, schedule=parse_year_schedule(_SCHEDULE_2027), now=TEST_NOW)
    lodged = complaints.lodge_complaint(
        db, principal(db, complainant, Permission.COMPLAINT_LODGE), tender_id=tender_id, matter="other",
        request="责令暂停并查处", facts="代理机构泄露应当保密的信息",
        evidence=[{"name": "录音.mp3", "sha256": "d" * 64}], knew_on=now.date(),
        interest="潜在投标人，已购买招标文件", now=now,
    )  # fmt: skip
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    supervisor = principal(db, make_user(db, roles=[grant]), Permission.COMPLAINT_HANDLE)
    complaints.accept_complaint(db, supervisor, complaint_id=lodged.id, now=now)
    complaints.suspend_tender(db, supervisor, complaint_id=lodged.id, reason="调查期间暂停", now=now)
    return supervisor, lodged


def _refused(db: Session, step) -> DomainError:  # type: ignore[no-untyped-def]
    before = _counts(db)
    with pytest.raises(TenderSuspended) as refused, db.begin_nested():
        step()
    assert _counts(db) == before, "a refused step leaves no row and no event"
    assert "第六十二条" in refused.value.detail_zh
    assert "art. 62" in refused.value.detail_en
    return refused.value


def test_no_opening_while_the_tender_is_suspended_实施条例第62条(db: Session) -> None:
    tender, setup = make_published_tender(db)
    supervisor, complaint = _suspend(db, tender.id, bidder_user(db), TEST_NOW + timedelta(days=1))
    after = tender.bid_deadline + timedelta(minutes=1)
    host = principal(db, setup["agent_user"], Permission.OPENING_HOST)
    refused = _refused(db, lambda: opening.start_opening(db, host, tender_id=tender.id, now=after))
    assert refused.code == "tender_suspended"
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=after)
    assert opening.start_opening(db, host, tender_id=tender.id, now=after).stage in {"opening", "failed"}


def test_no_committee_draw_evaluation_or_report_while_suspended_实施条例第62条(db: Session, gm_ca: Path) -> None:
    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000], method="lowest_price")
    tender_id, now = opened["tender"].id, opened["opened_at"]
    for _ in range(5):
        make_expert(db)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)

    def draw() -> object:
        return experts.draw_committee(
            db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0, owner_representative_user_ids=[],
            now=now,
        )  # fmt: skip

    supervisor, complaint = _suspend(db, tender_id, opened["bidders"][0], now)
    _refused(db, draw)
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=now)
    draw()

    scheme = evaluation_rules.Scheme((), (), Decimal(0), evaluation_rules.PriceFormula.LOWEST_BASE)

    def start() -> object:
        return evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)

    supervisor, complaint = _suspend(db, tender_id, opened["bidders"][1], now)
    _refused(db, start)
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=now)
    start()

    finaliser = principal(db, opened["staff"], Permission.EVALUATION_FINALISE)
    supervisor, complaint = _suspend(db, tender_id, opened["bidders"][2], now)
    _refused(db, lambda: evaluation.finalise_report(db, finaliser, tender_id=tender_id, now=now))
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=now)
    assert evaluation.finalise_report(db, finaliser, tender_id=tender_id, now=now).id is not None


def test_no_registration_while_the_tender_is_suspended_实施条例第62条(db: Session) -> None:
    tender, _ = make_published_tender(db)
    now = TEST_NOW + timedelta(days=1)
    supervisor, complaint = _suspend(db, tender.id, bidder_user(db), now)
    newcomer = principal(db, bidder_user(db), Permission.TENDER_REGISTER)
    _refused(db, lambda: tendering.register_for_tender(db, newcomer, tender_id=tender.id, now=now))
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=now)
    assert tendering.register_for_tender(db, newcomer, tender_id=tender.id, now=now).entity_id == newcomer.entity_id


def test_no_bid_submitted_or_withdrawn_while_the_tender_is_suspended_实施条例第62条(
    db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    import io

    from ggzy.storage import LocalBlobStore
    from ggzy.tendering import bids
    from tests.conftest import LEDGER_KEYS
    from tests.tendering.test_bids import Bidder, seal

    tender, _ = make_published_tender(db)
    bidder = Bidder(db, gm_ca, tender.id)
    actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
    store = LocalBlobStore(gm_ca.parent / f"suspension-blobs-{tender.id}")
    now = TEST_NOW + timedelta(days=1)

    def submit() -> object:
        return bids.submit_bid(
            db, actor, tender_id=tender.id, envelope=io.BytesIO(seal(db, tender, bidder)), store=store,
            max_bytes=10**8, details={}, signer=LEDGER_KEYS.ed25519_key, now=now,
        )  # fmt: skip

    submit()
    supervisor, complaint = _suspend(db, tender.id, bidder_user(db), now)
    _refused(db, submit)
    _refused(db, lambda: bids.withdraw_bid(db, actor, tender_id=tender.id, now=now))
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=now)
    assert bids.withdraw_bid(db, actor, tender_id=tender.id, now=now).status == "withdrawn"


def test_no_termination_clarification_or_scoring_while_suspended_实施条例第62条(db: Session, gm_ca: Path) -> None:
    """A round under a suspension cannot be taken out of the supervisor's hands by terminating it (实施条例 第31条
    waits for 第62条), nor amended; and the committee does not go on marking bids either."""
    tender, setup = make_published_tender(db)
    supervisor, complaint = _suspend(db, tender.id, bidder_user(db), TEST_NOW + timedelta(days=1))
    manager = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    later = TEST_NOW + timedelta(days=2)
    _refused(db, lambda: tendering.cancel_tender(db, manager, tender_id=tender.id, reason="逃避投诉", now=later))
    _refused(
        db, lambda: tendering.clarify(db, manager, tender_id=tender.id, text="修改", affects_bids=False, now=later)
    )
    complaints.lift_suspension(db, supervisor, complaint_id=complaint.id, now=later)
    assert tendering.cancel_tender(db, manager, tender_id=tender.id, reason="需求取消", now=later).stage == "cancelled"
