"""The services of credit (decision 0040): penalties, records, joint-punishment lists, interceptions, and the reads
of the public query, the blacklist and the supervisor's counts. Every change is a ``@changes_state`` service."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, bindparam, cast, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ggzy.core.clock import to_china_time
from ggzy.core.codes import region_prefix, validate_credit_code
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.money import yuan_to_fen
from ggzy.core.permissions import Principal, Role
from ggzy.core.screening import Checkpoint
from ggzy.credit import access, rules
from ggzy.credit.models import CreditInterception, CreditList, CreditPenalty, CreditPenaltySiteRecord, CreditRecord
from ggzy.credit.rules import CreditIntercepted, PenaltyKind, Polarity, RecordStatus, Source, SubjectKind
from ggzy.credit.schemas import PenaltyIn, RecordIn
from ggzy.entities import service as entities
from ggzy.experts import service as experts
from ggzy.prequalification import service as prequalification_service
from ggzy.projects.access import visible_project_ids
from ggzy.tendering import read as tendering_read
from ggzy.venues import site_records

# A warning's, a fine's or a deduction's record stays in force three years: the look-back of 政府采购法 第二十二条
# 第一款 (五) (参加政府采购活动前三年内 … 没有重大违法记录).
RECORD_MONTHS = 36

CHECKPOINT_ZH = {
    Checkpoint.ENTITY_REGISTRATION: "主体注册",
    Checkpoint.TENDER_REGISTRATION: "报名",
    Checkpoint.BID_SUBMISSION: "递交投标文件",
    Checkpoint.EXPERT_DRAW: "专家抽取",
    Checkpoint.AWARD: "定标",
    Checkpoint.AUCTION_REGISTRATION: "竞买登记",
    Checkpoint.AUCTION_BID: "竞买报价",
}


def _today(now: datetime) -> date:
    return to_china_time(now).date()


def _in_force(now: datetime) -> Any:
    return (
        CreditRecord.restricts.is_(True),
        CreditRecord.ended_at.is_(None),
        CreditRecord.valid_from <= now,
        or_(CreditRecord.valid_until.is_(None), CreditRecord.valid_until > now),
    )


def status_of(record: CreditRecord, now: datetime) -> RecordStatus:
    return rules.status_of(
        valid_from=record.valid_from, valid_until=record.valid_until, end_reason=record.end_reason, now=now
    )


# -- penalties ------------------------------------------------------------------------------------------------------


def _grounds(value: str, field: str = "grounds") -> str:
    grounds = value.strip()
    if not grounds:
        raise rules.GroundsRequired(field=field)
    return grounds


def _entity_name(db: Session, credit_code: str, given: str | None) -> str:
    entity = entities.find_entity_by_credit_code(db, credit_code)
    if entity is not None:
        return entity.name
    if not given or not given.strip():
        raise InvalidInput(
            field="subject_name",
            reason_zh="该单位未在本平台注册，须填写名称",
            reason_en="not registered here: give its name",
        )
    return given.strip()


def _cited(
    db: Session, actor: Principal, record_ids: list[int], *, expert_id: int | None, credit_code: str | None
) -> list[int]:
    """The on-site records a penalty cites (decision 0048): each in the supervisor's jurisdiction (else not found),
    still standing (neither withdrawn nor amended: cite its correction), and about the penalty's own subject."""
    ids = list(dict.fromkeys(record_ids))
    for cited in site_records.citable(db, actor, ids):
        if not cited.standing:
            raise rules.SiteRecordNotGrounds(
                field="site_record_ids", record_id=cited.id, reason_zh="该记录已撤回或已更正",
                reason_en="it was withdrawn or amended",
            )  # fmt: skip
        same = cited.expert_id == expert_id if expert_id is not None else cited.credit_code == credit_code
        if not same:
            raise rules.SiteRecordNotGrounds(
                field="site_record_ids", record_id=cited.id, reason_zh="所记录的对象不是被处罚的当事人",
                reason_en="it is about someone other than the penalised",
            )  # fmt: skip
    return ids


