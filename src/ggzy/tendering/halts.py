"""The halts tendering itself puts on a round, registered with the lifecycle by the composition root."""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
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


# The grounds on which the report's finalisation fails a round (evaluation.finalise_report; tendering.FAILURE_GROUNDS):
# 招标投标法 第42条, 政府采购法 第36条 (一). A re-tender (re_tender_ordered) is not among them, and a round that failed
# at its opening (实施条例 第44条) has no tender.failed event at all.
EVALUATION_FAILURES = frozenset({"all_bids_rejected", "too_few_valid_bids"})


def _failed_otherwise(db: Session, tender_id: int) -> bool:
    """A failed round that a re-evaluation (实施条例 第81条) cannot take back to ``opened``: it did not fail from its
    evaluation, or the lot has started a newer round since."""
    tender = db.get(Tender, tender_id)
    if tender is None or tender.stage != Stage.FAILED.value:
        return False
    newer = select(Tender.id).where(Tender.lot_id == tender.lot_id, Tender.round > tender.round)
    if db.scalar(newer.limit(1)) is not None:
        return True
    failed = db.scalar(
        select(Event.payload)
        .where(Event.subject_type == "tender", Event.subject_id == str(tender_id), Event.action == "tender.failed")
        .order_by(Event.id.desc())
        .limit(1)
    )
    return failed is None or json.loads(failed).get("ground") not in EVALUATION_FAILURES


FAILED_OTHERWISE = Halt(
    key="failed_not_from_evaluation",
    steps=frozenset({Step.RE_EVALUATE}),
    refusal=FailedRoundNotReEvaluable,
    check=_failed_otherwise,
)


def register() -> None:
    register_halt(PAUSED)
    register_halt(FAILED_OTHERWISE)
