"""API shapes of complaints (投诉, 招标投标法实施条例 第60条–第62条)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Day, Name, Text


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
