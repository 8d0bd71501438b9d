"""The expert register (专家库) and the draw of a tender's evaluation committee (专家抽取).

Experts' identities are secret until the result is known (招标投标法 第37条): both events are undisclosed in the public
ledger, which carries only a salted commitment to them.
"""

from __future__ import annotations

import random
import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core import screening
from ggzy.core.codes import region_contains, region_level, validate_region_code
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal, Role
from ggzy.entities.service import find_user, get_centre, get_entity, grants_of
from ggzy.experts import rules
from ggzy.experts.models import Attendance, CommitteeMember, Draw, Expert, ExpertSpecialty
from ggzy.projects.access import NotYourCentre, check_reviewer
from ggzy.tendering import lifecycle
from ggzy.tendering.bids import bidder_ids_of
from ggzy.tendering.lifecycle import TenderStageWrong
from ggzy.tendering.procedures import procedure
from ggzy.tendering.service import get_tender, project_of
from ggzy.tendering.stages import Step

if TYPE_CHECKING:
    from ggzy.entities.models import User

EXPERT = "expert"
OWNER_REPRESENTATIVE = "owner_representative"
RESERVE = "reserve"

_SPECIALTY = re.compile(r"[A-Z][0-9A-Z]{0,15}")


class CommitteeUnlawful(DomainError):
    code = "committee_unlawful"
    status = 422
    message_zh = (
        "评标委员会成员人数应为五人以上单数，其中技术、经济等方面的专家不得少于成员总数的三分之二"
        "（招标投标法 第三十七条）；所请求的委员会 {members} 人，其中专家 {experts} 人"
    )
    message_en = (
        "An evaluation committee has five or more members, an odd number, of whom experts are at least two thirds "
        "(Tendering Law art. 37 / 第三十七条); asked for {members} members of whom {experts} experts"
    )


class NotEnoughExperts(DomainError):
    code = "not_enough_experts"
    status = 409
    message_zh = (
        "专业 {specialty_code} 可抽取的专家不足：需要 {needed} 人，可抽取 {available} 人（已回避 {recused} 人）"
    )
    message_en = (
        "Not enough experts of specialty {specialty_code}: {needed} needed, {available} available ({recused} recused)"
    )


def get_expert(db: Session, expert_id: int) -> Expert:
    expert = db.get(Expert, expert_id)
    if expert is None:
        raise NotFound(field="expert_id", what_zh="专家", what_en="Expert")
    return expert


def specialties_of(db: Session, expert_id: int) -> list[str]:
    query = select(ExpertSpecialty.specialty_code).where(ExpertSpecialty.expert_id == expert_id)
    return sorted(db.scalars(query))


def _check_registrar(db: Session, actor: Principal, region_code: str) -> None:
    """The platform administrator registers anywhere; centre staff within their centre's region."""
    if Role.PLATFORM_ADMIN in actor.roles:
        return
    for grant in actor.grants_for(Role.CENTRE_STAFF):
        if grant.centre_id is not None and region_contains(get_centre(db, grant.centre_id).region_code, region_code):
            return
    raise NotYourCentre(field="region_code")


