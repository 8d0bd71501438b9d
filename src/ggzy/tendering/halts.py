"""The halts tendering itself puts on a round, registered with the lifecycle by the composition root."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from ggzy.tendering.lifecycle import Halt, TenderColumn, TenderPaused, register_halt
from ggzy.tendering.models import DocumentObjection
from ggzy.tendering.stages import Step


def _objection_unanswered(tender_id: TenderColumn) -> ColumnElement[bool]:
    return exists().where(DocumentObjection.tender_id == tender_id, DocumentObjection.answered_at.is_(None))


# 招标投标法实施条例 第22条: an objection to the documents pauses the tender until the owner answers it.
PAUSED = Halt(
    key="paused_by_objection",
    steps=frozenset({Step.SUBMIT_BID, Step.WITHDRAW_BID, Step.START_OPENING}),
    refusal=TenderPaused,
    sql=_objection_unanswered,
)


def register() -> None:
    register_halt(PAUSED)
