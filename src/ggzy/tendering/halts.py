"""The halts tendering itself puts on a round, registered with the lifecycle by the composition root."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from ggzy.tendering import read
from ggzy.tendering.lifecycle import FailedRoundNotReEvaluable, Halt, TenderColumn, TenderPaused, register_halt
from ggzy.tendering.models import DocumentObjection, Tender
from ggzy.tendering.procedures import PROCEDURES, TENDERING_LAW
from ggzy.tendering.stages import Stage, Step

_PAUSING = sorted(key for key, chosen in PROCEDURES.items() if chosen.law == TENDERING_LAW)


def _objection_unanswered(tender_id: TenderColumn) -> ColumnElement[bool]:
    pausing = select(Tender.id).where(Tender.id == tender_id, Tender.procedure.in_(_PAUSING))
    return exists().where(
        DocumentObjection.tender_id == tender_id,
        DocumentObjection.answered_at.is_(None),
        DocumentObjection.tender_id.in_(pausing),
    )


# 招标投标法实施条例 第22条: an objection to the documents pauses the tender until the owner answers it. A challenge
# (质疑) under 政府采购法 does not pause the bids: 政府采购法实施条例 第54条 suspends only the contract.
PAUSED = Halt(
    key="paused_by_objection",
    steps=frozenset({Step.SUBMIT_BID, Step.WITHDRAW_BID, Step.START_OPENING}),
    refusal=TenderPaused,
    sql=_objection_unanswered,
)


def _failed_otherwise(db: Session, tender_id: int) -> bool:
    """A failed round that a re-evaluation (实施条例 第81条) cannot take back to ``opened``: it did not fail from its
    evaluation, or the lot has started a newer round since."""
    tender = db.get(Tender, tender_id)
    if tender is None or tender.stage != Stage.FAILED.value:
        return False
    newer = select(Tender.id).where(Tender.lot_id == tender.lot_id, Tender.round > tender.round)
    if db.scalar(newer.limit(1)) is not None:
        return True
    return read.evaluation_failure_at(db, tender_id) is None


FAILED_OTHERWISE = Halt(
    key="failed_not_from_evaluation",
    steps=frozenset({Step.RE_EVALUATE}),
    refusal=FailedRoundNotReEvaluable,
    check=_failed_otherwise,
)


def register() -> None:
    register_halt(PAUSED)
    register_halt(FAILED_OTHERWISE)
