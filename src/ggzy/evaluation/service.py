"""Evaluation (评标): qualification review, rejection of bids, score sheets and the evaluation report.

The evaluation is secret until the candidates are published (招标投标法 第44条: members shall not disclose the review
and comparison of bids nor the recommendation of candidates): every event here is undisclosed in the public ledger.
The tender moves opened → evaluating → evaluated; until tendering is wired to it, that stage is kept on the
``Evaluation`` row (``status``) and exposed by this domain's API.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import canonical_json, changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.entities import relations as entity_relations
from ggzy.entities.rules import GROUNDS_ZH, SAME_PERSON_IN_CHARGE, groups_of
from ggzy.evaluation import access, rules, signing
from ggzy.evaluation.models import Evaluation, EvaluationReport, QualificationMark, Rejection, ScoreSheet
from ggzy.experts.models import CommitteeMember
from ggzy.experts.service import EXPERT, current_draw, sitting_members
from ggzy.projects.access import check_reviewer
from ggzy.projects.models import Lot, Project
from ggzy.tendering import lifecycle, quotation_views, summary_form
from ggzy.tendering.lifecycle import TenderStageWrong, stage_of
from ggzy.tendering.models import DecryptedBid, SealedBid, Tender
from ggzy.tendering.procedures import Method, procedure
from ggzy.tendering.service import fail_round, get_tender, project_of, summary_fields_of
from ggzy.tendering.stages import Stage, Step

EVALUATING = Stage.EVALUATING.value
EVALUATED = Stage.EVALUATED.value
LEAD_DESIGNATED, LEAD_PROVISIONAL, LEAD_ELECTED = "designated", "provisional", "elected"  # Evaluation.lead_basis
RECOMMENDED_CANDIDATES = 3  # 招标投标法实施条例 第53条: no more than three candidates, ranked


class EvaluationIncomplete(DomainError):
    code = "evaluation_incomplete"
    status = 409
    message_zh = "评审尚未完成：{missing_zh}"
    message_en = "The evaluation is not complete: {missing_en}"


class SheetFinal(DomainError):
    code = "evaluation_entry_final"
    status = 409
    message_zh = "{what_zh}一经提交不得修改"
    message_en = "{what_en} is final once submitted"


@dataclass(frozen=True)
class OpenedBid:
    bid_id: int
    entity_id: int
    price_fen: int | None  # None when the opening summary has no valid price
    submitted_at: datetime
    # what the opening summary lacks of the tender's declared items (summary_form.check_summary; extra items allowed)
    summary_problems: tuple[summary_form.Problem, ...] = ()


# -- reading ---------------------------------------------------------------------------------------------------------


def scheme_to_json(scheme: rules.Scheme) -> dict[str, Any]:
    return {
        "qualification_criteria": list(scheme.qualification_criteria),
        "criteria": [{"key": c.key, "name": c.name, "max_points": str(c.max_points)} for c in scheme.criteria],
        "price_weight": str(scheme.price_weight),
        "price_formula": scheme.price_formula.value,
        "k_percent": str(scheme.k_percent),
        "deduction_above": str(scheme.deduction_above),
        "deduction_below": str(scheme.deduction_below),
    }


def scheme_from_json(text: str) -> rules.Scheme:
    data = json.loads(text)
    return rules.Scheme(
        qualification_criteria=tuple(data["qualification_criteria"]),
        criteria=tuple(
            rules.Criterion(key=c["key"], name=c["name"], max_points=Decimal(c["max_points"])) for c in data["criteria"]
        ),
        price_weight=Decimal(data["price_weight"]),
        price_formula=rules.PriceFormula(data["price_formula"]),
        k_percent=Decimal(data["k_percent"]),
        deduction_above=Decimal(data["deduction_above"]),
        deduction_below=Decimal(data["deduction_below"]),
    )


def find_evaluation(db: Session, tender_id: int) -> Evaluation | None:
    """The tender's current evaluation (one a complaint's decision superseded stays for the record)."""
    return db.scalar(select(Evaluation).where(Evaluation.tender_id == tender_id, Evaluation.superseded_at.is_(None)))


def superseded_evaluations(db: Session, tender_id: int) -> list[Evaluation]:
    """The tender's evaluations that complaints' decisions superseded, oldest first (for the record)."""
    query = select(Evaluation).where(Evaluation.tender_id == tender_id, Evaluation.superseded_at.is_not(None))
    return list(db.scalars(query.order_by(Evaluation.id)))


def supersede_evaluation(db: Session, *, tender_id: int, now: datetime) -> int | None:
    """A complaint's decision orders re-evaluation (招标投标法实施条例 第81条): the current evaluation, with its
    marks, sheets, rejections and report, is superseded, never deleted, and the tender is evaluated afresh. Part
    of the decision's state change (its event records it); returns its id, or None when none was started."""
    evaluation = find_evaluation(db, tender_id)
    if evaluation is None:
        return None
    evaluation.superseded_at = now
    db.flush()
    return evaluation.id


