"""The lifecycle of a round, in one place (DESIGN §5): the stage a round is in, the transitions its procedure
declares, and the one guard every service calls before a step.

    stage = lifecycle.require(db, tender, Step.AWARD, now)   # refuses, or returns the stage now
    ...                                                      # the service's own checks and writes
    lifecycle.move(db, tender, Step.AWARD)                   # the stage the step leads to

:func:`require` refuses in one error family (:class:`LifecycleRefusal`): a step the procedure does not have, the
wrong stage, and every *halt* in force for the step — paused by an objection to the documents (招标投标法实施条例
第22条), suspended while a complaint is handled (第62条). A decision ordering a re-tender or re-evaluation (第81条)
is no halt: it moves the round (``Step.RE_TENDER``, ``Step.RE_EVALUATE``). Halts are registered by
the domains that cause them (:func:`register_halt`), at start-up by the composition root (``ggzy.wiring``), never
by an import's side effect: a guard that ran without them would let a suspended tender go on, so :func:`require`
refuses to run until they are installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Label, Select, SQLColumnExpression, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ggzy.core.clock import as_utc
from ggzy.core.errors import DomainError
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Procedure, procedure
from ggzy.tendering.stages import ENDED, Stage, Step, Transition

__all__ = [
    "FailedRoundNotReEvaluable",
    "Halt",
    "LifecycleRefusal",
    "PreviousRoundUnderComplaint",
    "RoundBlocker",
    "Step",
    "StepNotInProcedure",
    "TenderPaused",
    "TenderStageWrong",
    "TenderSuspended",
    "halt_columns",
    "halts_installed",
    "move",
    "refuse_halted",
    "refuse_new_round",
    "register_halt",
    "register_round_blocker",
    "require",
    "stage_at",
    "stage_of",
]


# -- the error family --------------------------------------------------------------------------------------------


class LifecycleRefusal(DomainError):
    """A step the lifecycle refuses. Every subclass takes ``action_zh``/``action_en`` (what could not happen)."""

    status = 409


class TenderStageWrong(LifecycleRefusal):
    code = "tender_stage_wrong"
    message_zh = "招标当前处于“{stage}”阶段，不能{action_zh}"
    message_en = "The tender is {stage}; it cannot {action_en} now"


class StepNotInProcedure(LifecycleRefusal):
    code = "step_not_in_procedure"
    message_zh = "“{procedure_zh}”没有这一步，不能{action_zh}（{article}）"
    message_en = "{procedure_en} has no such step: it cannot {action_en} ({article})"


class TenderPaused(LifecycleRefusal):
    code = "tender_paused"
    message_zh = "对招标文件的异议尚未答复，招标投标活动暂停（招标投标法实施条例 第二十二条），不能{action_zh}"
    message_en = (
        "An objection to the tender documents awaits its answer: the tender is paused (Regulations art. 22) and "
        "cannot {action_en}"
    )


class TenderSuspended(LifecycleRefusal):
    code = "tender_suspended"
    message_zh = (
        "行政监督部门处理投诉期间已责令暂停招标投标活动（招标投标法实施条例 第六十二条），暂停解除前不得{action_zh}"
    )
    message_en = (
        "The supervisory department suspended the tender while it handles a complaint (Regulations art. 62); "
        "it cannot {action_en} until the suspension is lifted"
    )


class PreviousRoundUnderComplaint(LifecycleRefusal):
    code = "previous_round_under_complaint"
    message_zh = (
        "该标段第 {round} 轮尚有投诉未作出处理决定，处理决定可能责令对该轮重新评标（招标投标法实施条例 第八十一条）："
        "须待处理决定作出后再发起新一轮"
    )
    message_en = (
        "A complaint about round {round} of this lot is undecided, and its decision may order that round evaluated "
        "again (Regulations art. 81): start a new round once it is decided"
    )


class FailedRoundNotReEvaluable(LifecycleRefusal):
    code = "failed_round_not_re_evaluable"
    message_zh = (
        "该轮招标不是因评标结果（有效投标不足）而失败的，或该标段已发起新一轮：不能{action_zh}"
        "（招标投标法实施条例 第八十一条）"
    )
    message_en = (
        "This round did not fail from its evaluation (too few valid bids), or the lot has started a newer round: "
        "it cannot {action_en} (Regulations art. 81)"
    )


REFUSALS: tuple[type[LifecycleRefusal], ...] = (
    TenderStageWrong,
    StepNotInProcedure,
    TenderPaused,
    TenderSuspended,
)


# -- halts -------------------------------------------------------------------------------------------------------

TenderColumn = SQLColumnExpression[int]


@dataclass(frozen=True)
class Halt:
    """A reason a round may not take some steps, registered by the domain that causes it.

    ``sql`` gives the halt as a boolean over a tenders column (a correlated EXISTS), so that a caller on the hot
    path (bid submission at the deadline rush) folds every halt into the one query it makes; ``check`` is for a
    halt whose test is not a single query. A halt gives one of the two. ``timed``: the halt ends by itself at a
    time (政府采购法 第57条: a suspension of at most 30 days), so its ``sql`` takes the time now as well, and every
    caller passes ``now`` (the server's clock, never the database's).
    """

    key: str
    steps: frozenset[Step]
    refusal: type[LifecycleRefusal]
    sql: Callable[..., ColumnElement[bool]] | None = None
    check: Callable[[Session, int], bool] | None = None
    timed: bool = False

    def __post_init__(self) -> None:
        if (self.sql is None) == (self.check is None):
            raise ValueError(f"halt {self.key}: give exactly one of sql and check")
        if self.timed and self.sql is None:
            raise ValueError(f"halt {self.key}: a timed halt is given by its sql")

    def condition(self, tender_id: TenderColumn, now: datetime | None) -> ColumnElement[bool]:
        """The halt's SQL over ``tender_id``; a timed halt needs ``now``."""
        assert self.sql is not None
        if not self.timed:
            return self.sql(tender_id)
        if now is None:
            raise TypeError(f"halt {self.key} ends at a time: pass now")
        return self.sql(tender_id, now)


