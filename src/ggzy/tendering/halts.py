"""The halts tendering itself puts on a round, registered with the lifecycle by the composition root."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select

from ggzy.tendering.lifecycle import Halt, TenderColumn, TenderPaused, register_halt
from ggzy.tendering.models import DocumentObjection, Tender
from ggzy.tendering.procedures import PROCEDURES, TENDERING_LAW
from ggzy.tendering.stages import Step

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


def register() -> None:
    register_halt(PAUSED)
