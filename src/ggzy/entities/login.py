"""Logging in: certificates from several CAs (互认) for market entities, passwords for staff and experts.

Certificate login is a challenge: the server hands out a nonce, the client signs ``ggzy-login:<nonce>`` with its
certificate's key, the server checks the chain against the trust store at the current time (validity, revocation),
the signature, and that the nonce is fresh and unused. Nonces are stateless (an HMAC over a random value and an
expiry, under the platform's secret), so handing one out writes nothing; a nonce is stored only when it is used, in
the same transaction as the login, so that a replay is refused.

A trusted certificate whose entity is not yet in the register registers it on first login, from the certificate
(name and credit code); the entity then completes its legal representative and contacts itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.core.clock import as_utc
from ggzy.core.db import unit_of_work
from ggzy.core.errors import DomainError
from ggzy.core.events import changes_state, record_event
from ggzy.core.permissions import ANONYMOUS, Principal, Role, RoleGrant
from ggzy.crypto import Certificate as X509Certificate
from ggzy.crypto import CertificateUntrusted, SignatureInvalid, TrustStore, load_certificate
from ggzy.crypto import RevocationList as X509RevocationList
from ggzy.entities.models import (
    AuthSession,
    Certificate,
    Entity,
    EntityEnrolment,
    LoginNonce,
    RevocationList,
    RoleBinding,
    TrustAnchor,
    User,
)
from ggzy.entities.schemas import EntityIn
from ggzy.entities.service import (
    PASSWORDS,
    bind_role,
    find_entity_by_credit_code,
    grants_of,
    insert_user,
    register_entity,
)

LOGIN_MESSAGE_PREFIX = "ggzy-login:"


class NonceInvalid(DomainError):
    code = "login_nonce_invalid"
    status = 401
    message_zh = "登录随机数无效或已过期，请重新获取"
    message_en = "The login nonce is invalid or has expired; ask for a new one"


class NonceReplayed(DomainError):
    code = "login_nonce_replayed"
    status = 401
    message_zh = "登录随机数已被使用过，请重新获取"
    message_en = "The login nonce has already been used; ask for a new one"


class CredentialsInvalid(DomainError):
    code = "credentials_invalid"
    status = 401
    message_zh = "用户名或密码错误"
    message_en = "Wrong username or password"


class SessionInvalid(DomainError):
    code = "session_invalid"
    status = 401
    message_zh = "登录已失效，请重新登录"
    message_en = "The session has ended or expired; log in again"


class SessionCertificateRevoked(SessionInvalid):
    code = "session_certificate_revoked"
    status = 401
    message_zh = "登录所用的数字证书已被吊销，本次登录已结束；请用有效证书重新登录"
    message_en = "The certificate this session was opened with has been revoked; log in again with a valid certificate"


class UserSuspended(SessionInvalid):
    code = "user_suspended"
    status = 401
    message_zh = "该用户已被暂停，不能登录；请联系所属单位或交易中心"
    message_en = "This user is suspended and cannot log in; ask its entity or the trading centre"


class CertificateWithoutCreditCode(DomainError):
    code = "certificate_without_credit_code"
    status = 422
    message_zh = "该证书未载明统一社会信用代码，不能用于市场主体登录"
    message_en = "The certificate carries no unified social credit code, so it cannot log a market entity in"


class TrustAnchorExists(DomainError):
    code = "trust_anchor_exists"
    status = 409
    message_zh = "该 CA 根证书已在信任列表中"
    message_en = "This CA root certificate is already trusted"


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User
    entity: Entity | None


# --- nonces -----------------------------------------------------------------------------------------------------


def _nonce_mac(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]


def issue_nonce(*, secret: bytes, now: datetime, lifetime: timedelta) -> tuple[str, datetime]:
    """A fresh login nonce: ``<random>.<expiry unix seconds>.<mac>``; nothing is stored."""
    expires_at = now + lifetime
    body = f"{secrets.token_hex(16)}.{int(expires_at.timestamp())}"
    return f"{body}.{_nonce_mac(secret, body)}", expires_at


def login_message(nonce: str, origin: str) -> bytes:
    """What a certificate login signs: the portal's origin and the platform's nonce (``ggzy-login:<origin> <nonce>``).

    The origin binds the signature to the portal it was made for: a login challenge that another site relayed to
    the user (a page of another paired portal, a phishing copy) is signed for that site's origin and refused here.
    Neither an origin nor a nonce holds a space."""
    return f"{LOGIN_MESSAGE_PREFIX}{origin} {nonce}".encode()


def check_nonce(nonce: str, *, secret: bytes, now: datetime) -> None:
    parts = nonce.split(".")
    if len(parts) != 3 or not nonce.isascii() or not parts[1].isdigit():  # compare_digest takes ASCII text only
        raise NonceInvalid(field="nonce")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_nonce_mac(secret, body), parts[2]):
        raise NonceInvalid(field="nonce")
    if now.timestamp() > int(parts[1]):
        raise NonceInvalid(field="nonce")


def consume_nonce(db: Session, nonce: str, *, now: datetime) -> None:
    if db.get(LoginNonce, nonce) is not None:
        raise NonceReplayed(field="nonce")
    expires = datetime.fromtimestamp(int(nonce.split(".")[1]), tz=now.tzinfo)
    try:
        with db.begin_nested():
            db.add(LoginNonce(nonce=nonce, issued_at=now, expires_at=expires, used_at=now))
    except IntegrityError as error:  # another request used it a moment ago
        raise NonceReplayed(field="nonce") from error


# --- trust store ------------------------------------------------------------------------------------------------


def list_trust_anchors(db: Session) -> list[TrustAnchor]:
    return list(db.scalars(select(TrustAnchor).order_by(TrustAnchor.id)))


def list_revocation_lists(db: Session) -> list[RevocationList]:
    """The CRLs received, newest first (what the administrator loaded, and from which CA)."""
    return list(db.scalars(select(RevocationList).order_by(RevocationList.id.desc())))


def build_trust_store(db: Session) -> TrustStore:
    """Every CA root the platform recognises, with the CRLs received from them (parsed and verified anew)."""
    store = TrustStore()
    for anchor in list_trust_anchors(db):
        store.add_anchor(load_certificate(anchor.certificate_pem))
    for crl in db.scalars(select(RevocationList).order_by(RevocationList.id)):
        store.add_crl(crl.crl)
    return store


_trust_store_cache: tuple[tuple[tuple[str, ...], tuple[str, ...]], TrustStore] | None = None
_trust_store_lock = threading.Lock()


def trust_store(db: Session) -> TrustStore:
    """The trust store for checking certificates, rebuilt only when its anchors or CRLs change.

    Parsing every root and verifying every CRL's signature on each login would cost several signature checks per
    login at the deadline rush; one small query tells whether the cached store is still the database's. The
    cached store is never mutated (``add_revocation_list`` builds its own).
    """
    global _trust_store_cache
    rows = db.execute(
        select(literal("anchor").label("kind"), TrustAnchor.id, TrustAnchor.fingerprint.label("digest")).union_all(
            select(literal("crl"), RevocationList.id, RevocationList.sha256)
        )
    ).all()
    key = (
        tuple(row.digest for row in sorted(rows, key=lambda row: row.id) if row.kind == "anchor"),
        tuple(row.digest for row in sorted(rows, key=lambda row: row.id) if row.kind == "crl"),
    )
    cached = _trust_store_cache
    if cached is not None and cached[0] == key:
        return cached[1]
    store = build_trust_store(db)
    with _trust_store_lock:
        _trust_store_cache = (key, store)
    return store


@changes_state("trust.anchor_added")
def add_trust_anchor(
    db: Session, actor: Principal, *, certificate_pem: str, name: str | None, now: datetime
) -> TrustAnchor:
    certificate = load_certificate(certificate_pem)
    TrustStore().add_anchor(certificate)  # refuses a certificate that is not a CA
    if db.scalar(select(TrustAnchor.id).where(TrustAnchor.fingerprint == certificate.fingerprint)):
        raise TrustAnchorExists(field="certificate_pem")
    anchor = TrustAnchor(
        name=name or certificate.subject,
        suite=certificate.suite.value,
        fingerprint=certificate.fingerprint,
        certificate_pem=certificate.pem,
        added_at=now,
    )
    db.add(anchor)
    db.flush()
    record_event(
        db,
        actor,
        action="trust.anchor_added",
        subject_type="trust_anchor",
        subject_id=anchor.id,
        payload={"name": anchor.name, "suite": anchor.suite, "fingerprint": anchor.fingerprint},
        now=now,
    )
    return anchor


@changes_state("trust.crl_added")
def add_revocation_list(db: Session, actor: Principal, *, crl_pem: str, now: datetime) -> RevocationList:
    """Store a CRL after checking that a trusted CA signed it, and make its revocations take effect at once.

    Each certificate of the platform the CRL lists gets its revocation date; every session opened with one revoked
    by now ends, and every role binding an entity enrolled with it is suspended (its evidence no longer holds for
    new acts; the entity re-enrols with a valid certificate). All in this transaction and this event (电子签名法
    第十五条: a compromised signature creation data is no longer used).
    """
    revocation_list = build_trust_store(db).add_crl(crl_pem.encode())
    anchor = db.scalar(select(TrustAnchor).where(TrustAnchor.fingerprint == revocation_list.issuer.fingerprint))
    assert anchor is not None
    data = crl_pem.encode()
    row = RevocationList(anchor_id=anchor.id, crl=data, sha256=hashlib.sha256(data).hexdigest(), received_at=now)
    db.add(row)
    db.flush()
    effects = _apply_revocations(db, revocation_list, now=now)
    record_event(
        db,
        actor,
        action="trust.crl_added",
        subject_type="trust_anchor",
        subject_id=anchor.id,
        payload={"revocation_list_id": row.id, "sha256": row.sha256, **effects},
        now=now,
    )
    return row


def _apply_revocations(db: Session, revocation_list: X509RevocationList, *, now: datetime) -> dict[str, object]:
    """Mark the platform's certificates the CRL lists, end their sessions, suspend the enrolments they signed."""
    issuer = revocation_list.issuer.subject
    by_serial = {format(serial, "x"): when for serial, when in revocation_list.revoked.items()}
    serials = sorted(by_serial)
    revoked: list[Certificate] = []
    for start in range(0, len(serials), 500):  # bounded IN lists
        revoked += db.scalars(
            select(Certificate).where(
                Certificate.issuer == issuer, Certificate.serial_number.in_(serials[start : start + 500])
            )
        )
    fingerprints, sessions_ended, bindings_suspended = [], 0, 0
    for certificate in sorted(revoked, key=lambda c: c.id):
        revoked_at = by_serial[certificate.serial_number]
        if certificate.revoked_at is not None and as_utc(certificate.revoked_at) <= revoked_at:
            continue  # already known from an earlier CRL
        certificate.revoked_at = revoked_at
        fingerprints.append(certificate.fingerprint)
        if revoked_at <= now:
            sessions_ended += _end_certificate_sessions(db, certificate.id, now=now)
        bindings_suspended += _suspend_enrolled_bindings(db, certificate.id, now=now)
    db.flush()
    return {
        "certificates_revoked": fingerprints,
        "sessions_ended": sessions_ended,
        "bindings_suspended": bindings_suspended,
    }


