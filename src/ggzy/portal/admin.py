"""The platform administrator's workspace (平台管理): users and roles, centres and their hierarchy, the CAs' trust
anchors and revocation lists, the holiday calendar, the ledger's witnesses — each a page with its recent events.

The same services as the API, each with its event: users and roles through ``ggzy.entities.service``
(``create_user``, ``grant_role``), centres through ``create_centre``, the trust store through
``ggzy.entities.login`` (``add_trust_anchor``, ``add_revocation_list``), the calendar through
``ggzy.core.calendar_store.load_calendar_year`` (the notice's days, read by the parser of ``PUT
/api/v1/calendar/years/{year}``), the witnesses through ``ggzy.ledger.service.register_witness``. The administrator
never acts for a market entity: the roles offered are the platform's own (staff, supervisors, inspectors, experts),
and a market entity's role posted anyway is refused by the service (``entity_role_needs_enrolment``, decision 0013):
such roles come only from the entity's signed enrolment.

Only the platform administrator opens these pages; the centres' staff manage their experts from the API under
``user.manage``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ggzy.core import calendar_store
from ggzy.core.calendar import parse_year_schedule
from ggzy.core.clock import to_china_time
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.events import recent_events
from ggzy.core.inputs import FIRST_DAY, LAST_DAY, Ascii, Id, Name, Text
from ggzy.core.permissions import Permission, Principal, Role, require
from ggzy.core.problems import problem_responses
from ggzy.core.trade_types import TradeType
from ggzy.core.web import DB, Now
from ggzy.crypto import CertificateMalformed, CertificateUntrusted, RevocationListRejected, load_certificate
from ggzy.entities import login
from ggzy.entities import service as entities
from ggzy.entities.schemas import RoleGrantIn
from ggzy.ledger import service as ledger
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

Administrator = Annotated[Principal, Depends(require(Permission.ADMIN_WORKSPACE))]
CentreManager = Annotated[Principal, Depends(require(Permission.CENTRE_MANAGE))]
TrustManager = Annotated[Principal, Depends(require(Permission.TRUST_MANAGE))]
CalendarManager = Annotated[Principal, Depends(require(Permission.CALENDAR_MANAGE))]
LedgerManager = Annotated[Principal, Depends(require(Permission.LEDGER_MANAGE))]

HOME = "/workspace/admin"
TEMPLATE = "ws_admin.html"

USER_CREATED = outcome("admin_user_created", N_("用户已创建，角色及其范围已记录。"))
ROLE_GRANTED = outcome("admin_role_granted", N_("角色已授予。"))
CENTRE_CREATED = outcome("admin_centre_created", N_("交易中心已创建。"))
ANCHOR_ADDED = outcome("admin_anchor_added", N_("CA 根证书已加入信任列表。"))
CRL_LOADED = outcome("admin_crl_loaded", N_("证书吊销列表已载入，被吊销证书的会话已结束。"))
CALENDAR_LOADED = outcome("admin_calendar_loaded", N_("节假日安排已载入，该年的法定期间据此计算。"))
WITNESS_ADDED = outcome("admin_witness_added", N_("见证方已登记。"))

# The roles the administrator grants: the platform's own. A market entity's roles are offered nowhere (decision 0013).
ROLES: dict[str, str] = {
    Role.CENTRE_STAFF.value: N_("交易中心工作人员"),
    Role.SUPERVISOR.value: N_("行政监督"),
    Role.INSPECTOR.value: N_("纪检监察/审计"),
    Role.EXPERT.value: N_("评标专家"),
    Role.PLATFORM_ADMIN.value: N_("平台管理员"),
}
ROLE_NAMES: dict[str, str] = {
    **ROLES,
    Role.OWNER.value: N_("招标人"),
    Role.AGENT.value: N_("代理机构"),
    Role.BIDDER.value: N_("投标人"),
    Role.INSTITUTION.value: N_("金融机构"),
    "system": N_("系统"),
}
LEVELS: dict[str, str] = {"province": N_("省级"), "city": N_("市级"), "county": N_("县级")}

# (path part, title, the actions its events table shows)
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "users": (N_("用户与角色"), ("user.created", "role.granted", "user.suspended", "user.reinstated")),
    "centres": (N_("交易中心层级"), ("centre.created",)),
    "trust": (N_("CA 信任根与吊销列表"), ("trust.anchor_added", "trust.crl_added")),
    "calendar": (N_("节假日安排"), ("calendar.year_loaded",)),
    "witnesses": (N_("账本见证方"), ("ledger.witness_added",)),
}
ACTIONS: dict[str, str] = {
    "user.created": N_("创建用户"),
    "role.granted": N_("授予角色"),
    "user.suspended": N_("暂停用户"),
    "user.reinstated": N_("恢复用户"),
    "centre.created": N_("创建交易中心"),
    "trust.anchor_added": N_("加入 CA 根证书"),
    "trust.crl_added": N_("载入吊销列表"),
    "calendar.year_loaded": N_("载入节假日安排"),
    "ledger.witness_added": N_("登记见证方"),
}


def events_of(db: Session, actions: Sequence[str], *, limit: int = 20) -> list[dict[str, Any]]:
    """The recent events of a section's actions, newest first: when (Beijing time on the page), who, what."""
    events = recent_events(db, actions, limit=limit)
    names = entities.usernames(db, sorted({e.actor_user_id for e in events if e.actor_user_id is not None}))
    return [
        {
            "event": event,
            "who": names.get(event.actor_user_id, "") if event.actor_user_id is not None else "",
            "role": event.actor_role,
            "action": ACTIONS.get(event.action, event.action),
            "subject": f"{event.subject_type} {event.subject_id}",
        }
        for event in events
    ]