@changes_state("expert.registered", disclosed=False)  # 招标投标法 第37条: experts stay secret
def register_expert(
    db: Session,
    actor: Principal,
    *,
    user_id: int,
    name: str,
    employer_id: int,
    specialty_codes: list[str],
    tier: str,
    region_code: str,
    now: datetime,
) -> Expert:
    """Register a user holding the expert role as an expert of the register (专家入库)."""
    region_code = validate_region_code(region_code)
    _check_registrar(db, actor, region_code)
    user = find_user(db, user_id)
    if user is None:
        raise NotFound(field="user_id", what_zh="用户", what_en="User")
    if Role.EXPERT not in {grant.role for grant in grants_of(db, user_id)}:
        raise InvalidInput(
            field="user_id", reason_zh="该用户不具有评标专家角色", reason_en="the user does not hold the expert role"
        )
    get_entity(db, employer_id, field="employer_id")
    if tier not in rules.TIERS or region_level(region_code) != tier:
        raise InvalidInput(
            field="tier",
            reason_zh="专家库层级应与行政区划级别一致（省/市/县）",
            reason_en="the tier must match the level of the region code (province, city, county)",
        )
    codes = sorted(set(specialty_codes))
    if not codes or any(_SPECIALTY.fullmatch(code) is None for code in codes):
        raise InvalidInput(
            field="specialty_codes",
            reason_zh="专业分类代码应为大写字母开头的字母数字",
            reason_en="specialty codes are an upper-case letter then letters or digits",
        )
    if db.scalar(select(Expert.id).where(Expert.user_id == user_id)) is not None:
        raise Conflict(field="user_id", reason_zh="该用户已在专家库中", reason_en="the user is already registered")
    expert = Expert(
        user_id=user_id,
        name=name,
        employer_id=employer_id,
        tier=tier,
        region_code=region_code,
        active=True,
        registered_by=actor.user_id,
        registered_at=now,
    )
    db.add(expert)
    db.flush()
    db.add_all(ExpertSpecialty(expert_id=expert.id, specialty_code=code) for code in codes)
    db.flush()
    record_event(
        db,
        actor,
        action="expert.registered",
        subject_type="expert",
        subject_id=expert.id,
        payload={
            "user_id": user_id,
            "name": name,
            "employer_id": employer_id,
            "specialty_codes": codes,
            "tier": tier,
            "region_code": region_code,
        },
        now=now,
    )
    return expert


def _candidates(db: Session, specialty_code: str) -> list[rules.Candidate]:
    query = (
        select(Expert.id, Expert.employer_id, Expert.region_code)
        .join(ExpertSpecialty, ExpertSpecialty.expert_id == Expert.id)
        .where(ExpertSpecialty.specialty_code == specialty_code, Expert.active.is_(True))
    )
    return [rules.Candidate(expert_id=i, employer_id=e, region_code=r) for i, e, r in db.execute(query)]


def _check_pool_rule(pool_rule: str) -> None:
    if pool_rule not in rules.POOL_RULES:
        raise InvalidInput(
            field="pool_rule",
            reason_zh=f"专家库抽取规则应为 {'、'.join(rules.POOL_RULES)} 之一",
            reason_en=f"the pools' rule is one of {', '.join(rules.POOL_RULES)}",
        )


def _owner_representatives(db: Session, user_ids: list[int], owner_id: int) -> list[User]:
    if len(set(user_ids)) != len(user_ids):
        raise InvalidInput(
            field="owner_representative_user_ids", reason_zh="招标人代表重复", reason_en="a representative is repeated"
        )
    users = []
    for user_id in user_ids:
        user = find_user(db, user_id)
        if user is None or user.entity_id != owner_id:
            raise InvalidInput(
                field="owner_representative_user_ids",
                reason_zh="招标人代表须为招标人本单位的用户",
                reason_en="the owner's representatives are users of the owner",
            )
        users.append(user)
    return users


