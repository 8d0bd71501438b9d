"""Prequalification (资格预审): the notice and documents, clarifications and objections (招标投标法实施条例
第15–22条; 政府采购法实施条例 第21条), and the reads the domain's other services share. The sealed applications and
their opening are in :mod:`ggzy.prequalification.applications`; the committee, the result, the notices and the
tender by invitation in :mod:`ggzy.prequalification.review`.

Sealed means sealed (DESIGN §4.3): until the opening nobody but the applicant learns who applied or how many. The
applications' events are undisclosed in the public ledger, and so are the pass list and the result notices: those
who passed are the invited bidders of the tender that follows, whose names stay secret until its opening
(招标投标法 第22条).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import Event, changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.core.trade_types import TradeType
from ggzy.core.violations import missed, record_missed, violation_entry
from ggzy.crypto import Suite, load_certificate
from ggzy.crypto.sharing import create_opening_key
from ggzy.prequalification import rules
from ggzy.prequalification.lifecycle import ENDED, Stage, Step, move, require
from ggzy.prequalification.models import (
    Prequalification,
    PrequalificationClarification,
    PrequalificationKey,
    PrequalificationKeyShare,
    PrequalificationObjection,
    Reviewer,
)
from ggzy.projects.service import ACCEPTED, find_lot, lot_ids_of_projects
from ggzy.tendering import keys
from ggzy.tendering.access import check_manager
from ggzy.tendering.procedures import Procedure, procedure_for

if TYPE_CHECKING:
    from ggzy.projects.models import Lot, Project


class PrequalificationRunning(DomainError):
    code = "prequalification_running"
    status = 409
    message_zh = "该标段已有进行中或已完成的资格预审：新的资格预审须在上一次失败之后发起（招标投标法实施条例 第十九条）"
    message_en = (
        "The lot has a prequalification under way or completed: a new one starts only after the last one failed "
        "(Regulations art. 19)"
    )


class DocumentsMissing(DomainError):
    code = "prequalification_documents_missing"
    status = 409
    message_zh = "发布资格预审公告前须上传资格预审文件（招标投标法实施条例 第十五条）"
    message_en = "Upload the prequalification documents before publishing the notice (Regulations art. 15)"


def get_prequalification(db: Session, prequalification_id: int) -> Prequalification:
    found = db.get(Prequalification, prequalification_id)
    if found is None:
        raise NotFound(field="prequalification_id", what_zh="资格预审", what_en="Prequalification")
    return found


def project_of(db: Session, prequalification: Prequalification) -> tuple[Project, Lot]:
    found = find_lot(db, prequalification.lot_id)
    assert found is not None  # a non-null foreign key
    lot, project = found
    return project, lot


def law_of(project: Project) -> rules.PrequalificationLaw:
    return rules.law_for(TradeType(project.trade_type))


def invited_procedure(project: Project) -> Procedure:
    """The tender by invitation that follows, by the project's trade type (the registry refuses land and the like)."""
    return procedure_for(TradeType(project.trade_type), law_of(project).procedure_key, field="lot_id")


def application_code(project: Project, lot: Lot, prequalification: Prequalification) -> str:
    """The code an application's envelope is sealed for: never a bid's lot code, so neither can stand for the
    other."""
    return f"{project.code}/{lot.number}/PQ{prequalification.attempt}"


def prequalification_ids_of_projects(project_ids: Select[tuple[int]]) -> Select[int]:
    """The ids of every prequalification of these projects, as a query for other domains' scopes to filter by."""
    return select(Prequalification.id).where(Prequalification.lot_id.in_(lot_ids_of_projects(project_ids)))


def keys_of(db: Session, prequalification_id: int) -> list[PrequalificationKey]:
    query = select(PrequalificationKey).where(PrequalificationKey.prequalification_id == prequalification_id)
    return list(db.scalars(query.order_by(PrequalificationKey.suite)))


def clarifications_of(db: Session, prequalification_id: int) -> list[PrequalificationClarification]:
    query = select(PrequalificationClarification).where(
        PrequalificationClarification.prequalification_id == prequalification_id
    )
    return list(db.scalars(query.order_by(PrequalificationClarification.id)))


def reviewers_of(db: Session, prequalification_id: int) -> list[Reviewer]:
    query = select(Reviewer).where(Reviewer.prequalification_id == prequalification_id)
    return list(db.scalars(query.order_by(Reviewer.id)))


def is_reviewer(db: Session, prequalification_id: int, actor: Principal) -> bool:
    query = select(Reviewer.id).where(
        Reviewer.prequalification_id == prequalification_id, Reviewer.user_id == actor.user_id
    )
    return db.scalar(query) is not None