def _evaluating(db: Session, tender_id: int) -> Evaluation:
    evaluation = find_evaluation(db, tender_id)
    if evaluation is None:
        raise NotFound(field="tender_id", what_zh="评标", what_en="Evaluation")
    if evaluation.status != EVALUATING:
        raise TenderStageWrong(
            field="tender_id", stage=evaluation.status, action_zh="继续评审", action_en="be evaluated further"
        )
    return evaluation


def current_evaluating(db: Session, tender_id: int) -> Evaluation:
    """The tender's current evaluation, refused unless it is still evaluating."""
    return _evaluating(db, tender_id)


def opened_bids(db: Session, tender_id: int) -> dict[int, OpenedBid]:
    """The bids opened at the opening, by bid id, with the price read out (``price_fen`` of the summary) and what the
    summary lacks of the tender's declared items (the rule ``ggzy bid seal`` checked before sealing)."""
    declared = summary_fields_of(get_tender(db, tender_id))
    query = (
        select(DecryptedBid.bid_id, DecryptedBid.entity_id, DecryptedBid.summary, SealedBid.submitted_at)
        .join(SealedBid, SealedBid.id == DecryptedBid.bid_id)
        .where(DecryptedBid.tender_id == tender_id)
        .order_by(DecryptedBid.bid_id)
    )
    bids = {}
    for bid_id, entity_id, summary, submitted_at in db.execute(query):
        document = json.loads(summary)
        problems = tuple(summary_form.check_summary(declared, document, allow_unknown=True))
        price = document.get(summary_form.PRICE_KEY) if isinstance(document, dict) else None
        valid = not any(problem.key in {summary_form.PRICE_KEY, ""} for problem in problems)
        bids[bid_id] = OpenedBid(bid_id, entity_id, price if valid else None, submitted_at, problems)
    return bids


def _rejected(db: Session, evaluation_id: int) -> dict[int, Rejection]:
    rows = db.scalars(select(Rejection).where(Rejection.evaluation_id == evaluation_id).order_by(Rejection.bid_id))
    return {row.bid_id: row for row in rows}


def _bid_in_play(db: Session, evaluation: Evaluation, bid_id: int) -> OpenedBid:
    bid = opened_bids(db, evaluation.tender_id).get(bid_id)
    if bid is None:
        raise NotFound(field="bid_id", what_zh="已开启的投标", what_en="Opened bid")
    if bid_id in _rejected(db, evaluation.id):
        raise Conflict(field="bid_id", reason_zh="该投标已被否决", reason_en="the bid has been rejected")
    return bid


def _record(
    db: Session, actor: Principal, tender: Tender, project: Project, action: str, payload: dict[str, Any], now: datetime
) -> None:
    record_event(
        db, actor, action=action, subject_type="tender", subject_id=tender.id, centre_id=project.centre_id,
        payload=payload, now=now,
    )  # fmt: skip


