"""Only an entity acts for itself (decision 0013; 电子签名法 第十三条、第十四条, 招标投标法 第二十二条).

A market entity's user exists only by the entity's certificate login or its signed enrolment, kept as evidence;
centre staff and the administrator may suspend such a user, never create, grant or rebind one.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Role
from ggzy.crypto import IssuedCertificate, current_crl, load_certificate, load_private_key_pem, revoke
from ggzy.entities import enrolment, login
from ggzy.entities.models import EntityEnrolment, RoleBinding, User
from ggzy.entities.schemas import RoleGrantIn
from tests.conftest import TEST_NOW
from tests.factories import (
    certificate_login_body,
    credit_code,
    issue,
    make_centres,
    make_published_tender,
    make_user,
    token_for,
    user_with_role,
)

USERS = "/api/v1/users"
MY_USERS = "/api/v1/entities/me/users"


def _counts(db: Session) -> tuple[int, ...]:
    """Users, role bindings, enrolments and events: what a refused request must leave as it found."""
    return tuple(
        db.scalar(select(func.count()).select_from(model)) or 0 for model in (User, RoleBinding, EntityEnrolment, Event)
    )


def _certificate_session(client: TestClient, issued: IssuedCertificate) -> dict[str, str]:
    response = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, issued))
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['token']}"}


def _enrolment_body(
    client: TestClient,
    issued: IssuedCertificate,
    *,
    code: str,
    username: str = "zhang-san",
    roles: list[dict[str, object]] | None = None,
    password: str | None = "correct horse battery",
    signer: IssuedCertificate | None = None,
    sign_username: str | None = None,
) -> dict[str, object]:
    """An enrolment signed as ``ggzy bid enrol-user`` signs it (``signer`` and ``sign_username`` to forge one)."""
    roles = roles or [{"role": "bidder", "centre_id": None}]
    challenge = client.post("/api/v1/auth/nonce").json()["nonce"]
    statement = enrolment.enrolment_statement(
        credit_code=code,
        username=sign_username or username,
        display_name="张三",
        roles=[enrolment.EnrolmentRole(role=Role(r["role"]), centre_id=r["centre_id"]) for r in roles],  # type: ignore[arg-type]
        signed_at=TEST_NOW,
        challenge=challenge,
    )
    key = load_private_key_pem((signer or issued).private_key_pem)
    return {
        "username": username,
        "display_name": "张三",
        "password": password,
        "roles": roles,
        "signed_at": TEST_NOW.isoformat(),
        "challenge": challenge,
        "certificate_pem": (signer or issued).certificate_pem,
        "signature": base64.b64encode(key.sign(statement)).decode(),
    }


@pytest.fixture
def entity(client: TestClient, trusted: dict[str, int], gm_ca: Path) -> dict[str, object]:
    """An entity logged in with its own GM certificate."""
    code = credit_code()
    issued = issue(gm_ca, name="昆明登记测试有限公司", code=code)
    return {"code": code, "issued": issued, "headers": _certificate_session(client, issued)}


# --- staff and the administrator --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [Role.CENTRE_STAFF, Role.PLATFORM_ADMIN])
@pytest.mark.parametrize("shape", ["bound-to-an-entity", "bidder-role", "owner-role-at-the-centre", "institution-role"])
def test_staff_and_the_administrator_cannot_create_a_market_entitys_user(
    client: TestClient, db: Session, who: Role, shape: str
) -> None:
    """电子签名法 第十三条: a user staff made for a bidder would act (and sign) in the bidder's name."""
    actor = user_with_role(db, who)
    centre_id = next(iter(g.centre_id for g in login.principal_for(db, actor).grants if g.centre_id), None)
    entity_id = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)]).entity_id
    body: dict[str, object] = {"username": "by-fiat", "display_name": "代建用户", "password": "correct horse battery"}
    body |= {
        "bound-to-an-entity": {"entity_id": entity_id, "roles": []},
        "bidder-role": {"roles": [{"role": "bidder"}]},
        "owner-role-at-the-centre": {"roles": [{"role": "owner", "centre_id": centre_id}]},
        "institution-role": {"roles": [{"role": "institution"}]},
    }[shape]
    headers = token_for(db, actor)
    before = _counts(db)

    response = client.post(USERS, json=body, headers=headers)

    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "entity_role_needs_enrolment"
    assert "暂停" in problem["message_zh"]
    assert "suspend" in problem["message_en"]
    assert _counts(db) == before
    assert db.scalar(select(User.id).where(User.username == "by-fiat")) is None


