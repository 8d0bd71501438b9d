"""The bidder's workspace: find and register for a lot, submit or replace its sealed bid, decrypt at opening, see its
receipts and letters.

The same services as the API (``ggzy.tendering.service``, ``bids``, ``opening``, ``ggzy.awards.views``) with the
same permissions. The envelope is sealed on the bidder's own computer (the server never sees a bid in the clear,
DESIGN §6): by the local assistant the page talks to (``ggzy assistant serve``, decision 0029: the files and the
opening summary typed on the page go to 127.0.0.1 only, and the page uploads the envelope it hands back) or by
``ggzy bid seal``; either way it is uploaded here, streamed into the blob store with the API's size limit. At the
opening the data key comes the same two ways (the assistant unwraps it, or ``ggzy bid decrypt --print-key``). Nothing on
these pages names or counts other bidders before the opening (招标投标法 第22条): the bidder sees its own
registrations and envelopes only, and the opening as any visitor sees it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.awards import views as award_views
from ggzy.awards.access import NotYourLetter
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Text
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, accepts_body, public_api_url
from ggzy.crypto import DecryptionFailed
from ggzy.finance import service as deposit_service
from ggzy.finance import views as deposit_views
from ggzy.finance.views import DepositLine
from ggzy.portal import labels, pages
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.money import money_links
from ggzy.portal.money_labels import MONEY_LABELS
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, not_blank, see_other
from ggzy.portal.workspace_views import own_bids
from ggzy.storage import MIB
from ggzy.supervision import trail as oversight_trail
from ggzy.tendering import bids, lifecycle, opening, service, sole_source, summary_form
from ggzy.tendering.api import BID_PROBLEMS, REGISTER_PROBLEMS, WITHDRAW_PROBLEMS
from ggzy.tendering.stages import Stage

if TYPE_CHECKING:  # the tender the tendering service hands over; its table is never read here
    from ggzy.tendering.models import Tender

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Bidder = Annotated[Principal, Depends(require(Permission.TENDER_REGISTER))]
LetterReader = Annotated[Principal, Depends(require(Permission.AWARD_LETTER_READ))]
Objector = Annotated[Principal, Depends(require(Permission.TENDER_OBJECT))]

SUB_ACCOUNT_REQUESTED = outcome(
    "sub_account_requested", N_("已申请保证金子账号，银行开立后将在此显示账号。请从贵单位基本账户转入。")
)
BID_WITHDRAWN = outcome("bid_withdrawn", N_("投标文件已撤回。投标截止时间前可以重新递交。"))
BID_DECRYPTED = outcome("bid_decrypted", N_("投标文件已解密。开标记录将列出贵单位的开标一览表。"))


# Stages in which the bidder hands over its data key (远程解密).
_DECRYPTING = {Stage.OPENING}


def _published(db: Session, tender_id: int) -> Tender:
    tender = service.get_tender(db, tender_id)
    if tender.published_at is None:  # a draft is nobody's business but its owner's
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    return tender


@router.get("/workspace/bidder", summary="Bidder workspace: open tenders to register for, own registrations, letters")
def bidder_home(request: Request, db: DB, actor: Bidder, now: Now) -> HTMLResponse:
    registrations = service.my_registrations(db, actor)
    registered = {tender.id for _, tender in registrations}
    assert actor.entity_id is not None  # tender.register is a bidder's, and a bidder acts for its entity
    open_tenders = service.open_for_registration(db, entity_id=actor.entity_id, now=now)
    return render(
        request,
        "ws_bidder.html",
        {
            "active": "workspace",
            "section": "bidder",
            "registrations": [
                {"registration": registration, "tender": tender, "stage": lifecycle.stage_of(tender, now).value}
                for registration, tender in registrations
            ],
            "open_tenders": [tender for tender in open_tenders if tender.id not in registered],
            "letters": award_views.my_letters(db, actor),
        },
    )


def _tender_context(request: Request, db: Session, actor: Principal, tender_id: int, now: datetime) -> dict[str, Any]:
    tender = _published(db, tender_id)
    project, lot = service.project_of(db, tender)
    stage = lifecycle.stage_of(tender, now)
    registered = any(tender.id == mine.id for _, mine in service.my_registrations(db, actor))
    api_url = public_api_url(request, f"/tenders/{tender.id}")
    deposit = _own_deposit(db, actor, tender, now)
    return {
        "active": "workspace",
        "section": "bidder",
        "tender": tender,
        "project": project,
        "lot": lot,
        "lot_code": bids.lot_code(project, lot),
        "stage": stage.value,
        "registered": registered,
        "may_register": stage == Stage.PUBLISHED and now <= tender.documents_until and not registered,
        "accepting_bids": stage == Stage.PUBLISHED,
        "decrypting": stage in _DECRYPTING,
        "own_bids": own_bids(db, actor, tender_id=tender.id, bids=bids.my_bids(db, actor, tender.id)),
        # what any visitor sees of the opening: nothing before it starts (opening.opening_view)
        "opening": opening.opening_view(db, tender, now),
        "api_url": api_url,
        "bid_max_mb": request.app.state.settings.bid_max_mb,
        # the opening summary (开标一览表) its sealed summary must carry (_summary_fields_table, _bid_summary_fields)
        "summary_fields": service.summary_fields_of(tender),
        "summary_kinds": summary_form.KIND_LABELS,
        "assistant_url": request.app.state.settings.assistant_url,
        # the bidder's own deposit, with the sub-account to pay into (finance.views: nobody else's, ever)
        "deposit": deposit.status if deposit is not None else None,
        # and the guarantees it was issued, its refund and any forfeiture, with the last day to complain
        "deposit_line": deposit,
        "money": MONEY_LABELS,
        "money_links": money_links(db, tender.id),  # fee notice, performance security (decision 0037)
        # who of the supervision and discipline inspection read the round's full trail, its bid's details included
        # (decision 0043)
        "looks": oversight_trail.looks_at(db, tender.id),
        "roles": labels.ROLES,
    }


def _own_deposit(db: Session, actor: Principal, tender: Tender, now: datetime) -> DepositLine | None:
    if tender.deposit_fen is None:
        return None
    return deposit_views.own_deposit_line(db, actor, tender_id=tender.id, now=now)


@router.get(
    "/workspace/bidder/tenders/{tender_id}",
    summary="Bidder's page of one tender: register, seal and submit, replace or withdraw, decrypt, receipts",
    responses=problem_responses(NotFound),
)
def bidder_tender(tender_id: Id, request: Request, db: DB, actor: Bidder, now: Now) -> HTMLResponse:
    return render(request, "ws_bidder_tender.html", _tender_context(request, db, actor, tender_id, now))


def _refused(request: Request, db: Session, actor: Principal, tender_id: int, now: datetime, error: DomainError):  # type: ignore[no-untyped-def]
    return form_refused(
        request, db, "ws_bidder_tender.html", lambda: _tender_context(request, db, actor, tender_id, now), error
    )


@router.post(
    "/workspace/bidder/tenders/{tender_id}/registration",
    summary="Register for a tender and obtain its documents (secret until opening, 招标投标法 第22条)",
    responses=problem_responses(*REGISTER_PROBLEMS),
)
def register(tender_id: Id, request: Request, actor: Bidder, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        service.register_for_tender(db, actor, tender_id=tender_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/bidder/tenders/{tender_id}#bid")


@router.post(
    "/workspace/bidder/tenders/{tender_id}/deposit-sub-account",
    summary="Ask for the bidder's own deposit sub-account (子账号) for the tender, before the bid deadline",
    responses=problem_responses(NotFound, deposit_service.NoDepositRequired, lifecycle.TenderStageWrong, Conflict),
)
def request_sub_account(tender_id: Id, request: Request, actor: Bidder, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        deposit_service.request_sub_account(db, actor, tender_id=tender_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/bidder/tenders/{tender_id}#deposit", done=SUB_ACCOUNT_REQUESTED)


@router.post(
    "/workspace/bidder/tenders/{tender_id}/bids",
    status_code=201,
    summary="Upload the envelope sealed by the local assistant or `ggzy bid seal` (streamed, the API's size limit)",
    responses=problem_responses(*BID_PROBLEMS),
)
@accepts_body(setting="bid_max_mb")
def submit_bid(
    tender_id: Id, request: Request, actor: Bidder, _: CsrfChecked, db: DB, now: Now, envelope: UploadFile
) -> Response:
    details = {
        "ip": request.client.host if request.client else None,
        "user_agent": request.headers.get("user-agent"),
        "device": None,
        "via": "portal",
    }
    try:
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
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    document = {**receipt.document(), "signature": receipt.signature}
    receipt_json = json.dumps(document, ensure_ascii=False, indent=2)
    return render(
        request,
        "ws_bidder_receipt.html",
        {
            "active": "workspace",
            "section": "bidder",
            "tender": service.get_tender(db, tender_id),
            "receipt": receipt,
            "receipt_json": receipt_json,
            "receipt_href": "data:application/json;base64," + base64.b64encode(receipt_json.encode()).decode(),
        },
        status=201,
    )


@router.post(
    "/workspace/bidder/tenders/{tender_id}/bids/withdraw",
    summary="Withdraw the bid before the deadline (招标投标法 第29条)",
    responses=problem_responses(*WITHDRAW_PROBLEMS),
)
def withdraw_bid(tender_id: Id, request: Request, actor: Bidder, _: CsrfChecked, db: DB, now: Now) -> Response:
    try:
        bids.withdraw_bid(db, actor, tender_id=tender_id, now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/bidder/tenders/{tender_id}#bid", done=BID_WITHDRAWN)


def _data_key(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(field="data_key", reason_zh="应为 Base64", reason_en="must be base64") from None


@router.post(
    "/workspace/bidder/tenders/{tender_id}/decryption",
    summary="Hand over the bid's data key, unwrapped by the assistant or `ggzy bid decrypt --print-key` (远程解密)",
    responses=problem_responses(
        NotFound, lifecycle.TenderStageWrong, opening.DecryptionWindow, Conflict, DecryptionFailed, InvalidInput
    ),
)
def decrypt(
    tender_id: Id,
    request: Request,
    actor: Bidder,
    _: CsrfChecked,
    db: DB,
    now: Now,
    data_key: Annotated[Ascii, Form(max_length=200)],
) -> Response:
    try:
        opening.decrypt_bid(
            db,
            actor,
            tender_id=tender_id,
            data_key=_data_key(data_key),
            store=request.app.state.blob_store,
            max_mb=request.app.state.settings.bid_max_mb,
            now=now,
        )
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/bidder/tenders/{tender_id}#opening", done=BID_DECRYPTED)


@router.post(
    "/workspace/bidder/tenders/{tender_id}/opening-objections",
    summary="Object at the opening, while it is under way (实施条例 第44条: answered there and recorded)",
    responses=problem_responses(NotFound, lifecycle.TenderStageWrong, InvalidInput),
)
def object_at_opening(
    tender_id: Id,
    request: Request,
    actor: Bidder,
    _: CsrfChecked,
    db: DB,
    now: Now,
    text: Annotated[Text, Form(min_length=1, max_length=5000)],
) -> Response:
    try:
        _published(db, tender_id)
        opening.raise_opening_objection(db, actor, tender_id=tender_id, text=not_blank(text, "text"), now=now)
    except DomainError as error:
        return _refused(request, db, actor, tender_id, now, error)
    return see_other(f"/workspace/bidder/tenders/{tender_id}#objection")


@router.post(
    "/workspace/bidder/sole-supplier/{tender_id}/objections",
    summary="Object to a sole supplier's publicity during its 5 working days (政府采购法实施条例 第38条)",
    responses=problem_responses(
        NotFound, *lifecycle.REFUSALS, sole_source.SoleSupplierObjectionOutOfTime, InvalidInput
    ),
)
def object_to_sole_supplier(
    tender_id: Id,
    request: Request,
    actor: Objector,
    _: CsrfChecked,
    db: DB,
    now: Now,
    text: Annotated[Text, Form(min_length=1, max_length=5000)],
) -> Response:
    try:
        sole_source.raise_objection(db, actor, tender_id=tender_id, text=not_blank(text, "text"), now=now)
    except DomainError as error:
        return form_refused(
            request, db, "sole_supplier_notices.html",
            lambda: pages.sole_supplier_context(db, now), error,
        )  # fmt: skip
    return see_other(f"/notices/sole-supplier#sole-{tender_id}", done=pages.SOLE_SUPPLIER_OBJECTION_RAISED)


@router.get(
    "/workspace/letters/{letter_id}",
    summary="A letter of award or result (中标通知书 / 中标结果通知), to its addressee, the owner or its agent",
    responses=problem_responses(NotFound, NotYourLetter),
)
def letter(letter_id: Id, request: Request, db: DB, actor: LetterReader) -> HTMLResponse:
    shown = award_views.letter_view(db, actor, letter_id=letter_id)
    text_href = "data:text/plain;charset=utf-8;base64," + base64.b64encode(shown.text.encode()).decode()
    return render(
        request,
        "ws_letter.html",
        {"active": "workspace", "section": "letters", "letter": shown, "text_href": text_href},
    )
