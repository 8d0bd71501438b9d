"""Prequalification (资格预审): the notice and documents, clarifications and objections, applications sealed like
bids, their opening, the review committee and its verdicts, the result notices, and the tender by invitation of
those who passed (招标投标法实施条例 第15–22条; 政府采购法实施条例 第21条).

Sealed means sealed (DESIGN §4.3): until the opening nobody but the applicant learns who applied or how many. The
applications' events are undisclosed in the public ledger, and so are the pass list and the result notices: those
who passed are the invited bidders of the tender that follows, whose names stay secret until its opening
(招标投标法 第22条).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from random import Random
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import to_china_time
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import Event, canonical_json, changes_state, record_event
from ggzy.core.permissions import Principal
from ggzy.core.trade_types import TradeType
from ggzy.core.violations import missed, record_missed, violation_entry
from ggzy.crypto import Suite, load_certificate, load_public_key_pem
from ggzy.crypto.envelope import check_envelope_for_lot, parse_header, read_envelope_header, verify_bid
from ggzy.crypto.sharing import create_opening_key
from ggzy.entities.login import trust_store
from ggzy.entities.service import find_user, get_entity
from ggzy.experts import rules as expert_rules
from ggzy.experts.service import CommitteeUnlawful, draw_from_register
from ggzy.prequalification import rules
from ggzy.prequalification.lifecycle import ENDED, Stage, Step, move, require, stage_of
from ggzy.prequalification.models import (
    Application,
    Prequalification,
    PrequalificationClarification,
    PrequalificationKey,
    PrequalificationKeyShare,
    PrequalificationObjection,
    Reviewer,
)
from ggzy.projects.access import check_reviewer
from ggzy.projects.service import ACCEPTED, find_lot
from ggzy.storage import MIB, BlobStore, BlobTooLarge, open_blob, stage_blob
from ggzy.storage.blobs import format_megabytes
from ggzy.tendering import keys
from ggzy.tendering import service as tendering
from ggzy.tendering.access import check_bidder_may_register, check_host, check_manager
from ggzy.tendering.bids import ConcurrentSubmission, EnvelopeNotYours, SuiteNotAccepted
from ggzy.tendering.procedures import Method, Procedure, procedure_for

if TYPE_CHECKING:
    from ggzy.projects.models import Lot, Project
    from ggzy.tendering.models import Tender

ACTIVE, REPLACED, UNOPENED = "active", "replaced", "withdrawn_unopened"
EXPERT, OWNER_REPRESENTATIVE = "expert", "owner_representative"


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


class NotAReviewer(DomainError):
    code = "prequalification_reviewer_mismatch"
    status = 403
    message_zh = "只有资格审查委员会的成员可以审查资格预审申请文件（招标投标法实施条例 第十八条）"
    message_en = "Only members of the review committee review the applications (Regulations art. 18)"


class ReviewUnfinished(DomainError):
    code = "prequalification_review_unfinished"
    status = 409
    message_zh = "资格审查委员会尚未完成审查：{reason_zh}"
    message_en = "The review committee has not finished: {reason_en}"


class NoticesUnsent(DomainError):
    code = "prequalification_notices_unsent"
    status = 409
    message_zh = (
        "尚有 {count} 份资格预审结果通知书未发出：须先向每一位申请人发出结果通知书（招标投标法实施条例 第十九条）"
    )
    message_en = (
        "{count} result notices are not sent yet: every applicant is sent its result first (Regulations art. 19)"
    )


# -- reads -------------------------------------------------------------------------------------------------------


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


def keys_of(db: Session, prequalification_id: int) -> list[PrequalificationKey]:
    query = select(PrequalificationKey).where(PrequalificationKey.prequalification_id == prequalification_id)
    return list(db.scalars(query.order_by(PrequalificationKey.suite)))


def clarifications_of(db: Session, prequalification_id: int) -> list[PrequalificationClarification]:
    query = select(PrequalificationClarification).where(
        PrequalificationClarification.prequalification_id == prequalification_id
    )
    return list(db.scalars(query.order_by(PrequalificationClarification.id)))


def my_applications(db: Session, actor: Principal, prequalification_id: int) -> list[Application]:
    """An applicant's own applications, newest first, with its result once notified — nobody else's."""
    if actor.entity_id is None:
        return []
    query = select(Application).where(
        Application.prequalification_id == prequalification_id, Application.entity_id == actor.entity_id
    )
    return list(db.scalars(query.order_by(Application.id.desc())))


def applications_of(db: Session, actor: Principal, prequalification_id: int, now: datetime) -> list[Application]:
    """The applications, for the owner, its agent or a member of the committee, and only once the opening has
    begun: before it, not even they learn who applied or how many (DESIGN §4.3)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    if not _is_reviewer(db, prequalification.id, actor):
        check_manager(actor, project)
    stage = stage_of(prequalification, now)
    if stage in (Stage.DRAFT, Stage.PUBLISHED, Stage.CLOSED):
        raise Conflict(
            field="prequalification_id",
            reason_zh="申请文件开启前，任何人不得知悉申请人的名称和数量",
            reason_en="until the opening nobody learns who applied or how many",
        )
    query = select(Application).where(
        Application.prequalification_id == prequalification.id, Application.status != REPLACED
    )
    return list(db.scalars(query.order_by(Application.id)))


