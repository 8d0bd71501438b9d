"""Who may run a rights trade: the seller (出让人, 转让方, 委托人: the project's owner) or the agent it named."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from ggzy.auctions.errors import (
    CloseNotYetForTheCentre,
    NotTheCentre,
    NotTheSeller,
    NotTheSellerNorBidder,
    SellerCannotBid,
)
from ggzy.core.permissions import Principal, Role

if TYPE_CHECKING:
    from ggzy.projects.models import Project


def check_seller(actor: Principal, project: Project) -> Principal:
    """The owner, or the agent named on the project, acting in that role."""
    if Role.AGENT in actor.roles and project.agent_id is not None and actor.entity_id == project.agent_id:
        return replace(actor, acting_role=Role.AGENT)
    if Role.OWNER in actor.roles and actor.entity_id == project.owner_id:
        return replace(actor, acting_role=Role.OWNER)
    raise NotTheSeller(field="auction_id")


def check_may_bid(actor: Principal, project: Project) -> int:
    """A market entity other than the seller and its agent (拍卖法 第三十条); its entity id."""
    if actor.entity_id is None or actor.entity_id in (project.owner_id, project.agent_id):
        raise SellerCannotBid(field="auction_id")
    return actor.entity_id


def check_centre_staff(actor: Principal, centre_id: int) -> Principal | None:
    """The actor as staff of ``centre_id`` (a grant for that centre), or None."""
    if any(grant.centre_id == centre_id for grant in actor.grants_for(Role.CENTRE_STAFF)):
        return replace(actor, acting_role=Role.CENTRE_STAFF)
    return None


def check_may_suspend(actor: Principal, project: Project, *, centre_id: int, judicial: bool) -> Principal:
    """中止/恢复 (decision 0052): the staff of the trade's centre, which runs the trade (宁波市公共资源交易管理条例
    第二十五条); in a judicial sale also the court itself, the seller (网络司法拍卖规定 第二十八条: 人民法院可以自行…
    停止拍卖)."""
    staff = check_centre_staff(actor, centre_id)
    if staff is not None:
        return staff
    if judicial and Role.OWNER in actor.roles and actor.entity_id == project.owner_id:
        return replace(actor, acting_role=Role.OWNER)
    raise NotTheCentre(
        field="auction_id", also_zh="（司法拍卖：及拍卖法院）" if judicial else "",
        also_en=" (a judicial sale: and the court)" if judicial else "",
    )  # fmt: skip


def check_may_close(actor: Principal, project: Project, *, centre_id: int, due_on: date, overdue: bool) -> Principal:
    """确认成交结果 (decision 0053): the seller's side; once its time is over (``overdue``: past ``due_on``, the day the
    other bidders' deposits were due back), also the staff of the trade's centre, so that no seller can hold the
    bidders' money by never closing."""
    if Role.OWNER in actor.roles or Role.AGENT in actor.roles:
        with contextlib.suppress(NotTheSeller):
            return check_seller(actor, project)
    staff = check_centre_staff(actor, centre_id)
    if staff is None:
        raise NotTheSeller(field="auction_id")
    if not overdue:
        raise CloseNotYetForTheCentre(field="auction_id", due_on=due_on.isoformat())
    return staff


def check_may_release(actor: Principal, project: Project, *, centre_id: int, plate_holder: bool) -> Principal:
    """Ordering back the deposits the end decided (decision 0053): the seller's side, the staff of the trade's
    centre, or a plate of the trade (``plate_holder``) asking for what is owed."""
    if Role.OWNER in actor.roles or Role.AGENT in actor.roles:
        with contextlib.suppress(NotTheSeller):
            return check_seller(actor, project)
    staff = check_centre_staff(actor, centre_id)
    if staff is not None:
        return staff
    if plate_holder and Role.BIDDER in actor.roles:
        return replace(actor, acting_role=Role.BIDDER)
    raise NotTheSellerNorBidder(field="auction_id")
