"""Tip-offs (举报 / 问题线索, decision 0045): anyone reports what they saw, anonymous allowed; the report goes to the
supervisors of its region and trade; the reporter follows it by a code.

浙江省招标投标条例 第48条: 任何单位和个人发现招标投标活动中有违反法律、法规规定行为的，可以向有关行政监督部门举报。
有关行政监督部门应当及时调查处理，将处理情况告知举报人，并为举报人保密。 Hence:

- **Anyone reports** (:func:`report`): a visitor, or a logged-in user who may still stay anonymous — then nothing
  of who they are is kept, not even in the event (its actor is a visitor). A report about a round takes the round's
  region and trade; otherwise the reporter names the region (and, optionally, the trade).
- **A code to follow it**: 128 random bits shown once; only its SHA-256 is stored, so neither a copy of the
  database nor the staff can follow a report as its reporter. :func:`follow` answers its status and what the
  reporter is told, nothing else.
- **Routed to the supervisors of its scope** (:func:`queue`): those whose grant covers its region and trade; they
  accept it (受理) or decline it with the reason the reporter reads, and close an accepted one with its result
  (处理情况告知举报人). Who reported (when named) is shown only to them, never published (为举报人保密).
- Reports and lookups are rate-limited per client address (``ggzy.core.rate_limit``) against floods.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ggzy.core.codes import region_contains, region_prefix, validate_region_code
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal, Role, RoleGrant
from ggzy.supervision.models import Tipoff
from ggzy.tendering.service import rounds_with_projects

SUBJECT = "tipoff"
CODE_BYTES = 16


class Status(StrEnum):
    RECEIVED = "received"  # 已收到，待受理
    ACCEPTED = "accepted"  # 已受理，调查处理中
    DECLINED = "declined"  # 不予受理（理由告知举报人）
    CLOSED = "closed"  # 已办结（处理情况告知举报人）


class TipoffCodeUnknown(DomainError):
    code = "tipoff_code_unknown"
    status = 404
    message_zh = "查询码不正确：没有与之对应的举报"
    message_en = "No report has this follow-up code"


class TipoffStateWrong(DomainError):
    code = "tipoff_state_wrong"
    status = 409
    message_zh = "该举报当前状态为“{status}”，不能{action_zh}"
    message_en = "The report is {status}: it cannot be {action_en}"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class Reported:
    tipoff: Tipoff
    code: str  # shown once to the reporter, never stored


def _scope(
    db: Session, *, tender_id: int | None, region_code: str | None, trade_type: str | None
) -> tuple[str, str | None]:
    if tender_id is not None:
        rounds = rounds_with_projects(db, [tender_id])
        if tender_id not in rounds:
            raise NotFound(field="tender_id", what_zh="标段", what_en="Round")
        project = rounds[tender_id][2]
        return project.region_code, project.trade_type
    if not region_code:
        raise InvalidInput(field="region_code", reason_zh="请选择所涉地区", reason_en="name the region concerned")
    return validate_region_code(region_code), trade_type


@changes_state("tipoff.received", disclosed=False)  # what is reported and by whom is the supervisors' alone
def report(
    db: Session, actor: Principal, *, subject: str, content: str, tender_id: int | None, region_code: str | None,
    trade_type: str | None, anonymous: bool, contact: str | None, now: datetime,
) -> Reported:  # fmt: skip
    """Receive a report; an anonymous one keeps nothing of who sent it. Returns the follow-up code, once."""
    if not subject.strip():
        raise InvalidInput(field="subject", reason_zh="请写明举报事项", reason_en="say what the report is about")
    if len(content.strip()) < 10:
        raise InvalidInput(field="content", reason_zh="请具体写明所见情况（至少10个字）",
                           reason_en="describe what you saw (10 characters at least)")  # fmt: skip
    region, trade = _scope(db, tender_id=tender_id, region_code=region_code, trade_type=trade_type)
    named = not anonymous and actor.user_id is not None
    code = secrets.token_urlsafe(CODE_BYTES)
    tipoff = Tipoff(
        code_sha256=code_hash(code), region_code=region, trade_type=trade, tender_id=tender_id,
        subject=subject.strip(), content=content.strip(),
        contact=None if anonymous else (contact or "").strip() or None,
        reporter_user_id=actor.user_id if named else None, status=Status.RECEIVED.value, received_at=now,
    )  # fmt: skip
    db.add(tipoff)
    db.flush()
    reporter = actor if named else Principal()  # an anonymous report's event names nobody
    record_event(
        db, reporter, action="tipoff.received", subject_type=SUBJECT, subject_id=tipoff.id, now=now,
        payload={"region_code": region, "trade_type": trade, "tender_id": tender_id, "anonymous": not named},
    )  # fmt: skip
    return Reported(tipoff, code)


def follow(db: Session, *, code: str) -> Tipoff:
    """The report a follow-up code names (its status and answer are what the reporter reads)."""
    tipoff = db.scalar(select(Tipoff).where(Tipoff.code_sha256 == code_hash(code)))
    if tipoff is None:
        raise TipoffCodeUnknown(field="code")
    return tipoff


def _covers(grant: RoleGrant, tipoff: Tipoff) -> bool:
    if grant.region_code and not region_contains(grant.region_code, tipoff.region_code):
        return False
    # a report that names no trade reaches every trade's supervisors of its region (a reporter may not know which)
    return not grant.trade_type or tipoff.trade_type is None or grant.trade_type == tipoff.trade_type


def may_handle(actor: Principal, tipoff: Tipoff) -> bool:
    return any(_covers(grant, tipoff) for grant in actor.grants_for(Role.SUPERVISOR))


def queue(db: Session, actor: Principal, *, status: Status | None, limit: int) -> list[Tipoff]:
    """The reports in the supervisor's scope (its grants' regions and trades), the oldest first."""
    clauses: list[ColumnElement[bool]] = []
    for grant in actor.grants_for(Role.SUPERVISOR):
        clause: ColumnElement[bool] = true()
        if grant.region_code:
            clause = Tipoff.region_code.startswith(region_prefix(grant.region_code))
        if grant.trade_type:
            clause = clause & ((Tipoff.trade_type == grant.trade_type) | Tipoff.trade_type.is_(None))
        clauses.append(clause)
    query = select(Tipoff).where(or_(*clauses) if clauses else false())
    if status is not None:
        query = query.where(Tipoff.status == status.value)
    return list(db.scalars(query.order_by(Tipoff.received_at, Tipoff.id).limit(limit)))


def _handled(db: Session, actor: Principal, tipoff_id: int, wanted: Status, action_zh: str, action_en: str) -> Tipoff:
    tipoff = db.get(Tipoff, tipoff_id)
    if tipoff is None or not may_handle(actor, tipoff):
        raise NotFound(field="tipoff_id", what_zh="举报", what_en="Report")
    if tipoff.status != wanted.value:
        raise TipoffStateWrong(field="tipoff_id", status=tipoff.status, action_zh=action_zh, action_en=action_en)
    return tipoff


def _answer(text: str, field: str) -> str:
    if len(text.strip()) < 2:
        raise InvalidInput(field=field, reason_zh="请写明告知举报人的内容", reason_en="write what the reporter is told")
    return text.strip()


@changes_state("tipoff.accepted", disclosed=False)
def accept(db: Session, actor: Principal, *, tipoff_id: int, now: datetime) -> Tipoff:
    tipoff = _handled(db, actor, tipoff_id, Status.RECEIVED, "受理", "accepted")
    tipoff.status, tipoff.handled_by, tipoff.accepted_at = Status.ACCEPTED.value, actor.user_id, now
    record_event(db, actor, action="tipoff.accepted", subject_type=SUBJECT, subject_id=tipoff.id, now=now, payload={})
    return tipoff


@changes_state("tipoff.declined", disclosed=False)
def decline(db: Session, actor: Principal, *, tipoff_id: int, reason: str, now: datetime) -> Tipoff:
    answer = _answer(reason, "reason")
    tipoff = _handled(db, actor, tipoff_id, Status.RECEIVED, "不予受理", "declined")
    tipoff.status, tipoff.handled_by, tipoff.closed_at, tipoff.answer = (
        Status.DECLINED.value,
        actor.user_id,
        now,
        answer,
    )
    record_event(
        db, actor, action="tipoff.declined", subject_type=SUBJECT, subject_id=tipoff.id, now=now,
        payload={"reason": answer},
    )  # fmt: skip
    return tipoff


@changes_state("tipoff.closed", disclosed=False)
def close(db: Session, actor: Principal, *, tipoff_id: int, result: str, now: datetime) -> Tipoff:
    """Close an accepted report with the result of the investigation, which the reporter reads (第48条)."""
    answer = _answer(result, "result")
    tipoff = _handled(db, actor, tipoff_id, Status.ACCEPTED, "办结", "closed")
    tipoff.status, tipoff.handled_by, tipoff.closed_at, tipoff.answer = Status.CLOSED.value, actor.user_id, now, answer
    record_event(
        db, actor, action="tipoff.closed", subject_type=SUBJECT, subject_id=tipoff.id, now=now,
        payload={"result": answer},
    )  # fmt: skip
    return tipoff