@pytest.mark.parametrize("who", [Role.CENTRE_STAFF, Role.PLATFORM_ADMIN])
def test_staff_cannot_grant_an_entity_role_nor_rebind_an_entitys_user(
    client: TestClient, db: Session, who: Role
) -> None:
    actor = user_with_role(db, who)
    headers = token_for(db, actor)
    expert = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)])
    bidder = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)])
    before = _counts(db)

    to_the_expert = client.post(f"{USERS}/{expert.id}/roles", json={"role": "bidder"}, headers=headers)
    to_the_bidder = client.post(f"{USERS}/{bidder.id}/roles", json={"role": "expert"}, headers=headers)

    assert (to_the_expert.status_code, to_the_expert.json()["code"]) == (403, "entity_role_needs_enrolment")
    assert (to_the_bidder.status_code, to_the_bidder.json()["code"]) == (403, "entity_role_needs_enrolment")
    assert _counts(db) == before


# --- the entity enrols ------------------------------------------------------------------------------------------


def test_an_entity_enrols_its_user_by_signing_with_its_certificate_and_the_evidence_is_kept(
    client: TestClient, db: Session, entity: dict
) -> None:
    body = _enrolment_body(client, entity["issued"], code=entity["code"])

    response = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert response.status_code == 201, response.text
    enrolled = response.json()
    assert enrolled["username"] == "zhang-san"
    assert enrolled["roles"] == [
        {"role": "bidder", "centre_id": None, "evidence": "enrolment", "suspended_at": None, "suspension_cause": None}
    ]
    evidence = enrolled["enrolment"]
    assert evidence["certificate_fingerprint"] == entity["issued"].certificate.fingerprint
    # The evidence verifies again from what is kept: the statement, the signature and the certificate.
    row = db.get(EntityEnrolment, evidence["id"])
    assert row is not None
    assert row.statement == evidence["statement"].encode()
    kept = load_certificate(entity["issued"].certificate_pem)
    kept.public_key.verify(row.statement, row.signature)
    assert entity["code"] in evidence["statement"]
    assert '"username":"zhang-san"' in evidence["statement"]
    assert "correct horse battery" not in evidence["statement"]
    event = db.scalars(select(Event).where(Event.action == "user.enrolled")).one()
    assert (event.subject_id, event.actor_role) == (str(enrolled["id"]), "bidder")
    listed = client.get(MY_USERS, headers=entity["headers"]).json()
    assert "zhang-san" in [user["username"] for user in listed]


def test_a_correctly_enrolled_user_acts_for_its_entity(client: TestClient, db: Session, entity: dict) -> None:
    tender, _ = make_published_tender(db)
    db.commit()
    body = _enrolment_body(client, entity["issued"], code=entity["code"])
    assert client.post(MY_USERS, json=body, headers=entity["headers"]).status_code == 201

    logged_in = client.post(
        "/api/v1/auth/password-login", json={"username": "zhang-san", "password": "correct horse battery"}
    )
    assert logged_in.status_code == 200, logged_in.text
    headers = {"authorization": f"Bearer {logged_in.json()['token']}"}
    mine = client.get("/api/v1/entities/me", headers=headers)
    registered = client.post(f"/api/v1/tenders/{tender.id}/registrations", headers=headers)

    assert mine.status_code == 200
    assert mine.json()["credit_code"] == entity["code"]
    assert registered.status_code == 201, registered.text


