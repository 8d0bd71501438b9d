"""Only an entity acts for itself (decision 0013).

A user acts for a market entity when it logs in with the entity's certificate, or when the entity enrolled it: a
statement (the entity's credit code, the user, its roles and their scope, the time, a one-time challenge) signed with
a certificate of the entity, checked against the trust store (chain, validity, revocation) and kept with the role
bindings as evidence. A signature is the signatory's only when its signature creation data is under its sole
control (电子签名法 第十三条、第十四条); a user that centre staff made for a bidder would read the bidder's
registrations before the opening (招标投标法 第二十二条) and act in its name (电子签名法 第三十二条:
冒用他人的电子签名). So staff and administrators never create or bind an entity's user: they suspend one the
entity enrolled (staff only at their centres; never a certificate's user, which its CA's revocation ends), and lift
only a suspension they made.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.events import canonical_json, changes_state, record_event
from ggzy.core.permissions import Principal, Role
from ggzy.crypto import Certificate as X509Certificate
from ggzy.crypto import SignatureInvalid, load_certificate
from ggzy.entities import login
from ggzy.entities.models import AuthSession, Certificate, Entity, EntityEnrolment, RoleBinding, User
from ggzy.entities.service import (
    ENTITY_ROLES,
    PASSWORDS,
    get_centre,
    get_entity,
    insert_user,
)

ENROLMENT_PURPOSE = "ggzy-enrolment/1"
# How far the time an entity writes into its statement may stray from the server's (the challenge expires anyway).
SIGNED_AT_TOLERANCE = timedelta(minutes=10)


class EnrolmentNeedsCertificateSession(DomainError):
    code = "enrolment_needs_certificate_session"
    status = 403
    message_zh = "只有用本单位数字证书登录的用户才能登记本单位的用户"
    message_en = "Only a user logged in with the entity's own certificate can enrol the entity's users"


class EnrolmentCertificateNotTheEntitys(DomainError):
    code = "enrolment_certificate_not_the_entitys"
    status = 403
    message_zh = "签名证书不是本单位已登录过的单位证书（{reason_zh}）"
    message_en = "The signing certificate is not one of the entity's certificates that has logged in ({reason_en})"


class EnrolmentChallengeInvalid(DomainError):
    code = "enrolment_challenge_invalid"
    status = 422
    message_zh = "登记随机数无效或已过期，请重新获取（POST /api/v1/auth/nonce）"
    message_en = "The enrolment challenge is invalid or has expired; ask for a new one (POST /api/v1/auth/nonce)"


class EnrolmentChallengeReplayed(DomainError):
    code = "enrolment_challenge_replayed"
    status = 409
    message_zh = "登记随机数已被使用过，不能重放；请重新获取并签名"
    message_en = "The enrolment challenge has already been used and cannot be replayed; ask for a new one and sign"


class EnrolmentTimeInvalid(DomainError):
    code = "enrolment_time_invalid"
    status = 422
    message_zh = "登记声明中的签署时间与服务器时间相差超过 10 分钟"
    message_en = "The signing time in the enrolment statement is more than 10 minutes from the server's time"


class EnrolmentUserOfAnotherEntity(DomainError):
    code = "enrolment_user_of_another_entity"
    status = 409
    message_zh = "用户名 {username} 已被使用，且不是本单位的用户"
    message_en = "Username {username} is taken by someone who is not the entity's user"


class UserNotAnEntitysUser(DomainError):
    code = "user_not_an_entitys_user"
    status = 409
    message_zh = "只能暂停市场主体的用户；工作人员、专家和监督人员的账户另行管理"
    message_en = "Only a market entity's users are suspended here; staff, experts and supervisors are managed apart"


class SuspensionNotLiftable(DomainError):
    code = "suspension_not_liftable"
    status = 409
    message_zh = "该用户没有取得单位登记证据而被暂停，只有该单位用其证书签名登记后才能恢复"
    message_en = "The user was suspended for want of the entity's evidence; only the entity's signed enrolment lifts it"


class EnrolmentNeedsNewPassword(DomainError):
    code = "enrolment_needs_new_password"
    status = 422
    message_zh = "用户 {username} 是工作人员在本单位登记之前创建的，其密码可能为他人所知；请在登记时为其设置新密码"
    message_en = (
        "User {username} was made by staff before the entity enrolled it, so others may know its password; "
        "enrol it with a new password"
    )


class EnrolmentCertificateOfAnotherAnchor(DomainError):
    code = "enrolment_certificate_of_another_anchor"
    status = 403
    message_zh = (
        "用户 {username} 由本单位另一 CA 签发的证书登记或使用；请用该 CA 签发的本单位证书签名，或登记新的用户名"
    )
    message_en = (
        "User {username} was enrolled or is used with the entity's certificate of another CA; sign with the "
        "entity's certificate from that CA, or enrol a new user name"
    )


class UserIsACertificateUser(DomainError):
    code = "user_is_a_certificate_user"
    status = 409
    message_zh = "这是单位数字证书的用户，不能由工作人员暂停；证书由其 CA 吊销（加载吊销列表）后即失效，登录随之结束"
    message_en = (
        "This is the user of an entity's certificate and staff do not suspend it; the certificate ends when its CA "
        "revokes it (load the CRL), and its sessions with it"
    )


class UserNotEnrolled(DomainError):
    code = "user_not_enrolled"
    status = 409
    message_zh = "只能暂停单位用其证书签名登记的用户"
    message_en = "Only a user the entity enrolled with its certificate's signature is suspended here"


class SuspensionOutsideYourCentres(DomainError):
    code = "suspension_outside_your_centres"
    status = 403
    message_zh = "该用户没有在您所在交易中心登记的角色；只有平台管理员可以暂停或恢复它"
    message_en = "The user holds no role enrolled at your trading centre; only the platform administrator may act here"


@dataclass(frozen=True)
class EnrolmentRole:
    role: Role
    centre_id: int | None = None


def enrolment_statement(
    *,
    credit_code: str,
    username: str,
    display_name: str,
    roles: list[EnrolmentRole],
    signed_at: datetime,
    challenge: str,
) -> bytes:
    """The exact bytes an entity signs to enrol a user: canonical JSON (RFC 8785), UTF-8.

    The client (``ggzy bid enrol-user``) and the server build it with this one function; the password is not in it
    (it travels once, over TLS, and only its hash is kept).
    """
    document = {
        "purpose": ENROLMENT_PURPOSE,
        "credit_code": credit_code,
        "user": {"username": username, "display_name": display_name},
        "roles": [
            {"role": item.role.value, "centre_id": item.centre_id}
            for item in sorted(roles, key=lambda item: (item.role.value, item.centre_id or 0))
        ],
        "signed_at": signed_at.astimezone(UTC).isoformat(timespec="seconds"),
        "challenge": challenge,
    }
    return canonical_json(document).encode()


def _decode(signature: str) -> bytes:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SignatureInvalid(field="signature") from error


def _certificate_session(db: Session, actor: Principal) -> Certificate:
    """The entity certificate the actor's session was opened with; enrolling needs one (an enrolled user cannot
    enrol others)."""
    session = db.get(AuthSession, actor.session_id) if actor.session_id else None
    if session is None or session.method != "certificate" or session.certificate_id is None:
        raise EnrolmentNeedsCertificateSession()
    certificate = db.get(Certificate, session.certificate_id)
    if certificate is None or certificate.entity_id != actor.entity_id or certificate.kind != "entity":
        raise EnrolmentNeedsCertificateSession()
    return certificate


def _signing_certificate(db: Session, entity: Entity, certificate_pem: str, intermediates_pem: list[str], *,
                         now: datetime) -> tuple[Certificate, X509Certificate, str]:  # fmt: skip
    """The entity's certificate that signs, its parsed form, and the fingerprint of the anchor it chains to."""
    certificate = load_certificate(certificate_pem)
    intermediates = [load_certificate(pem) for pem in intermediates_pem]
    anchor = login.trust_store(db).validate(certificate, at=now, intermediates=intermediates)
    if certificate.credit_code != entity.credit_code:
        raise EnrolmentCertificateNotTheEntitys(
            field="certificate_pem", reason_zh="统一社会信用代码不同", reason_en="another credit code"
        )
    row = db.scalar(select(Certificate).where(Certificate.fingerprint == certificate.fingerprint))
    if row is None or row.entity_id != entity.id or row.kind != "entity":
        raise EnrolmentCertificateNotTheEntitys(
            field="certificate_pem",
            reason_zh="请先用该单位证书登录一次",
            reason_en="log in with it once first",
        )
    return row, certificate, anchor.fingerprint


