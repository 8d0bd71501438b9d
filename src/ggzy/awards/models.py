"""Tables of the award stage (定标): the publicity of the winning candidates, objections to the evaluation result,
the award with its notice, the letters to the bidders, and the contract record.

招标投标法实施条例 第54条, 第55条; 招标投标法 第45条, 第46条.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime, one_current

CURRENT_PUBLICITY_INDEX = "uq_candidate_publicities_one_current"
CURRENT_AWARD_INDEX = "uq_awards_one_current"


class CandidatePublicity(Base):
    """The publicity of the winning candidates (中标候选人公示, 实施条例 第54条): the report's recommended candidates,
    ranked, with their prices, public from ``starts_at`` to ``ends_at``.

    ``state`` follows :data:`ggzy.awards.rules.PUBLICITY_TRANSITIONS`: ``publicised``, then ``result_changed`` when
    an objection's answer or a complaint's decision changes the evaluation result, then ``publicised`` again (the
    next ``round``) when the changed candidates are publicised afresh for at least 3 days (第54条). Earlier rounds'
    candidates stay in the ledger (the events of each round).

    ``superseded_at``: a complaint's decision ordered re-evaluation (招标投标法实施条例 第81条), so the report it
    publicised no longer stands; the row stays, and the new report's candidates get a publicity of their own. At
    most one publicity of a tender is current."""

    __tablename__ = "candidate_publicities"
    __table_args__ = (one_current(CURRENT_PUBLICITY_INDEX, "tender_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("evaluation_reports.id"))
    candidates: Mapped[str] = mapped_column(Text)  # canonical JSON: [{rank, bid_id, entity_id, name, price_fen}]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    round: Mapped[int] = mapped_column(Integer, server_default="1")
    state: Mapped[str] = mapped_column(String(16), server_default="publicised")
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PublicityObjection(Base):
    """An objection to the evaluation result by a bidder or another interested party (投标人或者其他利害关系人),
    raised during the publicity (实施条例 第54条); while one is unanswered the award waits. ``interest`` is the
    interest an objector that did not bid states; ``changes_result`` whether the answer changed the result."""

    __tablename__ = "publicity_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    publicity_id: Mapped[int] = mapped_column(ForeignKey("candidate_publicities.id"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_due: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_late: Mapped[bool | None] = mapped_column(Boolean)
    interest: Mapped[str | None] = mapped_column(Text)
    changes_result: Mapped[bool | None] = mapped_column(Boolean)


class Award(Base):
    """The award (定标, 实施条例 第55条) and its public notice (中标结果公告); ``passed_over`` records why any
    candidate ranked above the winner was not chosen. The contract is due by ``contract_due`` (招标投标法 第46条).

    ``superseded_at``: a complaint's decision made the award void (招标投标法实施条例 第81条: 中标无效) by ordering
    re-evaluation or a re-tender; the award and its letters stay for the record. At most one award of a tender is
    current."""

    __tablename__ = "awards"
    __table_args__ = (one_current(CURRENT_AWARD_INDEX, "tender_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    # None under 政府采购法, which has no candidate publicity (政府采购法实施条例 第43条)
    publicity_id: Mapped[int | None] = mapped_column(ForeignKey("candidate_publicities.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("sealed_bids.id"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    price_fen: Mapped[int] = mapped_column(BigInteger)
    passed_over: Mapped[str] = mapped_column(Text)  # canonical JSON: [{bid_id, rank, ground, note}]
    notice: Mapped[str] = mapped_column(Text)  # canonical JSON of the award notice
    notice_sha256: Mapped[str] = mapped_column(String(64))
    contract_due: Mapped[date] = mapped_column(Date)
    # 政府采购法实施条例 第43条: the day the purchaser determined the supplier, when before the award's own day
    determined_on: Mapped[date | None] = mapped_column(Date)
    awarded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AwardLetter(Base):
    """A letter of the award (招标投标法 第45条): the letter of award (中标通知书, ``kind`` award) to the winner, or the
    notice of the result (中标结果通知, ``kind`` result) to another bidder; its text, SHA-256 and signed note."""

    __tablename__ = "award_letters"
    __table_args__ = (UniqueConstraint("award_id", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # award | result
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)  # C2SP signed note over the letter's digest, by the ledger keys
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contract(Base):
    """The signed contract (合同, 招标投标法 第46条) as recorded by the owner or its agent."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    signed_on: Mapped[date] = mapped_column(Date)
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    late: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResultChallenge(Base):
    """A supplier's challenge (质疑) of the result under 政府采购法 (第52条): made in writing within 7 working days of
    the result notice (实施条例 第53条 (三)), answered by the purchaser or its agent within 7 working days of
    receipt (第53条). While one is unanswered the contract waits (实施条例 第54条: 暂停签订合同), a halt registered by
    this domain (``ggzy.awards.halts``). ``challenge_due`` is the last day it could be made; a late answer is given
    and recorded (``answered_late``, a violation)."""

    __tablename__ = "result_challenges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # None when the challenge is of a round that failed after its evaluation (废标, 政府采购法 第36条)
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id"), index=True)
    # what is challenged (政府采购法 第52条): the result (中标、成交结果), or the procurement process (采购过程)
    matter: Mapped[str] = mapped_column(String(16), default="result", server_default="result")
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    challenge_due: Mapped[date] = mapped_column(Date)
    answer_due: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_late: Mapped[bool | None] = mapped_column(Boolean)