@changes_state("credit.penalty_decided")
def decide_penalty(
    db: Session, actor: Principal, *, data: PenaltyIn, now: datetime
) -> tuple[CreditPenalty, CreditRecord]:
    """A supervisor's penalty decision (行政处罚决定) with its number, article and grounds; published as the law asks
    (招标投标法实施条例 第七十八条). It makes the bad credit record, and a suspension or debarment an interception
    entry. Refused without grounds, on an article that provides no such penalty, or beyond its range."""
    grounds = _grounds(data.grounds)
    scope = access.jurisdiction(actor)  # the decision belongs to its supervisor's jurisdiction
    basis = rules.LEGAL_BASES.get(data.legal_basis)
    if basis is None:
        raise InvalidInput(
            field="legal_basis", reason_zh="未知的法律依据", reason_en=f"one of {', '.join(rules.LEGAL_BASES)}"
        )
    if data.expert_id is not None:
        subject, credit_code = SubjectKind.EXPERT, None
        name = experts.get_expert(db, data.expert_id).name
    elif data.credit_code is not None:
        subject, credit_code = SubjectKind.ENTITY, validate_credit_code(data.credit_code)
        name = _entity_name(db, credit_code, data.subject_name)
    else:
        raise InvalidInput(
            field="credit_code", reason_zh="须指明被处罚的单位或专家", reason_en="name the entity or the expert"
        )
    fine_fen = yuan_to_fen(data.fine, field="fine") if data.fine is not None else None
    basis_fen = yuan_to_fen(data.basis_amount, field="basis_amount") if data.basis_amount is not None else None
    rules.check_penalty(
        basis, kind=data.kind, subject=subject, months=data.months, fine_fen=fine_fen, basis_amount_fen=basis_fen,
        points=data.points,
    )  # fmt: skip
    cited = _cited(db, actor, data.site_record_ids, expert_id=data.expert_id, credit_code=credit_code)
    number = data.decision_number.strip()
    if db.scalar(select(CreditPenalty.id).where(CreditPenalty.decision_number == number)) is not None:
        raise Conflict(field="decision_number", reason_zh="该文号已登记", reason_en="this decision number is recorded")
    first_day = data.effective_on or _today(now)
    starts = rules.beijing_midnight(first_day)
    until: datetime | None = None
    if data.kind is PenaltyKind.SUSPENSION:
        assert data.months is not None
        until = rules.beijing_midnight(rules.add_months(first_day, data.months))
    penalty = CreditPenalty(
        decision_number=number, kind=data.kind.value, subject_kind=subject.value, credit_code=credit_code,
        expert_id=data.expert_id, subject_name=name, legal_basis=basis.key, article=basis.article_zh, grounds=grounds,
        fine_fen=fine_fen if data.kind is PenaltyKind.FINE else None,
        basis_amount_fen=basis_fen if data.kind is PenaltyKind.FINE else None,
        points=data.points if data.kind is PenaltyKind.CREDIT_DEDUCTION else None,
        months=data.months if data.kind is PenaltyKind.SUSPENSION else None,
        effective_from=starts, effective_until=until, appeal_route=rules.APPEAL_ROUTE_ZH,
        decided_by=actor.user_id, decided_at=now, region_code=scope.region_code, trade_type=scope.trade_type,
    )  # fmt: skip
    db.add(penalty)
    db.flush()
    db.add_all(CreditPenaltySiteRecord(penalty_id=penalty.id, site_record_id=record_id) for record_id in cited)
    restricts = data.kind in rules.RESTRICTING
    record = CreditRecord(
        subject_kind=subject.value, credit_code=credit_code, expert_id=data.expert_id, subject_name=name,
        polarity=Polarity.BAD.value, points=-(penalty.points or 0), restricts=restricts, law=basis.law, grounds=grounds,
        legal_basis=basis.article_zh, source=Source.DECISION.value, source_name=number, penalty_id=penalty.id,
        region_code=scope.region_code, trade_type=scope.trade_type, valid_from=starts,
        valid_until=until if restricts else rules.beijing_midnight(rules.add_months(first_day, RECORD_MONTHS)),
        created_at=now,
    )  # fmt: skip
    if data.kind is PenaltyKind.DEBARMENT:
        record.valid_until = None
    db.add(record)
    db.flush()
    record_event(
        db, actor, action="credit.penalty_decided", subject_type="credit_penalty", subject_id=penalty.id,
        payload={
            "decision_number": number, "kind": penalty.kind, "subject_kind": subject.value, "credit_code": credit_code,
            "expert_id": data.expert_id, "subject_name": name, "article": basis.article_zh, "grounds": grounds,
            "fine_fen": penalty.fine_fen, "points": penalty.points, "months": penalty.months,
            "effective_from": starts.isoformat(), "effective_until": until.isoformat() if until else None,
            "record_id": record.id, "restricts": restricts, "site_record_ids": cited,
        },
        now=now,
    )  # fmt: skip
    return penalty, record