def test_an_entity_gives_its_own_certificate_user_the_owner_role_at_a_centre(
    client: TestClient, db: Session, entity: dict
) -> None:
    city = make_centres(db)["city"].id
    db.commit()
    me = client.get("/api/v1/auth/me", headers=entity["headers"]).json()
    roles = [{"role": "owner", "centre_id": city}]
    body = _enrolment_body(client, entity["issued"], code=entity["code"], username=me["username"], roles=roles)
    body["display_name"] = me["display_name"]
    body["password"] = None
    # display_name is signed: sign again with the user's own name
    challenge = body["challenge"]
    statement = enrolment.enrolment_statement(
        credit_code=entity["code"], username=me["username"], display_name=me["display_name"],
        roles=[enrolment.EnrolmentRole(role=Role.OWNER, centre_id=city)], signed_at=TEST_NOW, challenge=challenge,  # type: ignore[arg-type]
    )  # fmt: skip
    key = load_private_key_pem(entity["issued"].private_key_pem)
    body["signature"] = base64.b64encode(key.sign(statement)).decode()

    response = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert response.status_code == 201, response.text
    assert {(r["role"], r["centre_id"], r["evidence"]) for r in response.json()["roles"]} == {
        ("bidder", None, "certificate"),
        ("owner", city, "enrolment"),
    }
    again = client.get("/api/v1/auth/me", headers=entity["headers"]).json()
    assert {"role": "owner", "centre_id": city, "region_code": None, "trade_type": None} in again["roles"]


# --- refused enrolments leave nothing ---------------------------------------------------------------------------


def test_an_enrolment_with_a_bad_signature_is_refused_leaving_nothing(
    client: TestClient, db: Session, entity: dict
) -> None:
    # Signed for another user than the one asked for: the statement the server rebuilds does not verify.
    body = _enrolment_body(client, entity["issued"], code=entity["code"], sign_username="li-si")
    before = _counts(db)

    response = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert (response.status_code, response.json()["code"]) == (401, "signature_invalid")
    assert _counts(db) == before


def test_an_enrolment_signed_with_another_entitys_certificate_is_refused_leaving_nothing(
    client: TestClient, db: Session, entity: dict, gm_ca: Path
) -> None:
    other_code = credit_code()
    other = issue(gm_ca, name="另一家公司", code=other_code)
    _certificate_session(client, other)  # the other entity's certificate is registered too
    body = _enrolment_body(client, entity["issued"], code=entity["code"], signer=other)
    before = _counts(db)

    response = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert (response.status_code, response.json()["code"]) == (403, "enrolment_certificate_not_the_entitys")
    assert _counts(db) == before


def test_an_enrolment_signed_with_a_revoked_certificate_is_refused_leaving_nothing(
    client: TestClient, db: Session, entity: dict, tmp_path: Path
) -> None:
    """电子签名法 第十五条: a revoked certificate's key signs nothing new. The entity holds two certificates (of its
    own CA here, so that revoking one touches no other test); the revoked one signs."""
    from ggzy.crypto import Suite, init_ca

    ca_dir = tmp_path / "ca"
    ca = init_ca(ca_dir, suite=Suite.INTL, name="Enrolment Revocation CA", now=TEST_NOW - timedelta(days=2))
    login.add_trust_anchor(db, SYSTEM, certificate_pem=ca.pem, name=None, now=TEST_NOW)
    db.commit()
    second = issue(ca_dir, name="昆明登记测试有限公司", code=entity["code"])
    _certificate_session(client, second)
    revoke(ca_dir, second.certificate.serial_number, now=TEST_NOW - timedelta(minutes=5))
    login.add_revocation_list(db, SYSTEM, crl_pem=current_crl(ca_dir, now=TEST_NOW).decode(), now=TEST_NOW)
    db.commit()
    body = _enrolment_body(client, entity["issued"], code=entity["code"], signer=second)
    before = _counts(db)

    response = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert (response.status_code, response.json()["code"]) == (401, "certificate_revoked")
    assert _counts(db) == before