def pass_list(db: Session, prequalification_id: int) -> list[int]:
    """The entities that passed (合格名单), by id."""
    query = select(Application.entity_id).where(
        Application.prequalification_id == prequalification_id,
        Application.status == ACTIVE,
        Application.passed.is_(True),
    )
    return sorted(db.scalars(query))


def reviewers_of(db: Session, prequalification_id: int) -> list[Reviewer]:
    query = select(Reviewer).where(Reviewer.prequalification_id == prequalification_id)
    return list(db.scalars(query.order_by(Reviewer.id)))


def _is_reviewer(db: Session, prequalification_id: int, actor: Principal) -> bool:
    query = select(Reviewer.id).where(
        Reviewer.prequalification_id == prequalification_id, Reviewer.user_id == actor.user_id
    )
    return db.scalar(query) is not None


def _event(
    db: Session, actor: Principal, prequalification: Prequalification, project: Project, action: str,
    payload: dict[str, Any], now: datetime,
) -> Event:  # fmt: skip
    return record_event(
        db, actor, action=action, subject_type="prequalification", subject_id=prequalification.id,
        centre_id=project.centre_id, payload=payload, now=now,
    )  # fmt: skip


def _application(db: Session, public_id: str) -> Application:
    found = db.scalar(select(Application).where(Application.public_id == public_id))
    if found is None:
        raise NotFound(field="application_id", what_zh="资格预审申请文件", what_en="Application")
    return found


