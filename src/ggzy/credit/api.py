"""API of credit (decision 0040): penalties, records, joint-punishment lists, interceptions (the supervisor's and
inspector's), and the public credit query (rate-limited) and blacklist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, UploadFile

from ggzy.core.codes import CreditCodeInvalid
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Day, Id, Name, Offset
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.rate_limit import rate_limited
from ggzy.core.web import DB, Now, Public
from ggzy.credit import access, rules, service
from ggzy.credit.models import CreditPenalty, CreditRecord
from ggzy.credit.schemas import (
    BlacklistRow,
    CreditReport,
    InterceptionCount,
    ListImportOut,
    PenaltyIn,
    PenaltyOut,
    RecordIn,
    RecordOut,
    RevokeIn,
)

router = APIRouter(tags=["credit"], route_class=PermissionedRoute)

Penaliser = Annotated[Principal, Depends(require(Permission.CREDIT_PENALISE))]
Importer = Annotated[Principal, Depends(require(Permission.CREDIT_IMPORT))]
Reader = Annotated[Principal, Depends(require(Permission.CREDIT_READ))]
# The public credit query (信用查询): 30 queries at once, refilled at 30 a minute, per client address.
QueryLimit = Depends(rate_limited("credit_query", capacity=30, per_minute=30))
LIST_MAX_BYTES = 1024 * 1024


def record_out(record: CreditRecord, now: datetime, *, personal: bool = False) -> RecordOut:
    return RecordOut(
        id=record.id, subject_kind=record.subject_kind, credit_code=record.credit_code,
        subject_name=record.subject_name, person_id_masked=record.person_id_masked if personal else None,
        polarity=record.polarity, points=record.points, restricts=record.restricts, grounds=record.grounds,
        legal_basis=record.legal_basis, source=record.source, source_name=record.source_name,
        valid_from=record.valid_from, valid_until=record.valid_until, status=service.status_of(record, now).value,
    )  # fmt: skip


def penalty_out(penalty: CreditPenalty, record: CreditRecord, site_record_ids: list[int]) -> PenaltyOut:
    return PenaltyOut(
        id=penalty.id, decision_number=penalty.decision_number, kind=penalty.kind,
        subject_kind=penalty.subject_kind, credit_code=penalty.credit_code, subject_name=penalty.subject_name,
        article=penalty.article, grounds=penalty.grounds, fine_fen=penalty.fine_fen, points=penalty.points,
        months=penalty.months, effective_from=penalty.effective_from, effective_until=penalty.effective_until,
        appeal_route=penalty.appeal_route, decided_at=penalty.decided_at, record_id=record.id,
        site_record_ids=site_record_ids,
    )  # fmt: skip


@router.post(
    "/credit/penalties",
    response_model=PenaltyOut,
    status_code=201,
    summary="A supervisor's penalty decision (warning, fine, credit deduction, suspension, debarment) with its number, "
    "article and grounds; refused beyond the article's range (实施条例 第六十七条 …) or without grounds",
    responses=problem_responses(
        rules.PenaltyNotAllowed,
        rules.PenaltyOutOfRange,
        rules.GroundsRequired,
        rules.SiteRecordNotGrounds,
        CreditCodeInvalid,
        InvalidInput,
        Conflict,
        NotFound,
    ),
)
def decide_penalty(body: PenaltyIn, db: DB, actor: Penaliser, now: Now) -> PenaltyOut:
    penalty, record = service.decide_penalty(db, actor, data=body, now=now)
    return penalty_out(penalty, record, service.site_records_cited(db, [penalty.id]).get(penalty.id, []))


@router.post(
    "/credit/records",
    response_model=RecordOut,
    status_code=201,
    summary="A good or bad credit record from another authority, about an entity, a key person or an expert",
    responses=problem_responses(rules.GroundsRequired, CreditCodeInvalid, InvalidInput, NotFound),
)
def add_record(body: RecordIn, db: DB, actor: Penaliser, now: Now) -> RecordOut:
    return record_out(service.add_record(db, actor, data=body, now=now), now, personal=True)


@router.post(
    "/credit/records/{record_id}/revocation",
    response_model=RecordOut,
    summary="Revoke a credit record on appeal (ended, never deleted; its interception stops)",
    responses=problem_responses(NotFound, Conflict, rules.GroundsRequired, access.CreditScopeDenied),
)
def revoke_record(record_id: Id, body: RevokeIn, db: DB, actor: Penaliser, now: Now) -> RecordOut:
    return record_out(service.revoke_record(db, actor, record_id=record_id, reason=body.reason, now=now), now)


@router.post(
    "/credit/lists",
    response_model=ListImportOut,
    status_code=201,
    summary="Import a joint-punishment list (CSV with a header, or JSON) from a source: all or nothing, every bad row "
    "reported; a re-import of the source updates it and ends the rows no longer listed",
    responses=problem_responses(
        rules.ListRowsInvalid, rules.ListUnreadable, InvalidInput, Conflict, access.CreditScopeDenied
    ),
)
def import_list(
    file: UploadFile,
    db: DB,
    actor: Importer,
    now: Now,
    source: Annotated[Name, Query(min_length=1, max_length=200)],
    published_on: Annotated[Day, Query()],
) -> ListImportOut:
    content = file.file.read(LIST_MAX_BYTES + 1)
    if len(content) > LIST_MAX_BYTES:
        raise rules.ListUnreadable(field="file", reason_zh="超过 1 MiB", reason_en="larger than 1 MiB")
    report = service.import_list(db, actor, source=source, published_on=published_on, content=content, now=now)
    return ListImportOut(**report.__dict__)


@router.get(
    "/credit/interceptions",
    response_model=list[InterceptionCount],
    summary="How many interceptions each checkpoint made (registration, tender registration, bid, draw, award)",
)
def interception_counts(db: DB, actor: Reader) -> list[InterceptionCount]:
    counts = service.interception_counts(db, actor)
    return [InterceptionCount(checkpoint=key, count=value) for key, value in counts.items()]


@router.get(
    "/credit/query",
    response_model=CreditReport,
    summary="The public credit of an entity by its unified social credit code (rate-limited per client)",
    responses=problem_responses(CreditCodeInvalid),
    dependencies=[QueryLimit],
)
def credit_query(
    db: DB,
    _: Public,
    now: Now,
    credit_code: Annotated[Ascii, Query(min_length=1, max_length=18)],
) -> CreditReport:
    report = service.credit_report(db, credit_code=credit_code, now=now)
    return CreditReport(
        credit_code=report.credit_code, subject_name=report.subject_name, restricted=report.restricted,
        points=report.points, records=[record_out(record, now) for record, _ in report.records],
    )  # fmt: skip


@router.get(
    "/credit/blacklist",
    response_model=list[BlacklistRow],
    summary="The published blacklist: entities under a suspension, debarment or joint punishment in force",
)
def blacklist(
    db: DB,
    _: Public,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> list[BlacklistRow]:
    return [blacklist_row(record) for record in service.blacklist(db, now=now, limit=limit, offset=offset)]


def blacklist_row(record: CreditRecord) -> BlacklistRow:
    return BlacklistRow(
        credit_code=record.credit_code, subject_name=record.subject_name, reference=record.source_name,
        source=record.source, grounds=record.grounds, legal_basis=record.legal_basis, law=record.law,
        valid_from=record.valid_from, valid_until=record.valid_until,
    )  # fmt: skip
