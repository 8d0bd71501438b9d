"""The award stage (定标): publicity of the winning candidates, objections to the evaluation result, the award with
its notice and letters, and the contract record.

The result is public (招标投标法实施条例 第54条: the candidates are publicised; 招标投标法 第45条: the result is
notified): every event here is disclosed. The evaluation report names no expert, and nothing here reads the
committee, so no event can name one. The tender moves evaluated → publicity → awarded → contracted; within the
publicity, :data:`rules.PUBLICITY_TRANSITIONS` governs re-publicity after the result changes (第54条). While the
supervisory department has the tender suspended (第62条), after it ordered a re-tender, or while a re-evaluation it
ordered has no newer report (第81条), nothing here moves it forward (the lifecycle's halts, registered by complaints).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ggzy.awards import rules
from ggzy.awards.models import Award, AwardLetter, CandidatePublicity, Contract, PublicityObjection
from ggzy.core import screening
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import canonical_json, changes_state
from ggzy.core.money import format_yuan, format_yuan_uppercase
from ggzy.core.permissions import Principal
from ggzy.core.screening import Checkpoint
from ggzy.core.violations import MissedPeriod, record_missed, violation_entry
from ggzy.entities.models import Entity
from ggzy.evaluation.service import find_evaluation, report_of
from ggzy.ledger.note import NoteSigner, sign_note
from ggzy.projects.models import Project
from ggzy.tendering import lifecycle
from ggzy.tendering.access import check_manager
from ggzy.tendering.bids import ACTIVE, lot_code
from ggzy.tendering.lifecycle import TenderStageWrong
from ggzy.tendering.models import SealedBid, Tender
from ggzy.tendering.opening import REVOKED, WITHDRAWN_UNOPENED
from ggzy.tendering.procedures import PROCUREMENT_LAW, procedure
from ggzy.tendering.rules import china_date
from ggzy.tendering.service import get_tender, project_of, record_tender_event
from ggzy.tendering.stages import Stage, Step

AWARD_LETTER, RESULT_LETTER = "award", "result"
# Bids that stood at the opening; replaced and withdrawn envelopes are no longer bids (招标投标法 第29条).
_STANDING_BIDS = (ACTIVE, REVOKED, WITHDRAWN_UNOPENED)


class AwardPaused(DomainError):
    code = "award_paused"
    status = 409
    message_zh = "对评标结果的异议尚未答复：作出答复前，应当暂停招标投标活动（招标投标法实施条例 第五十四条）"
    message_en = "An objection to the evaluation result awaits its answer: the tender is paused (Regulations art. 54)"


class NotABidder(DomainError):
    code = "not_a_bidder_of_tender"
    status = 403
    message_zh = (
        "只有本招标项目的投标人或者其他利害关系人可以对评标结果提出异议；非投标人须说明其利害关系"
        "（招标投标法实施条例 第五十四条）"
    )
    message_en = (
        "Only bidders of this tender or other interested parties may object to its evaluation result; one that "
        "did not bid states its interest (Regulations art. 54)"
    )


# -- reading ---------------------------------------------------------------------------------------------------------


def find_publicity(db: Session, tender_id: int) -> CandidatePublicity | None:
    """The tender's current publicity (one a complaint's decision superseded stays for the record)."""
    query = select(CandidatePublicity).where(
        CandidatePublicity.tender_id == tender_id, CandidatePublicity.superseded_at.is_(None)
    )
    return db.scalar(query)


def find_award(db: Session, tender_id: int) -> Award | None:
    """The tender's current award (one a complaint's decision made void stays for the record)."""
    return db.scalar(select(Award).where(Award.tender_id == tender_id, Award.superseded_at.is_(None)))


def find_contract(db: Session, tender_id: int) -> Contract | None:
    return db.scalar(select(Contract).where(Contract.tender_id == tender_id))


def candidates_of(publicity: CandidatePublicity) -> list[dict[str, Any]]:
    return list(json.loads(publicity.candidates))


def _of_current_publicity(tender_id: int) -> Any:
    current = select(CandidatePublicity.id).where(
        CandidatePublicity.tender_id == tender_id, CandidatePublicity.superseded_at.is_(None)
    )
    return PublicityObjection.publicity_id.in_(current.scalar_subquery())


def objections_of(db: Session, tender_id: int) -> list[PublicityObjection]:
    """The objections to the current publicity's result (those of a superseded one went with its result)."""
    query = select(PublicityObjection).where(
        PublicityObjection.tender_id == tender_id, _of_current_publicity(tender_id)
    )
    return list(db.scalars(query.order_by(PublicityObjection.id)))


