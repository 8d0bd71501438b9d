"""The lifecycle of a prequalification (资格预审), in one place: its stages, the steps and the transitions between
them, and the one guard every service of the domain calls before a step.

    draft ─publish─> published ─(application deadline, by the clock)─> closed ─start_opening─┬─> opening
                                                                                              └─> failed (< 3)
    opening ─finish_opening─> reviewing ─conclude─┬─> passed ─invite─> invited (the tender by invitation exists)
                                                  └─> failed (fewer than 3 passed: 招标投标法实施条例 第19条)

``closed`` is derived from the clock, never written by a job (DESIGN §5). A failed prequalification is over; the lot
may run a new one. An unanswered objection to the prequalification documents pauses every step but the objections
themselves (招标投标法实施条例 第22条: 作出答复前，应当暂停招标投标活动).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ggzy.core.clock import as_utc
from ggzy.core.errors import DomainError
from ggzy.prequalification.models import Prequalification, PrequalificationObjection


class Stage(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"  # derived: published and the application deadline has passed
    OPENING = "opening"
    REVIEWING = "reviewing"
    PASSED = "passed"
    INVITED = "invited"
    FAILED = "failed"


ENDED = frozenset({Stage.INVITED, Stage.FAILED})


class Step(StrEnum):
    ATTACH_DOCUMENTS = "attach_documents"
    PUBLISH = "publish"
    CLARIFY = "clarify"
    OBJECT = "object"
    APPLY = "apply"
    START_OPENING = "start_opening"
    DECRYPT = "decrypt"
    FINISH_OPENING = "finish_opening"
    APPOINT_COMMITTEE = "appoint_committee"
    REVIEW = "review"
    CONCLUDE = "conclude"
    NOTIFY = "notify"
    INVITE = "invite"


@dataclass(frozen=True)
class Transition:
    step: Step
    sources: frozenset[Stage]
    targets: tuple[Stage, ...]
    action_zh: str
    action_en: str
    paused_by_objection: bool = True  # 实施条例 第22条: refused while an objection awaits its answer


def _t(
    step: Step, sources: set[Stage], targets: tuple[Stage, ...], zh: str, en: str, *, pause: bool = True
) -> Transition:
    return Transition(step, frozenset(sources), targets, zh, en, pause)


TRANSITIONS: dict[Step, Transition] = {
    found.step: found
    for found in (
        _t(Step.ATTACH_DOCUMENTS, {Stage.DRAFT}, (), "更换资格预审文件", "replace its documents"),
        _t(Step.PUBLISH, {Stage.DRAFT}, (Stage.PUBLISHED,), "发布资格预审公告", "be published"),
        _t(Step.CLARIFY, {Stage.PUBLISHED}, (), "澄清或修改资格预审文件", "be clarified", pause=False),
        _t(Step.OBJECT, {Stage.PUBLISHED}, (), "受理对资格预审文件的异议", "take objections", pause=False),
        _t(Step.APPLY, {Stage.PUBLISHED}, (), "递交资格预审申请文件", "take applications"),
        _t(Step.START_OPENING, {Stage.CLOSED}, (Stage.OPENING, Stage.FAILED), "开启申请文件", "be opened"),
        _t(Step.DECRYPT, {Stage.OPENING}, (), "解密申请文件", "have applications decrypted"),
        _t(Step.FINISH_OPENING, {Stage.OPENING}, (Stage.REVIEWING,), "结束申请文件开启", "finish its opening"),
        _t(
            # after the opening only: the recusal of the applicants' experts must not tell anyone who applied
            Step.APPOINT_COMMITTEE,
            {Stage.REVIEWING},
            (),
            "组建资格审查委员会",
            "have its committee formed",
        ),
        _t(Step.REVIEW, {Stage.REVIEWING}, (), "审查申请文件", "have applications reviewed"),
        _t(Step.CONCLUDE, {Stage.REVIEWING}, (Stage.PASSED, Stage.FAILED), "确定审查结果", "be concluded"),
        _t(Step.NOTIFY, {Stage.PASSED, Stage.FAILED, Stage.INVITED}, (), "发出结果通知书", "send result notices"),
        _t(Step.INVITE, {Stage.PASSED}, (Stage.INVITED,), "向通过者发出投标邀请", "invite those who passed"),
    )
}


class PrequalificationStageWrong(DomainError):
    code = "prequalification_stage_wrong"
    status = 409
    message_zh = "资格预审当前处于“{stage}”阶段，不能{action_zh}"
    message_en = "The prequalification is {stage}; it cannot {action_en} now"


class PrequalificationPaused(DomainError):
    code = "prequalification_paused"
    status = 409
    message_zh = "对资格预审文件的异议尚未答复，招标投标活动暂停（招标投标法实施条例 第二十二条），不能{action_zh}"
    message_en = (
        "An objection to the prequalification documents awaits its answer: the procedure is paused (Regulations "
        "art. 22) and cannot {action_en}"
    )


REFUSALS: tuple[type[DomainError], ...] = (PrequalificationStageWrong, PrequalificationPaused)


def stage_at(*, recorded: Stage, application_deadline: datetime, now: datetime) -> Stage:
    """The stage now: published becomes closed once the clock passes the application deadline (DESIGN §5)."""
    if recorded == Stage.PUBLISHED and as_utc(now) >= as_utc(application_deadline):
        return Stage.CLOSED
    return recorded


def stage_of(prequalification: Prequalification, now: datetime) -> Stage:
    return stage_at(
        recorded=Stage(prequalification.stage), application_deadline=prequalification.application_deadline, now=now
    )


def is_paused(db: Session, prequalification_id: int) -> bool:
    """An objection to the prequalification documents not yet answered (实施条例 第22条)."""
    unanswered = select(PrequalificationObjection.id).where(
        PrequalificationObjection.prequalification_id == prequalification_id,
        PrequalificationObjection.answered_at.is_(None),
    )
    return db.scalar(unanswered.limit(1)) is not None


def require(db: Session, prequalification: Prequalification, step: Step, now: datetime) -> Stage:
    """The one guard before a step: the stage allows it, and no unanswered objection pauses it."""
    found = TRANSITIONS[step]
    stage = stage_of(prequalification, now)
    if stage not in found.sources:
        raise PrequalificationStageWrong(
            field="prequalification_id", stage=stage.value, action_zh=found.action_zh, action_en=found.action_en
        )
    if found.paused_by_objection and is_paused(db, prequalification.id):
        raise PrequalificationPaused(field="prequalification_id", action_zh=found.action_zh, action_en=found.action_en)
    return stage


def move(db: Session, prequalification: Prequalification, step: Step, *, to: Stage | None = None) -> Stage:
    """Record the stage ``step`` leads to, compare-and-set against the stage read (as the tender's lifecycle)."""
    found = TRANSITIONS[step]
    if to is None:
        if len(found.targets) != 1:
            raise ValueError(f"{step} leads to {found.targets}: say which")
        target = found.targets[0]
    elif to in found.targets:
        target = to
    else:
        raise ValueError(f"{step} does not lead to {to}")
    recorded = prequalification.stage
    changed = db.execute(
        update(Prequalification)
        .where(Prequalification.id == prequalification.id, Prequalification.stage == recorded)
        .values(stage=target.value)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(prequalification, ["stage"])
        raise PrequalificationStageWrong(
            field="prequalification_id", stage=prequalification.stage, action_zh=found.action_zh,
            action_en=found.action_en,
        )  # fmt: skip
    set_committed_value(prequalification, "stage", target.value)
    return target
