"""The words of a tender's lifecycle (DESIGN §5): its stages, the steps people take, and a step's transition.

Pure data, imported by the procedure registry (which declares each procedure's transitions) and by the lifecycle
(which enforces them). Nothing here reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """The stages of one round of a lot. ``closed`` follows from the clock, never from a job (DESIGN §5)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    OPENING = "opening"
    OPENED = "opened"
    FAILED = "failed"
    EVALUATING = "evaluating"
    EVALUATED = "evaluated"
    PUBLICITY = "publicity"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    CANCELLED = "cancelled"


# A round in one of these stages is over: nothing moves it again, and the lot may start a new round after the two
# that end without a contract (招标投标法 第42条, 招标投标法实施条例 第31条, 第44条).
ENDED = frozenset({Stage.FAILED, Stage.CANCELLED, Stage.CONTRACTED})
ENDED_WITHOUT_CONTRACT = frozenset({Stage.FAILED, Stage.CANCELLED})


class Step(StrEnum):
    """What someone does to a round. Each procedure declares which steps it has and from which stages."""

    ATTACH_DOCUMENTS = "attach_documents"
    PUBLISH = "publish"
    CLARIFY = "clarify"
    OBJECT_TO_DOCUMENTS = "object_to_documents"
    REGISTER = "register"
    SUBMIT_BID = "submit_bid"
    WITHDRAW_BID = "withdraw_bid"
    START_OPENING = "start_opening"
    DECRYPT = "decrypt"
    OBJECT_AT_OPENING = "object_at_opening"
    FINISH_OPENING = "finish_opening"
    DRAW_EXPERTS = "draw_experts"
    START_EVALUATION = "start_evaluation"
    EVALUATE = "evaluate"
    FINALISE_REPORT = "finalise_report"
    PUBLICISE = "publicise"
    REPUBLICISE = "republicise"
    OBJECT_TO_RESULT = "object_to_result"
    AWARD = "award"
    CONTRACT = "contract"
    FAIL = "fail"
    TERMINATE = "terminate"
    RE_EVALUATE = "re_evaluate"
    RE_TENDER = "re_tender"
    PUBLICISE_SOLE_SUPPLIER = "publicise_sole_supplier"
    CHALLENGE_RESULT = "challenge_result"
    CHALLENGE_PROCESS = "challenge_process"
    OBJECT_TO_SOLE_SUPPLIER = "object_to_sole_supplier"
    # 竞争性谈判, 竞争性磋商: rounds of sealed quotations during the evaluation (政府采购法 第38条 (四)、(五))
    CALL_QUOTATIONS = "call_quotations"
    SUBMIT_QUOTATION = "submit_quotation"
    OPEN_QUOTATIONS = "open_quotations"
    NOTIFY_NEGOTIATION_CHANGE = "notify_negotiation_change"


@dataclass(frozen=True)
class Transition:
    """A step: the stages it may be taken from and those it leads to (none: the round stays where it is; several:
    the step's outcome decides, as an opening that finds too few bidders fails)."""

    step: Step
    sources: frozenset[Stage]
    targets: tuple[Stage, ...]
    action_zh: str
    action_en: str


def transition(step: Step, sources: set[Stage], targets: tuple[Stage, ...], zh: str, en: str) -> Transition:
    return Transition(step=step, sources=frozenset(sources), targets=targets, action_zh=zh, action_en=en)


_BEFORE_OPENING = {Stage.DRAFT, Stage.PUBLISHED, Stage.CLOSED}
_ANY_RUNNING = {
    Stage.DRAFT,
    Stage.PUBLISHED,
    Stage.CLOSED,
    Stage.OPENING,
    Stage.OPENED,
    Stage.EVALUATING,
    Stage.EVALUATED,
    Stage.PUBLICITY,
    Stage.AWARDED,
}
# Before the letter of award: once it is issued, changing the result is the owner's liability (招标投标法 第45条
# 第2款; 政府采购法 第46条 第2款), never a termination.
_BEFORE_AWARD = _ANY_RUNNING - {Stage.AWARDED}

