"""Who may run a tender and who may register for it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role
from ggzy.projects.access import is_own_centre

if TYPE_CHECKING:
    from ggzy.projects.models import Project


class NotTheTenderer(DomainError):
    code = "tender_manager_mismatch"
    status = 403
    message_zh = "只有该项目的招标人或其委托的代理机构可以办理"
    message_en = "Only the project's owner or the agent it appointed may do this"


class RegistrationRefused(DomainError):
    code = "registration_refused"
    status = 403
    message_zh = "不能报名：{reason_zh}"
    message_en = "Registration refused: {reason_en}"


def check_manager(actor: Principal, project: Project) -> Principal:
    """The owner, or the agent named on the project, acting in that role."""
    if Role.AGENT in actor.roles and project.agent_id is not None and actor.entity_id == project.agent_id:
        return replace(actor, acting_role=Role.AGENT)
    if Role.OWNER in actor.roles and actor.entity_id == project.owner_id:
        return replace(actor, acting_role=Role.OWNER)
    raise NotTheTenderer(field="tender_id")


class NotTheHost(DomainError):
    code = "opening_host_mismatch"
    status = 403
    message_zh = "只有招标人、其代理机构或该项目所在交易中心的工作人员可以主持开标"
    message_en = "Only the owner, its agent, or staff of the project's centre may host the opening"


def check_host(actor: Principal, project: Project) -> Principal:
    """The opening's host: the owner or its agent (招标人主持开标), or staff of the project's centre."""
    try:
        return check_manager(actor, project)
    except NotTheTenderer:
        if is_own_centre(actor, project):  # a centre above does not host (decision 0041)
            return replace(actor, acting_role=Role.CENTRE_STAFF)
        raise NotTheHost(field="tender_id") from None


def check_bidder_may_register(actor: Principal, project: Project, *, invited: set[int] | None) -> None:
    """A market entity bids on another's project; in invited tendering only the invited may (招标投标法 第17条).

    The owner cannot bid on its own tender (招标投标法实施条例 第34条: interests that may affect fairness) nor can its
    agent (实施条例 第13条: an agent may not bid, or bid for another, in a tender it runs).
    """
    if actor.entity_id is None:
        raise RegistrationRefused(
            field="entity_id", reason_zh="须以市场主体身份报名", reason_en="register as an entity"
        )
    if actor.entity_id in (project.owner_id, project.agent_id):
        raise RegistrationRefused(
            field="entity_id",
            reason_zh="招标人及其代理机构不得参加本项目投标",
            reason_en="the owner and its agent cannot bid in their own tender",
        )
    if invited is not None and actor.entity_id not in invited:
        raise RegistrationRefused(
            field="entity_id",
            reason_zh="本项目为邀请招标，贵单位未受邀请",
            reason_en="this tender is by invitation only",
        )