def site_records_cited(db: Session, penalty_ids: list[int]) -> dict[int, list[int]]:
    """The on-site records each penalty cites, by penalty id."""
    cited: dict[int, list[int]] = {}
    if penalty_ids:
        query = select(CreditPenaltySiteRecord.penalty_id, CreditPenaltySiteRecord.site_record_id).where(
            CreditPenaltySiteRecord.penalty_id.in_(penalty_ids)
        )
        for penalty_id, record_id in db.execute(query.order_by(CreditPenaltySiteRecord.site_record_id)):
            cited.setdefault(penalty_id, []).append(record_id)
    return cited


def penalties_citing(db: Session, site_record_id: int) -> list[CreditPenalty]:
    """The penalties that cite an on-site record as evidence (shown on the record's page)."""
    query = (
        select(CreditPenalty)
        .join(CreditPenaltySiteRecord, CreditPenaltySiteRecord.penalty_id == CreditPenalty.id)
        .where(CreditPenaltySiteRecord.site_record_id == site_record_id)
    )
    return list(db.scalars(query.order_by(CreditPenalty.id)))


def record_of_penalty(db: Session, penalty_id: int) -> CreditRecord:
    return db.scalars(select(CreditRecord).where(CreditRecord.penalty_id == penalty_id)).one()


# -- records --------------------------------------------------------------------------------------------------------


def _person_digest(number: str) -> str:
    return hashlib.sha256(number.strip().upper().encode()).hexdigest()


@changes_state("credit.record_added", disclosed=False)  # a key person's record is personal
def add_record(db: Session, actor: Principal, *, data: RecordIn, now: datetime) -> CreditRecord:
    """A good or bad record from another authority's decision (or a commendation), about an entity, a key person or
    an expert. It informs; it does not intercept (restrictions come from penalties and lists)."""
    grounds = _grounds(data.grounds)
    credit_code = validate_credit_code(data.credit_code) if data.credit_code else None
    digest = masked = None
    if data.subject_kind is SubjectKind.ENTITY and credit_code is None:
        raise InvalidInput(field="credit_code", reason_zh="须填写统一社会信用代码", reason_en="give the credit code")
    if data.subject_kind is SubjectKind.PERSON:
        number = (data.person_id_number or "").strip().upper()
        if len(number) != 18 or not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
            raise InvalidInput(
                field="person_id_number", reason_zh="须为18位居民身份证号码", reason_en="an 18-character ID number"
            )
        digest, masked = _person_digest(number), rules.mask_id_number(number)
    if data.subject_kind is SubjectKind.EXPERT:
        if data.expert_id is None:
            raise InvalidInput(field="expert_id", reason_zh="须指明专家", reason_en="name the expert")
        experts.get_expert(db, data.expert_id)
    if (data.polarity is Polarity.GOOD) != (data.points >= 0):
        raise InvalidInput(
            field="points", reason_zh="良好记录加分、不良记录扣分", reason_en="good records add points, bad ones deduct"
        )
    if data.valid_until is not None and data.valid_until <= data.valid_from:
        raise InvalidInput(field="valid_until", reason_zh="须晚于起始日期", reason_en="must be after the start")
    record = CreditRecord(
        subject_kind=data.subject_kind.value, credit_code=credit_code,
        expert_id=data.expert_id if data.subject_kind is SubjectKind.EXPERT else None,
        person_id_digest=digest, person_id_masked=masked, subject_name=data.subject_name.strip(),
        polarity=data.polarity.value, points=data.points, restricts=False, grounds=grounds,
        legal_basis=data.legal_basis.strip(), source=Source.AUTHORITY.value, source_name=data.source_name.strip(),
        valid_from=rules.beijing_midnight(data.valid_from), valid_until=rules.end_of(data.valid_until), created_at=now,
        region_code=access.jurisdiction(actor).region_code, trade_type=access.jurisdiction(actor).trade_type,
    )  # fmt: skip
    db.add(record)
    db.flush()
    record_event(
        db, actor, action="credit.record_added", subject_type="credit_record", subject_id=record.id,
        payload={"subject_kind": record.subject_kind, "credit_code": credit_code, "person_id_masked": masked,
                 "expert_id": record.expert_id, "polarity": record.polarity, "points": record.points,
                 "source_name": record.source_name},
        now=now,
    )  # fmt: skip
    return record


