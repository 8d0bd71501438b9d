"""Tables of the public service platform: centres, the entity register, users, roles, certificates, sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.core.db import Base, BigId, UTCDateTime


class Centre(Base):
    """A trading centre (公共资源交易中心); ``parent_id`` builds province → city → county branch."""

    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    level: Mapped[str] = mapped_column(String(16))  # province | city | county
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Entity(Base):
    """A market entity (市场主体) in the entity register: collected once, reused everywhere."""

    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # enterprise | institution | government | ...
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    legal_representative: Mapped[str | None] = mapped_column(String(100))  # completed by the entity
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    # 基本存款账户: a bid deposit in cash or by cheque leaves from it (招标投标法实施条例 第26条 第2款)
    basic_account: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EntityRelation(Base):
    """A control relation between two entities of the register (招标投标法实施条例 第34条: 控股、管理关系).

    ``upper_entity_id`` is the shareholder or the managing unit, ``lower_entity_id`` the entity it holds shares in
    or manages. A shareholding carries its share in basis points (1 = 0.01 %); it is 控股 (control) above half the
    capital or when declared as actual control (``actual_control``: 公司法 第二百六十五条, voting rights enough to
    steer the company). Declared by either entity, recorded or corrected by centre staff (``source``); never deleted,
    only ended (``ended_at``), so that a past opening can be explained with the register as it then was.
    """

    __tablename__ = "entity_relations"
    # One live relation of a kind between two entities; ended ones stay as history.
    __table_args__ = (
        Index(
            "uq_entity_relations_live",
            "kind",
            "upper_entity_id",
            "lower_entity_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # shareholding | management
    upper_entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    lower_entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    share_basis_points: Mapped[int | None] = mapped_column(Integer)  # shareholding only: 1..10000
    actual_control: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(16))  # declared (by an entity) | recorded (by centre staff)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class User(Base):
    """A person who logs in: staff and experts by password, market entities' people by certificate."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Suspended (暂停): cannot log in, its sessions are ended. ``suspension_cause`` is ``staff`` (lifted by staff)
    # or ``no_evidence`` (an entity's user made before enrolment existed: lifted only by the entity's enrolment).
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_cause: Mapped[str | None] = mapped_column(String(16))
    suspension_note: Mapped[str | None] = mapped_column(String(300))


class RoleBinding(Base):
    """A role held by a user, scoped to a centre and, for supervisors, to a region and a trade type."""

    __tablename__ = "role_bindings"
    # One row per scope; COALESCE because NULLs are distinct in a plain unique constraint on both databases.
    __table_args__ = (
        Index(
            "uq_role_bindings_scope",
            "user_id",
            "role",
            func.coalesce(text("centre_id"), 0),
            func.coalesce(text("region_code"), ""),
            func.coalesce(text("trade_type"), ""),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    region_code: Mapped[str | None] = mapped_column(String(6))
    trade_type: Mapped[str | None] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A market entity's role needs evidence that the entity itself gave it (电子签名法 第十三、十四条): the certificate
    # the user logged in with, or the entity's signed enrolment (decision 0013). Without it (or once that certificate
    # is revoked) the binding is suspended: ``no_evidence`` | ``certificate_revoked``; only new evidence lifts it.
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("entity_enrolments.id"), index=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_cause: Mapped[str | None] = mapped_column(String(24))


class TrustAnchor(Base):
    """A CA root the platform recognises (互认): several CAs, both suites, at once."""

    __tablename__ = "trust_anchors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(300))
    suite: Mapped[str] = mapped_column(String(8))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RevocationList(Base):
    """The newest CRL received from a trusted CA."""

    __tablename__ = "revocation_lists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    anchor_id: Mapped[int] = mapped_column(ForeignKey("trust_anchors.id"), index=True)
    crl: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Certificate(Base):
    """A certificate bound to an entity (and to a user for a person certificate or an entity's key)."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    suite: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # entity | person
    serial_number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    certificate_pem: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The trust anchor its chain ended at when it was bound (or, for a row bound before migration 0015, at its next
    # login): a certificate of another anchor never reaches this certificate's user (decision 0013).
    anchor_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Set from a loaded CRL (the revocation date it gives); every request of a session opened with this certificate
    # reads it with the session, so a revocation takes effect at once in every process (decision 0013).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EntityEnrolment(Base):
    """An entity's signed enrolment of one of its users (decision 0013): the evidence kept with the role bindings.

    ``statement`` is the exact canonical JSON the entity signed (its credit code, the user, the roles and their
    scope, the time, a one-time challenge) and ``signature`` the signature over it by ``certificate_id``, a
    certificate of the entity itself; anyone can verify it again from these three.
    """

    __tablename__ = "entity_enrolments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    statement: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    challenge: Mapped[str] = mapped_column(String(128), unique=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginNonce(Base):
    """A one-time challenge for certificate login."""

    __tablename__ = "login_nonces"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthSession(Base):
    """A login session; only the SHA-256 of its bearer token is stored."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # password | certificate
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
