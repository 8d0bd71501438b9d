"""The record of missed statutory periods as the supervisor reads it (DESIGN §5): each violation with the lot and
tender it concerns, newest first.

The violations are written by the steps that missed their period (``ggzy.core.violations``); this module only reads
them, joined to the tender, lot and project of their subject, and filtered by the reader's scope (``access``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from ggzy.core.periods import StatutoryPeriod, registered_periods
from ggzy.core.permissions import Principal
from ggzy.core.violations import PeriodViolation
from ggzy.projects.models import Lot, Project
from ggzy.supervision.access import readable_projects
from ggzy.tendering.models import Tender

TENDER = "tender"


@dataclass(frozen=True)
class ViolationRow:
    violation: PeriodViolation
    period: StatutoryPeriod | None  # None only for a period no longer declared (a retired key)
    tender: Tender
    lot: Lot
    project: Project


def visible_violations(
    db: Session, actor: Principal, *, centre_id: int | None, tender_id: int | None, limit: int, offset: int
) -> list[ViolationRow]:
    """The violations ``actor`` may read, newest first, optionally of one centre or one tender."""
    query = (
        select(PeriodViolation, Tender, Lot, Project)
        .join(Tender, cast(Tender.id, String) == PeriodViolation.subject_id)
        .join(Lot, Lot.id == Tender.lot_id)
        .join(Project, Project.id == Lot.project_id)
        .where(PeriodViolation.subject_type == TENDER, Project.id.in_(readable_projects(actor)))
        .order_by(PeriodViolation.recorded_at.desc(), PeriodViolation.id.desc())
    )
    if centre_id is not None:
        query = query.where(PeriodViolation.centre_id == centre_id)
    if tender_id is not None:
        query = query.where(PeriodViolation.subject_id == str(tender_id))
    periods = {period.key: period for period in registered_periods()}
    return [
        ViolationRow(violation, periods.get(violation.period_key), tender, lot, project)
        for violation, tender, lot, project in db.execute(query.limit(limit).offset(offset))
    ]