def _centre_tree(db: Session) -> tuple[list[dict[str, Any]], dict[int, str]]:
    centres = entities.list_centres(db)
    nodes: dict[int, dict[str, Any]] = {c.id: {"centre": c, "children": []} for c in centres}
    roots: list[dict[str, Any]] = []
    for centre in centres:
        parent = nodes.get(centre.parent_id) if centre.parent_id is not None else None
        (parent["children"] if parent is not None else roots).append(nodes[centre.id])
    return roots, {c.id: c.name for c in centres}


def _anchors(db: Session) -> list[dict[str, Any]]:
    rows = []
    for anchor in login.list_trust_anchors(db):
        certificate = load_certificate(anchor.certificate_pem)
        rows.append({"anchor": anchor, "not_before": certificate.not_before, "not_after": certificate.not_after})
    return rows


def _context(db: Session, part: str, now: datetime) -> dict[str, Any]:
    title, actions = PARTS.get(part, ("", ()))
    context: dict[str, Any] = {
        "active": "workspace",
        "section": "admin",
        "part": part,
        "part_title": title,
        "parts": {key: value[0] for key, value in PARTS.items()},
        "events": events_of(db, actions) if actions else [],
        "actions": ACTIONS,
        "role_names": ROLE_NAMES,
    }
    if part in ("users", "centres"):
        tree, centre_names = _centre_tree(db)
        context |= {"tree": tree, "centre_names": centre_names, "levels": LEVELS}
    if part == "users":
        context |= {"users": entities.platform_users(db), "roles": ROLES, "trade_types": [t.value for t in TradeType]}
    elif part == "trust":
        anchor_names = {a.id: a.name for a in login.list_trust_anchors(db)}
        context |= {"anchors": _anchors(db), "crls": login.list_revocation_lists(db), "anchor_names": anchor_names}
    elif part == "calendar":
        next_year = to_china_time(now).year + 1
        known = sorted(calendar_store.working_day_calendar(db).known_years)
        context |= {
            "known_years": known,
            "loaded": calendar_store.loaded_years(db),
            "next_year": next_year,
            "next_year_known": next_year in known,
        }
    elif part == "witnesses":
        context |= {"witnesses": ledger.list_witnesses(db)}
    return context


def _page(request: Request, db: Session, part: str, now: datetime) -> HTMLResponse:
    return render(request, TEMPLATE, _context(db, part, now))


def _refused(request: Request, db: Session, part: str, now: datetime, error: DomainError) -> HTMLResponse:
    return form_refused(request, db, TEMPLATE, lambda: _context(db, part, now), error)


def _done(part: str, done: Any) -> Response:
    return see_other(f"{HOME}/{part}", done=done)


def _attempt(
    request: Request, db: Session, part: str, now: datetime, action: Callable[[], object], done: Any
) -> Response:
    try:
        action()
    except DomainError as error:
        return _refused(request, db, part, now, error)
    return _done(part, done)


