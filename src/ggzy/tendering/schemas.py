"""API shapes of tendering."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ggzy.core import public_ids
from ggzy.core.inputs import Ascii, Id, Moment, Name, Number, Text
from ggzy.core.money import yuan_to_fen
from ggzy.tendering import summary_form
from ggzy.tendering.procedures import Method

# Bids, registrations and objections are named by their public ids (ggzy.core.public_ids), never by their integer
# keys, which count what other bidders did (招标投标法 第22条).
BidId = Annotated[
    str,
    Field(
        pattern=public_ids.pattern(public_ids.BID),
        description="A bid's public id",
        examples=[public_ids.example(public_ids.BID)],
    ),
]
BidPath = Annotated[str, public_ids.path_parameter(public_ids.BID, "bid")]
ObjectionPath = Annotated[str, public_ids.path_parameter(public_ids.OBJECTION, "objection")]
OpeningObjectionPath = Annotated[str, public_ids.path_parameter(public_ids.OPENING_OBJECTION, "opening objection")]
SoleSupplierObjectionPath = Annotated[
    str, public_ids.path_parameter(public_ids.SOLE_SUPPLIER_OBJECTION, "objection to a sole supplier's publicity")
]


class SummaryFieldIn(BaseModel):
    """An item of the opening summary (开标一览表) a tender declares."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: Name = Field(
        min_length=1,
        max_length=40,
        pattern=summary_form.KEY_PATTERN.pattern,
        description="The item's key in the sealed summary (bid.json), e.g. schedule_days or 工期",
        examples=["schedule_days"],
    )
    label_zh: Name = Field(min_length=1, max_length=60, examples=["工期（日历天）"])
    label_en: Name | None = Field(default=None, min_length=1, max_length=80, examples=["Schedule (calendar days)"])
    kind: summary_form.FieldKind = Field(
        description="amount (元 on forms, integer fen in the summary), integer, days, percentage or text"
    )
    required: bool = True

    def to_field(self) -> summary_form.SummaryField:
        return summary_form.SummaryField(
            key=self.key, label_zh=self.label_zh, label_en=self.label_en or self.label_zh, kind=self.kind,
            required=self.required,
        )  # fmt: skip


class SummaryFieldOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    kind: summary_form.FieldKind
    required: bool


def summary_fields_out(fields: tuple[summary_form.SummaryField, ...]) -> list[SummaryFieldOut]:
    return [SummaryFieldOut(**field.to_json()) for field in fields]


SUMMARY_FIELDS_DESCRIPTION = (
    "The items of the opening summary (开标一览表) beyond the price, which is always declared and required "
    f"(price_fen); at most {summary_form.MAX_FIELDS - 1}"
)


class DepositIn(BaseModel):
    """The bid deposit (投标保证金) a tender requires: an amount in yuan or a percentage of the lot's estimate or
    budget, at most 2% (招标投标法实施条例 第26条; 政府采购法实施条例 第33条)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Ascii | None = Field(
        default=None, max_length=40, description="In yuan, at most two decimal places", examples=["20000.00"]
    )
    percent: Number | None = Field(
        default=None, gt=0, le=100, decimal_places=2, description="Of the lot's estimate or budget", examples=["2"]
    )

    @model_validator(mode="after")
    def _one_of_them(self) -> DepositIn:
        if (self.amount is None) == (self.percent is None):
            raise ValueError("give the amount or the percentage, one of them")
        return self

    def amount_fen(self) -> int | None:
        return yuan_to_fen(self.amount, field="deposit.amount") if self.amount is not None else None


class TenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lot_id: Id
    procedure: Ascii = Field(default="open", description="Procedure registry key: open or invited")
    method: Method = Method.SCORING
    title: Name = Field(min_length=2, max_length=300)
    notice_text: Text = Field(min_length=2, max_length=100_000, description="The tender notice (招标公告) as published")
    documents_until: Moment = Field(description="Documents on offer until (≥ 5 days; 实施条例 第16条)")
    bid_deadline: Moment = Field(description="≥ 20 days after publication (招标投标法 第24条)")
    invited_entity_ids: list[Id] = Field(default_factory=list, description="Invited tendering: ≥ 3 entities")
    summary_fields: list[SummaryFieldIn] = Field(
        default_factory=list, max_length=summary_form.MAX_FIELDS, description=SUMMARY_FIELDS_DESCRIPTION
    )
    deposit: DepositIn | None = Field(default=None, description="The bid deposit required, if any")
    bid_validity_days: int | None = Field(
        default=None, ge=1, le=365, description="投标有效期 in days from the bid deadline (实施条例 第25条)"
    )


class ClarificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(min_length=2, max_length=100_000)
    affects_bids: bool = Field(
        default=True, description="May affect the preparation of bids: then 15 days must remain, or the deadline moves"
    )
    summary_fields: list[SummaryFieldIn] | None = Field(
        default=None,
        max_length=summary_form.MAX_FIELDS,
        description="Amend the opening summary's items (实施条例 第21条; only with affects_bids). "
        + SUMMARY_FIELDS_DESCRIPTION,
    )


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(min_length=2, max_length=20_000)


class DocumentObjectionIn(TextIn):
    interest: Text | None = Field(
        default=None,
        min_length=2,
        max_length=2_000,
        description="For another interested party (其他利害关系人, 实施条例 第22条): its interest in the tender",
    )


class TenderOut(BaseModel):
    """What the public sees of a tender: never anything about its bidders before opening."""

    id: int
    lot_id: int
    lot_code: str = Field(description="The lot's code in sealed bid envelopes: unified project code / lot number")
    round: int
    procedure: str
    method: str
    stage: str
    paused: bool
    title: str
    notice_text: str
    documents_name: str | None
    documents_sha256: str | None
    documents_size: int | None
    documents_until: datetime
    bid_deadline: datetime
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    summary_fields: list[SummaryFieldOut] = Field(
        description="The opening summary (开标一览表) every bid's sealed summary must carry: the price first"
    )
    deposit_fen: int | None = Field(default=None, description="The bid deposit required, in fen (None: none)")
    bid_validity_days: int | None = Field(default=None, description="投标有效期 in days from the bid deadline")


class ClarificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    affects_bids: bool
    deadline_before: datetime
    deadline_after: datetime
    published_at: datetime


class ObjectionOut(BaseModel):
    id: str = Field(description="The objection's public id")
    tender_id: int
    raised_at: datetime
    answer_due: str
    answer: str | None
    answered_at: datetime | None


class SoleSupplierObjectionOut(BaseModel):
    """An objection to a sole supplier's publicity (政府采购法实施条例 第38条), without its objector."""

    id: str = Field(description="The objection's public id")
    tender_id: int
    text: str
    raised_at: datetime
    answer: str | None
    answered_at: datetime | None