_halts: dict[str, Halt] = {}
_installed = False


def register_halt(halt: Halt) -> None:
    """Register a halt (idempotent for the same key and halt)."""
    existing = _halts.get(halt.key)
    if existing is not None and existing != halt:
        raise ValueError(f"halt {halt.key} is registered twice, differently")
    _halts[halt.key] = halt


def mark_halts_installed() -> None:
    """Called by the composition root once every domain has registered its halts."""
    global _installed
    _installed = True


def halts_installed() -> bool:
    return _installed


def registered_halts() -> list[Halt]:
    return sorted(_halts.values(), key=lambda halt: halt.key)


def _halts_for(step: Step) -> list[Halt]:
    if not _installed:
        raise RuntimeError(
            "the lifecycle's halts are not installed: make sessions with ggzy.wiring (open_database or "
            "session_factory), which registers every domain's halts"
        )
    return [halt for halt in registered_halts() if step in halt.steps]


def _in_force(halts: list[Halt], tender_id: int, now: datetime | None) -> list[ColumnElement[bool]]:
    return [halt.condition(literal(tender_id), now) for halt in halts if halt.sql is not None]


def halt_columns(step: Step, tender_id: TenderColumn, *, now: datetime | None = None) -> list[Label[bool]]:
    """Every SQL halt of ``step`` as a labelled column over ``tender_id``, for a caller's own query; then
    :func:`refuse_halted` with the row. A halt of the step that has no SQL form is checked by :func:`require`."""
    return [
        halt.condition(tender_id, now).label(f"halt_{halt.key}") for halt in _halts_for(step) if halt.sql is not None
    ]


def halt_conditions(step: Step, tender_id: TenderColumn, *, now: datetime | None = None) -> list[ColumnElement[bool]]:
    """Every SQL halt of ``step`` as a condition over ``tender_id``, for a listing that leaves halted rounds out."""
    return [halt.condition(tender_id, now) for halt in _halts_for(step) if halt.sql is not None]


def refuse_halted(step: Step, row: Any, *, procedure_of: Procedure | None = None) -> None:
    """Raise the first halt a row of :func:`halt_columns` shows to be in force."""
    action = _action(step, procedure_of)
    for halt in _halts_for(step):
        if halt.sql is not None and getattr(row, f"halt_{halt.key}"):
            raise halt.refusal(field="tender_id", action_zh=action[0], action_en=action[1])


