"""API of the forfeitures (decision 0031): the owner or its agent keeps a bidder's deposit where the law allows it
(招标投标法实施条例 第35条 第2款, 第74条), with its reasons; who may read the decisions, and until when the bidder may
complain (第60条)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ggzy.core.errors import Conflict, NotFound
from ggzy.core.inputs import Id, Text
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.finance import forfeiture
from ggzy.finance.access import NotADepositReader, Reader, deposit_reader
from ggzy.finance.forfeiture import ForfeitureGround, ForfeitureNotAllowed
from ggzy.finance.models import Forfeiture
from ggzy.tendering import service as tendering
from ggzy.tendering.access import NotTheTenderer

router = APIRouter(tags=["finance"], route_class=PermissionedRoute)

Manager = Annotated[Principal, Depends(require(Permission.AWARD_MANAGE))]
DepositReader = Annotated[Principal, Depends(require(Permission.DEPOSIT_READ))]


class ForfeitureIn(BaseModel):
    entity_id: Id = Field(description="The bidder whose deposit is kept")
    ground: ForfeitureGround = Field(
        description="revoked_after_deadline (第35条 第2款), refused_contract or no_performance_security (第74条)"
    )
    reasons: Text = Field(min_length=1, max_length=4000, description="The owner's reasons, as the bidder reads them")


class ForfeitureOut(BaseModel):
    id: int
    tender_id: int
    entity_id: int
    ground: str
    article: str
    reasons: str
    amount_fen: int = Field(description="The deposit kept, in fen")
    decided_role: str
    decided_at: datetime
    appeal_until: date = Field(description="The last day the bidder may complain to the supervisor (第60条)")
    guarantee_id: int | None = Field(
        default=None, description="The electronic guarantee the decision claimed on, when it stood as the deposit"
    )

    @classmethod
    def of(cls, row: Forfeiture) -> ForfeitureOut:
        return cls(
            id=row.id, tender_id=row.tender_id, entity_id=row.entity_id, ground=row.ground, article=row.article,
            reasons=row.reasons, amount_fen=row.amount_fen, decided_role=row.decided_role, decided_at=row.decided_at,
            appeal_until=row.appeal_until, guarantee_id=row.guarantee_id,
        )  # fmt: skip


@router.post(
    "/tenders/{tender_id}/deposits/forfeitures",
    response_model=ForfeitureOut,
    status_code=201,
    summary="The owner or its agent keeps a bidder's deposit, with reasons, where the law allows it (a bid revoked "
    "after the deadline, 第35条 第2款; the winner refusing the contract or the performance security, 第74条)",
    responses=problem_responses(NotFound, NotTheTenderer, ForfeitureNotAllowed, Conflict),
)
def forfeit(tender_id: Id, body: ForfeitureIn, db: DB, actor: Manager, now: Now) -> ForfeitureOut:
    row = forfeiture.forfeit_deposit(
        db, actor, tender_id=tender_id, entity_id=body.entity_id, ground=body.ground, reasons=body.reasons, now=now
    )
    return ForfeitureOut.of(row)


@router.get(
    "/tenders/{tender_id}/deposits/forfeitures",
    response_model=list[ForfeitureOut],
    summary="The deposits kept on a tender: a bidder its own (with the last day to complain), the owner, agent, "
    "centre staff and supervisor every one",
    responses=problem_responses(NotFound, NotADepositReader),
)
def forfeitures(tender_id: Id, db: DB, actor: DepositReader, now: Now) -> list[ForfeitureOut]:
    project, _ = tendering.project_of(db, tendering.get_tender(db, tender_id))
    reader, standing = deposit_reader(actor, project)
    rows = forfeiture.forfeitures_of(db, tender_id)
    if standing is Reader.BIDDER:
        rows = [row for row in rows if row.entity_id == reader.entity_id]
    return [ForfeitureOut.of(row) for row in rows]
