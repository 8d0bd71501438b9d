"""API of on-site records (现场见证记录, decision 0048): the staff of a tender's centre record what they saw at its
opening or evaluation, correct a record by a new one and withdraw one with its reason; the readers of
``site_record.read`` list and read those in their scope (``ggzy.venues.site_records``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Id, Offset
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.projects.access import NotYourCentre
from ggzy.venues import site_records
from ggzy.venues.models import SiteRecord
from ggzy.venues.schemas import SiteRecordIn, SiteRecordOut, SiteRecordWithdrawIn

router = APIRouter(tags=["venues"], route_class=PermissionedRoute)

Recorder = Annotated[Principal, Depends(require(Permission.SITE_RECORD_WRITE))]
Reader = Annotated[Principal, Depends(require(Permission.SITE_RECORD_READ))]

# Every refusal of a record, shared by the API and the staff's page.
RECORD_PROBLEMS = (
    NotFound,
    NotYourCentre,
    InvalidInput,
    site_records.SiteSubjectNotOfTender,
    site_records.SiteSessionNotHeld,
    site_records.SiteRecordClosed,
)
WITHDRAW_PROBLEMS = (NotFound, InvalidInput, site_records.SiteRecordClosed)  # another centre's: 404 (L4)


def site_record_out(db: Session, rows: list[SiteRecord]) -> list[SiteRecordOut]:
    names = site_records.subject_names(db, rows)
    newer = site_records.amended_by(db, [row.id for row in rows])
    return [
        SiteRecordOut(
            id=row.id,
            tender_id=row.tender_id,
            session=row.session,
            occurred_at=row.occurred_at,
            subject_kind=row.subject_kind,
            expert_id=row.expert_id,
            entity_id=row.entity_id,
            subject_name=names[row.id],
            representative_name=row.representative_name,
            category=row.category,
            description=row.description,
            evidence=site_records.evidence_of(row),
            amends_id=row.amends_id,
            amended_by_id=newer.get(row.id),
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
            withdrawn_at=row.withdrawn_at,
            withdraw_reason=row.withdraw_reason,
        )
        for row in rows
    ]


@router.post(
    "/tenders/{tender_id}/site-records",
    status_code=201,
    response_model=SiteRecordOut,
    summary="Record misconduct seen at the tender's opening or evaluation (现场见证记录; the staff of its centre); "
    "with amends_id, correct an earlier record (which stays)",
    responses=problem_responses(*RECORD_PROBLEMS),
)
def record(tender_id: Id, body: SiteRecordIn, db: DB, actor: Recorder, now: Now) -> SiteRecordOut:
    row = site_records.record(db, actor, tender_id=tender_id, data=body, now=now)
    return site_record_out(db, [row])[0]


@router.post(
    "/site-records/{record_id}/withdrawal",
    response_model=SiteRecordOut,
    summary="Withdraw an on-site record with its reason (kept, never deleted)",
    responses=problem_responses(*WITHDRAW_PROBLEMS),
)
def withdraw(record_id: Id, body: SiteRecordWithdrawIn, db: DB, actor: Recorder, now: Now) -> SiteRecordOut:
    row = site_records.withdraw(db, actor, record_id=record_id, reason=body.reason, now=now)
    return site_record_out(db, [row])[0]


@router.get(
    "/site-records",
    response_model=list[SiteRecordOut],
    summary="The on-site records the reader may read, newest first (its centre's, region's; an expert's own once the "
    "result is known; a bidder's own)",
    responses=problem_responses(),
)
def list_records(
    db: DB,
    actor: Reader,
    tender_id: Annotated[Id | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> list[SiteRecordOut]:
    rows = site_records.readable(db, actor, tender_id=tender_id, limit=limit, offset=offset)
    return site_record_out(db, rows)


@router.get(
    "/site-records/{record_id}",
    response_model=list[SiteRecordOut],
    summary="One on-site record with its corrections, the first record first",
    responses=problem_responses(NotFound),
)
def get_record(record_id: Id, db: DB, actor: Reader) -> list[SiteRecordOut]:
    row = site_records.get_readable(db, actor, record_id)
    return site_record_out(db, site_records.readable_history(db, actor, row))