def test_a_replayed_enrolment_challenge_is_refused_leaving_nothing(
    client: TestClient, db: Session, entity: dict
) -> None:
    body = _enrolment_body(client, entity["issued"], code=entity["code"])
    assert client.post(MY_USERS, json=body, headers=entity["headers"]).status_code == 201
    before = _counts(db)

    replayed = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert (replayed.status_code, replayed.json()["code"]) == (409, "enrolment_challenge_replayed")
    assert _counts(db) == before


def test_an_expired_enrolment_challenge_is_refused_leaving_nothing(
    client: TestClient, db: Session, entity: dict, clock: FixedClock
) -> None:
    body = _enrolment_body(client, entity["issued"], code=entity["code"])
    clock.advance(timedelta(minutes=6))
    body["signed_at"] = clock.now().isoformat()  # the statement's time no longer matches either
    before = _counts(db)

    response = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert response.status_code in (401, 422)
    assert response.json()["code"] in ("enrolment_challenge_invalid", "signature_invalid")
    assert _counts(db) == before


def test_only_a_session_of_the_entitys_certificate_enrols(client: TestClient, db: Session, entity: dict) -> None:
    """An enrolled user (a password session) cannot enrol others: only the certificate's holder delegates."""
    assert (
        client.post(
            MY_USERS, json=_enrolment_body(client, entity["issued"], code=entity["code"]), headers=entity["headers"]
        ).status_code
        == 201
    )
    logged_in = client.post(
        "/api/v1/auth/password-login", json={"username": "zhang-san", "password": "correct horse battery"}
    )
    headers = {"authorization": f"Bearer {logged_in.json()['token']}"}
    body = _enrolment_body(client, entity["issued"], code=entity["code"], username="wang-wu")
    before = _counts(db)

    response = client.post(MY_USERS, json=body, headers=headers)

    assert (response.status_code, response.json()["code"]) == (403, "enrolment_needs_certificate_session")
    assert _counts(db) == before


def test_an_entity_cannot_enrol_another_entitys_user(client: TestClient, db: Session, entity: dict) -> None:
    stranger = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], username="someone-else", password="x" * 12)
    db.commit()
    body = _enrolment_body(client, entity["issued"], code=entity["code"], username=stranger.username, password=None)
    before = _counts(db)

    response = client.post(MY_USERS, json=body, headers=entity["headers"])

    assert (response.status_code, response.json()["code"]) == (409, "enrolment_user_of_another_entity")
    assert _counts(db) == before


# --- suspension -------------------------------------------------------------------------------------------------


def test_a_suspended_user_cannot_log_in_and_its_open_sessions_end(
    client: TestClient, db: Session, entity: dict
) -> None:
    city = make_centres(db)["city"].id
    staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF, centre_id=city))
    roles = [{"role": "agent", "centre_id": city}]
    assert (
        client.post(
            MY_USERS,
            json=_enrolment_body(client, entity["issued"], code=entity["code"], roles=roles),
            headers=entity["headers"],
        ).status_code
        == 201
    )
    credentials = {"username": "zhang-san", "password": "correct horse battery"}
    token = client.post("/api/v1/auth/password-login", json=credentials).json()["token"]
    headers = {"authorization": f"Bearer {token}"}
    assert client.get("/api/v1/entities/me", headers=headers).status_code == 200
    user_id = db.scalar(select(User.id).where(User.username == "zhang-san"))

    suspended = client.post(f"{USERS}/{user_id}/suspension", json={"note": "单位报告账户被盗用"}, headers=staff)

    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["suspended_at"] is not None
    refused = client.get("/api/v1/entities/me", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (401, "user_suspended")
    assert refused.headers["content-type"] == "application/problem+json"
    login_refused = client.post("/api/v1/auth/password-login", json=credentials)
    assert (login_refused.status_code, login_refused.json()["code"]) == (401, "user_suspended")
    assert event_payload(db, "user.suspended")["sessions_ended"] == 1

    reinstated = client.delete(f"{USERS}/{user_id}/suspension", headers=staff)

    assert reinstated.status_code == 200
    assert reinstated.json()["suspended_at"] is None
    again = client.post("/api/v1/auth/password-login", json=credentials)
    assert again.status_code == 200, again.text
    assert (
        client.get("/api/v1/entities/me", headers={"authorization": f"Bearer {again.json()['token']}"}).status_code
        == 200
    )


@pytest.mark.parametrize("who", [Role.CENTRE_STAFF, Role.PLATFORM_ADMIN])
def test_no_one_at_a_centre_suspends_an_entitys_certificate_user_only_its_ca_revokes_it(
    client: TestClient, db: Session, entity: dict, who: Role
) -> None:
    """电子签名法 第十五条: the certificate is the entity's own means to act; its CA ends it by a revocation (whose CRL
    ends its sessions at once), no staff member or administrator locks the entity out of it."""
    me = client.get("/api/v1/auth/me", headers=entity["headers"]).json()
    actor = token_for(db, user_with_role(db, who))
    before = _counts(db)

    refused = client.post(f"{USERS}/{me['id']}/suspension", json={"note": "竞争对手"}, headers=actor)

    assert (refused.status_code, refused.json()["code"]) == (409, "user_is_a_certificate_user")
    assert "吊销" in refused.json()["message_zh"]
    assert "revokes" in refused.json()["message_en"]
    assert _counts(db) == before
    assert client.get("/api/v1/auth/me", headers=entity["headers"]).status_code == 200
    again = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, entity["issued"]))
    assert again.status_code == 200, again.text