def objections_by(db: Session, *, tender_id: int, entity_id: int) -> list[PublicityObjection]:
    """An entity's own objections to a tender's evaluation result, oldest first (for its complaint, 第60条)."""
    query = select(PublicityObjection).where(
        PublicityObjection.tender_id == tender_id, PublicityObjection.entity_id == entity_id
    )
    return list(db.scalars(query.order_by(PublicityObjection.id)))


def pending_objections(db: Session, tender_id: int) -> int:
    query = select(func.count()).where(
        PublicityObjection.tender_id == tender_id,
        PublicityObjection.answered_at.is_(None),
        _of_current_publicity(tender_id),
    )
    return db.scalar(query) or 0


def standing_bidders(db: Session, tender_id: int) -> list[int]:
    """The entities whose bids stood at the opening, in order of id."""
    query = (
        select(SealedBid.entity_id)
        .where(SealedBid.tender_id == tender_id, SealedBid.status.in_(_STANDING_BIDS))
        .distinct()
        .order_by(SealedBid.entity_id)
    )
    return list(db.scalars(query))


def _entity(db: Session, entity_id: int) -> Entity:
    entity = db.get(Entity, entity_id)
    assert entity is not None
    return entity


# -- publicity -------------------------------------------------------------------------------------------------------


@changes_state("award.publicity_published")
def publish_publicity(
    db: Session, actor: Principal, *, tender_id: int, ends_at: datetime | None, now: datetime
) -> CandidatePublicity:
    """Publicise the report's recommended candidates, ranked, with their prices (中标候选人公示): within 3 days of
    receiving the report, for at least 3 days (招标投标法实施条例 第54条). A start after the 3 days is recorded as a
    violation, not refused; a publicity shorter than 3 days is refused (it would cut the public's period)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.PUBLICISE, now)  # halts: 实施条例 第62条, 第81条
    evaluation = find_evaluation(db, tender.id)
    report = report_of(db, evaluation.id) if evaluation is not None else None
    if report is None:
        raise NotFound(field="tender_id", what_zh="评标报告", what_en="Evaluation report")
    chosen, calendar = procedure(tender.procedure), working_day_calendar(db)
    # 实施条例 第54条: a start after the 3 days is recorded as the owner's violation, never refused (decision 0021)
    late_start = rules.publicity_start_missed(
        calendar, report_received_at=report.finalised_at, starts_at=now, procedure=chosen
    )
    ends = ends_at if ends_at is not None else rules.earliest_publicity_end(calendar, starts_at=now, procedure=chosen)
    rules.check_publicity_end(calendar, starts_at=now, ends_at=ends, procedure=chosen)
    body = json.loads(report.body)
    candidates = _candidates(db, body, body["recommended"])
    if not candidates:
        raise Conflict(
            field="tender_id", reason_zh="评标报告未推荐中标候选人", reason_en="the report recommends no candidate"
        )
    publicity = CandidatePublicity(
        tender_id=tender.id, report_id=report.id, candidates=canonical_json(candidates), starts_at=now, ends_at=ends,
        published_by=actor.user_id,
    )  # fmt: skip
    db.add(publicity)
    db.flush()
    lifecycle.move(db, tender, Step.PUBLICISE)
    event = record_tender_event(
        db, actor, tender, project, "award.publicity_published",
        {"publicity_id": publicity.id, "report_sha256": report.sha256, "candidates": candidates,
         "starts_at": now.isoformat(), "ends_at": ends.isoformat(), **violation_entry(late_start)},
        now,
    )  # fmt: skip
    record_missed(db, late_start, subject_type="tender", subject_id=tender.id, event=event)
    return publicity


def _candidates(db: Session, report_body: dict[str, Any], recommended: list[int]) -> list[dict[str, Any]]:
    """The publicised candidates, ranked in the order given, with names and prices from the report's ranking."""
    lines = {line["bid_id"]: line for line in report_body["ranking"]}
    return [
        {
            "rank": rank,
            "bid_id": bid_id,
            "entity_id": lines[bid_id]["entity_id"],
            "name": _entity(db, lines[bid_id]["entity_id"]).name,
            "price_fen": lines[bid_id]["price_fen"],
        }
        for rank, bid_id in enumerate(recommended, start=1)
    ]


