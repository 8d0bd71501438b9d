"""Revocation takes effect at once (decision 0013; 电子签名法 第十五条: compromised signature creation data is no
longer used). Loading a CRL ends every session of a certificate it revokes, in the same transaction and event; every
request of a certificate session reads the certificate's revocation state with the session."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Role
from ggzy.crypto import IssuedCertificate, Suite, current_crl, init_ca, load_private_key_pem, revoke
from ggzy.entities import enrolment
from ggzy.entities.models import RoleBinding, User
from tests.conftest import TEST_NOW
from tests.factories import LOGIN_ORIGIN, certificate_login_body, credit_code, issue, token_for, user_with_role

CRLS = "/api/v1/trust/revocation-lists"


@pytest.fixture
def ca_dir(client: TestClient, db: Session, tmp_path: Path) -> Path:
    """A CA of this test alone (revocations stay here), trusted by the platform."""
    directory = tmp_path / "ca"
    ca = init_ca(directory, suite=Suite.INTL, name="Revocation Test CA", now=TEST_NOW - timedelta(days=2))
    admin = token_for(db, user_with_role(db, Role.PLATFORM_ADMIN))
    assert client.post("/api/v1/trust/anchors", json={"certificate_pem": ca.pem}, headers=admin).status_code == 201
    return directory


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return token_for(db, user_with_role(db, Role.PLATFORM_ADMIN))


def _log_in(client: TestClient, issued: IssuedCertificate) -> dict[str, str]:
    response = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, issued))
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['token']}"}


def _crl_payload(db: Session) -> dict:
    event = db.scalars(select(Event).where(Event.action == "trust.crl_added").order_by(Event.id.desc())).first()
    assert event is not None
    return json.loads(event.payload)


def test_a_session_of_a_certificate_revoked_by_a_loaded_crl_is_refused_on_the_next_request(
    client: TestClient, db: Session, ca_dir: Path, admin: dict[str, str]
) -> None:
    revoked = issue(ca_dir, name="被吊销证书的公司", code=credit_code())
    other = issue(ca_dir, name="证书有效的公司", code=credit_code())
    revoked_session, other_session = _log_in(client, revoked), _log_in(client, other)
    assert client.get("/api/v1/entities/me", headers=revoked_session).status_code == 200
    revoke(ca_dir, revoked.certificate.serial_number, now=TEST_NOW - timedelta(minutes=1))

    loaded = client.post(CRLS, json={"crl_pem": current_crl(ca_dir, now=TEST_NOW).decode()}, headers=admin)

    assert loaded.status_code == 201, loaded.text
    refused = client.get("/api/v1/entities/me", headers=revoked_session)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "session_certificate_revoked"
    assert client.get("/api/v1/entities/me", headers=other_session).status_code == 200
    payload = _crl_payload(db)
    assert payload["certificates_revoked"] == [revoked.certificate.fingerprint]
    assert payload["sessions_ended"] == 1
    # The certificate itself cannot open a new session either.
    again = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, revoked))
    assert (again.status_code, again.json()["code"]) == (401, "certificate_revoked")


def test_a_revocation_dated_after_the_crl_arrives_ends_the_session_at_its_time_on_the_next_request(
    client: TestClient, db: Session, ca_dir: Path, admin: dict[str, str], clock: FixedClock
) -> None:
    """The per-request check: no job and no second CRL is needed for a revocation dated later to take effect."""
    issued = issue(ca_dir, name="稍后吊销的公司", code=credit_code())
    session = _log_in(client, issued)
    revoke(ca_dir, issued.certificate.serial_number, now=TEST_NOW + timedelta(hours=1))
    crl = current_crl(ca_dir, now=TEST_NOW).decode()

    assert client.post(CRLS, json={"crl_pem": crl}, headers=admin).status_code == 201

    assert _crl_payload(db)["sessions_ended"] == 0
    assert client.get("/api/v1/entities/me", headers=session).status_code == 200
    clock.advance(timedelta(hours=1, seconds=1))
    refused = client.get("/api/v1/entities/me", headers=session)
    assert (refused.status_code, refused.json()["code"]) == (401, "session_certificate_revoked")


def test_a_browser_session_of_a_revoked_certificate_becomes_a_visitor(
    client: TestClient, db: Session, ca_dir: Path, admin: dict[str, str]
) -> None:
    issued = issue(ca_dir, name="网页登录的公司", code=credit_code())
    token = _log_in(client, issued)["authorization"].removeprefix("Bearer ")
    revoke(ca_dir, issued.certificate.serial_number, now=TEST_NOW - timedelta(minutes=1))
    assert (
        client.post(CRLS, json={"crl_pem": current_crl(ca_dir, now=TEST_NOW).decode()}, headers=admin).status_code
        == 201
    )

    client.cookies.set("ggzy_session", token)
    response = client.get("/api/v1/auth/me")

    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def _enrol(
    client: TestClient, issued: IssuedCertificate, headers: dict[str, str], *, code: str, password: str | None
) -> None:
    challenge = client.post("/api/v1/auth/nonce").json()["nonce"]
    roles = [enrolment.EnrolmentRole(role=Role.BIDDER)]
    statement = enrolment.enrolment_statement(
        credit_code=code, username="delegate", display_name="经办人", roles=roles, signed_at=TEST_NOW,
        challenge=challenge,
    )  # fmt: skip
    body = {
        "username": "delegate",
        "display_name": "经办人",
        "password": password,
        "roles": [{"role": "bidder"}],
        "signed_at": TEST_NOW.isoformat(),
        "challenge": challenge,
        "certificate_pem": issued.certificate_pem,
        "signature": base64.b64encode(load_private_key_pem(issued.private_key_pem).sign(statement)).decode(),
    }
    response = client.post("/api/v1/entities/me/users", json=body, headers=headers)
    assert response.status_code == 201, response.text


def test_a_user_enrolled_by_a_revoked_certificate_loses_its_roles_until_the_entity_enrols_it_again(
    client: TestClient, db: Session, ca_dir: Path, admin: dict[str, str]
) -> None:
    """The enrolment's evidence no longer holds for new acts once its certificate is revoked: the binding is
    suspended with it; the entity re-enrols with a valid certificate."""
    code = credit_code()
    issued = issue(ca_dir, name="委托经办人的公司", code=code)
    _enrol(client, issued, _log_in(client, issued), code=code, password="correct horse battery")
    credentials = {"username": "delegate", "password": "correct horse battery"}
    delegate = {
        "authorization": f"Bearer {client.post('/api/v1/auth/password-login', json=credentials).json()['token']}"
    }
    assert client.get("/api/v1/entities/me", headers=delegate).status_code == 200
    revoke(ca_dir, issued.certificate.serial_number, now=TEST_NOW - timedelta(minutes=1))

    assert (
        client.post(CRLS, json={"crl_pem": current_crl(ca_dir, now=TEST_NOW).decode()}, headers=admin).status_code
        == 201
    )

    assert _crl_payload(db)["bindings_suspended"] == 1
    refused = client.get("/api/v1/entities/me", headers=delegate)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    binding = db.scalars(
        select(RoleBinding).join(User, User.id == RoleBinding.user_id).where(User.username == "delegate")
    ).one()
    assert binding.suspension_cause == "certificate_revoked"
    renewed = issue(ca_dir, name="委托经办人的公司", code=code)
    _enrol(client, renewed, _log_in(client, renewed), code=code, password=None)
    assert client.get("/api/v1/entities/me", headers=delegate).status_code == 200


def test_ggzy_trust_revoke_ends_the_certificates_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line: ``ggzy trust revoke`` revokes at the CA, publishes the CRL and loads it in one go."""
    from ggzy.cli import app
    from ggzy.config import get_settings
    from ggzy.core.db import make_engine, unit_of_work
    from ggzy.core.migrate import upgrade
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities import login
    from ggzy.wiring import session_factory

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GGZY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        (tmp_path / "var").mkdir()
        engine = make_engine(get_settings().resolved_database_url)
        upgrade(engine)
        ca_dir = tmp_path / "ca"
        ca = init_ca(ca_dir, suite=Suite.INTL, name="CLI Revocation CA", now=TEST_NOW - timedelta(days=2))
        issued = issue(ca_dir, name="命令行吊销的公司", code=credit_code(), now=TEST_NOW - timedelta(days=1))
        secret = b"c" * 32
        factory = session_factory(engine)
        from ggzy.core.clock import SystemClock

        now = SystemClock().now()
        with unit_of_work(factory) as db:
            login.add_trust_anchor(db, SYSTEM, certificate_pem=ca.pem, name=None, now=now)
            nonce, _ = login.issue_nonce(secret=secret, now=now, lifetime=timedelta(minutes=1))
            signature = load_private_key_pem(issued.private_key_pem).sign(login.login_message(nonce, LOGIN_ORIGIN))
            token = login.certificate_login(
                db, origin=LOGIN_ORIGIN, nonce=nonce, certificate_pem=issued.certificate_pem, intermediates_pem=[],
                signature=base64.b64encode(signature).decode(), secret=secret, now=now, lifetime=timedelta(hours=8),
            ).token  # fmt: skip

        result = CliRunner().invoke(
            app, ["trust", "revoke", "--dir", str(ca_dir), "--serial", str(issued.certificate.serial_number)]
        )

        assert result.exit_code == 0, result.output
        assert "1 session(s) ended" in " ".join(result.output.split())
        with unit_of_work(factory, read_only=True) as db, pytest.raises(login.SessionCertificateRevoked):
            login.authenticate_token(db, token, now=SystemClock().now())
        engine.dispose()
    finally:
        get_settings.cache_clear()
