"""The record of missed statutory periods as the supervisor reads it (DESIGN §5): each violation with the lot and
tender it concerns, newest first.

The violations are written by the steps that missed their period (``ggzy.core.violations``); this module only reads
them, joined to the tender, lot and project of their subject, and filtered by the reader's scope (``access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.periods import StatutoryPeriod, registered_periods
from ggzy.core.permissions import Principal
from ggzy.core.violations import PeriodViolation
from ggzy.entities.hierarchy import centre_scope_query
from ggzy.supervision.access import readable_projects
from ggzy.tendering.service import rounds_with_projects, tender_subject_ids_of_projects

if TYPE_CHECKING:  # the rows tendering's read model hands over; their tables are read there
    from ggzy.projects.models import Lot, Project
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
        select(PeriodViolation)
        .where(
            PeriodViolation.subject_type == TENDER,
            PeriodViolation.subject_id.in_(tender_subject_ids_of_projects(readable_projects(actor))),
        )
        .order_by(PeriodViolation.recorded_at.desc(), PeriodViolation.id.desc())
    )
    if centre_id is not None:
        query = query.where(PeriodViolation.centre_id.in_(centre_scope_query([centre_id])))  # and below: 0041
    if tender_id is not None:
        query = query.where(PeriodViolation.subject_id == str(tender_id))
    periods = {period.key: period for period in registered_periods()}
    violations = list(db.scalars(query.limit(limit).offset(offset)))
    rounds = rounds_with_projects(db, [int(violation.subject_id) for violation in violations])
    return [
        ViolationRow(violation, periods.get(violation.period_key), *rounds[int(violation.subject_id)])
        for violation in violations
    ]
