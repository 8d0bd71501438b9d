"""API in and out of credit (decision 0040)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ggzy.core.inputs import Ascii, Day, Id, Name, Number, Text
from ggzy.credit.rules import PenaltyKind, Polarity, SubjectKind


class PenaltyIn(BaseModel):
    decision_number: Name = Field(min_length=1, max_length=64, description="The decision's number (文号)")
    kind: PenaltyKind
    legal_basis: Ascii = Field(
        min_length=1, max_length=16, description="The article: ztb53, ztb54, zfcg77, ztb55, ssl70, ssl71, ssl72"
    )
    credit_code: Ascii | None = Field(default=None, max_length=18, description="The entity penalised (by code)")
    expert_id: Id | None = Field(default=None, description="The expert penalised")
    subject_name: Name | None = Field(default=None, max_length=200, description="Its name, if not registered here")
    grounds: Text = Field(max_length=4000, description="The facts and reasons (required)")
    fine: Number | None = Field(default=None, description="A fine's amount in yuan (decimal string)")
    basis_amount: Number | None = Field(default=None, description="The project's amount in yuan a fine in ‰ is of")
    points: int | None = Field(default=None, ge=-1000, le=1000, description="A credit deduction's points")
    months: int | None = Field(default=None, ge=-1000, le=1000, description="A suspension's length in months")
    effective_on: Day | None = Field(default=None, description="The first day (Beijing); today when not given")
    site_record_ids: list[Id] = Field(
        default_factory=list, max_length=20,
        description="On-site records (现场见证记录) about the same subject cited as evidence (decision 0048)",
    )  # fmt: skip


class PenaltyOut(BaseModel):
    id: int
    decision_number: str
    kind: str
    subject_kind: str
    credit_code: str | None
    subject_name: str
    article: str
    grounds: str
    fine_fen: int | None
    points: int | None
    months: int | None
    effective_from: datetime
    effective_until: datetime | None
    appeal_route: str
    decided_at: datetime
    record_id: int
    site_record_ids: list[int] = Field(default_factory=list, description="The on-site records it cites")


class RecordIn(BaseModel):
    subject_kind: SubjectKind
    credit_code: Ascii | None = Field(default=None, max_length=18)
    expert_id: Id | None = None
    person_id_number: Ascii | None = Field(default=None, max_length=18, description="A key person's ID number")
    subject_name: Name = Field(min_length=1, max_length=200)
    polarity: Polarity
    points: int = Field(ge=-100, le=100)
    grounds: Text = Field(max_length=4000)
    legal_basis: Name = Field(min_length=1, max_length=200)
    source_name: Name = Field(min_length=1, max_length=200, description="The authority that decided it")
    valid_from: Day
    valid_until: Day | None = None


class RecordOut(BaseModel):
    id: int
    subject_kind: str
    credit_code: str | None
    subject_name: str
    person_id_masked: str | None = None
    polarity: str
    points: int
    restricts: bool
    grounds: str
    legal_basis: str
    source: str
    source_name: str
    valid_from: datetime
    valid_until: datetime | None
    status: str


class RevokeIn(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000, description="The decision on appeal that revoked it")


class ListImportOut(BaseModel):
    list_id: int
    source: str
    published_on: date
    added: int
    updated: int
    ended: int
    unchanged: int


class InterceptionCount(BaseModel):
    checkpoint: str
    count: int


class BlacklistRow(BaseModel):
    credit_code: str | None
    subject_name: str
    reference: str = Field(description="The decision's number, or the list's source")
    source: str
    grounds: str
    legal_basis: str
    law: str | None = Field(
        description="The trades it closes: tendering_law (projects that must be tendered), procurement_law "
        "(government procurement), or null (every trade)"
    )
    valid_from: datetime
    valid_until: datetime | None


class CreditReport(BaseModel):
    credit_code: str
    subject_name: str | None
    restricted: bool
    points: int
    records: list[RecordOut]
