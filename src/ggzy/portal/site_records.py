"""On-site records on pages (现场见证记录, decision 0048).

The staff of a tender's centre record what they saw at its opening or evaluation on
``/workspace/centre/tenders/{id}/site-records`` (linked from the day's openings and the committee's page): the time
in Beijing time, the sitting, the subject chosen from the tender's real committee and bidders, the category, the
description and the evidence files' digests; a correction names the record it corrects, a withdrawal asks first.
The readers of ``site_record.read`` list theirs on ``/workspace/site-records`` and read one, with its corrections
and the penalties that cite it, on ``/workspace/site-records/{id}``. The same services and permissions as the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.credit import service as credit
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.labels import N_
from ggzy.portal.outcomes import outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_china_time, form_refused, see_other
from ggzy.projects.access import NotYourCentre
from ggzy.tendering.service import get_tender, project_of
from ggzy.venues import site_records
from ggzy.venues.schemas import SiteRecordIn
from ggzy.venues.site_records_api import RECORD_PROBLEMS, WITHDRAW_PROBLEMS

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Recorder = Annotated[Principal, Depends(require(Permission.SITE_RECORD_WRITE))]
Reader = Annotated[Principal, Depends(require(Permission.SITE_RECORD_READ))]
TEMPLATE = "ws_site_records_tender.html"
HOME = "/workspace/site-records"

SESSIONS = {"opening": N_("开标"), "evaluation": N_("评标")}
SUBJECT_KINDS = {"expert": N_("评标专家"), "bidder": N_("投标人"), "owner": N_("招标人"), "agent": N_("招标代理机构")}
CATEGORIES = {
    "late_or_absent": N_("迟到或缺席"),
    "left_early": N_("擅自离开现场"),
    "communication_device": N_("违规使用通讯工具"),
    "disrupting_order": N_("干扰开标或评标秩序"),
    "private_contact": N_("私下接触投标人或评标专家"),
    "other": N_("其他违规行为"),
}
RECORDED = outcome("site_record_recorded", N_("现场见证记录已保存。"))
AMENDED = outcome("site_record_amended", N_("更正记录已保存，原记录保留并标注为已更正。"))
WITHDRAWN = outcome("site_record_withdrawn", N_("记录已撤回，撤回理由已记录。"))


def _labels() -> dict[str, Any]:
    return {"site_sessions": SESSIONS, "site_subject_kinds": SUBJECT_KINDS, "site_categories": CATEGORIES}


def _rows(db: Session, rows: list[Any]) -> list[dict[str, Any]]:
    names = site_records.subject_names(db, rows)
    newer = site_records.amended_by(db, [row.id for row in rows])
    return [
        {"record": row, "subject_name": names[row.id], "amended_by": newer.get(row.id),
         "evidence": site_records.evidence_of(row)}
        for row in rows
    ]  # fmt: skip


def _tender_context(db: Session, actor: Principal, tender_id: int) -> dict[str, Any]:
    present = site_records.attendees(db, actor, tender_id)  # checks the tender's own centre first
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    rows = _rows(db, site_records.readable(db, actor, tender_id=tender_id))
    return {
        "active": "workspace",
        "section": "centre",
        "tender": tender,
        "project": project,
        "attendees": present,
        "rows": rows,
        "standing": [row for row in rows if row["amended_by"] is None and row["record"].withdrawn_at is None],
        **_labels(),
    }


def _tender_page(tender_id: int) -> str:
    return f"/workspace/centre/tenders/{tender_id}/site-records"


@router.get(
    "/workspace/centre/tenders/{tender_id}/site-records",
    summary="Centre staff: a tender's on-site records and the form to record one (its own centre's tenders)",
    responses=problem_responses(NotFound, NotYourCentre),
)
def tender_page(tender_id: Id, request: Request, db: DB, actor: Recorder) -> HTMLResponse:
    return render(request, TEMPLATE, _tender_context(db, actor, tender_id))


def _subject(value: str) -> dict[str, Any]:
    """The subject select's value: ``expert:12``, ``bidder:34``, ``owner:5`` or ``agent:6``."""
    kind, _, number = value.partition(":")
    if kind not in SUBJECT_KINDS or not number.isdigit() or len(number) > 18:
        raise InvalidInput(field="subject", reason_zh="请选择记录对象", reason_en="choose the subject")
    return {"subject_kind": kind, ("expert_id" if kind == "expert" else "entity_id"): int(number)}


