"""Who may take part in, finalise and read an evaluation.

The committee's names stay secret until the result is known (招标投标法 第37条: 评标委员会成员的名单在中标结果
确定前应当保密): only staff of the project's centre see who sits; the report goes to the owner (实施条例 第53条)
and the centre, not yet to bidders.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role
from ggzy.experts.models import CommitteeMember
from ggzy.experts.service import OWNER_REPRESENTATIVE, RESERVE, attendance_of
from ggzy.projects.access import is_own_centre
from ggzy.projects.models import Project


class NotACommitteeMember(DomainError):
    code = "not_a_committee_member"
    status = 403
    message_zh = "您不是该招标评标委员会的成员"
    message_en = "You do not sit on this tender's evaluation committee"


class NotCheckedIn(DomainError):
    code = "committee_member_not_checked_in"
    status = 409
    message_zh = "您尚未在评标现场签到，签到后方可评审；请联系交易中心工作人员"
    message_en = "You are not checked in at the evaluation venue; the centre's staff check you in before you evaluate"


class NotTheFinaliser(DomainError):
    code = "evaluation_finaliser_mismatch"
    status = 403
    message_zh = "只有该项目所在交易中心的工作人员或评标委员会主任委员可以{action_zh}"
    message_en = "Only staff of the project's centre or the committee's lead may {action_en}"


def is_centre_staff(actor: Principal, project: Project) -> bool:
    """Staff of the project's own centre: the committee's names are not read from a centre above (decision 0041)."""
    return is_own_centre(actor, project)


def member_for(db: Session, actor: Principal, tender_id: int) -> tuple[CommitteeMember, Principal]:
    """The sitting member the actor is on this tender's committee, and the actor acting in that capacity."""
    if actor.user_id is None:
        raise NotACommitteeMember(field="tender_id")
    member = db.scalar(
        select(CommitteeMember).where(
            CommitteeMember.tender_id == tender_id,
            CommitteeMember.user_id == actor.user_id,
            CommitteeMember.superseded_at.is_(None),
        )
    )
    if member is None or member.kind == RESERVE:
        raise NotACommitteeMember(field="tender_id")
    role = Role.OWNER if member.kind == OWNER_REPRESENTATIVE else Role.EXPERT
    if role not in actor.roles:
        raise NotACommitteeMember(field="tender_id")
    return member, replace(actor, acting_role=role)


def present_member_for(db: Session, actor: Principal, tender_id: int) -> tuple[CommitteeMember, Principal]:
    """:func:`member_for`, and checked in at the venue (签到, ``ggzy.experts.service.check_in_member``): a member
    not checked in does not evaluate, vote or sign."""
    member, acting = member_for(db, actor, tender_id)
    if member.id not in attendance_of(db, [member.id]):
        raise NotCheckedIn(field="tender_id")
    return member, acting


def check_lead(db: Session, actor: Principal, tender_id: int, lead_member_id: int) -> tuple[CommitteeMember, Principal]:
    member, acting = present_member_for(db, actor, tender_id)
    if member.id != lead_member_id:
        raise NotTheFinaliser(field="tender_id", action_zh="代表委员会否决投标", action_en="record a rejection")
    return member, acting


def check_finaliser(db: Session, actor: Principal, project: Project, tender_id: int, lead_member_id: int) -> Principal:
    """Staff of the project's centre, or the committee's lead (主任委员)."""
    if is_centre_staff(actor, project):
        return replace(actor, acting_role=Role.CENTRE_STAFF)
    if actor.user_id is not None:
        lead = db.get(CommitteeMember, lead_member_id)
        if lead is not None and lead.user_id == actor.user_id:
            return member_for(db, actor, tender_id)[1]
    raise NotTheFinaliser(field="tender_id", action_zh="出具评标报告", action_en="finalise the report")


def sees_fellow_members(db: Session, actor: Principal, tender_id: int) -> bool:
    """A sitting member sees who sits beside them (they meet at the venue, elect a lead and sign one report); the
    secrecy of 招标投标法 第37条 is towards everyone outside the committee."""
    try:
        member_for(db, actor, tender_id)
    except NotACommitteeMember:
        return False
    return True


def sees_identities(actor: Principal, project: Project) -> bool:
    """招标投标法 第37条: the names stay secret until the result; until awards exist, only the centre sees them."""
    return is_centre_staff(actor, project)


def reads_report(actor: Principal, project: Project) -> bool:
    """实施条例 第53条: the report goes to the owner (and its agent); the centre keeps it."""
    if is_centre_staff(actor, project):
        return True
    return (
        actor.entity_id is not None
        and actor.entity_id in (project.owner_id, project.agent_id)
        and bool(actor.roles & {Role.OWNER, Role.AGENT})
    )
