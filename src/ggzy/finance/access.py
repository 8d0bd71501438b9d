"""Who may read a tender's deposits (decision 0031).

A bidder reads its own deposit on a tender at any time, with the sub-account to pay into. Who else paid, and how
many, is as secret as who bid (招标投标法 第22条; DESIGN §4.3): the owner, its agent, the staff of the project's centre
and the supervisor whose region and trade type cover the project read every bid's deposit only once the opening has
begun. Anyone else is told the tender's deposits are not theirs to read.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

from ggzy.core.codes import region_contains
from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role
from ggzy.projects.access import is_own_centre
from ggzy.tendering.access import NotTheTenderer, check_manager

if TYPE_CHECKING:
    from ggzy.projects.models import Project


class NotADepositReader(DomainError):
    code = "deposit_reader_mismatch"
    status = 403
    message_zh = "只有投标人本人，或开标后该项目的招标人、代理机构、交易中心工作人员和行政监督部门可以查看投标保证金"
    message_en = (
        "Only the bidder itself, or after the opening the project's owner, agent, centre staff and supervisor, may "
        "read the bid deposits"
    )


class DepositsSealed(DomainError):
    code = "deposits_sealed_until_opening"
    status = 409
    message_zh = "开标前任何人不得获悉投标保证金的缴纳人及数量（招标投标法 第二十二条）"
    message_en = "Who paid a deposit, and how many did, stays sealed until the opening (Tendering Law art. 22)"


class Reader(StrEnum):
    BIDDER = "bidder"  # its own deposit only
    INSIDER = "insider"  # every bid's, after the opening began


def _supervises(actor: Principal, project: Project) -> bool:
    for grant in actor.grants_for(Role.SUPERVISOR):
        region_ok = not grant.region_code or region_contains(grant.region_code, project.region_code)
        trade_ok = not grant.trade_type or grant.trade_type == project.trade_type
        if region_ok and trade_ok:
            return True
    return False


def deposit_reader(actor: Principal, project: Project) -> tuple[Principal, Reader]:
    """The reader's standing on the project's deposits, acting in the role that gives it."""
    try:
        return check_manager(actor, project), Reader.INSIDER
    except NotTheTenderer:
        pass
    if is_own_centre(actor, project):  # the deposits stay with the centre that keeps them (decision 0041)
        return replace(actor, acting_role=Role.CENTRE_STAFF), Reader.INSIDER
    if _supervises(actor, project):
        return replace(actor, acting_role=Role.SUPERVISOR), Reader.INSIDER
    if Role.BIDDER in actor.roles and actor.entity_id is not None:
        return replace(actor, acting_role=Role.BIDDER), Reader.BIDDER
    raise NotADepositReader(field="tender_id")


class NotTheAlertsCentre(DomainError):
    code = "finance_alert_not_your_centre"
    status = 403
    message_zh = "只有该告警所属交易中心的工作人员可以处理（未匹配的款项各交易中心工作人员均可处理）"
    message_en = "Only the staff of the alert's centre may resolve it (money nobody can be matched to: any centre's)"


def staff_centre_ids(actor: Principal) -> set[int]:
    """The centres whose finance desk ``actor`` staffs."""
    return {grant.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF) if grant.centre_id is not None}


def check_alert_staff(actor: Principal, centre_id: int | None) -> Principal:
    """A finance alert is its centre's staff's; one of no centre (the platform's settlement account, money nobody
    can be matched to) is every centre's staff's."""
    centres = staff_centre_ids(actor)
    if not centres or (centre_id is not None and centre_id not in centres):
        raise NotTheAlertsCentre(field="alert_id")
    return replace(actor, acting_role=Role.CENTRE_STAFF)