def get_record(db: Session, record_id: int) -> CreditRecord:
    record = db.get(CreditRecord, record_id)
    if record is None:
        raise NotFound(field="record_id", what_zh="信用记录", what_en="Credit record")
    return record


@changes_state("credit.record_revoked")
def revoke_record(db: Session, actor: Principal, *, record_id: int, reason: str, now: datetime) -> CreditRecord:
    """A record revoked on appeal (复议、诉讼): ended, never deleted; an interception entry stops intercepting."""
    record = get_record(db, record_id)
    if record.ended_at is not None:
        raise Conflict(field="record_id", reason_zh="该记录已终止", reason_en="the record has already ended")
    if record.list_id is not None:  # a list's row ends with the list's own update, never one by one
        raise Conflict(
            field="record_id", reason_zh="名单中的记录随名单的更新而终止，不能单独撤销",
            reason_en="a list's row ends with the list's update, not on its own",
        )  # fmt: skip
    access.check_covers(actor, region_code=record.region_code, trade_type=record.trade_type)
    record.ended_at, record.end_reason, record.end_note = now, RecordStatus.REVOKED.value, _grounds(reason, "reason")
    db.flush()
    record_event(
        db, actor, action="credit.record_revoked", subject_type="credit_record", subject_id=record.id,
        payload={"reason": record.end_note, "source_name": record.source_name}, now=now,
    )  # fmt: skip
    return record


# -- joint-punishment lists -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    list_id: int
    source: str
    published_on: date
    added: int
    updated: int
    ended: int
    unchanged: int


@changes_state("credit.list_imported")
def import_list(
    db: Session, actor: Principal, *, source: str, published_on: date, content: bytes, now: datetime
) -> ImportReport:
    """Import a joint-punishment list (联合惩戒名单, CSV or JSON) from ``source``. All or nothing: one invalid row (a
    credit code failing GB 32100's check, a missing name, grounds or start) refuses the whole file with a report of
    every bad row. A re-import of the same source brings it up to date: new rows added, changed rows updated, rows
    no longer listed ended (never deleted)."""
    source = source.strip()
    if not source:
        raise InvalidInput(field="source", reason_zh="须填写名单来源", reason_en="give the list's source")
    if published_on > to_china_time(now).date():
        # a list dated in the future would refuse every real update after it as "older" (the security review)
        raise InvalidInput(field="published_on", reason_zh="不能晚于今日", reason_en="cannot be after today")
    rows, problems = rules.read_list(content)
    rules.refuse_problems(problems)
    if not rows:
        # an empty file would end every row of the list at once: a list is ended row by row by its updates
        raise InvalidInput(field="file", reason_zh="名单中没有任何记录", reason_en="the list has no rows")
    listed = db.scalar(select(CreditList).where(CreditList.source == source))
    scope = access.jurisdiction(actor)
    if listed is None:
        listed = CreditList(source=source, published_on=published_on, imported_at=now, imported_by=actor.user_id,
                            rows_listed=0, region_code=scope.region_code, trade_type=scope.trade_type)  # fmt: skip
        db.add(listed)
        db.flush()
    else:  # only a supervisor whose jurisdiction covers the list's replaces it
        access.check_covers(actor, region_code=listed.region_code, trade_type=listed.trade_type)
    if published_on < listed.published_on:
        raise Conflict(
            field="published_on", reason_zh="早于已导入的版本", reason_en="older than the version already imported"
        )
    current = {
        record.credit_code: record
        for record in db.scalars(
            select(CreditRecord).where(CreditRecord.list_id == listed.id, CreditRecord.ended_at.is_(None))
        )
    }
    added = updated = unchanged = 0
    for row in rows:
        valid_from, valid_until = rules.beijing_midnight(row.valid_from), rules.end_of(row.valid_until)
        record = current.pop(row.credit_code, None)
        if record is None:
            db.add(CreditRecord(
                subject_kind=SubjectKind.ENTITY.value, credit_code=row.credit_code, subject_name=row.name,
                polarity=Polarity.BAD.value, points=0, restricts=True, grounds=row.grounds, legal_basis="联合惩戒",
                source=Source.LIST.value, source_name=source, list_id=listed.id, valid_from=valid_from,
                valid_until=valid_until, created_at=now, region_code=listed.region_code, trade_type=listed.trade_type,
            ))  # fmt: skip
            added += 1
        elif (record.subject_name, record.grounds, record.valid_from, record.valid_until) != (
            row.name, row.grounds, valid_from, valid_until,
        ):  # fmt: skip
            record.subject_name, record.grounds = row.name, row.grounds
            record.valid_from, record.valid_until = valid_from, valid_until
            updated += 1
        else:
            unchanged += 1
    for record in current.values():  # no longer listed: ended, kept
        record.ended_at, record.end_reason = now, RecordStatus.DELISTED.value
        record.end_note = f"{published_on.isoformat()} 版名单未列入"
    listed.published_on, listed.imported_at, listed.imported_by = published_on, now, actor.user_id
    listed.rows_listed = len(rows)
    db.flush()
    report = ImportReport(listed.id, source, published_on, added, updated, len(current), unchanged)
    record_event(
        db, actor, action="credit.list_imported", subject_type="credit_list", subject_id=listed.id,
        payload={"source": source, "published_on": published_on.isoformat(), "rows": len(rows), "added": added,
                 "updated": updated, "ended": len(current), "unchanged": unchanged},
        now=now,
    )  # fmt: skip
    return report


