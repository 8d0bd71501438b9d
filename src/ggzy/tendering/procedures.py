"""The procedure registry (DESIGN §5, STYLE 7): each procedure is data — its stages, statutory periods, evaluation
methods and decryption rules — so that a new procedure is a new entry, not a new branch in every function.

A rule that changes is a new version of the entry, never a date test in code. Every period names its article.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ggzy.core.errors import DomainError


class Stage(StrEnum):
    """The stages of one lot (DESIGN §5). ``closed`` and ``opening`` follow from the clock, never from a job."""

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


class Method(StrEnum):
    LOWEST_PRICE = "lowest_price"  # 经评审的最低投标价法
    SCORING = "scoring"  # 综合评估法 (综合评分法)


@dataclass(frozen=True)
class Periods:
    """Statutory periods, in calendar days counted as 民法典 第201条 says (the start day is not counted)."""

    issue_to_deadline_days: int  # 招标投标法 第24条: at least 20 days from documents issued to the bid deadline
    documents_on_offer_days: int  # 招标投标法实施条例 第16条: documents on offer at least 5 days
    clarification_before_deadline_days: int  # 招标投标法 第23条, 实施条例 第21条: 15 days, or the deadline moves
    objection_before_deadline_days: int  # 实施条例 第22条: objections to the documents until 10 days before
    objection_answer_days: int  # 实施条例 第22条: answered within 3 days, the procedure paused meanwhile
    minimum_bids: int  # 实施条例 第44条: fewer than 3 bids, no opening; re-tender
    publicity_days: int  # 实施条例 第54条: candidates publicised at least 3 days
    publicity_start_within_days: int  # 实施条例 第54条: within 3 days of receiving the evaluation report
    contract_within_days: int  # 招标投标法 第46条: contract within 30 days of the letter of award


@dataclass(frozen=True)
class Committee:
    """招标投标法 第37条: five or more members, an odd number, experts at least two thirds."""

    minimum_members: int = 5
    odd: bool = True
    expert_share_numerator: int = 2
    expert_share_denominator: int = 3


@dataclass(frozen=True)
class Decryption:
    """Who can open a sealed bid: its bidder (remote decryption), or k of the n custodians where allowed."""

    custodians_may_open: bool
    custodians_required: int  # k
    custodians_total: int  # n
    window_minutes: int  # the bidders' decryption window after the opening starts


@dataclass(frozen=True)
class Procedure:
    key: str
    version: int
    name_zh: str
    name_en: str
    by_invitation: bool  # 邀请招标: only invited bidders may register
    minimum_invitations: int  # 招标投标法 第17条: at least 3 invited bidders
    stages: tuple[Stage, ...]
    periods: Periods
    committee: Committee
    methods: tuple[Method, ...]
    decryption: Decryption


class ProcedureUnknown(DomainError):
    code = "procedure_unknown"
    status = 422
    message_zh = "不支持的招标方式 {key}（可选：{choices}）"
    message_en = "Unknown procedure {key} (choose from {choices})"


_TENDER_STAGES = (
    Stage.DRAFT,
    Stage.PUBLISHED,
    Stage.CLOSED,
    Stage.OPENING,
    Stage.OPENED,
    Stage.EVALUATING,
    Stage.EVALUATED,
    Stage.PUBLICITY,
    Stage.AWARDED,
    Stage.CONTRACTED,
)

_TENDER_PERIODS = Periods(
    issue_to_deadline_days=20,
    documents_on_offer_days=5,
    clarification_before_deadline_days=15,
    objection_before_deadline_days=10,
    objection_answer_days=3,
    minimum_bids=3,
    publicity_days=3,
    publicity_start_within_days=3,
    contract_within_days=30,
)

_DECRYPTION = Decryption(custodians_may_open=True, custodians_required=2, custodians_total=3, window_minutes=30)

OPEN = Procedure(
    key="open",
    version=1,
    name_zh="公开招标",
    name_en="Open tendering",
    by_invitation=False,
    minimum_invitations=0,
    stages=_TENDER_STAGES,
    periods=_TENDER_PERIODS,
    committee=Committee(),
    methods=(Method.LOWEST_PRICE, Method.SCORING),
    decryption=_DECRYPTION,
)

INVITED = Procedure(
    key="invited",
    version=1,
    name_zh="邀请招标",
    name_en="Invited tendering",
    by_invitation=True,
    minimum_invitations=3,  # 招标投标法 第17条
    stages=_TENDER_STAGES,
    periods=_TENDER_PERIODS,
    committee=Committee(),
    methods=(Method.LOWEST_PRICE, Method.SCORING),
    decryption=_DECRYPTION,
)

PROCEDURES: dict[str, Procedure] = {procedure.key: procedure for procedure in (OPEN, INVITED)}


def procedure(key: str) -> Procedure:
    try:
        return PROCEDURES[key]
    except KeyError:
        raise ProcedureUnknown(field="procedure", key=key, choices=", ".join(sorted(PROCEDURES))) from None
