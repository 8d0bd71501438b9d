"""Tables of complaints to the supervisory department (投诉, 招标投标法实施条例 第60条–第62条) and of the
suspensions it orders.

A complaint moves lodged → accepted | refused (第61条: within 3 working days), and accepted → upheld | dismissed
(第61条: within 30 working days of acceptance, inspection, testing, appraisal and expert review not counted).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class Complaint(Base):
    """A complaint by a bidder or another interested party (投标人或者其他利害关系人) about one tender.

    ``matter`` says what it is about; for the matters of 第22条, 第44条 and 第54条 ``objection_id`` names the
    objection the complainant raised first (in the table of that matter). ``evidence`` is canonical JSON
    ``[{name, sha256}]`` of the supporting files (必要的证明材料). ``excluded_working_days`` counts the working days
    spent on inspection, testing, appraisal or expert review, which extend ``decision_due`` (第61条)."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    lodged_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    matter: Mapped[str] = mapped_column(String(24))
    objection_id: Mapped[int | None] = mapped_column(BigId)
    interest: Mapped[str | None] = mapped_column(Text)
    request: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    knew_on: Mapped[date] = mapped_column(Date)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lodge_due: Mapped[date] = mapped_column(Date)
    acceptance_due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acceptance_late: Mapped[bool | None] = mapped_column(Boolean)
    decision_due: Mapped[date | None] = mapped_column(Date)
    review_kind: Mapped[str | None] = mapped_column(String(16))
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excluded_working_days: Mapped[int] = mapped_column(Integer, server_default="0")
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(Text)
    remedy: Mapped[str | None] = mapped_column(String(24))
    committee: Mapped[str | None] = mapped_column(String(8))  # with re_evaluation: same | new (decision 0020)
    false_complaint: Mapped[bool | None] = mapped_column(Boolean)
    decided_late: Mapped[bool | None] = mapped_column(Boolean)


class TenderSuspension(Base):
    """A supervisor's order to suspend the tender while a complaint is handled (责令暂停招标投标活动, 第62条); in
    force until ``lifted_at``. Under 政府采购法 第57条 (暂停采购活动) it lasts at most 30 days from the first
    written notice on the complaint: ``expires_at`` is 24:00 of that last day, after which it is no longer in force
    without anyone lifting it; None under 招标投标法."""

    __tablename__ = "tender_suspensions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    ordered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComplaintInvestigation(Base):
    """One step of the supervisor's investigation of an accepted complaint (调查记录): 行政监督部门处理投诉，有权查阅、
    复制有关文件、资料，调查有关情况 (招标投标法实施条例 第62条); 必要时可以进行调查取证 (政府采购法实施条例 第56条).

    ``kind`` is one of ``rules.INVESTIGATION_KINDS``; a testing or expert-review step belongs to a review started on
    the complaint (``review_event_id``: its ``complaint.review_started`` event), whose time the decision clock
    already leaves out (第61条) — the step records what was found, the clock stays the complaint's. ``heard_role``
    and ``heard_name`` name who was heard (an expert is never named); ``evidence`` is canonical JSON
    ``[{name, sha256}]`` as a complaint's own."""

    __tablename__ = "complaint_investigations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    taken_on: Mapped[date] = mapped_column(Date)
    heard_role: Mapped[str | None] = mapped_column(String(16))
    heard_name: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    review_event_id: Mapped[int | None] = mapped_column(BigId)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplaintHearing(Base):
    """A hearing (听证/质证) the supervisor holds on an accepted complaint (政府采购法实施条例 第56条: 组织质证; under
    招标投标法实施条例 第62条 a way of 调查有关情况): scheduled with its time, place (or remote) and the parties
    notified, then recorded once: who attended, each party's statement, the recorder; ``record_sha256`` is the
    SHA-256 of the canonical record, sealed in the ledger by the ``complaint.hearing_recorded`` event.

    ``parties`` is canonical JSON ``[{role, entity_id, name}]`` (complainant, owner, agent, the bidders concerned);
    ``record`` canonical JSON ``{attendance: [{role, entity_id, name, attended, representative, statement}],
    summary}``."""

    __tablename__ = "complaint_hearings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300))
    remote: Mapped[bool] = mapped_column(Boolean)
    matters: Mapped[str] = mapped_column(Text)
    parties: Mapped[str] = mapped_column(Text)
    scheduled_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    record: Mapped[str | None] = mapped_column(Text)
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