@changes_state("committee.drawn", disclosed=False)  # 招标投标法 第37条: the names stay secret
def draw_committee(
    db: Session,
    actor: Principal,
    *,
    tender_id: int,
    specialty_code: str,
    size: int,
    reserve: int,
    owner_representative_user_ids: list[int],
    now: datetime,
    rng: random.Random | None = None,
    pool_rule: str = rules.NEAREST_FIRST,
) -> Draw:
    """Draw the evaluation committee of an opened tender at random from the register (招标投标法 第37条), recusing
    experts employed by the owner, its agent or any bidder (实施条例 第46条), plus ``reserve`` reserve experts.

    The pools open to the tender's centre are its region's and each region's above it (decision 0041), drawn by
    ``pool_rule`` (``rules.POOL_RULES``: the nearest pools first, or all together); each seat records its pool.

    After a complaint's decision ordered re-evaluation by a new committee (实施条例 第81条, :func:`supersede_committee`)
    nobody who sat on a superseded committee of the tender sits again, expert or owner's representative: the
    decision set their evaluation aside, and the same people would not make it a new one (decision 0020)."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    check_reviewer(actor, project)
    lifecycle.require(db, tender, Step.DRAW_EXPERTS, now)  # halts: 实施条例 第62条
    representatives = len(owner_representative_user_ids)
    if not rules.lawful_committee(
        size=size, owner_representatives=representatives, procedure=procedure(tender.procedure)
    ):
        raise CommitteeUnlawful(field="size", members=size, experts=size - representatives)
    if reserve < 0:
        raise InvalidInput(field="reserve", reason_zh="备选人数不能为负", reason_en="must not be negative")
    _check_pool_rule(pool_rule)
    if current_draw(db, tender.id) is not None:
        raise Conflict(
            field="tender_id", reason_zh="该招标已抽取评标委员会", reason_en="the committee is already drawn"
        )
    users = _owner_representatives(db, owner_representative_user_ids, project.owner_id)
    former_experts, former_users = _former_members(db, tender.id)
    if former_users & set(owner_representative_user_ids):
        raise InvalidInput(
            field="owner_representative_user_ids",
            reason_zh="已被撤销评审结论的评标委员会成员不得进入新的评标委员会（招标投标法实施条例 第八十一条）",
            reason_en="a member of a committee whose evaluation a decision set aside does not sit on the new one "
            "(Regulations art. 81)",
        )
    bidders = bidder_ids_of(db, tender.id)
    conflicted = bidders | {project.owner_id} | ({project.agent_id} if project.agent_id is not None else set())
    centre = get_centre(db, project.centre_id)
    candidates = _candidates(db, specialty_code)
    barred = screening.screen_experts(
        db, actor, expert_ids=[c.expert_id for c in candidates], subject_type="tender", subject_id=tender.id, now=now
    )  # 信用拦截: an expert under a penalty is not drawn (decision 0040)
    pool = rules.pool_for(
        [c for c in candidates if c.expert_id not in barred], centre_region=centre.region_code,
        conflicted_entities=conflicted, former_members=former_experts,
    )  # fmt: skip
    experts = rules.experts_needed(size=size, owner_representatives=representatives)
    if len(pool.eligible) < experts + reserve:
        raise NotEnoughExperts(
            field="size", specialty_code=specialty_code, needed=experts + reserve, available=len(pool.eligible),
            recused=pool.recused + pool.former_members,
        )  # fmt: skip
    drawn = rules.draw_by_rule(pool, experts + reserve, rng or secrets.SystemRandom(), pool_rule)
    draw = Draw(
        tender_id=tender.id, specialty_code=specialty_code, size=size, owner_representatives=representatives,
        reserve=reserve, candidates=pool.considered, recused=pool.recused, pool_rule=pool_rule,
        drawn_by=actor.user_id, drawn_at=now,
    )  # fmt: skip
    db.add(draw)
    db.flush()
    user_of = dict(db.execute(select(Expert.id, Expert.user_id).where(Expert.id.in_(drawn))).all())
    seats = [
        CommitteeMember(
            draw_id=draw.id,
            tender_id=tender.id,
            kind=EXPERT if n < experts else RESERVE,
            position=n + 1,
            expert_id=expert_id,
            user_id=user_of[expert_id],
            pool_region_code=pool.pool_of[expert_id],
        )
        for n, expert_id in enumerate(drawn)
    ]
    seats += [
        CommitteeMember(
            draw_id=draw.id,
            tender_id=tender.id,
            kind=OWNER_REPRESENTATIVE,
            position=len(drawn) + n + 1,
            expert_id=None,
            user_id=user.id,
        )
        for n, user in enumerate(users)
    ]
    db.add_all(seats)
    db.flush()
    record_event(
        db,
        actor,
        action="committee.drawn",
        subject_type="tender",
        subject_id=tender.id,
        centre_id=project.centre_id,
        payload={
            "specialty_code": specialty_code,
            "size": size,
            "owner_representatives": [user.id for user in users],
            "experts": drawn[:experts],
            "reserve": drawn[experts:],
            "candidates": pool.considered,
            "recused": pool.recused,
            "former_members_excluded": pool.former_members,
            "pool_rule": pool_rule,
            "pools": [pool.pool_of[expert_id] for expert_id in drawn],  # each drawn expert's pool, in drawn order
        },
        now=now,
    )
    return draw


def current_draw(db: Session, tender_id: int) -> Draw | None:
    """The tender's draw in force (a superseded one stays for the record)."""
    return db.scalar(select(Draw).where(Draw.tender_id == tender_id, Draw.superseded_at.is_(None)))