# --- pages ----------------------------------------------------------------------------------------------------------


@router.get(HOME, summary="Administrator's workspace: its sections")
def admin_home(request: Request, db: DB, _: Administrator, now: Now) -> HTMLResponse:
    return _page(request, db, "", now)


@router.get(f"{HOME}/users", summary="Administrator: the platform's users, their roles and scopes, and their events")
def users_page(request: Request, db: DB, _: Administrator, now: Now) -> HTMLResponse:
    return _page(request, db, "users", now)


@router.get(f"{HOME}/centres", summary="Administrator: the centres' hierarchy and its events")
def centres_page(request: Request, db: DB, _: CentreManager, now: Now) -> HTMLResponse:
    return _page(request, db, "centres", now)


@router.get(f"{HOME}/trust", summary="Administrator: the CAs' trust anchors and revocation lists, and their events")
def trust_page(request: Request, db: DB, _: TrustManager, now: Now) -> HTMLResponse:
    return _page(request, db, "trust", now)


@router.get(f"{HOME}/calendar", summary="Administrator: the holiday schedules known and loaded, and their events")
def calendar_page(request: Request, db: DB, _: CalendarManager, now: Now) -> HTMLResponse:
    return _page(request, db, "calendar", now)


@router.get(f"{HOME}/witnesses", summary="Administrator: the ledger's witnesses and their events")
def witnesses_page(request: Request, db: DB, _: LedgerManager, now: Now) -> HTMLResponse:
    return _page(request, db, "witnesses", now)


# --- users and roles ------------------------------------------------------------------------------------------------


def _grant(role: str, centre_id: int | None, region_code: str | None, trade_type: str | None) -> RoleGrantIn:
    try:
        return RoleGrantIn.model_validate(
            {"role": role, "centre_id": centre_id, "region_code": region_code or None, "trade_type": trade_type or None}
        )
    except ValidationError as invalid:
        error = invalid.errors()[0]
        field = "roles." + str(error["loc"][0]) if error["loc"] else "roles"
        raise InvalidInput(field=field, reason_zh="不是可识别的值", reason_en=str(error["msg"])) from None


_USER_PROBLEMS = (
    entities.EntityRoleNeedsEnrolment,
    entities.UsernameTaken,
    InvalidInput,
    NotFound,
)


