"""Centres, the entity register, users and roles: the only code that changes them."""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import ScalarSelect, Select, or_, select
from sqlalchemy.orm import Session

from ggzy.core import screening
from ggzy.core.codes import (
    is_valid_region_code,
    region_contains,
    region_level,
    validate_credit_code,
    validate_region_code,
)
from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import Principal, Role, RoleGrant
from ggzy.core.screening import Checkpoint
from ggzy.core.trade_types import TradeType
from ggzy.entities.models import Centre, Entity, RoleBinding, User
from ggzy.entities.schemas import EntityIn, EntityUpdate, RoleGrantIn

PASSWORDS = PasswordHasher()

# Who may grant which role (DESIGN §4.7): staff their centre's experts; the platform admin the rest. A market
# entity's roles are never granted by staff or the administrator: only the entity enrols its users (decision 0013).
_GRANTABLE_BY_STAFF = frozenset({Role.EXPERT})
ENTITY_ROLES = frozenset({Role.OWNER, Role.AGENT, Role.BIDDER, Role.INSTITUTION})
COURT = "court"  # the entity kind of a people's court (人民法院): a judicial sale's seller (schemas.EntityKind)


class EntityRoleNeedsEnrolment(DomainError):
    code = "entity_role_needs_enrolment"
    status = 403
    message_zh = (
        "市场主体的用户只能由该主体用其数字证书登录或签名登记产生；中心工作人员和管理员只能暂停这类用户，"
        "不能创建、授权或改绑（电子签名法 第十三条、第十四条）"
    )
    message_en = (
        "A market entity's user comes only from the entity's certificate login or its signed enrolment; centre "
        "staff and administrators may suspend such users, never create, grant or rebind them"
    )


class EntityAlreadyRegistered(DomainError):
    code = "entity_already_registered"
    status = 409
    message_zh = "统一社会信用代码 {credit_code} 的主体已在主体库中登记"
    message_en = "An entity with credit code {credit_code} is already in the register"


class UsernameTaken(DomainError):
    code = "username_taken"
    status = 409
    message_zh = "用户名 {username} 已被使用"
    message_en = "Username {username} is already taken"


def get_centre(db: Session, centre_id: int) -> Centre:
    centre = db.get(Centre, centre_id)
    if centre is None:
        raise NotFound(field="centre_id", what_zh="交易中心", what_en="Centre")
    return centre


def get_entity(db: Session, entity_id: int, *, field: str = "entity_id") -> Entity:
    entity = db.get(Entity, entity_id)
    if entity is None:
        raise NotFound(field=field, what_zh="市场主体", what_en="Entity")
    return entity


def find_entity_by_credit_code(db: Session, credit_code: str) -> Entity | None:
    return db.scalar(select(Entity).where(Entity.credit_code == credit_code))


def search_entities(db: Session, *, text: str | None, limit: int) -> list[Entity]:
    query = select(Entity).order_by(Entity.id).limit(limit)
    if text:
        query = query.where(or_(Entity.name.contains(text), Entity.credit_code == text.strip().upper()))
    return list(db.scalars(query))


def list_centres(db: Session) -> list[Centre]:
    return list(db.scalars(select(Centre).order_by(Centre.region_code, Centre.id)))


@changes_state("centre.created")
def create_centre(
    db: Session, actor: Principal, *, name: str, region_code: str, parent_id: int | None, now: datetime
) -> Centre:
    """A trading centre; the hierarchy follows the regions: province → city → county branch."""
    region_code = validate_region_code(region_code)
    level = region_level(region_code)
    if parent_id is None:
        if level != "province":
            raise InvalidInput(
                field="parent_id",
                reason_zh="市级和县级中心必须隶属于上级中心",
                reason_en="a city or county centre needs the centre above it",
            )
    else:
        parent = get_centre(db, parent_id)
        expected_parent_level = {"city": "province", "county": "city"}.get(level)
        if parent.level != expected_parent_level or not region_contains(parent.region_code, region_code):
            raise InvalidInput(
                field="parent_id",
                reason_zh=f"上级中心的行政区划 {parent.region_code} 不包含 {region_code}",
                reason_en=f"the parent centre's region {parent.region_code} does not contain {region_code}",
            )
    if db.scalar(select(Centre.id).where(Centre.name == name)) is not None:
        raise Conflict(field="name", reason_zh=f"已有名为 {name} 的中心", reason_en=f"a centre named {name} exists")
    centre = Centre(name=name, region_code=region_code, level=level, parent_id=parent_id, created_at=now)
    db.add(centre)
    db.flush()
    record_event(
        db,
        actor,
        action="centre.created",
        subject_type="centre",
        subject_id=centre.id,
        centre_id=centre.id,
        payload={"name": name, "region_code": region_code, "level": level, "parent_id": parent_id},
        now=now,
    )
    return centre


