"""Sealed bids: submit, replace and withdraw before the deadline (DESIGN §6).

The server checks the envelope's outer signature, the bidder's certificate against the trust store at the time of
receipt, that the certificate is the registered bidder's, that the envelope is for this lot and wrapped to its
opening key, and the deadline by its own clock; it stores the ciphertext, which it cannot read, and answers with a
signed receipt. Everything about the bid is undisclosed in the public ledger until opening.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Row, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core import screening
from ggzy.core.clock import as_utc
from ggzy.core.errors import DomainError
from ggzy.core.events import Event, canonical_json, changes_state
from ggzy.core.permissions import Principal
from ggzy.core.screening import Checkpoint
from ggzy.crypto import (
    CertificateExpired,
    CertificateUntrusted,
    EnvelopeInvalid,
    SignatureInvalid,
    load_public_key_pem,
)
from ggzy.crypto.envelope import check_envelope_for_lot, read_envelope_header
from ggzy.entities.login import trust_store
from ggzy.entities.service import credit_code_of
from ggzy.projects.service import with_lot_and_project
from ggzy.storage import BlobDigestMismatch, BlobStore, BlobTooLarge, stage_blob
from ggzy.tendering import lifecycle
from ggzy.tendering.models import (
    ONE_ACTIVE_BID_INDEX,
    Clarification,
    OpeningKey,
    Registration,
    SealedBid,
    Tender,
)
from ggzy.tendering.procedures import procedure
from ggzy.tendering.service import (
    get_tender,
    project_of,
    record_tender_event,
)
from ggzy.tendering.stages import Step

if TYPE_CHECKING:
    from ggzy.projects.models import Lot, Project

ACTIVE, REPLACED, WITHDRAWN = "active", "replaced", "withdrawn"


class NotRegistered(DomainError):
    code = "bid_not_registered"
    status = 403
    message_zh = "贵单位尚未报名本项目，不能递交投标文件"
    message_en = "Your entity has not registered for this tender, so it cannot bid"


class EnvelopeNotYours(DomainError):
    code = "envelope_not_yours"
    status = 403
    message_zh = "投标文件的签名证书不属于贵单位"
    message_en = "The envelope is signed with a certificate that is not your entity's"


class SuiteNotAccepted(DomainError):
    code = "bid_suite_not_accepted"
    status = 422
    message_zh = "本项目不接受 {suite} 密码套件的投标文件"
    message_en = "This tender accepts no {suite} envelopes"


# What the receipt of any sealed envelope may refuse — a bid, a quotation, a prequalification application (for the
# OpenAPI of each endpoint that takes one)
ENVELOPE_REFUSALS: tuple[type[DomainError], ...] = (
    EnvelopeNotYours,
    SuiteNotAccepted,
    EnvelopeInvalid,
    SignatureInvalid,
    CertificateUntrusted,
    CertificateExpired,
    BlobTooLarge,
    BlobDigestMismatch,
)


class NoActiveBid(DomainError):
    code = "bid_not_found"
    status = 404
    message_zh = "贵单位在本项目没有有效的投标文件"
    message_en = "Your entity has no active bid in this tender"


class QuotationFinal(DomainError):
    code = "quotation_final"
    status = 409
    message_zh = (
        "询价采购中供应商一次报出不得更改的价格（政府采购法 第四十条 第三项）：贵单位已递交报价，不能再次递交"
        "（只有采购人作出影响报价的修改后，此前已报价的供应商可以重新报价一次）"
    )
    message_en = (
        "In a request for quotations each supplier quotes once, a price it cannot change (Government Procurement "
        "Law art. 40 (3)): your entity has already quoted (only after an amendment that affects the quotations may "
        "a supplier that quoted before it quote once more)"
    )


def may_quote_again(*, quoted_at: datetime | None, amended_at: datetime | None) -> bool:
    """Under 询价 (政府采购法 第40条 (三): 一次报出不得更改的价格) a supplier quotes once; but a quotation made before
    an amendment that affects the quotations (a clarification with ``affects_bids``) answered documents that no
    longer stand, so its supplier may quote once more, superseding it. Its new quotation, made after the latest such
    amendment, is final again."""
    return quoted_at is None or (amended_at is not None and quoted_at < amended_at)


class ConcurrentSubmission(DomainError):
    code = "bid_submission_concurrent"
    status = 409
    message_zh = (
        "贵单位在本项目的另一次递交或撤回投标文件正在办理，本次请求未被受理；请重试（以最后递交的投标文件为准）"
    )
    message_en = (
        "Another submission or withdrawal of your entity's bid for this tender is being recorded, so this request "
        "was not taken; try again (the last envelope counts)"
    )


@dataclass(frozen=True)
class BidReceipt:
    """The platform's signed receipt: when the bid arrived, what ciphertext, under which event."""

    bid_id: str  # the bid's public id: its integer key would count other bidders' bids (招标投标法 第22条)
    tender_id: int
    received_at: datetime
    ciphertext_sha256: str
    ciphertext_size: int
    event_id: int
    signature: str  # base64 Ed25519 (the ledger's key) over the canonical JSON of the other fields

    def document(self) -> dict[str, Any]:
        return {
            "bid_id": self.bid_id,
            "tender_id": self.tender_id,
            "received_at": self.received_at.isoformat(),
            "ciphertext_sha256": self.ciphertext_sha256,
            "ciphertext_size": self.ciphertext_size,
            "event_id": self.event_id,
        }


