"""API shapes of the record of missed statutory periods and of the random inspections."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ggzy.core.inputs import Ascii, Day, Id, Name, Text
from ggzy.core.trade_types import TradeType
from ggzy.supervision.inspections import Outcome


class ViolationOut(BaseModel):
    id: int
    centre_id: int | None
    tender_id: int
    tender_title: str
    round: int
    project_code: str
    project_name: str
    lot_number: int
    lot_name: str
    period: str = Field(description="the statutory period's key, e.g. award.publicity_start")
    period_name_zh: str | None
    period_name_en: str | None
    article: str = Field(description="the law and article of the period, e.g. 招标投标法实施条例 第五十四条")
    due: date = Field(description="the period's last day (China Standard Time)")
    happened_on: date = Field(description="the day the late step happened (China Standard Time)")
    days_late: int
    actor_role: str
    recorded_at: datetime
    event_id: int = Field(description="the event that carried the late step; its payload repeats the violation")


class InspectionPlanIn(BaseModel):
    """A random inspection (双随机一公开) within the supervisor's scope."""

    title: Name = Field(max_length=200)
    region_code: Ascii = Field(max_length=6, description="GB/T 2260 code within the supervisor's region")
    trade_type: TradeType | None = None
    window_start: Day = Field(description="first day (China Standard Time) of the bid deadlines it may draw")
    window_end: Day = Field(description="last day, included; at most 366 days after the first")
    rounds_to_draw: int = Field(ge=1, le=50)
    inspectors_to_draw: int = Field(ge=1, le=10)


class FindingIn(BaseModel):
    tender_id: Id
    outcome: Outcome
    text: Text = Field(max_length=4000)


class CandidateRoundOut(BaseModel):
    tender_id: int
    title: str


class InspectorOut(BaseModel):
    user_id: int
    name: str


class FindingOut(BaseModel):
    tender_id: int
    outcome: Outcome
    text: str
    recorded_by: int
    recorded_at: datetime


class InspectionPlanOut(BaseModel):
    id: int
    title: str
    region_code: str
    trade_type: str | None
    window_start: date
    window_end: date
    rounds_to_draw: int
    inspectors_to_draw: int
    planned_at: datetime
    plan_event_id: int = Field(description="the inspection.planned event: its public ledger entry holds the candidates")
    candidate_rounds: list[CandidateRoundOut]
    candidate_inspectors: list[InspectorOut]
    seed_tree_size: int | None = Field(description="the first signed checkpoint holding the plan's entry")
    seed_root_hash: str | None = Field(description="that checkpoint's root hash (hex): the draw's seed")
    drawn_rounds: list[int] | None = Field(description="in the order drawn")
    drawn_inspectors: list[int] | None
    drawn_at: datetime | None
    published_at: datetime | None
    findings: list[FindingOut] = Field(description="empty until published (except for the scope's supervisors)")


class OpenedRoundOut(BaseModel):
    tender_id: int
    title: str
    round: int
    stage: str
    project_code: str
    project_name: str
    lot_name: str
    opened_at: datetime


class TrailEntryOut(BaseModel):
    event_id: int = Field(description="its ledger receipt: GET /api/v1/ledger/events/{event_id}")
    occurred_at: datetime
    action: str
    actor_role: str
    disclosed: bool = Field(description="whether the public ledger carries its payload")
    facts: list[tuple[str, str]] | None = Field(description="the payload as (key, value) rows; null until the result")


class SubmissionOut(BaseModel):
    bid_id: str
    bidder: str
    status: str
    submitted_at: datetime
    ended_at: datetime | None
    ip: str | None
    user_agent: str | None
    device: str | None


class LookOut(BaseModel):
    at: datetime
    role: str
    name: str


class TrailOut(BaseModel):
    round: OpenedRoundOut
    result_known: bool
    entries: list[TrailEntryOut]
    submissions: list[SubmissionOut]
    looks: list[LookOut]


