"""A government procurement (政府采购, ``gp_open``) evaluated and awarded from its report, without a publicity
(政府采购法实施条例 第43条), for the tests of challenges, complaints and the post-evaluation periods."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME, as_utc
from ggzy.core.permissions import Permission
from tests.factories import make_evaluated_tender, principal


def at_ten(day: date) -> datetime:
    """10:00 China Standard Time of ``day``, in UTC."""
    return as_utc(datetime.combine(day, time(10), tzinfo=CHINA_STANDARD_TIME))


def make_procurement_evaluated(db: Session, ca_dir: Path) -> dict:
    return make_evaluated_tender(db, ca_dir, trade_type="gov_procurement", procedure="gp_open")


def award_procurement(db: Session, scene: dict, *, now: datetime, determined_on: date | None = None) -> dict:
    """The purchaser awards the first candidate of the report at ``now`` (its letter and result notice)."""
    from ggzy.awards import service as awards
    from tests.conftest import LEDGER_KEYS

    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    first = awards.report_candidates(db, scene["tender"].id)[0]["bid_id"]
    award = awards.award_tender(
        db, manager, tender_id=scene["tender"].id, bid_id=first, passed_over=[], signers=LEDGER_KEYS.signers,
        now=now, determined_on=determined_on,
    )  # fmt: skip
    return scene | {"award": award, "manager": manager}


def make_procurement_awarded(db: Session, ca_dir: Path) -> dict:
    """Awarded the moment the report is finalised; adds ``award`` and ``manager`` (the agent)."""
    scene = make_procurement_evaluated(db, ca_dir)
    return award_procurement(db, scene, now=scene["reported_at"])