def report_candidates(db: Session, tender_id: int) -> list[dict[str, Any]]:
    """The candidates the evaluation report recommends, ranked, with names and prices (政府采购法实施条例 第43条:
    the purchaser determines the supplier among them, in order)."""
    evaluation = find_evaluation(db, tender_id)
    report = report_of(db, evaluation.id) if evaluation is not None else None
    if report is None:
        raise NotFound(field="tender_id", what_zh="评标报告", what_en="Evaluation report")
    body = json.loads(report.body)
    return _candidates(db, body, body["recommended"])


def _publicity(db: Session, tender: Tender) -> CandidatePublicity:
    publicity = find_publicity(db, tender.id)
    if publicity is None:
        raise TenderStageWrong(
            field="tender_id", stage=tender.stage, action_zh="受理对评标结果的异议", action_en="take objections"
        )
    return publicity


@changes_state("award.objection_raised")
def raise_objection(
    db: Session, actor: Principal, *, tender_id: int, text: str, now: datetime, interest: str | None = None
) -> PublicityObjection:
    """A bidder or another interested party (投标人或者其他利害关系人) objects to the evaluation result, during the
    publicity only; the owner answers within 3 days, and the award waits for the answer (招标投标法实施条例
    第54条). An objector whose entity did not bid states its ``interest``, which is recorded. The bidders are
    public by now (the opening record), so the check reveals nothing."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    publicity = _publicity(db, tender)
    if publicity.state == rules.RESULT_CHANGED:
        raise rules.PublicityResultChanged(field="tender_id", action_zh="受理异议", action_en="take objections")
    rules.check_objection_in_publicity(starts_at=publicity.starts_at, ends_at=publicity.ends_at, now=now)
    lifecycle.require(db, tender, Step.OBJECT_TO_RESULT, now)
    if actor.entity_id is None:
        raise NotABidder(field="tender_id")
    bidder = actor.entity_id in standing_bidders(db, tender.id)
    interest = (interest or "").strip() or None
    if not bidder and interest is None:
        raise NotABidder(field="interest")
    assert actor.user_id is not None
    objection = PublicityObjection(
        publicity_id=publicity.id, tender_id=tender.id, entity_id=actor.entity_id, raised_by=actor.user_id,
        text=text, raised_at=now, interest=None if bidder else interest,
        answer_due=rules.objection_answer_due(
            working_day_calendar(db), received_at=now, procedure=procedure(tender.procedure)
        ),
    )  # fmt: skip
    db.add(objection)
    db.flush()
    record_tender_event(
        db, actor, tender, project, "award.objection_raised",
        {"objection_id": objection.id, "answer_due": objection.answer_due.isoformat(), "round": publicity.round,
         "objector": "bidder" if bidder else "interested_party"},
        now,
    )  # fmt: skip
    return objection


@changes_state("award.objection_answered")
def answer_objection(
    db: Session, actor: Principal, *, objection_id: int, answer: str, now: datetime, changes_result: bool = False
) -> PublicityObjection:
    """The owner's answer (招标投标法实施条例 第54条: within 3 days of receipt); a late answer is given all the same and
    the missed period recorded as a violation (decision 0021).

    ``changes_result``: the objection was well founded and the committee's review (复核) changes the evaluation
    result; the publicity moves to ``result_changed`` and the award waits for the changed candidates to be
    publicised afresh (第54条), see :func:`republish_publicity`."""
    objection = db.get(PublicityObjection, objection_id)
    if objection is None:
        raise NotFound(field="objection_id", what_zh="异议", what_en="Objection")
    tender = get_tender(db, objection.tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    if objection.answered_at is not None:
        raise Conflict(field="objection_id", reason_zh="该异议已答复", reason_en="the objection is already answered")
    late_answer = rules.answer_missed(
        answer_due=objection.answer_due, answered_at=now, procedure=procedure(tender.procedure)
    )
    late = late_answer is not None
    if changes_result:
        _change_result(db, tender, action_zh="因异议改变评标结果", action_en="have its result changed")
    objection.answer, objection.answered_at, objection.answered_by = answer, now, actor.user_id
    objection.answered_late, objection.changes_result = late, changes_result
    db.flush()
    event = record_tender_event(
        db, actor, tender, project, "award.objection_answered",
        {"objection_id": objection.id, "answer_due": objection.answer_due.isoformat(), "late": late,
         "changes_result": changes_result, **violation_entry(late_answer)},
        now,
    )  # fmt: skip
    record_missed(db, late_answer, subject_type="tender", subject_id=tender.id, event=event)
    return objection


def _change_result(db: Session, tender: Tender, *, action_zh: str, action_en: str) -> CandidatePublicity:
    publicity = _publicity(db, tender)
    if tender.stage != Stage.PUBLICITY.value:
        raise TenderStageWrong(field="tender_id", stage=tender.stage, action_zh=action_zh, action_en=action_en)
    publicity.state = rules.publicity_move(
        current=publicity.state, target=rules.RESULT_CHANGED, action_zh=action_zh, action_en=action_en
    )
    db.flush()
    return publicity


def supersede_result(db: Session, *, tender_id: int, now: datetime) -> dict[str, int | None]:
    """A complaint's decision orders re-evaluation or a re-tender (招标投标法实施条例 第81条: 中标无效): the current
    publicity and award, with the award's letters, are superseded, never deleted; the new report's candidates get
    a publicity of their own. Part of the decision's state change (its event records it); returns the ids."""
    publicity, award = find_publicity(db, tender_id), find_award(db, tender_id)
    for row in (publicity, award):
        if row is not None:
            row.superseded_at = now
    db.flush()
    return {
        "publicity_id": publicity.id if publicity is not None else None,
        "award_id": award.id if award is not None else None,
    }


