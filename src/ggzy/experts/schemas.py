"""API shapes of the expert register and the committee draw."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Id, Name


class ExpertIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: Id = Field(description="A user holding the expert role")
    name: Name = Field(min_length=2, max_length=100)
    employer_id: Id = Field(description="The expert's employer in the entity register (for recusal, 回避)")
    specialty_codes: list[Ascii] = Field(min_length=1, max_length=20, examples=[["A01", "B0203"]])
    tier: Literal["province", "city", "county"] = Field(description="The pool: 省级总库, 市州综合库, 县区子库")
    region_code: Ascii = Field(description="GB/T 2260 code of the pool's region; its level is the tier")


class ExpertOut(BaseModel):
    id: int
    user_id: int
    name: str
    employer_id: int
    specialty_codes: list[str]
    tier: str
    region_code: str
    active: bool
    registered_at: datetime


class DrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    specialty_code: Ascii = Field(min_length=1, max_length=16)
    size: int = Field(ge=1, le=99, description="Members, the owner's representatives included: ≥ 5 and odd (第37条)")
    reserve: int = Field(default=2, ge=0, le=20, description="Reserve experts (备选) drawn besides")
    owner_representative_user_ids: list[Id] = Field(
        default_factory=list, description="Users of the owner sitting as its representatives: at most a third"
    )


class MemberOut(BaseModel):
    member_id: int
    kind: str = Field(description="expert | owner_representative | reserve")
    position: int
    user_id: int
    expert_id: int | None
    name: str | None
    checked_in_at: datetime | None = Field(default=None, description="When the centre's staff checked the member in")
    pool_region_code: str | None = Field(
        default=None, description="The pool a drawn expert came from: its register's region (decision 0041)"
    )


class DrawOut(BaseModel):
    """The draw as centre staff see it; members are shown to them only."""

    tender_id: int
    specialty_code: str
    size: int
    owner_representatives: int
    reserve: int
    candidates: int = Field(description="Active experts of the specialty in the pools open to the centre")
    pool_rule: str | None = Field(default=None, description="How the pools were drawn from: nearest_first | together")
    recused: int = Field(description="Of those, recused for working for the owner, the agent or a bidder")
    drawn_at: datetime
    members: list[MemberOut]


class CheckInIn(BaseModel):
    """A sitting member arrived at the evaluation venue (签到)."""

    model_config = ConfigDict(extra="forbid")

    member_id: Id = Field(description="The member's seat (member_id of the committee drawn)")


class AttendanceOut(BaseModel):
    member_id: int
    position: int
    checked_in_at: datetime
