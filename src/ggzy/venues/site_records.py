"""On-site records (现场见证记录, decision 0048): what a centre's staff member saw at a tender's opening or evaluation,
kept as evidence for the supervisor's credit decisions.

- **Who records**: the staff of the tender's own centre (a centre above reads, it does not record; decision 0041).
- **About whom**: an expert of the tender's committee, one of its bidders (and the name of its representative
  present), or its owner or agent — each checked against the tender's real committee and bidders, so a record never
  names someone who was not there. The committee sits at the evaluation; an opening has begun before anything of it
  is recorded (its bidders are secret until then, 招标投标法 第22条, 第36条).
- **When**: the time it happened, given in Beijing time on the pages, stored in UTC, never after the clock's now.
- **Never overwritten**: a correction is a new record that amends the old one (which stays, marked amended); a
  record is withdrawn with its reason, kept. Both are events, undisclosed in the public ledger: a record may name an
  expert, whose identity is secret until the result (招标投标法 第37条: 评标委员会成员的名单在中标结果确定前应当保密).
- **Who reads** (:func:`readable`): the staff of the centre and of the centres above it, the supervisors and
  inspectors of the project's region and trade; an expert those about himself once the result is known; a bidder
  those about itself, never another's. Never the public.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ggzy.core.clock import as_utc
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.events import canonical_json, changes_state, record_event
from ggzy.core.permissions import Principal, Role
from ggzy.entities.service import entity_names, get_entity
from ggzy.experts.service import OWNER_REPRESENTATIVE, committee_of, current_draw, expert_names
from ggzy.projects.access import check_reviewer, is_own_centre, visible_project_ids
from ggzy.tendering.read import bids_at_opening, opening_started_at
from ggzy.tendering.service import get_tender, project_of, rounds_with_projects
from ggzy.tendering.stages import Stage
from ggzy.venues.models import SiteRecord
from ggzy.venues.schemas import SiteRecordIn
from ggzy.venues.site_record_rules import SESSIONS, SUBJECT_KINDS, SUBJECTS_AT, SubjectKind
from ggzy.venues.site_record_rules import Session as SiteSession

SUBJECT = "site_record"
# The result is known (中标结果确定) or the round ended otherwise: from then on a committee's names are no secret.
RESULT_KNOWN = frozenset({Stage.AWARDED, Stage.CONTRACTED, Stage.FAILED, Stage.CANCELLED})
# The roles that read by the project's scope (their grants: centre, region, trade).
_SCOPED_READERS = frozenset({Role.CENTRE_STAFF, Role.SUPERVISOR, Role.INSPECTOR})


class SiteSubjectNotOfTender(DomainError):
    code = "site_record_subject_not_of_tender"
    status = 422
    message_zh = "所记录的对象不是该标段的{kind_zh}：只能记录该标段评标委员会的专家、投标人、招标人或其代理机构"
    message_en = (
        "The subject is not this tender's {kind_en}: a record names an expert of its committee, one of its bidders, "
        "its owner or its agent"
    )


class SiteSessionNotHeld(DomainError):
    code = "site_record_session_not_held"
    status = 409
    message_zh = "该标段的{session_zh}尚未进行：开标开始后方可记录开标现场，评标委员会抽取后方可记录评标现场"
    message_en = (
        "This tender's {session_en} has not taken place: an opening is recorded once it began, an evaluation once "
        "its committee is drawn"
    )


class SiteRecordClosed(DomainError):
    code = "site_record_closed"
    status = 409
    message_zh = "该记录已{state_zh}，不能再更正或撤回；请查看其最新的记录"
    message_en = "The record has been {state_en}: it cannot be amended or withdrawn again; see its latest record"


def evidence_of(record: SiteRecord) -> list[dict[str, str]]:
    return list(json.loads(record.evidence))


@dataclass(frozen=True)
class _Subject:
    kind: SubjectKind
    expert_id: int | None = None
    expert_user_id: int | None = None
    entity_id: int | None = None


def _refuse_given(value: object, field: str) -> None:
    if value is not None:
        raise InvalidInput(field=field, reason_zh="该类对象不填写此项", reason_en="not for this kind of subject")


def _subject(db: Session, tender_id: int, project: Any, data: SiteRecordIn) -> _Subject:
    """The subject, checked against the tender's real committee, bidders, owner and agent."""
    kind = data.subject_kind
    label_zh, label_en = SUBJECT_KINDS[kind]
    if kind not in SUBJECTS_AT[data.session]:
        raise SiteSubjectNotOfTender(field="subject_kind", kind_zh=f"{SESSIONS[data.session][0]}现场人员",
                                     kind_en=f"{SESSIONS[data.session][1]}'s attendee")  # fmt: skip
    if kind is SubjectKind.EXPERT:
        _refuse_given(data.entity_id, "entity_id")
        _refuse_given(data.representative_name, "representative_name")
        if data.expert_id is None:
            raise InvalidInput(field="expert_id", reason_zh="请选择评标专家", reason_en="choose the expert")
        seat = next(
            (
                seat
                for seat in committee_of(db, tender_id)
                if seat.expert_id == data.expert_id and seat.kind != OWNER_REPRESENTATIVE
            ),
            None,
        )
        if seat is None:
            raise SiteSubjectNotOfTender(field="expert_id", kind_zh=label_zh, kind_en=label_en)
        return _Subject(kind, expert_id=data.expert_id, expert_user_id=seat.user_id)
    _refuse_given(data.expert_id, "expert_id")
    if kind is SubjectKind.BIDDER:
        if data.entity_id is None:
            raise InvalidInput(field="entity_id", reason_zh="请选择投标人", reason_en="choose the bidder")
        if data.entity_id not in _bidders_at_opening(db, tender_id):
            raise SiteSubjectNotOfTender(field="entity_id", kind_zh=label_zh, kind_en=label_en)
        return _Subject(kind, entity_id=data.entity_id)
    expected = project.owner_id if kind is SubjectKind.OWNER else project.agent_id
    if expected is None or data.entity_id not in (None, expected):
        raise SiteSubjectNotOfTender(field="entity_id", kind_zh=label_zh, kind_en=label_en)
    return _Subject(kind, entity_id=expected)


