"""API shapes of the award stage. Amounts travel as decimal strings of yuan."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.inputs import Ascii, Day, Id, Moment, Text


class PublicityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ends_at: Moment | None = Field(
        default=None,
        description="End of the publicity: at least 24:00 CST of the third day after it starts (实施条例 第54条); "
        "by default exactly then",
    )


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(min_length=2, max_length=20_000)
    interest: Text | None = Field(
        default=None,
        min_length=2,
        max_length=2_000,
        description="For an objector that did not bid (其他利害关系人, 实施条例 第54条): its interest in the result",
    )


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(min_length=2, max_length=20_000)
    changes_result: bool = Field(
        default=False,
        description="The committee's review (复核) changes the evaluation result: the candidates are publicised "
        "again for at least 3 days before the award (实施条例 第54条)",
    )


class RepublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    recommended: list[Id] = Field(
        min_length=1, max_length=3, description="The bids the committee now recommends, in rank order"
    )
    basis: Text = Field(
        min_length=2, max_length=2_000, description="The committee's review or the decision that changed the result"
    )
    ends_at: Moment | None = Field(
        default=None, description="End of the fresh publicity: at least 3 days (实施条例 第54条); by default exactly"
    )


class PassedOverIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bid_id: Id
    ground: Ascii = Field(description="gave_up, force_majeure, no_performance_security or ineligible (第55条)")
    note: Text = Field(min_length=2, max_length=2000)


class AwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bid_id: Id = Field(description="The winning candidate's bid: the first-ranked, unless passed over (第55条)")
    passed_over: list[PassedOverIn] = Field(
        default_factory=list, max_length=3, description="Each candidate ranked above the winner, in order, and why"
    )
    determined_on: Day | None = Field(
        default=None,
        description="政府采购 only: the day the purchaser determined the supplier, if before today (政府采购法实施条例 "
        "第43条: within 5 working days of the report, the letter and notice within 2 working days of it)",
    )


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Ascii = Field(
        description="Contract amount in yuan: the award price (招标投标法 第46条)", examples=["987654.32"]
    )
    signed_on: Day
    blob_sha256: Ascii | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="The signed contract file")


class CandidateOut(BaseModel):
    rank: int
    bid_id: int
    entity_id: int
    name: str
    price: str = Field(description="Bid price in yuan")


class ObjectionOut(BaseModel):
    id: int
    tender_id: int
    raised_at: datetime
    answer_due: date
    answered_at: datetime | None
    answered_late: bool | None
    text: str | None = Field(description="For the objector and the owner or its agent")
    answer: str | None = Field(description="For the objector and the owner or its agent")


class PublicityOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    round: int = Field(description="1, then one more each time a changed result is publicised again (第54条)")
    state: str = Field(description="publicised, or result_changed while the award waits for a fresh publicity")
    running: bool
    candidates: list[CandidateOut]
    objections_raised: int
    objections_pending: int
    objections: list[ObjectionOut] | None = Field(description="The texts, for the owner or its agent only")


class AwardedOut(BaseModel):
    bid_id: int
    entity_id: int
    name: str
    rank: int
    price: str = Field(description="Award price in yuan")
    passed_over: list[dict[str, object]]
    awarded_at: datetime
    contract_due: date = Field(description="招标投标法 第46条: 30 days after the letter of award")
    notice: dict[str, object] = Field(description="The award notice (中标结果公告)")
    notice_sha256: str


class ContractOut(BaseModel):
    amount: str
    signed_on: date
    blob_sha256: str | None
    late: bool
    recorded_at: datetime


class AwardStageOut(BaseModel):
    """What anyone sees: the candidates and prices during publicity; the winner and price after the award."""

    tender_id: int
    stage: str
    suspended: bool = Field(
        description="The supervisory department has suspended the tender while it handles a complaint (第62条)"
    )
    publicity: PublicityOut | None
    award: AwardedOut | None
    contract: ContractOut | None


class LetterOut(BaseModel):
    id: int
    tender_id: int
    entity_id: int
    kind: str = Field(description="award (中标通知书) or result (中标结果通知)")
    issued_at: datetime
    text: str
    sha256: str = Field(description="SHA-256 of the text's UTF-8 bytes")
    note: str = Field(description="C2SP signed note over the digest, by the ledger's keys (base64)")
    void_since: datetime | None = Field(
        default=None,
        description="When a complaint's decision made the award void (实施条例 第81条: 中标无效) by ordering "
        "re-evaluation or a re-tender; the letter stays for the record",
    )


class ResultChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(min_length=2, max_length=20_000, description="The written challenge (政府采购法 第52条)")


class ProcessChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(min_length=2, max_length=20_000, description="The written challenge (政府采购法 第52条)")
    stage_ended_on: date = Field(
        description="The day the step challenged ended (Beijing date; 政府采购法实施条例 第五十三条 第（二）项)"
    )


class ResultChallengeOut(BaseModel):
    id: int
    tender_id: int
    raised_at: datetime
    challenge_due: date = Field(description="The last day it could be made (实施条例 第53条 (三))")
    answer_due: date = Field(description="Answered within 7 working days of receipt (政府采购法 第53条)")
    answered_at: datetime | None
    answered_late: bool | None
    text: str
    answer: str | None
