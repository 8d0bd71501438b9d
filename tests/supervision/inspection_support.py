"""A random inspection brought to just before one of its steps (tests/core/test_events.py's walk; the tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Role
from ggzy.ledger.sequencer import integrate
from ggzy.ledger.service import publish_checkpoint
from ggzy.supervision import inspections
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import make_published_tender, principal, user_with_role

AFTER_DEADLINES = TEST_NOW + timedelta(days=30)  # make_published_tender's deadline is 25 days after TEST_NOW
DEADLINE_DAY = (TEST_NOW + timedelta(days=25)).date()


def checkpoint(db: Session) -> None:
    """Commit (the ledger numbers events at commit), integrate and sign a checkpoint."""
    db.commit()
    integrate(db)
    publish_checkpoint(db, LEDGER_KEYS, now=AFTER_DEADLINES)
    db.flush()


def plan(db: Session, supervisor_principal, *, rounds: int = 1, inspectors: int = 1):  # type: ignore[no-untyped-def]
    return inspections.plan_inspection(
        db, supervisor_principal, title="双随机抽查", region_code="530000", trade_type=None,
        window_start=DEADLINE_DAY - timedelta(days=1), window_end=DEADLINE_DAY + timedelta(days=1),
        rounds_to_draw=rounds, inspectors_to_draw=inspectors, now=AFTER_DEADLINES,
    )  # fmt: skip


def inspection_scenario(db: Session, action: str) -> Callable[[], object]:
    """One opened round and one supervisor of 云南; the inspection made ready for ``action``, whose call is returned."""
    make_published_tender(db)
    supervisor = principal(db, user_with_role(db, Role.SUPERVISOR), Permission.INSPECTION_MANAGE)
    if action == "inspection.planned":
        return lambda: plan(db, supervisor)
    row = plan(db, supervisor)
    checkpoint(db)
    if action == "inspection.drawn":
        return lambda: inspections.draw_inspection(db, supervisor, plan_id=row.id, now=AFTER_DEADLINES)
    inspections.draw_inspection(db, supervisor, plan_id=row.id, now=AFTER_DEADLINES)
    [tender_id] = inspections.candidates(row)[0]

    def record() -> object:
        return inspections.record_finding(
            db, supervisor, plan_id=row.id, tender_id=tender_id, outcome=inspections.Outcome.NO_PROBLEM,
            text="未发现问题", now=AFTER_DEADLINES,
        )  # fmt: skip

    if action == "inspection.finding_recorded":
        return record
    record()
    return lambda: inspections.publish_results(db, supervisor, plan_id=row.id, now=AFTER_DEADLINES)


def trail_scenario(db: Session, ca_dir: Path) -> Callable[[], object]:
    """An opened round and an inspector of 云南: the call reads its full trail (oversight.viewed)."""
    from ggzy.supervision import trail
    from tests.factories import make_opened_tender

    scene = make_opened_tender(db, ca_dir, prices=[41_000_000_00, 42_000_000_00, 43_000_000_00])
    inspector = principal(db, user_with_role(db, Role.INSPECTOR), Permission.OVERSIGHT_TRAIL)
    return lambda: trail.read_trail(db, inspector, tender_id=scene["tender"].id, now=TEST_NOW)


def tipoff_scenario(db: Session, action: str) -> Callable[[], object]:
    """A report in 云南 and a supervisor of 云南, made ready for ``action``, whose call is returned."""
    from ggzy.core.permissions import Principal
    from ggzy.supervision import tipoffs

    def received() -> object:
        return tipoffs.report(
            db, Principal(), subject="串通投标", content="三家投标文件由同一台电脑制作。", tender_id=None,
            region_code="530102", trade_type=None, anonymous=True, contact=None, now=TEST_NOW,
        )  # fmt: skip

    if action == "tipoff.received":
        return received
    row = received().tipoff  # type: ignore[attr-defined]
    supervisor = principal(db, user_with_role(db, Role.SUPERVISOR), Permission.TIPOFF_HANDLE)
    if action == "tipoff.accepted":
        return lambda: tipoffs.accept(db, supervisor, tipoff_id=row.id, now=TEST_NOW)
    if action == "tipoff.declined":
        return lambda: tipoffs.decline(db, supervisor, tipoff_id=row.id, reason="不属于招标投标活动", now=TEST_NOW)
    tipoffs.accept(db, supervisor, tipoff_id=row.id, now=TEST_NOW)
    return lambda: tipoffs.close(db, supervisor, tipoff_id=row.id, result="已查处", now=TEST_NOW)


def watch_scenario(db: Session, action: str) -> Callable[[], object]:
    """A registered entity and a supervisor of 云南, made ready for ``action``, whose call is returned."""
    from ggzy.supervision import watchlist
    from tests.factories import make_entity

    entity = make_entity(db)
    keeper = principal(db, user_with_role(db, Role.SUPERVISOR), Permission.WATCHLIST_MANAGE)

    def added() -> object:
        return watchlist.add(db, keeper, credit_code=entity.credit_code, grounds="多次投诉", until=None, now=TEST_NOW)

    if action == "watchlist.added":
        return added
    entry = added()
    return lambda: watchlist.remove(db, keeper, entry_id=entry.id, reason="已整改", now=TEST_NOW)  # type: ignore[attr-defined]
