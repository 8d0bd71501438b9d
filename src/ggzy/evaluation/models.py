"""Tables of evaluation (评标): the evaluation of a tender and its scheme, the committee's qualification marks,
rejections of bids, score sheets, and the evaluation report.

Bids are named by ``bid_id``, the id of the opened ``SealedBid`` (the ``DecryptedBid.bid_id`` of its summary).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime, one_current

CURRENT_EVALUATION_INDEX = "uq_evaluations_one_current"


class Evaluation(Base):
    """The evaluation of one opened tender. ``status`` is the stage the tender reaches through it: ``evaluating``,
    then ``evaluated`` once the report is final (kept here until the tender's own stage is wired to it).

    A complaint's decision ordering re-evaluation (招标投标法实施条例 第81条) sets ``superseded_at``: the row, its
    marks, sheets, rejections and report stay for the record, and the tender is evaluated again in a new row. At
    most one evaluation of a tender is current (not superseded)."""

    __tablename__ = "evaluations"
    __table_args__ = (one_current(CURRENT_EVALUATION_INDEX, "tender_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))  # lowest_price | scoring (the tender's)
    scheme: Mapped[str] = mapped_column(Text)  # canonical JSON of the scoring scheme
    status: Mapped[str] = mapped_column(String(16), index=True)  # evaluating | evaluated
    lead_member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    # How the lead (评标委员会负责人) was chosen: ``designated`` by the owner through the staff at the start,
    # ``provisional`` (the first drawn expert convenes until the members elect one) or ``elected``
    # (ggzy.evaluation.chair)
    lead_basis: Mapped[str] = mapped_column(String(16), server_default="provisional")
    started_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QualificationMark(Base):
    """One member's pass or fail of one bid on one qualification criterion (资格审查)."""

    __tablename__ = "qualification_marks"
    __table_args__ = (UniqueConstraint("evaluation_id", "member_id", "bid_id", "criterion"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("sealed_bids.id"))
    criterion: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Rejection(Base):
    """A rejected bid (否决投标) and its ground from 招标投标法实施条例 第51条; automatic for a price above the
    ceiling (no member then), otherwise decided by the committee and recorded by its lead."""

    __tablename__ = "bid_rejections"
    __table_args__ = (UniqueConstraint("evaluation_id", "bid_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("sealed_bids.id"))
    ground: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(Boolean)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_members.id"))
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreSheet(Base):
    """One member's score sheet (评分表) of one bid: final once submitted."""

    __tablename__ = "score_sheets"
    __table_args__ = (UniqueConstraint("evaluation_id", "member_id", "bid_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("sealed_bids.id"))
    scores: Mapped[str] = mapped_column(Text)  # canonical JSON {criterion: "12.50"}
    total: Mapped[str] = mapped_column(String(16))  # the sheet's sum, a decimal string
    sha256: Mapped[str] = mapped_column(String(64))  # of the sheet's canonical JSON
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Signed by the member's key (ggzy.evaluation.signing): the message signed, the signature (base64 of P1363
    # r ‖ s) and the key's fingerprint; all None for a sheet submitted before the member enrolled a key.
    signed_message: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(String(128))
    key_fingerprint: Mapped[str | None] = mapped_column(String(64))


ONE_KEY_IN_FORCE_INDEX = "uq_signing_keys_one_in_force"


class SigningKey(Base):
    """A committee member's signing key (ECDSA P-256, generated non-extractable in their browser): the public key as
    base64 SubjectPublicKeyInfo DER, its fingerprint (SHA-256 of the DER, hex). At most one per user is in force;
    a new enrolment revokes the previous one, which is kept so that the sheets it signed stay verifiable."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        Index(
            ONE_KEY_IN_FORCE_INDEX,
            "user_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EvaluationReport(Base):
    """The committee's report (评标报告): ranking, rejected bids and recommended candidates, as canonical JSON. One
    per evaluation: a report is current while its evaluation is."""

    __tablename__ = "evaluation_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    finalised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    finalised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChairVote(Base):
    """A member's vote for the committee's lead (评标委员会负责人由评标委员会成员推举产生, ggzy.evaluation.chair);
    final once cast."""

    __tablename__ = "chair_votes"
    __table_args__ = (UniqueConstraint("evaluation_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    candidate_member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportSignature(Base):
    """A member's signature of the evaluation report (实施条例 第53条, ggzy.evaluation.report_signing): ``agree``, or
    ``dissent`` with the written reasons, signed by the member's key over the report's digest; or
    ``deemed_agreed``, recorded by the centre's staff when the member refused to sign without written reasons
    (no signature then)."""

    __tablename__ = "report_signatures"
    __table_args__ = (UniqueConstraint("report_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("evaluation_reports.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    opinion: Mapped[str] = mapped_column(String(16))  # agree | dissent | deemed_agreed
    reasons: Mapped[str] = mapped_column(Text)  # the dissent and its reasons; empty otherwise
    signed_message: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(String(128))
    key_fingerprint: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