def test_staff_suspend_an_enrolled_user_only_at_a_centre_of_its_roles_the_administrator_anywhere(
    client: TestClient, db: Session, entity: dict
) -> None:
    centres = make_centres(db)
    city, other_city = centres["city"].id, centres["other_city"].id
    roles = [{"role": "agent", "centre_id": city}, {"role": "bidder", "centre_id": None}]
    body = _enrolment_body(client, entity["issued"], code=entity["code"], roles=roles)
    assert client.post(MY_USERS, json=body, headers=entity["headers"]).status_code == 201
    user_id = db.scalar(select(User.id).where(User.username == "zhang-san"))
    elsewhere = token_for(db, user_with_role(db, Role.CENTRE_STAFF, centre_id=other_city))
    at_its_centre = token_for(db, user_with_role(db, Role.CENTRE_STAFF, centre_id=city))
    admin = token_for(db, user_with_role(db, Role.PLATFORM_ADMIN))
    before = _counts(db)

    refused = client.post(f"{USERS}/{user_id}/suspension", json={"note": "竞争对手"}, headers=elsewhere)

    assert (refused.status_code, refused.json()["code"]) == (403, "suspension_outside_your_centres")
    assert refused.json()["message_zh"]
    assert refused.json()["message_en"]
    assert _counts(db) == before
    assert db.scalar(select(User.suspended_at).where(User.id == user_id)) is None
    suspended = client.post(f"{USERS}/{user_id}/suspension", json={"note": "核查"}, headers=at_its_centre)
    assert suspended.status_code == 200, suspended.text
    not_lifted = client.delete(f"{USERS}/{user_id}/suspension", headers=elsewhere)
    assert (not_lifted.status_code, not_lifted.json()["code"]) == (403, "suspension_outside_your_centres")
    assert client.delete(f"{USERS}/{user_id}/suspension", headers=admin).status_code == 200
    assert client.post(f"{USERS}/{user_id}/suspension", json={"note": "核查"}, headers=admin).status_code == 200


def test_staff_suspend_only_an_entitys_users(client: TestClient, db: Session) -> None:
    expert = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT)])
    staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF))
    before = _counts(db)

    response = client.post(f"{USERS}/{expert.id}/suspension", json={"note": "试图暂停专家"}, headers=staff)

    assert (response.status_code, response.json()["code"]) == (409, "user_not_an_entitys_user")
    assert _counts(db) == before


