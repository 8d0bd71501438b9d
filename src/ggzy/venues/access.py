"""Who may manage a centre's venues and read a tender's bookings.

Only the staff of a centre manage its venues and book them. A tender's bookings are read by the staff of its
project's centre and by the project's owner and agent (the owner answers for keeping the evaluation confidential,
招标投标法 第38条); bidders and visitors never see where a tender is evaluated.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role
from ggzy.projects.access import NotYourCentre, is_own_centre, staff_centres

if TYPE_CHECKING:  # a project handed over by the tendering service; its table is never read here
    from ggzy.projects.models import Project


class VenueNotYourCentre(DomainError):
    code = "venue_centre_scope_denied"
    status = 403
    message_zh = "该场地（或交易中心）不属于您所在的交易中心"
    message_en = "This venue (or centre) belongs to another centre"


def check_venue_manager(actor: Principal, centre_id: int, *, field: str = "venue_id") -> Principal:
    """Staff of the venue's own centre, acting as staff."""
    if centre_id not in staff_centres(actor):
        raise VenueNotYourCentre(field=field)
    return replace(actor, acting_role=Role.CENTRE_STAFF)


def check_tender_of_centre(actor: Principal, project: Project) -> None:
    """The tender to book for belongs to a project of the staff member's own centre."""
    if not is_own_centre(actor, project):
        raise NotYourCentre(field="tender_id")


class BookingsNotYours(DomainError):
    code = "venue_bookings_scope_denied"
    status = 403
    message_zh = "只有该项目所在交易中心的工作人员、招标人或其代理机构可以查看场地预约"
    message_en = "Only staff of the project's centre, its owner or its agent may read its venue bookings"


def check_booking_reader(actor: Principal, project: Project) -> None:
    if is_own_centre(actor, project):  # where a tender is evaluated stays with its centre (decision 0041)
        return
    if Role.OWNER in actor.roles and actor.entity_id == project.owner_id:
        return
    if Role.AGENT in actor.roles and project.agent_id is not None and actor.entity_id == project.agent_id:
        return
    raise BookingsNotYours(field="tender_id")
