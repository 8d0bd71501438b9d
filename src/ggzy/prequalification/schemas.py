"""API shapes of prequalification (资格预审)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core import public_ids
from ggzy.core.inputs import Ascii, Id, Moment, Name, Text
from ggzy.tendering.procedures import Method

APPLICATION, OBJECTION = "pqapp", "pqobj"  # the public ids' prefixes (an integer key would count applications)
ApplicationPath = Annotated[str, public_ids.path_parameter(APPLICATION, "application")]
ObjectionPath = Annotated[str, public_ids.path_parameter(OBJECTION, "objection")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PrequalificationIn(_In):
    lot_id: Id
    title: Name = Field(min_length=2, max_length=300)
    notice_text: Text = Field(
        min_length=2, max_length=100_000, description="The prequalification notice (资格预审公告)"
    )
    criteria: Text = Field(
        min_length=2, max_length=100_000, description="The standard and method of the review (实施条例 第18条)"
    )
    documents_until: Moment = Field(description="Documents on offer until (≥ 5 days; 实施条例 第16条)")
    application_deadline: Moment = Field(
        description="≥ 5 days after the offer ends (实施条例 第17条); government procurement: ≥ 5 working days after "
        "the notice (政府采购法实施条例 第21条)"
    )


class ClarificationIn(_In):
    text: Text = Field(min_length=2, max_length=100_000)
    affects_applications: bool = Field(
        default=True, description="May affect the applications: then 3 days must remain, or the deadline moves"
    )


class TextIn(_In):
    text: Text = Field(min_length=2, max_length=20_000)


class DataKeyIn(_In):
    data_key: Ascii = Field(description="The application's data key, base64, unwrapped by the applicant's client")


class CommitteeIn(_In):
    specialty_code: Ascii = Field(min_length=1, max_length=16)
    size: int = Field(ge=1, le=99, description="Members, owner's representatives included (招标投标法 第37条)")
    owner_representative_user_ids: list[Id] = Field(default_factory=list)


class ReviewIn(_In):
    passed: bool
    reason: Text = Field(default="", max_length=20_000, description="Required when the application fails")


class InvitationIn(_In):
    method: Method = Method.SCORING
    title: Name = Field(min_length=2, max_length=300)
    notice_text: Text = Field(min_length=2, max_length=100_000, description="The invitation to bid (投标邀请书)")
    documents_until: Moment
    bid_deadline: Moment


class PrequalificationOut(BaseModel):
    """What the public sees: the notice and its dates, never who applied or how many."""

    id: int
    lot_id: int
    attempt: int
    application_code: str = Field(description="The code an application's envelope is sealed for")
    procedure: str = Field(description="The tender by invitation that follows")
    stage: str
    paused: bool
    title: str
    notice_text: str
    criteria: str
    documents_name: str | None
    documents_sha256: str | None
    documents_size: int | None
    documents_until: datetime
    application_deadline: datetime
    published_at: datetime | None
    concluded_at: datetime | None
    tender_id: int | None
    opening_keys: dict[str, str] = Field(description="Suite → the opening public key (PEM) to seal applications to")


class ClarificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    affects_applications: bool
    deadline_before: datetime
    deadline_after: datetime
    published_at: datetime


class ObjectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    public_id: str
    text: str
    raised_at: datetime
    answer_due: date
    answer: str | None
    answered_at: datetime | None


class ApplicationOut(BaseModel):
    """An application as its applicant sees it, with its result once notified; as the owner, its agent and the
    committee see it after the opening."""

    model_config = ConfigDict(from_attributes=True)

    public_id: str
    entity_id: int
    status: str
    suite: str
    ciphertext_sha256: str
    ciphertext_size: int
    submitted_at: datetime
    decrypted_at: datetime | None
    passed: bool | None = Field(description="The result, shown to its applicant once the notice is sent")
    reason: str | None
    notified_at: datetime | None


class ReviewerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    kind: str
    expert_id: int | None
    appointed_at: datetime