def test_a_suspension_for_want_of_evidence_is_lifted_only_by_the_entitys_enrolment(
    client: TestClient, db: Session, entity: dict
) -> None:
    assert (
        client.post(
            MY_USERS, json=_enrolment_body(client, entity["issued"], code=entity["code"]), headers=entity["headers"]
        ).status_code
        == 201
    )
    user = db.scalars(select(User).where(User.username == "zhang-san")).one()
    user.suspended_at, user.suspension_cause = TEST_NOW, "no_evidence"  # as migration 0012 leaves a staff-made user
    db.commit()
    staff = token_for(db, user_with_role(db, Role.CENTRE_STAFF))
    before = _counts(db)

    refused = client.delete(f"{USERS}/{user.id}/suspension", headers=staff)

    assert (refused.status_code, refused.json()["code"]) == (409, "suspension_not_liftable")
    assert _counts(db) == before
    body = _enrolment_body(client, entity["issued"], code=entity["code"], password="the entity's own secret")
    assert client.post(MY_USERS, json=body, headers=entity["headers"]).status_code == 201
    db.refresh(user)
    assert user.suspended_at is None
    logged_in = client.post(
        "/api/v1/auth/password-login", json={"username": "zhang-san", "password": "the entity's own secret"}
    )
    assert logged_in.status_code == 200, logged_in.text


def _staff_made_user(db: Session, entity: dict, *, password: str) -> User:
    """What migration 0012 leaves of a password user staff made for the entity before decision 0013."""
    from ggzy.entities.models import Entity
    from ggzy.entities.service import PASSWORDS

    entity_id = db.scalar(select(Entity.id).where(Entity.credit_code == entity["code"]))
    user = User(username="staff-made", display_name="代建用户", entity_id=entity_id, active=True,
                password_hash=PASSWORDS.hash(password), created_at=TEST_NOW, suspended_at=TEST_NOW,
                suspension_cause="no_evidence")  # fmt: skip
    db.add(user)
    db.commit()
    return user


def test_enrolling_a_staff_made_user_needs_a_new_password_and_the_one_staff_set_stops_working(
    client: TestClient, db: Session, entity: dict
) -> None:
    """电子签名法 第十三条: what acts for the entity must be under its sole control; a password staff set is not."""
    user = _staff_made_user(db, entity, password="staff knows it")
    before = _counts(db)

    without = _enrolment_body(client, entity["issued"], code=entity["code"], username="staff-made", password=None)
    refused = client.post(MY_USERS, json=without, headers=entity["headers"])

    assert (refused.status_code, refused.json()["code"]) == (422, "enrolment_needs_new_password")
    assert "新密码" in refused.json()["message_zh"]
    assert "new password" in refused.json()["message_en"]
    assert _counts(db) == before
    db.refresh(user)
    assert user.suspension_cause == "no_evidence"
    body = _enrolment_body(client, entity["issued"], code=entity["code"], username="staff-made",
                           password="only the entity knows")  # fmt: skip
    assert client.post(MY_USERS, json=body, headers=entity["headers"]).status_code == 201, "enrolled"
    old = client.post("/api/v1/auth/password-login", json={"username": "staff-made", "password": "staff knows it"})
    assert (old.status_code, old.json()["code"]) == (401, "credentials_invalid")
    new = client.post(
        "/api/v1/auth/password-login", json={"username": "staff-made", "password": "only the entity knows"}
    )
    assert new.status_code == 200, new.text
    assert event_payload(db, "user.enrolled")["password_replaced"] is True


# --- a certificate from a newly trusted CA ----------------------------------------------------------------------


def _enrol_owner_role_for_own_certificate_user(client: TestClient, entity: dict, centre_id: int) -> dict:
    me = client.get("/api/v1/auth/me", headers=entity["headers"]).json()
    challenge = client.post("/api/v1/auth/nonce").json()["nonce"]
    roles = [enrolment.EnrolmentRole(role=Role.OWNER, centre_id=centre_id)]
    statement = enrolment.enrolment_statement(
        credit_code=entity["code"], username=me["username"], display_name=me["display_name"], roles=roles,
        signed_at=TEST_NOW, challenge=challenge,
    )  # fmt: skip
    key = load_private_key_pem(entity["issued"].private_key_pem)
    body = {
        "username": me["username"], "display_name": me["display_name"], "password": None,
        "roles": [{"role": "owner", "centre_id": centre_id}], "signed_at": TEST_NOW.isoformat(),
        "challenge": challenge, "certificate_pem": entity["issued"].certificate_pem,
        "signature": base64.b64encode(key.sign(statement)).decode(),
    }  # fmt: skip
    response = client.post(MY_USERS, json=body, headers=entity["headers"])
    assert response.status_code == 201, response.text
    return me


