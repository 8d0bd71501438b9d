"""Roles, permissions and principals (DESIGN §4.7: least privilege).

Every endpoint and page declares one permission with :func:`require` (or :func:`public`). Which roles hold which
permission is one table here, so that the whole policy can be read — and audited — in one place. Finer checks (this
project's owner, this centre's staff, this supervisor's region) live in each domain's ``access.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute

from ggzy.core.errors import PROBLEM_CONTENT_TYPE, DomainError, NotAuthenticated, NotFound, PermissionDenied


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    CENTRE_STAFF = "centre_staff"
    OWNER = "owner"
    AGENT = "agent"
    BIDDER = "bidder"
    EXPERT = "expert"
    SUPERVISOR = "supervisor"
    INSPECTOR = "inspector"  # discipline inspection and audit: read-only
    INSTITUTION = "institution"  # financial institution
    VISITOR = "visitor"  # anyone not logged in


class Permission(StrEnum):
    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    CENTRE_MANAGE = "centre.manage"
    TRUST_MANAGE = "trust.manage"
    ENTITY_READ = "entity.read"
    ENTITY_REGISTER = "entity.register"
    ENTITY_UPDATE_OWN = "entity.update_own"
    USER_MANAGE = "user.manage"
    PROJECT_REGISTER = "project.register"
    PROJECT_READ = "project.read"
    PROJECT_REVIEW = "project.review"
    CALENDAR_MANAGE = "calendar.manage"
    LEDGER_MANAGE = "ledger.manage"
    TENDER_MANAGE = "tender.manage"
    CUSTODIAN_MANAGE = "custodian.manage"
    OPENING_HOST = "opening.host"
    CUSTODY_RELEASE = "custody.release"
    TENDER_REGISTER = "tender.register"
    TENDER_OBJECT = "tender.object"
    EXPERT_MANAGE = "expert.manage"
    COMMITTEE_DRAW = "committee.draw"
    EVALUATION_RUN = "evaluation.run"
    EVALUATION_SIT = "evaluation.sit"
    EVALUATION_FINALISE = "evaluation.finalise"
    AWARD_MANAGE = "award.manage"
    AWARD_OBJECT = "award.object"
    AWARD_LETTERS_MINE = "award.letters_mine"
    AWARD_LETTER_READ = "award.letter_read"
    COMPLAINT_LODGE = "complaint.lodge"
    COMPLAINT_READ = "complaint.read"
    COMPLAINT_HANDLE = "complaint.handle"
    COMPLAINT_HEARING_READ = "complaint.hearing_read"
    VENUE_MANAGE = "venue.manage"
    VENUE_BOOKING_READ = "venue.booking_read"
    VIOLATION_READ = "violation.read"
    INSPECTION_MANAGE = "inspection.manage"
    OVERSIGHT_TRAIL = "oversight.trail"
    TIPOFF_HANDLE = "tipoff.handle"
    SUPERVISION_BOARD = "supervision.board"
    WATCHLIST_READ = "watchlist.read"
    WATCHLIST_MANAGE = "watchlist.manage"
    SITE_RECORD_WRITE = "site_record.write"
    SITE_RECORD_READ = "site_record.read"
    DEPOSIT_READ = "deposit.read"
    RECONCILIATION_READ = "finance.reconciliation_read"
    FINANCE_ALERT_RESOLVE = "finance.alert_resolve"
    INSTITUTION_ONBOARD = "institution.onboard"
    GUARANTEE_ISSUE = "guarantee.issue"
    GUARANTEE_READ = "guarantee.read"
    GUARANTEE_CLAIM = "guarantee.claim"
    AWARD_LOAN_OFFER = "award_loan.offer"
    CREDIT_PENALISE = "credit.penalise"
    CREDIT_IMPORT = "credit.import"
    CREDIT_READ = "credit.read"
    ADMIN_WORKSPACE = "admin.workspace"
    FEE_SCHEDULE_MANAGE = "fee.schedule_manage"
    AUCTION_MANAGE = "auction.manage"
    AUCTION_RESERVE = "auction.reserve"
    AUCTION_BID = "auction.bid"
    AUCTION_SUSPEND = "auction.suspend"
    AUCTION_DRAW = "auction.draw"
    AUCTION_CLOSE = "auction.close"
    AUCTION_RELEASE = "auction.release"


_ALL_LOGGED_IN = frozenset(Role) - {Role.VISITOR}
# The roles of a market entity (市场主体): a user holding one acts for its entity.
ENTITY_ROLES = frozenset({Role.OWNER, Role.AGENT, Role.BIDDER, Role.INSTITUTION})
_OVERSIGHT = frozenset({Role.SUPERVISOR, Role.INSPECTOR})

# The policy: which roles hold each permission. Scope (centre, region, own entity) is checked in the domains.
POLICY: dict[Permission, frozenset[Role]] = {
    Permission.PUBLIC: frozenset(Role),
    Permission.AUTHENTICATED: _ALL_LOGGED_IN,
    Permission.CENTRE_MANAGE: frozenset({Role.PLATFORM_ADMIN}),
    # the administrator's workspace (its users and roles; its other pages are under centre/trust/calendar/ledger.manage)
    Permission.ADMIN_WORKSPACE: frozenset({Role.PLATFORM_ADMIN}),
    Permission.TRUST_MANAGE: frozenset({Role.PLATFORM_ADMIN}),
    Permission.ENTITY_READ: frozenset({Role.PLATFORM_ADMIN, Role.CENTRE_STAFF}) | _OVERSIGHT,
    Permission.ENTITY_REGISTER: frozenset({Role.PLATFORM_ADMIN, Role.CENTRE_STAFF}),
    Permission.ENTITY_UPDATE_OWN: frozenset({Role.OWNER, Role.AGENT, Role.BIDDER, Role.INSTITUTION}),
    Permission.USER_MANAGE: frozenset({Role.PLATFORM_ADMIN, Role.CENTRE_STAFF}),
    Permission.PROJECT_REGISTER: frozenset({Role.OWNER, Role.AGENT}),
    Permission.PROJECT_READ: frozenset({Role.PLATFORM_ADMIN, Role.CENTRE_STAFF, Role.OWNER, Role.AGENT}) | _OVERSIGHT,
    Permission.PROJECT_REVIEW: frozenset({Role.CENTRE_STAFF}),
    Permission.CALENDAR_MANAGE: frozenset({Role.PLATFORM_ADMIN}),
    Permission.LEDGER_MANAGE: frozenset({Role.PLATFORM_ADMIN}),
    Permission.TENDER_MANAGE: frozenset({Role.OWNER, Role.AGENT}),
    Permission.CUSTODIAN_MANAGE: frozenset({Role.PLATFORM_ADMIN, Role.CENTRE_STAFF}),
    Permission.OPENING_HOST: frozenset({Role.OWNER, Role.AGENT, Role.CENTRE_STAFF}),
    # a custodian's share of an opening key: a user of the custodian's entity, whatever its role (the scope is checked
    # in tendering.custody); discipline inspection and audit only read
    Permission.CUSTODY_RELEASE: _ALL_LOGGED_IN - {Role.INSPECTOR},
    Permission.TENDER_REGISTER: frozenset({Role.BIDDER}),
    Permission.TENDER_OBJECT: frozenset({Role.BIDDER}),
    Permission.EXPERT_MANAGE: frozenset({Role.PLATFORM_ADMIN, Role.CENTRE_STAFF}),
    Permission.COMMITTEE_DRAW: frozenset({Role.CENTRE_STAFF}),
    Permission.EVALUATION_RUN: frozenset({Role.CENTRE_STAFF}),
    # committee members: drawn experts, and the owner's representatives (招标投标法 第37条)
    Permission.EVALUATION_SIT: frozenset({Role.EXPERT, Role.OWNER}),
    Permission.EVALUATION_FINALISE: frozenset({Role.CENTRE_STAFF, Role.EXPERT, Role.OWNER}),
    # 定标: the owner or its agent publicises, answers, awards and records the contract (实施条例 第54条, 第55条)
    Permission.AWARD_MANAGE: frozenset({Role.OWNER, Role.AGENT}),
    Permission.AWARD_OBJECT: frozenset({Role.BIDDER}),
    Permission.AWARD_LETTERS_MINE: frozenset({Role.BIDDER}),
    # a letter: its addressee (a bidder), the owner or its agent (招标投标法 第45条)
    Permission.AWARD_LETTER_READ: frozenset({Role.BIDDER, Role.OWNER, Role.AGENT}),
    # 投诉 (实施条例 第60条): a bidder or another interested party (a market entity) lodges; the supervisory department
    # (行政监督部门) accepts and decides (第61条, 第62条); discipline inspection reads. Scope is checked in complaints.
    Permission.COMPLAINT_LODGE: frozenset({Role.BIDDER}),
    Permission.COMPLAINT_READ: frozenset({Role.BIDDER}) | _OVERSIGHT,
    Permission.COMPLAINT_HANDLE: frozenset({Role.SUPERVISOR}),
    # hearings (decision 0047): the parties notified (complainant, owner, agent, bidders concerned) read the notices
    # addressed to them and the records of the hearings they were party to; the supervisors and inspectors all
    Permission.COMPLAINT_HEARING_READ: frozenset({Role.BIDDER, Role.OWNER, Role.AGENT}) | _OVERSIGHT,
    # a centre's venues and their bookings (场地预约): its staff; a tender's bookings also its owner and agent, never
    # bidders nor visitors (招标投标法 第38条: where the evaluation is held is kept confidential)
    Permission.VENUE_MANAGE: frozenset({Role.CENTRE_STAFF}),
    Permission.VENUE_BOOKING_READ: frozenset({Role.CENTRE_STAFF, Role.OWNER, Role.AGENT}),
    # missed statutory periods (DESIGN §5): the supervisory department and discipline inspection of the region, the
    # centre's staff, the platform administrator; scope is checked in supervision
    Permission.VIOLATION_READ: frozenset({Role.PLATFORM_ADMIN, Role.CENTRE_STAFF}) | _OVERSIGHT,
    # random inspections (双随机一公开, decision 0042): supervisors plan and draw within their scope, the drawn ones
    # record findings and publish; everyone reads the plans, their draws and the published results
    Permission.INSPECTION_MANAGE: frozenset({Role.SUPERVISOR}),
    # the full trail of an opened round, submission details included (decision 0043): supervision and discipline
    # inspection of the region; each reading is an event its owner, agent and bidders see
    Permission.OVERSIGHT_TRAIL: _OVERSIGHT,
    # tip-offs (举报, decision 0045): anyone reports (public, rate-limited); the supervisors of its scope handle it
    Permission.TIPOFF_HANDLE: frozenset({Role.SUPERVISOR}),
    # the live view of every unfinished lot of the region and trade (decision 0046): supervision and discipline
    # inspection; the watch list (重点关注对象名单): supervisors keep it, discipline inspection reads it
    Permission.SUPERVISION_BOARD: _OVERSIGHT,
    Permission.WATCHLIST_READ: _OVERSIGHT,
    Permission.WATCHLIST_MANAGE: frozenset({Role.SUPERVISOR}),
    # on-site records (现场见证记录, decision 0048): the staff of the tender's own centre record and withdraw them; the
    # centre's staff and the supervision and inspection of the region read them; an expert reads those about
    # himself once the result is known (招标投标法 第37条), a bidder those about itself; never the public
    Permission.SITE_RECORD_WRITE: frozenset({Role.CENTRE_STAFF}),
    Permission.SITE_RECORD_READ: frozenset({Role.CENTRE_STAFF, Role.EXPERT, Role.BIDDER}) | _OVERSIGHT,
    # bid deposits (decision 0031): a bidder its own at any time; the owner, its agent, the centre's staff and the
    # supervisor every bid's once the opening began (招标投标法 第22条: who paid is as secret as who bid); scope is
    # checked in finance
    Permission.DEPOSIT_READ: frozenset({Role.BIDDER, Role.OWNER, Role.AGENT, Role.CENTRE_STAFF, Role.SUPERVISOR}),
    # the reconciliation of the bank's statements with the books and its alerts (decision 0031): the centres' staff
    Permission.RECONCILIATION_READ: frozenset({Role.CENTRE_STAFF}),
    # recording how an alert was resolved (the alert stays in the history): the staff of its centre
    Permission.FINANCE_ALERT_RESOLVE: frozenset({Role.CENTRE_STAFF}),
    # electronic guarantees (decision 0035): a centre's staff onboard financial institutions; an institution quotes,
    # issues, amends, cancels and pays claims on its own guarantees; a guarantee is read by its institution and its
    # bidder, and after the opening by the owner, agent, centre staff and supervisor; the owner or its agent claims
    Permission.INSTITUTION_ONBOARD: frozenset({Role.CENTRE_STAFF}),
    Permission.GUARANTEE_ISSUE: frozenset({Role.INSTITUTION}),
    Permission.GUARANTEE_READ: frozenset(
        {Role.INSTITUTION, Role.BIDDER, Role.OWNER, Role.AGENT, Role.CENTRE_STAFF, Role.SUPERVISOR}
    ),
    Permission.GUARANTEE_CLAIM: frozenset({Role.OWNER, Role.AGENT}),
    # 中标贷: a bidder offers its letter of award to an institution
    Permission.AWARD_LOAN_OFFER: frozenset({Role.BIDDER}),
    # credit (decision 0040): the supervisory department decides penalties, records and revokes credit records and
    # imports joint-punishment lists (实施条例 第七十八条); it and discipline inspection read the interceptions
    Permission.CREDIT_PENALISE: frozenset({Role.SUPERVISOR}),
    Permission.CREDIT_IMPORT: frozenset({Role.SUPERVISOR}),
    Permission.CREDIT_READ: _OVERSIGHT,
    # the centre's fee schedule (交易服务费, decision 0037): its staff; the scope (their centre) is checked in finance
    Permission.FEE_SCHEDULE_MANAGE: frozenset({Role.CENTRE_STAFF}),
    # rights trades (decision 0049): the seller (出让人, 转让方, 委托人) or its agent creates, publishes and closes; the
    # seller's designated user seals and opens the reserve (拍卖法 第28条); bidders register and bid; anyone watches
    Permission.AUCTION_MANAGE: frozenset({Role.OWNER, Role.AGENT}),
    Permission.AUCTION_RESERVE: frozenset({Role.OWNER}),
    Permission.AUCTION_BID: frozenset({Role.BIDDER}),
    # 中止/恢复 (decision 0052): the centre's staff; the owner only where it is the court (checked in the service)
    Permission.AUCTION_SUSPEND: frozenset({Role.CENTRE_STAFF, Role.OWNER}),
    Permission.AUCTION_DRAW: frozenset({Role.CENTRE_STAFF}),
    # decision 0053: the seller's side closes, the centre's staff once the seller's time is over; the deposits the
    # end decided are released by either, or by a plate of the trade (each checked in the service)
    Permission.AUCTION_CLOSE: frozenset({Role.OWNER, Role.AGENT, Role.CENTRE_STAFF}),
    Permission.AUCTION_RELEASE: frozenset({Role.OWNER, Role.AGENT, Role.CENTRE_STAFF, Role.BIDDER}),
}


@dataclass(frozen=True)
class RoleGrant:
    """A role held by a user, scoped to a centre and, for supervisors, to a region and a trade type."""

    role: Role
    centre_id: int | None = None
    region_code: str | None = None
    trade_type: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in user (with its entity and role grants) or an anonymous visitor."""

    user_id: int | None = None
    entity_id: int | None = None
    username: str = "visitor"
    grants: tuple[RoleGrant, ...] = ()
    acting_role: Role = Role.VISITOR
    session_id: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or bool(self.grants)

    @property
    def roles(self) -> frozenset[Role]:
        if not self.grants:
            return frozenset({Role.VISITOR})
        return frozenset(grant.role for grant in self.grants)

    def grants_for(self, role: Role) -> tuple[RoleGrant, ...]:
        return tuple(grant for grant in self.grants if grant.role == role)

    def holding(self, permission: Permission) -> Principal:
        """This principal acting under the first of its roles that holds ``permission``. A market entity's role is
        held only by a user acting for an entity: granted to a user without one, it grants nothing."""
        allowed = POLICY[permission]
        for role in sorted(self.roles, key=list(Role).index):
            if role in allowed and (role not in ENTITY_ROLES or self.entity_id is not None):
                return replace(self, acting_role=role)
        if not self.is_authenticated:
            raise NotAuthenticated()
        raise PermissionDenied(permission=permission.value)


