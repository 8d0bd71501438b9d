"""API of prequalification (资格预审): a thin router; every rule is in the service."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import StreamingResponse

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from ggzy.core.inputs import Id, file_name
from ggzy.core.permissions import PermissionedRoute
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public, accepts_body, attachment
from ggzy.crypto import DecryptionFailed, EnvelopeInvalid, SignatureInvalid
from ggzy.experts.service import CommitteeUnlawful, NotEnoughExperts
from ggzy.prequalification import applications, lifecycle, review, rules, service
from ggzy.prequalification.access import Applicant, Drawer, Host, Manager, Objector, Reader, Reviewer
from ggzy.prequalification.models import Application, Prequalification
from ggzy.prequalification.schemas import (
    ApplicationOut,
    ApplicationPath,
    ClarificationIn,
    ClarificationOut,
    CommitteeIn,
    DataKeyIn,
    InvitationIn,
    ObjectionOut,
    ObjectionPath,
    PrequalificationIn,
    PrequalificationOut,
    ReviewerOut,
    ReviewIn,
    TextIn,
)
from ggzy.projects.access import NotYourCentre
from ggzy.storage import MIB, BlobTooLarge, stage_blob
from ggzy.tendering import service as tendering
from ggzy.tendering.access import NotTheHost, NotTheTenderer, RegistrationRefused
from ggzy.tendering.api import tender_out  # the tender as tendering's own API shows it
from ggzy.tendering.bids import ENVELOPE_REFUSALS, ConcurrentSubmission
from ggzy.tendering.keys import NoCustodians
from ggzy.tendering.lifecycle import REFUSALS as TENDER_REFUSALS
from ggzy.tendering.procedures import NoTenderProcedure, ProcedureNotForTradeType
from ggzy.tendering.schemas import TenderOut

router = APIRouter(tags=["prequalification"], route_class=PermissionedRoute)

_BASE: tuple[type[DomainError], ...] = (NotFound, *lifecycle.REFUSALS)
_MANAGE: tuple[type[DomainError], ...] = (*_BASE, NotTheTenderer)


def _out(db: DB, prequalification: Prequalification, now: Now) -> PrequalificationOut:
    project, lot = service.project_of(db, prequalification)
    return PrequalificationOut(
        id=prequalification.id,
        lot_id=prequalification.lot_id,
        attempt=prequalification.attempt,
        application_code=service.application_code(project, lot, prequalification),
        procedure=prequalification.procedure,
        stage=lifecycle.stage_of(prequalification, now).value,
        paused=lifecycle.is_paused(db, prequalification.id),
        title=prequalification.title,
        notice_text=prequalification.notice_text,
        criteria=prequalification.criteria,
        documents_name=prequalification.documents_name,
        documents_sha256=prequalification.documents_sha256,
        documents_size=prequalification.documents_size,
        documents_until=prequalification.documents_until,
        application_deadline=prequalification.application_deadline,
        published_at=prequalification.published_at,
        concluded_at=prequalification.concluded_at,
        tender_id=prequalification.tender_id,
        opening_keys={key.suite: key.public_key_pem for key in service.keys_of(db, prequalification.id)},
    )


def _application_out(application: Application, *, result: bool) -> ApplicationOut:
    """An application; its result only where the reader may know it (the applicant: once notified)."""
    out = ApplicationOut.model_validate(application)
    if not result:
        out = out.model_copy(update={"passed": None, "reason": None})
    return out


@router.post(
    "/prequalifications",
    status_code=201,
    response_model=PrequalificationOut,
    summary="Prepare a prequalification of a lot (draft), by the owner or its agent (实施条例 第15条)",
    responses=problem_responses(
        *_MANAGE, InvalidInput, Conflict, service.PrequalificationRunning, ProcedureNotForTradeType, NoTenderProcedure
    ),
)
def create(body: PrequalificationIn, db: DB, actor: Manager, now: Now) -> PrequalificationOut:
    prequalification = service.create_prequalification(
        db, actor, lot_id=body.lot_id, title=body.title, notice_text=body.notice_text, criteria=body.criteria,
        documents_until=body.documents_until, application_deadline=body.application_deadline, now=now,
    )  # fmt: skip
    return _out(db, prequalification, now)


@router.get("/prequalifications/{prequalification_id}", response_model=PrequalificationOut, summary="The notice")
def read(prequalification_id: Id, db: DB, _: Public, now: Now) -> PrequalificationOut:
    prequalification = service.get_prequalification(db, prequalification_id)
    if prequalification.published_at is None:
        raise NotFound(field="prequalification_id", what_zh="资格预审", what_en="Prequalification")
    return _out(db, prequalification, now)


@router.put(
    "/prequalifications/{prequalification_id}/documents",
    response_model=PrequalificationOut,
    summary="Upload the prequalification documents of a draft",
    responses=problem_responses(*_MANAGE, BlobTooLarge),
)
@accepts_body(setting="documents_max_mb")
def upload_documents(
    prequalification_id: Id, request: Request, file: UploadFile, db: DB, actor: Manager, now: Now
) -> PrequalificationOut:
    limit = request.app.state.settings.documents_max_mb * MIB
    ref = stage_blob(db, request.app.state.blob_store, file.file, max_bytes=limit)
    prequalification = service.attach_documents(
        db, actor, prequalification_id=prequalification_id, sha256=ref.sha256,
        name=file_name(file.filename, default="prequalification-documents"), size=ref.size, now=now,
    )  # fmt: skip
    return _out(db, prequalification, now)


@router.get(
    "/prequalifications/{prequalification_id}/documents",
    response_class=StreamingResponse,
    summary="Download the prequalification documents once published",
    responses={200: {"content": {"application/octet-stream": {}}}, **problem_responses(NotFound)},
)
def download_documents(prequalification_id: Id, request: Request, db: DB, _: Public) -> StreamingResponse:
    prequalification = service.get_prequalification(db, prequalification_id)
    if prequalification.published_at is None or prequalification.documents_sha256 is None:
        raise NotFound(field="prequalification_id", what_zh="资格预审文件", what_en="Prequalification documents")
    return attachment(
        request.app.state.blob_store.read_chunks(prequalification.documents_sha256),
        name=prequalification.documents_name or "documents",
        size=prequalification.documents_size,
        sha256=prequalification.documents_sha256,
    )


@router.post(
    "/prequalifications/{prequalification_id}/publish",
    response_model=PrequalificationOut,
    summary="Publish the notice and offer the documents (实施条例 第16、17条; 政府采购法实施条例 第21条)",
    responses=problem_responses(
        *_MANAGE,
        InvalidInput,
        service.DocumentsMissing,
        rules.DocumentsOfferTooShort,
        rules.ApplicationPeriodTooShort,
        NoCustodians,
    ),
)
def publish(prequalification_id: Id, db: DB, actor: Manager, now: Now) -> PrequalificationOut:
    return _out(db, service.publish(db, actor, prequalification_id=prequalification_id, now=now), now)


@router.post(
    "/prequalifications/{prequalification_id}/clarifications",
    status_code=201,
    response_model=ClarificationOut,
    summary="Clarify or amend the documents; less than 3 days before the deadline moves it (实施条例 第21条)",
    responses=problem_responses(*_MANAGE),
)
def clarify(prequalification_id: Id, body: ClarificationIn, db: DB, actor: Manager, now: Now) -> ClarificationOut:
    clarification = service.clarify(
        db, actor, prequalification_id=prequalification_id, text=body.text,
        affects_applications=body.affects_applications, now=now,
    )  # fmt: skip
    return ClarificationOut.model_validate(clarification)


@router.get(
    "/prequalifications/{prequalification_id}/clarifications",
    response_model=list[ClarificationOut],
    summary="The clarifications and amendments, oldest first",
)
def clarifications(prequalification_id: Id, db: DB, _: Public) -> list[ClarificationOut]:
    return [ClarificationOut.model_validate(c) for c in service.clarifications_of(db, prequalification_id)]


@router.post(
    "/prequalifications/{prequalification_id}/objections",
    status_code=201,
    response_model=ObjectionOut,
    summary="Object to the documents until 2 days before the deadline; the procedure pauses (实施条例 第22条)",
    responses=problem_responses(*_BASE, InvalidInput, rules.ObjectionTooLate, rules.NoObjectionUnderThisLaw),
)
def raise_objection(prequalification_id: Id, body: TextIn, db: DB, actor: Objector, now: Now) -> ObjectionOut:
    objection = service.raise_objection(db, actor, prequalification_id=prequalification_id, text=body.text, now=now)
    return ObjectionOut.model_validate(objection)


@router.post(
    "/prequalification-objections/{objection_id}/answer",
    response_model=ObjectionOut,
    summary="Answer an objection (within 3 days, 实施条例 第22条); the pause ends",
    responses=problem_responses(*_MANAGE, Conflict),
)
def answer_objection(objection_id: ObjectionPath, body: TextIn, db: DB, actor: Manager, now: Now) -> ObjectionOut:
    objection = service.answer_objection(db, actor, objection_id=objection_id, answer=body.text, now=now)
    return ObjectionOut.model_validate(objection)


@router.post(
    "/prequalifications/{prequalification_id}/applications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Submit (or replace) a sealed application, sealed as a bid is; refused after the deadline",
    responses=problem_responses(
        *_BASE,
        rules.ApplicationDeadlinePassed,
        RegistrationRefused,
        ConcurrentSubmission,
        *ENVELOPE_REFUSALS,
    ),
)
@accepts_body(setting="bid_max_mb")
def submit_application(
    prequalification_id: Id, request: Request, envelope: UploadFile, db: DB, actor: Applicant, now: Now
) -> ApplicationOut:
    application = applications.submit_application(
        db, actor, prequalification_id=prequalification_id, envelope=envelope.file,
        store=request.app.state.blob_store, max_bytes=request.app.state.settings.bid_max_mb * MIB, now=now,
    )  # fmt: skip
    return _application_out(application, result=False)


@router.get(
    "/prequalifications/{prequalification_id}/applications/mine",
    response_model=list[ApplicationOut],
    summary="Your own applications, with the result once its notice is sent (nobody else sees them)",
)
def my_applications(prequalification_id: Id, db: DB, actor: Applicant) -> list[ApplicationOut]:
    return [
        _application_out(application, result=application.notified_at is not None)
        for application in applications.my_applications(db, actor, prequalification_id)
    ]


@router.get(
    "/prequalifications/{prequalification_id}/applications",
    response_model=list[ApplicationOut],
    summary="The applications, for the owner, its agent and the committee, once the opening has begun",
    responses=problem_responses(NotFound, NotTheTenderer, Conflict),
)
def list_applications(prequalification_id: Id, db: DB, actor: Reader, now: Now) -> list[ApplicationOut]:
    return [
        _application_out(application, result=True)
        for application in applications.applications_of(db, actor, prequalification_id, now)
    ]


@router.post(
    "/prequalifications/{prequalification_id}/opening/start",
    response_model=PrequalificationOut,
    summary="Open the applications after the deadline; fewer than 3 and it fails (实施条例 第19条)",
    responses=problem_responses(*_BASE, NotTheHost),
)
def start_opening(prequalification_id: Id, db: DB, actor: Host, now: Now) -> PrequalificationOut:
    return _out(db, applications.start_opening(db, actor, prequalification_id=prequalification_id, now=now), now)


@router.post(
    "/prequalifications/{prequalification_id}/decryptions",
    response_model=ApplicationOut,
    summary="Hand over your application's data key (远程解密)",
    responses=problem_responses(*_BASE, Conflict, DecryptionFailed, EnvelopeInvalid, SignatureInvalid, InvalidInput),
)
def decrypt(
    prequalification_id: Id, body: DataKeyIn, request: Request, db: DB, actor: Applicant, now: Now
) -> ApplicationOut:
    try:
        key = base64.b64decode(body.data_key, validate=True)
    except ValueError:
        raise InvalidInput(field="data_key", reason_zh="应为 Base64", reason_en="must be base64") from None
    application = applications.decrypt_application(
        db, actor, prequalification_id=prequalification_id, data_key=key, store=request.app.state.blob_store,
        max_mb=request.app.state.settings.bid_max_mb, now=now,
    )  # fmt: skip
    return _application_out(application, result=False)


@router.post(
    "/prequalifications/{prequalification_id}/opening/finish",
    response_model=PrequalificationOut,
    summary="End the opening: undecrypted applications are not reviewed",
    responses=problem_responses(*_BASE, NotTheHost),
)
def finish_opening(prequalification_id: Id, db: DB, actor: Host, now: Now) -> PrequalificationOut:
    return _out(db, applications.finish_opening(db, actor, prequalification_id=prequalification_id, now=now), now)


@router.post(
    "/prequalifications/{prequalification_id}/committee",
    status_code=201,
    response_model=list[ReviewerOut],
    summary="Form the review committee: experts drawn at random from the register (实施条例 第18条)",
    responses=problem_responses(*_BASE, NotYourCentre, Conflict, InvalidInput, CommitteeUnlawful, NotEnoughExperts),
)
def form_committee(prequalification_id: Id, body: CommitteeIn, db: DB, actor: Drawer, now: Now) -> list[ReviewerOut]:
    members = review.form_committee(
        db, actor, prequalification_id=prequalification_id, specialty_code=body.specialty_code, size=body.size,
        owner_representative_user_ids=body.owner_representative_user_ids, now=now,
    )  # fmt: skip
    return [ReviewerOut.model_validate(member) for member in members]


@router.post(
    "/prequalification-applications/{application_id}/review",
    response_model=ApplicationOut,
    summary="The committee's verdict on one application, with its reasons (实施条例 第18条)",
    responses=problem_responses(*_BASE, review.NotAReviewer, Conflict, InvalidInput),
)
def review_one(application_id: ApplicationPath, body: ReviewIn, db: DB, actor: Reviewer, now: Now) -> ApplicationOut:
    application = review.review_application(
        db, actor, application_id=application_id, passed=body.passed, reason=body.reason, now=now
    )
    return _application_out(application, result=True)


@router.post(
    "/prequalifications/{prequalification_id}/result",
    response_model=PrequalificationOut,
    summary="Conclude: 3 or more passed stand as the pass list; fewer and it fails (实施条例 第19条)",
    responses=problem_responses(*_MANAGE, review.ReviewUnfinished),
)
def conclude(prequalification_id: Id, db: DB, actor: Manager, now: Now) -> PrequalificationOut:
    return _out(db, review.conclude(db, actor, prequalification_id=prequalification_id, now=now), now)


@router.post(
    "/prequalification-applications/{application_id}/result-notice",
    response_model=ApplicationOut,
    summary="Send one applicant its result notice, passed or failed (实施条例 第19条)",
    responses=problem_responses(*_MANAGE, Conflict),
)
def notify(application_id: ApplicationPath, db: DB, actor: Manager, now: Now) -> ApplicationOut:
    application = review.notify_result(db, actor, application_id=application_id, now=now)
    return _application_out(application, result=True)


@router.post(
    "/prequalifications/{prequalification_id}/tender",
    status_code=201,
    response_model=TenderOut,
    summary="Prepare the tender by invitation of exactly the pass list (draft; then documents and publication)",
    responses=problem_responses(
        *_MANAGE,
        *TENDER_REFUSALS,
        review.NoticesUnsent,
        InvalidInput,
        Conflict,
        tendering.RoundRunning,
        tendering.NotEnoughInvitations,
        PermissionDenied,
    ),
)
def invite(prequalification_id: Id, body: InvitationIn, db: DB, actor: Manager, now: Now) -> TenderOut:
    tender = review.invite(
        db, actor, prequalification_id=prequalification_id, method=body.method, title=body.title,
        notice_text=body.notice_text, documents_until=body.documents_until, bid_deadline=body.bid_deadline, now=now,
    )  # fmt: skip
    return tender_out(db, tender, now)