# -- what a new round of a lot waits for ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundBlocker:
    """A reason a lot may not start a new round although its last one ended, registered by the domain that causes
    it (as halts are): ``check`` takes the lot's earlier rounds (tender ids, oldest first) and returns the round
    number that blocks, or None."""

    key: str
    refusal: type[LifecycleRefusal]
    check: Callable[[Session, list[tuple[int, int]]], int | None]


_round_blockers: dict[str, RoundBlocker] = {}


def register_round_blocker(blocker: RoundBlocker) -> None:
    """Register a new-round blocker (idempotent for the same key and blocker)."""
    existing = _round_blockers.get(blocker.key)
    if existing is not None and existing != blocker:
        raise ValueError(f"round blocker {blocker.key} is registered twice, differently")
    _round_blockers[blocker.key] = blocker


def refuse_new_round(db: Session, earlier: list[tuple[int, int]]) -> None:
    """Before a lot's new round: every registered blocker is asked about its earlier rounds (``(tender id, round)``
    pairs); the first that blocks refuses the new round, naming the round."""
    _halts_for(Step.PUBLISH)  # refuses to run before the domains are installed
    for blocker in sorted(_round_blockers.values(), key=lambda found: found.key):
        blocking = blocker.check(db, earlier) if earlier else None
        if blocking is not None:
            raise blocker.refusal(field="lot_id", round=blocking)


# -- time an opening's decryption window is owed --------------------------------------------------------------


@dataclass(frozen=True)
class WindowAllowance:
    """Time the bidders' decryption window is owed for a halt that ended without a step that gives it back (a
    政府采购 suspension that expired by itself, 政府采购法 第57条), registered by the domain that causes it. ``owed``
    takes the tender id, the opening's start, the window's recorded end and now."""

    key: str
    owed: Callable[[Session, int, datetime, datetime, datetime], timedelta]


_window_allowances: dict[str, WindowAllowance] = {}


def register_window_allowance(allowance: WindowAllowance) -> None:
    """Register a window allowance (idempotent for the same key and allowance)."""
    existing = _window_allowances.get(allowance.key)
    if existing is not None and existing != allowance:
        raise ValueError(f"window allowance {allowance.key} is registered twice, differently")
    _window_allowances[allowance.key] = allowance


def window_end(db: Session, tender_id: int, *, started_at: datetime, recorded_end: datetime, now: datetime) -> datetime:
    """The decryption window's end now: its recorded end, plus what every registered allowance says it is owed."""
    owed = sum(
        (found.owed(db, tender_id, started_at, recorded_end, now) for found in _window_allowances.values()),
        timedelta(),
    )
    return as_utc(recorded_end) + owed


# -- stages and the guard ----------------------------------------------------------------------------------------


def stage_at(*, recorded: Stage, bid_deadline: datetime | None, now: datetime) -> Stage:
    """The stage now: a published round is closed once the clock passes its deadline — derived from time, never
    from a job that might run late (DESIGN §5)."""
    if recorded == Stage.PUBLISHED and bid_deadline is not None and as_utc(now) >= as_utc(bid_deadline):
        return Stage.CLOSED
    return recorded


def stage_of(tender: Tender, now: datetime) -> Stage:
    return stage_at(recorded=Stage(tender.stage), bid_deadline=tender.bid_deadline, now=now)


def _action(step: Step, chosen: Procedure | None) -> tuple[str, str]:
    found = chosen.transition(step) if chosen is not None else None
    if found is None:
        return step.value, step.value.replace("_", " ")
    return found.action_zh, found.action_en


def transition_of(tender: Tender, step: Step) -> Transition:
    chosen = procedure(tender.procedure)
    found = chosen.transition(step)
    if found is None:
        raise StepNotInProcedure(
            field="tender_id",
            procedure_zh=chosen.name_zh,
            procedure_en=chosen.name_en,
            article=chosen.law.article_zh,
            action_zh=step.value,
            action_en=step.value.replace("_", " "),
        )
    return found