# -- interception ---------------------------------------------------------------------------------------------------


# The screen's reads, built once: the checkpoints run them at every registration and bid submission, and building
# the expressions anew each time cost more than the indexed reads themselves (bench/credit.py). Bound at each call.
_IN_FORCE_OVER_LAW = (
    CreditRecord.restricts.is_(True),
    or_(CreditRecord.law.is_(None), CreditRecord.law == bindparam("law")),  # NULL bound: every-trade ones only
    CreditRecord.ended_at.is_(None),
    CreditRecord.valid_from <= bindparam("now", type_=CreditRecord.valid_from.type),
    or_(
        CreditRecord.valid_until.is_(None),
        CreditRecord.valid_until > bindparam("now", type_=CreditRecord.valid_until.type),
    ),
)
_COLUMNS = (
    CreditRecord.id, CreditRecord.valid_until, CreditRecord.subject_name, CreditRecord.source,
    CreditRecord.source_name, CreditRecord.credit_code,
)  # fmt: skip
_RESTRICTIONS = select(*_COLUMNS).where(CreditRecord.credit_code == bindparam("code"), *_IN_FORCE_OVER_LAW)
# by the entity's id: its code read in the same statement (one round trip, as the bid's submission has it)
_RESTRICTIONS_OF_ENTITY = select(*_COLUMNS).where(
    CreditRecord.credit_code == entities.credit_code_of(bindparam("entity_id")),  # type: ignore[arg-type]
    *_IN_FORCE_OVER_LAW,
)


@dataclass(frozen=True)
class Restriction:
    """The restriction in force on a credit code: the record's id and what the refusal says of it."""

    id: int
    valid_until: datetime | None
    subject_name: str
    source: str
    source_name: str
    credit_code: str


def _restriction(db: Session, statement: Any, params: dict[str, Any], now: datetime) -> Restriction | None:
    db.flush()  # what the unit of work added is read too (the connection's read below does not autoflush)
    found = db.connection().execute(statement, params).all()
    if not found:
        return None
    longest = max(found, key=lambda row: (row.valid_until is None, row.valid_until or now))
    return Restriction(*longest)


def restriction_of(db: Session, *, credit_code: str, now: datetime, law: str | None = None) -> Restriction | None:
    """The restriction in force on ``credit_code`` at ``now`` (the longest) over a trade under ``law`` (a
    procedures' Law key; None: a step under no one law, such as registering on the platform, which only a
    restriction of every trade closes), or None: one indexed read."""
    return _restriction(db, _RESTRICTIONS, {"code": credit_code, "now": now, "law": law}, now)


@changes_state("credit.intercepted", disclosed=False)  # who tried to bid, and which experts, stay secret
def record_interception(
    db: Session,
    actor: Principal,
    *,
    checkpoint: Checkpoint,
    record_id: int,
    credit_code: str | None,
    expert_id: int | None,
    subject_type: str,
    subject_id: int | str,
    now: datetime,
) -> CreditInterception:
    """One interception (拦截): recorded and counted, whether the step was refused (then after its rollback) or went
    on without the intercepted (an expert not drawn)."""
    row = CreditInterception(
        checkpoint=checkpoint.value, record_id=record_id, credit_code=credit_code, expert_id=expert_id,
        subject_type=subject_type, subject_id=str(subject_id), actor_user_id=actor.user_id, intercepted_at=now,
    )  # fmt: skip
    db.add(row)
    db.flush()
    record_event(
        db, actor, action="credit.intercepted", subject_type="credit_record", subject_id=record_id,
        payload={"checkpoint": checkpoint.value, "credit_code": credit_code, "expert_id": expert_id,
                 "subject_type": subject_type, "subject_id": str(subject_id)},
        now=now,
    )  # fmt: skip
    return row