def _check_challenge(db: Session, challenge: str, *, secret: bytes, now: datetime) -> None:
    try:
        login.check_nonce(challenge, secret=secret, now=now)
    except login.NonceInvalid as error:
        raise EnrolmentChallengeInvalid(field="challenge") from error
    if db.scalar(select(EntityEnrolment.id).where(EntityEnrolment.challenge == challenge)) is not None:
        raise EnrolmentChallengeReplayed(field="challenge")
    try:
        login.consume_nonce(db, challenge, now=now)
    except login.NonceReplayed as error:
        raise EnrolmentChallengeReplayed(field="challenge") from error


def _check_roles(db: Session, roles: list[EnrolmentRole]) -> None:
    if not roles:
        raise InvalidInput(field="roles", reason_zh="至少登记一个角色", reason_en="enrol at least one role")
    if len({(item.role, item.centre_id) for item in roles}) != len(roles):
        raise InvalidInput(field="roles", reason_zh="同一角色重复登记", reason_en="the same role is enrolled twice")
    for item in roles:
        if item.role not in ENTITY_ROLES:
            raise InvalidInput(
                field="roles.role",
                reason_zh="单位只能登记招标人、代理机构、投标人或金融机构角色",
                reason_en="an entity enrols only the owner, agent, bidder or institution role",
            )
        if item.centre_id is not None:
            get_centre(db, item.centre_id)


