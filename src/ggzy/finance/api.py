"""API of the bid deposits: a bidder's sub-account, and each bid's deposit status (sealed until the opening)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ggzy.core.errors import Conflict, NotFound
from ggzy.core.inputs import Id
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.finance import service, views
from ggzy.finance.access import DepositsSealed, NotADepositReader
from ggzy.finance.schemas import SubAccountOut, TenderDepositsOut
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