def _until_texts(until: datetime | None) -> tuple[str, str]:
    if until is None:
        return "长期", "no end"
    last = to_china_time(until - timedelta(seconds=1))
    return last.strftime("%Y年%m月%d日"), last.strftime("%Y-%m-%d (Beijing time)")


def screen_entity(
    db: Session,
    actor: Principal,
    *,
    checkpoint: Checkpoint,
    credit_code: str | None,
    entity_id: int | None,
    law: str | None,
    subject_type: str,
    subject_id: int | str,
    now: datetime,
) -> None:
    """The screen credit installs for the entity checkpoints (``core.screening``): a restriction of every trade, or
    of the trades under ``law``, refuses the step."""
    if credit_code is not None:
        record = restriction_of(db, credit_code=credit_code, now=now, law=law)
    elif entity_id is not None:
        record = _restriction(db, _RESTRICTIONS_OF_ENTITY, {"entity_id": entity_id, "now": now, "law": law}, now)
    else:
        return
    if record is None:
        return
    credit_code = record.credit_code
    until_zh, until_en = _until_texts(record.valid_until)
    is_list = record.source == Source.LIST.value
    error = CreditIntercepted(
        field=None, subject_name=record.subject_name, credit_code=credit_code, checkpoint=checkpoint.value,
        checkpoint_zh=CHECKPOINT_ZH[checkpoint], source=record.source,
        source_zh="联合惩戒名单" if is_list else "处罚决定", source_en="the joint-punishment list" if is_list else
        "the decision", reference=record.source_name, until_zh=until_zh, until_en=until_en,
        valid_until=record.valid_until.isoformat() if record.valid_until else None,
    )  # fmt: skip
    record_id = record.id

    def record_after_rollback(again: Session) -> None:
        record_interception(
            again, actor, checkpoint=checkpoint, record_id=record_id, credit_code=credit_code, expert_id=None,
            subject_type=subject_type, subject_id=subject_id, now=now,
        )  # fmt: skip

    error.record_after_rollback = record_after_rollback  # type: ignore[attr-defined]
    raise error


def screen_experts(
    db: Session,
    actor: Principal,
    *,
    expert_ids: Collection[int],
    subject_type: str,
    subject_id: int | str,
    now: datetime,
) -> set[int]:
    """The screen credit installs for the draw: the experts under a restriction in force are not drawn (recused),
    each interception recorded in the draw's own transaction."""
    if not expert_ids:
        return set()
    rows = db.execute(
        select(CreditRecord.expert_id, func.min(CreditRecord.id))
        .where(CreditRecord.expert_id.in_(list(expert_ids)), *_in_force(now))
        .group_by(CreditRecord.expert_id)
    ).all()
    barred: set[int] = set()
    for expert_id, record_id in rows:
        assert expert_id is not None  # the query selects records of these experts
        barred.add(expert_id)
        record_interception(
            db, actor, checkpoint=Checkpoint.EXPERT_DRAW, record_id=record_id, credit_code=None, expert_id=expert_id,
            subject_type=subject_type, subject_id=subject_id, now=now,
        )  # fmt: skip
    return barred


# -- reads ----------------------------------------------------------------------------------------------------------


OVERSIGHT_ROLES = (Role.SUPERVISOR, Role.INSPECTOR)


