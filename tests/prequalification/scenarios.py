"""Prequalifications driven through the services, for the tests of the domain and the walk of every event."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Principal
from ggzy.crypto import load_private_key_pem, load_public_key_pem
from ggzy.crypto.envelope import parse_header, seal_bid, unwrap_data_key
from ggzy.entities.models import Entity, User
from ggzy.prequalification import applications, review, service
from ggzy.prequalification.models import Application, Prequalification, PrequalificationKey
from ggzy.storage import BlobStore
from ggzy.tendering.procedures import Method
from tests.conftest import TEST_NOW
from tests.factories import (
    IssuedCertificate,
    bidder_user,
    factory_ca,
    issue,
    load_test_calendar,
    make_accepted_project,
    make_expert,
    principal,
    trust_factory_ca,
)

DOCUMENTS_UNTIL = TEST_NOW + timedelta(days=7)  # Tuesday 1 December 2026
DEADLINE = TEST_NOW + timedelta(days=14)  # Tuesday 8 December 2026, 14:00 Beijing time
AFTER = DEADLINE + timedelta(minutes=1)


@dataclass
class Applicant:
    user: User
    issued: IssuedCertificate

    def actor(self, db: Session, permission: Permission = Permission.TENDER_REGISTER) -> Principal:
        return principal(db, self.user, permission)


def applicant(db: Session) -> Applicant:
    user = bidder_user(db)
    entity = db.get(Entity, user.entity_id)
    assert entity is not None
    return Applicant(user=user, issued=issue(factory_ca(), name=entity.name, code=entity.credit_code))


def manager(db: Session, setup: dict) -> Principal:
    return principal(db, setup["agent_user"], Permission.TENDER_MANAGE)


def draft(
    db: Session,
    *,
    trade_type: str = "construction",
    documents_until: datetime = DOCUMENTS_UNTIL,
    application_deadline: datetime = DEADLINE,
    setup: dict | None = None,
) -> tuple[Prequalification, dict]:
    """A draft prequalification of the first lot of an accepted project, its documents attached."""
    load_test_calendar(db)
    trust_factory_ca(db)
    setup = setup or make_accepted_project(db, trade_type=trade_type)
    agent = manager(db, setup)
    prequalification = service.create_prequalification(
        db, agent, lot_id=setup["lots"][0].id, title="教学楼改扩建工程施工资格预审", notice_text="资格预审公告正文",
        criteria="合格制：资质、业绩、财务、信誉", documents_until=documents_until,
        application_deadline=application_deadline, now=TEST_NOW,
    )  # fmt: skip
    service.attach_documents(
        db, agent, prequalification_id=prequalification.id, sha256="b" * 64, name="资格预审文件.pdf", size=10,
        now=TEST_NOW,
    )  # fmt: skip
    return prequalification, setup


def published(db: Session, **kwargs: Any) -> tuple[Prequalification, dict]:
    prequalification, setup = draft(db, **kwargs)
    service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=TEST_NOW)
    return prequalification, setup


def seal(db: Session, prequalification: Prequalification, who: Applicant) -> bytes:
    """The applicant's client seals its application as it seals a bid, for the prequalification's code and key."""
    suite = who.issued.certificate.suite
    project, lot = service.project_of(db, prequalification)
    key = db.scalar(
        select(PrequalificationKey).where(
            PrequalificationKey.prequalification_id == prequalification.id, PrequalificationKey.suite == suite.value
        )
    )
    assert key is not None
    out = io.BytesIO()
    seal_bid(
        lot_code=service.application_code(project, lot, prequalification), suite=suite,
        summary={"qualification": "施工总承包一级"}, files={"资格预审申请文件.pdf": b"%PDF application " * 100},
        bidder_certificate_pem=who.issued.certificate_pem,
        bidder_private_key=load_private_key_pem(who.issued.private_key_pem),
        opening_public_key=load_public_key_pem(key.public_key_pem), out=out, now=TEST_NOW,
    )  # fmt: skip
    return out.getvalue()


def apply(
    db: Session, store: BlobStore, prequalification: Prequalification, who: Applicant, *, now: datetime = TEST_NOW
) -> Application:
    return applications.submit_application(
        db, who.actor(db), prequalification_id=prequalification.id,
        envelope=io.BytesIO(seal(db, prequalification, who)), store=store, max_bytes=10**8, now=now,
    )  # fmt: skip


def data_key(db: Session, prequalification: Prequalification, who: Applicant) -> bytes:
    """What the applicant's client unwraps with its own key at the opening."""
    application = applications.my_applications(db, who.actor(db), prequalification.id)[0]
    header = parse_header(application.header.encode())
    return unwrap_data_key(header, load_private_key_pem(who.issued.private_key_pem), "bidder")


def experts(db: Session, count: int = 5) -> list[Any]:
    return [make_expert(db, specialty_codes=["A01"]) for _ in range(count)]


