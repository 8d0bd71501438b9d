"""Tables of prequalification (资格预审): the notice and its documents, clarifications, objections, the sealed
applications, the opening key that seals them, the review committee and each applicant's result."""

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


class Prequalification(Base):
    """One prequalification of a lot (资格预审公告 and 资格预审文件); a failed one is followed by a new attempt."""

    __tablename__ = "prequalifications"
    __table_args__ = (UniqueConstraint("lot_id", "attempt"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    procedure: Mapped[str] = mapped_column(String(32))  # the invited procedure that follows: invited | gp_invited
    stage: Mapped[str] = mapped_column(String(16), index=True)  # recorded; `closed` is derived from the clock
    title: Mapped[str] = mapped_column(String(300))
    notice_text: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(Text)  # 实施条例 第18条: the standard and method of the review
    documents_sha256: Mapped[str | None] = mapped_column(String(64))
    documents_name: Mapped[str | None] = mapped_column(String(200))
    documents_size: Mapped[int | None] = mapped_column(BigInteger)
    documents_until: Mapped[datetime] = mapped_column(UTCDateTime)
    application_deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id"))  # the tender by invitation that follows
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrequalificationKey(Base):
    """The opening key of a prequalification's applications, per suite: kept only wrapped, its key-encryption key
    only as custodians' shares (DESIGN §6), exactly as a tender's opening key."""

    __tablename__ = "prequalification_keys"
    __table_args__ = (UniqueConstraint("prequalification_id", "suite"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prequalification_id: Mapped[int] = mapped_column(ForeignKey("prequalifications.id"), index=True)
    suite: Mapped[str] = mapped_column(String(8))
    public_key_pem: Mapped[str] = mapped_column(Text)
    threshold: Mapped[int] = mapped_column(Integer)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrequalificationKeyShare(Base):
    __tablename__ = "prequalification_key_shares"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("prequalification_keys.id"), index=True)
    custodian_id: Mapped[int] = mapped_column(ForeignKey("custodians.id"))
    share_index: Mapped[int] = mapped_column(Integer)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class PrequalificationClarification(Base):
    """A clarification or amendment of the prequalification documents (实施条例 第21条), possibly moving the
    application deadline."""

    __tablename__ = "prequalification_clarifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prequalification_id: Mapped[int] = mapped_column(ForeignKey("prequalifications.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    affects_applications: Mapped[bool] = mapped_column(Boolean)
    deadline_before: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_after: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class PrequalificationObjection(Base):
    """An objection to the prequalification documents (实施条例 第22条): the procedure pauses until it is answered."""

    __tablename__ = "prequalification_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = public_ids.public_id_column("pqobj")
    prequalification_id: Mapped[int] = mapped_column(ForeignKey("prequalifications.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_due: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


ONE_ACTIVE_APPLICATION_INDEX = "uq_prequalification_applications_one_active"


class Application(Base):
    """A sealed prequalification application (资格预审申请文件): the envelope format of a sealed bid, stored as its
    ciphertext; at the opening its applicant hands over the data key, which is verified and recorded (no plaintext is
    written, decision 0005). The committee's verdict and the result notice follow."""

    __tablename__ = "prequalification_applications"
    # One active application per applicant (the last one counts), decided by the database between two at once
    __table_args__ = (
        Index(
            ONE_ACTIVE_APPLICATION_INDEX,
            "prequalification_id",
            "entity_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = public_ids.public_id_column("pqapp")
    prequalification_id: Mapped[int] = mapped_column(ForeignKey("prequalifications.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suite: Mapped[str] = mapped_column(String(8))
    header: Mapped[str] = mapped_column(Text)
    certificate_fingerprint: Mapped[str] = mapped_column(String(64))
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    ciphertext_size: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))  # active | replaced | withdrawn_unopened
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    summary: Mapped[str | None] = mapped_column(Text)
    files: Mapped[str | None] = mapped_column(Text)
    decrypted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Reviewer(Base):
    """A member of the review committee (资格审查委员会, 实施条例 第18条): an expert of the register or a
    representative of the owner."""

    __tablename__ = "prequalification_reviewers"
    __table_args__ = (UniqueConstraint("prequalification_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prequalification_id: Mapped[int] = mapped_column(ForeignKey("prequalifications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(24))  # expert | owner_representative
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime)