def _readable_interceptions(actor: Principal | None) -> ColumnElement[bool]:
    """The interceptions ``actor`` reads (None: every one, for the platform's own counts): those at the tenders and
    prequalifications of the projects in its jurisdiction (``projects.access.visible_project_ids``), and those at an
    entity's registration where the entity's credit code carries a region its grants cover. The administrator and
    a supervisor or inspector without a region read all of them."""
    if actor is None or Role.PLATFORM_ADMIN in actor.roles:
        return true()
    grants = [*actor.grants_for(Role.SUPERVISOR), *actor.grants_for(Role.INSPECTOR)]
    if any(grant.region_code is None and grant.trade_type is None for grant in grants):
        return true()
    oversight = replace(actor, grants=tuple(grant for grant in actor.grants if grant.role in OVERSIGHT_ROLES))
    projects = visible_project_ids(oversight)  # never as an owner: who tried its tenders stays secret from it
    rounds = tendering_read.round_ids_of_projects(projects).subquery()
    tenders = select(cast(rounds.c.id, String))
    prequals = prequalification_service.prequalification_ids_of_projects(projects).subquery()
    prequalifications = select(cast(prequals.c.id, String))
    clauses: list[ColumnElement[bool]] = [
        and_(CreditInterception.subject_type == "tender", CreditInterception.subject_id.in_(tenders)),
        and_(
            CreditInterception.subject_type == "prequalification",
            CreditInterception.subject_id.in_(prequalifications),
        ),
    ]
    for grant in grants:  # an entity's registration: the region in its code (GB 32100, characters 3 to 8)
        if grant.region_code:
            prefix = region_prefix(grant.region_code)
            clauses.append(
                and_(
                    CreditInterception.checkpoint == Checkpoint.ENTITY_REGISTRATION.value,
                    func.substr(CreditInterception.credit_code, 3, len(prefix)) == prefix,
                )
            )
    return or_(*clauses)


def interception_counts(db: Session, actor: Principal | None = None) -> dict[str, int]:
    """The interceptions each checkpoint made, of those ``actor`` reads (None: all of them)."""
    query = (
        select(CreditInterception.checkpoint, func.count())
        .where(_readable_interceptions(actor))
        .group_by(CreditInterception.checkpoint)
    )
    counts = dict(db.execute(query).all())
    return {checkpoint.value: int(counts.get(checkpoint.value, 0)) for checkpoint in Checkpoint}


def recent_interceptions(db: Session, actor: Principal, *, limit: int) -> list[tuple[CreditInterception, CreditRecord]]:
    rows = db.execute(
        select(CreditInterception, CreditRecord)
        .join(CreditRecord, CreditRecord.id == CreditInterception.record_id)
        .where(_readable_interceptions(actor))
        .order_by(CreditInterception.id.desc())
        .limit(limit)
    )
    return [(interception, record) for interception, record in rows]


def entity_records(db: Session, *, credit_code: str, now: datetime) -> list[CreditRecord]:
    """The public credit of an entity: its records (good and bad, every status), newest first."""
    code = validate_credit_code(credit_code)
    query = (
        select(CreditRecord)
        .where(CreditRecord.credit_code == code, CreditRecord.subject_kind == SubjectKind.ENTITY.value)
        .order_by(CreditRecord.id.desc())
        .limit(200)
    )
    return list(db.scalars(query))


@dataclass(frozen=True)
class CreditReport:
    """An entity's public credit: its records with their status now, whether a restriction is in force, and the sum
    of the points of the records in force."""

    credit_code: str
    subject_name: str | None
    records: list[tuple[CreditRecord, RecordStatus]]
    restricted: bool
    points: int


def credit_report(db: Session, *, credit_code: str, now: datetime) -> CreditReport:
    records = entity_records(db, credit_code=credit_code, now=now)
    code = validate_credit_code(credit_code)
    rows = [(record, status_of(record, now)) for record in records]
    in_force = [record for record, status in rows if status is RecordStatus.IN_FORCE]
    name = entity_name(db, code) or (records[0].subject_name if records else None)
    return CreditReport(code, name, rows, any(r.restricts for r in in_force), sum(r.points for r in in_force))


def entity_name(db: Session, credit_code: str) -> str | None:
    entity = entities.find_entity_by_credit_code(db, credit_code)
    return entity.name if entity is not None else None


def blacklist(db: Session, *, now: datetime, limit: int, offset: int) -> list[CreditRecord]:
    """The published blacklist: entities under a suspension or debarment in force, or on a list, newest first."""
    query = (
        select(CreditRecord)
        .where(CreditRecord.subject_kind == SubjectKind.ENTITY.value, *_in_force(now))
        .order_by(CreditRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(db.scalars(query))


def lists(db: Session) -> list[CreditList]:
    return list(db.scalars(select(CreditList).order_by(CreditList.id.desc())))


def penalties(db: Session, *, limit: int) -> list[CreditPenalty]:
    return list(db.scalars(select(CreditPenalty).order_by(CreditPenalty.id.desc()).limit(limit)))