ANONYMOUS = Principal()
# The platform itself, for bootstrapping (the first administrator, the demo data) from the command line.
SYSTEM = Principal(username="system", grants=(RoleGrant(Role.PLATFORM_ADMIN),), acting_role=Role.PLATFORM_ADMIN)

Authenticator = Callable[[Request], Principal]


def current_principal(request: Request) -> Principal:
    """The principal of this request, resolved once by the authenticator the app installed."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    authenticate: Authenticator = request.app.state.authenticate
    principal = authenticate(request)
    request.state.principal = principal
    return principal


def require(permission: Permission) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the principal, acting under a role that holds ``permission``, or 401/403."""

    def dependency(request: Request) -> Principal:
        return current_principal(request).holding(permission)

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.value.replace('.', '_')}"
    return dependency


def public() -> Callable[[Request], Principal]:
    return require(Permission.PUBLIC)


def declared_permissions(dependant: Dependant) -> list[Permission]:
    """The permissions declared with :func:`require` anywhere in an endpoint's dependencies."""
    found: list[Permission] = []
    stack = list(dependant.dependencies)
    while stack:
        dependency = stack.pop()
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            found.append(permission)
        stack.extend(dependency.dependencies)
    return found


def declared_problems(dependant: Dependant) -> list[type[DomainError]]:
    """The errors that an endpoint's dependencies declare they can raise (a dependency's ``problems`` attribute)."""
    found: list[type[DomainError]] = []
    stack = list(dependant.dependencies)
    while stack:
        dependency = stack.pop()
        found.extend(getattr(dependency.call, "problems", ()))
        stack.extend(dependency.dependencies)
    return found


