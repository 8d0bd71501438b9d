"""Whether a tender may take its next step while complaints are handled (招标投标法实施条例 第62条, 第81条).

Other domains (registration, opening, the committee draw, evaluation and its report, publicity, award, contract)
call :func:`check_may_proceed` before a state change that moves a tender forward. This module reads tables only
(the complaints', and the dates of the evaluation report and of the candidates' publicity): it imports models and
pure rules, never a service, so any domain can import it without a cycle.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, exists, func, literal, select
from sqlalchemy.orm import Session

from ggzy.awards.models import CandidatePublicity
from ggzy.awards.rules import RESULT_CHANGED
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.errors import DomainError
from ggzy.evaluation.models import Evaluation, EvaluationReport

UPHELD = "upheld"
RE_TENDER, RE_EVALUATION = "re_tender", "re_evaluation"


class TenderSuspended(DomainError):
    code = "tender_suspended"
    status = 409
    message_zh = (
        "行政监督部门处理投诉期间已责令暂停招标投标活动（招标投标法实施条例 第六十二条），暂停解除前不得{action_zh}"
    )
    message_en = (
        "The supervisory department suspended the tender while it handles a complaint (Regulations art. 62); "
        "it cannot {action_en} until the suspension is lifted"
    )


class ReTenderOrdered(DomainError):
    code = "re_tender_ordered"
    status = 409
    message_zh = "投诉处理决定责令重新招标（招标投标法实施条例 第八十一条），本次招标不得{action_zh}"
    message_en = "A complaint's decision ordered the tender to be re-run (Regulations art. 81); it cannot {action_en}"


class ReEvaluationOrdered(DomainError):
    code = "re_evaluation_ordered"
    status = 409
    message_zh = (
        "投诉处理决定责令重新评标（招标投标法实施条例 第六十一条、第八十一条），现有评标报告早于该决定，不再有效："
        "须由评标委员会重新评标并提交新的评标报告后，方可{action_zh}"
    )
    message_en = (
        "A complaint's decision ordered the bids re-evaluated (Regulations arts. 61, 81) and the evaluation report "
        "predates it: the tender cannot {action_en} until the committee makes a new evaluation report"
    )


def suspension_in_force(db: Session, tender_id: int) -> TenderSuspension | None:
    query = select(TenderSuspension).where(
        TenderSuspension.tender_id == tender_id, TenderSuspension.lifted_at.is_(None)
    )
    return db.scalars(query.order_by(TenderSuspension.id).limit(1)).first()


def _re_evaluation_outstanding(db: Session, tender_id: int) -> bool:
    """Whether an upheld complaint ordered re-evaluation (第81条) after the tender's latest evaluation report, and
    nothing has answered it yet.

    No report yet: the evaluation to come is the one the decision asks for. A report finalised after the decision
    answers it (a second evaluation is not modelled yet, see docs/decisions/0006). During the publicity the
    decision sends the candidates to a fresh publicity (第54条, ``awards.mark_result_changed``): while the
    publicity waits for it (``result_changed``) the owner may republish the candidates the committee's review
    (复核) gives, and the award stage itself refuses the award; a round publicised after the decision answers it.
    """
    decided = db.scalar(
        select(func.max(Complaint.decided_at)).where(
            Complaint.tender_id == tender_id, Complaint.status == UPHELD, Complaint.remedy == RE_EVALUATION
        )
    )
    if decided is None:
        return False
    reported = db.scalar(
        select(func.max(EvaluationReport.finalised_at))
        .join(Evaluation, Evaluation.id == EvaluationReport.evaluation_id)
        .where(Evaluation.tender_id == tender_id)
    )
    if reported is None or reported >= decided:
        return False
    publicity = db.execute(
        select(CandidatePublicity.state, CandidatePublicity.round, CandidatePublicity.starts_at).where(
            CandidatePublicity.tender_id == tender_id
        )
    ).first()
    if publicity is None:
        return True
    state, round_, starts_at = publicity
    republished_since = round_ > 1 and starts_at >= decided
    return not (state == RESULT_CHANGED or republished_since)


def halt_columns(tender_id: SQLColumnExpression[int]) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Correlated EXISTS over a tenders query: (a suspension in force, a re-tender ordered) — for a caller that folds
    the check into the one query it already makes (bid submission); then :func:`refuse_halted`."""
    suspended = exists().where(TenderSuspension.tender_id == tender_id, TenderSuspension.lifted_at.is_(None))
    re_tender = exists().where(
        Complaint.tender_id == tender_id, Complaint.status == UPHELD, Complaint.remedy == RE_TENDER
    )
    return suspended, re_tender


def refuse_halted(*, suspended: bool, re_tender: bool, action_zh: str, action_en: str) -> None:
    if suspended:
        raise TenderSuspended(field="tender_id", action_zh=action_zh, action_en=action_en)
    if re_tender:
        raise ReTenderOrdered(field="tender_id", action_zh=action_zh, action_en=action_en)


def check_may_proceed(db: Session, tender_id: int, *, action_zh: str, action_en: str) -> None:
    """Refuse a tender's next step while a suspension is in force (第62条), after a re-tender was ordered (第81条),
    or while a re-evaluation ordered by a complaint's decision (第61条, 第81条) has no newer evaluation report: the
    candidates of the superseded report are neither publicised nor awarded, and no contract follows from them."""
    suspended, re_tender = halt_columns(literal(tender_id))
    halted = db.execute(select(suspended, re_tender)).one()
    refuse_halted(suspended=halted[0], re_tender=halted[1], action_zh=action_zh, action_en=action_en)
    if _re_evaluation_outstanding(db, tender_id):
        raise ReEvaluationOrdered(field="tender_id", action_zh=action_zh, action_en=action_en)
