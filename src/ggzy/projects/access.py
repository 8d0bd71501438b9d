"""Who may see and do what with projects, and the one query that filters projects by the principal."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Select, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role
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
    return {grant.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF) if grant.centre_id is not None}


def check_reviewer(actor: Principal, project: Project) -> None:
    if project.centre_id not in staff_centres(actor):
        raise NotYourCentre(field="project_id")


def _region_scope(actor: Principal, role: Role) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for grant in actor.grants_for(role):
        clause: ColumnElement[bool] = true()
        if grant.region_code:
            prefix = grant.region_code.rstrip("0")
            prefix = prefix + "0" * (len(prefix) % 2)  # keep whole levels: 53 / 5301 / 530102
            clause = Project.region_code.startswith(prefix)
        if grant.trade_type:
            clause = clause & (Project.trade_type == grant.trade_type)
        clauses.append(clause)
    return clauses


def visible_projects(actor: Principal) -> Select[Project]:
    """Projects the principal may read: all for the admin, its centre's for staff, its own for owners and agents,
    its region (and trade type) for supervisors and inspectors."""
    if Role.PLATFORM_ADMIN in actor.roles:
        return select(Project)
    clauses: list[ColumnElement[bool]] = []
    if staff_centres(actor):
        clauses.append(Project.centre_id.in_(staff_centres(actor)))
    if actor.entity_id is not None and actor.roles & {Role.OWNER, Role.AGENT}:
        clauses.append(or_(Project.owner_id == actor.entity_id, Project.agent_id == actor.entity_id))
    clauses += _region_scope(actor, Role.SUPERVISOR) + _region_scope(actor, Role.INSPECTOR)
    return select(Project).where(or_(*clauses) if clauses else false())


def visible_project_ids(actor: Principal) -> Select[tuple[int]]:
    """The ids of :func:`visible_projects`, for another domain's query to filter by (it never reads the table)."""
    return visible_projects(actor).with_only_columns(Project.id)