# -- starting --------------------------------------------------------------------------------------------------------


def _check_scheme(scheme: rules.Scheme, method: Method) -> None:
    keys = [criterion.key for criterion in scheme.criteria]
    if len(set(keys)) != len(keys) or len(set(scheme.qualification_criteria)) != len(scheme.qualification_criteria):
        raise InvalidInput(field="scheme", reason_zh="评审项重复", reason_en="a criterion is repeated")
    if method == Method.LOWEST_PRICE and scheme.criteria:
        raise InvalidInput(
            field="scheme.criteria",
            reason_zh="经评审的最低投标价法不设评分项",
            reason_en="the lowest evaluated price method scores no criteria",
        )
    if method == Method.SCORING and not scheme.criteria and scheme.price_weight == 0:
        raise InvalidInput(
            field="scheme.criteria", reason_zh="综合评估法须设评分项", reason_en="the scoring method needs criteria"
        )


@changes_state("evaluation.started", disclosed=False)
def start_evaluation(
    db: Session, actor: Principal, *, tender_id: int, scheme: rules.Scheme, lead_member_id: int | None, now: datetime
) -> Evaluation:
    """Begin evaluating an opened tender whose committee is drawn; bids priced above the lot's ceiling are rejected
    at once (招标投标法实施条例 第51条 (五)), as are bids whose opening summary carries no valid price and the bids of
    bidders 第34条第2款 bars together. Bidders with an interest in the owner (第34条第1款) and the warnings that are
    not 第34条 are flagged in the event for the committee, which weighs them (see ``_automatic_rejections``)."""
    tender = get_tender(db, tender_id)
    project, lot = project_of(db, tender)
    check_reviewer(actor, project)
    lifecycle.require(db, tender, Step.START_EVALUATION, now)  # halts: 实施条例 第62条
    if current_draw(db, tender.id) is None:
        raise Conflict(field="tender_id", reason_zh="尚未抽取评标委员会", reason_en="the committee is not drawn yet")
    method = Method(tender.method)
    _check_scheme(scheme, method)
    members = sitting_members(db, tender.id)
    basis = LEAD_DESIGNATED  # 浙江省招标投标条例 第29条: 由招标人确定
    if lead_member_id is None:  # the first drawn expert convenes until the members elect a lead (ggzy.evaluation.chair)
        basis = LEAD_PROVISIONAL
        lead_member_id = next(member.id for member in members if member.kind == EXPERT)
    elif lead_member_id not in {member.id for member in members}:
        raise InvalidInput(
            field="lead_member_id",
            reason_zh="主任委员须为评标委员会成员",
            reason_en="the lead must sit on the committee",
        )
    evaluation = Evaluation(
        tender_id=tender.id, method=method.value, scheme=canonical_json(scheme_to_json(scheme)), status=EVALUATING,
        lead_member_id=lead_member_id, lead_basis=basis, started_by=actor.user_id, started_at=now,
    )  # fmt: skip
    db.add(evaluation)
    db.flush()
    lifecycle.move(db, tender, Step.START_EVALUATION)
    rejected, flagged = _automatic_rejections(db, evaluation, project, lot, now)
    _record(
        db, actor, tender, project, "evaluation.started",
        {"method": method.value, "scheme": scheme_to_json(scheme), "lead_member_id": lead_member_id,
         "rejected": rejected, "flagged": flagged},
        now,
    )  # fmt: skip
    return evaluation