def _bidders_at_opening(db: Session, tender_id: int) -> set[int]:
    """The bidders the opening record names (the bids standing at the deadline), once the opening began: never one
    who withdrew before the deadline, nor anyone before the opening (招标投标法 第二十二条)."""
    if opening_started_at(db, tender_id) is None:
        return set()
    return {entity_id for _, entity_id in bids_at_opening(db, tender_id)}


def _check_session_held(db: Session, tender_id: int, session: SiteSession) -> None:
    held = (
        opening_started_at(db, tender_id) is not None
        if session is SiteSession.OPENING
        else current_draw(db, tender_id) is not None
    )
    if not held:
        zh, en = SESSIONS[session]
        raise SiteSessionNotHeld(field="session", session_zh=zh, session_en=en)


def _open_record(db: Session, record_id: int, field: str, *, tender_id: int | None = None) -> SiteRecord:
    """A record that is neither withdrawn nor amended: the one a correction or a withdrawal applies to. One of
    another tender (``tender_id`` given) is not found, whatever its state: nothing is said of it."""
    record = db.get(SiteRecord, record_id)
    if record is None or (tender_id is not None and record.tender_id != tender_id):
        raise NotFound(field=field, what_zh="现场见证记录", what_en="On-site record")
    if record.withdrawn_at is not None:
        raise SiteRecordClosed(field=field, state_zh="撤回", state_en="withdrawn")
    if db.scalar(select(SiteRecord.id).where(SiteRecord.amends_id == record.id)) is not None:
        raise SiteRecordClosed(field=field, state_zh="更正", state_en="amended")
    return record