@changes_state("award.publicity_republished")
def republish_publicity(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    recommended: list[int],
    basis: str,
    ends_at: datetime | None,
    now: datetime,
) -> CandidatePublicity:
    """Publicise the changed candidates afresh (重新公示, 实施条例 第54条): after an answer or a decision changed the
    evaluation result, the candidates the committee now recommends (``recommended``, bids of its ranking, in
    order) are public for a fresh period of at least 3 days, and the award waits for its end. ``basis`` names the
    committee's review (复核) or the decision behind the change."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.REPUBLICISE, now)  # halts: 实施条例 第62条, 第81条
    publicity = _publicity(db, tender)
    state = rules.publicity_move(
        current=publicity.state, target=rules.PUBLICISED, action_zh="重新公示", action_en="be publicised again"
    )
    if pending_objections(db, tender.id):
        raise AwardPaused(field="tender_id")
    chosen, calendar = procedure(tender.procedure), working_day_calendar(db)
    ends = ends_at if ends_at is not None else rules.earliest_publicity_end(calendar, starts_at=now, procedure=chosen)
    rules.check_publicity_end(calendar, starts_at=now, ends_at=ends, procedure=chosen)
    evaluation = find_evaluation(db, tender.id)
    report = report_of(db, evaluation.id) if evaluation is not None else None
    if report is None:
        raise NotFound(field="tender_id", what_zh="评标报告", what_en="Evaluation report")
    body = json.loads(report.body)
    rules.check_changed_candidates(
        ranked_bid_ids=[line["bid_id"] for line in body["ranking"]], recommended=recommended,
        current=[c["bid_id"] for c in candidates_of(publicity)],
    )  # fmt: skip
    candidates = _candidates(db, body, recommended)
    assert actor.user_id is not None
    publicity.candidates = canonical_json(candidates)
    publicity.starts_at, publicity.ends_at = now, ends
    publicity.round, publicity.state = publicity.round + 1, state
    publicity.published_by = actor.user_id
    db.flush()
    record_tender_event(
        db, actor, tender, project, "award.publicity_republished",
        {"publicity_id": publicity.id, "round": publicity.round, "basis": basis, "candidates": candidates,
         "starts_at": now.isoformat(), "ends_at": ends.isoformat()},
        now,
    )  # fmt: skip
    return publicity


# -- the award -------------------------------------------------------------------------------------------------------


def letter_text(
    *, kind: str, tender: Tender, code: str, owner: Entity, addressee: Entity, winner: Entity, price_fen: int,
    contract_due: date, issued_on: date,
) -> str:  # fmt: skip
    """The text of a letter of award (中标通知书) or a notice of the result (中标结果通知), 招标投标法 第45条."""
    price = f"人民币 {format_yuan(price_fen)} 元（{format_yuan_uppercase(price_fen)}）"
    head = f"{addressee.name}（统一社会信用代码 {addressee.credit_code}）：\n\n"
    if procedure(tender.procedure).law == PROCUREMENT_LAW:  # 政府采购法 第46条; 政府采购法实施条例 第43条
        if kind == AWARD_LETTER:
            body = (
                f"中标（成交）通知书\n\n{head}"
                f"你单位参加的“{tender.title}”（标段编号 {code}）政府采购，经评审，采购人在评审报告推荐的候选人中"
                f"依次确定你单位为中标（成交）供应商，中标（成交）金额为{price}（政府采购法实施条例 第四十三条）。\n\n"
                f"请于 {contract_due.isoformat()} 前，按照采购文件确定的事项与采购人签订政府采购合同"
                f"（政府采购法 第四十六条）。\n"
            )
        else:
            body = (
                f"中标（成交）结果通知书\n\n{head}"
                f"你单位参加的“{tender.title}”（标段编号 {code}）政府采购，中标（成交）供应商已确定为{winner.name}，"
                f"中标（成交）金额为{price}。感谢你单位的参与（政府采购法实施条例 第四十三条）。\n"
            )
        return f"{body}\n采购人：{owner.name}\n日期：{issued_on.isoformat()}\n"
    if kind == AWARD_LETTER:
        body = (
            f"中标通知书\n\n{head}"
            f"你单位参加的“{tender.title}”（标段编号 {code}）投标，经评标委员会评审、中标候选人公示期满，"
            f"确定你单位为中标人，中标价为{price}。\n\n"
            f"请于 {contract_due.isoformat()} 前，按照招标文件和你单位的投标文件与招标人订立书面合同"
            f"（招标投标法 第四十六条）。\n"
        )
    else:
        body = (
            f"中标结果通知书\n\n{head}"
            f"你单位参加的“{tender.title}”（标段编号 {code}）投标，中标人已确定为{winner.name}，中标价为{price}。"
            f"感谢你单位的参与（招标投标法 第四十五条）。\n"
        )
    return f"{body}\n招标人：{owner.name}\n日期：{issued_on.isoformat()}\n"


def letter_note_body(*, kind: str, code: str, tender_id: int, credit_code: str, digest: str) -> str:
    """What the ledger keys sign: the letter's kind, lot, tender, addressee and the SHA-256 of its text."""
    return f"ggzy {kind} letter\n{code}\n{tender_id}\n{credit_code}\nsha256 {digest}\n"


