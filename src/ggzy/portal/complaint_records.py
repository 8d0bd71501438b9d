"""The investigation steps and hearings of a complaint on pages (decision 0047).

- On the complaint's page (``portal.complaints``) the handling supervisor records an investigation step
  (实施条例 第62条: 查阅、复制有关文件、资料，调查有关情况), with an evidence file kept in the blob store as a
  complaint's own evidence is; schedules a hearing, notifying the complainant, the owner, the agent and the
  bidders concerned (政府采购法实施条例 第56条: 组织质证; 政府采购法 第56条); and records it once held. Every change is
  ``ggzy.complaints.records``' service under the API's permission.
- A party reads the hearings it was notified of on "my hearings" (the owner and the agent too, who do not read the
  complaint itself), and the complainant on the complaint's page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ggzy.complaints import access as complaint_access
from ggzy.complaints import records
from ggzy.complaints import rules as complaint_rules
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Text, file_name
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, accepts_body
from ggzy.portal.complaints import PARTY_ROLES, Supervisor, _complaint_path, _refused_on_complaint
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.labels import N_
from ggzy.portal.outcomes import outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_china_time, form_day, see_other
from ggzy.storage import MIB, BlobTooLarge, stage_blob
from ggzy.tendering import service as tendering

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

HearingReader = Annotated[Principal, Depends(require(Permission.COMPLAINT_HEARING_READ))]

_RECORDING = (NotFound, complaint_access.NotYourJurisdiction, complaint_rules.ComplaintStateWrong,
              complaint_rules.RecordsFrozen, InvalidInput)  # fmt: skip

INVESTIGATION_RECORDED = outcome("complaint_investigation_recorded", N_("调查记录已保存。"))
HEARING_SCHEDULED = outcome(
    "complaint_hearing_scheduled", N_("听证已安排，通知已送达投诉人、招标人（采购人）、代理机构和所选投标人。")
)
HEARING_RECORDED = outcome("complaint_hearing_recorded", N_("听证记录已保存，其摘要值已记入账本，记录不可再修改。"))


@router.post(
    "/workspace/complaints/{complaint_id}/investigations",
    summary="Record an investigation step, with an evidence file (实施条例 第62条)",
    responses=problem_responses(*_RECORDING, Conflict, BlobTooLarge),
)
@accepts_body(setting="documents_max_mb")
def record_investigation(
    complaint_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    kind: Annotated[Ascii, Form(max_length=24)],
    taken_on: Annotated[Name, Form(max_length=10)],
    summary: Annotated[Text, Form(min_length=2, max_length=20000)],
    heard_role: Annotated[Ascii, Form(max_length=16)] = "",
    heard_name: Annotated[Name, Form(max_length=200)] = "",
    evidence: UploadFile | None = None,
) -> Response:
    """``evidence``: one file, kept in the blob store with the step (and not at all when the step is refused: the
    staging is part of the transaction)."""
    try:
        items = []
        if evidence is not None and evidence.filename:
            limit = request.app.state.settings.documents_max_mb * MIB
            ref = stage_blob(db, request.app.state.blob_store, evidence.file, max_bytes=limit)
            items.append({"name": file_name(evidence.filename, default="evidence"), "sha256": ref.sha256})
        records.record_investigation(
            db, actor, complaint_id=complaint_id, kind=kind.strip(), taken_on=form_day(taken_on, "taken_on"),
            heard_role=heard_role.strip() or None, heard_name=heard_name.strip() or None, summary=summary.strip(),
            evidence=items, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id) + "#investigation", done=INVESTIGATION_RECORDED)


@router.post(
    "/workspace/complaints/{complaint_id}/hearings",
    summary="Schedule a hearing and notify the parties (政府采购法实施条例 第56条; 政府采购法 第56条)",
    responses=problem_responses(*_RECORDING),
)
def schedule_hearing(
    complaint_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    held_at: Annotated[Name, Form(max_length=25)],
    place: Annotated[Name, Form(min_length=2, max_length=300)],
    matters: Annotated[Text, Form(min_length=2, max_length=5000)],
    remote: Annotated[bool, Form()] = False,
    bidder_ids: Annotated[list[Id] | None, Form()] = None,
) -> Response:
    try:
        records.schedule_hearing(
            db, actor, complaint_id=complaint_id, held_at=form_china_time(held_at, "held_at"), place=place.strip(),
            remote=remote, matters=matters.strip(), bidder_ids=list(bidder_ids or []), now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id) + "#hearings", done=HEARING_SCHEDULED)


def _party_key(value: str) -> tuple[str, int]:
    role, _, entity = value.partition(":")
    if not entity.isdigit():
        raise InvalidInput(field="party", reason_zh="当事人参数有误", reason_en="a party is role:entity_id")
    return role, int(entity)


@router.post(
    "/workspace/complaints/{complaint_id}/hearings/{hearing_id}/record",
    summary="Record a hearing once held: each party present (its statement) or absent; the record's SHA-256 is "
    "sealed in the ledger (政府采购法实施条例 第56条)",
    responses=problem_responses(*_RECORDING, Conflict),
)
def record_hearing(
    complaint_id: Id,
    hearing_id: Id,
    request: Request,
    actor: Supervisor,
    _: CsrfChecked,
    db: DB,
    now: Now,
    summary: Annotated[Text, Form(min_length=2, max_length=50000)],
    party: Annotated[list[Ascii], Form(max_length=100)],
    representative: Annotated[list[Name], Form(max_length=100)],
    statement: Annotated[list[Text], Form(max_length=100)],
    attended: Annotated[list[Ascii] | None, Form()] = None,
) -> Response:
    """``party``, ``representative`` and ``statement`` in the order of the parties notified; ``attended`` the
    parties (``role:entity_id``) who came."""
    present = set(attended or [])
    try:
        if not len(party) == len(representative) == len(statement):
            raise InvalidInput(field="party", reason_zh="当事人记录不完整", reason_en="one row for each party")
        attendance = []
        for key, who, said in zip(party, representative, statement, strict=True):
            role, entity_id = _party_key(key)
            came = key in present
            attendance.append({"role": role, "entity_id": entity_id, "attended": came,
                               "representative": (who.strip() or None) if came else None,
                               "statement": (said.strip() or None) if came else None})  # fmt: skip
        records.record_hearing(
            db, actor, complaint_id=complaint_id, hearing_id=hearing_id, attendance=attendance,
            summary=summary.strip(), now=now,
        )  # fmt: skip
    except DomainError as error:
        return _refused_on_complaint(request, db, actor, complaint_id, now, error)
    return see_other(_complaint_path(complaint_id) + "#hearings", done=HEARING_RECORDED)


@router.get(
    "/workspace/hearings",
    summary="The hearings my entity was notified of (complainant, owner, agent, bidder concerned): the notices and, "
    "once held, the records",
)
def my_hearings(request: Request, db: DB, actor: HearingReader, now: Now) -> HTMLResponse:
    found = records.hearings_notified_to(db, actor, now=now)
    titles = {tender_id: tendering.get_tender(db, tender_id).title for _, tender_id in found}
    context = {
        "active": "workspace",
        "section": "hearings",
        "hearings": found,
        "titles": titles,
        "party_roles": PARTY_ROLES,
        "now": now,
    }
    return render(request, "ws_hearings.html", context)
