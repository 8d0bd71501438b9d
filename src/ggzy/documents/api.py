"""The documents as signed PDFs, and the certificate that signs them.

The same permission and row rule as the data each document shows (``ggzy.documents.content``). Pages link here:
the browser's session cookie authenticates an API read (``ggzy.entities.login.authenticate_request``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ggzy.auctions.errors import ConfirmationNotReady, NotYourConfirmation
from ggzy.awards.access import NotYourLetter
from ggzy.core.errors import NotFound
from ggzy.core.inputs import Id
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.public_ids import BID, path_parameter
from ggzy.core.web import DB, Now, Public
from ggzy.documents import content
from ggzy.documents.fonts import DocumentFontMissing
from ggzy.documents.keys import DocumentKeys
from ggzy.documents.layout import Document

router = APIRouter(prefix="/documents", tags=["documents"], route_class=PermissionedRoute)

Bidder = Annotated[Principal, Depends(require(Permission.TENDER_REGISTER))]
LetterReader = Annotated[Principal, Depends(require(Permission.AWARD_LETTER_READ))]
ProjectReader = Annotated[Principal, Depends(require(Permission.PROJECT_READ))]
BidPath = Annotated[str, path_parameter(BID, "bid")]

PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
}
PEM_TYPE = "application/pem-certificate-chain"  # RFC 8555 §9.1
PDF_PROBLEMS = (NotFound, content.DocumentNotReady, DocumentFontMissing)


def _pdf(request: Request, document: Document, now: datetime) -> Response:
    keys: DocumentKeys = request.app.state.document_keys
    made = request.app.state.made_documents.get(document, key=keys.get(), settings=request.app.state.settings, now=now)
    return Response(
        made.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{made.filename}"', "Cache-Control": "private, no-store"},
    )


@router.get(
    "/signing-certificate",
    summary="The platform's document-signing certificate (PEM): the trust anchor of every PDF's signature",
    response_class=Response,
    responses={200: {"content": {PEM_TYPE: {"schema": {"type": "string"}}}}},
)
def signing_certificate(request: Request, _: Public) -> Response:
    keys: DocumentKeys = request.app.state.document_keys
    key = keys.get()
    return Response(
        key.certificate_pem,
        media_type=PEM_TYPE,
        headers={
            "X-Certificate-SHA256": key.fingerprint,
            "Content-Disposition": 'inline; filename="ggzy-documents.pem"',
        },
    )


@router.get(
    "/tenders/{tender_id}/bids/{bid_id}/receipt.pdf",
    summary="投标文件递交回执: the bidder's own receipt of one envelope, signed (PDF)",
    response_class=Response,
    responses={**PDF, **problem_responses(*PDF_PROBLEMS)},
)
def bid_receipt(tender_id: Id, bid_id: BidPath, request: Request, db: DB, actor: Bidder, now: Now) -> Response:
    document = content.bid_receipt(
        db, actor, tender_id=tender_id, bid_id=bid_id, ledger_keys=request.app.state.ledger_keys
    )
    return _pdf(request, document, now)


@router.get(
    "/tenders/{tender_id}/opening-record.pdf",
    summary="开标记录: the opening record, public once read out, signed (PDF)",
    response_class=Response,
    responses={**PDF, **problem_responses(*PDF_PROBLEMS)},
)
def opening_record(tender_id: Id, request: Request, db: DB, _: Public, now: Now) -> Response:
    return _pdf(request, content.opening_record(db, tender_id=tender_id, now=now), now)


@router.get(
    "/tenders/{tender_id}/evaluation-report.pdf",
    summary="评标报告: to the owner, its agent and the centre (实施条例 第53条), signed (PDF)",
    response_class=Response,
    responses={**PDF, **problem_responses(*PDF_PROBLEMS, content.NotYourDocument)},
)
def evaluation_report(tender_id: Id, request: Request, db: DB, actor: Public, now: Now) -> Response:
    return _pdf(request, content.evaluation_report(db, actor, tender_id=tender_id), now)


@router.get(
    "/tenders/{tender_id}/publicity.pdf",
    summary="中标候选人公示: the ranked candidates and the publicity's period, public, signed (PDF)",
    response_class=Response,
    responses={**PDF, **problem_responses(*PDF_PROBLEMS)},
)
def publicity(tender_id: Id, request: Request, db: DB, actor: Public, now: Now) -> Response:
    return _pdf(request, content.candidate_publicity(db, actor, tender_id=tender_id, now=now), now)


@router.get(
    "/letters/{letter_id}.pdf",
    summary="中标通知书 / 中标结果通知书: to its addressee, the owner or its agent, signed (PDF)",
    response_class=Response,
    responses={**PDF, **problem_responses(*PDF_PROBLEMS, NotYourLetter)},
)
def letter(letter_id: Id, request: Request, db: DB, actor: LetterReader, now: Now) -> Response:
    return _pdf(request, content.letter(db, actor, letter_id=letter_id), now)


@router.get(
    "/auctions/{auction_id}/confirmation.pdf",
    summary="成交确认书 (拍卖法 第52条): to the seller, its agent and the buyer (a judicial sale's to anyone, "
    "网络司法拍卖规定 第22条), with the buyer's signature, signed (PDF)",
    response_class=Response,
    responses={**PDF, **problem_responses(*PDF_PROBLEMS, ConfirmationNotReady, NotYourConfirmation)},
)
def auction_confirmation(auction_id: Id, request: Request, db: DB, actor: Public, now: Now) -> Response:
    return _pdf(request, content.auction_confirmation(db, actor, auction_id=auction_id), now)


@router.get(
    "/tenders/{tender_id}/witness-certificate.pdf",
    summary="交易见证书: every recorded stage of the tender with its ledger entry, for the owner, its agent, the "
    "centre and the supervisors, signed (PDF)",
    response_class=Response,
    responses={**PDF, **problem_responses(*PDF_PROBLEMS, content.NotYourDocument)},
)
def witness_certificate(tender_id: Id, request: Request, db: DB, actor: ProjectReader, now: Now) -> Response:
    return _pdf(request, content.witness_certificate(db, actor, tender_id=tender_id, now=now), now)