@router.post(
    f"{HOME}/users",
    summary="Create a platform user (staff, supervisor, inspector, expert) with one role and its scope",
    responses=problem_responses(*_USER_PROBLEMS),
)
def create_user(
    request: Request,
    actor: Administrator,
    _: CsrfChecked,
    db: DB,
    now: Now,
    username: Annotated[Name, Form(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")],
    display_name: Annotated[Name, Form(min_length=1, max_length=100)],
    password: Annotated[Text, Form(min_length=10, max_length=200)],
    role: Annotated[Name, Form(max_length=32)],
    centre_id: Annotated[Id | None, Form()] = None,
    region_code: Annotated[Ascii | None, Form(max_length=12)] = None,
    trade_type: Annotated[Ascii | None, Form(max_length=32)] = None,
) -> Response:
    def act() -> None:
        grant = _grant(role, centre_id, region_code, trade_type)
        entities.create_user(
            db, actor, username=username, display_name=display_name, password=password, entity_id=None,
            roles=[grant], now=now,
        )  # fmt: skip

    return _attempt(request, db, "users", now, act, USER_CREATED)


@router.post(
    f"{HOME}/users/{{user_id}}/roles",
    summary="Grant a platform user another role with its scope (never a market entity's role)",
    responses=problem_responses(*_USER_PROBLEMS, Conflict),
)
def grant_role(
    user_id: Id,
    request: Request,
    actor: Administrator,
    _: CsrfChecked,
    db: DB,
    now: Now,
    role: Annotated[Name, Form(max_length=32)],
    centre_id: Annotated[Id | None, Form()] = None,
    region_code: Annotated[Ascii | None, Form(max_length=12)] = None,
    trade_type: Annotated[Ascii | None, Form(max_length=32)] = None,
) -> Response:
    def act() -> None:
        grant = _grant(role, centre_id, region_code, trade_type)
        entities.grant_role(db, actor, user_id=user_id, grant=grant, now=now)

    return _attempt(request, db, "users", now, act, ROLE_GRANTED)


# --- centres --------------------------------------------------------------------------------------------------------


@router.post(
    f"{HOME}/centres",
    summary="Create a centre: a province, or a city or county centre under the centre above it",
    responses=problem_responses(NotFound, InvalidInput, Conflict),
)
def create_centre(
    request: Request,
    actor: CentreManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    name: Annotated[Name, Form(min_length=2, max_length=200)],
    region_code: Annotated[Ascii, Form(min_length=6, max_length=6)],
    parent_id: Annotated[Id | None, Form()] = None,
) -> Response:
    def act() -> None:
        entities.create_centre(db, actor, name=name, region_code=region_code, parent_id=parent_id, now=now)

    return _attempt(request, db, "centres", now, act, CENTRE_CREATED)


# --- trust anchors and revocation lists -----------------------------------------------------------------------------


@router.post(
    f"{HOME}/trust/anchors",
    summary="Add a CA's root certificate (PEM) to the trust anchors (互认)",
    responses=problem_responses(CertificateMalformed, login.TrustAnchorExists),
)
def add_trust_anchor(
    request: Request,
    actor: TrustManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    certificate_pem: Annotated[Ascii, Form(min_length=1, max_length=65536)],
    name: Annotated[Name | None, Form(max_length=300)] = None,
) -> Response:
    def act() -> None:
        login.add_trust_anchor(db, actor, certificate_pem=certificate_pem.strip(), name=name or None, now=now)

    return _attempt(request, db, "trust", now, act, ANCHOR_ADDED)


@router.post(
    f"{HOME}/trust/revocation-lists",
    summary="Load a CRL (PEM) signed by a trusted CA: the sessions of every certificate it revokes end at once",
    responses=problem_responses(CertificateMalformed, CertificateUntrusted, RevocationListRejected),
)
def add_revocation_list(
    request: Request,
    actor: TrustManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    crl_pem: Annotated[Ascii, Form(min_length=1, max_length=1_000_000)],
) -> Response:
    def act() -> None:
        login.add_revocation_list(db, actor, crl_pem=crl_pem.strip(), now=now)

    return _attempt(request, db, "trust", now, act, CRL_LOADED)


# --- the holiday calendar -------------------------------------------------------------------------------------------


def _days(text: str | None) -> list[str]:
    """Dates as the notice lists them, one a line or separated by commas or spaces (checked by the parser)."""
    return [day for day in re.split(r"[\s,，、；;]+", text or "") if day]


@router.post(
    f"{HOME}/calendar",
    summary="Load or replace one year's holiday schedule (read by the parser of PUT /api/v1/calendar/years/{year})",
    responses=problem_responses(InvalidInput),
)
def load_calendar_year(
    request: Request,
    actor: CalendarManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    year: Annotated[int, Form(ge=FIRST_DAY.year, le=LAST_DAY.year)],
    holidays: Annotated[Text, Form(min_length=1, max_length=20000)],
    workdays: Annotated[Text | None, Form(max_length=20000)] = None,
    source: Annotated[Name | None, Form(max_length=300)] = None,
) -> Response:
    def act() -> None:
        body = {"year": year, "holidays": _days(holidays), "workdays": _days(workdays), "source": source or None}
        schedule = parse_year_schedule(json.dumps({key: value for key, value in body.items() if value is not None}))
        calendar_store.load_calendar_year(db, actor, schedule=schedule, now=now)

    return _attempt(request, db, "calendar", now, act, CALENDAR_LOADED)


# --- the ledger's witnesses -----------------------------------------------------------------------------------------


@router.post(
    f"{HOME}/witnesses",
    summary="Register a witness's cosignature key (cosignature/v1)",
    responses=problem_responses(ledger.CosignatureRejected, ledger.WitnessExists),
)
def add_witness(
    request: Request,
    actor: LedgerManager,
    _: CsrfChecked,
    db: DB,
    now: Now,
    name: Annotated[Ascii, Form(min_length=1, max_length=200)],
    verifier_key: Annotated[Ascii, Form(min_length=1, max_length=500)],
) -> Response:
    def act() -> None:
        ledger.register_witness(db, actor, name=name.strip(), verifier_key=verifier_key.strip(), now=now)

    return _attempt(request, db, "witnesses", now, act, WITNESS_ADDED)
