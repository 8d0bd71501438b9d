"""Random inspections (双随机一公开, decision 0042): the rounds inspected and the inspectors who inspect them both drawn
at random, with a seed anyone can replay from the public ledger, and the results published.

浙江省招标投标条例 第48条 asks the supervisory departments to investigate what is reported to them and tell the
reporter; random inspection is how they look where nobody reported anything, and it is only worth something if
nobody — the supervisor included — could choose what it found. Hence three steps, each an event:

1. **Plan** (:func:`plan_inspection`, a supervisor within one of its grants): the scope (a region within the
   supervisor's, and the grant's trade type if it has one), a window of bid deadlines (China Standard Time days),
   how many rounds and how many inspectors. The candidates are frozen then and there, in the plan's public event:
   every published round of the scope's projects whose bid deadline fell in the window and has passed, and every
   supervisor whose grant covers the scope.
2. **Draw** (:func:`draw_inspection`, once): the seed is the root hash of the first signed ledger checkpoint whose
   tree holds the plan's event — a hash nobody could know when the plan was recorded, and that nobody can change
   after (the checkpoint is signed and witnessed). Each candidate's place is HMAC-SHA256(seed, its label); the
   lowest places are drawn (:func:`replay`). Anyone replays it from the ledger's public entries: the plan's payload
   gives the candidates, the entries before the checkpoint give its root.
3. **Findings and publication**: a drawn inspector records one finding per drawn round; when every drawn round has
   one, the results are published (the public page ``/inspections``).

A plan that drew nothing (no candidate in its window) cannot be drawn; a plan is never deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME, to_china_time
from ggzy.core.codes import region_contains, validate_region_code
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal, Role, RoleGrant
from ggzy.entities.service import display_names, users_holding
from ggzy.ledger.service import first_checkpoint_covering
from ggzy.projects.access import visible_project_ids
from ggzy.supervision.models import InspectionFinding, InspectionPlan
from ggzy.tendering.service import published_tenders_of_projects_closing, rounds_with_projects

SUBJECT = "inspection"
SEED_LABEL = "ggzy-inspection/v1"
MAX_ROUNDS, MAX_INSPECTORS, MAX_WINDOW_DAYS = 50, 10, 366


class Outcome(StrEnum):
    NO_PROBLEM = "no_problem"  # 未发现问题
    PROBLEMS_FOUND = "problems_found"  # 发现问题（已移交处理）


class OutsideYourScope(DomainError):
    code = "inspection_scope_denied"
    status = 403
    message_zh = "抽查范围超出您的监督权限（地区 {region_code}{trade}）"
    message_en = "The inspection's scope lies outside your supervision (region {region_code}{trade})"


class NothingToDraw(DomainError):
    code = "inspection_nothing_to_draw"
    status = 409
    message_zh = "抽查范围内可抽取的{what_zh}不足：需要 {needed}，仅有 {available}"
    message_en = "Not enough {what_en} in the inspection's scope: {needed} needed, {available} available"


class SeedNotYetPublished(DomainError):
    code = "inspection_seed_not_published"
    status = 409
    message_zh = "抽查计划尚未被已签名的账本检查点覆盖，随机种子尚未产生；请稍后再抽取（检查点随后自动发布）"
    message_en = (
        "No signed ledger checkpoint covers the plan yet, so its random seed does not exist; draw again shortly "
        "(checkpoints are published automatically)"
    )


class NotDrawnInspector(DomainError):
    code = "inspection_not_drawn_inspector"
    status = 403
    message_zh = "只有被抽中的检查人员才能记录该次抽查的检查结果"
    message_en = "Only the inspectors drawn for this inspection record its findings"


@dataclass(frozen=True)
class Draw:
    rounds: tuple[int, ...]
    inspectors: tuple[int, ...]


def _place(seed: bytes, plan_id: int, kind: str, value: int) -> bytes:
    return hmac.new(seed, f"{SEED_LABEL} plan {plan_id} {kind} {value}".encode(), hashlib.sha256).digest()


def replay(*, seed: bytes, plan_id: int, rounds: Sequence[int], inspectors: Sequence[int], rounds_to_draw: int,
           inspectors_to_draw: int) -> Draw:  # fmt: skip
    """The draw of a plan from its seed (the checkpoint's root hash) and its frozen candidates: each candidate's place
    is HMAC-SHA256(seed, "ggzy-inspection/v1 plan <id> <round|inspector> <candidate id>"), the lowest drawn, in
    that order. Pure: whoever holds the plan's public event and the checkpoint's root gets the same answer."""

    def lowest(kind: str, candidates: Sequence[int], count: int) -> tuple[int, ...]:
        return tuple(sorted(candidates, key=lambda value: _place(seed, plan_id, kind, value))[:count])

    return Draw(lowest("round", rounds, rounds_to_draw), lowest("inspector", inspectors, inspectors_to_draw))


def _covers(grant: RoleGrant, region_code: str, trade_type: str | None) -> bool:
    if grant.region_code and not region_contains(grant.region_code, region_code):
        return False
    return not grant.trade_type or grant.trade_type == trade_type


def _scope_grant(actor: Principal, region_code: str, trade_type: str | None) -> RoleGrant:
    """The supervisor's grant that covers the scope; a scope without a trade type takes the grant's (a grant for
    every trade first)."""
    grants = sorted(actor.grants_for(Role.SUPERVISOR), key=lambda grant: grant.trade_type is not None)
    for grant in grants:
        if _covers(grant, region_code, trade_type or grant.trade_type):
            return grant
    raise OutsideYourScope(field="region_code", region_code=region_code, trade=f" {trade_type}" if trade_type else "")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA_STANDARD_TIME)


def _window(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(field="window_end", reason_zh="不得早于开始日", reason_en="must not be before the start")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise InvalidInput(
            field="window_end",
            reason_zh=f"抽查期间最长 {MAX_WINDOW_DAYS} 日",
            reason_en=f"at most {MAX_WINDOW_DAYS} days",
        )


def _counts(rounds_to_draw: int, inspectors_to_draw: int) -> None:
    if not 1 <= rounds_to_draw <= MAX_ROUNDS:
        raise InvalidInput(field="rounds_to_draw", reason_zh=f"应为 1 至 {MAX_ROUNDS}", reason_en=f"1 to {MAX_ROUNDS}")
    if not 1 <= inspectors_to_draw <= MAX_INSPECTORS:
        raise InvalidInput(
            field="inspectors_to_draw", reason_zh=f"应为 1 至 {MAX_INSPECTORS}", reason_en=f"1 to {MAX_INSPECTORS}"
        )


@changes_state("inspection.planned")
def plan_inspection(
    db: Session, actor: Principal, *, title: str, region_code: str, trade_type: str | None, window_start: date,
    window_end: date, rounds_to_draw: int, inspectors_to_draw: int, now: datetime,
) -> InspectionPlan:  # fmt: skip
    """Plan a random inspection within the supervisor's scope and freeze its candidates in its public event."""
    region_code = validate_region_code(region_code)
    _window(window_start, window_end)
    _counts(rounds_to_draw, inspectors_to_draw)
    if not title.strip():
        raise InvalidInput(field="title", reason_zh="不能为空", reason_en="must not be empty")
    grant = _scope_grant(actor, region_code, trade_type)
    trade_type = trade_type or grant.trade_type
    end = min(_day_start(window_end + timedelta(days=1)), now)  # only rounds already opened
    rounds = [
        tender.id
        for tender, project in published_tenders_of_projects_closing(
            db, project_ids=visible_project_ids(actor), start=_day_start(window_start), end=end
        )
        if region_contains(region_code, project.region_code) and (not trade_type or project.trade_type == trade_type)
    ]
    inspectors = sorted(
        {user.id for user, held in users_holding(db, Role.SUPERVISOR) if _covers(held, region_code, trade_type)}
    )
    if len(rounds) < rounds_to_draw:
        raise NothingToDraw(
            field="rounds_to_draw",
            what_zh="标段（轮次）",
            what_en="rounds",
            needed=rounds_to_draw,
            available=len(rounds),
        )
    if len(inspectors) < inspectors_to_draw:
        raise NothingToDraw(
            field="inspectors_to_draw", what_zh="检查人员", what_en="inspectors", needed=inspectors_to_draw,
            available=len(inspectors),
        )  # fmt: skip
    assert actor.user_id is not None  # a supervisor is a logged-in user
    plan = InspectionPlan(
        title=title.strip(), region_code=region_code, trade_type=trade_type, window_start=window_start,
        window_end=window_end, rounds_to_draw=rounds_to_draw, inspectors_to_draw=inspectors_to_draw,
        candidate_rounds=json.dumps(sorted(rounds)), candidate_inspectors=json.dumps(inspectors),
        planned_by=actor.user_id, planned_at=now, plan_event_id=0,
    )  # fmt: skip
    db.add(plan)
    db.flush()
    event = record_event(
        db, actor, action="inspection.planned", subject_type=SUBJECT, subject_id=plan.id, now=now,
        payload={
            "title": plan.title, "region_code": region_code, "trade_type": trade_type,
            "window": [window_start.isoformat(), window_end.isoformat()], "rounds_to_draw": rounds_to_draw,
            "inspectors_to_draw": inspectors_to_draw, "candidate_rounds": sorted(rounds),
            "candidate_inspectors": inspectors, "seed": "the first signed ledger checkpoint holding this entry",
        },
    )  # fmt: skip
    db.flush()
    plan.plan_event_id = event.id
    return plan


def get_plan(db: Session, plan_id: int) -> InspectionPlan:
    plan = db.get(InspectionPlan, plan_id)
    if plan is None:
        raise NotFound(field="plan_id", what_zh="抽查计划", what_en="Inspection plan")
    return plan


def _check_scope(actor: Principal, plan: InspectionPlan) -> None:
    """Only a supervisor whose grant covers the whole plan (a plan of every trade: a grant of every trade)."""
    if not may_manage(actor, plan):
        trade = f" {plan.trade_type}" if plan.trade_type else ""
        raise OutsideYourScope(field="plan_id", region_code=plan.region_code, trade=trade)


def candidates(plan: InspectionPlan) -> tuple[list[int], list[int]]:
    return json.loads(plan.candidate_rounds), json.loads(plan.candidate_inspectors)


def drawn(plan: InspectionPlan) -> Draw | None:
    if plan.drawn_rounds is None or plan.drawn_inspectors is None:
        return None
    return Draw(tuple(json.loads(plan.drawn_rounds)), tuple(json.loads(plan.drawn_inspectors)))


@changes_state("inspection.drawn")
def draw_inspection(db: Session, actor: Principal, *, plan_id: int, now: datetime) -> InspectionPlan:
    """Draw the plan's rounds and inspectors, seeded by the first checkpoint covering its plan (once)."""
    plan = get_plan(db, plan_id)
    _check_scope(actor, plan)
    if plan.drawn_at is not None:
        raise Conflict(field="plan_id", reason_zh="该抽查计划已抽取", reason_en="the plan is drawn already")
    checkpoint = first_checkpoint_covering(db, event_id=plan.plan_event_id)
    if checkpoint is None:
        raise SeedNotYetPublished(field="plan_id")
    rounds, inspectors = candidates(plan)
    result = replay(
        seed=checkpoint.root_hash, plan_id=plan.id, rounds=rounds, inspectors=inspectors,
        rounds_to_draw=plan.rounds_to_draw, inspectors_to_draw=plan.inspectors_to_draw,
    )  # fmt: skip
    plan.seed_tree_size, plan.seed_root_hash = checkpoint.size, checkpoint.root_hash
    plan.drawn_rounds, plan.drawn_inspectors = json.dumps(result.rounds), json.dumps(result.inspectors)
    plan.drawn_by, plan.drawn_at = actor.user_id, now
    record_event(
        db, actor, action="inspection.drawn", subject_type=SUBJECT, subject_id=plan.id, now=now,
        payload={
            "seed_tree_size": checkpoint.size, "seed_root_hash": checkpoint.root_hash.hex(),
            "rounds": list(result.rounds), "inspectors": list(result.inspectors),
        },
    )  # fmt: skip
    return plan


def _drawn_or_conflict(plan: InspectionPlan) -> Draw:
    result = drawn(plan)
    if result is None:
        raise Conflict(field="plan_id", reason_zh="该抽查计划尚未抽取", reason_en="the plan is not drawn yet")
    return result


@changes_state("inspection.finding_recorded", disclosed=False)  # published with the results, not before
def record_finding(
    db: Session, actor: Principal, *, plan_id: int, tender_id: int, outcome: Outcome, text: str, now: datetime
) -> InspectionFinding:
    """A drawn inspector records the finding on one drawn round (once; the results are not yet public)."""
    plan = get_plan(db, plan_id)
    result = _drawn_or_conflict(plan)
    if actor.user_id not in result.inspectors:
        raise NotDrawnInspector(field="plan_id")
    if plan.published_at is not None:
        raise Conflict(field="plan_id", reason_zh="抽查结果已公开", reason_en="the results are published")
    if tender_id not in result.rounds:
        raise InvalidInput(field="tender_id", reason_zh="不是本次抽中的标段", reason_en="not a round this plan drew")
    if not text.strip():
        raise InvalidInput(field="text", reason_zh="请写明检查情况", reason_en="say what was inspected and found")
    if db.scalar(select(InspectionFinding.id).where(InspectionFinding.plan_id == plan.id,
                                                    InspectionFinding.tender_id == tender_id)) is not None:  # fmt: skip
        raise Conflict(field="tender_id", reason_zh="该标段已记录检查结果", reason_en="its finding is recorded already")
    assert actor.user_id is not None
    finding = InspectionFinding(
        plan_id=plan.id, tender_id=tender_id, outcome=outcome.value, text=text.strip(), recorded_by=actor.user_id,
        recorded_at=now,
    )  # fmt: skip
    db.add(finding)
    db.flush()
    record_event(
        db, actor, action="inspection.finding_recorded", subject_type=SUBJECT, subject_id=plan.id, now=now,
        payload={"tender_id": tender_id, "outcome": outcome.value, "text": finding.text},
    )  # fmt: skip
    return finding


def findings_of(db: Session, plan_id: int) -> list[InspectionFinding]:
    return list(
        db.scalars(select(InspectionFinding).where(InspectionFinding.plan_id == plan_id).order_by(InspectionFinding.id))
    )


@changes_state("inspection.published")
def publish_results(db: Session, actor: Principal, *, plan_id: int, now: datetime) -> InspectionPlan:
    """Publish the results once every drawn round has its finding (一公开): by a drawn inspector."""
    plan = get_plan(db, plan_id)
    result = _drawn_or_conflict(plan)
    if actor.user_id not in result.inspectors:
        raise NotDrawnInspector(field="plan_id")
    if plan.published_at is not None:
        raise Conflict(field="plan_id", reason_zh="抽查结果已公开", reason_en="the results are published already")
    found = {finding.tender_id: finding for finding in findings_of(db, plan.id)}
    missing = [tender_id for tender_id in result.rounds if tender_id not in found]
    if missing:
        raise Conflict(
            field="plan_id", reason_zh=f"尚有 {len(missing)} 个抽中标段未记录检查结果",
            reason_en=f"{len(missing)} drawn round(s) have no finding yet",
        )  # fmt: skip
    plan.published_at, plan.published_by = now, actor.user_id
    record_event(
        db, actor, action="inspection.published", subject_type=SUBJECT, subject_id=plan.id, now=now,
        payload={
            "findings": [
                {"tender_id": tender_id, "outcome": found[tender_id].outcome, "text": found[tender_id].text}
                for tender_id in result.rounds
            ]
        },
    )  # fmt: skip
    return plan


# --- reading ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanView:
    plan: InspectionPlan
    candidate_rounds: list[int]
    candidate_inspectors: list[int]
    draw: Draw | None
    titles: dict[int, str]  # tender id → "project name · lot name (round n)"
    inspector_names: dict[int, str]  # user id → display name (the inspectors are public, as their findings)
    findings: list[InspectionFinding]  # [] until published, except for the drawn inspectors and the scope's supervisors


def _titles(db: Session, tender_ids: list[int]) -> dict[int, str]:
    rounds = rounds_with_projects(db, tender_ids)
    return {
        tender_id: f"{project.name} · {lot.name}" + (f"（第{tender.round}轮）" if tender.round > 1 else "")
        for tender_id, (tender, lot, project) in rounds.items()
    }


def may_manage(actor: Principal, plan: InspectionPlan) -> bool:
    return any(_covers(grant, plan.region_code, plan.trade_type) for grant in actor.grants_for(Role.SUPERVISOR))


def view(db: Session, actor: Principal, plan: InspectionPlan) -> PlanView:
    rounds, inspectors = candidates(plan)
    findings = findings_of(db, plan.id) if plan.published_at is not None or may_manage(actor, plan) else []
    return PlanView(
        plan=plan, candidate_rounds=rounds, candidate_inspectors=inspectors, draw=drawn(plan),
        titles=_titles(db, rounds), inspector_names=display_names(db, inspectors), findings=findings,
    )  # fmt: skip


def list_plans(db: Session, *, limit: int, offset: int, published_only: bool = False) -> list[InspectionPlan]:
    query = select(InspectionPlan)
    if published_only:
        query = query.where(InspectionPlan.published_at.is_not(None))
    return list(db.scalars(query.order_by(InspectionPlan.id.desc()).limit(limit).offset(offset)))


def today(now: datetime) -> date:
    return to_china_time(now).date()
