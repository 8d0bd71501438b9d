"""Sealed prequalification applications and their opening: received as sealed bids are (the same envelope, the
same checks, a key kept the same way), opened by their applicants' remote decryption; nobody learns who applied or
how many before the opening (DESIGN §4.3)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.core.errors import Conflict, NotFound
from ggzy.core.events import canonical_json, changes_state
from ggzy.core.permissions import Principal
from ggzy.crypto import load_public_key_pem
from ggzy.crypto.envelope import check_envelope_for_lot, parse_header, read_envelope_header, verify_bid
from ggzy.entities.login import trust_store
from ggzy.entities.service import get_entity
from ggzy.prequalification import rules
from ggzy.prequalification.lifecycle import Stage, Step, move, require, stage_of
from ggzy.prequalification.models import (
    Application,
    Prequalification,
    PrequalificationKey,
)
from ggzy.prequalification.service import (
    application_code,
    get_prequalification,
    is_reviewer,
    law_of,
    project_of,
    record_prequalification_event,
)
from ggzy.storage import MIB, BlobStore, BlobTooLarge, open_blob, stage_blob
from ggzy.storage.blobs import format_megabytes
from ggzy.tendering.access import check_bidder_may_register, check_host, check_manager
from ggzy.tendering.bids import ConcurrentSubmission, EnvelopeNotYours, SuiteNotAccepted

if TYPE_CHECKING:
    from ggzy.projects.models import Project

ACTIVE, REPLACED, UNOPENED = "active", "replaced", "withdrawn_unopened"


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
    if not is_reviewer(db, prequalification.id, actor):
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


def get_application(db: Session, public_id: str) -> Application:
    found = db.scalar(select(Application).where(Application.public_id == public_id))
    if found is None:
        raise NotFound(field="application_id", what_zh="资格预审申请文件", what_en="Application")
    return found


def prequalification_of_application(db: Session, application_id: str) -> int:
    """The prequalification an application (named by its public id) belongs to, for pages that go back to it."""
    return get_application(db, application_id).prequalification_id


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
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.application_submitted",
        {"application_id": application.public_id, "ciphertext_sha256": ciphertext.sha256, "suite": application.suite,
         "replaces": previous.public_id if previous is not None else None},
        now,
    )  # fmt: skip
    return application


def active_applications(db: Session, prequalification_id: int) -> list[Application]:
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
    count = len(active_applications(db, prequalification.id))
    law = law_of(project)
    outcome = Stage.OPENING if rules.enough_passed(count, law) else Stage.FAILED
    move(db, prequalification, Step.START_OPENING, to=outcome)
    if outcome is Stage.FAILED:
        prequalification.concluded_at = now
    db.flush()
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.opening_started",
        {"outcome": outcome.value,
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
    record_prequalification_event(
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
    decrypted = len(active_applications(db, prequalification.id))
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.opening_finished",
        {"reviewed": decrypted > 0, "not_decrypted": undecrypted > 0}, now,
    )  # fmt: skip
    return prequalification
