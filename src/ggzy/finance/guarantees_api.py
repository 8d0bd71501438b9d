"""The open API of electronic guarantees for financial institutions (decision 0035), and 中标贷 offers.

Amounts in integer 分 (fen). Each guarantee document is canonical JSON signed with the institution's certificate
(:func:`ggzy.finance.guarantees.signed_bytes`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ggzy.core.errors import InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id, Text
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.crypto import (
    CertificateExpired,
    CertificateMalformed,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
)
from ggzy.finance import guarantees as g
from ggzy.finance.access import DepositsSealed

router = APIRouter(tags=["guarantees"], route_class=PermissionedRoute)

Onboarder = Annotated[Principal, Depends(require(Permission.INSTITUTION_ONBOARD))]
InstitutionUser = Annotated[Principal, Depends(require(Permission.GUARANTEE_ISSUE))]
GuaranteeReader = Annotated[Principal, Depends(require(Permission.GUARANTEE_READ))]
LoanApplicant = Annotated[Principal, Depends(require(Permission.AWARD_LOAN_OFFER))]

_CERTIFICATE = (
    CertificateUntrusted,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateMalformed,
)
_DOCUMENT = (
    g.NotAnInstitution, g.CertificateNotTheInstitutions, g.GuaranteeSignatureInvalid, g.GuaranteeDocumentMalformed,
    g.GuaranteeBeneficiaryWrong, g.GuaranteeAmountShort, g.GuaranteeExpiresTooEarly, g.GuaranteeStartsTooLate,
    g.GuaranteeForAnotherBidder, g.GuaranteeForAnotherLot, g.GuaranteeNotAccepted, g.GuaranteeAfterDeadline,
    *_CERTIFICATE,
)  # fmt: skip


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InstitutionIn(_In):
    kind: g.InstitutionKind = Field(description="bank (银行), guarantee_company (担保公司) or insurer (保险公司)")
    certificate_pem: Ascii = Field(
        max_length=20_000, description="The institution's entity certificate (a trusted CA's)"
    )
    intermediates_pem: list[Annotated[Ascii, Field(max_length=20_000)]] = Field(default_factory=list, max_length=8)


class InstitutionOut(BaseModel):
    id: int
    entity_id: int
    kind: str
    certificate_fingerprint: str
    centre_id: int
    onboarded_at: datetime


class QuoteIn(_In):
    tender_id: Id
    applicant_credit_code: Ascii = Field(min_length=18, max_length=18, description="The bidder's credit code")
    fee_fen: int = Field(ge=0, le=10**12, description="The institution's fee (保费), in fen")


class QuoteOut(BaseModel):
    id: int
    tender_id: int
    applicant_entity_id: int
    amount_fen: int = Field(description="The deposit the tender requires: the guarantee's amount")
    fee_fen: int
    valid_until: datetime = Field(description="The guarantee must last at least to this (the bid validity's end)")
    quoted_at: datetime


class SignedDocumentIn(_In):
    model_config = ConfigDict(extra="forbid")  # the document's texts are signed as they are: no stripping
    document: dict[str, Any] = Field(description="The guarantee document (format ggzy-guarantee/1) as signed")
    signature: Ascii = Field(max_length=2_000, description="Base64 signature over the document's canonical JSON")
    certificate_pem: Ascii = Field(max_length=20_000)
    intermediates_pem: list[Annotated[Ascii, Field(max_length=20_000)]] = Field(default_factory=list, max_length=8)


class IssueIn(SignedDocumentIn):
    fee_fen: int | None = Field(default=None, ge=0, le=10**12)


class ReasonIn(_In):
    reason: Text = Field(min_length=2, max_length=2_000)


class PaymentIn(_In):
    payment_reference: Ascii = Field(min_length=1, max_length=64, description="The institution's payment reference")


class GuaranteeOut(BaseModel):
    id: int
    number: str
    institution_id: int
    tender_id: int
    applicant_entity_id: int
    beneficiary_entity_id: int
    amount_fen: int
    fee_fen: int | None
    valid_from: datetime
    valid_until: datetime
    version: int
    status: str = Field(description="issued, cancelled, claimed or paid")
    document: str = Field(description="The canonical JSON the institution signed")
    signature: str
    certificate_fingerprint: str
    issued_at: datetime
    claim_reason: str | None
    claimed_at: datetime | None
    paid_at: datetime | None
    payment_reference: str | None

    @classmethod
    def of(cls, row: g.Guarantee) -> GuaranteeOut:
        return cls.model_validate(row, from_attributes=True)


class AwardLoanIn(_In):
    tender_id: Id
    institution_id: Id
    amount_fen: int = Field(ge=1, le=10**14, description="The loan asked for, in fen")
    consent: bool = Field(description="The bidder consents to show its letter of award to the institution")


class AwardLoanOut(BaseModel):
    id: int
    tender_id: int
    entity_id: int
    institution_id: int
    letter_sha256: str
    amount_fen: int
    consent: str
    offered_at: datetime


@router.post(
    "/guarantees/institutions", response_model=InstitutionOut, status_code=201,
    summary="Onboard a financial institution (bank, guarantee company, insurer) from its entity certificate",
    responses=problem_responses(InvalidInput, g.InstitutionExists, g.InstitutionCertificateWithoutCreditCode,
                                *_CERTIFICATE),
)  # fmt: skip
def onboard(body: InstitutionIn, db: DB, actor: Onboarder, now: Now) -> InstitutionOut:
    row = g.onboard_institution(
        db, actor, kind=body.kind, certificate_pem=body.certificate_pem, intermediates_pem=body.intermediates_pem,
        now=now,
    )  # fmt: skip
    return InstitutionOut.model_validate(row, from_attributes=True)


@router.post(
    "/guarantees/quotes", response_model=QuoteOut, status_code=201,
    summary="Quote a bidder for a tender's deposit: the amount and validity the tender requires, and the fee",
    responses=problem_responses(NotFound, InvalidInput, g.NotAnInstitution, g.GuaranteeNotAccepted,
                                g.GuaranteeAfterDeadline),
)  # fmt: skip
def quote(body: QuoteIn, db: DB, actor: InstitutionUser, now: Now) -> QuoteOut:
    row = g.quote(
        db, actor, tender_id=body.tender_id, applicant_credit_code=body.applicant_credit_code, fee_fen=body.fee_fen,
        now=now,
    )  # fmt: skip
    return QuoteOut.model_validate(row, from_attributes=True)


@router.post(
    "/guarantees", response_model=GuaranteeOut, status_code=201,
    summary="Issue a guarantee: the signed document, verified (signature, certificate chain, the institution's own) "
    "and fitting the tender (beneficiary, amount, validity, bidder and lot)",
    responses=problem_responses(NotFound, g.GuaranteeNumberUsed, *_DOCUMENT),
)  # fmt: skip
def issue(body: IssueIn, db: DB, actor: InstitutionUser, now: Now) -> GuaranteeOut:
    row = g.issue_guarantee(
        db, actor, document=body.document, signature=body.signature, certificate_pem=body.certificate_pem,
        intermediates_pem=body.intermediates_pem, fee_fen=body.fee_fen, now=now,
    )  # fmt: skip
    return GuaranteeOut.of(row)


@router.get(
    "/guarantees", response_model=list[GuaranteeOut],
    summary="The institution's own guarantees", responses=problem_responses(g.NotAnInstitution),
)  # fmt: skip
def mine(db: DB, actor: InstitutionUser) -> list[GuaranteeOut]:
    return [GuaranteeOut.of(row) for row in g.guarantees_of_institution(db, actor)]


@router.get(
    "/guarantees/{guarantee_id}", response_model=GuaranteeOut,
    summary="A guarantee: its institution and bidder at any time; the owner, agent, centre staff and supervisor "
    "once the opening began",
    responses=problem_responses(NotFound, DepositsSealed),
)  # fmt: skip
def read(guarantee_id: Id, db: DB, actor: GuaranteeReader) -> GuaranteeOut:
    return GuaranteeOut.of(g.read_guarantee(db, actor, guarantee_id=guarantee_id))


@router.post(
    "/guarantees/{guarantee_id}/amendments", response_model=GuaranteeOut,
    summary="Amend a guarantee before the bid deadline: the next version, signed, same number, bidder and tender",
    responses=problem_responses(NotFound, g.GuaranteeStatusWrong, *_DOCUMENT),
)  # fmt: skip
def amend(guarantee_id: Id, body: SignedDocumentIn, db: DB, actor: InstitutionUser, now: Now) -> GuaranteeOut:
    row = g.amend_guarantee(
        db, actor, guarantee_id=guarantee_id, document=body.document, signature=body.signature,
        certificate_pem=body.certificate_pem, intermediates_pem=body.intermediates_pem, now=now,
    )  # fmt: skip
    return GuaranteeOut.of(row)


@router.post(
    "/guarantees/{guarantee_id}/cancel", response_model=GuaranteeOut,
    summary="Cancel a guarantee, before the bid deadline only",
    responses=problem_responses(NotFound, g.NotAnInstitution, g.GuaranteeStatusWrong, g.GuaranteeAfterDeadline),
)  # fmt: skip
def cancel(guarantee_id: Id, body: ReasonIn, db: DB, actor: InstitutionUser, now: Now) -> GuaranteeOut:
    return GuaranteeOut.of(g.cancel_guarantee(db, actor, guarantee_id=guarantee_id, reason=body.reason, now=now))


@router.post(
    "/guarantees/{guarantee_id}/claim/payment", response_model=GuaranteeOut,
    summary="Pay a lodged claim (the institution)",
    responses=problem_responses(NotFound, g.NotAnInstitution, g.GuaranteeStatusWrong),
)  # fmt: skip
def pay(guarantee_id: Id, body: PaymentIn, db: DB, actor: InstitutionUser, now: Now) -> GuaranteeOut:
    row = g.pay_claim(db, actor, guarantee_id=guarantee_id, payment_reference=body.payment_reference, now=now)
    return GuaranteeOut.of(row)


@router.post(
    "/award-loans", response_model=AwardLoanOut, status_code=201,
    summary="Offer one's letter of award to an institution for a loan (中标贷), with one's consent recorded",
    responses=problem_responses(NotFound, InvalidInput, g.NoAwardLetter, g.AwardLoanConsentMissing),
)  # fmt: skip
def offer_award_letter(body: AwardLoanIn, db: DB, actor: LoanApplicant, now: Now) -> AwardLoanOut:
    row = g.offer_award_letter(
        db, actor, tender_id=body.tender_id, institution_id=body.institution_id, amount_fen=body.amount_fen,
        consent=body.consent, now=now,
    )  # fmt: skip
    return AwardLoanOut.model_validate(row, from_attributes=True)


@router.get(
    "/award-loans/offered", response_model=list[AwardLoanOut],
    summary="The letters of award offered to this institution for loans",
    responses=problem_responses(g.NotAnInstitution),
)  # fmt: skip
def offered(db: DB, actor: InstitutionUser) -> list[AwardLoanOut]:
    return [AwardLoanOut.model_validate(row, from_attributes=True) for row in g.offers_to_institution(db, actor)]
