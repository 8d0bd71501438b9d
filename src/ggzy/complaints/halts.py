"""The halts complaints put on a round (招标投标法实施条例 第62条, 第81条), registered with the lifecycle
(:mod:`ggzy.tendering.lifecycle`) by the composition root. Nobody imports this module to ask whether a tender may
go on: every service asks the lifecycle's one guard, which asks every registered halt."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from ggzy.awards import rules as award_rules
from ggzy.awards.service import find_publicity
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.evaluation.service import latest_report_finalised_at
from ggzy.tendering.lifecycle import (
    Halt,
    ReEvaluationOrdered,
    ReTenderOrdered,
    TenderColumn,
    TenderSuspended,
    register_halt,
)
from ggzy.tendering.stages import Step

UPHELD = "upheld"
RE_TENDER, RE_EVALUATION = "re_tender", "re_evaluation"

# Every step that moves a round forward waits while a complaint's suspension is in force (第62条).
_FORWARD = frozenset(
    {
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
    }
)


def suspension_in_force(db: Session, tender_id: int) -> TenderSuspension | None:
    query = select(TenderSuspension).where(
        TenderSuspension.tender_id == tender_id, TenderSuspension.lifted_at.is_(None)
    )
    return db.scalars(query.order_by(TenderSuspension.id).limit(1)).first()


def _suspended(tender_id: TenderColumn) -> ColumnElement[bool]:
    return exists().where(TenderSuspension.tender_id == tender_id, TenderSuspension.lifted_at.is_(None))


def _re_tender_ordered(tender_id: TenderColumn) -> ColumnElement[bool]:
    return exists().where(Complaint.tender_id == tender_id, Complaint.status == UPHELD, Complaint.remedy == RE_TENDER)


def re_evaluation_outstanding(db: Session, tender_id: int) -> bool:
    """Whether an upheld complaint ordered re-evaluation (第81条) after the tender's latest evaluation report, and
    nothing has answered it yet.

    No report yet: the evaluation to come is the one the decision asks for. A report finalised after the decision
    answers it. During the publicity the decision sends the candidates to a fresh publicity (第54条,
    ``awards.mark_result_changed``): while the publicity waits for it (``result_changed``) the owner may republish
    the candidates the committee's review (复核) gives, and the award stage itself refuses the award; a round
    publicised after the decision answers it.
    """
    decided = db.scalar(
        select(func.max(Complaint.decided_at)).where(
            Complaint.tender_id == tender_id, Complaint.status == UPHELD, Complaint.remedy == RE_EVALUATION
        )
    )
    if decided is None:
        return False
    reported = latest_report_finalised_at(db, tender_id)
    if reported is None or reported >= decided:
        return False
    publicity = find_publicity(db, tender_id)
    if publicity is None:
        return True
    republished_since = publicity.round > 1 and publicity.starts_at >= decided
    return not (publicity.state == award_rules.RESULT_CHANGED or republished_since)


SUSPENDED = Halt(key="suspended", steps=_FORWARD, refusal=TenderSuspended, sql=_suspended)
RE_TENDER_HALT = Halt(key="re_tender_ordered", steps=_FORWARD, refusal=ReTenderOrdered, sql=_re_tender_ordered)
# the candidates of a superseded report are neither publicised nor awarded, and no contract follows from them
RE_EVALUATION_HALT = Halt(
    key="re_evaluation_ordered",
    steps=frozenset({Step.PUBLICISE, Step.REPUBLICISE, Step.AWARD, Step.CONTRACT}),
    refusal=ReEvaluationOrdered,
    check=re_evaluation_outstanding,
)


def register() -> None:
    for halt in (SUSPENDED, RE_TENDER_HALT, RE_EVALUATION_HALT):
        register_halt(halt)