class RegistrationOut(BaseModel):
    id: str = Field(description="The registration's public id")
    tender_id: int
    tender_title: str
    registered_at: datetime
    bid_deadline: datetime


class CustodianIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    centre_id: Id
    entity_id: Id
    name: Name = Field(min_length=1, max_length=200)
    role: Ascii = Field(description="centre, supervisor or notary")
    certificate_pem: Ascii = Field(description="The custodian's certificate (one per suite), from a trusted CA")


class CustodianOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    centre_id: int
    entity_id: int
    name: str
    role: str
    suite: str
    fingerprint: str


class OpeningKeyShareOut(BaseModel):
    """A share of the opening key as anyone may see it: no share, only who keeps it and its ciphertext's digest."""

    share_index: int
    custodian_fingerprint: str = Field(description="SHA-256 of the keeper certificate's SubjectPublicKeyInfo, hex")
    encrypted_share_sha256: str = Field(description="SHA-256 of the share encrypted to its keeper, hex")


class OpeningKeyOut(BaseModel):
    """What a bidder's client needs to seal a bid for this tender offline; and, for a custodian's client, which
    shares the key was split into (a custodian checks the encrypted share it is given against its digest here)."""

    suite: str
    public_key_pem: str
    fingerprint: str
    threshold: int
    shares: list[OpeningKeyShareOut] = Field(default_factory=list)


class CustodyShareOut(BaseModel):
    """One share a custodian of the caller's entity keeps (GET /api/v1/custody/shares)."""

    tender_id: int
    tender_url: str = Field(description="The tender's API URL, as the local assistant takes it")
    title: str
    lot_code: str
    bid_deadline: datetime
    suite: str
    share_index: int
    custodian_name: str
    custodian_role: str
    custodian_fingerprint: str
    encrypted_share: str = Field(description="Base64 of the share encrypted to the custodian's certificate")
    encrypted_share_sha256: str
    status: str = Field(description="not_due (before the bid deadline), pending (to release) or released")
    released_at: datetime | None


class BidReceiptOut(BaseModel):
    """The signed receipt of a sealed bid. ``signature`` is Ed25519 by the ledger's key (GET /api/v1/ledger/keys)
    over the canonical JSON (sorted keys, compact) of the other fields; the event's inclusion proof follows at
    GET /api/v1/ledger/events/{event_id}."""

    bid_id: str = Field(description="The bid's public id")
    tender_id: int
    received_at: str = Field(description="ISO 8601, exactly as signed")
    ciphertext_sha256: str
    ciphertext_size: int
    event_id: int
    signature: str


class SealedBidOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(validation_alias="public_id", description="The bid's public id")
    tender_id: int
    suite: str
    ciphertext_sha256: str
    ciphertext_size: int
    status: str
    submitted_at: datetime
    ended_at: datetime | None


class DataKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_key: Ascii = Field(description="Base64 data key, unwrapped by the bidder's client with its own private key")


class ShareReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share_index: int = Field(ge=1, le=255)
    share: Ascii = Field(description="Base64 of the decrypted share (16 bytes)")
    signature: Ascii = Field(
        description="Base64 signature by the custodian certificate's key over "
        "`ggzy-share-release/v1:{tender_id}:{suite}:{share_index}:` followed by the share bytes"
    )


class FinishOpeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    not_bidders_fault: list[BidId] = Field(
        default_factory=list,
        max_length=1000,
        description="Undecrypted bids (public ids) whose failure was not the bidder's fault (treated as withdrawn, "
        "not revoked)",
    )


class QuotationRoundIn(BaseModel):
    """A round of quotations in a 竞争性谈判 or 竞争性磋商; ``final`` for the last (政府采购法 第38条 (五))."""

    model_config = ConfigDict(extra="forbid")

    deadline: Moment
    final: bool = False


class QuotationRoundOut(BaseModel):
    """A round as the panel and its suppliers see it: the participants are not named (第38条 (四))."""

    number: int
    final: bool
    deadline: datetime
    opened: bool
    lot_code: str = Field(description="The lot code a quotation envelope of this round is sealed for")
    keys: list[OpeningKeyOut]


class SupplierRoundOut(BaseModel):
    """A round as one supplier sees it: whether it is in it, when it quoted and, once opened, its own price."""

    number: int
    final: bool
    deadline: datetime
    opened: bool
    in_negotiation: bool
    quoted_at: datetime | None
    my_price_fen: int | None


class OpenedQuotationOut(BaseModel):
    entity_id: int
    price_fen: int | None


class NegotiationNoticeOut(BaseModel):
    id: int
    text: str
    notified_at: datetime