def _end_certificate_sessions(db: Session, certificate_id: int, *, now: datetime) -> int:
    result = db.execute(
        update(AuthSession)
        .where(
            AuthSession.certificate_id == certificate_id, AuthSession.ended_at.is_(None), AuthSession.expires_at > now
        )
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _suspend_enrolled_bindings(db: Session, certificate_id: int, *, now: datetime) -> int:
    enrolments = select(EntityEnrolment.id).where(EntityEnrolment.certificate_id == certificate_id)
    result = db.execute(
        update(RoleBinding)
        .where(RoleBinding.enrolment_id.in_(enrolments), RoleBinding.suspended_at.is_(None))
        .values(suspended_at=now, suspension_cause="certificate_revoked")
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- sessions ---------------------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    db: Session, user: User, *, method: str, certificate_id: int | None, now: datetime, lifetime: timedelta
) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    db.add(
        AuthSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            method=method,
            certificate_id=certificate_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def principal_for(db: Session, user: User, *, session_id: str | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        entity_id=user.entity_id,
        username=user.username,
        grants=grants_of(db, user.id),
        session_id=session_id,
    )


def authenticate_token(db: Session, token: str, *, now: datetime) -> Principal:
    """The principal of a session token; every request asks, so it is one query: the session, its user, the
    revocation state of the certificate it was opened with, and the user's role grants in force (one row per grant,
    as :func:`~ggzy.entities.service.grants_of` orders them).

    Reading ``certificates.revoked_at`` with the session is the per-request revocation check: a primary-key lookup
    in the same statement, so every process sees a CRL the moment it is committed, with no cache to drop
    (decision 0013; bench/auth_session.py measures it).
    """
    token_hash = _token_hash(token)
    rows = db.execute(
        select(
            AuthSession.ended_at,
            AuthSession.expires_at,
            Certificate.revoked_at,
            User.id,
            User.entity_id,
            User.username,
            User.active,
            User.suspended_at,
            RoleBinding.role,
            RoleBinding.centre_id,
            RoleBinding.region_code,
            RoleBinding.trade_type,
        )
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Certificate, Certificate.id == AuthSession.certificate_id)
        .outerjoin(RoleBinding, (RoleBinding.user_id == User.id) & RoleBinding.suspended_at.is_(None))
        .where(AuthSession.token_hash == token_hash)
        .order_by(RoleBinding.id)
    ).all()
    if not rows:
        raise SessionInvalid()
    first = rows[0]
    if first.revoked_at is not None and as_utc(first.revoked_at) <= now:
        raise SessionCertificateRevoked()
    if first.suspended_at is not None:
        raise UserSuspended()
    if first.ended_at is not None or as_utc(first.expires_at) <= now or not first.active:
        raise SessionInvalid()
    grants = tuple(
        RoleGrant(role=Role(row.role), centre_id=row.centre_id, region_code=row.region_code, trade_type=row.trade_type)
        for row in rows
        if row.role is not None
    )
    return Principal(
        user_id=first.id, entity_id=first.entity_id, username=first.username, grants=grants, session_id=token_hash
    )


SESSION_COOKIE = "ggzy_session"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def authenticate_request(request: Request) -> Principal:
    """The app's authenticator: a bearer token (API) or the session cookie (pages); otherwise a visitor.

    The cookie is the browser's: it logs in pages (whose forms carry a CSRF token, ``ggzy.portal.csrf``) and the
    API's reads (a letter's download); an API write needs the bearer token, so a forged cross-site request to the API
    carries no authority. An ended or expired cookie makes a visitor, not an error: a public page stays readable and
    a workspace asks to log in again; an invalid bearer token is refused (401).
    """
    header = request.headers.get("authorization", "")
    from_cookie = not header.lower().startswith("bearer ")
    token = request.cookies.get(SESSION_COOKIE) if from_cookie else header[7:].strip()
    if from_cookie and request.url.path.startswith("/api/") and request.method not in _SAFE_METHODS:
        token = None
    if not token:
        return ANONYMOUS
    factory = request.app.state.session_factory
    now = request.app.state.clock.now()
    with unit_of_work(factory, read_only=True) as db:
        try:
            return authenticate_token(db, token, now=now)
        except SessionInvalid:
            if from_cookie:
                return ANONYMOUS
            raise


@changes_state("auth.logout", disclosed=False)
def logout(db: Session, actor: Principal, *, now: datetime) -> None:
    if actor.session_id is None:
        raise SessionInvalid()
    session = db.get(AuthSession, actor.session_id)
    if session is None or session.ended_at is not None:
        raise SessionInvalid()
    session.ended_at = now
    db.flush()
    record_event(db, actor, action="auth.logout", subject_type="user", subject_id=session.user_id, payload={}, now=now)


# --- password login ---------------------------------------------------------------------------------------------


@changes_state("auth.password_login", disclosed=False)
def password_login(db: Session, *, username: str, password: str, now: datetime, lifetime: timedelta) -> LoginResult:
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.password_hash is None:
        PASSWORDS.hash(password)  # same work whether or not the user exists
        raise CredentialsInvalid(field="password")
    try:
        PASSWORDS.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as error:
        raise CredentialsInvalid(field="password") from error
    if user.suspended_at is not None:  # said only to whoever knows the password
        raise UserSuspended(field="username")
    if PASSWORDS.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORDS.hash(password)
    token, expires_at = open_session(db, user, method="password", certificate_id=None, now=now, lifetime=lifetime)
    actor = principal_for(db, user)
    record_event(
        db,
        _acting(actor),
        action="auth.password_login",
        subject_type="user",
        subject_id=user.id,
        payload={"username": user.username},
        now=now,
    )
    entity = db.get(Entity, user.entity_id) if user.entity_id else None
    return LoginResult(token=token, expires_at=expires_at, user=user, entity=entity)


def _acting(principal: Principal) -> Principal:
    """The principal acting under its first role (events name the role a user acted in)."""
    roles = sorted(principal.roles, key=list(Role).index)
    return Principal(
        user_id=principal.user_id,
        entity_id=principal.entity_id,
        username=principal.username,
        grants=principal.grants,
        acting_role=roles[0] if roles else Role.VISITOR,
    )


# --- certificate login ------------------------------------------------------------------------------------------


def _decode_signature(signature: str) -> bytes:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SignatureInvalid(field="signature") from error


@changes_state("auth.certificate_login", disclosed=False)
def certificate_login(
    db: Session,
    *,
    nonce: str,
    certificate_pem: str,
    intermediates_pem: list[str],
    signature: str,
    secret: bytes,
    origin: str,
    now: datetime,
    lifetime: timedelta,
) -> LoginResult:
    """``origin`` is the portal's own public origin (:func:`ggzy.core.web.public_origin`), the one the signature must
    name."""
    check_nonce(nonce, secret=secret, now=now)
    certificate = load_certificate(certificate_pem)
    intermediates = [load_certificate(pem) for pem in intermediates_pem]
    anchor = trust_store(db).validate(certificate, at=now, intermediates=intermediates)
    if certificate.credit_code is None:
        raise CertificateWithoutCreditCode(field="certificate_pem")
    certificate.public_key.verify(login_message(nonce, origin), _decode_signature(signature))
    consume_nonce(db, nonce, now=now)

    row = db.scalar(select(Certificate).where(Certificate.fingerprint == certificate.fingerprint))
    if row is None:
        row = _bind_certificate(db, certificate, certificate.credit_code, anchor=anchor.fingerprint, now=now)
    elif row.anchor_fingerprint is None:  # bound before migration 0015: it learns its anchor now
        row.anchor_fingerprint = anchor.fingerprint
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise SessionInvalid()
    if user.suspended_at is not None:
        raise UserSuspended(field="certificate_pem")
    token, expires_at = open_session(db, user, method="certificate", certificate_id=row.id, now=now, lifetime=lifetime)
    record_event(
        db,
        _acting(principal_for(db, user)),
        action="auth.certificate_login",
        subject_type="user",
        subject_id=user.id,
        payload={
            "certificate": certificate.fingerprint,
            "suite": certificate.suite.value,
            "anchor": anchor.fingerprint,
        },
        now=now,
    )
    return LoginResult(token=token, expires_at=expires_at, user=user, entity=db.get(Entity, user.entity_id))


def _bind_certificate(
    db: Session, certificate: X509Certificate, credit_code: str, *, anchor: str, now: datetime
) -> Certificate:
    """A trusted certificate seen for the first time: find (or register) its entity and user, and bind it.

    A renewed certificate (same entity and, for a person, the same person id) from the same trust anchor reaches the
    same user; one from an anchor none of the entity's earlier certificates came from gets a user of its own, with
    only the ``bidder`` binding of a first login: whoever could add an anchor could otherwise mint a certificate
    with any entity's credit code and inherit that entity's roles and enrolments (decision 0013).
    """
    entity = find_entity_by_credit_code(db, credit_code)
    if entity is None:
        entity = register_entity(
            db,
            _certificate_holder(certificate),
            data=EntityIn(
                credit_code=credit_code,
                name=certificate.organization or certificate.common_name,
                kind="enterprise",
            ),
            now=now,
        )
    user = _user_of_earlier_certificate(db, certificate, entity_id=entity.id, anchor=anchor)
    new_user = user is None
    if user is None:
        user = insert_user(
            db,
            username=f"{certificate.kind}-{certificate.fingerprint[:16]}",
            display_name=certificate.common_name,
            entity_id=entity.id,
            password_hash=None,
            now=now,
        )
    row = Certificate(
        fingerprint=certificate.fingerprint,
        suite=certificate.suite.value,
        kind=certificate.kind,
        serial_number=format(certificate.serial_number, "x"),
        issuer=certificate.issuer,
        subject=certificate.subject,
        credit_code=credit_code,
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        certificate_pem=certificate.pem,
        entity_id=entity.id,
        user_id=user.id,
        registered_at=now,
        anchor_fingerprint=anchor,
    )
    db.add(row)
    db.flush()
    if new_user:
        # A market entity's certificate may bid everywhere, on the evidence of this certificate; owner and agent
        # roles the entity enrols itself (decision 0013).
        bind_role(db, user, RoleGrant(role=Role.BIDDER), now, certificate_id=row.id)
        db.flush()
    return row


def _user_of_earlier_certificate(
    db: Session, certificate: X509Certificate, *, entity_id: int, anchor: str
) -> User | None:
    earlier = db.scalars(
        select(Certificate)
        .where(Certificate.entity_id == entity_id, Certificate.kind == certificate.kind)
        .order_by(Certificate.id.desc())
    )
    for row in earlier:
        if certificate_anchor(db, row) != anchor:
            continue
        if certificate.kind == "entity" or load_certificate(row.certificate_pem).person_id == certificate.person_id:
            return db.get(User, row.user_id)
    return None


def certificate_anchor(db: Session, row: Certificate) -> str | None:
    """The fingerprint of the trust anchor ``row`` came from: as recorded when it was bound, or, for a row bound
    before migration 0015 that has not logged in since, the anchor that issued it directly (its intermediates were
    not kept, and ones a client sends now could be cross-certificates of an anchor it never came from); None when
    unknown, which reaches no one."""
    if row.anchor_fingerprint is not None:
        return row.anchor_fingerprint
    try:
        return trust_store(db).anchor_of(load_certificate(row.certificate_pem)).fingerprint
    except CertificateUntrusted:
        return None


def _certificate_holder(certificate: X509Certificate) -> Principal:
    """Who acts when a first login registers an entity: the certificate holder, not yet a user."""
    return Principal(username=certificate.common_name, acting_role=Role.BIDDER)