def host(db: Session, setup: dict) -> Principal:
    return principal(db, setup["agent_user"], Permission.OPENING_HOST)


def staff(db: Session, setup: dict) -> Principal:
    return principal(db, setup["staff"], Permission.COMMITTEE_DRAW)


def opened(
    db: Session, store: BlobStore, *, applicants: int = 4, trade_type: str = "construction"
) -> tuple[Prequalification, dict, list[Applicant]]:
    """Published, ``applicants`` sealed applications, opened and each decrypted by its applicant, the opening over,
    and the committee formed (five experts drawn)."""
    prequalification, setup = published(db, trade_type=trade_type)
    crew = [applicant(db) for _ in range(applicants)]
    for who in crew:
        apply(db, store, prequalification, who)
    applications.start_opening(db, host(db, setup), prequalification_id=prequalification.id, now=AFTER)
    for who in crew:
        applications.decrypt_application(
            db, who.actor(db), prequalification_id=prequalification.id,
            data_key=data_key(db, prequalification, who), store=store, max_mb=100, now=AFTER,
        )  # fmt: skip
    applications.finish_opening(db, host(db, setup), prequalification_id=prequalification.id, now=AFTER)
    experts(db)
    review.form_committee(
        db, staff(db, setup), prequalification_id=prequalification.id, specialty_code="A01", size=5,
        owner_representative_user_ids=[], now=AFTER,
    )  # fmt: skip
    return prequalification, setup, crew


def reviewer(db: Session, prequalification: Prequalification) -> Principal:
    from ggzy.entities.service import find_user

    member = service.reviewers_of(db, prequalification.id)[0]
    user = find_user(db, member.user_id)
    assert user is not None
    return principal(db, user, Permission.EVALUATION_SIT)


def application_of(db: Session, prequalification: Prequalification, who: Applicant) -> Application:
    return applications.my_applications(db, who.actor(db), prequalification.id)[0]


def reviewed(
    db: Session, store: BlobStore, *, verdicts: list[bool], trade_type: str = "construction"
) -> tuple[Prequalification, dict, list[Applicant]]:
    """Opened with one applicant per verdict, each reviewed by a member of the committee."""
    prequalification, setup, crew = opened(db, store, applicants=len(verdicts), trade_type=trade_type)
    member = reviewer(db, prequalification)
    for who, passed in zip(crew, verdicts, strict=True):
        review.review_application(
            db, member, application_id=application_of(db, prequalification, who).public_id, passed=passed,
            reason="" if passed else "业绩不满足资格预审文件第3.2条", now=AFTER,
        )  # fmt: skip
    return prequalification, setup, crew


def notified(db: Session, store: BlobStore, *, verdicts: list[bool]) -> tuple[Prequalification, dict, list[Applicant]]:
    prequalification, setup, crew = reviewed(db, store, verdicts=verdicts)
    review.conclude(db, manager(db, setup), prequalification_id=prequalification.id, now=AFTER)
    for who in crew:
        review.notify_result(
            db, manager(db, setup), application_id=application_of(db, prequalification, who).public_id, now=AFTER
        )
    return prequalification, setup, crew


def invite(db: Session, prequalification: Prequalification, setup: dict):  # type: ignore[no-untyped-def]
    """The tender by invitation of the pass list, its documents attached and the invitations sent (published)."""
    from ggzy.tendering import service as tendering

    agent = manager(db, setup)
    tender = review.invite(
        db, agent, prequalification_id=prequalification.id, method=Method.SCORING,
        title="教学楼改扩建工程施工邀请招标", notice_text="投标邀请书", documents_until=AFTER + timedelta(days=10),
        bid_deadline=AFTER + timedelta(days=25), now=AFTER,
    )  # fmt: skip
    tendering.attach_documents(db, agent, tender_id=tender.id, sha256="d" * 64, name="招标文件.pdf", size=1, now=AFTER)
    tendering.publish_tender(db, agent, tender_id=tender.id, now=AFTER)
    return tender


PREQUALIFICATION_ACTIONS = (
    "prequalification.created",
    "prequalification.documents_attached",
    "prequalification.published",
    "prequalification.clarified",
    "prequalification.objection_raised",
    "prequalification.objection_answered",
    "prequalification.application_submitted",
    "prequalification.opening_started",
    "prequalification.application_decrypted",
    "prequalification.opening_finished",
    "prequalification.committee_formed",
    "prequalification.application_reviewed",
    "prequalification.concluded",
    "prequalification.result_notified",
)