class TipoffIn(BaseModel):
    """A report (举报): about a round (its region and trade follow) or a region; anonymous unless said otherwise."""

    subject: Name = Field(max_length=200, description="what it is about, in a line")
    content: Text = Field(min_length=10, max_length=5000, description="what was seen: who, when, where")
    tender_id: Id | None = None
    region_code: Ascii | None = Field(default=None, max_length=6, description="without a round: the region concerned")
    trade_type: TradeType | None = None
    anonymous: bool = Field(default=True, description="keep nothing of who reports (a logged-in user may choose)")
    contact: Name | None = Field(default=None, max_length=200, description="how to reach the reporter, if named")


class TipoffReceivedOut(BaseModel):
    code: str = Field(description="the follow-up code: shown once, never stored (only its SHA-256)")
    status: str
    received_at: datetime


class TipoffCodeIn(BaseModel):
    code: Ascii = Field(min_length=8, max_length=64)


class TipoffStatusOut(BaseModel):
    """What the reporter reads: the status and what it is told, nothing of who handles it."""

    subject: str
    status: str
    received_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    answer: str | None


class TipoffOut(TipoffStatusOut):
    """What the handling supervisors read, the reporter included when named (never published)."""

    id: int
    region_code: str
    trade_type: str | None
    tender_id: int | None
    content: str
    contact: str | None
    reporter_user_id: int | None


class TipoffReasonIn(BaseModel):
    text: Text = Field(min_length=2, max_length=5000, description="what the reporter is told")


# -- the live view and the watch list (decision 0046) ----------------------------------------------------------------


class BoardRowOut(BaseModel):
    """One unfinished lot of the jurisdiction. Never a count or a name of registrations, bids or experts."""

    tender_id: int
    round: int
    title: str
    procedure: str
    stage: str = Field(description="the lifecycle's stage now (closed: the bid deadline has passed)")
    project_id: int
    project_code: str
    project_name: str
    region_code: str
    trade_type: str
    lot_number: int
    lot_name: str
    opened: bool = Field(description="the opening began: from then on the bidders are no secret")
    deadline: str | None = Field(
        description="the next statutory deadline: bid_deadline, decryption_window, publicity_end, objection_answer "
        "or complaint_clock"
    )
    deadline_at: datetime | None
    seconds_left: int | None = Field(description="until the deadline; negative: overdue")
    violations: int = Field(description="missed statutory periods the lifecycle recorded on the round")
    halts: list[str] = Field(description="halts in force (paused by an objection, suspended by a complaint, …)")
    complaints: int = Field(description="complaints not yet decided")
    finance_alerts: int | None = Field(description="unresolved alerts on its deposits; null before the opening")
    rigging_markers: int | None = Field(
        description="related-bidder findings and 串标-risk warnings the opening record read out; null before it"
    )
    watched_by: list[int] = Field(description="the watch list entries that track the lot")


class BoardOut(BaseModel):
    total: int
    rows: list[BoardRowOut]


class WatchEntryIn(BaseModel):
    credit_code: Ascii = Field(min_length=1, max_length=32, description="统一社会信用代码 of a registered entity")
    grounds: Text = Field(min_length=2, max_length=2000, description="why it is watched")
    until: Day | None = Field(default=None, description="its last day on the list (China Standard Time), if any")


class WatchRemovalIn(BaseModel):
    reason: Text = Field(min_length=2, max_length=2000)


class WatchEntryOut(BaseModel):
    id: int
    entity_id: int
    entity_name: str
    region_code: str | None = Field(description="the jurisdiction of the supervisor who added it; null: all")
    trade_type: str | None
    grounds: str
    until: date | None
    added_at: datetime
    removed_at: datetime | None
    removal_reason: str | None
    tracked_tender_ids: list[int] = Field(
        default_factory=list,
        description="its live lots in the reader's jurisdiction: owner or agent at once, bidder only after opening",
    )
