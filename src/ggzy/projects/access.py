"""Who may see and do what with projects, and the one query that filters projects by the principal.

The centre hierarchy (decision 0041): a centre's staff READ the projects of their centre and of every centre below it
(``ggzy.entities.hierarchy.centre_scope``: a province its cities and counties, a city its counties, never a sibling
or a parent); they ACT (review a registration, draw a committee, check members in, host an opening, book a venue)
only on their own centre's projects (:func:`staff_centres`, :func:`check_reviewer`, :func:`is_own_centre`)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Select, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ggzy.core.codes import region_prefix
from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role
from ggzy.entities.hierarchy import centre_scope, centre_scope_query
from ggzy.projects.models import Project


class NotYourProject(DomainError):
    code = "project_registrant_mismatch"
    status = 403
    message_zh = "只能由招标人本单位或其委托的代理机构登记项目（{field}）"
    message_en = "A project can only be registered by its owner or the agent it appointed ({field})"


class NotYourCentre(DomainError):
    code = "centre_scope_denied"
    status = 403
    message_zh = "该项目不属于您所在的交易中心"
    message_en = "This project belongs to another centre"


def _holds(actor: Principal, role: Role, centre_id: int) -> bool:
    """A role granted for this centre, or for every centre (granted by the platform administrator)."""
    return any(grant.centre_id in (None, centre_id) for grant in actor.grants_for(role))


def check_registrant(actor: Principal, *, centre_id: int, owner_id: int, agent_id: int | None) -> Principal:
    """An owner registers its own project; an agent only one that names it as the agent.

    Returns the principal acting in the role that allowed it (the event names that role).
    """
    if _holds(actor, Role.OWNER, centre_id) and actor.entity_id == owner_id:
        return replace(actor, acting_role=Role.OWNER)
    if _holds(actor, Role.AGENT, centre_id) and agent_id is not None and actor.entity_id == agent_id:
        return replace(actor, acting_role=Role.AGENT)
    raise NotYourProject(field="owner_id" if Role.OWNER in actor.roles else "agent_id")


def staff_centres(actor: Principal) -> set[int]:
    """The centres the actor is staff of: where it acts (never the centres below them)."""
    return {grant.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF) if grant.centre_id is not None}


def overseen_centres(db: Session, actor: Principal) -> set[int]:
    """The centres whose projects the actor's staff grants let it read and supervise: its own and those below."""
    return centre_scope(db, staff_centres(actor))


def is_own_centre(actor: Principal, project: Project) -> bool:
    """Staff of the project's own centre (the one that runs it), not of a centre above it."""
    return project.centre_id in staff_centres(actor)


def check_reviewer(actor: Principal, project: Project) -> None:
    """Staff of the project's own centre: a centre above reads the project, it does not run it (decision 0041)."""
    if not is_own_centre(actor, project):
        raise NotYourCentre(field="project_id")


def _region_scope(actor: Principal, role: Role) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for grant in actor.grants_for(role):
        clause: ColumnElement[bool] = true()
        if grant.region_code:
            clause = Project.region_code.startswith(region_prefix(grant.region_code))
        if grant.trade_type:
            clause = clause & (Project.trade_type == grant.trade_type)
        clauses.append(clause)
    return clauses


def visible_projects(actor: Principal) -> Select[Project]:
    """Projects the principal may read: all for the admin, its centre's and those of the centres below it for staff
    (decision 0041), its own for owners and agents, its region (and trade type) for supervisors and inspectors."""
    if Role.PLATFORM_ADMIN in actor.roles:
        return select(Project)
    clauses: list[ColumnElement[bool]] = []
    if staff_centres(actor):
        clauses.append(Project.centre_id.in_(centre_scope_query(staff_centres(actor))))
    if actor.entity_id is not None and actor.roles & {Role.OWNER, Role.AGENT}:
        clauses.append(or_(Project.owner_id == actor.entity_id, Project.agent_id == actor.entity_id))
    clauses += _region_scope(actor, Role.SUPERVISOR) + _region_scope(actor, Role.INSPECTOR)
    return select(Project).where(or_(*clauses) if clauses else false())


def visible_project_ids(actor: Principal) -> Select[tuple[int]]:
    """The ids of :func:`visible_projects`, for another domain's query to filter by (it never reads the table)."""
    return visible_projects(actor).with_only_columns(Project.id)
