"""Electronic guarantees (电子保函) from financial institutions, and award-backed loans (中标贷) — decision 0035.

A financial institution (金融机构: a bank, a guarantee company, an insurer) is onboarded by the staff of a centre from
its own entity certificate (a trusted CA's, carrying its credit code). Its people act for it only as users the
institution itself enrolled with the ``institution`` role (decision 0013: staff never bind an entity's role); the
onboarding is what gives that role any standing here. An institution then quotes, issues, amends and cancels
guarantees and pays claims, each act with its own certificate:

* A guarantee is a document in canonical JSON (RFC 8785, :func:`ggzy.core.events.canonical_json`) naming the
  institution, the applicant (the bidder), the beneficiary (the tender's owner: 受益人 is the 招标人), the tender and
  its lot, the amount in 分, the validity and the terms, signed with a certificate of the institution. The platform
  checks the certificate's chain against its trust store, that the certificate carries the institution's credit code,
  and the signature over the canonical bytes; then that the document fits the tender (:func:`document_misfits`).
* It counts as the bidder's deposit at the opening (:func:`covering_guarantee`, called by
  :mod:`ggzy.finance.views`) when it is in force, was issued by the bid deadline, is bound to that bidder and that
  tender, names the right beneficiary, covers the amount and lasts to the end of the bid validity (招标投标法实施条例
  第26条: the deposit's validity is the bid validity's).
* Who bid is secret until the opening (招标投标法 第22条): a guarantee names a bidder, so before the opening only the
  bidder and the institution see it; afterwards also the owner, its agent, the centre's staff and the supervisor.
  Every event here is undisclosed in the public ledger.
* A claim (索赔) follows the owner's forfeiture decision (``ggzy.finance.forfeiture``, 招标投标法实施条例 第35条
  第2款, 第74条): the decision lodges it, in its transaction and under its event, after the bid deadline and while
  the guarantee is in force; there is no claim without that decision (no service, no route: decision 0036). The
  institution pays it into the bidder's deposit sub-account at the bank, whose notice is posted to forfeited
  deposits (``service.record_credit``), and records its payment's reference here.
* 中标贷: a bidder holding a letter of award offers it to an institution for a loan, with its consent to show the
  letter recorded; the institution sees only the offers made to it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.events import Event, canonical_json, changes_state, record_event
from ggzy.core.permissions import Principal, Role
from ggzy.crypto import SignatureInvalid, load_certificate
from ggzy.entities.login import trust_store
from ggzy.entities.schemas import EntityIn
from ggzy.entities.service import find_entity_by_credit_code, get_entity, register_entity
from ggzy.finance.access import DepositsSealed, Reader, deposit_reader
from ggzy.tendering import read as tendering_read
from ggzy.tendering import service as tendering

if TYPE_CHECKING:
    from ggzy.crypto import Certificate as X509Certificate
    from ggzy.tendering.models import Tender

DOCUMENT_FORMAT = "ggzy-guarantee/1"
E_GUARANTEE_FORM = "电子保函"  # the deposit's form in the opening record


class InstitutionKind(StrEnum):
    BANK = "bank"  # 银行
    GUARANTEE_COMPANY = "guarantee_company"  # 担保公司
    INSURER = "insurer"  # 保险公司


class GuaranteeStatus(StrEnum):
    ISSUED = "issued"  # in force
    CANCELLED = "cancelled"  # cancelled by the institution before the bid deadline
    CLAIMED = "claimed"  # a claim lodged, not yet paid
    PAID = "paid"  # the claim paid


# --- tables -----------------------------------------------------------------------------------------------------


class Institution(Base):
    """A financial institution onboarded by a centre's staff from its entity certificate."""

    __tablename__ = "finance_institutions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # InstitutionKind
    certificate_fingerprint: Mapped[str] = mapped_column(String(64))
    certificate_pem: Mapped[str] = mapped_column(Text)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    onboarded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GuaranteeQuote(Base):
    """An institution's quote to a bidder for a tender's deposit: the amount the tender requires and its fee."""

    __tablename__ = "finance_guarantee_quotes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finance_institutions.id"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    applicant_entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)  # what the guarantee must last to
    quoted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Guarantee(Base):
    """A guarantee as issued (or last amended): the signed document and what the platform read from it."""

    __tablename__ = "finance_guarantees"
    __table_args__ = (UniqueConstraint("institution_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finance_institutions.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))  # the institution's own number (保函编号)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    applicant_entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    beneficiary_entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int | None] = mapped_column(BigInteger)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the signed bytes
    signature: Mapped[str] = mapped_column(Text)  # base64
    certificate_fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # GuaranteeStatus
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_reason: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by_entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_reference: Mapped[str | None] = mapped_column(String(64))


class AwardLoanOffer(Base):
    """A bidder's letter of award offered to an institution for a loan (中标贷), with the bidder's consent."""

    __tablename__ = "finance_award_loan_offers"
    __table_args__ = (UniqueConstraint("tender_id", "entity_id", "institution_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("finance_institutions.id"), index=True)
    letter_sha256: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # the loan asked for
    consent: Mapped[str] = mapped_column(Text)  # the consent the bidder gave, as shown to it
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- errors -----------------------------------------------------------------------------------------------------


class NotAnInstitution(DomainError):
    code = "not_an_onboarded_institution"
    status = 403
    message_zh = "只有交易中心已登记的金融机构可以办理电子保函"
    message_en = "Only a financial institution onboarded by a trading centre may act on guarantees"


class InstitutionExists(DomainError):
    code = "institution_already_onboarded"
    status = 409
    message_zh = "该金融机构已登记"
    message_en = "This financial institution is already onboarded"


class CertificateNotTheInstitutions(DomainError):
    code = "guarantee_certificate_not_the_institutions"
    status = 403
    message_zh = "签名证书不是该金融机构的证书（统一社会信用代码不符）"
    message_en = "The signing certificate is not the institution's (its credit code differs)"


class InstitutionCertificateWithoutCreditCode(DomainError):
    code = "institution_certificate_without_credit_code"
    status = 422
    message_zh = "该证书未载明统一社会信用代码，不能用于登记金融机构"
    message_en = "The certificate carries no unified social credit code, so it cannot onboard an institution"


class GuaranteeSignatureInvalid(DomainError):
    code = "guarantee_signature_invalid"
    status = 422
    message_zh = "保函的签名无法用签名证书验证"
    message_en = "The guarantee's signature does not verify with the signing certificate"


class GuaranteeDocumentMalformed(DomainError):
    code = "guarantee_document_malformed"
    status = 422
    message_zh = "保函文件不符合格式：{reason_zh}"
    message_en = "The guarantee document is malformed: {reason_en}"


class GuaranteeBeneficiaryWrong(DomainError):
    code = "guarantee_beneficiary_wrong"
    status = 422
    message_zh = "保函的受益人应为该项目的招标人（{expected}）"
    message_en = "The guarantee's beneficiary must be the tender's owner ({expected})"


class GuaranteeAmountShort(DomainError):
    code = "guarantee_amount_short"
    status = 422
    message_zh = "保函金额 {amount_fen} 分低于招标文件要求的投标保证金 {required_fen} 分"
    message_en = "The guarantee's amount ({amount_fen} fen) is below the deposit required ({required_fen} fen)"


class GuaranteeExpiresTooEarly(DomainError):
    code = "guarantee_expires_too_early"
    status = 422
    message_zh = (
        "保函有效期应不早于投标有效期届满（{required_until}），投标保证金有效期与投标有效期一致（实施条例 第二十六条）"
    )
    message_en = (
        "The guarantee must last at least to the end of the bid validity ({required_until}): a deposit's validity is "
        "the bid validity's (Regulation art. 26)"
    )


class GuaranteeStartsTooLate(DomainError):
    code = "guarantee_starts_too_late"
    status = 422
    message_zh = "保函须在投标截止时间（{deadline}）前生效"
    message_en = "The guarantee must be in force by the bid deadline ({deadline})"


class GuaranteeForAnotherBidder(DomainError):
    code = "guarantee_for_another_bidder"
    status = 422
    message_zh = "该保函的申请人不是该投标人，不能作为其投标保证金"
    message_en = "The guarantee's applicant is not this bidder: it cannot be this bidder's deposit"


class GuaranteeForAnotherLot(DomainError):
    code = "guarantee_for_another_lot"
    status = 422
    message_zh = "该保函所载招标项目（标段）不是本项目，不能作为本项目的投标保证金"
    message_en = "The guarantee names another tender (lot): it cannot be this tender's deposit"


class GuaranteeNotAccepted(DomainError):
    code = "guarantee_not_accepted"
    status = 409
    message_zh = "该招标项目{reason_zh}，不接受电子保函"
    message_en = "This tender {reason_en}: it takes no guarantee"


class GuaranteeAfterDeadline(DomainError):
    code = "guarantee_after_deadline"
    status = 409
    message_zh = "投标截止时间（{deadline}）已过，保函不能再{action_zh}"
    message_en = "The bid deadline ({deadline}) has passed: a guarantee can no longer be {action_en}"


class GuaranteeNumberUsed(DomainError):
    code = "guarantee_number_used"
    status = 409
    message_zh = "本机构已出具编号为 {number} 的保函"
    message_en = "The institution has already issued a guarantee numbered {number}"


class GuaranteeStatusWrong(DomainError):
    code = "guarantee_status_wrong"
    status = 409
    message_zh = "保函当前状态为 {status}，不能{action_zh}"
    message_en = "The guarantee is {status}: it cannot be {action_en}"


class ClaimNotYet(DomainError):
    code = "guarantee_claim_before_deadline"
    status = 409
    message_zh = "投标截止前不能就投标保函索赔"
    message_en = "No claim on a bid guarantee before the bid deadline"


class GuaranteeExpired(DomainError):
    code = "guarantee_expired"
    status = 409
    message_zh = "保函已于 {valid_until} 失效，不能索赔"
    message_en = "The guarantee expired at {valid_until}: no claim on it"


class NoAwardLetter(DomainError):
    code = "award_loan_no_letter"
    status = 409
    message_zh = "该投标人未收到本项目的中标通知书，不能以其申请中标贷"
    message_en = "This bidder holds no letter of award for this tender to offer for a loan"


class AwardLoanConsentMissing(DomainError):
    code = "award_loan_consent_missing"
    status = 422
    message_zh = "须明确同意向该金融机构提供中标通知书"
    message_en = "The bidder must consent to show its letter of award to the institution"


def _not_found() -> NotFound:
    return NotFound(field="guarantee_id", what_zh="保函", what_en="Guarantee")


# --- institutions -----------------------------------------------------------------------------------------------


def _trusted(db: Session, certificate_pem: str, intermediates_pem: list[str], now: datetime) -> X509Certificate:
    certificate = load_certificate(certificate_pem)
    intermediates = [load_certificate(pem) for pem in intermediates_pem]
    trust_store(db).validate(certificate, at=now, intermediates=intermediates)
    return certificate


@changes_state("institution.onboarded")
def onboard_institution(
    db: Session, actor: Principal, *, kind: InstitutionKind, certificate_pem: str, intermediates_pem: list[str],
    now: datetime,
) -> Institution:  # fmt: skip
    """A centre's staff onboard a financial institution from its entity certificate (trusted now, with its credit
    code); the entity is registered from the certificate if the register lacks it."""
    centres = [grant.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF) if grant.centre_id is not None]
    if not centres:
        raise NotAnInstitution()  # pragma: no cover - the route lets only centre staff in
    certificate = _trusted(db, certificate_pem, intermediates_pem, now)
    if certificate.credit_code is None:
        raise InstitutionCertificateWithoutCreditCode(field="certificate_pem")
    entity = find_entity_by_credit_code(db, certificate.credit_code)
    if entity is None:
        entity = register_entity(
            db, actor, now=now, data=EntityIn(
                credit_code=certificate.credit_code, name=certificate.organization or certificate.common_name,
                kind="enterprise",
            ),
        )  # fmt: skip
    if db.scalar(select(Institution.id).where(Institution.entity_id == entity.id)) is not None:
        raise InstitutionExists(field="certificate_pem")
    row = Institution(
        entity_id=entity.id, kind=kind.value, certificate_fingerprint=certificate.fingerprint,
        certificate_pem=certificate.pem, centre_id=centres[0], onboarded_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    record_event(
        db, actor, action="institution.onboarded", subject_type="institution", subject_id=row.id,
        centre_id=row.centre_id, now=now,
        payload={"entity_id": entity.id, "name": entity.name, "kind": row.kind,
                 "certificate": row.certificate_fingerprint},
    )  # fmt: skip
    return row


def institution_of(db: Session, actor: Principal) -> Institution:
    """The onboarded institution ``actor`` acts for (holding the institution role), or 403."""
    if Role.INSTITUTION not in actor.roles or actor.entity_id is None:
        raise NotAnInstitution()
    row = db.scalar(select(Institution).where(Institution.entity_id == actor.entity_id))
    if row is None:
        raise NotAnInstitution()
    return row


# --- the document -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """What a tender asks of a guarantee standing as a bidder's deposit."""

    tender_id: int
    required_fen: int
    beneficiary_credit_code: str
    beneficiary_name: str
    bid_deadline: datetime
    valid_until: datetime  # the end of the bid validity: the deadline plus bid_validity_days (实施条例 第25条、第26条)


@dataclass(frozen=True)
class Document:
    """What the platform reads from a guarantee document."""

    number: str
    institution_credit_code: str
    applicant_credit_code: str
    beneficiary_credit_code: str
    tender_id: int
    amount_fen: int
    valid_from: datetime
    valid_until: datetime
    terms: str
    version: int


def requirement(db: Session, tender: Tender) -> Requirement:
    if tender.published_at is None or tender.cancelled_at is not None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    if tender.deposit_fen is None or tender.bid_validity_days is None:
        raise GuaranteeNotAccepted(field="tender_id", reason_zh="未要求投标保证金", reason_en="requires no deposit")
    project, _ = tendering.project_of(db, tender)
    owner = get_entity(db, project.owner_id)
    return Requirement(
        tender_id=tender.id, required_fen=tender.deposit_fen, beneficiary_credit_code=owner.credit_code,
        beneficiary_name=owner.name, bid_deadline=tender.bid_deadline,
        valid_until=tender.bid_deadline + timedelta(days=tender.bid_validity_days),
    )  # fmt: skip


def document_body(
    *, number: str, institution: tuple[str, str], applicant: tuple[str, str], beneficiary: tuple[str, str],
    tender_id: int, lot: str, amount_fen: int, valid_from: datetime, valid_until: datetime, terms: str,
    version: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """A guarantee document as an institution writes it (names and credit codes as (name, credit code))."""
    return {
        "format": DOCUMENT_FORMAT, "number": number, "version": version,
        "institution": {"name": institution[0], "credit_code": institution[1]},
        "applicant": {"name": applicant[0], "credit_code": applicant[1]},
        "beneficiary": {"name": beneficiary[0], "credit_code": beneficiary[1]},
        "tender": {"id": tender_id, "lot": lot}, "amount_fen": amount_fen,
        "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(), "terms": terms,
    }  # fmt: skip


def signed_bytes(body: dict[str, Any]) -> bytes:
    """The bytes an institution signs: the document's canonical JSON (RFC 8785)."""
    return canonical_json(body).encode("utf-8")


def _malformed(reason_en: str, reason_zh: str) -> GuaranteeDocumentMalformed:
    return GuaranteeDocumentMalformed(field="document", reason_en=reason_en, reason_zh=reason_zh)


def _aware(text: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _malformed(f"{name} is not a time with its offset", f"{name} 不是带时区的时间")
    return moment


def read_document(body: dict[str, Any]) -> Document:
    """Read a document's fields, refusing a malformed one."""
    try:
        if body.get("format") != DOCUMENT_FORMAT:
            raise _malformed(f"format is not {DOCUMENT_FORMAT}", f"格式应为 {DOCUMENT_FORMAT}")
        amount, version, tender_id = body["amount_fen"], body["version"], body["tender"]["id"]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (amount, version, tender_id)):
            raise _malformed("amounts, versions and ids are integers", "金额、版本号和编号应为整数")
        texts = (body["number"], body["institution"]["credit_code"], body["applicant"]["credit_code"],
                 body["beneficiary"]["credit_code"], body["terms"])  # fmt: skip
        if not all(isinstance(x, str) and x for x in texts) or len(body["number"]) > 64:
            raise _malformed("number, credit codes and terms are non-empty texts", "编号、信用代码和条款不能为空")
        document = Document(
            number=body["number"], institution_credit_code=body["institution"]["credit_code"],
            applicant_credit_code=body["applicant"]["credit_code"],
            beneficiary_credit_code=body["beneficiary"]["credit_code"], tender_id=tender_id, amount_fen=amount,
            valid_from=_aware(body["valid_from"], "valid_from"), valid_until=_aware(body["valid_until"], "valid_until"),
            terms=body["terms"], version=version,
        )  # fmt: skip
    except (KeyError, TypeError) as error:
        raise _malformed(f"missing or wrong field ({error})", "缺少字段或字段类型错误") from error
    if document.amount_fen <= 0 or document.valid_until <= document.valid_from:
        raise _malformed("the amount is positive and the validity ends after it starts", "金额须为正，有效期须先始后终")
    return document


def document_misfits(document: Document, need: Requirement, *, applicant_credit_code: str) -> list[DomainError]:
    """Why ``document`` cannot stand as the deposit of the bidder ``applicant_credit_code`` on ``need``'s tender, each
    a distinct error (empty: it fits). Pure."""
    misfits: list[DomainError] = []
    if document.tender_id != need.tender_id:
        misfits.append(GuaranteeForAnotherLot(field="document.tender"))
    if document.applicant_credit_code != applicant_credit_code:
        misfits.append(GuaranteeForAnotherBidder(field="document.applicant"))
    if document.beneficiary_credit_code != need.beneficiary_credit_code:
        misfits.append(GuaranteeBeneficiaryWrong(field="document.beneficiary", expected=need.beneficiary_name))
    if document.amount_fen < need.required_fen:
        misfits.append(
            GuaranteeAmountShort(
                field="document.amount_fen", amount_fen=document.amount_fen, required_fen=need.required_fen
            )
        )
    if document.valid_from > need.bid_deadline:
        misfits.append(GuaranteeStartsTooLate(field="document.valid_from", deadline=need.bid_deadline.isoformat()))
    if document.valid_until < need.valid_until:
        misfits.append(
            GuaranteeExpiresTooEarly(field="document.valid_until", required_until=need.valid_until.isoformat())
        )
    return misfits


@dataclass(frozen=True)
class Verified:
    document: Document
    canonical: str
    signature: str
    certificate_fingerprint: str


def verify_document(
    db: Session, institution: Institution, *, body: dict[str, Any], signature: str, certificate_pem: str,
    intermediates_pem: list[str], now: datetime,
) -> Verified:  # fmt: skip
    """The certificate trusted now (chain, validity, revocation) and the institution's, the signature over the
    canonical bytes, the document well formed and naming that institution."""
    certificate = _trusted(db, certificate_pem, intermediates_pem, now)
    credit_code = get_entity(db, institution.entity_id).credit_code
    if certificate.credit_code != credit_code:
        raise CertificateNotTheInstitutions(field="certificate_pem")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as error:
        raise GuaranteeSignatureInvalid(field="signature") from error
    try:
        signed = signed_bytes(body)
    except ValueError as error:  # no canonical form (a number JSON cannot carry exactly): not a document
        raise _malformed("it has no canonical JSON form", "无法规范化为 JSON") from error
    try:
        certificate.public_key.verify(signed, raw)
    except SignatureInvalid as error:
        raise GuaranteeSignatureInvalid(field="signature") from error
    document = read_document(body)
    if document.institution_credit_code != credit_code:
        raise CertificateNotTheInstitutions(field="document.institution")
    return Verified(document, canonical_json(body), signature, certificate.fingerprint)


def _refuse_misfits(misfits: list[DomainError]) -> None:
    if misfits:
        raise misfits[0]


def _before_deadline(tender: Tender, now: datetime, action_zh: str, action_en: str) -> None:
    if now >= tender.bid_deadline:
        raise GuaranteeAfterDeadline(
            field="tender_id", deadline=tender.bid_deadline.isoformat(), action_zh=action_zh, action_en=action_en
        )


def _event(db: Session, actor: Principal, action: str, row: Guarantee, payload: dict[str, Any], now: datetime) -> None:
    tender = tendering.get_tender(db, row.tender_id)
    project, _ = tendering.project_of(db, tender)
    record_event(
        db, actor, action=action, subject_type="guarantee", subject_id=row.id, centre_id=project.centre_id, now=now,
        payload={"number": row.number, "institution_id": row.institution_id, "tender_id": row.tender_id,
                 "applicant_entity_id": row.applicant_entity_id, **payload},
    )  # fmt: skip


# --- quote, issue, amend, cancel --------------------------------------------------------------------------------


@changes_state("guarantee.quoted", disclosed=False)
def quote(
    db: Session, actor: Principal, *, tender_id: int, applicant_credit_code: str, fee_fen: int, now: datetime
) -> GuaranteeQuote:
    """An institution quotes a bidder for a tender's deposit: the amount the tender requires, the beneficiary and the
    validity it must have (from the platform), and its fee."""
    institution = institution_of(db, actor)
    tender = tendering.get_tender(db, tender_id)
    need = requirement(db, tender)
    _before_deadline(tender, now, "报价", "quoted")
    if fee_fen < 0:
        raise InvalidInput(field="fee_fen", reason_zh="保费不能为负", reason_en="the fee cannot be negative")
    applicant = find_entity_by_credit_code(db, applicant_credit_code)
    if applicant is None:
        raise NotFound(field="applicant_credit_code", what_zh="投标人", what_en="Bidder")
    row = GuaranteeQuote(
        institution_id=institution.id, tender_id=tender.id, applicant_entity_id=applicant.id,
        amount_fen=need.required_fen, fee_fen=fee_fen, valid_until=need.valid_until, quoted_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    project, _ = tendering.project_of(db, tender)
    record_event(
        db, actor, action="guarantee.quoted", subject_type="guarantee_quote", subject_id=row.id,
        centre_id=project.centre_id, now=now,
        payload={"institution_id": institution.id, "tender_id": tender.id, "applicant_entity_id": applicant.id,
                 "amount_fen": row.amount_fen, "fee_fen": fee_fen},
    )  # fmt: skip
    return row


@changes_state("guarantee.issued", disclosed=False)
def issue_guarantee(
    db: Session, actor: Principal, *, document: dict[str, Any], signature: str, certificate_pem: str,
    intermediates_pem: list[str], fee_fen: int | None, now: datetime,
) -> Guarantee:  # fmt: skip
    """An institution issues a guarantee: the signed document verified and fitting its tender, before the deadline."""
    institution = institution_of(db, actor)
    verified = verify_document(
        db, institution, body=document, signature=signature, certificate_pem=certificate_pem,
        intermediates_pem=intermediates_pem, now=now,
    )  # fmt: skip
    doc = verified.document
    tender = _tender(db, doc.tender_id)
    need = requirement(db, tender)
    _before_deadline(tender, now, "出具", "issued")
    applicant = find_entity_by_credit_code(db, doc.applicant_credit_code)
    if applicant is None:
        raise NotFound(field="document.applicant", what_zh="投标人", what_en="Bidder")
    project, _ = tendering.project_of(db, tender)
    if applicant.id in (project.owner_id, project.agent_id):
        raise GuaranteeForAnotherBidder(field="document.applicant")
    _refuse_misfits(document_misfits(doc, need, applicant_credit_code=applicant.credit_code))
    if doc.version != 1:
        raise _malformed("a new guarantee is version 1", "新出具的保函版本号应为 1")
    taken = select(Guarantee.id).where(Guarantee.institution_id == institution.id, Guarantee.number == doc.number)
    if db.scalar(taken) is not None:
        raise GuaranteeNumberUsed(field="document.number", number=doc.number)
    row = Guarantee(
        institution_id=institution.id, number=doc.number, tender_id=tender.id, applicant_entity_id=applicant.id,
        beneficiary_entity_id=project.owner_id, amount_fen=doc.amount_fen, fee_fen=fee_fen, valid_from=doc.valid_from,
        valid_until=doc.valid_until, version=1, document=verified.canonical, signature=verified.signature,
        certificate_fingerprint=verified.certificate_fingerprint, status=GuaranteeStatus.ISSUED.value, issued_at=now,
        updated_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    _event(db, actor, "guarantee.issued", row, _facts(row), now)
    return row


def _tender(db: Session, tender_id: int) -> Tender:
    try:
        return tendering.get_tender(db, tender_id)
    except NotFound as error:
        raise NotFound(field="document.tender", what_zh="招标项目", what_en="Tender") from error


def _facts(row: Guarantee) -> dict[str, Any]:
    return {
        "version": row.version, "amount_fen": row.amount_fen, "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat(), "certificate": row.certificate_fingerprint,
        "document_sha256": _sha256(row.document),
    }  # fmt: skip


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _own(db: Session, institution: Institution, guarantee_id: int) -> Guarantee:
    row = db.get(Guarantee, guarantee_id)
    if row is None or row.institution_id != institution.id:
        raise _not_found()  # another institution's guarantee is nobody's business here: not even its existence
    return row


def _status_is(row: Guarantee, wanted: GuaranteeStatus, action_zh: str, action_en: str) -> None:
    if row.status != wanted.value:
        raise GuaranteeStatusWrong(field="guarantee_id", status=row.status, action_zh=action_zh, action_en=action_en)


@changes_state("guarantee.amended", disclosed=False)
def amend_guarantee(
    db: Session, actor: Principal, *, guarantee_id: int, document: dict[str, Any], signature: str,
    certificate_pem: str, intermediates_pem: list[str], now: datetime,
) -> Guarantee:  # fmt: skip
    """An institution amends a guarantee in force before the deadline: a new signed version, same number, same
    bidder and tender, the next version number, still fitting."""
    institution = institution_of(db, actor)
    row = _own(db, institution, guarantee_id)
    _status_is(row, GuaranteeStatus.ISSUED, "修改", "amended")
    tender = tendering.get_tender(db, row.tender_id)
    _before_deadline(tender, now, "修改", "amended")
    verified = verify_document(
        db, institution, body=document, signature=signature, certificate_pem=certificate_pem,
        intermediates_pem=intermediates_pem, now=now,
    )  # fmt: skip
    doc = verified.document
    applicant = get_entity(db, row.applicant_entity_id)
    _refuse_misfits(document_misfits(doc, requirement(db, tender), applicant_credit_code=applicant.credit_code))
    if doc.number != row.number or doc.version != row.version + 1:
        raise _malformed(
            f"an amendment keeps the number {row.number} and is version {row.version + 1}",
            f"修改后的保函编号应为 {row.number}，版本号应为 {row.version + 1}",
        )
    row.amount_fen, row.valid_from, row.valid_until, row.version = (
        doc.amount_fen,
        doc.valid_from,
        doc.valid_until,
        doc.version,
    )
    row.document, row.signature, row.certificate_fingerprint = (
        verified.canonical,
        verified.signature,
        verified.certificate_fingerprint,
    )
    row.updated_at = now
    db.flush()
    _event(db, actor, "guarantee.amended", row, _facts(row), now)
    return row


@changes_state("guarantee.cancelled", disclosed=False)
def cancel_guarantee(db: Session, actor: Principal, *, guarantee_id: int, reason: str, now: datetime) -> Guarantee:
    """An institution cancels a guarantee before the bid deadline only: afterwards it stands as a deposit, and the
    owner may claim on it."""
    institution = institution_of(db, actor)
    row = _own(db, institution, guarantee_id)
    _status_is(row, GuaranteeStatus.ISSUED, "撤销", "cancelled")
    _before_deadline(tendering.get_tender(db, row.tender_id), now, "撤销", "cancelled")
    row.status, row.updated_at = GuaranteeStatus.CANCELLED.value, now
    db.flush()
    _event(db, actor, "guarantee.cancelled", row, {"reason": reason}, now)
    return row


# --- claims -----------------------------------------------------------------------------------------------------


def claim_by_decision(db: Session, actor: Principal, *, guarantee: Guarantee, reason: str, now: datetime) -> Guarantee:
    """The claim on ``guarantee`` that the owner's forfeiture decision lodges (``forfeiture.forfeit_deposit``, in its
    transaction and under its event ``deposit.forfeited``, which names the guarantee and the amount claimed): a
    claim is never free-standing (decision 0036), so this is no service of its own and has no route. The decision
    has checked that the guarantee stood as the deposit, is issued and is in force."""
    _status_is(guarantee, GuaranteeStatus.ISSUED, "索赔", "claimed on")
    if now > guarantee.valid_until:
        raise GuaranteeExpired(field="guarantee_id", valid_until=guarantee.valid_until.isoformat())
    guarantee.status, guarantee.claim_reason, guarantee.claimed_at = GuaranteeStatus.CLAIMED.value, reason, now
    guarantee.claimed_by_entity_id, guarantee.updated_at = actor.entity_id, now
    guarantee.payment_reference = None
    db.flush()
    return guarantee


@changes_state("guarantee.claim_paid", disclosed=False)
def pay_claim(db: Session, actor: Principal, *, guarantee_id: int, payment_reference: str, now: datetime) -> Guarantee:
    """The institution pays a lodged claim (its payment's reference recorded)."""
    institution = institution_of(db, actor)
    row = _own(db, institution, guarantee_id)
    _status_is(row, GuaranteeStatus.CLAIMED, "赔付", "paid")
    row.status, row.paid_at, row.payment_reference, row.updated_at = (
        GuaranteeStatus.PAID.value,
        now,
        payment_reference,
        now,
    )
    db.flush()
    _event(
        db,
        actor,
        "guarantee.claim_paid",
        row,
        {"amount_fen": row.amount_fen, "payment_reference": payment_reference},
        now,
    )
    return row


# --- reading ----------------------------------------------------------------------------------------------------


def guarantees_of_institution(db: Session, actor: Principal) -> list[Guarantee]:
    institution = institution_of(db, actor)
    query = select(Guarantee).where(Guarantee.institution_id == institution.id).order_by(Guarantee.id.desc())
    return list(db.scalars(query))


def read_guarantee(db: Session, actor: Principal, *, guarantee_id: int) -> Guarantee:
    """A guarantee for its institution and its applicant at any time; for the owner, its agent, the centre's staff
    and the supervisor once the tender's opening began (before it: sealed, 招标投标法 第22条); for nobody else."""
    row = db.get(Guarantee, guarantee_id)
    if row is None:
        raise _not_found()
    if Role.INSTITUTION in actor.roles and actor.entity_id is not None:
        own = db.scalar(select(Institution.entity_id).where(Institution.id == row.institution_id))
        if own == actor.entity_id:
            return row
    if Role.BIDDER in actor.roles and actor.entity_id == row.applicant_entity_id:
        return row
    tender = tendering.get_tender(db, row.tender_id)
    project, _ = tendering.project_of(db, tender)
    try:
        _, reader = deposit_reader(actor, project)
    except DomainError:
        raise _not_found() from None
    if reader is not Reader.INSIDER:
        raise _not_found()
    if tendering_read.opening_started_at(db, tender.id) is None:
        raise DepositsSealed(field="guarantee_id")
    return row


def covering_guarantee(
    db: Session, *, tender_id: int, entity_id: int, required_fen: int, bid_deadline: datetime, valid_until: datetime
) -> Guarantee | None:
    """The guarantee that stands as ``entity_id``'s deposit on the tender at the opening, if any: bound to that bidder
    and tender, issued by the deadline, not cancelled, covering the amount and lasting to the end of the bid validity
    (its beneficiary and signature were checked when it was issued or amended)."""
    query = (
        select(Guarantee)
        .where(
            Guarantee.tender_id == tender_id,
            Guarantee.applicant_entity_id == entity_id,
            Guarantee.status != GuaranteeStatus.CANCELLED.value,
            Guarantee.issued_at <= bid_deadline,
            Guarantee.amount_fen >= required_fen,
            Guarantee.valid_from <= bid_deadline,
            Guarantee.valid_until >= valid_until,
        )
        .order_by(Guarantee.id)
    )
    return db.scalars(query).first()


# --- 中标贷 -------------------------------------------------------------------------------------------------------


def _award_letter(db: Session, tender_id: int, entity_id: int) -> str | None:
    """The SHA-256 of ``entity_id``'s letter of award on the tender, read from the award's event (finance reads no
    table of awards: DESIGN §3)."""
    events = db.scalars(
        select(Event).where(Event.action == "award.awarded", Event.subject_type == "tender",
                            Event.subject_id == str(tender_id)).order_by(Event.id.desc())
    )  # fmt: skip
    for event in events:
        payload = json.loads(event.payload)
        for letter in payload.get("letters", []):
            if letter.get("entity_id") == entity_id and letter.get("kind") == "award":
                return str(letter["sha256"])
    return None


CONSENT_ZH = "本单位同意向 {institution} 提供本项目的中标通知书，用于申请中标贷。"


@changes_state("award_loan.offered", disclosed=False)
def offer_award_letter(
    db: Session, actor: Principal, *, tender_id: int, institution_id: int, amount_fen: int, consent: bool,
    now: datetime,
) -> AwardLoanOffer:  # fmt: skip
    """A winning bidder offers its letter of award to an institution for a loan (中标贷), consenting to show it."""
    if actor.entity_id is None:
        raise NoAwardLetter(field="tender_id")
    institution = db.get(Institution, institution_id)
    if institution is None:
        raise NotFound(field="institution_id", what_zh="金融机构", what_en="Institution")
    if not consent:
        raise AwardLoanConsentMissing(field="consent")
    if amount_fen <= 0:
        raise InvalidInput(field="amount_fen", reason_zh="贷款金额须为正", reason_en="the loan asked for is positive")
    tender = tendering.get_tender(db, tender_id)
    sha256 = _award_letter(db, tender.id, actor.entity_id)
    if sha256 is None:
        raise NoAwardLetter(field="tender_id")
    name = get_entity(db, institution.entity_id).name
    given = select(AwardLoanOffer).where(
        AwardLoanOffer.tender_id == tender.id, AwardLoanOffer.entity_id == actor.entity_id,
        AwardLoanOffer.institution_id == institution.id,
    )  # fmt: skip
    if db.scalar(given) is not None:
        raise InvalidInput(field="institution_id", reason_zh="已向该机构提交过", reason_en="already offered to it")
    row = AwardLoanOffer(
        tender_id=tender.id, entity_id=actor.entity_id, institution_id=institution.id, letter_sha256=sha256,
        amount_fen=amount_fen, consent=CONSENT_ZH.format(institution=name), offered_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    project, _ = tendering.project_of(db, tender)
    record_event(
        db, actor, action="award_loan.offered", subject_type="award_loan_offer", subject_id=row.id,
        centre_id=project.centre_id, now=now,
        payload={"tender_id": tender.id, "entity_id": actor.entity_id, "institution_id": institution.id,
                 "letter_sha256": sha256, "amount_fen": amount_fen, "consent": row.consent},
    )  # fmt: skip
    return row


def offers_to_institution(db: Session, actor: Principal) -> list[AwardLoanOffer]:
    institution = institution_of(db, actor)
    query = select(AwardLoanOffer).where(AwardLoanOffer.institution_id == institution.id)
    return list(db.scalars(query.order_by(AwardLoanOffer.id.desc())))