def test_a_certificate_from_a_newly_trusted_ca_gets_a_user_of_its_own_and_inherits_no_role_nor_user(
    client: TestClient, db: Session, entity: dict, tmp_path: Path
) -> None:
    """电子签名法 第十三条: an administrator who adds a CA of its own to the trust store and issues a certificate with
    a bidder's credit code must not become the bidder's existing user, with its roles and the users it enrolled."""
    from ggzy.core.events import UNDISCLOSED_ACTIONS
    from ggzy.crypto import Suite, init_ca

    city = make_centres(db)["city"].id
    db.commit()
    owner = _enrol_owner_role_for_own_certificate_user(client, entity, city)
    body = _enrolment_body(client, entity["issued"], code=entity["code"], username="zhang-san")
    assert client.post(MY_USERS, json=body, headers=entity["headers"]).status_code == 201
    admin = token_for(db, user_with_role(db, Role.PLATFORM_ADMIN))
    rogue = tmp_path / "rogue-ca"
    init_ca(rogue, suite=Suite.GM, name="某CA", now=TEST_NOW - timedelta(days=3))
    added = client.post(
        "/api/v1/trust/anchors", json={"certificate_pem": (rogue / "ca.pem").read_text()}, headers=admin
    )
    assert added.status_code == 201, added.text
    rogue_fingerprint = load_certificate((rogue / "ca.pem").read_text()).fingerprint
    assert "trust.anchor_added" not in UNDISCLOSED_ACTIONS  # the addition is public in the ledger
    assert event_payload(db, "trust.anchor_added")["fingerprint"] == rogue_fingerprint
    forged = issue(rogue, name="昆明登记测试有限公司", code=entity["code"])

    headers = _certificate_session(client, forged)

    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["id"] != owner["id"]
    assert [(r["role"], r["centre_id"]) for r in me["roles"]] == [("bidder", None)]  # what a first login gives
    assert event_payload(db, "auth.certificate_login")["anchor"] == rogue_fingerprint
    original = client.get("/api/v1/auth/me", headers=entity["headers"]).json()
    assert {(r["role"], r["centre_id"]) for r in original["roles"]} == {("bidder", None), ("owner", city)}
    # ...and it cannot take over a user the entity enrolled with its own certificate
    before = _counts(db)
    again = _enrolment_body(client, forged, code=entity["code"], username="zhang-san", password=None,
                            roles=[{"role": "owner", "centre_id": city}])  # fmt: skip
    refused = client.post(MY_USERS, json=again, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "enrolment_certificate_of_another_anchor")
    assert "新的用户名" in refused.json()["message_zh"]
    assert "new user name" in refused.json()["message_en"]
    assert _counts(db) == before


def test_a_renewed_certificate_from_the_same_ca_keeps_the_entitys_roles(
    client: TestClient, db: Session, entity: dict, gm_ca: Path
) -> None:
    city = make_centres(db)["city"].id
    db.commit()
    owner = _enrol_owner_role_for_own_certificate_user(client, entity, city)
    renewed = issue(gm_ca, name="昆明登记测试有限公司", code=entity["code"])

    me = client.get("/api/v1/auth/me", headers=_certificate_session(client, renewed)).json()

    assert me["id"] == owner["id"]
    assert {(r["role"], r["centre_id"]) for r in me["roles"]} == {("bidder", None), ("owner", city)}


def event_payload(db: Session, action: str) -> dict:
    import json

    event = db.scalars(select(Event).where(Event.action == action).order_by(Event.id.desc())).first()
    assert event is not None
    return json.loads(event.payload)