def require(db: Session, tender: Tender, step: Step, now: datetime, *, halts: bool = True) -> Stage:
    """The one guard before a step: the procedure has it, the round is in a stage it may be taken from, and no halt
    registered for it is in force. Returns the stage now. ``halts=False`` only for a caller that has already folded
    the SQL halts into its own query (:func:`halt_columns`) and refused them (:func:`refuse_halted`)."""
    found = transition_of(tender, step)
    stage = stage_of(tender, now)
    if stage not in found.sources:
        raise TenderStageWrong(
            field="tender_id", stage=stage.value, action_zh=found.action_zh,
            action_en=found.action_en,
        )  # fmt: skip
    if halts:
        applying = _halts_for(step)
        sql = [halt for halt in applying if halt.sql is not None]
        if sql:
            row = db.execute(select(*_in_force(sql, tender.id, now))).one()
            for halt, in_force in zip(sql, row, strict=True):
                if in_force:
                    raise halt.refusal(field="tender_id", action_zh=found.action_zh, action_en=found.action_en)
        for halt in applying:
            if halt.check is not None and halt.check(db, tender.id):
                raise halt.refusal(field="tender_id", action_zh=found.action_zh, action_en=found.action_en)
    return stage


def move(db: Session, tender: Tender, step: Step, *, to: Stage | None = None) -> Stage:
    """Record the stage ``step`` leads to (``to`` picks among several; a step that leads nowhere stays). Called
    after :func:`require`, inside the same service call, whose event records the change."""
    found = transition_of(tender, step)
    if to is None:
        if len(found.targets) > 1:
            raise ValueError(f"{step} leads to {found.targets}: say which")
        target = found.targets[0] if found.targets else Stage(tender.stage)
    elif to in found.targets:
        target = to
    else:
        raise ValueError(f"{step} does not lead to {to}")
    if Stage(tender.stage) in ENDED and Stage(tender.stage) not in found.sources:  # only RE_EVALUATE leaves one
        raise TenderStageWrong(
            field="tender_id", stage=tender.stage, action_zh=found.action_zh,
            action_en=found.action_en,
        )  # fmt: skip
    # Compare and set: another request that moved the round since it was read (a termination racing a contract,
    # a decision racing an award) leaves no row to update here, and this step is refused — on PostgreSQL the
    # UPDATE waits for that request's row lock and then sees its stage; SQLite serialises writers anyway.
    recorded = tender.stage
    changed = db.execute(
        update(Tender)
        .where(Tender.id == tender.id, Tender.stage == recorded)
        .values(stage=target.value)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(tender, ["stage"])
        raise TenderStageWrong(
            field="tender_id", stage=tender.stage, action_zh=found.action_zh, action_en=found.action_en
        )
    set_committed_value(tender, "stage", target.value)
    return target


def procedure_has_step_now(tender: Tender, step: Step, now: datetime) -> bool:
    """Whether the round's procedure has ``step`` and the stage now allows it (halts aside), for pages."""
    found = procedure(tender.procedure).transition(step)
    return found is not None and stage_of(tender, now) in found.sources


def next_steps(tender: Tender, now: datetime) -> list[Transition]:
    """The steps the procedure allows from the stage now (halts aside), for pages that show what comes next."""
    stage = stage_of(tender, now)
    return [found for found in procedure(tender.procedure).transitions if stage in found.sources]


def halts_in_force(db: Session, tender_id: int, *, now: datetime | None = None) -> set[str]:
    """The keys of the SQL halts in force on a round now, whatever the step (for pages that show them); without
    ``now`` only the halts that do not end by themselves (not ``timed``)."""
    if not _installed:
        _halts_for(Step.PUBLISH)  # raises the explanation
    sql = [halt for halt in registered_halts() if halt.sql is not None and (now is not None or not halt.timed)]
    if not sql:
        return set()
    row = db.execute(select(*_in_force(sql, tender_id, now))).one()
    return {halt.key for halt, in_force in zip(sql, row, strict=True) if in_force}


def halts_in_force_of(db: Session, tender_ids: Select[int], *, now: datetime) -> dict[int, set[str]]:
    """:func:`halts_in_force` for many rounds in one query (the supervisor's live view): {tender id: halt keys},
    only the rounds with a halt in force."""
    if not _installed:
        _halts_for(Step.PUBLISH)  # raises the explanation
    sql = [halt for halt in registered_halts() if halt.sql is not None]
    if not sql:
        return {}
    columns = [halt.condition(Tender.id, now).label(f"halt_{halt.key}") for halt in sql]
    found: dict[int, set[str]] = {}
    for row in db.execute(select(Tender.id, *columns).where(Tender.id.in_(tender_ids))):
        keys = {halt.key for halt, in_force in zip(sql, row[1:], strict=True) if in_force}
        if keys:
            found[row[0]] = keys
    return found
