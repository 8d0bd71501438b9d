"""Challenges (质疑) of the result under 政府采购法: a supplier that took part challenges the result within 7 working
days of its notice (第52条; 实施条例 第53条 (三)), the purchaser or its agent answers within 7 working days (第53条,
第54条), and while a challenge is unanswered the contract waits (实施条例 第54条: 暂停签订合同) — the halt
:data:`ggzy.awards.halts.CONTRACT_WAITS_FOR_CHALLENGE`, which the lifecycle's one guard asks.

A challenge of the result is a challenge of what decides the result, so every one counts as one that "may affect
the result" (实施条例 第54条). A contract already signed is not undone here: the challenge is still taken
(``Step.CHALLENGE_RESULT`` from ``contracted`` too), and its performance is the purchaser's to stop. The result is
public by now (the award notice), so the events are disclosed; the challenge's text and its answer go to the
challenger and the purchaser (the rows), the events carry the times.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from ggzy.awards import rules
from ggzy.awards.models import ResultChallenge
from ggzy.awards.service import find_award, standing_bidders
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.errors import Conflict, NotFound
from ggzy.core.events import changes_state
from ggzy.core.permissions import Principal
from ggzy.core.violations import record_missed, violation_entry
from ggzy.tendering import lifecycle, read
from ggzy.tendering.access import check_manager
from ggzy.tendering.lifecycle import TenderColumn
from ggzy.tendering.service import get_tender, project_of, record_tender_event
from ggzy.tendering.stages import Step


def challenges_by(db: Session, *, tender_id: int, entity_id: int, matter: str = rules.RESULT) -> list[ResultChallenge]:
    """A supplier's own challenges of a tender's result (or of its process), oldest first (for its complaint,
    政府采购法 第55条)."""
    query = select(ResultChallenge).where(
        ResultChallenge.tender_id == tender_id,
        ResultChallenge.entity_id == entity_id,
        ResultChallenge.matter == matter,
    )
    return list(db.scalars(query.order_by(ResultChallenge.id)))


def challenges_of(db: Session, tender_id: int) -> list[ResultChallenge]:
    query = select(ResultChallenge).where(ResultChallenge.tender_id == tender_id)
    return list(db.scalars(query.order_by(ResultChallenge.id)))


def challenges_of_entity(db: Session, entity_id: int) -> list[ResultChallenge]:
    """A supplier's own challenges (of results and processes) on every tender, newest first (its follow-up page)."""
    query = select(ResultChallenge).where(ResultChallenge.entity_id == entity_id)
    return list(db.scalars(query.order_by(ResultChallenge.id.desc())))


def unanswered(tender_id: TenderColumn) -> ColumnElement[bool]:
    """实施条例 第54条: a challenge of the result awaits its answer (the halt's SQL)."""
    return exists().where(ResultChallenge.tender_id == tender_id, ResultChallenge.answered_at.is_(None))