def committee_of(db: Session, tender_id: int) -> list[CommitteeMember]:
    """The seats of the committee in force, in the order of the draw."""
    query = select(CommitteeMember).where(
        CommitteeMember.tender_id == tender_id, CommitteeMember.superseded_at.is_(None)
    )
    return list(db.scalars(query.order_by(CommitteeMember.position)))


def _former_members(db: Session, tender_id: int) -> tuple[set[int], set[int]]:
    """The experts and the users who sat (reserve experts never called aside) on a superseded committee."""
    query = select(CommitteeMember.expert_id, CommitteeMember.user_id).where(
        CommitteeMember.tender_id == tender_id,
        CommitteeMember.superseded_at.is_not(None),
        CommitteeMember.kind != RESERVE,
    )
    rows = db.execute(query).all()
    return {expert for expert, _ in rows if expert is not None}, {user for _, user in rows}


def supersede_committee(db: Session, *, tender_id: int, now: datetime) -> int | None:
    """A complaint's decision orders re-evaluation by a new committee (招标投标法实施条例 第81条): the draw in force
    and its seats are superseded, never deleted, so that a new draw can be made. Part of the decision's state
    change (its event records it); returns the superseded draw's id, or None when no committee was drawn."""
    draw = current_draw(db, tender_id)
    if draw is None:
        return None
    draw.superseded_at = now
    for member in committee_of(db, tender_id):
        member.superseded_at = now
    db.flush()
    return draw.id


def sitting_members(db: Session, tender_id: int) -> list[CommitteeMember]:
    """The members who evaluate: experts and owner's representatives (reserve experts only when called)."""
    return [member for member in committee_of(db, tender_id) if member.kind != RESERVE]


def assignments_of(db: Session, user_id: int) -> list[CommitteeMember]:
    query = select(CommitteeMember).where(
        CommitteeMember.user_id == user_id, CommitteeMember.kind != RESERVE, CommitteeMember.superseded_at.is_(None)
    )
    return list(db.scalars(query.order_by(CommitteeMember.id)))


def expert_names(db: Session, expert_ids: list[int]) -> dict[int, str]:
    if not expert_ids:
        return {}
    return dict(db.execute(select(Expert.id, Expert.name).where(Expert.id.in_(expert_ids))).all())


