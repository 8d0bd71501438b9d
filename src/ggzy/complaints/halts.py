"""The halt complaints put on a round (招标投标法实施条例 第62条), registered with the lifecycle
(:mod:`ggzy.tendering.lifecycle`) by the composition root. Nobody imports this module to ask whether a tender may
go on: every service asks the lifecycle's one guard, which asks every registered halt.

A decision ordering a re-tender or re-evaluation (第81条) needs no halt: it moves the round itself, to ``failed`` or
back to ``opened`` (``complaints.service.uphold_complaint``), and the stages refuse every step the decision rules
out (decision 0020).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from ggzy.complaints.models import TenderSuspension
from ggzy.tendering.lifecycle import Halt, TenderColumn, TenderSuspended, register_halt
from ggzy.tendering.stages import Step

# Every step that moves a round forward waits while a complaint's suspension is in force (第62条).
_FORWARD = frozenset(
    {
        Step.PUBLISH,
        Step.CLARIFY,
        Step.PUBLICISE_SOLE_SUPPLIER,
        Step.TERMINATE,  # terminating would take the round out of the supervisor's hands mid-complaint
        Step.EVALUATE,
        Step.REGISTER,
        Step.SUBMIT_BID,
        Step.WITHDRAW_BID,
        Step.START_OPENING,
        Step.FINISH_OPENING,
        Step.DRAW_EXPERTS,
        Step.START_EVALUATION,
        Step.FINALISE_REPORT,
        Step.PUBLICISE,
        Step.REPUBLICISE,
        Step.AWARD,
        Step.CONTRACT,
        # 竞争性谈判, 竞争性磋商: the quotation rounds during the evaluation (政府采购法 第57条: suspended too)
        Step.CALL_QUOTATIONS,
        Step.SUBMIT_QUOTATION,
        Step.OPEN_QUOTATIONS,
    }
)


def suspension_in_force(db: Session, tender_id: int) -> TenderSuspension | None:
    query = select(TenderSuspension).where(
        TenderSuspension.tender_id == tender_id, TenderSuspension.lifted_at.is_(None)
    )
    return db.scalars(query.order_by(TenderSuspension.id).limit(1)).first()


def _suspended(tender_id: TenderColumn) -> ColumnElement[bool]:
    return exists().where(TenderSuspension.tender_id == tender_id, TenderSuspension.lifted_at.is_(None))


SUSPENDED = Halt(key="suspended", steps=_FORWARD, refusal=TenderSuspended, sql=_suspended)


def register() -> None:
    register_halt(SUSPENDED)
