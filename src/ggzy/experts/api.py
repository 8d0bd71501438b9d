"""API of the expert register (专家库) and the committee draw (专家抽取)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from ggzy.core.codes import RegionCodeInvalid
from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Id
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now
from ggzy.experts import service
from ggzy.experts.models import Draw, Expert
from ggzy.experts.schemas import AttendanceOut, CheckInIn, DrawIn, DrawOut, ExpertIn, ExpertOut, MemberOut
from ggzy.projects.access import NotYourCentre
from ggzy.tendering import lifecycle
from ggzy.tendering.lifecycle import TenderStageWrong, TenderSuspended

router = APIRouter(tags=["experts"], route_class=PermissionedRoute)

Registrar = Annotated[Principal, Depends(require(Permission.EXPERT_MANAGE))]
Drawer = Annotated[Principal, Depends(require(Permission.COMMITTEE_DRAW))]


def expert_out(db: Session, expert: Expert) -> ExpertOut:
    return ExpertOut(
        id=expert.id,
        user_id=expert.user_id,
        name=expert.name,
        employer_id=expert.employer_id,
        specialty_codes=service.specialties_of(db, expert.id),
        tier=expert.tier,
        region_code=expert.region_code,
        active=expert.active,
        registered_at=expert.registered_at,
    )


def members_out(db: Session, tender_id: int) -> list[MemberOut]:
    members = service.committee_of(db, tender_id)
    names = service.expert_names(db, [m.expert_id for m in members if m.expert_id is not None])
    attendance = service.attendance_of(db, [m.id for m in members])
    return [
        MemberOut(
            member_id=m.id,
            kind=m.kind,
            position=m.position,
            user_id=m.user_id,
            expert_id=m.expert_id,
            name=names.get(m.expert_id) if m.expert_id is not None else None,
            checked_in_at=attendance[m.id].checked_in_at if m.id in attendance else None,
            pool_region_code=m.pool_region_code,
        )
        for m in members
    ]


def draw_out(db: Session, draw: Draw) -> DrawOut:
    return DrawOut(
        tender_id=draw.tender_id,
        specialty_code=draw.specialty_code,
        size=draw.size,
        owner_representatives=draw.owner_representatives,
        reserve=draw.reserve,
        candidates=draw.candidates,
        recused=draw.recused,
        pool_rule=draw.pool_rule,
        drawn_at=draw.drawn_at,
        members=members_out(db, draw.tender_id),
    )


@router.post(
    "/experts",
    status_code=201,
    response_model=ExpertOut,
    summary="Register an expert in the expert register (专家入库), by centre staff",
    responses=problem_responses(NotFound, InvalidInput, RegionCodeInvalid, Conflict, NotYourCentre),
)
def register_expert(body: ExpertIn, db: DB, actor: Registrar, now: Now) -> ExpertOut:
    expert = service.register_expert(
        db,
        actor,
        user_id=body.user_id,
        name=body.name,
        employer_id=body.employer_id,
        specialty_codes=body.specialty_codes,
        tier=body.tier,
        region_code=body.region_code,
        now=now,
    )
    return expert_out(db, expert)


@router.post(
    "/tenders/{tender_id}/committee/draw",
    status_code=201,
    response_model=DrawOut,
    summary="Draw the evaluation committee of an opened tender at random, with recusal (招标投标法 第37条)",
    responses=problem_responses(
        NotFound, NotYourCentre, TenderStageWrong, service.CommitteeUnlawful, service.NotEnoughExperts, InvalidInput,
        Conflict, TenderSuspended,
    ),
)  # fmt: skip
def draw_committee(tender_id: Id, body: DrawIn, request: Request, db: DB, actor: Drawer, now: Now) -> DrawOut:
    draw = service.draw_committee(
        db,
        actor,
        pool_rule=request.app.state.settings.expert_pool_rule,
        tender_id=tender_id,
        specialty_code=body.specialty_code,
        size=body.size,
        reserve=body.reserve,
        owner_representative_user_ids=body.owner_representative_user_ids,
        now=now,
    )
    return draw_out(db, draw)


@router.post(
    "/tenders/{tender_id}/committee/check-ins",
    status_code=201,
    response_model=AttendanceOut,
    summary=(
        "Check a sitting member in (签到) on arrival at the evaluation venue, by staff of the project's centre; once, "
        "never undone; only a member checked in evaluates, votes or signs"
    ),
    responses=problem_responses(NotFound, NotYourCentre, Conflict, *lifecycle.REFUSALS),
)
def check_in_member(tender_id: Id, body: CheckInIn, db: DB, actor: Drawer, now: Now) -> AttendanceOut:
    attendance = service.check_in_member(db, actor, tender_id=tender_id, member_id=body.member_id, now=now)
    member = service.sitting_member(db, tender_id=tender_id, member_id=attendance.member_id)
    return AttendanceOut(member_id=member.id, position=member.position, checked_in_at=attendance.checked_in_at)