def record_prequalification_event(
    db: Session, actor: Principal, prequalification: Prequalification, project: Project, action: str,
    payload: dict[str, Any], now: datetime,
) -> Event:  # fmt: skip
    return record_event(
        db, actor, action=action, subject_type="prequalification", subject_id=prequalification.id,
        centre_id=project.centre_id, payload=payload, now=now,
    )  # fmt: skip


@changes_state("prequalification.created")
def create_prequalification(
    db: Session,
    actor: Principal,
    *,
    lot_id: int,
    title: str,
    notice_text: str,
    criteria: str,
    documents_until: datetime,
    application_deadline: datetime,
    now: datetime,
) -> Prequalification:
    """A draft prequalification of a lot of an accepted project, by its owner or agent (实施条例 第15条)."""
    found = find_lot(db, lot_id)
    if found is None:
        raise NotFound(field="lot_id", what_zh="标段", what_en="Lot")
    lot, project = found
    actor = check_manager(actor, project)
    if project.status != ACCEPTED:
        raise Conflict(
            field="lot_id", reason_zh="项目进场登记尚未受理", reason_en="the project's registration is not accepted yet"
        )
    chosen = invited_procedure(project)
    running = select(func.count()).where(
        Prequalification.lot_id == lot.id, Prequalification.stage != Stage.FAILED.value
    )
    if db.scalar(running):
        raise PrequalificationRunning(field="lot_id")
    attempts = db.scalar(select(func.count()).where(Prequalification.lot_id == lot.id)) or 0
    prequalification = Prequalification(
        lot_id=lot.id, attempt=attempts + 1, procedure=chosen.key, stage=Stage.DRAFT.value, title=title,
        notice_text=notice_text, criteria=criteria, documents_until=documents_until,
        application_deadline=application_deadline, created_by=actor.user_id, created_at=now,
    )  # fmt: skip
    try:  # two created at once both count the same attempts: the (lot, attempt) key decides
        with db.begin_nested():
            db.add(prequalification)
            db.flush()
    except IntegrityError:
        raise PrequalificationRunning(field="lot_id") from None
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.created",
        {"lot_id": lot.id, "attempt": prequalification.attempt, "procedure": chosen.key}, now,
    )  # fmt: skip
    return prequalification


@changes_state("prequalification.documents_attached")
def attach_documents(
    db: Session, actor: Principal, *, prequalification_id: int, sha256: str, name: str, size: int, now: datetime
) -> Prequalification:
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_manager(actor, project)
    require(db, prequalification, Step.ATTACH_DOCUMENTS, now)
    prequalification.documents_sha256, prequalification.documents_name = sha256, name
    prequalification.documents_size = size
    db.flush()
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.documents_attached",
        {"documents_sha256": sha256, "name": name, "size": size}, now,
    )  # fmt: skip
    return prequalification


def _create_keys(
    db: Session, prequalification: Prequalification, *, centre_id: int, chosen: Procedure, now: datetime
) -> list[Suite]:
    """One opening key per suite the centre's custodians can keep, made and split exactly as a tender's
    (:func:`ggzy.crypto.sharing.create_opening_key`): the whole private key is never stored."""
    suites = []
    for suite in (Suite.GM, Suite.INTL):
        keepers = keys.keepers_for(db, centre_id=centre_id, suite=suite, procedure=chosen)
        if not keepers:
            continue
        setup = create_opening_key(
            suite, [load_certificate(keeper.certificate_pem) for keeper in keepers],
            chosen.decryption.custodians_required,
        )  # fmt: skip
        key = PrequalificationKey(
            prequalification_id=prequalification.id, suite=suite.value, public_key_pem=setup.public_key.to_pem(),
            threshold=setup.threshold, wrapped_private_key=setup.wrapped_private_key, created_at=now,
        )  # fmt: skip
        db.add(key)
        db.flush()
        by_fingerprint = {keeper.fingerprint: keeper for keeper in keepers}
        db.add_all(
            PrequalificationKeyShare(
                key_id=key.id,
                custodian_id=by_fingerprint[share.custodian_fingerprint].id,
                share_index=share.index,
                ciphertext=share.ciphertext,
            )
            for share in setup.shares
        )
        suites.append(suite)
    if not suites:
        raise keys.NoCustodians(field="prequalification_id", n=chosen.decryption.custodians_total)
    db.flush()
    return suites