@changes_state("entity.registered")
def register_entity(db: Session, actor: Principal, *, data: EntityIn, now: datetime) -> Entity:
    """Put a market entity in the register (collected once, reused by every centre and project)."""
    credit_code = validate_credit_code(data.credit_code)
    if data.region_code is not None:
        region_code = validate_region_code(data.region_code)
    elif is_valid_region_code(credit_code[2:8]):
        # GB 32100: characters 3–8 of the credit code are the registering authority's region code.
        region_code = credit_code[2:8]
    else:  # registered nationally (100000) or otherwise not a region: the entity must say where it is
        raise InvalidInput(
            field="region_code",
            reason_zh="统一社会信用代码中的登记机关代码不是行政区划代码，请填写所在地行政区划代码",
            reason_en="the credit code does not carry a region code; give the entity's region code",
        )
    if find_entity_by_credit_code(db, credit_code) is not None:
        raise EntityAlreadyRegistered(field="credit_code", credit_code=credit_code)
    screening.screen_entity(
        db,
        actor,
        checkpoint=Checkpoint.ENTITY_REGISTRATION,
        credit_code=credit_code,
        law=None,  # registering on the platform is no one law's trade
        subject_type="entity",
        subject_id=credit_code,
        now=now,
    )  # 信用拦截 (decision 0040)
    entity = Entity(
        credit_code=credit_code,
        name=data.name.strip(),
        kind=data.kind,
        region_code=region_code,
        legal_representative=data.legal_representative,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        contact_email=data.contact_email,
        address=data.address,
        created_at=now,
        updated_at=now,
    )
    db.add(entity)
    db.flush()
    record_event(
        db,
        actor,
        action="entity.registered",
        subject_type="entity",
        subject_id=entity.id,
        payload={
            "credit_code": credit_code,
            "name": entity.name,
            "kind": entity.kind,
            "region_code": region_code,
        },
        now=now,
    )
    return entity


@changes_state("entity.updated")
def update_own_entity(db: Session, actor: Principal, *, changes: EntityUpdate, now: datetime) -> Entity:
    """An entity completes or corrects its own contacts and legal representative."""
    if actor.entity_id is None:
        raise PermissionDenied(permission="entity.update_own")
    entity = get_entity(db, actor.entity_id)
    updated = changes.model_dump(exclude_unset=True)
    for name, value in updated.items():
        setattr(entity, name, value)
    entity.updated_at = now
    db.flush()
    record_event(
        db,
        actor,
        action="entity.updated",
        subject_type="entity",
        subject_id=entity.id,
        payload={"fields": sorted(updated)},
        now=now,
    )
    return entity


@changes_state("entity.corrected", disclosed=False)
def correct_entity(db: Session, actor: Principal, *, entity_id: int, changes: EntityUpdate, now: datetime) -> Entity:
    """Centre staff correct an entity's person in charge (单位负责人, the legal representative: 实施条例 第34条 compares
    it across bidders) or contacts. Undisclosed: the old and new values are names and telephone numbers of natural
    persons (个人信息保护法 第四条), kept in the events for inspectors while the public ledger holds a commitment."""
    entity = get_entity(db, entity_id)
    updated = changes.model_dump(exclude_unset=True)
    before = {name: getattr(entity, name) for name in sorted(updated)}
    for name, value in updated.items():
        setattr(entity, name, value)
    entity.updated_at = now
    db.flush()
    record_event(
        db,
        actor,
        action="entity.corrected",
        subject_type="entity",
        subject_id=entity.id,
        payload={"before": before, "after": {name: updated[name] for name in sorted(updated)}},
        now=now,
    )
    return entity