def draw_from_register(
    db: Session,
    actor: Principal,
    *,
    specialty_code: str,
    count: int,
    centre_id: int,
    conflicted_entities: set[int],
    subject_type: str,
    subject_id: int | str,
    now: datetime,
    rng: random.Random | None = None,
    pool_rule: str = rules.NEAREST_FIRST,
) -> tuple[list[tuple[int, int]], rules.Pool]:
    """Draw ``count`` experts of a specialty at random from the pools open to the centre (its region's and each
    region's above it, by ``pool_rule``: decision 0041), recusing those employed by ``conflicted_entities``
    (实施条例 第46条), for a committee that is not a tender's (the prequalification review committee, 实施条例
    第18条). Returns (expert id, user id) in the order drawn, and the pool (``pool.pool_of``: each one's pool).
    Experts under a credit restriction in force are not drawn, as for a tender's committee (decision 0040): each
    interception is recorded against ``subject_type``/``subject_id``."""
    _check_pool_rule(pool_rule)
    centre = get_centre(db, centre_id)
    candidates = _candidates(db, specialty_code)
    barred = screening.screen_experts(
        db,
        actor,
        expert_ids=[c.expert_id for c in candidates],
        subject_type=subject_type,
        subject_id=subject_id,
        now=now,
    )  # 信用拦截
    pool = rules.pool_for(
        [c for c in candidates if c.expert_id not in barred], centre_region=centre.region_code,
        conflicted_entities=conflicted_entities,
    )  # fmt: skip
    if len(pool.eligible) < count:
        raise NotEnoughExperts(
            field="size", specialty_code=specialty_code, needed=count, available=len(pool.eligible),
            recused=pool.recused,
        )  # fmt: skip
    drawn = rules.draw_by_rule(pool, count, rng or secrets.SystemRandom(), pool_rule)
    user_of = dict(db.execute(select(Expert.id, Expert.user_id).where(Expert.id.in_(drawn))).all())
    return [(expert_id, user_of[expert_id]) for expert_id in drawn], pool


# -- at the venue: checking the members in (签到) ----------------------------------------------------------------------


def _check_in_open(db: Session, tender_id: int, now: datetime) -> None:
    """Members are checked in once the committee is drawn and until the report is final: the stages from which a
    committee is drawn or evaluates (a suspension halts this too, 实施条例 第62条)."""
    tender = get_tender(db, tender_id)
    try:
        lifecycle.require(db, tender, Step.DRAW_EXPERTS, now)
    except TenderStageWrong:
        lifecycle.require(db, tender, Step.EVALUATE, now)


@changes_state("committee.member_checked_in", disclosed=False)  # 招标投标法 第37条: the names stay secret
def check_in_member(db: Session, actor: Principal, *, tender_id: int, member_id: int, now: datetime) -> Attendance:
    """The centre's staff check a sitting member in (签到) on arrival at the evaluation venue. Only a member checked in
    evaluates (the venue is where the evaluation happens, under the centre's watch, 招标投标法 第38条: 招标人应当采取
    必要的措施，保证评标在严格保密的情况下进行); once, and never undone."""
    tender = get_tender(db, tender_id)
    project, _ = project_of(db, tender)
    check_reviewer(actor, project)
    _check_in_open(db, tender.id, now)
    member = sitting_member(db, tender_id=tender.id, member_id=member_id)
    if attendance_of(db, [member.id]):
        raise Conflict(field="member_id", reason_zh="该成员已签到", reason_en="the member is already checked in")
    attendance = Attendance(member_id=member.id, tender_id=tender.id, checked_in_by=actor.user_id, checked_in_at=now)
    db.add(attendance)
    db.flush()
    record_event(
        db, actor, action="committee.member_checked_in", subject_type="tender", subject_id=tender.id,
        centre_id=project.centre_id, payload={"member_id": member.id, "position": member.position}, now=now,
    )  # fmt: skip
    return attendance


def sitting_member(db: Session, *, tender_id: int, member_id: int) -> CommitteeMember:
    """A sitting member of the tender's committee in force (not a reserve expert, not a superseded seat)."""
    member = db.get(CommitteeMember, member_id)
    if member is None or member.tender_id != tender_id or member.superseded_at is not None or member.kind == RESERVE:
        raise NotFound(field="member_id", what_zh="评标委员会成员", what_en="Committee member")
    return member


def attendance_of(db: Session, member_ids: list[int]) -> dict[int, Attendance]:
    """The check-ins of these seats, by member id (a seat not in it is not checked in)."""
    if not member_ids:
        return {}
    query = select(Attendance).where(Attendance.member_id.in_(member_ids))
    return {row.member_id: row for row in db.scalars(query)}
