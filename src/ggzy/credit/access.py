"""Whose credit decisions a supervisor may change (decision 0040, after the security review).

A penalty, a record and an imported list carry the jurisdiction of the supervisor who made them — its grant's region
and trade type (None: every region, every trade). Another supervisor changes them only if one of its grants covers
that jurisdiction: a county's supervisor never lifts a province's debarment, nor replaces another region's list. An
interception still applies everywhere (联合惩戒: the point of a credit record is that others honour it).
"""

from __future__ import annotations

from ggzy.core.codes import region_contains
from ggzy.core.errors import DomainError
from ggzy.core.permissions import Principal, Role, RoleGrant


class CreditScopeDenied(DomainError):
    code = "credit_scope_denied"
    status = 403
    message_zh = "该信用记录或名单属于{region}的监督部门，超出您的监督范围，不能变更"
    message_en = (
        "This credit record or list belongs to the supervision of {region}, outside yours: it is not yours to change"
    )


def jurisdiction(actor: Principal) -> RoleGrant:
    """The grant a supervisor decides under: its broadest (one without a region first, then without a trade)."""
    grants = sorted(
        actor.grants_for(Role.SUPERVISOR), key=lambda g: (g.region_code is not None, g.trade_type is not None)
    )
    return grants[0] if grants else RoleGrant(role=Role.SUPERVISOR, region_code="000000")


def _covers(grant: RoleGrant, region_code: str | None, trade_type: str | None) -> bool:
    if grant.region_code and (region_code is None or not region_contains(grant.region_code, region_code)):
        return False
    return not grant.trade_type or grant.trade_type == trade_type


def check_covers(actor: Principal, *, region_code: str | None, trade_type: str | None) -> None:
    if not any(_covers(grant, region_code, trade_type) for grant in actor.grants_for(Role.SUPERVISOR)):
        raise CreditScopeDenied(field="record_id", region=region_code or "全国")