@changes_state("user.enrolled", disclosed=False)  # a person's name and the entity's staff: personal data
def enrol_user(
    db: Session,
    actor: Principal,
    *,
    username: str,
    display_name: str,
    password: str | None,
    roles: list[EnrolmentRole],
    signed_at: datetime,
    challenge: str,
    certificate_pem: str,
    intermediates_pem: list[str],
    signature: str,
    secret: bytes,
    now: datetime,
) -> User:
    """An entity enrols one of its users (a new one, or one it enrolled or logged in before) with roles, by a
    statement signed with its own certificate; the statement, the signature and the certificate stay as evidence.
    """
    _certificate_session(db, actor)
    assert actor.entity_id is not None
    entity = get_entity(db, actor.entity_id)
    _check_roles(db, roles)
    if signed_at.tzinfo is None or abs(signed_at - now) > SIGNED_AT_TOLERANCE:
        raise EnrolmentTimeInvalid(field="signed_at")
    row, certificate, anchor = _signing_certificate(db, entity, certificate_pem, intermediates_pem, now=now)
    statement = enrolment_statement(
        credit_code=entity.credit_code, username=username, display_name=display_name, roles=roles,
        signed_at=signed_at, challenge=challenge,
    )  # fmt: skip
    raw_signature = _decode(signature)
    certificate.public_key.verify(statement, raw_signature)
    _check_challenge(db, challenge, secret=secret, now=now)
    user = db.scalar(select(User).where(User.username == username))
    if user is not None and user.entity_id != entity.id:
        raise EnrolmentUserOfAnotherEntity(field="username", username=username)
    if user is not None:
        _check_same_anchor(db, user, anchor=anchor)
    replaced, sessions_ended = False, 0
    if user is not None and user.suspension_cause == "no_evidence":
        # Staff made it and set its password before the entity enrolled it (migration 0012): the entity now gives
        # the evidence it lacked and a password only it knows; whatever staff set no longer opens it.
        if not password:
            raise EnrolmentNeedsNewPassword(field="password", username=username)
        user.password_hash, replaced = PASSWORDS.hash(password), True
        user.suspended_at = user.suspension_cause = user.suspension_note = None
        sessions_ended = end_sessions_of_user(db, user.id, now=now)
    elif user is not None and password is not None:
        raise InvalidInput(
            field="password",
            reason_zh="已有用户的密码不能通过登记更改",
            reason_en="an existing user's password is not changed by an enrolment",
        )
    if user is None:
        user = insert_user(
            db, username=username, display_name=display_name, entity_id=entity.id,
            password_hash=PASSWORDS.hash(password) if password else None, now=now,
        )  # fmt: skip
    enrolment = EntityEnrolment(
        entity_id=entity.id, user_id=user.id, certificate_id=row.id, statement=statement, signature=raw_signature,
        challenge=challenge, signed_at=signed_at, enrolled_at=now,
    )  # fmt: skip
    db.add(enrolment)
    db.flush()
    for item in roles:
        _bind_with_evidence(db, user, item, enrolment_id=enrolment.id, now=now)
    db.flush()
    record_event(
        db,
        actor,
        action="user.enrolled",
        subject_type="user",
        subject_id=user.id,
        payload={
            "username": username,
            "entity_id": entity.id,
            "roles": [{"role": item.role.value, "centre_id": item.centre_id} for item in roles],
            "certificate": row.fingerprint,
            "anchor": anchor,
            "enrolment_id": enrolment.id,
            "password_replaced": replaced,
            "sessions_ended": sessions_ended,
        },
        now=now,
    )
    return user