def test_the_enrolment_statement_is_canonical_and_names_every_scope() -> None:
    statement = enrolment.enrolment_statement(
        credit_code="91530100MA6K0000XX",
        username="zhang-san",
        display_name="张三",
        roles=[enrolment.EnrolmentRole(Role.OWNER, 7), enrolment.EnrolmentRole(Role.BIDDER)],
        signed_at=datetime(2026, 5, 1, 10, 0, tzinfo=UTC),
        challenge="abc.1.def",
    )
    assert (
        statement
        == (
            '{"challenge":"abc.1.def","credit_code":"91530100MA6K0000XX","purpose":"ggzy-enrolment/1",'
            '"roles":[{"centre_id":null,"role":"bidder"},{"centre_id":7,"role":"owner"}],'
            '"signed_at":"2026-05-01T10:00:00+00:00","user":{"display_name":"张三","username":"zhang-san"}}'
        ).encode()
    )


class _AppTransport:
    """``ggzy bid enrol-user``'s transport over the TestClient: the real application answers, in process."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def request(self, method: str, url: str, *, headers=None, body=None):  # type: ignore[no-untyped-def]
        from ggzy.bidclient import HttpResponse

        response = self.client.request(method, url, headers=dict(headers or {}), content=body)
        return HttpResponse(response.status_code, dict(response.headers), response.content)


def test_ggzy_bid_enrol_user_signs_with_the_key_file_and_the_platform_keeps_the_evidence(
    client: TestClient, db: Session, entity: dict, tmp_path: Path, clock: FixedClock
) -> None:
    from typer.testing import CliRunner

    from ggzy.bidclient_cli import bid_app

    city = make_centres(db)["city"].id
    db.commit()
    certificate, key = tmp_path / "entity.pem", tmp_path / "entity-key.pem"
    certificate.write_text(entity["issued"].certificate_pem)
    key.write_text(entity["issued"].private_key_pem)
    token = entity["headers"]["authorization"].removeprefix("Bearer ")
    args = ["enrol-user", "--api", "http://testserver/api/v1", "--cert", str(certificate), "--key", str(key)]
    args += ["--username", "li-si", "--name", "李四", "--role", f"agent@{city}", "--role", "bidder"]
    args += ["--token", token]

    result = CliRunner().invoke(
        bid_app, args, input="correct horse battery\ncorrect horse battery\n",
        obj={"transport": _AppTransport(client), "clock": clock},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "li-si" in result.output
    user = db.scalars(select(User).where(User.username == "li-si")).one()
    held = db.scalars(select(RoleBinding).where(RoleBinding.user_id == user.id)).all()
    assert {(b.role, b.centre_id) for b in held} == {("agent", city), ("bidder", None)}
    assert all(b.enrolment_id is not None for b in held)
    assert "correct horse battery" not in result.output  # the prompt is hidden
    logged_in = client.post(
        "/api/v1/auth/password-login", json={"username": "li-si", "password": "correct horse battery"}
    )
    assert logged_in.status_code == 200, logged_in.text
    refused = CliRunner().invoke(
        bid_app, [*args[:-2], "--token", "not-a-session", "--password-stdin"], input="correct horse battery\n",
        obj={"transport": _AppTransport(client), "clock": clock},
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "session_invalid" in refused.output


def test_ggzy_bid_enrol_user_takes_no_password_on_the_command_line(tmp_path: Path) -> None:
    """A command line is seen by every user of the computer (ps) and kept in the shell's history."""
    from typer.testing import CliRunner

    from ggzy.bidclient_cli import bid_app

    args = ["enrol-user", "--api", "http://127.0.0.1:9/api/v1", "--cert", str(tmp_path / "c.pem"), "--key",
            str(tmp_path / "k.pem"), "--username", "li-si", "--name", "李四", "--role", "bidder", "--token", "t",
            "--password", "correct horse battery"]  # fmt: skip

    result = CliRunner().invoke(bid_app, args, env={"GGZY_NEW_PASSWORD": "correct horse battery"})

    assert result.exit_code == 2  # a usage error: no such option
    assert "--password" in result.output