class PermissionedRoute(APIRoute):
    """An API route that must declare exactly one permission; the permission and the roles holding it are
    published in the OpenAPI document as ``x-permission`` and ``x-roles``.

    The OpenAPI document is the contract: every status an operation can answer is declared with its problem. Beside
    what the endpoint declares (``responses=problem_responses(...)``), the route adds what every operation of its
    shape can answer: 422 for bad input, 401/403 when guarded, 404 when its path names something, 400 and 413 when
    it reads a body (unreadable, too large), and what its dependencies declare (``declared_problems``). Problems are
    ``problem_media_type``: problem+json for the API; a subclass for pages says HTML.
    """

    problem_media_type: str = PROBLEM_CONTENT_TYPE

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        from ggzy.core.problems import BodyTooLarge, BodyUnreadable, problem_responses  # no cycle at import time

        permissions = set(declared_permissions(get_dependant(path=path, call=endpoint)))
        if len(permissions) != 1:
            raise TypeError(f"endpoint {path} must declare exactly one permission, found {permissions or 'none'}")
        permission = permissions.pop()
        super().__init__(path, endpoint, **kwargs)
        shape: list[type[DomainError]] = []
        if Role.VISITOR not in POLICY[permission]:
            shape += [NotAuthenticated, PermissionDenied]
        if self.dependant.path_params:
            shape.append(NotFound)
        if self.body_field is not None:
            shape += [BodyUnreadable, BodyTooLarge]
        shape += declared_problems(self.dependant)
        declared = {**problem_responses(*shape), **(self.responses or {})}
        self.responses = {status: self._as_problem(status, response) for status, response in declared.items()}
        self.permission = permission
        self.openapi_extra = {
            **(self.openapi_extra or {}),
            "x-permission": permission.value,
            "x-roles": sorted(role.value for role in POLICY[permission]),
        }

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The handler, which first sets the operation's own body limit if it declares one (``accepts_body``)."""
        handler = super().get_route_handler()
        body_limit = getattr(self.endpoint, "body_limit", None)
        if body_limit is None:
            return handler
        from ggzy.core.web import operation_body_limit  # web → permissions; no cycle at import time

        megabytes, setting = body_limit

        async def limited(request: Request) -> Response:
            operation_body_limit(request, megabytes=megabytes, setting=setting)
            return await handler(request)

        return limited

    def _as_problem(self, status: int | str, response: dict[str, Any]) -> dict[str, Any]:
        """An error response in this route's problem media type (a page shows problems as HTML)."""
        if self.problem_media_type == PROBLEM_CONTENT_TYPE or not str(status).startswith(("4", "5")):
            return response
        page = {key: value for key, value in response.items() if key not in ("model", "content")}
        return {**page, "content": {self.problem_media_type: {"schema": {"type": "string"}}}}