def _automatic_rejections(
    db: Session, evaluation: Evaluation, project: Project, lot: Lot, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rejections no member need weigh, and the flags the committee must.

    招标投标法实施条例 第34条第3款 makes the bids of related bidders void (相关投标均无效) by law: the relation is a
    fact of the register (the same person in charge, a 控股 or 管理 relation), not a judgement, so, like a price above
    the ceiling, those bids are rejected here with the article cited — but only on authoritative data: a relation
    centre staff recorded or corrected that stood unchanged at the bid deadline. One an entity declared on its own
    (which any bidder could do after the opening against the cheapest competitor, voiding both bids) or that staff
    recorded after the deadline is flagged with its source, and the committee rejects with ``related_bidders`` if it
    holds. An interest in the owner (第1款) bars a bidder only if it "may affect the fairness" of the tender — the
    committee's judgement — so it is only flagged, as are siblings under one parent and minority stakes (not 第34条;
    串标 risk, 第39条), and the same person in charge, which the register knows only by name (docs/decisions/0007)."""
    bids = opened_bids(db, evaluation.tender_id)
    tender = get_tender(db, evaluation.tender_id)
    related, names = entity_relations.related_bidders_of(
        db,
        bidder_ids=sorted({bid.entity_id for bid in bids.values()}),
        owner_id=project.owner_id,
        deadline=tender.bid_deadline,
    )
    # Relations between entity ids are facts; the same person in charge is a match of names, which namesakes share:
    # the committee confirms it from the bids' 法定代表人身份证明 and rejects with the ground ``related_bidders``.
    # ``findings`` hold authoritative data only (实施条例 第34条: a one-sided declaration voids nothing by itself).
    facts = [f for f in related.findings if f.ground != SAME_PERSON_IN_CHARGE]
    named = [f for f in related.findings if f.ground == SAME_PERSON_IN_CHARGE]
    void: dict[int, str] = {}
    for group in groups_of(facts, {entity_id: n for n, entity_id in enumerate(sorted(names))}):
        for entity_id in group:
            others = "、".join(names[other] for other in group if other != entity_id)
            grounds = sorted({GROUNDS_ZH[f.ground] for f in facts if entity_id in f.entity_ids})
            void[entity_id] = f"与{others}{'、'.join(grounds)}，相关投标均无效（实施条例 第三十四条）"
    rejected = []
    for bid in bids.values():
        if bid.entity_id in void:
            ground, note = "related_bidders", void[bid.entity_id]
        elif bid.price_fen is None:
            ground, note = "not_responsive", "开标一览表未载明有效投标报价 / no valid price in the opening summary"
        elif bid.summary_problems:  # 实施条例 第51条 (六): the documents' substantive requirements not answered
            ground = "not_responsive"
            note = (
                "开标一览表未按招标文件载明："
                + "；".join(problem.message_zh for problem in bid.summary_problems)
                + "（实施条例 第五十一条（六））"
            )
        elif rules.is_above_ceiling(price_fen=bid.price_fen, ceiling_price_fen=lot.ceiling_price_fen):
            ground = "price_above_ceiling"
            note = (
                f"投标报价 {bid.price_fen} 分高于最高投标限价 {lot.ceiling_price_fen} 分（实施条例 第五十一条（五））"
            )
        else:
            continue
        db.add(
            Rejection(
                evaluation_id=evaluation.id, bid_id=bid.bid_id, ground=ground, note=note, automatic=True,
                member_id=None, rejected_at=now,
            )
        )  # fmt: skip
        rejected.append({"bid_id": bid.bid_id, "ground": ground})
    db.flush()
    entity_bids = {bid.entity_id: bid.bid_id for bid in bids.values()}
    flagged = [
        {
            "ground": f.ground,
            "bid_ids": [entity_bids[e] for e in f.entity_ids if e in entity_bids],
            "path": list(f.path),
            "source": f.source,
        }
        for f in (*named, *related.unconfirmed, *related.interests, *related.warnings)
    ]
    return rejected, flagged


# -- the committee's work --------------------------------------------------------------------------------------------


@changes_state("evaluation.qualification_marked", disclosed=False)
def mark_qualification(
    db: Session, actor: Principal, *, tender_id: int, bid_id: int, marks: dict[str, bool], now: datetime
) -> list[QualificationMark]:
    """A member's pass or fail of one bid on every qualification criterion (资格审查); final once submitted."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    evaluation = _evaluating(db, tender.id)
    member, actor = access.present_member_for(db, actor, tender.id)
    lifecycle.require(db, tender, Step.EVALUATE, now)  # a suspension halts the committee too (实施条例 第62条)
    _bid_in_play(db, evaluation, bid_id)
    criteria = scheme_from_json(evaluation.scheme).qualification_criteria
    if set(marks) != set(criteria):
        raise InvalidInput(
            field="marks",
            reason_zh=f"须对每个资格审查项作出判断：{list(criteria)}",
            reason_en=f"mark every qualification criterion: {list(criteria)}",
        )
    done = select(func.count()).where(
        QualificationMark.evaluation_id == evaluation.id,
        QualificationMark.member_id == member.id,
        QualificationMark.bid_id == bid_id,
    )
    if db.scalar(done):
        raise SheetFinal(field="bid_id", what_zh="资格审查意见", what_en="A qualification review")
    rows = [
        QualificationMark(
            evaluation_id=evaluation.id,
            member_id=member.id,
            bid_id=bid_id,
            criterion=criterion,
            passed=marks[criterion],
            marked_at=now,
        )
        for criterion in criteria
    ]
    db.add_all(rows)
    db.flush()
    _record(
        db, actor, tender, project, "evaluation.qualification_marked",
        {"bid_id": bid_id, "member_id": member.id, "marks": {k: marks[k] for k in criteria}}, now,
    )  # fmt: skip
    return rows