def prequalification_scenario(db: Session, store: BlobStore, action: str) -> Callable[[], object]:
    """For the walk of every state-changing service (tests/core/test_events.py): prepare, return the call."""
    agent = None
    if action == "prequalification.created":
        load_test_calendar(db)
        setup = make_accepted_project(db)
        agent = manager(db, setup)
        return lambda: service.create_prequalification(
            db, agent, lot_id=setup["lots"][0].id, title="t", notice_text="n", criteria="c",
            documents_until=DOCUMENTS_UNTIL, application_deadline=DEADLINE, now=TEST_NOW,
        )  # fmt: skip
    if action == "prequalification.documents_attached":
        prequalification, setup = draft(db)
        return lambda: service.attach_documents(
            db, manager(db, setup), prequalification_id=prequalification.id, sha256="c" * 64, name="n.pdf", size=1,
            now=TEST_NOW,
        )  # fmt: skip
    if action == "prequalification.published":
        prequalification, setup = draft(db)
        return lambda: service.publish(db, manager(db, setup), prequalification_id=prequalification.id, now=TEST_NOW)
    if action in ("prequalification.clarified", "prequalification.objection_raised",
                  "prequalification.objection_answered", "prequalification.application_submitted"):  # fmt: skip
        prequalification, setup = published(db)
        if action == "prequalification.clarified":
            return lambda: service.clarify(
                db, manager(db, setup), prequalification_id=prequalification.id, text="澄清",
                affects_applications=True, now=TEST_NOW,
            )  # fmt: skip
        objector = applicant(db)
        if action == "prequalification.objection_raised":
            return lambda: service.raise_objection(
                db, objector.actor(db, Permission.TENDER_OBJECT), prequalification_id=prequalification.id,
                text="异议", now=TEST_NOW,
            )  # fmt: skip
        if action == "prequalification.objection_answered":
            objection = service.raise_objection(
                db, objector.actor(db, Permission.TENDER_OBJECT), prequalification_id=prequalification.id,
                text="异议", now=TEST_NOW,
            )  # fmt: skip
            return lambda: service.answer_objection(
                db, manager(db, setup), objection_id=objection.public_id, answer="答复", now=TEST_NOW
            )
        return lambda: apply(db, store, prequalification, objector)
    if action in ("prequalification.opening_started", "prequalification.application_decrypted"):
        prequalification, setup = published(db)
        crew = [applicant(db) for _ in range(3)]
        for who in crew:
            apply(db, store, prequalification, who)
        start = lambda: applications.start_opening(  # noqa: E731
            db, host(db, setup), prequalification_id=prequalification.id, now=AFTER
        )
        if action == "prequalification.opening_started":
            return start
        start()
        key = data_key(db, prequalification, crew[0])
        return lambda: applications.decrypt_application(
            db, crew[0].actor(db), prequalification_id=prequalification.id, data_key=key, store=store, max_mb=100,
            now=AFTER,
        )  # fmt: skip
    if action == "prequalification.opening_finished":
        prequalification, setup = published(db)
        for _ in range(3):
            apply(db, store, prequalification, applicant(db))
        applications.start_opening(db, host(db, setup), prequalification_id=prequalification.id, now=AFTER)
        return lambda: applications.finish_opening(
            db, host(db, setup), prequalification_id=prequalification.id, now=AFTER
        )
    if action == "prequalification.committee_formed":
        prequalification, setup = published(db)
        crew = [applicant(db) for _ in range(3)]
        for who in crew:
            apply(db, store, prequalification, who)
        applications.start_opening(db, host(db, setup), prequalification_id=prequalification.id, now=AFTER)
        for who in crew:
            applications.decrypt_application(
                db, who.actor(db), prequalification_id=prequalification.id,
                data_key=data_key(db, prequalification, who), store=store, max_mb=100, now=AFTER,
            )  # fmt: skip
        applications.finish_opening(db, host(db, setup), prequalification_id=prequalification.id, now=AFTER)
        experts(db)
        return lambda: review.form_committee(
            db, staff(db, setup), prequalification_id=prequalification.id, specialty_code="A01", size=5,
            owner_representative_user_ids=[], now=AFTER,
        )  # fmt: skip
    if action == "prequalification.application_reviewed":
        prequalification, setup, crew = opened(db, store, applicants=3)
        target = application_of(db, prequalification, crew[0]).public_id
        member = reviewer(db, prequalification)
        return lambda: review.review_application(db, member, application_id=target, passed=True, reason="", now=AFTER)
    if action == "prequalification.concluded":
        prequalification, setup, _ = reviewed(db, store, verdicts=[True, True, True])
        return lambda: review.conclude(db, manager(db, setup), prequalification_id=prequalification.id, now=AFTER)
    assert action == "prequalification.result_notified", action
    prequalification, setup, crew = reviewed(db, store, verdicts=[True, True, True])
    review.conclude(db, manager(db, setup), prequalification_id=prequalification.id, now=AFTER)
    target = application_of(db, prequalification, crew[0]).public_id
    return lambda: review.notify_result(db, manager(db, setup), application_id=target, now=AFTER)