def _form_data(**fields: Any) -> SiteRecordIn:
    try:
        return SiteRecordIn.model_validate(fields)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "form"
        raise InvalidInput(field=field, reason_zh="内容不符合要求", reason_en=first["msg"]) from None


@router.post(
    "/workspace/centre/tenders/{tender_id}/site-records",
    summary="Record (or correct) an on-site record of the tender's opening or evaluation (time in Beijing time)",
    responses=problem_responses(*RECORD_PROBLEMS),
)
def record(
    tender_id: Id,
    request: Request,
    actor: Recorder,
    _: CsrfChecked,
    db: DB,
    now: Now,
    session: Annotated[Ascii, Form(max_length=16)],
    occurred_at: Annotated[Ascii, Form(max_length=40)],
    subject: Annotated[Ascii, Form(max_length=40)],
    category: Annotated[Ascii, Form(max_length=32)],
    description: Annotated[Text, Form(max_length=5000)],
    representative_name: Annotated[Name, Form(max_length=100)] = "",
    evidence_name: Annotated[Name, Form(max_length=300)] = "",
    evidence_sha256: Annotated[Ascii, Form(max_length=64)] = "",
    amends_id: Annotated[Ascii, Form(max_length=19)] = "",
) -> Response:
    try:
        if amends_id.strip() and not amends_id.strip().isdigit():
            raise InvalidInput(field="amends_id", reason_zh="应为记录编号", reason_en="must be a record's number")
        evidence = [{"name": evidence_name, "sha256": evidence_sha256.strip().lower()}] if evidence_sha256 else []
        data = _form_data(
            session=session, occurred_at=form_china_time(occurred_at, "occurred_at"), category=category,
            description=description,
            representative_name=representative_name.strip() or None, evidence=evidence,
            amends_id=int(amends_id) if amends_id.strip() else None, **_subject(subject),
        )  # fmt: skip
        site_records.record(db, actor, tender_id=tender_id, data=data, now=now)
    except DomainError as error:
        return form_refused(request, db, TEMPLATE, lambda: _tender_context(db, actor, tender_id), error)
    return see_other(_tender_page(tender_id) + "#records", done=AMENDED if amends_id.strip() else RECORDED)


@router.post(
    "/workspace/centre/site-records/{record_id}/withdraw",
    summary="Withdraw an on-site record with its reason (kept, never deleted)",
    responses=problem_responses(*WITHDRAW_PROBLEMS),
)
def withdraw(
    record_id: Id,
    request: Request,
    actor: Recorder,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    reason: Annotated[Text, Form(max_length=2000)],
) -> Response:
    try:
        site_records.withdraw(db, actor, record_id=record_id, reason=reason, now=now)
    except DomainError as error:
        return form_refused(request, db, TEMPLATE, lambda: _tender_context(db, actor, tender_id), error)
    return see_other(_tender_page(tender_id) + "#records", done=WITHDRAWN)


@router.get(HOME, summary="The on-site records the reader may read (centre, region; an expert's or bidder's own)")
def list_page(request: Request, db: DB, actor: Reader) -> HTMLResponse:
    rows = _rows(db, site_records.readable(db, actor, limit=200))
    context = {"active": "workspace", "section": "site-records", "rows": rows, **_labels()}
    return render(request, "ws_site_records.html", context)


@router.get(
    HOME + "/{record_id}",
    summary="One on-site record with its corrections and the penalties that cite it",
    responses=problem_responses(NotFound),
)
def record_page(record_id: Id, request: Request, db: DB, actor: Reader) -> HTMLResponse:
    row = site_records.get_readable(db, actor, record_id)
    context = {
        "active": "workspace",
        "section": "site-records",
        "record_id": row.id,
        "history": _rows(db, site_records.readable_history(db, actor, row)),
        "penalties": credit.penalties_citing(db, row.id),
        **_labels(),
    }
    return render(request, "ws_site_record.html", context)