def sheet_body(*, evaluation_id: int, member_id: int, bid_id: int, scores: dict[str, Decimal]) -> dict[str, Any]:
    """What a score sheet says, as the canonical JSON whose SHA-256 is recorded."""
    return {
        "evaluation_id": evaluation_id,
        "member_id": member_id,
        "bid_id": bid_id,
        "scores": {key: str(value) for key, value in scores.items()},
        "total": str(sum(scores.values(), Decimal("0.00"))),
    }


@changes_state("evaluation.score_sheet_submitted", disclosed=False)
def submit_score_sheet(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    bid_id: int,
    scores: dict[str, Decimal],
    now: datetime,
    signature: str | None = None,
) -> ScoreSheet:
    """A member's score sheet of one bid (评分表): every criterion scored within its maximum; final once submitted.

    Signed by the member's own key when they have one in force (``ggzy.evaluation.signing``: a password alone does
    not bind a sheet to the person): ``signature`` is then required and must verify over
    :func:`signing.sheet_message`, or nothing is written. The sheet keeps the message, the signature and the key's
    fingerprint; the event names the fingerprint, so anyone holding the public key can check the sheet later."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    evaluation = _evaluating(db, tender.id)
    member, actor = access.present_member_for(db, actor, tender.id)
    lifecycle.require(db, tender, Step.EVALUATE, now)  # a suspension halts the committee too (实施条例 第62条)
    if evaluation.method != Method.SCORING:
        raise Conflict(
            field="tender_id", reason_zh="经评审的最低投标价法不打分", reason_en="the lowest-price method has no sheets"
        )
    _bid_in_play(db, evaluation, bid_id)
    checked = rules.checked_scores(scheme_from_json(evaluation.scheme), scores)
    done = select(ScoreSheet.id).where(
        ScoreSheet.evaluation_id == evaluation.id, ScoreSheet.member_id == member.id, ScoreSheet.bid_id == bid_id
    )
    if db.scalar(done) is not None:
        raise SheetFinal(field="bid_id", what_zh="评分表", what_en="A score sheet")
    message = signing.sheet_message(tender_id=tender.id, bid_id=bid_id, member_id=member.id, scores=scores)
    key = signing.checked_signature(db, user_id=member.user_id, message=message, signature=signature)
    body = sheet_body(evaluation_id=evaluation.id, member_id=member.id, bid_id=bid_id, scores=checked)
    digest = hashlib.sha256(canonical_json(body).encode()).hexdigest()
    sheet = ScoreSheet(
        evaluation_id=evaluation.id, member_id=member.id, bid_id=bid_id, scores=canonical_json(body["scores"]),
        total=body["total"], sha256=digest, submitted_at=now,
        signed_message=message if key is not None else None,
        signature=signature.strip() if key is not None and signature else None,
        key_fingerprint=key.fingerprint if key is not None else None,
    )  # fmt: skip
    db.add(sheet)
    db.flush()
    _record(
        db, actor, tender, project, "evaluation.score_sheet_submitted",
        {"bid_id": bid_id, "member_id": member.id, "total": body["total"], "sha256": digest,
         "key_fingerprint": key.fingerprint if key is not None else None},
        now,
    )  # fmt: skip
    return sheet


@changes_state("evaluation.bid_rejected", disclosed=False)
def reject_bid(
    db: Session, actor: Principal, *, tender_id: int, bid_id: int, ground: str, note: str, now: datetime
) -> Rejection:
    """The committee rejects a bid on a ground of 招标投标法实施条例 第51条, recorded by its lead."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    evaluation = _evaluating(db, tender.id)
    member, actor = access.check_lead(db, actor, tender.id, evaluation.lead_member_id)
    lifecycle.require(db, tender, Step.EVALUATE, now)  # a suspension halts the committee too (实施条例 第62条)
    if ground not in rules.REJECTION_GROUNDS:
        raise InvalidInput(
            field="ground",
            reason_zh=f"否决理由须为实施条例第五十一条所列之一：{sorted(rules.REJECTION_GROUNDS)}",
            reason_en=f"the ground must be one of Regulations art. 51: {sorted(rules.REJECTION_GROUNDS)}",
        )
    _bid_in_play(db, evaluation, bid_id)
    rejection = Rejection(
        evaluation_id=evaluation.id, bid_id=bid_id, ground=ground, note=note, automatic=False, member_id=member.id,
        rejected_at=now,
    )  # fmt: skip
    db.add(rejection)
    db.flush()
    _record(
        db, actor, tender, project, "evaluation.bid_rejected", {"bid_id": bid_id, "ground": ground, "note": note}, now
    )
    return rejection


