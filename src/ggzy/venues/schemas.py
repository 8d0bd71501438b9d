"""API shapes of venues and bookings. Times travel in ISO 8601 with their offset; they are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Id, Moment, Name, Text
from ggzy.venues.rules import Purpose, VenueKind
from ggzy.venues.site_record_rules import MAX_EVIDENCE
from ggzy.venues.site_record_rules import Category as SiteCategory
from ggzy.venues.site_record_rules import Session as SiteSession
from ggzy.venues.site_record_rules import SubjectKind as SiteSubjectKind


class VenueIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(min_length=1, max_length=100, examples=["第一开标室"])
    kind: VenueKind = Field(description="opening_room 开标室 / evaluation_room 评标室 / remote_evaluation 远程异地评标")
    seats: int = Field(ge=1, le=1000, description="评标工位 (or seats of the opening room)")


class VenueOut(BaseModel):
    id: int
    centre_id: int
    name: str
    kind: VenueKind
    seats: int
    active: bool
    created_at: datetime
    retired_at: datetime | None


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue_id: Id
    purpose: Purpose
    starts_at: Moment = Field(examples=["2026-12-19T09:00:00+08:00"])
    ends_at: Moment = Field(examples=["2026-12-19T11:00:00+08:00"])


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=2000)


class BookingOut(BaseModel):
    id: int
    venue_id: int
    tender_id: int
    purpose: Purpose
    starts_at: datetime
    ends_at: datetime
    status: str
    booked_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(min_length=1, max_length=300)
    sha256: Ascii = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file uploaded to the blob store")


class SiteRecordIn(BaseModel):
    """An on-site record (现场见证记录, decision 0048). ``occurred_at`` in ISO 8601 with its offset (Beijing time
    +08:00 on the pages); the subject is an expert of the tender's committee (``expert_id``), one of its bidders
    (``entity_id``, and the representative's name if known), or its owner or agent (``entity_id`` checked)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    session: SiteSession
    occurred_at: Moment = Field(examples=["2026-12-19T09:40:00+08:00"])
    subject_kind: SiteSubjectKind
    expert_id: Id | None = None
    entity_id: Id | None = None
    representative_name: Name | None = Field(default=None, max_length=100)
    category: SiteCategory
    description: Text = Field(min_length=1, max_length=5000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=MAX_EVIDENCE)
    amends_id: Id | None = Field(default=None, description="The record this one corrects (it stays, marked amended)")


class SiteRecordWithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=1, max_length=2000)


class SiteRecordOut(BaseModel):
    id: int
    tender_id: int
    session: str
    occurred_at: datetime
    subject_kind: str
    expert_id: int | None
    entity_id: int | None
    subject_name: str
    representative_name: str | None
    category: str
    description: str
    evidence: list[dict[str, str]]
    amends_id: int | None
    amended_by_id: int | None
    recorded_by: int
    recorded_at: datetime
    withdrawn_at: datetime | None
    withdraw_reason: str | None