@changes_state("site_record.recorded", disclosed=False)  # it may name an expert (招标投标法 第37条)
def record(db: Session, actor: Principal, *, tender_id: int, data: SiteRecordIn, now: datetime) -> SiteRecord:
    """Record what happened at the tender's opening or evaluation (or correct an earlier record, ``amends_id``)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    check_reviewer(actor, project)  # the staff of the tender's own centre
    occurred_at = as_utc(data.occurred_at)
    if occurred_at > as_utc(now):
        raise InvalidInput(field="occurred_at", reason_zh="不能晚于当前时间", reason_en="cannot be in the future")
    description = data.description.strip()
    if not description:
        raise InvalidInput(field="description", reason_zh="请写明现场情况", reason_en="describe what happened")
    _check_session_held(db, tender.id, data.session)
    subject = _subject(db, tender.id, project, data)
    if data.amends_id is not None:
        _open_record(db, data.amends_id, "amends_id", tender_id=tender.id)
    evidence = [{"name": item.name, "sha256": item.sha256} for item in data.evidence]
    representative = (data.representative_name or "").strip() or None
    row = SiteRecord(
        tender_id=tender.id, project_id=project.id, centre_id=project.centre_id, session=data.session.value,
        occurred_at=occurred_at, subject_kind=subject.kind.value, expert_id=subject.expert_id,
        expert_user_id=subject.expert_user_id, entity_id=subject.entity_id, representative_name=representative,
        category=data.category.value, description=description, evidence=canonical_json(evidence),
        amends_id=data.amends_id, recorded_by=actor.user_id, recorded_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    record_event(
        db, actor, action="site_record.recorded", subject_type=SUBJECT, subject_id=row.id, centre_id=project.centre_id,
        payload={
            "tender_id": tender.id, "session": row.session, "occurred_at": occurred_at.isoformat(),
            "subject_kind": row.subject_kind, "expert_id": row.expert_id, "entity_id": row.entity_id,
            "representative_name": representative, "category": row.category, "description": description,
            "evidence": evidence, "amends_id": row.amends_id,
        },
        now=now,
    )  # fmt: skip
    return row


@changes_state("site_record.withdrawn", disclosed=False)
def withdraw(db: Session, actor: Principal, *, record_id: int, reason: str, now: datetime) -> SiteRecord:
    """Withdraw a record with its reason (recorded in error, say): it stays, marked withdrawn."""
    row = db.get(SiteRecord, record_id)
    if row is None or not is_own_centre(actor, project_of(db, get_tender(db, row.tender_id))[0]):
        # another centre's record is not found: its existence is not said (the security review's L4)
        raise NotFound(field="record_id", what_zh="现场见证记录", what_en="On-site record")
    row = _open_record(db, record_id, "record_id")
    if not reason.strip():
        raise InvalidInput(field="reason", reason_zh="请写明撤回理由", reason_en="give the reason")
    row.withdrawn_by, row.withdrawn_at, row.withdraw_reason = actor.user_id, now, reason.strip()
    db.flush()
    record_event(
        db, actor, action="site_record.withdrawn", subject_type=SUBJECT, subject_id=row.id, centre_id=row.centre_id,
        payload={"tender_id": row.tender_id, "reason": row.withdraw_reason}, now=now,
    )  # fmt: skip
    return row


# -- reads ----------------------------------------------------------------------------------------------------------


def _readable_clause(actor: Principal) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    scoped = replace(actor, grants=tuple(g for g in actor.grants if g.role in _SCOPED_READERS))
    if scoped.grants:
        clauses.append(SiteRecord.project_id.in_(visible_project_ids(scoped)))
    if Role.BIDDER in actor.roles and actor.entity_id is not None:  # its own, never another bidder's
        clauses.append(
            (SiteRecord.subject_kind == SubjectKind.BIDDER.value) & (SiteRecord.entity_id == actor.entity_id)
        )
    if Role.EXPERT in actor.roles and actor.user_id is not None:  # its own; the result is checked after the query
        clauses.append(
            (SiteRecord.subject_kind == SubjectKind.EXPERT.value) & (SiteRecord.expert_user_id == actor.user_id)
        )
    return or_(*clauses) if clauses else false()


def _secret_for(actor: Principal, rows: list[SiteRecord]) -> set[int]:
    """The rows an expert reads only because they are about him, while the result is not known yet."""
    scoped = any(grant.role in _SCOPED_READERS for grant in actor.grants)
    if scoped:
        return set()
    return {row.id for row in rows if row.subject_kind == SubjectKind.EXPERT.value}


def readable(
    db: Session, actor: Principal, *, tender_id: int | None = None, limit: int = 200, offset: int = 0
) -> list[SiteRecord]:
    """The records ``actor`` may read, the newest first (of one tender, if given)."""
    query = select(SiteRecord).where(_readable_clause(actor))
    if tender_id is not None:
        query = query.where(SiteRecord.tender_id == tender_id)
    rows = list(db.scalars(query.order_by(SiteRecord.id.desc()).limit(limit).offset(offset)))
    pending = _secret_for(actor, rows)
    if pending:
        rounds = rounds_with_projects(db, sorted({row.tender_id for row in rows if row.id in pending}))
        known = {tender_id for tender_id, (tender, _, _) in rounds.items() if Stage(tender.stage) in RESULT_KNOWN}
        rows = [row for row in rows if row.id not in pending or row.tender_id in known]
    return rows


def get_readable(db: Session, actor: Principal, record_id: int) -> SiteRecord:
    """One record ``actor`` may read; any other is not found (whether it exists is not told)."""
    row = db.scalar(select(SiteRecord).where(SiteRecord.id == record_id, _readable_clause(actor)))
    if row is not None and row.id in _secret_for(actor, [row]):
        tender = get_tender(db, row.tender_id)
        if Stage(tender.stage) not in RESULT_KNOWN:
            row = None
    if row is None:
        raise NotFound(field="record_id", what_zh="现场见证记录", what_en="On-site record")
    return row


def history_of(db: Session, row: SiteRecord) -> list[SiteRecord]:
    """The chain of corrections the record belongs to, the first record first."""
    chain = [row]
    while chain[0].amends_id is not None:
        chain.insert(0, db.get_one(SiteRecord, chain[0].amends_id))
    while True:
        later = db.scalar(select(SiteRecord).where(SiteRecord.amends_id == chain[-1].id))
        if later is None:
            return chain
        chain.append(later)


def readable_history(db: Session, actor: Principal, row: SiteRecord) -> list[SiteRecord]:
    """:func:`history_of`, keeping only what ``actor`` may read (a correction may name another subject)."""
    chain = history_of(db, row)
    if len(chain) == 1:
        return chain
    allowed = {other.id for other in readable(db, actor, tender_id=row.tender_id, limit=1000)}
    return [other for other in chain if other.id == row.id or other.id in allowed]


def amended_by(db: Session, record_ids: list[int]) -> dict[int, int]:
    """The correction of each record amended, by the amended record's id."""
    if not record_ids:
        return {}
    rows = db.execute(select(SiteRecord.amends_id, SiteRecord.id).where(SiteRecord.amends_id.in_(record_ids)))
    return {amends: newer for amends, newer in rows if amends is not None}