@changes_state("award.awarded")
def award_tender(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    bid_id: int,
    passed_over: list[rules.PassedOver],
    signers: Sequence[NoteSigner],
    now: datetime,
    determined_on: date | None = None,
) -> Award:
    """定标 (招标投标法实施条例 第55条): after the publicity has ended and every objection is answered (第54条), the
    first-ranked candidate — or the next, in order, with the reason recorded. Issues the award notice, the letter
    of award to the winner and the notice of the result to every other bidder (招标投标法 第45条), each signed;
    the contract is due within 30 days of the letter (招标投标法 第46条).

    Under 政府采购法 the purchaser determines the supplier within 5 working days of receiving the evaluation report
    and issues the letter and the result notice within 2 working days of that (实施条例 第43条): ``determined_on``
    is the day it determined (today when not given); either period missed is recorded, never refused."""
    tender = get_tender(db, tender_id)
    project, lot = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.AWARD, now)  # halts: 实施条例 第62条, 第81条
    chosen_procedure = procedure(tender.procedure)
    publicity: CandidatePublicity | None = None
    if chosen_procedure.has(Step.PUBLICISE):  # 招标投标法实施条例 第54条: from the publicised candidates
        publicity = _publicity(db, tender)
        if publicity.state == rules.RESULT_CHANGED:
            raise rules.PublicityResultChanged(field="tender_id", action_zh="定标", action_en="be awarded")
        rules.check_publicity_ended(ends_at=publicity.ends_at, now=now)
        if pending_objections(db, tender.id):
            raise AwardPaused(field="tender_id")
        listed = candidates_of(publicity)
    else:  # 政府采购法实施条例 第43条: in order, among the candidates the report recommends
        listed = report_candidates(db, tender.id)
    late_periods = _procurement_award_periods(db, tender, determined_on=determined_on, now=now)
    chosen = rules.check_choice(
        [rules.Candidate(c["rank"], c["bid_id"], c["entity_id"], c["price_fen"]) for c in listed],
        bid_id=bid_id,
        passed_over=passed_over,
    )
    screening.screen_entity(
        db,
        actor,
        checkpoint=Checkpoint.AWARD,
        entity_id=chosen.entity_id,
        law=procedure(tender.procedure).law.key,
        subject_type="tender",
        subject_id=tender.id,
        now=now,
    )  # 信用拦截: a winner under a restriction is not awarded (decision 0040)
    ranks = {c["bid_id"]: c["rank"] for c in listed}
    reasons = [
        {"bid_id": p.bid_id, "rank": ranks[p.bid_id], "ground": p.ground,
         "ground_zh": rules.PASS_OVER_GROUNDS[p.ground][0], "note": p.note}
        for p in passed_over
    ]  # fmt: skip
    due = rules.contract_due(working_day_calendar(db), letter_issued_at=now, procedure=chosen_procedure)
    code = lot_code(project, lot)
    owner, winner = _entity(db, project.owner_id), _entity(db, chosen.entity_id)
    notice = {
        "title": f"{tender.title} 中标结果公告",
        "tender_id": tender.id,
        "lot_code": code,
        "owner": owner.name,
        "winner": {"name": winner.name, "credit_code": winner.credit_code},
        "rank": chosen.rank,
        "price_fen": chosen.price_fen,
        "price": f"{format_yuan(chosen.price_fen)} 元",
        "passed_over": reasons,
        "awarded_at": now.isoformat(),
        "contract_due": due.isoformat(),
    }
    notice_text = canonical_json(notice)
    notice_sha256 = hashlib.sha256(notice_text.encode()).hexdigest()
    award = Award(
        tender_id=tender.id, publicity_id=publicity.id if publicity else None, bid_id=chosen.bid_id,
        entity_id=chosen.entity_id,
        rank=chosen.rank, price_fen=chosen.price_fen, passed_over=canonical_json(reasons), notice=notice_text,
        notice_sha256=notice_sha256, contract_due=due, awarded_by=actor.user_id, awarded_at=now,
        determined_on=determined_on,
    )  # fmt: skip
    db.add(award)
    db.flush()
    letters = []
    for entity_id in sorted(set(standing_bidders(db, tender.id)) | {chosen.entity_id}):
        addressee = _entity(db, entity_id)
        kind = AWARD_LETTER if entity_id == chosen.entity_id else RESULT_LETTER
        text = letter_text(
            kind=kind, tender=tender, code=code, owner=owner, addressee=addressee, winner=winner,
            price_fen=chosen.price_fen, contract_due=due, issued_on=china_date(now),
        )  # fmt: skip
        digest = hashlib.sha256(text.encode()).hexdigest()
        note = sign_note(
            letter_note_body(kind=kind, code=code, tender_id=tender.id, credit_code=addressee.credit_code,
                             digest=digest),
            signers,
        )  # fmt: skip
        letters.append(
            AwardLetter(
                award_id=award.id, tender_id=tender.id, entity_id=entity_id, kind=kind, text=text, sha256=digest,
                note=note, issued_at=now,
            )
        )  # fmt: skip
    db.add_all(letters)
    db.flush()
    lifecycle.move(db, tender, Step.AWARD)
    determination = {"determined_on": determined_on.isoformat()} if determined_on is not None else {}
    event = record_tender_event(
        db, actor, tender, project, "award.awarded",
        {"award_id": award.id, "bid_id": chosen.bid_id, "entity_id": chosen.entity_id, "name": winner.name,
         "rank": chosen.rank, "price_fen": chosen.price_fen, "passed_over": reasons, "notice_sha256": notice_sha256,
         "contract_due": due.isoformat(), **determination,
         "letters": [{"letter_id": x.id, "entity_id": x.entity_id, "kind": x.kind, "sha256": x.sha256}
                     for x in letters],
         **violation_entry(*late_periods)},
        now,
    )  # fmt: skip
    for late in late_periods:
        record_missed(db, late, subject_type="tender", subject_id=tender.id, event=event)
    return award


