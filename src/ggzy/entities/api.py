"""API of the public service platform: login, centres, the entity register, users, the CA trust store."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.inputs import Id, SearchTerm
from ggzy.core.permissions import Permission, PermissionedRoute, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.screening import Intercepted
from ggzy.core.web import DB, Now, Public, accepts_body, public_origin
from ggzy.crypto import (
    CertificateExpired,
    CertificateMalformed,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    RevocationListRejected,
    SignatureInvalid,
)
from ggzy.entities import enrolment, login, relations, service
from ggzy.entities.models import EntityEnrolment, RoleBinding, User
from ggzy.entities.schemas import (
    CentreIn,
    CentreOut,
    CertificateLoginIn,
    EnrolmentEvidenceOut,
    EnrolmentIn,
    EntityIn,
    EntityOut,
    EntityRelationCorrection,
    EntityRelationIn,
    EntityRelationOut,
    EntityRoleOut,
    EntityUpdate,
    EntityUserOut,
    LoginOut,
    NonceOut,
    PasswordLoginIn,
    RevocationListIn,
    RoleGrantIn,
    RoleGrantOut,
    SuspensionIn,
    TrustAnchorIn,
    TrustAnchorOut,
    UserIn,
    UserOut,
)

router = APIRouter(route_class=PermissionedRoute)

LoggedIn = Annotated[Principal, Depends(require(Permission.AUTHENTICATED))]
CentreManager = Annotated[Principal, Depends(require(Permission.CENTRE_MANAGE))]
TrustManager = Annotated[Principal, Depends(require(Permission.TRUST_MANAGE))]
EntityReader = Annotated[Principal, Depends(require(Permission.ENTITY_READ))]
EntityRegistrar = Annotated[Principal, Depends(require(Permission.ENTITY_REGISTER))]
EntitySelf = Annotated[Principal, Depends(require(Permission.ENTITY_UPDATE_OWN))]
UserManager = Annotated[Principal, Depends(require(Permission.USER_MANAGE))]

_CERTIFICATE_PROBLEMS = (
    CertificateUntrusted,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateMalformed,
    SignatureInvalid,
)


def _own_entity(actor: Principal) -> int:
    """The entity the actor acts for; a user of no entity has none to read."""
    if actor.entity_id is None:
        raise NotFound(field="entity_id", what_zh="本单位", what_en="Your entity")
    return actor.entity_id


def _user_out(db: DB, user: User) -> UserOut:
    grants = service.grants_of(db, user.id)
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        entity_id=user.entity_id,
        roles=[RoleGrantOut.model_validate(grant) for grant in grants],
        suspended_at=user.suspended_at,
    )


def _entity_user_out(
    db: DB, user: User, bindings: list[RoleBinding], evidence: EntityEnrolment | None
) -> EntityUserOut:
    return EntityUserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        suspended_at=user.suspended_at,
        roles=[
            EntityRoleOut(
                role=binding.role,
                centre_id=binding.centre_id,
                evidence="enrolment" if binding.enrolment_id else "certificate" if binding.certificate_id else None,
                suspended_at=binding.suspended_at,
                suspension_cause=binding.suspension_cause,
            )
            for binding in bindings
        ],
        enrolment=None
        if evidence is None
        else EnrolmentEvidenceOut(
            id=evidence.id,
            certificate_fingerprint=enrolment.certificate_fingerprint(db, evidence),
            statement=evidence.statement.decode(),
            signature=base64.b64encode(evidence.signature).decode(),
            signed_at=evidence.signed_at,
            enrolled_at=evidence.enrolled_at,
        ),
    )


def _login_out(db: DB, result: login.LoginResult) -> LoginOut:
    return LoginOut(
        token=result.token,
        expires_at=result.expires_at,
        user=_user_out(db, result.user),
        entity=EntityOut.model_validate(result.entity) if result.entity else None,
    )


def _session_lifetime(request: Request) -> timedelta:
    return timedelta(hours=request.app.state.settings.session_hours)


# --- login ------------------------------------------------------------------------------------------------------


@router.post("/auth/nonce", response_model=NonceOut, tags=["auth"], summary="Get a certificate-login challenge")
def get_login_nonce(request: Request, _: Public, now: Now) -> NonceOut:
    settings = request.app.state.settings
    nonce, expires_at = login.issue_nonce(
        secret=request.app.state.secret_key, now=now, lifetime=timedelta(seconds=settings.login_nonce_seconds)
    )
    return NonceOut(
        nonce=nonce, expires_at=expires_at, message=login.login_message(nonce, public_origin(request)).decode()
    )


@router.post(
    "/auth/certificate-login",
    response_model=LoginOut,
    tags=["auth"],
    summary="Log in with a CA certificate (GM or INTL suite)",
    responses=problem_responses(
        login.NonceInvalid,
        login.NonceReplayed,
        login.CertificateWithoutCreditCode,
        *_CERTIFICATE_PROBLEMS,
        Intercepted,  # a listed entity's first login registers it: intercepted (decision 0040)
    ),
)
def certificate_login(request: Request, body: CertificateLoginIn, db: DB, _: Public, now: Now) -> LoginOut:
    result = login.certificate_login(
        db,
        nonce=body.nonce,
        certificate_pem=body.certificate_pem,
        intermediates_pem=body.intermediates_pem,
        signature=body.signature,
        secret=request.app.state.secret_key,
        origin=public_origin(request),
        now=now,
        lifetime=_session_lifetime(request),
    )
    return _login_out(db, result)


@router.post(
    "/auth/password-login",
    response_model=LoginOut,
    tags=["auth"],
    summary="Log in with a password (centre staff, experts, supervisors)",
    responses=problem_responses(login.CredentialsInvalid),
)
def password_login(request: Request, body: PasswordLoginIn, db: DB, _: Public, now: Now) -> LoginOut:
    result = login.password_login(
        db, username=body.username, password=body.password, now=now, lifetime=_session_lifetime(request)
    )
    return _login_out(db, result)


@router.post(
    "/auth/logout",
    status_code=204,
    tags=["auth"],
    responses=problem_responses(login.SessionInvalid),
)
def logout(db: DB, actor: LoggedIn, now: Now) -> None:
    login.logout(db, actor, now=now)


@router.get("/auth/me", response_model=UserOut, tags=["auth"], responses=problem_responses())
def me(db: DB, actor: LoggedIn) -> UserOut:
    user = db.get(User, actor.user_id)
    assert user is not None
    return _user_out(db, user)


# --- centres ----------------------------------------------------------------------------------------------------


@router.get("/centres", response_model=list[CentreOut], tags=["centres"])
def list_centres(db: DB, _: Public) -> list[CentreOut]:
    return [CentreOut.model_validate(centre) for centre in service.list_centres(db)]


@router.post(
    "/centres",
    response_model=CentreOut,
    status_code=201,
    tags=["centres"],
    responses=problem_responses(NotFound, InvalidInput, Conflict),
)
def create_centre(body: CentreIn, db: DB, actor: CentreManager, now: Now) -> CentreOut:
    centre = service.create_centre(
        db, actor, name=body.name, region_code=body.region_code, parent_id=body.parent_id, now=now
    )
    return CentreOut.model_validate(centre)


# --- entity register --------------------------------------------------------------------------------------------


@router.get(
    "/entities",
    response_model=list[EntityOut],
    tags=["entities"],
    responses=problem_responses(),
)
def search_entities(
    db: DB,
    _: EntityReader,
    q: Annotated[SearchTerm | None, Query(max_length=100, description="Name or credit code")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[EntityOut]:
    return [EntityOut.model_validate(entity) for entity in service.search_entities(db, text=q, limit=limit)]


@router.post(
    "/entities",
    response_model=EntityOut,
    status_code=201,
    tags=["entities"],
    responses=problem_responses(InvalidInput, service.EntityAlreadyRegistered, Intercepted),
)
def register_entity(body: EntityIn, db: DB, actor: EntityRegistrar, now: Now) -> EntityOut:
    return EntityOut.model_validate(service.register_entity(db, actor, data=body, now=now))


@router.get(
    "/entities/me",
    response_model=EntityOut,
    tags=["entities"],
    responses=problem_responses(NotFound),
)
def my_entity(db: DB, actor: EntitySelf) -> EntityOut:
    return EntityOut.model_validate(service.get_entity(db, _own_entity(actor)))


@router.patch(
    "/entities/me",
    response_model=EntityOut,
    tags=["entities"],
    responses=problem_responses(NotFound),
)
def update_my_entity(body: EntityUpdate, db: DB, actor: EntitySelf, now: Now) -> EntityOut:
    return EntityOut.model_validate(service.update_own_entity(db, actor, changes=body, now=now))


@router.get(
    "/entities/me/relations",
    response_model=list[EntityRelationOut],
    tags=["entities"],
    summary="The control relations of one's own entity (实施条例 第34条)",
    responses=problem_responses(NotFound),
)
def my_relations(db: DB, actor: EntitySelf) -> list[EntityRelationOut]:
    return [relations.relation_out(row) for row in relations.relations_of(db, _own_entity(actor))]


@router.post(
    "/entities/me/relations",
    response_model=EntityRelationOut,
    status_code=201,
    tags=["entities"],
    summary="Declare a shareholding (控股) or management relation one's entity is a side of",
    responses=problem_responses(InvalidInput, NotFound, relations.RelationToItself, relations.RelationExists),
)
def declare_relation(body: EntityRelationIn, db: DB, actor: EntitySelf, now: Now) -> EntityRelationOut:
    return relations.relation_out(relations.declare_relation(db, actor, data=body, now=now))


@router.get(
    "/entities/me/users",
    response_model=list[EntityUserOut],
    tags=["entities"],
    summary="One's own entity's users, their roles and the evidence the entity gave for them",
    responses=problem_responses(NotFound),
)
def my_users(db: DB, actor: EntitySelf) -> list[EntityUserOut]:
    return [_entity_user_out(db, *row) for row in enrolment.enrolments_of(db, _own_entity(actor))]


@router.post(
    "/entities/me/users",
    response_model=EntityUserOut,
    status_code=201,
    tags=["entities"],
    summary="Enrol a user of one's own entity, signed with the entity's certificate (decision 0013)",
    responses=problem_responses(
        InvalidInput,
        NotFound,
        enrolment.EnrolmentNeedsCertificateSession,
        enrolment.EnrolmentCertificateNotTheEntitys,
        enrolment.EnrolmentChallengeInvalid,
        enrolment.EnrolmentChallengeReplayed,
        enrolment.EnrolmentTimeInvalid,
        enrolment.EnrolmentUserOfAnotherEntity,
        enrolment.EnrolmentNeedsNewPassword,
        enrolment.EnrolmentCertificateOfAnotherAnchor,
        *_CERTIFICATE_PROBLEMS,
    ),
)
def enrol_user(request: Request, body: EnrolmentIn, db: DB, actor: EntitySelf, now: Now) -> EntityUserOut:
    user = enrolment.enrol_user(
        db,
        actor,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=[enrolment.EnrolmentRole(role=item.role, centre_id=item.centre_id) for item in body.roles],
        signed_at=body.signed_at,
        challenge=body.challenge,
        certificate_pem=body.certificate_pem,
        intermediates_pem=body.intermediates_pem,
        signature=body.signature,
        secret=request.app.state.secret_key,
        now=now,
    )
    rows = enrolment.enrolments_of(db, user.entity_id or 0)
    return _entity_user_out(db, *next(row for row in rows if row[0].id == user.id))


@router.post(
    "/entity-relations",
    response_model=EntityRelationOut,
    status_code=201,
    tags=["entities"],
    summary="Record a relation between two entities (centre staff)",
    responses=problem_responses(InvalidInput, NotFound, relations.RelationToItself, relations.RelationExists),
)
def record_relation(body: EntityRelationIn, db: DB, actor: EntityRegistrar, now: Now) -> EntityRelationOut:
    return relations.relation_out(relations.record_relation(db, actor, data=body, now=now))


@router.patch(
    "/entity-relations/{relation_id}",
    response_model=EntityRelationOut,
    tags=["entities"],
    summary="Correct or end a relation (centre staff)",
    responses=problem_responses(InvalidInput, NotFound, Conflict),
)
def correct_relation(
    relation_id: Id, body: EntityRelationCorrection, db: DB, actor: EntityRegistrar, now: Now
) -> EntityRelationOut:
    relation = relations.correct_relation(db, actor, relation_id=relation_id, changes=body, now=now)
    return relations.relation_out(relation)


@router.get(
    "/entities/{entity_id}/relations",
    response_model=list[EntityRelationOut],
    tags=["entities"],
    responses=problem_responses(NotFound),
)
def entity_relations(entity_id: Id, db: DB, _: EntityReader) -> list[EntityRelationOut]:
    return [relations.relation_out(row) for row in relations.relations_of(db, entity_id)]


@router.patch(
    "/entities/{entity_id}",
    response_model=EntityOut,
    tags=["entities"],
    summary="Correct an entity's person in charge or contacts (centre staff)",
    responses=problem_responses(NotFound),
)
def correct_entity(entity_id: Id, body: EntityUpdate, db: DB, actor: EntityRegistrar, now: Now) -> EntityOut:
    return EntityOut.model_validate(service.correct_entity(db, actor, entity_id=entity_id, changes=body, now=now))


@router.get(
    "/entities/{entity_id}",
    response_model=EntityOut,
    tags=["entities"],
    responses=problem_responses(NotFound),
)
def get_entity(entity_id: Id, db: DB, _: EntityReader) -> EntityOut:
    return EntityOut.model_validate(service.get_entity(db, entity_id))


# --- users and roles --------------------------------------------------------------------------------------------


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    tags=["users"],
    summary="Create a user of the platform (staff, experts, supervisors); never a market entity's user",
    responses=problem_responses(InvalidInput, NotFound, service.UsernameTaken, service.EntityRoleNeedsEnrolment),
)
def create_user(body: UserIn, db: DB, actor: UserManager, now: Now) -> UserOut:
    user = service.create_user(
        db,
        actor,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        entity_id=body.entity_id,
        roles=body.roles,
        now=now,
    )
    return _user_out(db, user)


@router.post(
    "/users/{user_id}/roles",
    response_model=UserOut,
    tags=["users"],
    responses=problem_responses(InvalidInput, NotFound, Conflict, service.EntityRoleNeedsEnrolment),
)
def grant_role(user_id: Id, body: RoleGrantIn, db: DB, actor: UserManager, now: Now) -> UserOut:
    return _user_out(db, service.grant_role(db, actor, user_id=user_id, grant=body, now=now))


@router.post(
    "/users/{user_id}/suspension",
    response_model=UserOut,
    tags=["users"],
    summary="Suspend a user an entity enrolled: it cannot log in and its sessions end (centre staff at a centre of its "
    "roles, the administrator anywhere; never a certificate's user)",
    responses=problem_responses(
        InvalidInput,
        NotFound,
        enrolment.UserNotAnEntitysUser,
        enrolment.UserIsACertificateUser,
        enrolment.UserNotEnrolled,
        enrolment.SuspensionOutsideYourCentres,
    ),
)
def suspend_user(user_id: Id, body: SuspensionIn, db: DB, actor: UserManager, now: Now) -> UserOut:
    return _user_out(db, enrolment.suspend_user(db, actor, user_id=user_id, note=body.note, now=now))


@router.delete(
    "/users/{user_id}/suspension",
    response_model=UserOut,
    tags=["users"],
    summary="Lift a suspension staff made (one for want of the entity's evidence only its enrolment lifts)",
    responses=problem_responses(
        InvalidInput,
        NotFound,
        enrolment.UserNotAnEntitysUser,
        enrolment.SuspensionNotLiftable,
        enrolment.SuspensionOutsideYourCentres,
    ),
)
def reinstate_user(user_id: Id, db: DB, actor: UserManager, now: Now) -> UserOut:
    return _user_out(db, enrolment.reinstate_user(db, actor, user_id=user_id, now=now))


# --- trust store ------------------------------------------------------------------------------------------------


@router.get(
    "/trust/anchors",
    response_model=list[TrustAnchorOut],
    tags=["trust"],
    summary="The CA roots the platform recognises (互认)",
)
def list_trust_anchors(db: DB, _: Public) -> list[TrustAnchorOut]:
    return [TrustAnchorOut.model_validate(anchor) for anchor in login.list_trust_anchors(db)]


@router.post(
    "/trust/anchors",
    response_model=TrustAnchorOut,
    status_code=201,
    tags=["trust"],
    responses=problem_responses(CertificateMalformed, login.TrustAnchorExists),
)
def add_trust_anchor(body: TrustAnchorIn, db: DB, actor: TrustManager, now: Now) -> TrustAnchorOut:
    anchor = login.add_trust_anchor(db, actor, certificate_pem=body.certificate_pem, name=body.name, now=now)
    return TrustAnchorOut.model_validate(anchor)


@router.post(
    "/trust/revocation-lists",
    status_code=201,
    tags=["trust"],
    summary="Load a CRL: the sessions of every certificate it revokes end at once (decision 0013)",
    responses=problem_responses(CertificateMalformed, CertificateUntrusted, RevocationListRejected),
)
@accepts_body(megabytes=16)
def add_revocation_list(body: RevocationListIn, db: DB, actor: TrustManager, now: Now) -> dict[str, int]:
    row = login.add_revocation_list(db, actor, crl_pem=body.crl_pem, now=now)
    return {"id": row.id, "anchor_id": row.anchor_id}