def _check_same_anchor(db: Session, user: User, *, anchor: str) -> None:
    """An existing user is enrolled again only with a certificate from an anchor its earlier evidence came from (its
    own certificates, the certificates of its enrolments): a certificate of a newly added anchor carrying the
    entity's credit code does not take over the users the entity enrolled before (decision 0013). A user with no
    evidence at all (made by staff before migration 0012) is enrolled afresh."""
    evidence = list(
        db.scalars(
            select(Certificate).where(
                (Certificate.user_id == user.id)
                | Certificate.id.in_(select(EntityEnrolment.certificate_id).where(EntityEnrolment.user_id == user.id))
            )
        )
    )
    if evidence and anchor not in {login.certificate_anchor(db, row) for row in evidence}:
        raise EnrolmentCertificateOfAnotherAnchor(field="certificate_pem", username=user.username)


def _bind_with_evidence(db: Session, user: User, item: EnrolmentRole, *, enrolment_id: int, now: datetime) -> None:
    """Bind the role, or give an existing binding of the same scope this new evidence (lifting an evidence
    suspension: ``no_evidence`` or ``certificate_revoked``)."""
    existing = db.scalar(
        select(RoleBinding).where(
            RoleBinding.user_id == user.id,
            RoleBinding.role == item.role.value,
            RoleBinding.centre_id.is_(None) if item.centre_id is None else RoleBinding.centre_id == item.centre_id,
            RoleBinding.region_code.is_(None),
            RoleBinding.trade_type.is_(None),
        )
    )
    if existing is None:
        db.add(
            RoleBinding(
                user_id=user.id, role=item.role.value, centre_id=item.centre_id, granted_at=now,
                enrolment_id=enrolment_id,
            )
        )  # fmt: skip
        return
    existing.enrolment_id = enrolment_id
    existing.suspended_at = None
    existing.suspension_cause = None


def certificate_fingerprint(db: Session, evidence: EntityEnrolment) -> str:
    certificate = db.get(Certificate, evidence.certificate_id)
    assert certificate is not None
    return certificate.fingerprint