# -- the report ------------------------------------------------------------------------------------------------------


def _qualification_failures(
    db: Session,
    evaluation: Evaluation,
    bids: list[OpenedBid],
    members: list[CommitteeMember],
    criteria: tuple[str, ...],
) -> set[int]:
    """Bids a majority of the committee failed; refuses while a member has not reviewed every bid."""
    if not criteria:
        return set()
    marks = db.execute(
        select(QualificationMark.bid_id, QualificationMark.member_id, QualificationMark.passed).where(
            QualificationMark.evaluation_id == evaluation.id
        )
    )
    verdicts: dict[tuple[int, int], bool] = {}
    for bid_id, member_id, passed in marks:
        verdicts[(bid_id, member_id)] = verdicts.get((bid_id, member_id), True) and passed
    missing = sum(1 for bid in bids for member in members if (bid.bid_id, member.id) not in verdicts)
    if missing:
        raise EvaluationIncomplete(
            field="tender_id", missing_zh=f"尚有 {missing} 份资格审查意见未提交",
            missing_en=f"{missing} qualification reviews are missing",
        )  # fmt: skip
    return {
        bid.bid_id
        for bid in bids
        if rules.fails_qualification([verdicts[(bid.bid_id, m.id)] for m in members], members=len(members))
    }


def _technical_scores(
    db: Session, evaluation: Evaluation, bids: list[OpenedBid], members: list[CommitteeMember]
) -> dict[int, Decimal]:
    rows = db.execute(
        select(ScoreSheet.bid_id, ScoreSheet.member_id, ScoreSheet.total).where(
            ScoreSheet.evaluation_id == evaluation.id
        )
    )
    totals = {(bid_id, member_id): Decimal(total) for bid_id, member_id, total in rows}
    missing = sum(1 for bid in bids for member in members if (bid.bid_id, member.id) not in totals)
    if missing:
        raise EvaluationIncomplete(
            field="tender_id",
            missing_zh=f"尚有 {missing} 份评分表未提交",
            missing_en=f"{missing} score sheets are missing",
        )
    return {bid.bid_id: rules.mean_score([totals[(bid.bid_id, m.id)] for m in members]) for bid in bids}