def lot_code(project: Project, lot: Lot) -> str:
    """The lot's code in envelopes: the unified project code and the lot number."""
    return f"{project.code}/{lot.number}"


def _active_bid(db: Session, tender_id: int, entity_id: int) -> SealedBid | None:
    return db.scalar(
        select(SealedBid).where(
            SealedBid.tender_id == tender_id, SealedBid.entity_id == entity_id, SealedBid.status == ACTIVE
        )
    )


def _submission_facts(db: Session, tender_id: int, entity_id: int | None, suite: str, now: datetime) -> Row[Any] | None:
    """Everything a submission is checked against, in one round trip: the tender with its lot and project, the
    lifecycle's halts of the step (paused, suspended, re-tender ordered), the entity's credit code if it registered,
    the opening key of the envelope's suite, and the entity's active bid."""
    registered_code = (
        select(credit_code_of(entity_id))
        .where(Registration.tender_id == Tender.id, Registration.entity_id == entity_id)
        .scalar_subquery()
    )
    opening_key = (
        select(OpeningKey.public_key_pem)
        .where(OpeningKey.tender_id == Tender.id, OpeningKey.suite == suite)
        .scalar_subquery()
    )

    def active(column: Any) -> Any:
        return (
            select(column)
            .where(SealedBid.tender_id == Tender.id, SealedBid.entity_id == entity_id, SealedBid.status == ACTIVE)
            .order_by(SealedBid.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    query = with_lot_and_project(
        select(
            Tender,
            registered_code.label("credit_code"),
            opening_key.label("opening_key_pem"),
            active(SealedBid.id).label("previous_id"),
            active(SealedBid.public_id).label("previous_public_id"),
            active(SealedBid.submitted_at).label("previous_submitted_at"),
            select(func.max(Clarification.published_at))
            .where(Clarification.tender_id == Tender.id, Clarification.affects_bids.is_(True))
            .scalar_subquery()
            .label("amended_at"),
            *lifecycle.halt_columns(Step.SUBMIT_BID, Tender.id, now=now),
        ).where(Tender.id == tender_id),
        Tender.lot_id,
    )
    return db.execute(query).one_or_none()


@changes_state("bid.submitted", disclosed=False)
def submit_bid(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    envelope: BinaryIO,
    store: BlobStore,
    max_bytes: int,
    details: dict[str, Any],
    signer: Ed25519PrivateKey,
    now: datetime,
) -> BidReceipt:
    """Check and store a sealed bid; the last envelope of an entity counts.

    The envelope is verified (outer signature) and its ciphertext staged — written, hashed against the signed
    header and fsynced, in the transaction's staging area — before the first SQL statement, so that the database
    work is only one read and the inserts: on SQLite the write lock (``BEGIN IMMEDIATE``) is taken after the upload,
    not held through it, and on PostgreSQL no connection idles in a transaction while the bytes arrive. A refused
    submission rolls back, which deletes the staged file (``ggzy.storage.staging``): no row, file or event remains.

    Two simultaneous submissions of one bidder both read the same active bid; the database decides between them (the
    one-active-bid index of migration 0009, and a replacement only of a bid still active). On PostgreSQL the second
    waits for the first's lock and is refused with :class:`ConcurrentSubmission`; on SQLite writers serialize, so it
    reads the first and replaces it.
    """
    header = read_envelope_header(envelope)
    ciphertext = stage_blob(db, store, envelope, max_bytes=max_bytes, expected_sha256=header.ciphertext_sha256)
    facts = _submission_facts(db, tender_id, actor.entity_id, header.suite.value, now)
    if facts is None:
        get_tender(db, tender_id)  # raises NotFound
    assert facts is not None
    tender, lot, project = facts.Tender, facts.Lot, facts.Project
    # The deadline is the server's clock (DESIGN §4.4): a bid one second late finds the tender closed.
    lifecycle.require(db, tender, Step.SUBMIT_BID, now, halts=False)
    chosen = procedure(tender.procedure)
    lifecycle.refuse_halted(Step.SUBMIT_BID, facts, procedure_of=chosen)  # 第22, 62, 81条
    if actor.entity_id is None or facts.credit_code is None:
        raise NotRegistered(field="tender_id")
    screening.screen_entity(
        db,
        actor,
        checkpoint=Checkpoint.BID_SUBMISSION,
        credit_code=facts.credit_code,
        law=chosen.law.key,
        subject_type="tender",
        subject_id=tender.id,
        now=now,
    )  # 信用拦截 (decision 0040)
    requote = chosen.single_quotation and facts.previous_id is not None
    if requote and not may_quote_again(quoted_at=facts.previous_submitted_at, amended_at=facts.amended_at):
        raise QuotationFinal(field="envelope")
    trust_store(db).validate(header.bidder_certificate, at=now)
    if header.bidder_certificate.credit_code != facts.credit_code:
        raise EnvelopeNotYours(field="envelope")
    if facts.opening_key_pem is None:
        raise SuiteNotAccepted(field="envelope", suite=header.suite.value)
    check_envelope_for_lot(
        header, lot_code=lot_code(project, lot), opening_public_key=load_public_key_pem(facts.opening_key_pem)
    )
    if facts.previous_id is not None:  # the last envelope counts (招标投标法 第29条)
        replaced = db.execute(
            update(SealedBid)
            .where(SealedBid.id == facts.previous_id, SealedBid.status == ACTIVE)
            .values(status=REPLACED, ended_at=now)
        )
        # Replaced or withdrawn since the read, by a request that has committed (the UPDATE waited for its lock).
        if replaced.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentSubmission(field="envelope")
    bid = SealedBid(
        tender_id=tender.id,
        entity_id=actor.entity_id,
        user_id=actor.user_id,
        suite=header.suite.value,
        header=header.to_bytes().decode(),
        certificate_fingerprint=header.bidder_certificate.fingerprint,
        ciphertext_sha256=ciphertext.sha256,
        ciphertext_size=ciphertext.size,
        status=ACTIVE,
        submitted_at=now,
        submission_details=canonical_json(details),
    )
    db.add(bid)
    try:
        db.flush()
    except IntegrityError as error:
        # Another submission of this bidder inserted its active bid after our read (PostgreSQL's READ COMMITTED):
        # the partial unique index refuses the second. The caller rolls back, which also deletes the staged file.
        if not _is_one_active_bid_violation(error):
            raise
        raise ConcurrentSubmission(field="envelope") from error
    event = record_tender_event(
        db,
        actor,
        tender,
        project,
        "bid.submitted",
        {
            "bid_id": bid.public_id,
            "ciphertext_sha256": bid.ciphertext_sha256,
            "suite": bid.suite,
            "replaces": facts.previous_public_id,
            # 询价: the earlier quotation answered documents since amended (政府采购法 第40条 (三))
            **({"amended_at": as_utc(facts.amended_at).isoformat()} if requote else {}),
        },
        now,
    )
    return _receipt(bid, event, signer)


def _is_one_active_bid_violation(error: IntegrityError) -> bool:
    """Whether the refused statement broke the one-active-bid index: PostgreSQL names the index, SQLite its
    columns."""
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:
        return getattr(diagnostics, "constraint_name", None) == ONE_ACTIVE_BID_INDEX
    return "UNIQUE constraint failed: sealed_bids.tender_id, sealed_bids.entity_id" in str(error.orig)


def _receipt(bid: SealedBid, event: Event, signer: Ed25519PrivateKey) -> BidReceipt:
    return signed_receipt(
        bid_id=bid.public_id,
        tender_id=bid.tender_id,
        received_at=bid.submitted_at,
        ciphertext_sha256=bid.ciphertext_sha256,
        ciphertext_size=bid.ciphertext_size,
        event=event,
        signer=signer,
    )


def signed_receipt(
    *,
    bid_id: str,
    tender_id: int,
    received_at: datetime,
    ciphertext_sha256: str,
    ciphertext_size: int,
    event: Event,
    signer: Ed25519PrivateKey,
) -> BidReceipt:
    """The platform's receipt for a sealed envelope (a bid, or a quotation of a negotiation's round), signed."""
    unsigned = BidReceipt(
        bid_id=bid_id,
        tender_id=tender_id,
        received_at=received_at,
        ciphertext_sha256=ciphertext_sha256,
        ciphertext_size=ciphertext_size,
        event_id=event.id,
        signature="",
    )
    signature = signer.sign(canonical_json(unsigned.document()).encode())
    return BidReceipt(**{**unsigned.__dict__, "signature": base64.b64encode(signature).decode()})


@changes_state("bid.withdrawn", disclosed=False)
def withdraw_bid(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> SealedBid:
    """A bidder withdraws its bid before the deadline (招标投标法 第29条)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    lifecycle.require(db, tender, Step.WITHDRAW_BID, now)  # halts: 实施条例 第22条, 第62条
    bid = _active_bid(db, tender.id, actor.entity_id) if actor.entity_id is not None else None
    if bid is None:
        raise NoActiveBid(field="tender_id")
    withdrawn = db.execute(
        update(SealedBid)
        .where(SealedBid.id == bid.id, SealedBid.status == ACTIVE)
        .values(status=WITHDRAWN, ended_at=now)
    )
    # Replaced since the read by a submission that has committed: that envelope counts now, not this withdrawal.
    if withdrawn.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentSubmission(field="tender_id")
    record_tender_event(db, actor, tender, project, "bid.withdrawn", {"bid_id": bid.public_id}, now)
    return bid


def my_bids(db: Session, actor: Principal, tender_id: int) -> list[SealedBid]:
    """A bidder's own envelopes for a tender, newest first — nobody else sees bids before opening."""
    if actor.entity_id is None:
        return []
    query = select(SealedBid).where(SealedBid.tender_id == tender_id, SealedBid.entity_id == actor.entity_id)
    return list(db.scalars(query.order_by(SealedBid.id.desc())))


def bidder_ids_of(db: Session, tender_id: int) -> set[int]:
    """The entities that submitted a bid to this tender, whatever became of it: for the experts' recusal at the draw
    (实施条例 第46条), which comes after the opening. Whoever calls it keeps the names from anyone else."""
    return set(db.scalars(select(SealedBid.entity_id).where(SealedBid.tender_id == tender_id)))
