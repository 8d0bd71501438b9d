"""Pages of prequalification (资格预审): the owner's or agent's page to run one, and the applicant's page to apply.

The same services and permissions as the API (``ggzy.prequalification``). The applicant's envelope is sealed on its
own computer, exactly as a bid (``ggzy bid seal`` with the application code and the opening key the page shows), and
uploaded here. Before the opening these pages name and count no applicant (DESIGN §4.3): the owner's page lists the
applications only once the opening has begun; the applicant sees its own.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Name, Text, moment_in_range
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, accepts_body
from ggzy.entities.service import entity_names
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, Outcome, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other
from ggzy.prequalification import applications, lifecycle, review, service
from ggzy.prequalification.lifecycle import Stage
from ggzy.prequalification.schemas import ApplicationPath
from ggzy.storage import MIB
from ggzy.tendering.access import NotTheTenderer, check_manager
from ggzy.tendering.procedures import TENDER_METHODS, Method

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Manager = Annotated[Principal, Depends(require(Permission.TENDER_MANAGE))]
Applicant = Annotated[Principal, Depends(require(Permission.TENDER_REGISTER))]

_OWNER, _APPLICANT = "ws_prequalification_owner.html", "ws_prequalification_applicant.html"
PREQUALIFICATION_PUBLISHED = outcome("prequalification_published", N_("资格预审公告已发布，资格预审文件开始发售。"))
PREQUALIFICATION_CONCLUDED = outcome(
    "prequalification_concluded",
    N_("审查结果已确定；请向每一位申请人发出资格预审结果通知书（招标投标法实施条例 第十九条）。"),
)
PREQUALIFICATION_NOTIFIED = outcome("prequalification_notified", N_("结果通知书已发出。"))
INVITED_FROM_PREQUALIFICATION = outcome(
    "invited_from_prequalification",
    N_("邀请招标已准备，投标邀请对象为且仅为通过资格预审的申请人（招标投标法实施条例 第十九条）；上传招标文件后发布。"),
)
APPLICATION_SUBMITTED = outcome("applied", N_("申请文件已递交。截止前可以重新递交，以最后一次为准。"))
APPLICATION_DECRYPTED = outcome("application_decrypted", N_("申请文件已解密。"))
_SEALED = {Stage.DRAFT, Stage.PUBLISHED, Stage.CLOSED}


def _published(db: Session, prequalification_id: int) -> Any:
    prequalification = service.get_prequalification(db, prequalification_id)
    if prequalification.published_at is None:  # a draft is nobody's business but its owner's
        raise NotFound(field="prequalification_id", what_zh="资格预审", what_en="Prequalification")
    return prequalification


def _facts(db: Session, prequalification: Any, now: datetime) -> dict[str, Any]:
    project, lot = service.project_of(db, prequalification)
    return {
        "active": "workspace",
        "prequalification": prequalification,
        "project": project,
        "lot": lot,
        "application_code": service.application_code(project, lot, prequalification),
        "stage": lifecycle.stage_of(prequalification, now).value,
        "paused": lifecycle.is_paused(db, prequalification.id),
        "clarifications": service.clarifications_of(db, prequalification.id),
    }


def _owner_context(db: Session, actor: Principal, prequalification_id: int, now: datetime) -> dict[str, Any]:
    prequalification = service.get_prequalification(db, prequalification_id)
    project, _ = service.project_of(db, prequalification)
    check_manager(actor, project)
    context = _facts(db, prequalification, now) | {"section": "projects"}
    sealed = lifecycle.stage_of(prequalification, now) in _SEALED
    opened = [] if sealed else applications.applications_of(db, actor, prequalification.id, now)
    names = entity_names(db, [application.entity_id for application in opened])
    return context | {
        "sealed": sealed,
        "applications": [{"application": a, "name": names.get(a.entity_id, "")} for a in opened],
        "reviewers": len(service.reviewers_of(db, prequalification.id)),
        "unnotified": review.unnotified(db, prequalification.id) if not sealed else 0,
        "methods": list(TENDER_METHODS),
    }


@router.get(
    "/workspace/projects/prequalifications/{prequalification_id}",
    summary="A prequalification as its owner or agent runs it: notice, deadlines, after the opening the applications",
    responses=problem_responses(NotFound, NotTheTenderer),
)
def owner_page(prequalification_id: Id, request: Request, db: DB, actor: Manager, now: Now) -> HTMLResponse:
    return render(request, _OWNER, _owner_context(db, actor, prequalification_id, now))


def _owner_refused(
    request: Request, db: Session, actor: Principal, prequalification_id: int, now: datetime, error: DomainError
) -> HTMLResponse:
    return form_refused(request, db, _OWNER, lambda: _owner_context(db, actor, prequalification_id, now), error)


def _back(prequalification_id: int, done: Outcome) -> Response:
    return see_other(f"/workspace/projects/prequalifications/{prequalification_id}", done=done)


@router.post(
    "/workspace/projects/prequalifications/{prequalification_id}/publish",
    summary="Publish the prequalification notice (实施条例 第16、17条; 政府采购法实施条例 第21条)",
    responses=problem_responses(NotFound, NotTheTenderer, *lifecycle.REFUSALS),
)
def publish(prequalification_id: Id, request: Request, actor: Manager, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        service.publish(db, actor, prequalification_id=prequalification_id, now=now)
    except DomainError as error:
        return _owner_refused(request, db, actor, prequalification_id, now, error)
    return _back(prequalification_id, PREQUALIFICATION_PUBLISHED)


@router.post(
    "/workspace/projects/prequalifications/{prequalification_id}/result",
    summary="Conclude the review: the pass list, or a failure with fewer than 3 (实施条例 第19条)",
    responses=problem_responses(NotFound, NotTheTenderer, *lifecycle.REFUSALS, review.ReviewUnfinished),
)
def conclude(
    prequalification_id: Id,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    confirmed: Annotated[Name, Form(max_length=10)] = "",
) -> Response:
    try:
        if confirmed != "yes":
            raise InvalidInput(field="confirmed", reason_zh="请勾选确认", reason_en="tick the confirmation")
        review.conclude(db, actor, prequalification_id=prequalification_id, now=now)
    except DomainError as error:
        return _owner_refused(request, db, actor, prequalification_id, now, error)
    return _back(prequalification_id, PREQUALIFICATION_CONCLUDED)


@router.post(
    "/workspace/projects/prequalification-applications/{application_id}/result-notice",
    summary="Send one applicant its result notice (实施条例 第19条)",
    responses=problem_responses(NotFound, NotTheTenderer, *lifecycle.REFUSALS),
)
def notify(
    application_id: ApplicationPath, request: Request, actor: Manager, _: CsrfChecked, db: DB, now: Now
) -> Response:
    prequalification_id = applications.prequalification_of_application(db, application_id)
    try:
        review.notify_result(db, actor, application_id=application_id, now=now)
    except DomainError as error:
        return _owner_refused(request, db, actor, prequalification_id, now, error)
    return _back(prequalification_id, PREQUALIFICATION_NOTIFIED)


@router.post(
    "/workspace/projects/prequalifications/{prequalification_id}/tender",
    summary="Prepare the tender by invitation of exactly the pass list (实施条例 第19条)",
    responses=problem_responses(NotFound, NotTheTenderer, *lifecycle.REFUSALS, review.NoticesUnsent),
)
def invite(
    prequalification_id: Id,
    request: Request,
    actor: Manager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    title: Annotated[Name, Form(min_length=2, max_length=300)],
    notice_text: Annotated[Text, Form(min_length=2, max_length=100_000)],
    method: Annotated[Method, Form()],
    documents_days: Annotated[int, Form(ge=5, le=60)] = 10,
    bid_days: Annotated[int, Form(ge=20, le=120)] = 25,
) -> Response:
    try:
        tender = review.invite(
            db, actor, prequalification_id=prequalification_id, method=method, title=title, notice_text=notice_text,
            documents_until=moment_in_range(now + timedelta(days=documents_days), field="documents_days"),
            bid_deadline=moment_in_range(now + timedelta(days=bid_days), field="bid_days"), now=now,
        )  # fmt: skip
    except DomainError as error:
        return _owner_refused(request, db, actor, prequalification_id, now, error)
    return see_other(f"/workspace/projects/tenders/{tender.id}", done=INVITED_FROM_PREQUALIFICATION)


# -- the applicant ----------------------------------------------------------------------------------------------


def _applicant_context(
    request: Request, db: Session, actor: Principal, prequalification_id: int, now: datetime
) -> dict[str, Any]:
    prequalification = _published(db, prequalification_id)
    context = _facts(db, prequalification, now) | {"section": "bidder"}
    stage = lifecycle.stage_of(prequalification, now)
    return context | {
        "keys": service.keys_of(db, prequalification.id),
        "accepting": stage == Stage.PUBLISHED,
        "decrypting": stage == Stage.OPENING,
        "own": applications.my_applications(db, actor, prequalification.id),
        "bid_max_mb": request.app.state.settings.bid_max_mb,
    }


@router.get(
    "/workspace/bidder/prequalifications/{prequalification_id}",
    summary="Applicant's page of a prequalification: the notice, apply (sealed), decrypt, its own result notice",
    responses=problem_responses(NotFound),
)
def applicant_page(prequalification_id: Id, request: Request, db: DB, actor: Applicant, now: Now) -> HTMLResponse:
    return render(request, _APPLICANT, _applicant_context(request, db, actor, prequalification_id, now))


def _applicant_refused(
    request: Request, db: Session, actor: Principal, prequalification_id: int, now: datetime, error: DomainError
) -> HTMLResponse:
    return form_refused(
        request, db, _APPLICANT, lambda: _applicant_context(request, db, actor, prequalification_id, now), error
    )


@router.post(
    "/workspace/bidder/prequalifications/{prequalification_id}/applications",
    summary="Upload the sealed application (same size limit as a bid); refused after the deadline",
    responses=problem_responses(NotFound, *lifecycle.REFUSALS),
)
@accepts_body(setting="bid_max_mb")
def apply(
    prequalification_id: Id, request: Request, actor: Applicant, _: CsrfChecked, db: DB, now: Now, envelope: UploadFile
) -> Response:
    try:
        applications.submit_application(
            db, actor, prequalification_id=prequalification_id, envelope=envelope.file,
            store=request.app.state.blob_store, max_bytes=request.app.state.settings.bid_max_mb * MIB, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _applicant_refused(request, db, actor, prequalification_id, now, error)
    return see_other(f"/workspace/bidder/prequalifications/{prequalification_id}", done=APPLICATION_SUBMITTED)


@router.post(
    "/workspace/bidder/prequalifications/{prequalification_id}/decryption",
    summary="Hand over the application's data key at the opening (远程解密)",
    responses=problem_responses(NotFound, InvalidInput, *lifecycle.REFUSALS),
)
def decrypt(
    prequalification_id: Id,
    request: Request,
    actor: Applicant,
    _: CsrfChecked,
    db: DB,
    now: Now,
    data_key: Annotated[Ascii, Form(max_length=200)] = "",
) -> Response:
    try:
        try:
            key = base64.b64decode(data_key.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(field="data_key", reason_zh="应为 Base64", reason_en="must be base64") from None
        applications.decrypt_application(
            db, actor, prequalification_id=prequalification_id, data_key=key, store=request.app.state.blob_store,
            max_mb=request.app.state.settings.bid_max_mb, now=now,
        )  # fmt: skip
    except DomainError as error:
        return _applicant_refused(request, db, actor, prequalification_id, now, error)
    return see_other(f"/workspace/bidder/prequalifications/{prequalification_id}", done=APPLICATION_DECRYPTED)