@changes_state("award.result_challenged")
def challenge_result(db: Session, actor: Principal, *, tender_id: int, text: str, now: datetime) -> ResultChallenge:
    """A supplier that took part challenges the result in writing (政府采购法 第52条) within 7 working days of the
    result notice (实施条例 第53条 (三)); the answer is due within 7 working days (第53条), and the contract waits
    for it (实施条例 第54条). A late challenge is refused: the period is the supplier's to use."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, Step.CHALLENGE_RESULT, now)
    award = find_award(db, tender.id)
    # the result is the award, or the round's failure after its evaluation (废标: 政府采购法 第36条 第2款)
    notice_at = award.awarded_at if award is not None else read.evaluation_failure_at(db, tender.id)
    if notice_at is None:
        raise NotFound(field="tender_id", what_zh="中标、成交结果", what_en="Result")
    if actor.entity_id is None or actor.entity_id not in standing_bidders(db, tender.id):
        raise rules.NotASupplierOfTender(field="tender_id")
    calendar = working_day_calendar(db)
    last_day = rules.check_result_challenge_in_time(calendar, notice_at=notice_at, now=now)
    assert actor.user_id is not None
    challenge = ResultChallenge(
        award_id=award.id if award is not None else None, tender_id=tender.id, entity_id=actor.entity_id,
        raised_by=actor.user_id, text=text,
        raised_at=now, challenge_due=last_day, answer_due=rules.result_challenge_answer_due(calendar, received_at=now),
    )  # fmt: skip
    db.add(challenge)
    db.flush()
    record_tender_event(
        db, actor, tender, project, "award.result_challenged",
        {"challenge_id": challenge.id, "award_id": challenge.award_id, "challenge_due": last_day.isoformat(),
         "answer_due": challenge.answer_due.isoformat(), "contract_waits": True},
        now,
    )  # fmt: skip
    return challenge


@changes_state("award.process_challenged")
def challenge_process(
    db: Session, actor: Principal, *, tender_id: int, text: str, stage_ended_on: date, now: datetime
) -> ResultChallenge:
    """A supplier that took part challenges the procurement process in writing (政府采购法 第52条: 采购过程) within 7
    working days of the end of the step it challenges (实施条例 第53条 (二)), from the opening on: an evaluation, a
    negotiation's rounds, a failure. Answered within 7 working days (第53条) like a challenge of the result, and the
    contract waits for the answer (实施条例 第54条)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, Step.CHALLENGE_PROCESS, now)
    if actor.entity_id is None or actor.entity_id not in standing_bidders(db, tender.id):
        raise rules.NotASupplierOfTender(field="tender_id")
    calendar = working_day_calendar(db)
    last_day = rules.check_process_challenge_in_time(
        calendar, stage_ended_on=stage_ended_on, published_at=tender.published_at, now=now
    )
    assert actor.user_id is not None
    challenge = ResultChallenge(
        award_id=None, matter=rules.PROCESS, tender_id=tender.id, entity_id=actor.entity_id, raised_by=actor.user_id,
        text=text, raised_at=now, challenge_due=last_day,
        answer_due=rules.result_challenge_answer_due(calendar, received_at=now),
    )  # fmt: skip
    db.add(challenge)
    db.flush()
    record_tender_event(
        db, actor, tender, project, "award.process_challenged",
        {"challenge_id": challenge.id, "stage_ended_on": stage_ended_on.isoformat(),
         "challenge_due": last_day.isoformat(), "answer_due": challenge.answer_due.isoformat(),
         "contract_waits": True},
        now,
    )  # fmt: skip
    return challenge


@changes_state("award.result_challenge_answered")
def answer_result_challenge(
    db: Session, actor: Principal, *, challenge_id: int, answer: str, now: datetime
) -> ResultChallenge:
    """The purchaser or its agent answers in writing (政府采购法 第53条, 第54条); an answer after the 7 working days
    is given all the same and the missed period recorded (decision 0021). Once every challenge is answered the
    contract may be signed (实施条例 第54条)."""
    challenge = db.get(ResultChallenge, challenge_id)
    if challenge is None:
        raise NotFound(field="challenge_id", what_zh="质疑", what_en="Challenge")
    tender = get_tender(db, challenge.tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    if challenge.answered_at is not None:
        raise Conflict(field="challenge_id", reason_zh="该质疑已答复", reason_en="the challenge is already answered")
    late = rules.result_challenge_answer_missed(answer_due=challenge.answer_due, answered_at=now)
    challenge.answer, challenge.answered_at, challenge.answered_by = answer, now, actor.user_id
    challenge.answered_late = late is not None
    db.flush()
    event = record_tender_event(
        db, actor, tender, project, "award.result_challenge_answered",
        {"challenge_id": challenge.id, "answer_due": challenge.answer_due.isoformat(), "late": late is not None,
         **violation_entry(late)},
        now,
    )  # fmt: skip
    record_missed(db, late, subject_type="tender", subject_id=tender.id, event=event)
    return challenge
