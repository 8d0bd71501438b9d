"""API shapes of venues and bookings. Times travel in ISO 8601 with their offset; they are stored in UTC."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Id, Moment, Name, Text
from ggzy.venues.rules import Purpose, VenueKind


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
