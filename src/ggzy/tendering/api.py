"""API of tendering: notices, documents, clarifications, objections, registrations."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, UploadFile
from fastapi.responses import StreamingResponse

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Offset, file_name
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.screening import Intercepted
from ggzy.core.web import DB, Now, Public, accepts_body, attachment, public_api_url
from ggzy.crypto import (
    CertificateExpired,
    CertificateUntrusted,
    DecryptionFailed,
    ShareRecoveryFailed,
    SignatureInvalid,
    load_public_key_pem,
)
from ggzy.storage import MIB, BlobTooLarge, stage_blob
from ggzy.tendering import (
    bids,
    custody,
    keys,
    lifecycle,
    opening,
    quotation_views,
    quotations,
    rules,
    service,
    sole_source,
)
from ggzy.tendering.access import NotTheHost, NotTheTenderer, RegistrationRefused
from ggzy.tendering.lifecycle import TenderSuspended
from ggzy.tendering.models import DocumentObjection, SoleSupplierObjection, Tender
from ggzy.tendering.procedures import (
    NoTenderProcedure,
    ProcedureNotForCategory,
    ProcedureNotForTradeType,
    ProcedureUnknown,
)
from ggzy.tendering.schemas import (
    BidPath,
    BidReceiptOut,
    ClarificationIn,
    ClarificationOut,
    CustodianIn,
    CustodianOut,
    CustodyShareOut,
    DataKeyIn,
    DocumentObjectionIn,
    FinishOpeningIn,
    NegotiationNoticeOut,
    ObjectionOut,
    ObjectionPath,
    OpenedQuotationOut,
    OpeningKeyOut,
    OpeningKeyShareOut,
    OpeningObjectionPath,
    QuotationRoundOut,
    RegistrationOut,
    SealedBidOut,
    ShareReleaseIn,
    SoleSupplierObjectionOut,
    SoleSupplierObjectionPath,
    SupplierRoundOut,
    TenderIn,
    TenderOut,
    TextIn,
    summary_fields_out,
)

router = APIRouter(tags=["tendering"], route_class=PermissionedRoute)

Manager = Annotated[Principal, Depends(require(Permission.TENDER_MANAGE))]
Bidder = Annotated[Principal, Depends(require(Permission.TENDER_REGISTER))]
Objector = Annotated[Principal, Depends(require(Permission.TENDER_OBJECT))]


def tender_out(db: DB, tender: Tender, now: Now) -> TenderOut:
    project, lot = service.project_of(db, tender)
    return TenderOut(
        id=tender.id,
        lot_id=tender.lot_id,
        lot_code=bids.lot_code(project, lot),
        round=tender.round,
        procedure=tender.procedure,
        method=tender.method,
        stage=lifecycle.stage_of(tender, now).value,
        paused=service.is_paused(db, tender.id),
        title=tender.title,
        notice_text=tender.notice_text,
        documents_name=tender.documents_name,
        documents_sha256=tender.documents_sha256,
        documents_size=tender.documents_size,
        documents_until=tender.documents_until,
        bid_deadline=tender.bid_deadline,
        published_at=tender.published_at,
        cancelled_at=tender.cancelled_at,
        cancel_reason=tender.cancel_reason,
        summary_fields=summary_fields_out(service.summary_fields_of(tender)),
        deposit_fen=tender.deposit_fen,
        bid_validity_days=tender.bid_validity_days,
    )


_MANAGE_PROBLEMS: tuple[type[DomainError], ...] = (NotTheTenderer, NotFound, *lifecycle.REFUSALS)


@router.post(
    "/tenders",
    status_code=201,
    response_model=TenderOut,
    summary="Prepare a tender for a lot (draft), by the owner or its agent",
    responses=problem_responses(
        *_MANAGE_PROBLEMS,
        InvalidInput,
        Conflict,
        ProcedureUnknown,
        service.NotEnoughInvitations,
        service.RoundRunning,
        lifecycle.PreviousRoundUnderComplaint,
        ProcedureNotForTradeType,
        ProcedureNotForCategory,
        NoTenderProcedure,
        rules.DepositAboveCap,
        rules.DepositWithoutBidValidity,
    ),
)
def create_tender(body: TenderIn, db: DB, actor: Manager, now: Now) -> TenderOut:
    tender = service.create_tender(
        db,
        actor,
        lot_id=body.lot_id,
        procedure_key=body.procedure,
        method=body.method,
        title=body.title,
        notice_text=body.notice_text,
        documents_until=body.documents_until,
        bid_deadline=body.bid_deadline,
        invited_entity_ids=body.invited_entity_ids,
        now=now,
        summary_fields=[field.to_field() for field in body.summary_fields],
        deposit_fen=body.deposit.amount_fen() if body.deposit else None,
        deposit_percent=body.deposit.percent if body.deposit else None,
        bid_validity_days=body.bid_validity_days,
    )
    return tender_out(db, tender, now)


@router.put(
    "/tenders/{tender_id}/documents",
    response_model=TenderOut,
    summary="Upload the tender documents of a draft (streamed into the content-addressed store)",
    responses=problem_responses(*_MANAGE_PROBLEMS, BlobTooLarge),
)
@accepts_body(setting="documents_max_mb")
def upload_documents(tender_id: Id, request: Request, file: UploadFile, db: DB, actor: Manager, now: Now) -> TenderOut:
    limit = request.app.state.settings.documents_max_mb * MIB
    ref = stage_blob(db, request.app.state.blob_store, file.file, max_bytes=limit)
    name = file_name(file.filename, default="tender-documents")
    tender = service.attach_documents(
        db, actor, tender_id=tender_id, sha256=ref.sha256, name=name, size=ref.size, now=now
    )
    return tender_out(db, tender, now)


@router.get(
    "/tenders/{tender_id}/documents",
    response_class=StreamingResponse,
    summary="Download the tender documents, free (公开获取)",
    responses={200: {"content": {"application/octet-stream": {}}}, **problem_responses(NotFound)},
)
def download_documents(tender_id: Id, request: Request, db: DB, _: Public) -> StreamingResponse:
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None or tender.documents_sha256 is None:
        raise NotFound(field="tender_id", what_zh="招标文件", what_en="Tender documents")
    return attachment(
        request.app.state.blob_store.read_chunks(tender.documents_sha256),
        name=tender.documents_name or "documents",
        size=tender.documents_size,
        sha256=tender.documents_sha256,
    )


@router.post(
    "/tenders/{tender_id}/publish",
    response_model=TenderOut,
    summary="Publish the notice: the documents are issued now (招标投标法 第24条, 实施条例 第16条)",
    responses=problem_responses(
        *_MANAGE_PROBLEMS,
        service.DocumentsMissing,
        rules.BidPeriodTooShort,
        rules.DocumentsOfferTooShort,
        InvalidInput,
        service.SoleSupplierNotPublicised,
        service.SoleSupplierObjectionsUnanswered,
    ),
)
def publish_tender(tender_id: Id, db: DB, actor: Manager, now: Now) -> TenderOut:
    return tender_out(db, service.publish_tender(db, actor, tender_id=tender_id, now=now), now)


@router.post(
    "/tenders/{tender_id}/sole-supplier-publicity",
    response_model=TenderOut,
    summary="Publicise the sole supplier of a single-source procurement for 5 working days (政府采购法实施条例 第38条)",
    responses=problem_responses(*_MANAGE_PROBLEMS, Conflict, InvalidInput),
)
def publicise_sole_supplier(tender_id: Id, body: TextIn, db: DB, actor: Manager, now: Now) -> TenderOut:
    tender = service.publicise_sole_supplier(db, actor, tender_id=tender_id, notice_text=body.text, now=now)
    return tender_out(db, tender, now)


@router.post(
    "/tenders/{tender_id}/sole-supplier-publicity/objections",
    status_code=201,
    response_model=SoleSupplierObjectionOut,
    summary="Object to a sole supplier's publicity during its 5 working days (政府采购法实施条例 第38条); the "
    "purchaser answers before the procurement is published",
    responses=problem_responses(
        NotFound, *lifecycle.REFUSALS, sole_source.SoleSupplierObjectionOutOfTime, InvalidInput
    ),
)
def raise_sole_supplier_objection(
    tender_id: Id, body: TextIn, db: DB, actor: Objector, now: Now
) -> SoleSupplierObjectionOut:
    objection = sole_source.raise_objection(db, actor, tender_id=tender_id, text=body.text, now=now)
    return _sole_objection_out(objection)


@router.post(
    "/sole-supplier-objections/{objection_id}/answer",
    response_model=SoleSupplierObjectionOut,
    summary="Answer an objection to the sole supplier's publicity (the answer is public)",
    responses=problem_responses(NotTheTenderer, NotFound, Conflict, InvalidInput, *lifecycle.REFUSALS),
)
def answer_sole_supplier_objection(
    objection_id: SoleSupplierObjectionPath, body: TextIn, db: DB, actor: Manager, now: Now
) -> SoleSupplierObjectionOut:
    objection = sole_source.answer_objection(db, actor, objection_id=objection_id, answer=body.text, now=now)
    return _sole_objection_out(objection)


def _sole_objection_out(objection: SoleSupplierObjection) -> SoleSupplierObjectionOut:
    """An objection as the purchaser and the public see it: not who raised it (a potential supplier)."""
    return SoleSupplierObjectionOut(
        id=objection.public_id, tender_id=objection.tender_id, text=objection.text, raised_at=objection.raised_at,
        answer=objection.answer, answered_at=objection.answered_at,
    )  # fmt: skip


@router.post(
    "/tenders/{tender_id}/clarifications",
    status_code=201,
    response_model=ClarificationOut,
    summary="Clarify or amend the documents; the deadline moves if fewer than 15 days remain (实施条例 第21条)",
    responses=problem_responses(*_MANAGE_PROBLEMS, InvalidInput),
)
def clarify(tender_id: Id, body: ClarificationIn, db: DB, actor: Manager, now: Now) -> ClarificationOut:
    amended = None if body.summary_fields is None else [field.to_field() for field in body.summary_fields]
    clarification = service.clarify(
        db, actor, tender_id=tender_id, text=body.text, affects_bids=body.affects_bids, now=now,
        summary_fields=amended,
    )  # fmt: skip
    return ClarificationOut.model_validate(clarification)


@router.post(
    "/tenders/{tender_id}/cancel",
    response_model=TenderOut,
    summary="Terminate the tender with its reason (实施条例 第31条)",
    responses=problem_responses(*_MANAGE_PROBLEMS),
)
def cancel_tender(tender_id: Id, body: TextIn, db: DB, actor: Manager, now: Now) -> TenderOut:
    return tender_out(db, service.cancel_tender(db, actor, tender_id=tender_id, reason=body.text, now=now), now)


@router.get("/tenders", response_model=list[TenderOut], summary="Published tender notices, newest first")
def list_tenders(
    db: DB,
    _: Public,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[Offset, Query()] = 0,
) -> list[TenderOut]:
    return [tender_out(db, tender, now) for tender in service.public_tenders(db, limit=limit, offset=offset)]


@router.get(
    "/tenders/{tender_id}",
    response_model=TenderOut,
    summary="A published tender: notice, documents, deadline, stage — nothing about its bidders before opening",
    responses=problem_responses(NotFound),
)
def get_tender(tender_id: Id, db: DB, _: Public, now: Now) -> TenderOut:
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    return tender_out(db, tender, now)


@router.get(
    "/tenders/{tender_id}/clarifications",
    response_model=list[ClarificationOut],
    summary="The clarifications and amendments of a published tender",
    responses=problem_responses(NotFound),
)
def list_clarifications(tender_id: Id, db: DB, _: Public) -> list[ClarificationOut]:
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    return [ClarificationOut.model_validate(c) for c in service.clarifications_of(db, tender_id)]


@router.post(
    "/tenders/{tender_id}/objections",
    status_code=201,
    response_model=ObjectionOut,
    summary="Object to the tender documents (a potential bidder or another interested party stating its interest), "
    "until 10 days before the deadline (实施条例 第22条)",
    responses=problem_responses(
        NotFound, *lifecycle.REFUSALS, rules.ObjectionTooLate, rules.ChallengeTooLate, InvalidInput
    ),
)
def raise_objection(tender_id: Id, body: DocumentObjectionIn, db: DB, actor: Objector, now: Now) -> ObjectionOut:
    objection = service.raise_objection(db, actor, tender_id=tender_id, text=body.text, interest=body.interest, now=now)
    return _objection_out(objection)


@router.post(
    "/objections/{objection_id}/answer",
    response_model=ObjectionOut,
    summary="Answer an objection to the documents (within 3 days; the tender resumes)",
    responses=problem_responses(NotTheTenderer, NotFound, Conflict),
)
def answer_objection(objection_id: ObjectionPath, body: TextIn, db: DB, actor: Manager, now: Now) -> ObjectionOut:
    return _objection_out(service.answer_objection(db, actor, objection_id=objection_id, answer=body.text, now=now))


def _objection_out(objection: DocumentObjection) -> ObjectionOut:
    """An objection as the owner and the public see it: not who raised it (that would reveal a bidder)."""
    return ObjectionOut(
        id=objection.public_id,
        tender_id=objection.tender_id,
        raised_at=objection.raised_at,
        answer_due=objection.answer_due.isoformat(),
        answer=objection.answer,
        answered_at=objection.answered_at,
    )


# The problems of registering for a tender, also declared by the bidder's portal page.
REGISTER_PROBLEMS = (
    NotFound, lifecycle.TenderStageWrong, RegistrationRefused, Conflict, TenderSuspended, Intercepted
)  # fmt: skip


@router.post(
    "/tenders/{tender_id}/registrations",
    status_code=201,
    response_model=RegistrationOut,
    summary="Register for a tender and obtain its documents (free; secret until opening, 招标投标法 第22条)",
    responses=problem_responses(*REGISTER_PROBLEMS),
)
def register(tender_id: Id, db: DB, actor: Bidder, now: Now) -> RegistrationOut:
    registration = service.register_for_tender(db, actor, tender_id=tender_id, now=now)
    tender = service.get_tender(db, tender_id)
    return RegistrationOut(
        id=registration.public_id,
        tender_id=tender.id,
        tender_title=tender.title,
        registered_at=registration.registered_at,
        bid_deadline=tender.bid_deadline,
    )


@router.get(
    "/registrations/mine",
    response_model=list[RegistrationOut],
    summary="Your own registrations (the only view of registrations before opening)",
)
def my_registrations(db: DB, actor: Bidder) -> list[RegistrationOut]:
    return [
        RegistrationOut(
            id=registration.public_id,
            tender_id=tender.id,
            tender_title=tender.title,
            registered_at=registration.registered_at,
            bid_deadline=tender.bid_deadline,
        )
        for registration, tender in service.my_registrations(db, actor)
    ]


CustodianManager = Annotated[Principal, Depends(require(Permission.CUSTODIAN_MANAGE))]


@router.post(
    "/custodians",
    status_code=201,
    response_model=CustodianOut,
    summary="Register an opening-key custodian's certificate (centre, supervisor or notary)",
    responses=problem_responses(NotFound, InvalidInput, Conflict, CertificateUntrusted, CertificateExpired),
)
def register_custodian(body: CustodianIn, db: DB, actor: CustodianManager, now: Now) -> CustodianOut:
    custodian = keys.register_custodian(
        db,
        actor,
        centre_id=body.centre_id,
        entity_id=body.entity_id,
        name=body.name,
        role=body.role,
        certificate_pem=body.certificate_pem,
        now=now,
    )
    return CustodianOut.model_validate(custodian)


@router.get(
    "/tenders/{tender_id}/opening-keys",
    response_model=list[OpeningKeyOut],
    summary="The tender's opening public keys, one per suite: what a bidder seals its bid to",
    responses=problem_responses(NotFound),
)
def opening_keys(tender_id: Id, db: DB, _: Public) -> list[OpeningKeyOut]:
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    opening_keys = keys.opening_keys_of(db, tender.id)
    shares = custody.published_shares(db, opening_keys)
    return [
        OpeningKeyOut(
            suite=key.suite,
            public_key_pem=key.public_key_pem,
            fingerprint=load_public_key_pem(key.public_key_pem).fingerprint,
            threshold=key.threshold,
            shares=[OpeningKeyShareOut(**vars(share)) for share in shares[key.id]],
        )
        for key in opening_keys
    ]


LoggedIn = Annotated[Principal, Depends(require(Permission.AUTHENTICATED))]


@router.get(
    "/custody/shares",
    response_model=list[CustodyShareOut],
    summary="The opening-key shares the custodians of the caller's entity keep, encrypted to their certificates",
    responses=problem_responses(),
)
def custody_shares(request: Request, db: DB, actor: LoggedIn, now: Now) -> list[CustodyShareOut]:
    api = public_api_url(request, "/tenders")
    return [
        CustodyShareOut(
            tender_id=share.tender_id,
            tender_url=f"{api}/{share.tender_id}",
            title=share.title,
            lot_code=share.lot_code,
            bid_deadline=share.bid_deadline,
            suite=share.suite,
            share_index=share.share_index,
            custodian_name=share.custodian_name,
            custodian_role=share.custodian_role,
            custodian_fingerprint=share.custodian_fingerprint,
            encrypted_share=base64.b64encode(share.encrypted_share).decode("ascii"),
            encrypted_share_sha256=hashlib.sha256(share.encrypted_share).hexdigest(),
            status=share.status(now),
            released_at=share.released_at,
        )
        for share in custody.own_shares(db, actor)
    ]


# The problems of submitting and withdrawing a bid, also declared by the bidder's portal pages.
WITHDRAW_PROBLEMS: tuple[type[DomainError], ...] = (
    NotFound, *lifecycle.REFUSALS, bids.NoActiveBid, bids.ConcurrentSubmission,
)  # fmt: skip
BID_PROBLEMS: tuple[type[DomainError], ...] = (
    NotFound,
    *lifecycle.REFUSALS,
    bids.QuotationFinal,
    bids.NotRegistered,
    bids.ConcurrentSubmission,
    *bids.ENVELOPE_REFUSALS,
    Intercepted,  # the credit screen (decision 0040)
)


@router.post(
    "/tenders/{tender_id}/bids",
    status_code=201,
    response_model=BidReceiptOut,
    summary="Submit (or replace) a sealed bid envelope made by `ggzy bid seal`; answers with a signed receipt",
    responses=problem_responses(*BID_PROBLEMS),
)
@accepts_body(setting="bid_max_mb")
def submit_bid(
    tender_id: Id,
    request: Request,
    envelope: UploadFile,
    db: DB,
    actor: Bidder,
    now: Now,
    device: Annotated[
        Ascii | None, Header(alias="Ggzy-Device", description="Client-reported device identifiers, JSON")
    ] = None,
) -> BidReceiptOut:
    details = {
        "ip": request.client.host if request.client else None,
        "user_agent": request.headers.get("user-agent"),
        "device": _device(device),
    }
    receipt = bids.submit_bid(
        db,
        actor,
        tender_id=tender_id,
        envelope=envelope.file,
        store=request.app.state.blob_store,
        max_bytes=request.app.state.settings.bid_max_mb * MIB,
        details=details,
        signer=request.app.state.ledger_keys.ed25519_key,
        now=now,
    )
    return BidReceiptOut(**receipt.document(), signature=receipt.signature)


def _device(text: str | None) -> object:
    if not text:
        return None
    try:
        parsed = json.loads(text)
        json.dumps(parsed, ensure_ascii=False).encode()  # "\\ud800" parses to a lone surrogate: no encoding takes it
        return parsed
    except ValueError:  # UnicodeEncodeError too
        raise InvalidInput(field="Ggzy-Device", reason_zh="应为 JSON", reason_en="must be JSON") from None


@router.post(
    "/tenders/{tender_id}/bids/withdraw",
    response_model=SealedBidOut,
    summary="Withdraw your bid before the deadline (招标投标法 第29条)",
    responses=problem_responses(*WITHDRAW_PROBLEMS),
)
def withdraw_bid(tender_id: Id, db: DB, actor: Bidder, now: Now) -> SealedBidOut:
    return SealedBidOut.model_validate(bids.withdraw_bid(db, actor, tender_id=tender_id, now=now))


@router.get(
    "/tenders/{tender_id}/bids/mine",
    response_model=list[SealedBidOut],
    summary="Your own envelopes for this tender (nobody else sees bids before opening)",
)
def my_bids(tender_id: Id, db: DB, actor: Bidder) -> list[SealedBidOut]:
    return [SealedBidOut.model_validate(bid) for bid in bids.my_bids(db, actor, tender_id)]


Host = Annotated[Principal, Depends(require(Permission.OPENING_HOST))]
_OPENING_PROBLEMS = (NotFound, NotTheHost, lifecycle.TenderStageWrong, opening.DecryptionWindow)


def _b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise InvalidInput(field=field, reason_zh="应为 Base64", reason_en="must be base64") from None


@router.get("/tenders/{tender_id}/opening", summary="The opening as anyone may see it: progress, then the record")
def opening_view(tender_id: Id, db: DB, _: Public, now: Now) -> dict[str, object]:
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    return opening.opening_view(db, tender, now)


@router.post(
    "/tenders/{tender_id}/opening/start",
    response_model=TenderOut,
    summary="Start the remote opening after the deadline (fewer than 3 bidders: the lot fails, 实施条例 第44条)",
    responses=problem_responses(*_OPENING_PROBLEMS, opening.OpeningNotDue, lifecycle.TenderPaused, TenderSuspended),
)
def start_opening(tender_id: Id, db: DB, actor: Host, now: Now) -> TenderOut:
    return tender_out(db, opening.start_opening(db, actor, tender_id=tender_id, now=now), now)


@router.post(
    "/tenders/{tender_id}/decryptions",
    summary="Hand over your bid's data key (远程解密): the platform decrypts and checks the inner signature",
    responses=problem_responses(*_OPENING_PROBLEMS, TenderSuspended, Conflict, DecryptionFailed, InvalidInput),
)
def decrypt(tender_id: Id, body: DataKeyIn, request: Request, db: DB, actor: Bidder, now: Now) -> dict[str, object]:
    decrypted = opening.decrypt_bid(
        db,
        actor,
        tender_id=tender_id,
        data_key=_b64(body.data_key, "data_key"),
        store=request.app.state.blob_store,
        max_mb=request.app.state.settings.bid_max_mb,
        now=now,
    )
    return {
        "bid_id": opening.public_id_of_bid(db, decrypted),
        "decrypted_at": decrypted.decrypted_at,
        "summary": json.loads(decrypted.summary),
    }


@router.post(
    "/tenders/{tender_id}/opening-keys/{suite}/releases",
    status_code=201,
    summary="A custodian releases its share of the opening key, signed by its certificate (after the deadline)",
    responses=problem_responses(NotFound, Conflict, opening.ShareReleaseTooEarly, SignatureInvalid, InvalidInput),
)
def release_share(tender_id: Id, suite: Ascii, body: ShareReleaseIn, db: DB, _: Public, now: Now) -> dict[str, int]:
    release = opening.release_share(
        db,
        tender_id=tender_id,
        suite=suite,
        share_index=body.share_index,
        share=_b64(body.share, "share"),
        signature=_b64(body.signature, "signature"),
        now=now,
    )
    return {"release_id": release.id, "share_index": release.share_index}


@router.post(
    "/tenders/{tender_id}/bids/{bid_id}/custodian-open",
    summary="Open a bid its bidder did not decrypt, with k custodians' released shares (after the window)",
    responses=problem_responses(*_OPENING_PROBLEMS, TenderSuspended, Conflict, ShareRecoveryFailed, DecryptionFailed),
)
def custodian_open(
    tender_id: Id, bid_id: BidPath, request: Request, db: DB, actor: Host, now: Now
) -> dict[str, object]:
    decrypted = opening.open_by_custodians(
        db,
        actor,
        tender_id=tender_id,
        bid_id=bid_id,
        store=request.app.state.blob_store,
        max_mb=request.app.state.settings.bid_max_mb,
        now=now,
    )
    return {"bid_id": bid_id, "method": decrypted.method, "summary": json.loads(decrypted.summary)}


@router.post(
    "/tenders/{tender_id}/opening/finish",
    summary="Close the decryption and read out the signed opening record (唱标)",
    responses=problem_responses(*_OPENING_PROBLEMS, TenderSuspended, opening.ObjectionsUnanswered),
)
def finish_opening(
    tender_id: Id, body: FinishOpeningIn, request: Request, db: DB, actor: Host, now: Now
) -> dict[str, object]:
    tender = service.get_tender(db, tender_id)
    opening.finish_opening(
        db,
        actor,
        tender_id=tender_id,
        not_bidders_fault=body.not_bidders_fault,
        signers=request.app.state.ledger_keys.signers,
        now=now,
    )
    return opening.opening_view(db, tender, now)


@router.post(
    "/tenders/{tender_id}/opening/objections",
    status_code=201,
    summary="Object at the opening (answered there and recorded, 实施条例 第44条)",
    responses=problem_responses(NotFound, lifecycle.TenderStageWrong, InvalidInput),
)
def opening_objection(tender_id: Id, body: TextIn, db: DB, actor: Bidder, now: Now) -> dict[str, str]:
    objection = opening.raise_opening_objection(db, actor, tender_id=tender_id, text=body.text, now=now)
    return {"objection_id": objection.public_id}


@router.post(
    "/opening-objections/{objection_id}/answer",
    summary="Answer an objection raised at the opening",
    responses=problem_responses(NotFound, NotTheHost, Conflict),
)
def answer_opening_objection(
    objection_id: OpeningObjectionPath, body: TextIn, db: DB, actor: Host, now: Now
) -> dict[str, str]:
    answered = opening.answer_opening_objection(db, actor, objection_id=objection_id, answer=body.text, now=now)
    return {"objection_id": answered.public_id}


# -- 竞争性谈判, 竞争性磋商: rounds of sealed quotations (政府采购法 第38条 (四)、(五)) ------------------------------

QUOTATION_PROBLEMS: tuple[type[DomainError], ...] = (
    NotFound,
    *lifecycle.REFUSALS,
    *quotations.REFUSALS,
    *bids.ENVELOPE_REFUSALS,
)


@router.post(
    "/tenders/{tender_id}/quotations",
    status_code=201,
    response_model=BidReceiptOut,
    summary="Seal a quotation for the running round of a negotiation (sealed as a bid is); a signed receipt",
    responses=problem_responses(*QUOTATION_PROBLEMS),
)
def submit_quotation(
    tender_id: Id, request: Request, envelope: UploadFile, db: DB, actor: Bidder, now: Now
) -> BidReceiptOut:
    receipt = quotations.submit_quotation(
        db,
        actor,
        tender_id=tender_id,
        envelope=envelope.file,
        store=request.app.state.blob_store,
        max_bytes=request.app.state.settings.bid_max_mb * MIB,
        signer=request.app.state.ledger_keys.ed25519_key,
        now=now,
    )
    return BidReceiptOut(**receipt.document(), signature=receipt.signature)


@router.get(
    "/tenders/{tender_id}/quotations/mine",
    response_model=list[SupplierRoundOut],
    summary="The rounds of quotations as your entity sees them: deadlines, whether you are in each, your quotation",
    responses=problem_responses(NotFound),
)
def my_quotation_rounds(tender_id: Id, db: DB, actor: Bidder) -> list[SupplierRoundOut]:
    service.get_tender(db, tender_id)
    return [SupplierRoundOut.model_validate(item) for item in quotation_views.rounds_for_supplier(db, actor, tender_id)]


@router.get(
    "/tenders/{tender_id}/quotation-rounds/{number}",
    response_model=QuotationRoundOut,
    summary="A round of quotations: its deadline, and the lot code and public keys a quotation is sealed for",
    responses=problem_responses(NotFound),
)
def quotation_round(tender_id: Id, number: Id, db: DB, _: Public) -> QuotationRoundOut:
    return QuotationRoundOut.model_validate(quotation_views.round_view(db, quotations.get_round(db, tender_id, number)))


@router.post(
    "/tenders/{tender_id}/quotation-rounds/{number}/keys/{suite}/releases",
    status_code=201,
    summary="A custodian releases its share of a round's key, signed by its certificate (after the round's deadline)",
    responses=problem_responses(NotFound, Conflict, quotations.QuotationsSealed, SignatureInvalid, InvalidInput),
)
def release_quotation_share(
    tender_id: Id, number: Id, suite: Ascii, body: ShareReleaseIn, db: DB, _: Public, now: Now
) -> dict[str, int]:
    released = quotations.release_share(
        db,
        tender_id=tender_id,
        number=number,
        suite=suite,
        share_index=body.share_index,
        share=_b64(body.share, "share"),
        signature=_b64(body.signature, "signature"),
        now=now,
    )
    return {"share_index": released.share_index}


@router.post(
    "/tenders/{tender_id}/quotation-rounds/{number}/opening",
    response_model=list[OpenedQuotationOut],
    summary="Open every quotation of a round together, with the custodians' released shares (after its deadline)",
    responses=problem_responses(
        NotFound, NotTheHost, *lifecycle.REFUSALS, quotations.QuotationsSealed, quotations.QuotationsOpened,
        ShareRecoveryFailed,
    ),
)  # fmt: skip
def open_quotations(
    tender_id: Id, number: Id, request: Request, db: DB, actor: Host, now: Now
) -> list[OpenedQuotationOut]:
    opened = quotations.open_round(
        db, actor, tender_id=tender_id, number=number, store=request.app.state.blob_store, now=now
    )
    return [OpenedQuotationOut(entity_id=item.entity_id, price_fen=item.price_fen) for item in opened]


@router.get(
    "/tenders/{tender_id}/negotiation-notices/mine",
    response_model=list[NegotiationNoticeOut],
    summary="The changes to the negotiation documents notified to your entity (政府采购法 第38条 (四))",
    responses=problem_responses(NotFound),
)
def my_negotiation_notices(tender_id: Id, db: DB, actor: Bidder) -> list[NegotiationNoticeOut]:
    service.get_tender(db, tender_id)
    return [
        NegotiationNoticeOut(id=notice.id, text=notice.text, notified_at=notice.notified_at)
        for notice in quotation_views.notices_for(db, actor, tender_id)
    ]