@changes_state("evaluation.finalised", disclosed=False)
def finalise_report(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> EvaluationReport:
    """The evaluation report (评标报告, 实施条例 第53条): the ranking, the rejected bids and their grounds, up to three
    recommended candidates and the committee's size; its canonical JSON's SHA-256 goes into the event."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    evaluation = _evaluating(db, tender.id)
    actor = access.check_finaliser(db, actor, project, tender.id, evaluation.lead_member_id)
    lifecycle.require(db, tender, Step.FINALISE_REPORT, now)  # halts: 实施条例 第62条
    scheme = scheme_from_json(evaluation.scheme)
    members = sitting_members(db, tender.id)
    bids = opened_bids(db, tender.id)
    without_final_quotation: list[int] = []
    if procedure(tender.procedure).quotation_rounds is not None:
        bids, without_final_quotation = _priced_by_final_quotations(db, tender.id, bids)
    rejected = _rejected(db, evaluation.id)
    in_play = [bid for bid in bids.values() if bid.bid_id not in rejected]
    failed = _qualification_failures(db, evaluation, in_play, members, scheme.qualification_criteria)
    valid = [bid for bid in in_play if bid.bid_id not in failed and bid.bid_id not in without_final_quotation]
    prices = {bid.bid_id: bid.price_fen for bid in valid if bid.price_fen is not None}
    if evaluation.method == Method.SCORING:
        technical = _technical_scores(db, evaluation, valid, members)
        price = rules.price_scores(scheme, prices)
        ranked = rules.rank_scoring(
            [
                rules.RankedBid(b.bid_id, prices[b.bid_id], b.submitted_at, technical[b.bid_id] + price[b.bid_id])
                for b in valid
            ]
        )
    else:
        technical, price = {}, {}
        ranked = rules.rank_lowest_price([rules.RankedBid(b.bid_id, prices[b.bid_id], b.submitted_at) for b in valid])
    body = {
        "tender_id": tender.id,
        "method": evaluation.method,
        "committee_size": len(members),
        "ranking": [
            {
                "rank": n,
                "bid_id": line.bid_id,
                "entity_id": bids[line.bid_id].entity_id,
                "price_fen": line.price_fen,
                **(
                    {
                        "technical_score": str(technical[line.bid_id]),
                        "price_score": str(price[line.bid_id]),
                        "total": str(line.total),
                    }
                    if evaluation.method == Method.SCORING
                    else {}
                ),
            }
            for n, line in enumerate(ranked, start=1)
        ],
        "rejected": [
            {
                "bid_id": r.bid_id,
                "entity_id": bids[r.bid_id].entity_id,
                "ground": r.ground,
                "ground_zh": rules.REJECTION_GROUNDS[r.ground][0],
                "note": r.note,
                "automatic": r.automatic,
            }
            for r in rejected.values()
        ],
        "failed_qualification": [{"bid_id": b, "entity_id": bids[b].entity_id} for b in sorted(failed)],
        **(
            {
                "without_final_quotation": [
                    {"bid_id": b, "entity_id": bids[b].entity_id} for b in without_final_quotation
                ]
            }
            if procedure(tender.procedure).quotation_rounds is not None
            else {}
        ),
        "recommended": [line.bid_id for line in ranked[:RECOMMENDED_CANDIDATES]],
        "finalised_at": now.isoformat(),
    }
    text = canonical_json(body)
    digest = hashlib.sha256(text.encode()).hexdigest()
    report = EvaluationReport(
        evaluation_id=evaluation.id, body=text, sha256=digest, finalised_by=actor.user_id, finalised_at=now
    )
    db.add(report)
    evaluation.status = EVALUATED
    lifecycle.move(db, tender, Step.FINALISE_REPORT)
    competition = procedure(tender.procedure).competition
    if len(valid) < competition.minimum_valid_bids:  # 招标投标法 第42条; 政府采购法 第36条 (一)
        fail_round(
            db, actor, tender=tender, ground="all_bids_rejected" if not valid else "too_few_valid_bids",
            article=competition.article, details={"valid_bids": len(valid), "needed": competition.minimum_valid_bids},
            now=now,
        )  # fmt: skip
    _record(
        db, actor, tender, project, "evaluation.finalised",
        {"sha256": digest, "recommended": body["recommended"], "committee_size": len(members)}, now,
    )  # fmt: skip
    return report


def _priced_by_final_quotations(
    db: Session, tender_id: int, bids: dict[int, OpenedBid]
) -> tuple[dict[int, OpenedBid], list[int]]:
    """竞争性谈判, 竞争性磋商: the price ranked is each supplier's final quotation (政府采购法 第38条 (五)), opened
    together once the final round's deadline passed; a supplier without a valid final quotation is not ranked."""
    finals = quotation_views.final_quotations(db, tender_id)
    if finals is None:
        raise EvaluationIncomplete(
            field="tender_id",
            missing_zh="最后报价尚未开启（政府采购法 第三十八条 第（五）项）",
            missing_en="the final quotations are not opened (Government Procurement Law art. 38 (5))",
        )
    priced = {
        bid_id: OpenedBid(bid.bid_id, bid.entity_id, finals.get(bid.entity_id), bid.submitted_at)
        for bid_id, bid in bids.items()
    }
    return priced, sorted(bid_id for bid_id, bid in priced.items() if bid.price_fen is None)


def report_of(db: Session, evaluation_id: int) -> EvaluationReport | None:
    return db.scalar(select(EvaluationReport).where(EvaluationReport.evaluation_id == evaluation_id))


def tender_stage(db: Session, tender: Tender, now: datetime) -> str:
    """The tender's stage (evaluating and evaluated are recorded on the tender as the evaluation moves)."""
    return stage_of(tender, now).value


def sheet_count(db: Session, evaluation_id: int) -> int:
    return db.scalar(select(func.count()).where(ScoreSheet.evaluation_id == evaluation_id)) or 0


def load(db: Session, tender_id: int) -> tuple[Tender, Project]:
    tender = get_tender(db, tender_id)
    return tender, project_of(db, tender)[0]


def own_score_sheets(db: Session, *, member_id: int, evaluation_id: int) -> dict[int, ScoreSheet]:
    """A committee member's own score sheets of an evaluation, by bid (for the member's own page)."""
    query = select(ScoreSheet).where(ScoreSheet.evaluation_id == evaluation_id, ScoreSheet.member_id == member_id)
    return {sheet.bid_id: sheet for sheet in db.scalars(query)}


def rejections_of(db: Session, evaluation_id: int) -> dict[int, Rejection]:
    """The evaluation's rejected bids, by bid id."""
    return _rejected(db, evaluation_id)


def own_marks(db: Session, *, member_id: int, evaluation_id: int) -> dict[int, dict[str, bool]]:
    """A member's own qualification marks of an evaluation, by bid (for the member's own page)."""
    query = select(QualificationMark).where(
        QualificationMark.evaluation_id == evaluation_id, QualificationMark.member_id == member_id
    )
    marks: dict[int, dict[str, bool]] = {}
    for row in db.scalars(query):
        marks.setdefault(row.bid_id, {})[row.criterion] = row.passed
    return marks
