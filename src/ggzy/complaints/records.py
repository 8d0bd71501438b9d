"""The supervisor's records of handling a complaint (decision 0047): investigation steps (调查记录) and hearings
(听证/质证记录), between acceptance and decision.

招标投标法实施条例 第62条: 行政监督部门处理投诉，有权查阅、复制有关文件、资料，调查有关情况，相关单位和人员应当予以配合
— so the supervisor records each step: what it read or copied, whom it asked, what it surveyed on site, and what the
testing or expert review it started on the complaint found (第61条: that time is not counted; the clock is the
complaint's own, ``service.start_review``, and a step of that kind belongs to the review's event rather than
starting another clock). 政府采购法实施条例 第56条: 财政部门处理投诉事项采用书面审查的方式，必要时可以进行
调查取证或者组织质证 — so a hearing is scheduled with its time, place and the parties notified (政府采购法 第56条:
投诉人和与投诉事项有关的当事人), and recorded once: who attended, each party's statement, who did not
appear, the recorder, and the SHA-256 of the record, which the ``complaint.hearing_recorded`` event seals in the ledger.

Records are made only while the complaint is accepted and undecided; the decision freezes them
(``rules.RecordsFrozen``). Their events are undisclosed: what the supervisor learns stays confidential (第62条第2款),
and a record names the complainant, who may be a potential bidder before the opening (招标投标法 第22条); the
ledger still commits to every one of them. Who reads what: ``access.may_read_records`` (the handling supervisors and,
once the bids are public, inspectors: everything) and ``access.hearing_party`` (a party: the hearings it was
notified of).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.complaints import access, rules
from ggzy.complaints.models import Complaint, ComplaintHearing, ComplaintInvestigation
from ggzy.complaints.service import bids_public, get_complaint
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.events import Event, canonical_json, changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.entities.service import entity_names
from ggzy.tendering.rules import china_date

if TYPE_CHECKING:  # the project as the complaints service hands it over; its table is never read here
    from ggzy.projects.models import Project


def _event(
    db: Session, actor: Principal, complaint: Complaint, project: Project, action: str, payload: dict[str, Any],
    now: datetime,
) -> Event:  # fmt: skip
    return record_event(
        db, actor, action=action, subject_type="complaint", subject_id=complaint.id, centre_id=project.centre_id,
        payload={"complaint_id": complaint.id, "tender_id": complaint.tender_id, **payload}, now=now,
    )  # fmt: skip


def _handling(
    db: Session, actor: Principal, complaint_id: int, action_zh: str, action_en: str
) -> tuple[Complaint, Project, Principal]:
    complaint, project = get_complaint(db, complaint_id)
    actor = access.check_supervisor(actor, project)
    rules.check_handling_open(state=complaint.status, action_zh=action_zh, action_en=action_en)
    return complaint, project, actor


# -- investigation (第62条) -------------------------------------------------------------------------------------------


def _review_event(db: Session, complaint: Complaint, kind: str) -> int | None:
    """The latest review started on the complaint that a step of ``kind`` belongs to (第61条), or None for the kinds
    that are not reviews; a testing or expert-review step without its review is refused."""
    wanted = rules.REVIEWED_STEPS.get(kind)
    if wanted is None:
        return None
    started = db.scalars(
        select(Event)
        .where(Event.subject_type == "complaint", Event.subject_id == str(complaint.id))
        .where(Event.action == "complaint.review_started")
        .order_by(Event.id.desc())
    )
    for event in started:
        if json.loads(event.payload).get("kind") in wanted:
            return event.id
    raise Conflict(
        field="kind",
        reason_zh="请先在“处理期限”中开始相应的检验、检测、鉴定或专家评审（其所需时间不计算在处理期限内，"
        "招标投标法实施条例 第六十一条），再记录其结果",
        reason_en="start the matching review on the decision clock first (its time is not counted, Regulations "
        "art. 61), then record what it found",
    )


@changes_state("complaint.investigation_recorded", disclosed=False)
def record_investigation(
    db: Session,
    actor: Principal,
    *,
    complaint_id: int,
    kind: str,
    taken_on: date,
    heard_role: str | None,
    heard_name: str | None,
    summary: str,
    evidence: list[dict[str, str]],
    now: datetime,
) -> ComplaintInvestigation:
    """One investigation step (查阅、复制有关文件、资料，调查有关情况, 第62条), on the day it was taken."""
    complaint, project, actor = _handling(db, actor, complaint_id, "记录调查", "record an investigation step")
    rules.check_one_of("kind", kind, rules.INVESTIGATION_KINDS)
    rules.check_heard(role=heard_role, name=heard_name)
    if len(summary.strip()) < 2:
        raise InvalidInput(field="summary", reason_zh="请写明调查情况", reason_en="say what was found")
    assert complaint.accepted_at is not None
    if taken_on > china_date(now) or taken_on < china_date(complaint.accepted_at):
        raise InvalidInput(
            field="taken_on", reason_zh="调查日期应在受理之日与今日之间", reason_en="between acceptance and today"
        )
    review_event_id = _review_event(db, complaint, kind)
    assert actor.user_id is not None
    step = ComplaintInvestigation(
        complaint_id=complaint.id, kind=kind, taken_on=taken_on, heard_role=heard_role, heard_name=heard_name,
        summary=summary.strip(), evidence=canonical_json(evidence), review_event_id=review_event_id,
        recorded_by=actor.user_id, recorded_at=now,
    )  # fmt: skip
    db.add(step)
    db.flush()
    _event(
        db, actor, complaint, project, "complaint.investigation_recorded",
        {"investigation_id": step.id, "kind": kind, "taken_on": taken_on.isoformat(), "heard_role": heard_role,
         "heard_name": heard_name, "summary": step.summary, "evidence": evidence,
         "review_event_id": review_event_id},
        now,
    )  # fmt: skip
    return step


# -- hearings (政府采购法实施条例 第56条: 组织质证) ------------------------------------------------------------


def _parties(
    db: Session, complaint: Complaint, project: Project, bidder_ids: list[int], now: datetime
) -> list[dict[str, Any]]:
    """The complainant, the owner, the agent (if any) and the bidders concerned; a bidder is named only once the
    opening record has named the bidders (招标投标法 第22条), and only one whose bid stood."""
    bidders = sorted(set(bidder_ids) - {complaint.entity_id})
    if bidders:
        if not bids_public(db, complaint.tender_id, now):
            raise InvalidInput(
                field="bidder_ids",
                reason_zh="开标前不得透露投标人（招标投标法 第二十二条）：不能通知投标人参加听证",
                reason_en="before the opening nobody learns who bid (Tendering Law art. 22): no bidder is notified",
            )
        standing = set(awards.standing_bidders(db, complaint.tender_id))
        if not set(bidders) <= standing:
            raise InvalidInput(
                field="bidder_ids", reason_zh="只能通知本标段的投标人", reason_en="only this round's bidders"
            )
    chosen = [(rules.COMPLAINANT, complaint.entity_id), (rules.OWNER, project.owner_id)]
    if project.agent_id is not None:
        chosen.append((rules.AGENT, project.agent_id))
    chosen += [(rules.BIDDER, entity_id) for entity_id in bidders]
    names = entity_names(db, [entity_id for _, entity_id in chosen])
    return [{"role": role, "entity_id": entity_id, "name": names[entity_id]} for role, entity_id in chosen]


@changes_state("complaint.hearing_scheduled", disclosed=False)
def schedule_hearing(
    db: Session,
    actor: Principal,
    *,
    complaint_id: int,
    held_at: datetime,
    place: str,
    remote: bool,
    matters: str,
    bidder_ids: list[int],
    now: datetime,
) -> ComplaintHearing:
    """A hearing: its time (after now), its place or remote link, the matters to be heard, and the parties notified
    (政府采购法实施条例 第56条: 组织质证; 政府采购法 第56条: 投诉人和与投诉事项有关的当事人)."""
    complaint, project, actor = _handling(db, actor, complaint_id, "安排听证", "schedule a hearing")
    if held_at <= now:
        raise InvalidInput(field="held_at", reason_zh="听证时间应晚于现在", reason_en="the hearing is in the future")
    if len(place.strip()) < 2 or len(matters.strip()) < 2:
        raise InvalidInput(
            field="place" if len(place.strip()) < 2 else "matters",
            reason_zh="请写明听证地点（或远程方式）和听证事项", reason_en="say where (or how, remotely) and on what",
        )  # fmt: skip
    parties = _parties(db, complaint, project, bidder_ids, now)
    assert actor.user_id is not None
    hearing = ComplaintHearing(
        complaint_id=complaint.id, held_at=held_at, place=place.strip(), remote=remote, matters=matters.strip(),
        parties=canonical_json(parties), scheduled_by=actor.user_id, scheduled_at=now,
    )  # fmt: skip
    db.add(hearing)
    db.flush()
    _event(
        db, actor, complaint, project, "complaint.hearing_scheduled",
        {"hearing_id": hearing.id, "held_at": held_at.isoformat(), "place": hearing.place, "remote": remote,
         "matters": hearing.matters, "parties": parties},
        now,
    )  # fmt: skip
    return hearing


def record_digest(hearing: ComplaintHearing, record: dict[str, Any], *, recorder: int, recorded_at: datetime) -> str:
    """SHA-256 of the canonical record: the hearing, what was said, who recorded it and when."""
    sealed = {
        "hearing_id": hearing.id, "complaint_id": hearing.complaint_id, "held_at": hearing.held_at.isoformat(),
        "place": hearing.place, "remote": hearing.remote, "record": record, "recorded_by": recorder,
        "recorded_at": recorded_at.isoformat(),
    }  # fmt: skip
    return hashlib.sha256(canonical_json(sealed).encode()).hexdigest()


@changes_state("complaint.hearing_recorded", disclosed=False)
def record_hearing(
    db: Session,
    actor: Principal,
    *,
    complaint_id: int,
    hearing_id: int,
    attendance: list[dict[str, Any]],
    summary: str,
    now: datetime,
) -> ComplaintHearing:
    """The hearing's record, once it has been held: each party notified, present (with its representative and its
    statement) or absent; the recorder's summary; the record's SHA-256, sealed by the event."""
    complaint, project, actor = _handling(db, actor, complaint_id, "记录听证", "record a hearing")
    hearing = db.get(ComplaintHearing, hearing_id)
    if hearing is None or hearing.complaint_id != complaint.id:
        raise NotFound(field="hearing_id", what_zh="听证", what_en="Hearing")
    if hearing.recorded_at is not None:
        raise Conflict(field="hearing_id", reason_zh="该听证已有记录", reason_en="this hearing is already recorded")
    if now < hearing.held_at:
        raise Conflict(field="hearing_id", reason_zh="听证尚未举行", reason_en="the hearing has not been held yet")
    if len(summary.strip()) < 2:
        raise InvalidInput(field="summary", reason_zh="请写明听证情况", reason_en="summarise the hearing")
    parties = json.loads(hearing.parties)
    rules.check_attendance(parties, attendance)
    names = {(p["role"], p["entity_id"]): p["name"] for p in parties}
    rows = [
        {"role": a["role"], "entity_id": a["entity_id"], "name": names[(a["role"], a["entity_id"])],
         "attended": bool(a["attended"]), "representative": (a.get("representative") or "").strip() or None,
         "statement": (a.get("statement") or "").strip() or None}
        for a in attendance
    ]  # fmt: skip
    record = {"attendance": rows, "summary": summary.strip()}
    assert actor.user_id is not None
    hearing.record = canonical_json(record)
    hearing.record_sha256 = record_digest(hearing, record, recorder=actor.user_id, recorded_at=now)
    hearing.recorded_by, hearing.recorded_at = actor.user_id, now
    db.flush()
    _event(
        db, actor, complaint, project, "complaint.hearing_recorded",
        {"hearing_id": hearing.id, "record_sha256": hearing.record_sha256,
         "attended": [r["role"] for r in rows if r["attended"]],
         "absent": [r["role"] for r in rows if not r["attended"]]},
        now,
    )  # fmt: skip
    return hearing


# -- reading ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HearingView:
    hearing: ComplaintHearing
    parties: list[dict[str, Any]]  # names hidden from a party before the opening but its own (招标投标法 第22条)
    record: dict[str, Any] | None


def _readable(db: Session, actor: Principal, complaint_id: int, now: datetime) -> tuple[Complaint, bool]:
    """The complaint and whether the reader sees all of its records (handling supervisors; inspectors once the bids
    are public); otherwise the reader must be a party of one of its hearings, or it is not found."""
    complaint, project = get_complaint(db, complaint_id)
    return complaint, access.may_read_records(actor, project, bids_public=bids_public(db, complaint.tender_id, now))


def investigations_of(
    db: Session, actor: Principal, *, complaint_id: int, now: datetime
) -> list[ComplaintInvestigation]:
    """The investigation steps, oldest first: for the handling supervisors and inspectors only."""
    complaint, everything = _readable(db, actor, complaint_id, now)
    if not everything:
        raise NotFound(field="complaint_id", what_zh="投诉", what_en="Complaint")
    query = select(ComplaintInvestigation).where(ComplaintInvestigation.complaint_id == complaint.id)
    return list(db.scalars(query.order_by(ComplaintInvestigation.id)))


def _view(hearing: ComplaintHearing, *, names_shown: bool, own: int | None) -> HearingView:
    def masked(item: dict[str, Any]) -> dict[str, Any]:
        """Another party before the bids are public: its role (and whether it came) only — no id, no name, no
        representative, no statement: any of them would say who complained (招标投标法 第22条)."""
        if names_shown or item["entity_id"] == own:
            return item
        hidden = {key: None for key in item if key not in ("role", "attended")}
        return {**item, **hidden}

    record = json.loads(hearing.record) if hearing.record is not None else None
    if record is not None:
        record = {**record, "attendance": [masked(row) for row in record["attendance"]]}
    return HearingView(hearing, [masked(p) for p in json.loads(hearing.parties)], record)


def hearings_of(db: Session, actor: Principal, *, complaint_id: int, now: datetime) -> list[HearingView]:
    """A complaint's hearings, oldest first: all of them for the handling supervisors and inspectors; for a party
    (complainant, owner, agent, bidder concerned) those it was notified of, or the complaint is not found."""
    complaint, everything = _readable(db, actor, complaint_id, now)
    query = select(ComplaintHearing).where(ComplaintHearing.complaint_id == complaint.id)
    hearings = list(db.scalars(query.order_by(ComplaintHearing.id)))
    if everything:
        return [_view(h, names_shown=True, own=None) for h in hearings]
    mine = [h for h in hearings if access.hearing_party(actor, json.loads(h.parties))]
    if not mine:
        raise NotFound(field="complaint_id", what_zh="投诉", what_en="Complaint")
    public = bids_public(db, complaint.tender_id, now)
    return [_view(h, names_shown=public, own=actor.entity_id) for h in mine]


def hearings_notified_to(
    db: Session, actor: Principal, *, now: datetime, limit: int = 200
) -> list[tuple[HearingView, int]]:
    """The hearings the reader's entity was notified of, newest first, each with its tender's id (a party's own
    list: the hearing notices addressed to it and the records of the hearings it was party to)."""
    if actor.entity_id is None:
        return []
    pattern = f'%"entity_id":{actor.entity_id},%'  # canonical JSON: no spaces; narrowed exactly below
    query = (
        select(ComplaintHearing, Complaint.tender_id)
        .join(Complaint, Complaint.id == ComplaintHearing.complaint_id)
        .where(ComplaintHearing.parties.like(pattern))
        .order_by(ComplaintHearing.held_at.desc(), ComplaintHearing.id.desc())
        .limit(limit)
    )
    found = []
    for hearing, tender_id in db.execute(query):
        if access.hearing_party(actor, json.loads(hearing.parties)):
            public = bids_public(db, tender_id, now)
            found.append((_view(hearing, names_shown=public, own=actor.entity_id), tender_id))
    return found
