"""Builders of the on-site record tests (decision 0048) and of the event walk in tests/core/test_events.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Principal
from ggzy.experts import service as experts
from ggzy.venues import site_records
from ggzy.venues.models import SiteRecord
from ggzy.venues.schemas import SiteRecordIn
from tests.factories import make_evaluated_tender, principal

SITE_RECORD_ACTIONS = ("site_record.recorded", "site_record.withdrawn")


def evaluated(db: Session, ca_dir: Path, **kwargs: Any) -> dict:
    """A tender opened with three bidders and evaluated by a committee of five: both sittings took place. Adds
    ``now`` (an hour after the opening record) and ``expert_id`` (the committee's first expert)."""
    scene = kwargs.pop("scene", None) or make_evaluated_tender(db, ca_dir, **kwargs)
    expert_id = next(seat.expert_id for seat in experts.committee_of(db, scene["tender"].id) if seat.expert_id)
    return scene | {"now": scene["opened_at"] + timedelta(hours=1), "expert_id": expert_id}


def recorder(db: Session, scene: dict) -> Principal:
    """The staff member of the tender's own centre, acting under ``site_record.write``."""
    return principal(db, scene["staff"], Permission.SITE_RECORD_WRITE)


def phone_at_opening(scene: dict, **changes: Any) -> SiteRecordIn:
    """A bidder's representative seen using a phone at the opening, half an hour before ``now``."""
    fields: dict[str, Any] = {
        "session": "opening", "occurred_at": scene["now"] - timedelta(minutes=30), "subject_kind": "bidder",
        "entity_id": scene["bidders"][0].entity_id, "representative_name": "张三", "category": "communication_device",
        "description": "开标过程中投标人代表张三使用手机对外通话，经提醒后仍未停止。",
        "evidence": [{"name": "现场照片.jpg", "sha256": "a" * 64}],
    }  # fmt: skip
    return SiteRecordIn.model_validate(fields | changes)


def expert_late(scene: dict, **changes: Any) -> SiteRecordIn:
    fields: dict[str, Any] = {
        "session": "evaluation", "occurred_at": scene["now"] - timedelta(minutes=10), "subject_kind": "expert",
        "expert_id": scene["expert_id"], "category": "late_or_absent", "description": "评标专家迟到四十分钟。",
    }  # fmt: skip
    return SiteRecordIn.model_validate(fields | changes)


def record(db: Session, scene: dict, data: SiteRecordIn | None = None, now: datetime | None = None) -> SiteRecord:
    return site_records.record(
        db, recorder(db, scene), tender_id=scene["tender"].id, data=data or phone_at_opening(scene),
        now=now or scene["now"],
    )  # fmt: skip


def site_record_scenario(db: Session, ca_dir: Path, action: str) -> Callable[[], object]:
    """Each on-site record service, prepared up to the step before it."""
    scene = evaluated(db, ca_dir)
    actor = recorder(db, scene)
    if action == "site_record.recorded":
        return lambda: record(db, scene)
    row = record(db, scene)
    return lambda: site_records.withdraw(db, actor, record_id=row.id, reason="记录有误", now=scene["now"])
