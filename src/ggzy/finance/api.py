"""API of the bid deposits: a bidder's sub-account, and each bid's deposit status (sealed until the opening)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel

from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, Public
from ggzy.finance import purpose_accounts, reconciliation, service, views
from ggzy.finance.access import DepositsSealed, NotADepositReader
from ggzy.finance.bank.http_adapter import BankRequestRefused
from ggzy.finance.bank.protocol import BankAdapter, BankUnavailable, NoticeForged
from ggzy.finance.bank.wire import SIGNATURE_HEADER
from ggzy.finance.models import FinanceAlert, ReconciliationRun
from ggzy.finance.schemas import SubAccountOut, TenderDepositsOut
from ggzy.finance.worker import BankLink, NoBankConnected
from ggzy.tendering.lifecycle import TenderStageWrong

router = APIRouter(tags=["finance"], route_class=PermissionedRoute)

Bidder = Annotated[Principal, Depends(require(Permission.TENDER_REGISTER))]
DepositReader = Annotated[Principal, Depends(require(Permission.DEPOSIT_READ))]


@router.post(
    "/tenders/{tender_id}/deposits/sub-account",
    response_model=SubAccountOut,
    summary="Ask for the bidder's own deposit sub-account (子账号) for a tender, before the bid deadline; the bank "
    "opens it shortly (asking again returns the same)",
    responses=problem_responses(NotFound, service.NoDepositRequired, TenderStageWrong, Conflict),
)
def request_sub_account(tender_id: Id, db: DB, actor: Bidder, now: Now) -> SubAccountOut:
    return SubAccountOut.of(service.request_sub_account(db, actor, tender_id=tender_id, now=now))


@router.get(
    "/tenders/{tender_id}/deposits",
    response_model=TenderDepositsOut,
    summary="The tender's bid deposits: a bidder its own at any time (with the sub-account to pay into); the owner, "
    "agent, centre staff and supervisor each bid's, met or not, once the opening began",
    responses=problem_responses(NotFound, NotADepositReader, DepositsSealed),
)
def tender_deposits(tender_id: Id, db: DB, actor: DepositReader, now: Now) -> TenderDepositsOut:
    return TenderDepositsOut.of(views.tender_deposits(db, actor, tender_id=tender_id, now=now))


# --- the bank's side (decision 0031, "The worker and the reconciliation") ---------------------------------------------


class NoticeAckOut(BaseModel):
    bank_txn_id: str
    repeated: bool  # the notice was recorded before: nothing changed
    credit_id: int


async def _notice_body(request: Request) -> bytes:
    return await request.body()


def _bank_adapter(request: Request) -> BankAdapter:
    """The configured bank's adapter, before any transaction begins (making it may ask the bank for its /info)."""
    link: BankLink | None = getattr(request.app.state, "bank", None)
    if link is None or not link.configured:
        raise NoBankConnected()
    return link.adapter()


NoticeBody = Annotated[bytes, Depends(_notice_body)]
Bank = Annotated[BankAdapter, Depends(_bank_adapter)]
Signature = Annotated[
    Ascii,
    Header(alias=SIGNATURE_HEADER, max_length=200, description="The bank's Ed25519 signature, base64"),
]


@router.post(
    "/finance/bank/notices",
    response_model=NoticeAckOut,
    summary="The bank's credit notice (入账通知), signed with the bank's key: recorded once, however often it comes "
    "(authenticated by the bank's signature against the pinned key, not by a user)",
    responses=problem_responses(NoticeForged, NoBankConnected, BankUnavailable, BankRequestRefused, InvalidInput),
)
def bank_notice(
    adapter: Bank, body: NoticeBody, db: DB, _: Public, now: Now, signature: Signature = ""
) -> NoticeAckOut:
    notice = adapter.verify_notice(body, signature)
    if purpose_accounts.is_purpose_number(db, notice.sub_account):  # performance security or a fee (0037)
        outcome = purpose_accounts.record_credit(db, notice, now=now)
    else:
        outcome = service.record_credit(db, notice, now=now)
    return NoticeAckOut(bank_txn_id=notice.bank_txn_id, repeated=outcome.repeated, credit_id=outcome.credit.id)


class ReconciliationAlertOut(BaseModel):
    id: int
    kind: str
    detail: str
    credit_id: int | None
    raised_at: datetime
    resolved: bool


class ReconciliationRunOut(BaseModel):
    id: int
    day: date
    account: str
    bank_opening_fen: int
    bank_closing_fen: int
    books_opening_fen: int
    books_closing_fen: int
    statement_lines: int
    matched_lines: int
    differences: int
    run_at: datetime
    alerts: list[ReconciliationAlertOut]


ReconciliationReader = Annotated[Principal, Depends(require(Permission.RECONCILIATION_READ))]


@router.get(
    "/finance/reconciliations",
    response_model=list[ReconciliationRunOut],
    summary="The centre's reconciliations of the bank's daily statements with the books, newest first, each with the "
    "differences it found as alerts (never corrected silently)",
    responses=problem_responses(),
)
def reconciliation_runs(
    db: DB, _: ReconciliationReader, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ReconciliationRunOut]:
    found = reconciliation.runs(db, limit=limit)
    alerts = reconciliation.alerts_of(db, [run.id for run in found])
    return [_run_out(run, alerts[run.id]) for run in found]


def _run_out(run: ReconciliationRun, alerts: list[FinanceAlert]) -> ReconciliationRunOut:
    listed = [
        ReconciliationAlertOut(
            id=alert.id,
            kind=alert.kind,
            detail=alert.detail,
            credit_id=alert.credit_id,
            raised_at=alert.raised_at,
            resolved=alert.resolved,
        )
        for alert in alerts
    ]
    return ReconciliationRunOut(
        id=run.id, day=run.day, account=run.account, bank_opening_fen=run.bank_opening_fen,
        bank_closing_fen=run.bank_closing_fen, books_opening_fen=run.books_opening_fen,
        books_closing_fen=run.books_closing_fen, statement_lines=run.statement_lines, matched_lines=run.matched_lines,
        differences=run.differences, run_at=run.run_at, alerts=listed,
    )  # fmt: skip