@changes_state("prequalification.published")
def publish(db: Session, actor: Principal, *, prequalification_id: int, now: datetime) -> Prequalification:
    """Publish the notice (实施条例 第15条: in the designated media; 政府采购法实施条例 第21条) and put the documents
    on offer: at least 5 日 (实施条例 第16条), applications due 5 日 after the offer ends (第17条) or, for a
    government procurement, 5 工作日 after the notice (政府采购法实施条例 第21条)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_manager(actor, project)
    require(db, prequalification, Step.PUBLISH, now)
    if prequalification.documents_sha256 is None:
        raise DocumentsMissing(field="prequalification_id")
    law, calendar = law_of(project), working_day_calendar(db)
    if prequalification.documents_until > prequalification.application_deadline:
        raise InvalidInput(
            field="documents_until",
            reason_zh="资格预审文件发售截止时间不得晚于申请截止时间",
            reason_en="the documents cannot be on offer after the application deadline",
        )
    rules.check_documents_offer(calendar, law, offered_from=now, offered_until=prequalification.documents_until)
    rules.check_application_period(
        calendar, law, published_at=now, documents_until=prequalification.documents_until,
        application_deadline=prequalification.application_deadline,
    )  # fmt: skip
    suites = _create_keys(db, prequalification, centre_id=project.centre_id, chosen=invited_procedure(project), now=now)
    move(db, prequalification, Step.PUBLISH)
    prequalification.published_at = now
    db.flush()
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.published",
        {
            "title": prequalification.title,
            "documents_sha256": prequalification.documents_sha256,
            "documents_until": prequalification.documents_until.isoformat(),
            "application_deadline": prequalification.application_deadline.isoformat(),
            "suites": [suite.value for suite in suites],
        },
        now,
    )  # fmt: skip
    return prequalification


@changes_state("prequalification.clarified")
def clarify(
    db: Session, actor: Principal, *, prequalification_id: int, text: str, affects_applications: bool, now: datetime
) -> PrequalificationClarification:
    """A clarification or amendment (实施条例 第21条): one that may affect the applications and comes less than 3 日
    before the application deadline moves the deadline."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_manager(actor, project)
    require(db, prequalification, Step.CLARIFY, now)
    before = prequalification.application_deadline
    after = (
        rules.deadline_after_clarification(
            working_day_calendar(db), law_of(project), clarified_at=now, application_deadline=before
        )
        if affects_applications
        else before
    )
    prequalification.application_deadline = after
    clarification = PrequalificationClarification(
        prequalification_id=prequalification.id, text=text, affects_applications=affects_applications,
        deadline_before=before, deadline_after=after, published_at=now, published_by=actor.user_id,
    )  # fmt: skip
    db.add(clarification)
    db.flush()
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.clarified",
        {"clarification_id": clarification.id, "affects_applications": affects_applications,
         "deadline_before": before.isoformat(), "deadline_after": after.isoformat()},
        now,
    )  # fmt: skip
    return clarification


@changes_state("prequalification.objection_raised")
def raise_objection(
    db: Session, actor: Principal, *, prequalification_id: int, text: str, now: datetime
) -> PrequalificationObjection:
    """A potential bidder objects to the prequalification documents until 2 日 before the application deadline;
    the procedure pauses until the answer, due within 3 日 (实施条例 第22条)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    require(db, prequalification, Step.OBJECT, now)
    if actor.entity_id is None:
        raise InvalidInput(field="entity_id", reason_zh="须以市场主体身份提出", reason_en="raised by a market entity")
    law, calendar = law_of(project), working_day_calendar(db)
    rules.check_objection_in_time(
        calendar, law, raised_at=now, application_deadline=prequalification.application_deadline
    )
    objection = PrequalificationObjection(
        prequalification_id=prequalification.id, entity_id=actor.entity_id, raised_by=actor.user_id, text=text,
        raised_at=now, answer_due=rules.objection_answer_due(calendar, law, received_at=now),
    )  # fmt: skip
    db.add(objection)
    db.flush()
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.objection_raised",
        {"objection_id": objection.public_id, "answer_due": objection.answer_due.isoformat()}, now,
    )  # fmt: skip
    return objection


@changes_state("prequalification.objection_answered")
def answer_objection(
    db: Session, actor: Principal, *, objection_id: str, answer: str, now: datetime
) -> PrequalificationObjection:
    """The answer lifts the pause; one after its 3 日 is given all the same and the missed period recorded."""
    objection = db.scalar(select(PrequalificationObjection).where(PrequalificationObjection.public_id == objection_id))
    if objection is None:
        raise NotFound(field="objection_id", what_zh="异议", what_en="Objection")
    prequalification = get_prequalification(db, objection.prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_manager(actor, project)
    if objection.answered_at is not None:
        raise Conflict(field="objection_id", reason_zh="该异议已答复", reason_en="the objection is already answered")
    objection.answer, objection.answered_at = answer, now
    db.flush()
    period = law_of(project).objection_answer
    assert period is not None  # no objection is raised under a law without one
    late = missed(period, due=objection.answer_due, happened_on=rules.china_date(now))
    event = record_prequalification_event(
        db, actor, prequalification, project, "prequalification.objection_answered",
        {"objection_id": objection.public_id, "late": late is not None, **violation_entry(late)}, now,
    )  # fmt: skip
    record_missed(db, late, subject_type="prequalification", subject_id=prequalification.id, event=event)
    return objection


def is_over(prequalification: Prequalification) -> bool:
    return Stage(prequalification.stage) in ENDED