_COMMON = (
    transition(
        Step.ATTACH_DOCUMENTS, {Stage.DRAFT}, (), "更换招标文件（已发布的请以澄清修改）", "replace its documents"
    ),
    transition(Step.PUBLISH, {Stage.DRAFT}, (Stage.PUBLISHED,), "发布", "be published"),
    transition(Step.CLARIFY, {Stage.PUBLISHED}, (), "澄清或修改", "be clarified"),
    transition(Step.OBJECT_TO_DOCUMENTS, {Stage.PUBLISHED}, (), "受理异议", "take objections"),
    transition(Step.REGISTER, {Stage.PUBLISHED}, (), "报名", "take registrations"),
    transition(Step.SUBMIT_BID, {Stage.PUBLISHED}, (), "递交投标文件", "take bids"),
    transition(Step.WITHDRAW_BID, {Stage.PUBLISHED}, (), "撤回投标文件", "take withdrawals"),
    transition(Step.START_OPENING, {Stage.CLOSED}, (Stage.OPENING, Stage.FAILED), "开标", "be opened"),
    transition(Step.DECRYPT, {Stage.OPENING}, (), "解密投标文件", "have bids decrypted"),
    transition(Step.OBJECT_AT_OPENING, {Stage.OPENING}, (), "受理开标异议", "take objections at the opening"),
    transition(
        Step.FINISH_OPENING, {Stage.OPENING}, (Stage.OPENED, Stage.FAILED), "宣读开标记录", "read out its record"
    ),
    transition(Step.DRAW_EXPERTS, {Stage.OPENED}, (), "抽取评标专家", "draw its experts"),
    transition(Step.START_EVALUATION, {Stage.OPENED}, (Stage.EVALUATING,), "开始评标", "start its evaluation"),
    transition(Step.EVALUATE, {Stage.EVALUATING}, (), "评审", "be evaluated"),
    transition(Step.FINALISE_REPORT, {Stage.EVALUATING}, (Stage.EVALUATED,), "完成评标报告", "finalise its report"),
    transition(Step.CONTRACT, {Stage.AWARDED}, (Stage.CONTRACTED,), "登记合同", "record its contract"),
    # 招标投标法 第42条, 政府采购法 第36条: every bid rejected, or too few valid bids left for competition
    transition(Step.FAIL, {Stage.EVALUATING, Stage.EVALUATED}, (Stage.FAILED,), "宣布流标", "fail"),
    # 招标投标法实施条例 第31条: the tenderer terminates the tender, at any stage before the contract
    transition(Step.TERMINATE, _BEFORE_AWARD, (Stage.CANCELLED,), "终止", "be terminated"),
    # 招标投标法实施条例 第81条: a complaint's decision orders the opened bids evaluated again; the round goes back
    # to opened (an evaluation not yet started stays there), and its evaluation, publicity and award are superseded.
    # A round that failed at its report (招标投标法 第42条, 政府采购法 第36条) may be re-evaluated too: the failure
    # was the evaluation's, which the decision sets aside — but not one that failed at its opening or by a re-tender,
    # nor once the lot started a newer round (tendering.halts registers that check).
    transition(
        Step.RE_EVALUATE,
        {Stage.OPENED, Stage.EVALUATING, Stage.EVALUATED, Stage.PUBLICITY, Stage.AWARDED, Stage.FAILED},
        (Stage.OPENED,),
        "重新评标",
        "be evaluated again",
    ),
    # 招标投标法实施条例 第81条 (应当依法重新招标), 政府采购法实施条例 第71条 (终止本次政府采购活动，重新开展政府采购
    # 活动): a complaint's decision ends the round before its contract; the lot starts a new round
    transition(Step.RE_TENDER, _ANY_RUNNING, (Stage.FAILED,), "依投诉处理决定重新招标", "be re-tendered"),
)

# Under 招标投标法: the candidates are publicised (实施条例 第54条), then the winner is determined (第55条).
WITH_PUBLICITY = (
    *_COMMON,
    transition(Step.PUBLICISE, {Stage.EVALUATED}, (Stage.PUBLICITY,), "公示中标候选人", "publicise its candidates"),
    transition(Step.REPUBLICISE, {Stage.PUBLICITY}, (), "重新公示中标候选人", "publicise its candidates again"),
    transition(Step.OBJECT_TO_RESULT, {Stage.PUBLICITY}, (), "受理对评标结果的异议", "take objections to its result"),
    transition(Step.AWARD, {Stage.PUBLICITY}, (Stage.AWARDED,), "定标", "be awarded"),
)

# Under 政府采购法: no candidate publicity; the purchaser determines the supplier from the report (实施条例 第43条).
WITHOUT_PUBLICITY = (
    *_COMMON,
    transition(Step.AWARD, {Stage.EVALUATED}, (Stage.AWARDED,), "确定成交供应商", "be awarded"),
    # 政府采购法 第52条, 实施条例 第53条 (三): a supplier challenges the result after its notice, before or after the
    # contract (实施条例 第54条: the contract waits, or its performance stops); the round stays where it is
    transition(
        Step.CHALLENGE_RESULT,
        # and the failure (废标) after an evaluation, whose grounds 政府采购法 第36条 第2款 notifies every bidder
        {Stage.AWARDED, Stage.CONTRACTED, Stage.FAILED},
        (),
        "受理对中标、成交结果的质疑",
        "take challenges to its result",
    ),
    # 政府采购法 第52条: the procurement process (采购过程) is challenged too, from the opening on (the documents have
    # their own challenge before it); 实施条例 第53条 (二) counts from the end of the step challenged
    transition(
        Step.CHALLENGE_PROCESS,
        {Stage.OPENING, Stage.OPENED, Stage.EVALUATING, Stage.EVALUATED, Stage.AWARDED, Stage.CONTRACTED, Stage.FAILED},
        (),
        "受理对采购过程的质疑",
        "take challenges to its process",
    ),
)

BEFORE_OPENING = frozenset(_BEFORE_OPENING)

# 竞争性谈判 (政府采购法 第38条) and 竞争性磋商: while the panel evaluates the response documents, it negotiates with
# each supplier separately, notifies every supplier still negotiating of a change to the documents (第38条 (四)),
# and calls rounds of sealed quotations, the last one final (第38条 (五)). None of these moves the round.
QUOTATION_STEPS = (
    transition(Step.CALL_QUOTATIONS, {Stage.EVALUATING}, (), "要求供应商报价", "call for quotations"),
    transition(Step.SUBMIT_QUOTATION, {Stage.EVALUATING}, (), "递交报价", "take quotations"),
    transition(Step.OPEN_QUOTATIONS, {Stage.EVALUATING}, (), "开启报价", "have its quotations opened"),
    transition(Step.NOTIFY_NEGOTIATION_CHANGE, {Stage.EVALUATING}, (), "通知谈判文件的实质性变动", "notify a change"),
)