def enrolments_of(db: Session, entity_id: int) -> list[tuple[User, list[RoleBinding], EntityEnrolment | None]]:
    """The entity's users, each with its role bindings and the newest enrolment that names it."""
    users = list(db.scalars(select(User).where(User.entity_id == entity_id).order_by(User.id)))
    bindings = list(
        db.scalars(select(RoleBinding).where(RoleBinding.user_id.in_([u.id for u in users])).order_by(RoleBinding.id))
    )
    enrolments = {
        row.user_id: row
        for row in db.scalars(
            select(EntityEnrolment).where(EntityEnrolment.entity_id == entity_id).order_by(EntityEnrolment.id)
        )
    }
    return [(user, [b for b in bindings if b.user_id == user.id], enrolments.get(user.id)) for user in users]


# --- suspension by staff ----------------------------------------------------------------------------------------


def _entity_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(field="user_id", what_zh="用户", what_en="User")
    if user.entity_id is None:
        raise UserNotAnEntitysUser(field="user_id")
    return user


def _check_in_scope(db: Session, actor: Principal, user: User) -> None:
    """The administrator acts on any entity's user; centre staff only on one holding a role at one of their centres
    (a role enrolled for every centre is the administrator's to act on)."""
    if Role.PLATFORM_ADMIN in actor.roles:
        return
    staff_centres = {grant.centre_id for grant in actor.grants_for(Role.CENTRE_STAFF)}
    bound = set(db.scalars(select(RoleBinding.centre_id).where(RoleBinding.user_id == user.id)))
    if not staff_centres & (bound - {None}):
        raise SuspensionOutsideYourCentres(field="user_id")


def _suspendable_user(db: Session, actor: Principal, user_id: int) -> User:
    """A user the entity enrolled: never the user of an entity's certificate, which only its CA ends (a revocation
    ends its sessions at once), so that no one at a centre locks an entity out of its own certificate."""
    user = _entity_user(db, user_id)
    if db.scalar(select(Certificate.id).where(Certificate.user_id == user.id).limit(1)) is not None:
        raise UserIsACertificateUser(field="user_id")
    if db.scalar(select(EntityEnrolment.id).where(EntityEnrolment.user_id == user.id).limit(1)) is None:
        raise UserNotEnrolled(field="user_id")
    _check_in_scope(db, actor, user)
    return user


def end_sessions_of_user(db: Session, user_id: int, *, now: datetime) -> int:
    result = db.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None), AuthSession.expires_at > now)
        .values(ended_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@changes_state("user.suspended", disclosed=False)
def suspend_user(db: Session, actor: Principal, *, user_id: int, note: str, now: datetime) -> User:
    """Centre staff (at a centre of the user's roles) or the administrator suspend a user an entity enrolled: it
    cannot log in, its open sessions end."""
    user = _suspendable_user(db, actor, user_id)
    if user.suspended_at is not None:
        raise InvalidInput(field="user_id", reason_zh="该用户已被暂停", reason_en="the user is already suspended")
    user.suspended_at = now
    user.suspension_cause = "staff"
    user.suspension_note = note
    ended = end_sessions_of_user(db, user.id, now=now)
    db.flush()
    record_event(
        db, actor, action="user.suspended", subject_type="user", subject_id=user.id,
        payload={"entity_id": user.entity_id, "note": note, "sessions_ended": ended}, now=now,
    )  # fmt: skip
    return user


@changes_state("user.reinstated", disclosed=False)
def reinstate_user(db: Session, actor: Principal, *, user_id: int, now: datetime) -> User:
    """Lift a suspension staff made (staff within their centres, as they suspend); a suspension for want of evidence
    is lifted only by the entity's enrolment."""
    user = _entity_user(db, user_id)
    if user.suspended_at is None:
        raise InvalidInput(field="user_id", reason_zh="该用户未被暂停", reason_en="the user is not suspended")
    if user.suspension_cause != "staff":
        raise SuspensionNotLiftable(field="user_id")
    _check_in_scope(db, actor, user)
    user.suspended_at = user.suspension_cause = user.suspension_note = None
    db.flush()
    record_event(
        db, actor, action="user.reinstated", subject_type="user", subject_id=user.id,
        payload={"entity_id": user.entity_id}, now=now,
    )  # fmt: skip
    return user
