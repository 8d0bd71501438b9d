"""API shapes of evaluation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Id, Name, Number, Text
from ggzy.evaluation.rules import PriceFormula
from ggzy.experts.schemas import MemberOut


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: Ascii = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", examples=["technical"])
    name: Name = Field(min_length=1, max_length=100, examples=["施工组织设计"])
    max_points: Number = Field(gt=0, le=100, decimal_places=2)


class SchemeIn(BaseModel):
    """The scoring scheme of the tender documents: qualification criteria, scored criteria, and the price score."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    qualification_criteria: list[Ascii] = Field(default_factory=list, max_length=50, examples=[["business_licence"]])
    criteria: list[CriterionIn] = Field(default_factory=list, max_length=50)
    price_weight: Number = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    price_formula: PriceFormula = PriceFormula.LOWEST_BASE
    k_percent: Number = Field(default=Decimal(0), ge=0, lt=100, decimal_places=2, description="Construction K")
    deduction_above: Number = Field(default=Decimal(1), ge=0, le=100, decimal_places=2)
    deduction_below: Number = Field(default=Decimal("0.5"), ge=0, le=100, decimal_places=2)


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheme: SchemeIn
    lead_member_id: Id | None = Field(default=None, description="The committee's lead; by default the first expert")


class QualificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bid_id: Id
    marks: dict[Ascii, bool] = Field(description="Pass (true) or fail per qualification criterion")


class ScoreSheetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bid_id: Id
    scores: dict[Ascii, Number] = Field(
        description=(
            "A score per criterion, 0 to its maximum, ≤ 2 places, a plain decimal (27.5, not 2.75E+1). When the "
            'sheet is signed, send each score as a JSON string spelt as in the signed message ("27.50"): a JSON '
            "number may arrive re-spelt (27.50 as 27.5) and the signature would not match"
        )
    )
    signature: Ascii | None = Field(
        default=None,
        max_length=128,
        description=(
            "Required once the member has a signing key in force: base64 of the ECDSA P-256 / SHA-256 signature "
            '(IEEE P1363 r‖s, 64 bytes) over the message of ggzy.evaluation.signing ("ggzy score sheet v1")'
        ),
    )


class SigningKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: Ascii = Field(
        min_length=1, max_length=512, description="ECDSA P-256 SubjectPublicKeyInfo DER, base64 (WebCrypto spki)"
    )


class SigningKeyOut(BaseModel):
    fingerprint: str = Field(description="SHA-256 of the SubjectPublicKeyInfo DER, hex")
    public_key: str
    created_at: datetime
    revoked_at: datetime | None


class RejectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bid_id: Id
    ground: Ascii = Field(description="A ground of 招标投标法实施条例 第51条, e.g. not_responsive")
    note: Text = Field(min_length=2, max_length=2000)


class MarksOut(BaseModel):
    bid_id: int
    marks: dict[str, bool]
    marked_at: datetime


class ScoreSheetOut(BaseModel):
    bid_id: int
    scores: dict[str, Decimal]
    total: Decimal
    sha256: str
    submitted_at: datetime
    key_fingerprint: str | None = Field(description="The member's signing key, if the sheet is signed")
    signature: str | None
    signed_message: str | None


class RejectionOut(BaseModel):
    bid_id: int
    ground: str
    note: str
    automatic: bool
    rejected_at: datetime


class ChairVoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    candidate_member_id: Id = Field(description="The sitting member elected as the lead (a seat of committee.seats)")


class ChairVoteOut(BaseModel):
    candidate_member_id: int
    voted_at: datetime
    votes_cast: int
    committee_size: int
    lead_basis: str = Field(description="provisional until a member is named by more than half, then elected")
    lead_member_id: int = Field(description="The lead: the convening member while provisional, then the elected")


class ReportSignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opinion: Ascii = Field(max_length=16, description="agree | dissent", examples=["agree"])
    reasons: Text = Field(
        default="", max_length=4000, description="The dissent and its reasons in writing: required for a dissent"
    )
    signature: Ascii = Field(
        max_length=128,
        description=(
            "base64 of the ECDSA P-256 / SHA-256 signature (IEEE P1363 r‖s) by the member's enrolled key over the "
            'text of ggzy.evaluation.report_signing.report_message ("ggzy evaluation report v1")'
        ),
    )


class SignatureRefusalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: Id = Field(description="The sitting member who refused to sign without written reasons")


class ReportSignatureOut(BaseModel):
    member_id: int
    opinion: str = Field(description="agree | dissent | deemed_agreed (refused without written reasons, 第53条)")
    reasons: str
    key_fingerprint: str | None
    signature: str | None
    signed_message: str | None
    recorded_at: datetime


class SeatOut(BaseModel):
    """A sitting member's seat, without who sits in it (招标投标法 第37条: names only for the centre's staff)."""

    member_id: int
    position: int
    kind: str = Field(description="expert | owner_representative")
    checked_in: bool = Field(description="Checked in at the evaluation venue (签到)")
    lead: bool = Field(description="The committee's lead (评标委员会负责人)")


class CommitteeOut(BaseModel):
    size: int
    experts: int
    owner_representatives: int
    reserve: int
    members: list[MemberOut] | None = Field(description="Only for staff of the project's centre (第37条)")
    seats: list[SeatOut] | None = Field(
        default=None,
        description=(
            "The sitting seats, without names, for the centre's staff and the committee's own members (to elect the "
            "lead and read the signatures); null for everyone else"
        ),
    )


class EvaluationOut(BaseModel):
    tender_id: int
    stage: str = Field(description="The tender's stage through evaluation: opened, evaluating or evaluated")
    method: str
    scheme: dict[str, Any] | None
    committee: CommitteeOut | None
    score_sheets: int = Field(description="Score sheets submitted so far")
    report: dict[str, Any] | None = Field(
        description="The report, for the owner, its agent, the centre and the committee's members (who sign it)"
    )
    report_sha256: str | None
    lead_basis: str | None = Field(
        default=None, description="designated (named by the owner), provisional (until elected) or elected"
    )
    signatures: list[ReportSignatureOut] | None = Field(
        default=None,
        description="The report's signatures and dissents (实施条例 第53条), for whoever reads the report",
    )


class AssignmentOut(BaseModel):
    tender_id: int
    title: str
    member_id: int
    kind: str
    lead: bool
    stage: str