def _check_grant_allowed(db: Session, actor: Principal, grant: RoleGrantIn) -> None:
    if grant.role in ENTITY_ROLES:
        raise EntityRoleNeedsEnrolment(field="roles.role")
    if grant.trade_type is not None and grant.role not in (Role.SUPERVISOR, Role.INSPECTOR):
        raise InvalidInput(
            field="roles.trade_type",
            reason_zh="只有监督和纪检审计角色按交易类型限定",
            reason_en="only supervisor and inspector roles are scoped to a trade type",
        )
    if grant.region_code is not None:
        validate_region_code(grant.region_code, field="roles.region_code")
    if grant.centre_id is not None:
        get_centre(db, grant.centre_id)
    if grant.role in (Role.SUPERVISOR, Role.INSPECTOR) and grant.region_code is None:
        raise InvalidInput(
            field="roles.region_code",
            reason_zh="监督和纪检审计角色必须限定行政区划",
            reason_en="supervisor and inspector roles are scoped to a region",
        )
    if grant.role in (Role.CENTRE_STAFF,) and grant.centre_id is None:
        raise InvalidInput(
            field="roles.centre_id",
            reason_zh="中心工作人员角色必须限定交易中心",
            reason_en="the centre staff role is scoped to a centre",
        )
    if Role.PLATFORM_ADMIN in actor.roles:
        return
    staff_centres = {g.centre_id for g in actor.grants_for(Role.CENTRE_STAFF)}
    if grant.role not in _GRANTABLE_BY_STAFF or grant.centre_id not in staff_centres:
        raise PermissionDenied(permission=f"user.grant.{grant.role.value}")


def _scope(grant: RoleGrantIn | RoleGrant) -> tuple[str, int | None, str | None, str | None]:
    trade_type = grant.trade_type.value if isinstance(grant.trade_type, TradeType) else grant.trade_type
    return (grant.role.value, grant.centre_id, grant.region_code, trade_type)


def grants_of(db: Session, user_id: int) -> tuple[RoleGrant, ...]:
    """The roles a user holds now: suspended bindings (no evidence, a revoked certificate) do not count."""
    rows = db.scalars(
        select(RoleBinding)
        .where(RoleBinding.user_id == user_id, RoleBinding.suspended_at.is_(None))
        .order_by(RoleBinding.id)
    )
    return tuple(
        RoleGrant(
            role=Role(row.role),
            centre_id=row.centre_id,
            region_code=row.region_code,
            trade_type=row.trade_type,
        )
        for row in rows
    )


def bind_role(
    db: Session, user: User, grant: RoleGrantIn | RoleGrant, now: datetime, *, certificate_id: int | None = None
) -> None:
    """Bind a role; an entity's role only with its evidence (here the certificate it logged in with)."""
    db.add(
        RoleBinding(
            user_id=user.id,
            role=grant.role.value,
            centre_id=grant.centre_id,
            region_code=grant.region_code,
            trade_type=_scope(grant)[3],
            granted_at=now,
            certificate_id=certificate_id,
        )
    )


@changes_state("user.created", disclosed=False)  # personal data; experts stay secret (招标投标法 第37条)
def create_user(
    db: Session,
    actor: Principal,
    *,
    username: str,
    display_name: str,
    password: str | None,
    entity_id: int | None,
    roles: list[RoleGrantIn],
    now: datetime,
) -> User:
    """A user with its roles: staff and experts log in with a password (argon2), entities' people by certificate.

    Never an entity's user: those come from its certificate login or its signed enrolment (decision 0013).
    """
    if entity_id is not None:
        raise EntityRoleNeedsEnrolment(field="entity_id")
    for grant in roles:
        _check_grant_allowed(db, actor, grant)
    if len({_scope(grant) for grant in roles}) != len(roles):
        raise InvalidInput(
            field="roles", reason_zh="同一角色重复授予", reason_en="the same role is given more than once"
        )
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(field="username", username=username)
    user = insert_user(
        db,
        username=username,
        display_name=display_name,
        entity_id=entity_id,
        password_hash=PASSWORDS.hash(password) if password else None,
        now=now,
    )
    for grant in roles:
        bind_role(db, user, grant, now)
    db.flush()
    record_event(
        db,
        actor,
        action="user.created",
        subject_type="user",
        subject_id=user.id,
        payload={
            "username": username,
            "entity_id": entity_id,
            "roles": [grant.model_dump(mode="json") for grant in roles],
        },
        now=now,
    )
    return user


