"""Who may run a rights trade: the seller (出让人, 转让方, 委托人: the project's owner) or the agent it named."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ggzy.auctions.errors import NotTheSeller, SellerCannotBid
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
