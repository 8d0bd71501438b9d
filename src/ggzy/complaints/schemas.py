"""API shapes of complaints (投诉, 招标投标法实施条例 第60条–第62条)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Day, Id, Moment, Name, Text


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(min_length=1, max_length=300)
    sha256: Ascii = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file uploaded to the blob store")


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    matter: Ascii = Field(
        description="documents (第22条), opening (第44条), evaluation_result (第54条): each after an objection; "
        "or other"
    )
    request: Text = Field(max_length=5_000, description="The clear request (明确的请求, 第60条)")
    facts: Text = Field(min_length=2, max_length=50_000)
    evidence: list[EvidenceIn] = Field(max_length=100, description="The necessary evidence (必要的证明材料, 第60条)")
    knew_on: Day = Field(description="The day the complainant knew, or should have known, of the act (第60条)")
    interest: Text | None = Field(
        default=None, min_length=2, max_length=2_000, description="For one that did not bid: its interest"
    )


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=20_000)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Ascii = Field(
        description="inspection, testing, appraisal or expert_review (not counted, 第61条); under 政府采购法 also "
        "supplement, the complainant supplementing its material (政府采购法实施条例 第58条)"
    )
    note: Text = Field(min_length=2, max_length=5_000)


class UpholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Text = Field(min_length=2, max_length=50_000, description="The written decision (书面处理决定)")
    remedy: Ascii = Field(
        description="corrective_action; re_evaluation (the round goes back to opened, its evaluation, publicity "
        "and award superseded) or re_tender (the round fails; the lot starts a new one), 第81条"
    )
    committee: Ascii | None = Field(
        default=None,
        description="With re_evaluation, and only then: same (the committee sits again) or new (a new committee "
        "is drawn at random, without the members of the superseded one)",
    )


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Text = Field(min_length=2, max_length=50_000, description="The written decision (驳回)")
    false_complaint: bool = Field(
        default=False, description="Fabricated facts, forged material or illegally obtained evidence (第61条, 第77条)"
    )


class ComplaintOut(BaseModel):
    """A complaint as its complainant and the supervisors and inspectors of its jurisdiction see it."""

    id: int
    tender_id: int
    entity_id: int
    matter: str
    objection_id: int | None
    interest: str | None
    request: str
    facts: str
    evidence: list[dict[str, str]]
    knew_on: date
    lodged_at: datetime
    lodge_due: date
    status: str = Field(description="lodged, accepted, refused, upheld or dismissed")
    acceptance_due: date = Field(description="第61条: 3 working days after receipt")
    accepted_at: datetime | None
    acceptance_late: bool | None
    decision_due: date | None = Field(description="第61条: 30 working days after acceptance, reviews not counted")
    review_kind: str | None
    excluded_working_days: int
    suspended: bool = Field(description="Whether the tender is suspended (第62条)")
    decided_at: datetime | None
    decision: str | None
    remedy: str | None
    committee: str | None = Field(description="Who re-evaluates, as a re-evaluation decision says: same or new")
    false_complaint: bool | None
    decided_late: bool | None


class InvestigationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Ascii = Field(
        description="documents (查阅复制文件资料), inquiry (调查询问), site_survey (现场勘查), "
        "testing (检验检测鉴定) or "
        "expert_review (专家评审) — the last two within a review started on the complaint (第61条), 实施条例 第62条"
    )
    taken_on: Day = Field(description="The day the step was taken (Beijing), between acceptance and today")
    heard_role: Ascii | None = Field(
        default=None,
        description="Who was heard: complainant, owner, agent, bidder, expert (never named), witness, other",
    )
    heard_name: Name | None = Field(default=None, min_length=1, max_length=200)
    summary: Text = Field(min_length=2, max_length=20_000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=100)


class InvestigationOut(BaseModel):
    id: int
    complaint_id: int
    kind: str
    taken_on: date
    heard_role: str | None
    heard_name: str | None
    summary: str
    evidence: list[dict[str, str]]
    review_event_id: int | None = Field(description="The complaint.review_started event the step belongs to")
    recorded_at: datetime


class HearingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    held_at: Moment = Field(description="When the hearing is held (with its offset; shown in Beijing time)")
    place: Name = Field(min_length=2, max_length=300, description="The room, or the remote meeting's link or means")
    remote: bool = False
    matters: Text = Field(min_length=2, max_length=5_000, description="The matters to be heard (质证事项)")
    bidder_ids: list[Id] = Field(
        default_factory=list, max_length=100, description="The bidders concerned (only once the bids are public)"
    )


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Ascii = Field(description="complainant, owner, agent or bidder, as notified")
    entity_id: Id
    attended: bool
    representative: Name | None = Field(default=None, max_length=100)
    statement: Text | None = Field(default=None, max_length=20_000, description="The party's statement, summarised")


class HearingRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    attendance: list[AttendanceIn] = Field(min_length=1, max_length=100)
    summary: Text = Field(min_length=2, max_length=50_000)


class HearingOut(BaseModel):
    """A hearing as its reader may see it: a party sees the other parties' names only once the bids are public."""

    id: int
    complaint_id: int
    held_at: datetime
    place: str
    remote: bool
    matters: str
    parties: list[dict[str, Any]]
    scheduled_at: datetime
    recorded_at: datetime | None
    record: dict[str, Any] | None
    record_sha256: str | None