def _procurement_award_periods(
    db: Session, tender: Tender, *, determined_on: date | None, now: datetime
) -> list[MissedPeriod | None]:
    """政府采购法实施条例 第43条: the determination within 5 working days of receiving the report, the letter and the
    result notice within 2 working days of the determination. The report is received when it is finalised on the
    platform (as for the publicity of 招标投标法实施条例 第54条). Nothing to check under 招标投标法."""
    chosen = procedure(tender.procedure)
    evaluation = find_evaluation(db, tender.id)
    report = report_of(db, evaluation.id) if evaluation is not None else None
    if chosen.law != PROCUREMENT_LAW or report is None:
        if determined_on is not None:
            raise rules.DeterminationDateWrong(field="determined_on", report_day="-")
        return []
    today, received_on = china_date(now), china_date(report.finalised_at)
    if determined_on is not None and not received_on <= determined_on <= today:
        raise rules.DeterminationDateWrong(field="determined_on", report_day=received_on.isoformat())
    day = determined_on if determined_on is not None else today
    calendar = working_day_calendar(db)
    return [
        rules.determination_missed(
            calendar, report_received_at=report.finalised_at, determined_on=day, procedure=chosen
        ),
        rules.result_notice_missed(calendar, determined_on=day, notice_at=now, procedure=chosen),
    ]


