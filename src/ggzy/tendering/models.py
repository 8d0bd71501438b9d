"""Tables of electronic tendering: one tender per lot and round, its documents, clarifications, objections and the
bidders' registrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core import public_ids
from ggzy.core.db import Base, BigId, UTCDateTime
from ggzy.tendering import summary_form

_DEFAULT_SUMMARY_FIELDS = summary_form.to_json(summary_form.DEFAULT_FIELDS)


class Tender(Base):
    """One round of tendering a lot (a failed lot is re-tendered in a new round)."""

    __tablename__ = "tenders"
    __table_args__ = (UniqueConstraint("lot_id", "round"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    procedure: Mapped[str] = mapped_column(String(32))
    procedure_version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(16), index=True)  # recorded; `closed` is derived from the clock
    title: Mapped[str] = mapped_column(String(300))
    notice_text: Mapped[str] = mapped_column(Text)
    documents_sha256: Mapped[str | None] = mapped_column(String(64))
    documents_name: Mapped[str | None] = mapped_column(String(200))
    documents_size: Mapped[int | None] = mapped_column(BigInteger)
    documents_until: Mapped[datetime] = mapped_column(UTCDateTime)
    bid_deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # 政府采购法实施条例 第38条: a single-source procurement publicises its sole supplier for 5 working days first
    sole_supplier_publicised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sole_supplier_notice: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the items of its opening summary (开标一览表), summary_form.to_json; the price alone unless declared otherwise
    summary_fields: Mapped[str] = mapped_column(
        Text, server_default=_DEFAULT_SUMMARY_FIELDS, default=_DEFAULT_SUMMARY_FIELDS
    )
    # the bid deposit the tender requires, in 分 (None: none; 招标投标法实施条例 第26条, 政府采购法实施条例 第33条)
    deposit_fen: Mapped[int | None] = mapped_column(BigInteger)
    # 投标有效期 in calendar days from the bid deadline (实施条例 第25条); the deposit's validity is the same (第26条)
    bid_validity_days: Mapped[int | None] = mapped_column(Integer)


class Invitation(Base):
    """An entity invited to an invited tender (投标邀请书)."""

    __tablename__ = "tender_invitations"
    __table_args__ = (UniqueConstraint("tender_id", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))


class Clarification(Base):
    """A clarification or amendment of the tender documents (澄清/修改), possibly moving the bid deadline."""

    __tablename__ = "clarifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    affects_bids: Mapped[bool] = mapped_column(Boolean)
    deadline_before: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_after: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class DocumentObjection(Base):
    """An objection to the tender documents (招标投标法实施条例 第22条); pending ones pause the tender."""

    __tablename__ = "document_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = public_ids.public_id_column(public_ids.OBJECTION)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_due: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the interest stated by an objector that is not a potential bidder (其他利害关系人, 实施条例 第22条)
    interest: Mapped[str | None] = mapped_column(Text)


class SoleSupplierObjection(Base):
    """An objection (异议) a supplier raises during a single-source procurement's publicity of its sole supplier
    (政府采购法实施条例 第38条: at least 5 working days); the purchaser answers it before the procurement goes on."""

    __tablename__ = "sole_supplier_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = public_ids.public_id_column(public_ids.SOLE_SUPPLIER_OBJECTION)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Registration(Base):
    """A bidder's registration for a tender (报名/获取招标文件): confidential until opening (招标投标法 第22条)."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("tender_id", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = public_ids.public_id_column(public_ids.REGISTRATION)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Custodian(Base):
    """A keeper of a share of lots' opening keys (the centre, the supervisor, a notary), by its certificate.

    A person keeps one certificate per suite, each its own row; a lot's opening key of a suite is split among
    custodians of that suite from different entities (DESIGN §6).
    """

    __tablename__ = "custodians"
    __table_args__ = (UniqueConstraint("centre_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))  # centre | supervisor | notary
    suite: Mapped[str] = mapped_column(String(8))
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the public key (SPKI)
    certificate_pem: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OpeningKey(Base):
    """A tender's opening key of one suite: the public key, and the private key only wrapped under a KEK that is
    itself only held in k-of-n shares, each encrypted to a custodian."""

    __tablename__ = "opening_keys"
    __table_args__ = (UniqueConstraint("tender_id", "suite"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    suite: Mapped[str] = mapped_column(String(8))
    public_key_pem: Mapped[str] = mapped_column(Text)
    threshold: Mapped[int] = mapped_column(Integer)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OpeningKeyShare(Base):
    __tablename__ = "opening_key_shares"
    __table_args__ = (UniqueConstraint("opening_key_id", "custodian_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    opening_key_id: Mapped[int] = mapped_column(ForeignKey("opening_keys.id"), index=True)
    custodian_id: Mapped[int] = mapped_column(ForeignKey("custodians.id"))
    share_index: Mapped[int] = mapped_column(Integer)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


ONE_ACTIVE_BID_INDEX = "uq_sealed_bids_one_active"


class SealedBid(Base):
    """A sealed bid as received: its envelope header and the ciphertext's address in the blob store. The last
    active envelope of a bidder counts; replaced and withdrawn ones are kept for the record."""

    __tablename__ = "sealed_bids"
    # One active envelope per bidder and lot (招标投标法 第29条: a replacement supersedes the earlier one): the
    # database, not the service's read, decides between two simultaneous submissions (migration 0009).
    __table_args__ = (
        Index(
            ONE_ACTIVE_BID_INDEX,
            "tender_id",
            "entity_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = public_ids.public_id_column(public_ids.BID)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suite: Mapped[str] = mapped_column(String(8))
    header: Mapped[str] = mapped_column(Text)  # the envelope header as received (canonical JSON, signed)
    certificate_fingerprint: Mapped[str] = mapped_column(String(64))
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    ciphertext_size: Mapped[int] = mapped_column(BigInteger)
    # active | replaced | withdrawn; at opening an undecrypted bid becomes revoked (the bidder's fault) or
    # withdrawn_unopened (another cause) — 电子招标投标办法 第三十一条
    status: Mapped[str] = mapped_column(String(24), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # IP, user agent and the device identifiers the client reports: sealed until opening (collusion checks).
    submission_details: Mapped[str] = mapped_column(Text)


class Opening(Base):
    """The remote opening of a tender (不见面开标): the decryption window, then the signed opening record."""

    __tablename__ = "openings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    record: Mapped[str | None] = mapped_column(Text)  # the opening record (JSON) once read out
    record_note: Mapped[str | None] = mapped_column(Text)  # the record's digest, as a signed note
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DecryptedBid(Base):
    """A bid opened at the opening: its summary as read out, its files in the blob store, and how it was opened."""

    __tablename__ = "decrypted_bids"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("sealed_bids.id"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    method: Mapped[str] = mapped_column(String(16))  # bidder | custodians
    summary: Mapped[str] = mapped_column(Text)  # canonical JSON of the bid's opening summary (bid.json)
    # JSON [{name, size, sha256}] of the bid's files, as verified against its inner signature at opening
    files: Mapped[str] = mapped_column(Text)
    # The verified data key: the files are read by decrypting the stored ciphertext (docs/decisions/0005). NULL for
    # bids opened before migration 0007, whose files were stored as plaintext blobs named by their SHA-256.
    data_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    decrypted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShareRelease(Base):
    """A custodian's released share of an opening key (after the deadline only; each release is an event)."""

    __tablename__ = "share_releases"
    __table_args__ = (UniqueConstraint("opening_key_id", "custodian_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    opening_key_id: Mapped[int] = mapped_column(ForeignKey("opening_keys.id"), index=True)
    custodian_id: Mapped[int] = mapped_column(ForeignKey("custodians.id"))
    share_index: Mapped[int] = mapped_column(Integer)
    share: Mapped[bytes] = mapped_column(LargeBinary)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OpeningObjection(Base):
    """An objection raised at the opening and answered there (招标投标法实施条例 第44条)."""

    __tablename__ = "opening_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = public_ids.public_id_column(public_ids.OPENING_OBJECTION)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuotationRound(Base):
    """A round of sealed quotations in a 竞争性谈判 or 竞争性磋商 (政府采购法 第38条 (四)、(五)): called during the
    evaluation for the suppliers still negotiating, with its own deadline and its own opening key kept by the
    tender's custodians; the last round is final (最后报价). Its quotations are opened together after the deadline."""

    __tablename__ = "quotation_rounds"
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(Boolean)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    participants: Mapped[str] = mapped_column(Text)  # JSON list of the entities still negotiating, by id
    called_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuotationKey(Base):
    """A quotation round's opening key of one suite: public key, private key wrapped, the KEK split k-of-n among the
    custodians that keep the tender's own opening key (DESIGN §6), as :class:`OpeningKey`."""

    __tablename__ = "quotation_keys"
    __table_args__ = (UniqueConstraint("round_id", "suite"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("quotation_rounds.id"), index=True)
    suite: Mapped[str] = mapped_column(String(8))
    public_key_pem: Mapped[str] = mapped_column(Text)
    threshold: Mapped[int] = mapped_column(Integer)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)


class QuotationKeyShare(Base):
    """A custodian's share of a quotation key: encrypted to it; once released (after the round's deadline only), the
    share it released and when."""

    __tablename__ = "quotation_key_shares"
    __table_args__ = (UniqueConstraint("key_id", "custodian_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("quotation_keys.id"), index=True)
    custodian_id: Mapped[int] = mapped_column(ForeignKey("custodians.id"))
    share_index: Mapped[int] = mapped_column(Integer)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    released: Mapped[bytes | None] = mapped_column(LargeBinary)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SealedQuotation(Base):
    """A supplier's sealed quotation in a round: an envelope of the bids' format for the round (its lot code names the
    round), wrapped to the round's key. One per supplier and round; its price is known only once the round is
    opened, together with every other quotation of the round."""

    __tablename__ = "sealed_quotations"
    __table_args__ = (UniqueConstraint("round_id", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("quotation_rounds.id"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suite: Mapped[str] = mapped_column(String(8))
    header: Mapped[str] = mapped_column(Text)
    certificate_fingerprint: Mapped[str] = mapped_column(String(64))
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    ciphertext_size: Mapped[int] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # filled when the round is opened: the summary (bid.json), its price_fen, the verified data key (decision 0005)
    summary: Mapped[str | None] = mapped_column(Text)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    data_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NegotiationNotice(Base):
    """A substantive change to the negotiation documents, notified in writing to every supplier still negotiating
    (政府采购法 第38条 (四)); ``recipients`` lists them by entity id."""

    __tablename__ = "negotiation_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    recipients: Mapped[str] = mapped_column(Text)
    notified_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The portal's public notice list: newest first, paged by (published_at, id) keyset; also its date-range filter.
# (Declared with the table it indexes, so that the portal reads tenders without declaring anything on their table.)
notices_by_publication = Index("ix_tenders_published_at_id", Tender.published_at, Tender.id)