def insert_user(
    db: Session,
    *,
    username: str,
    display_name: str,
    entity_id: int | None,
    password_hash: str | None,
    now: datetime,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        entity_id=entity_id,
        password_hash=password_hash,
        active=True,
        created_at=now,
    )
    db.add(user)
    db.flush()
    return user


@changes_state("role.granted", disclosed=False)
def grant_role(db: Session, actor: Principal, *, user_id: int, grant: RoleGrantIn, now: datetime) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(field="user_id", what_zh="用户", what_en="User")
    if user.entity_id is not None:  # an entity's user is rebound only by the entity
        raise EntityRoleNeedsEnrolment(field="user_id")
    _check_grant_allowed(db, actor, grant)
    if _scope(grant) in {_scope(held) for held in grants_of(db, user.id)}:
        raise Conflict(field="role", reason_zh="该用户已有此角色", reason_en="the user already holds this role")
    bind_role(db, user, grant, now)
    db.flush()
    record_event(
        db,
        actor,
        action="role.granted",
        subject_type="user",
        subject_id=user.id,
        payload=grant.model_dump(mode="json"),
        now=now,
    )
    return user


def entity_names(db: Session, entity_ids: list[int]) -> dict[int, str]:
    """Each entity's name, by id (the names are public: they sign notices and contracts)."""
    rows = db.execute(select(Entity.id, Entity.name).where(Entity.id.in_(entity_ids)))
    return {entity_id: name for entity_id, name in rows}


def users_holding(db: Session, role: Role) -> list[tuple[User, RoleGrant]]:
    """Every active, unsuspended user holding ``role`` by a binding in force, with that binding's grant (a user with
    two bindings of the role comes twice)."""
    rows = db.execute(
        select(User, RoleBinding)
        .join(RoleBinding, RoleBinding.user_id == User.id)
        .where(
            RoleBinding.role == role.value,
            RoleBinding.suspended_at.is_(None),
            User.active.is_(True),
            User.suspended_at.is_(None),
        )
        .order_by(User.id, RoleBinding.id)
    ).all()
    return [
        (user, RoleGrant(role=role, centre_id=row.centre_id, region_code=row.region_code, trade_type=row.trade_type))
        for user, row in rows
    ]


def display_names(db: Session, user_ids: list[int]) -> dict[int, str]:
    """Users' display names by id (for another domain's lists)."""
    if not user_ids:
        return {}
    rows = db.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


def platform_users(db: Session, *, limit: int = 200) -> list[tuple[User, tuple[RoleGrant, ...]]]:
    """The platform's own users (staff, supervisors, inspectors, experts, administrators: no entity's user), each
    with the roles it holds now, in the order they were created."""
    users = list(db.scalars(select(User).where(User.entity_id.is_(None)).order_by(User.id).limit(limit)))
    return [(user, grants_of(db, user.id)) for user in users]


def usernames(db: Session, user_ids: list[int]) -> dict[int, str]:
    """Each user's username, by id (who did what, on an administrator's page)."""
    rows = db.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return {user_id: username for user_id, username in rows}


def find_user(db: Session, user_id: int) -> User | None:
    """The user with this id, or None (for the domains that name users: experts, owners' representatives)."""
    return db.get(User, user_id)


def credit_code_of(entity_id: int | None) -> ScalarSelect[str]:
    """The entity's unified social credit code, as a scalar subquery for another domain's single round trip (a bid's
    submission checks its certificate against it at the deadline)."""
    return select(Entity.credit_code).where(Entity.id == entity_id).scalar_subquery()


def entity_ids_named(pattern: str) -> Select[int]:
    """The ids of the entities whose name matches a LIKE ``pattern`` (``\\`` escapes), ignoring case, as a subquery for
    another domain's search (the portal finds notices by their owner's, agent's or bidders' names)."""
    return select(Entity.id).where(Entity.name.ilike(pattern, escape="\\"))
