"""The review of a prequalification: the review committee (实施条例 第18条), its verdicts, the result and the result
notices (第19条), and the tender by invitation of exactly the pass list."""

from __future__ import annotations

import secrets
from datetime import datetime
from random import Random
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput
from ggzy.core.events import changes_state
from ggzy.core.permissions import Principal
from ggzy.entities.service import find_user
from ggzy.experts import rules as expert_rules
from ggzy.experts.service import CommitteeUnlawful, draw_from_register
from ggzy.prequalification import rules
from ggzy.prequalification.applications import ACTIVE, REPLACED, active_applications, get_application, pass_list
from ggzy.prequalification.lifecycle import Stage, Step, move, require
from ggzy.prequalification.models import (
    Application,
    Prequalification,
    Reviewer,
)
from ggzy.prequalification.service import (
    get_prequalification,
    invited_procedure,
    is_reviewer,
    law_of,
    project_of,
    record_prequalification_event,
    reviewers_of,
)
from ggzy.projects.access import check_reviewer
from ggzy.tendering import service as tendering
from ggzy.tendering.access import check_manager
from ggzy.tendering.procedures import Method

if TYPE_CHECKING:
    from ggzy.tendering.models import Tender

EXPERT, OWNER_REPRESENTATIVE = "expert", "owner_representative"


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
        db.scalars(
            select(Application.entity_id).where(
                Application.prequalification_id == prequalification.id, Application.status == ACTIVE
            )
        )
    )
    conflicted = applicants | {project.owner_id} | ({project.agent_id} if project.agent_id is not None else set())
    drawn, pool = draw_from_register(
        db, actor, specialty_code=specialty_code, count=size - representatives, centre_id=project.centre_id,
        conflicted_entities=conflicted, subject_type="prequalification", subject_id=prequalification.id, now=now,
        rng=rng or secrets.SystemRandom(),
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
    record_prequalification_event(
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
    application = get_application(db, application_id)
    prequalification = get_prequalification(db, application.prequalification_id)
    project, _ = project_of(db, prequalification)
    if not is_reviewer(db, prequalification.id, actor):
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
    record_prequalification_event(
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
    opened = active_applications(db, prequalification.id)
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
    record_prequalification_event(
        db, actor, prequalification, project, "prequalification.concluded",
        {"reviewed": len(opened), "passed": passed, "outcome": outcome.value, "article": law.minimum_passed_article},
        now,
    )  # fmt: skip
    return prequalification


@changes_state("prequalification.result_notified", disclosed=False)
def notify_result(db: Session, actor: Principal, *, application_id: str, now: datetime) -> Application:
    """The result notice to one applicant, passed or failed, with the reasons (资格预审结果通知书, 实施条例 第19条:
    a failed applicant may not bid)."""
    application = get_application(db, application_id)
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
    record_prequalification_event(
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