def subject_names(db: Session, rows: list[SiteRecord]) -> dict[int, str]:
    """Each record's subject by name (an expert's name: the readers here may know it)."""
    experts = expert_names(db, sorted({row.expert_id for row in rows if row.expert_id is not None}))
    entities = entity_names(db, sorted({row.entity_id for row in rows if row.entity_id is not None}))
    return {
        row.id: experts.get(row.expert_id, "") if row.expert_id is not None else entities.get(row.entity_id or 0, "")
        for row in rows
    }


@dataclass(frozen=True)
class Attendees:
    """Whom a record of this tender may name: its committee's experts (id, name), its bidders (entity id, name), its
    owner and agent."""

    experts: list[tuple[int, str]]
    bidders: list[tuple[int, str]]
    owner: tuple[int, str]
    agent: tuple[int, str] | None


def attendees(db: Session, actor: Principal, tender_id: int) -> Attendees:
    """For the recording form of the tender's own centre staff (who see the committee's names)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    check_reviewer(actor, project)
    seats = [seat for seat in committee_of(db, tender.id) if seat.expert_id is not None]
    names = expert_names(db, [seat.expert_id for seat in seats if seat.expert_id is not None])
    bidders = sorted(_bidders_at_opening(db, tender.id))
    parties = entity_names(db, [*bidders, project.owner_id, *([project.agent_id] if project.agent_id else [])])
    return Attendees(
        experts=[(seat.expert_id, names.get(seat.expert_id, "")) for seat in seats if seat.expert_id is not None],
        bidders=[(entity_id, parties.get(entity_id, "")) for entity_id in bidders],
        owner=(project.owner_id, parties.get(project.owner_id, "")),
        agent=(project.agent_id, parties.get(project.agent_id, "")) if project.agent_id else None,
    )


# -- evidence for credit (credit.service.decide_penalty) --------------------------------------------------------------


@dataclass(frozen=True)
class Citable:
    """What a penalty citing a record checks: its subject, and whether it still stands."""

    id: int
    subject_kind: str
    expert_id: int | None
    credit_code: str | None
    standing: bool  # neither withdrawn nor amended


def citable(db: Session, actor: Principal, record_ids: list[int]) -> list[Citable]:
    """The records a supervisor cites as the grounds of a penalty, each within its jurisdiction (a grant covering
    the project's region and trade); one out of it is not found, as if it did not exist."""
    supervisor = replace(actor, grants=actor.grants_for(Role.SUPERVISOR))
    if not record_ids:
        return []
    clause = SiteRecord.project_id.in_(visible_project_ids(supervisor)) if supervisor.grants else false()
    rows = {row.id: row for row in db.scalars(select(SiteRecord).where(SiteRecord.id.in_(record_ids), clause))}
    newer = amended_by(db, list(rows))
    found = []
    for record_id in record_ids:
        row = rows.get(record_id)
        if row is None:
            raise NotFound(field="site_record_ids", what_zh=f"现场见证记录 {record_id}",
                           what_en=f"On-site record {record_id}")  # fmt: skip
        code = get_entity(db, row.entity_id).credit_code if row.entity_id is not None else None
        found.append(Citable(row.id, row.subject_kind, row.expert_id, code,
                             row.withdrawn_at is None and row.id not in newer))  # fmt: skip
    return found