# -- notice and documents ----------------------------------------------------------------------------------------


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
    _event(
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
    _event(
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
    _event(
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
    _event(
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
    _event(
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
    event = _event(
        db, actor, prequalification, project, "prequalification.objection_answered",
        {"objection_id": objection.public_id, "late": late is not None, **violation_entry(late)}, now,
    )  # fmt: skip
    record_missed(db, late, subject_type="prequalification", subject_id=prequalification.id, event=event)
    return objection


# -- sealed applications -----------------------------------------------------------------------------------------


def _refuse_late(prequalification: Prequalification, project: Project, now: datetime) -> None:
    """An application after the deadline is refused, naming the article that sets the application time."""
    if stage_of(prequalification, now) not in (Stage.DRAFT, Stage.PUBLISHED):
        raise rules.ApplicationDeadlinePassed(
            field="prequalification_id",
            deadline=to_china_time(prequalification.application_deadline).strftime("%Y-%m-%d %H:%M"),
            article=law_of(project).application_article,
        )


@changes_state("prequalification.application_submitted", disclosed=False)
def submit_application(
    db: Session,
    actor: Principal,
    *,
    prequalification_id: int,
    envelope: BinaryIO,
    store: BlobStore,
    max_bytes: int,
    now: datetime,
) -> Application:
    """Check and store a sealed application, exactly as a sealed bid is checked (the envelope's signature, the
    certificate against the trust store now and against the applicant's entity, the code it is sealed for and the
    opening key); the last one of an applicant counts. Late: refused before a byte is stored."""
    prequalification = get_prequalification(db, prequalification_id)
    project, lot = project_of(db, prequalification)
    _refuse_late(prequalification, project, now)
    require(db, prequalification, Step.APPLY, now)
    check_bidder_may_register(actor, project, invited=None)  # never the owner or its agent
    assert actor.entity_id is not None
    header = read_envelope_header(envelope)
    trust_store(db).validate(header.bidder_certificate, at=now)
    if header.bidder_certificate.credit_code != get_entity(db, actor.entity_id).credit_code:
        raise EnvelopeNotYours(field="envelope")
    key = db.scalar(
        select(PrequalificationKey).where(
            PrequalificationKey.prequalification_id == prequalification.id,
            PrequalificationKey.suite == header.suite.value,
        )
    )
    if key is None:
        raise SuiteNotAccepted(field="envelope", suite=header.suite.value)
    check_envelope_for_lot(
        header, lot_code=application_code(project, lot, prequalification),
        opening_public_key=load_public_key_pem(key.public_key_pem),
    )  # fmt: skip
    ciphertext = stage_blob(db, store, envelope, max_bytes=max_bytes, expected_sha256=header.ciphertext_sha256)
    previous = db.scalar(
        select(Application).where(
            Application.prequalification_id == prequalification.id,
            Application.entity_id == actor.entity_id,
            Application.status == ACTIVE,
        )
    )
    if previous is not None:  # the last application counts
        previous.status, previous.ended_at = REPLACED, now
        db.flush()
    application = Application(
        prequalification_id=prequalification.id, entity_id=actor.entity_id, user_id=actor.user_id,
        suite=header.suite.value, header=header.to_bytes().decode(),
        certificate_fingerprint=header.bidder_certificate.fingerprint, ciphertext_sha256=ciphertext.sha256,
        ciphertext_size=ciphertext.size, status=ACTIVE, submitted_at=now,
    )  # fmt: skip
    try:  # another submission of this applicant inserted its active application after our read
        with db.begin_nested():
            db.add(application)
            db.flush()
    except IntegrityError:
        raise ConcurrentSubmission(field="envelope") from None
    _event(
        db, actor, prequalification, project, "prequalification.application_submitted",
        {"application_id": application.public_id, "ciphertext_sha256": ciphertext.sha256, "suite": application.suite,
         "replaces": previous.public_id if previous is not None else None},
        now,
    )  # fmt: skip
    return application


def _active(db: Session, prequalification_id: int) -> list[Application]:
    query = select(Application).where(
        Application.prequalification_id == prequalification_id, Application.status == ACTIVE
    )
    return list(db.scalars(query.order_by(Application.id)))


@changes_state("prequalification.opening_started")
def start_opening(db: Session, actor: Principal, *, prequalification_id: int, now: datetime) -> Prequalification:
    """After the deadline the applications are opened: each applicant decrypts its own. With fewer applications
    than can make the pass list, the prequalification fails at once (实施条例 第19条)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_host(actor, project)
    require(db, prequalification, Step.START_OPENING, now)
    count = len(_active(db, prequalification.id))
    law = law_of(project)
    outcome = Stage.OPENING if rules.enough_passed(count, law) else Stage.FAILED
    move(db, prequalification, Step.START_OPENING, to=outcome)
    if outcome is Stage.FAILED:
        prequalification.concluded_at = now
    db.flush()
    _event(
        db, actor, prequalification, project, "prequalification.opening_started",
        {"applications": count, "outcome": outcome.value,
         **({"article": law.minimum_passed_article} if outcome is Stage.FAILED else {})},
        now,
    )  # fmt: skip
    return prequalification


@changes_state("prequalification.application_decrypted", disclosed=False)
def decrypt_application(
    db: Session,
    actor: Principal,
    *,
    prequalification_id: int,
    data_key: bytes,
    store: BlobStore,
    max_mb: int,
    now: datetime,
) -> Application:
    """The applicant hands over the data key its client unwrapped (远程解密); the ciphertext is decrypted once and
    verified (every chunk, the package, each file's SHA-256 and the inner signature), and the key recorded — no
    plaintext is written (decision 0005)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    require(db, prequalification, Step.DECRYPT, now)
    application = db.scalar(
        select(Application).where(
            Application.prequalification_id == prequalification.id,
            Application.entity_id == actor.entity_id,
            Application.status == ACTIVE,
        )
    )
    if application is None:
        raise NotFound(field="prequalification_id", what_zh="贵单位的资格预审申请文件", what_en="Your application")
    if application.decrypted_at is not None:
        raise Conflict(field="prequalification_id", reason_zh="申请文件已解密", reason_en="already decrypted")
    header = parse_header(application.header.encode())
    with open_blob(db, store, application.ciphertext_sha256) as ciphertext:
        opened = verify_bid(header, ciphertext, data_key)
    for item in opened.files:
        if item.size > max_mb * MIB:
            raise BlobTooLarge(limit_mb=format_megabytes(max_mb * MIB), max_bytes=max_mb * MIB)
    application.data_key, application.decrypted_at = data_key, now
    application.summary = canonical_json(dict(opened.summary))
    application.files = json.dumps(
        [{"name": item.name, "size": item.size, "sha256": item.sha256} for item in opened.files], ensure_ascii=False
    )
    db.flush()
    _event(
        db, actor, prequalification, project, "prequalification.application_decrypted",
        {"application_id": application.public_id, "entity_id": application.entity_id}, now,
    )  # fmt: skip
    return application


@changes_state("prequalification.opening_finished")
def finish_opening(db: Session, actor: Principal, *, prequalification_id: int, now: datetime) -> Prequalification:
    """The opening ends: an application its applicant did not decrypt is not reviewed (it is marked withdrawn
    unopened), and the committee reviews the others."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_host(actor, project)
    require(db, prequalification, Step.FINISH_OPENING, now)
    undecrypted = db.execute(
        update(Application)
        .where(
            Application.prequalification_id == prequalification.id,
            Application.status == ACTIVE,
            Application.decrypted_at.is_(None),
        )
        .values(status=UNOPENED, ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    move(db, prequalification, Step.FINISH_OPENING)
    db.flush()
    decrypted = len(_active(db, prequalification.id))
    _event(
        db, actor, prequalification, project, "prequalification.opening_finished",
        {"decrypted": decrypted, "not_decrypted": undecrypted}, now,
    )  # fmt: skip
    return prequalification


# -- the review committee and its verdicts -----------------------------------------------------------------------


@changes_state("prequalification.committee_formed", disclosed=False)  # the members stay secret, as a committee's
def form_committee(
    db: Session,
    actor: Principal,
    *,
    prequalification_id: int,
    specialty_code: str,
    size: int,
    owner_representative_user_ids: list[int],
    now: datetime,
    rng: Random | None = None,
) -> list[Reviewer]:
    """The review committee (资格审查委员会, 实施条例 第18条): it follows the rules of an evaluation committee, so
    its experts are drawn at random from the register by the centre's staff, the committee sized by 招标投标法
    第37条, and experts employed by the owner, its agent or an applicant recused (实施条例 第46条)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    check_reviewer(actor, project)
    require(db, prequalification, Step.APPOINT_COMMITTEE, now)
    if reviewers_of(db, prequalification.id):
        raise Conflict(
            field="prequalification_id", reason_zh="资格审查委员会已组建", reason_en="the committee is already formed"
        )
    representatives = len(owner_representative_user_ids)
    if not expert_rules.lawful_committee(
        size=size, owner_representatives=representatives, procedure=invited_procedure(project)
    ):
        raise CommitteeUnlawful(field="size", members=size, experts=size - representatives)
    for user_id in owner_representative_user_ids:
        user = find_user(db, user_id)
        if user is None or user.entity_id != project.owner_id or owner_representative_user_ids.count(user_id) > 1:
            raise InvalidInput(
                field="owner_representative_user_ids",
                reason_zh="招标人代表须为招标人本单位的用户，且不得重复",
                reason_en="the owner's representatives are distinct users of the owner",
            )
    applicants = set(
        db.scalars(select(Application.entity_id).where(Application.prequalification_id == prequalification.id))
    )
    conflicted = applicants | {project.owner_id} | ({project.agent_id} if project.agent_id is not None else set())
    drawn, pool = draw_from_register(
        db, specialty_code=specialty_code, count=size - representatives, centre_id=project.centre_id,
        conflicted_entities=conflicted, rng=rng or secrets.SystemRandom(),
    )  # fmt: skip
    members = [
        Reviewer(prequalification_id=prequalification.id, user_id=user_id, kind=EXPERT, expert_id=expert_id,
                 appointed_at=now)
        for expert_id, user_id in drawn
    ] + [
        Reviewer(prequalification_id=prequalification.id, user_id=user_id, kind=OWNER_REPRESENTATIVE, expert_id=None,
                 appointed_at=now)
        for user_id in owner_representative_user_ids
    ]  # fmt: skip
    db.add_all(members)
    db.flush()
    _event(
        db, actor, prequalification, project, "prequalification.committee_formed",
        {"specialty_code": specialty_code, "size": size, "experts": [expert for expert, _ in drawn],
         "owner_representatives": owner_representative_user_ids, "candidates": pool.considered,
         "recused": pool.recused},
        now,
    )  # fmt: skip
    return members


@changes_state("prequalification.application_reviewed", disclosed=False)
def review_application(
    db: Session, actor: Principal, *, application_id: str, passed: bool, reason: str, now: datetime
) -> Application:
    """The committee's verdict on one application, by the standard and method the documents state (实施条例
    第18条), with its reasons; a failed applicant is told why. A verdict may be corrected until the result."""
    application = _application(db, application_id)
    prequalification = get_prequalification(db, application.prequalification_id)
    project, _ = project_of(db, prequalification)
    if not _is_reviewer(db, prequalification.id, actor):
        raise NotAReviewer(field="application_id")
    require(db, prequalification, Step.REVIEW, now)
    if application.status != ACTIVE or application.decrypted_at is None:
        raise Conflict(
            field="application_id", reason_zh="该申请文件未解密，不予审查", reason_en="the application was not opened"
        )
    if not passed and not reason.strip():
        raise InvalidInput(field="reason", reason_zh="未通过的须写明理由", reason_en="a failure states its reasons")
    application.passed, application.reason = passed, reason
    application.reviewed_by, application.reviewed_at = actor.user_id, now
    db.flush()
    _event(
        db, actor, prequalification, project, "prequalification.application_reviewed",
        {"application_id": application.public_id, "passed": passed}, now,
    )  # fmt: skip
    return application


@changes_state("prequalification.concluded", disclosed=False)  # the pass list is the invited bidders' names
def conclude(db: Session, actor: Principal, *, prequalification_id: int, now: datetime) -> Prequalification:
    """The result: with 3 or more passing the pass list stands; fewer and the prequalification fails, to be run
    again (实施条例 第19条)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_manager(actor, project)
    require(db, prequalification, Step.CONCLUDE, now)
    if not reviewers_of(db, prequalification.id):
        raise ReviewUnfinished(
            field="prequalification_id", reason_zh="资格审查委员会尚未组建", reason_en="no committee is formed"
        )
    opened = _active(db, prequalification.id)
    if any(application.passed is None for application in opened):
        raise ReviewUnfinished(
            field="prequalification_id", reason_zh="尚有申请文件未审查", reason_en="some applications await a verdict"
        )
    passed = sum(1 for application in opened if application.passed)
    law = law_of(project)
    outcome = Stage.PASSED if rules.enough_passed(passed, law) else Stage.FAILED
    move(db, prequalification, Step.CONCLUDE, to=outcome)
    prequalification.concluded_at = now
    db.flush()
    _event(
        db, actor, prequalification, project, "prequalification.concluded",
        {"reviewed": len(opened), "passed": passed, "outcome": outcome.value, "article": law.minimum_passed_article},
        now,
    )  # fmt: skip
    return prequalification


@changes_state("prequalification.result_notified", disclosed=False)
def notify_result(db: Session, actor: Principal, *, application_id: str, now: datetime) -> Application:
    """The result notice to one applicant, passed or failed, with the reasons (资格预审结果通知书, 实施条例 第19条:
    a failed applicant may not bid)."""
    application = _application(db, application_id)
    prequalification = get_prequalification(db, application.prequalification_id)
    project, _ = project_of(db, prequalification)
    actor = check_manager(actor, project)
    require(db, prequalification, Step.NOTIFY, now)
    if application.status == REPLACED:
        raise Conflict(field="application_id", reason_zh="该申请文件已被替换", reason_en="the application was replaced")
    if application.notified_at is not None:
        raise Conflict(field="application_id", reason_zh="结果通知书已发出", reason_en="the notice is already sent")
    application.notified_at = now
    db.flush()
    _event(
        db, actor, prequalification, project, "prequalification.result_notified",
        {"application_id": application.public_id, "entity_id": application.entity_id,
         "passed": bool(application.passed), "reason": application.reason},
        now,
    )  # fmt: skip
    return application


def unnotified(db: Session, prequalification_id: int) -> int:
    query = select(func.count()).where(
        Application.prequalification_id == prequalification_id,
        Application.status != REPLACED,
        Application.notified_at.is_(None),
    )
    return db.scalar(query) or 0


def invite(
    db: Session,
    actor: Principal,
    *,
    prequalification_id: int,
    method: Method,
    title: str,
    notice_text: str,
    documents_until: datetime,
    bid_deadline: datetime,
    now: datetime,
) -> Tender:
    """The tender by invitation of exactly the pass list (实施条例 第19条: a failed applicant may not bid), once every
    applicant has its notice. The tender is made by tendering's own service, whose ``tender.created`` event names
    this prequalification: that one event records both changes (one service call, one event)."""
    prequalification = get_prequalification(db, prequalification_id)
    project, _ = project_of(db, prequalification)
    check_manager(actor, project)
    require(db, prequalification, Step.INVITE, now)
    count = unnotified(db, prequalification.id)
    if count:
        raise NoticesUnsent(field="prequalification_id", count=count)
    tender = tendering.create_tender(
        db, actor, lot_id=prequalification.lot_id, procedure_key=prequalification.procedure, method=method,
        title=title, notice_text=notice_text, documents_until=documents_until, bid_deadline=bid_deadline,
        invited_entity_ids=pass_list(db, prequalification.id), now=now, prequalification_id=prequalification.id,
    )  # fmt: skip
    move(db, prequalification, Step.INVITE)
    prequalification.tender_id = tender.id
    db.flush()
    return tender


def is_over(prequalification: Prequalification) -> bool:
    return Stage(prequalification.stage) in ENDED


def prequalification_of_application(db: Session, application_id: str) -> int:
    """The prequalification an application (named by its public id) belongs to, for pages that go back to it."""
    return _application(db, application_id).prequalification_id