# -- the contract ----------------------------------------------------------------------------------------------------


@changes_state("award.contract_recorded")
def record_contract(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    amount_fen: int,
    signed_on: date,
    blob_sha256: str | None,
    now: datetime,
) -> Contract:
    """The signed contract (招标投标法 第46条): at the award price, no agreement departing from it. ``signed_on`` is
    the day it was signed (between the letter of award and today); the 30 days are measured to that day, not to
    the day it is recorded, and a contract signed after them is still recorded, with the missed period (a
    violation, decision 0021)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    actor = check_manager(actor, project)
    lifecycle.require(db, tender, Step.CONTRACT, now)  # halts: 实施条例 第62条, 第81条; 政府采购法实施条例 第54条
    award = find_award(db, tender.id)
    assert award is not None
    rules.check_contract_amount(amount_fen=amount_fen, award_price_fen=award.price_fen)
    if not china_date(award.awarded_at) <= signed_on <= china_date(now):
        raise InvalidInput(
            field="signed_on",
            reason_zh="签订日期须在中标通知书发出之日与今日之间",
            reason_en="the contract is signed between the letter of award and today",
        )
    chosen = procedure(tender.procedure)
    late_contract = rules.contract_missed(contract_due=award.contract_due, signed_on=signed_on, procedure=chosen)
    late = late_contract is not None
    # 政府采购法实施条例 第50条: published within 2 working days of signing; recording it here publishes it
    late_publication = (
        rules.contract_publication_missed(
            working_day_calendar(db), signed_on=signed_on, published_at=now, procedure=chosen
        )
        if chosen.law == PROCUREMENT_LAW
        else None
    )
    contract = Contract(
        award_id=award.id, tender_id=tender.id, amount_fen=amount_fen, signed_on=signed_on, blob_sha256=blob_sha256,
        late=late, recorded_by=actor.user_id, recorded_at=now,
    )  # fmt: skip
    db.add(contract)
    db.flush()
    lifecycle.move(db, tender, Step.CONTRACT)
    event = record_tender_event(
        db, actor, tender, project, "award.contract_recorded",
        {"contract_id": contract.id, "amount_fen": amount_fen, "signed_on": signed_on.isoformat(),
         "blob_sha256": blob_sha256, "contract_due": award.contract_due.isoformat(), "late": late,
         **violation_entry(late_contract, late_publication)},
        now,
    )  # fmt: skip
    for missed_period in (late_contract, late_publication):
        record_missed(db, missed_period, subject_type="tender", subject_id=tender.id, event=event)
    return contract


def load(db: Session, tender_id: int) -> tuple[Tender, Project]:
    tender = get_tender(db, tender_id)
    return tender, project_of(db, tender)[0]


def publicity_ends_of(db: Session, tender_ids: Select[int]) -> dict[int, datetime]:
    """When each round's current candidate publicity ends (实施条例 第54条: at least 3 days), by tender id, in one
    query (the supervisor's live view, decision 0046)."""
    rows = db.execute(
        select(CandidatePublicity.tender_id, CandidatePublicity.ends_at).where(
            CandidatePublicity.tender_id.in_(tender_ids), CandidatePublicity.superseded_at.is_(None)
        )
    )
    return {tender_id: ends_at for tender_id, ends_at in rows}
