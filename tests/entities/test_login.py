"""Certificate login across CAs of both suites (互认), and password login for staff.

电子签名法 第13条: a reliable electronic signature is one whose creation data belongs to the signer alone and whose
certificate a lawful CA issued; the platform accepts a certificate only through a CA in its trust store, valid and
unrevoked at the moment of login, and a signature made over the server's fresh challenge.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.config import Settings
from ggzy.core.clock import FixedClock
from ggzy.core.permissions import Role
from ggzy.crypto import current_crl, load_private_key_pem, revoke
from ggzy.entities import login
from ggzy.entities.models import AuthSession, Certificate, Entity, LoginNonce, User
from tests.conftest import TEST_NOW
from tests.factories import certificate_login_body, credit_code, event_count, issue, make_user


def _rows(db: Session) -> tuple[int, ...]:
    """Everything a login could leave behind."""
    return (
        *tuple(
            db.scalar(select(func.count()).select_from(table)) or 0
            for table in (Entity, User, Certificate, AuthSession, LoginNonce)
        ),
        event_count(db),
    )


def _assert_refused(client: TestClient, db: Session, body: dict, *, status: int, code: str) -> dict:
    before = _rows(db)
    response = client.post("/api/v1/auth/certificate-login", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["message_zh"]
    assert problem["message_en"]
    assert _rows(db) == before, "a refused login must leave no row and no event"
    return problem


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_certificate_login_works_for_both_suites_from_two_cas_in_one_trust_store(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path, suite: str
) -> None:
    ca_dir = gm_ca if suite == "gm" else intl_ca
    code = credit_code("530100")
    issued = issue(ca_dir, name="昆明互认建设有限公司", code=code)

    response = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, issued))

    assert response.status_code == 200, response.text
    login = response.json()
    assert login["entity"]["credit_code"] == code
    assert login["entity"]["name"] == "昆明互认建设有限公司"
    assert [grant["role"] for grant in login["user"]["roles"]] == ["bidder"]
    me = client.get("/api/v1/auth/me", headers={"authorization": f"Bearer {login['token']}"})
    assert me.status_code == 200
    assert me.json()["entity_id"] == login["entity"]["id"]
    assert event_count(db, "auth.certificate_login") == 1
    assert event_count(db, "entity.registered") == 1  # first login registered the entity from its certificate


def test_a_renewed_certificate_reaches_the_same_user_and_one_of_another_ca_the_same_entity(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path
) -> None:
    """Mutual recognition: a certificate of any trusted CA logs the entity in; only one from the CA of an earlier
    certificate reaches that certificate's user (decision 0013)."""
    code = credit_code()
    first = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, issue(gm_ca, code=code)))
    renewed = issue(gm_ca, code=code)
    second = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, renewed))
    other_ca = issue(intl_ca, code=code)
    third = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, other_ca))

    assert first.status_code == second.status_code == third.status_code == 200
    assert first.json()["user"]["id"] == second.json()["user"]["id"] != third.json()["user"]["id"]
    assert first.json()["entity"]["id"] == third.json()["entity"]["id"]
    assert db.scalar(select(func.count()).select_from(Entity).where(Entity.credit_code == code)) == 1


def test_certificate_from_a_ca_not_in_the_trust_store_is_refused(
    client: TestClient, db: Session, trusted: dict[str, int], stranger_ca: Path
) -> None:
    body = certificate_login_body(client, issue(stranger_ca))
    _assert_refused(client, db, body, status=401, code="certificate_untrusted")


def test_expired_certificate_is_refused(client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path) -> None:
    issued = issue(gm_ca, now=TEST_NOW - timedelta(days=20), days=10)
    _assert_refused(client, db, certificate_login_body(client, issued), status=401, code="certificate_expired")


def test_certificate_not_yet_valid_is_refused(
    client: TestClient, db: Session, trusted: dict[str, int], intl_ca: Path
) -> None:
    issued = issue(intl_ca, now=TEST_NOW + timedelta(days=2))
    body = certificate_login_body(client, issued)
    _assert_refused(client, db, body, status=401, code="certificate_not_yet_valid")


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_revoked_certificate_is_refused_once_the_crl_is_loaded(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path, suite: str
) -> None:
    ca_dir = gm_ca if suite == "gm" else intl_ca
    issued = issue(ca_dir)
    assert client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, issued)).status_code == 200

    revoke(ca_dir, issued.certificate.serial_number, now=TEST_NOW - timedelta(hours=1))
    admin = make_user(db, roles=[_grant(Role.PLATFORM_ADMIN)])
    from tests.factories import token_for

    crl = current_crl(ca_dir, now=TEST_NOW - timedelta(minutes=30)).decode()
    loaded = client.post("/api/v1/trust/revocation-lists", json={"crl_pem": crl}, headers=token_for(db, admin))
    assert loaded.status_code == 201, loaded.text

    _assert_refused(client, db, certificate_login_body(client, issued), status=401, code="certificate_revoked")


def test_crl_signed_by_an_untrusted_ca_is_refused(
    client: TestClient, db: Session, trusted: dict[str, int], stranger_ca: Path
) -> None:
    from tests.factories import token_for

    admin = make_user(db, roles=[_grant(Role.PLATFORM_ADMIN)])
    headers = token_for(db, admin)
    before = event_count(db)
    crl = current_crl(stranger_ca, now=TEST_NOW).decode()
    response = client.post("/api/v1/trust/revocation-lists", json={"crl_pem": crl}, headers=headers)
    assert response.status_code in (401, 422), response.text
    assert response.json()["code"] in ("certificate_untrusted", "revocation_list_rejected")
    assert event_count(db) == before


def test_signature_over_another_nonce_is_refused(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path
) -> None:
    issued = issue(gm_ca)
    other_nonce = client.post("/api/v1/auth/nonce").json()["nonce"]
    body = certificate_login_body(client, issued, sign_nonce=other_nonce)
    _assert_refused(client, db, body, status=401, code="signature_invalid")


def test_a_login_signed_for_another_portal_is_refused(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path
) -> None:
    """A challenge relayed to the user by another site (a phishing copy, another portal the assistant is paired
    with) is signed for that site's origin: it logs nobody in here."""
    issued = issue(gm_ca)
    nonce = client.post("/api/v1/auth/nonce").json()
    assert nonce["message"] == f"ggzy-login:http://testserver {nonce['nonce']}"  # what to sign, origin included
    key = load_private_key_pem(issued.private_key_pem)
    for origin in ("https://phishing.example", "https://testserver", "http://testserver:8000"):
        body = {
            "nonce": nonce["nonce"],
            "certificate_pem": issued.certificate_pem,
            "signature": base64.b64encode(key.sign(login.login_message(nonce["nonce"], origin))).decode(),
        }
        _assert_refused(client, db, body, status=401, code="signature_invalid")


def test_behind_a_proxy_the_configured_public_origin_is_what_a_login_names(
    client: TestClient, app: FastAPI, db: Session, trusted: dict[str, int], gm_ca: Path
) -> None:
    app.state.settings.public_origin = Settings(public_origin="https://GGZY.example.cn:443/").public_origin
    assert app.state.settings.public_origin == "https://ggzy.example.cn"  # as a browser writes an Origin
    try:
        issued = issue(gm_ca)
        nonce = client.post("/api/v1/auth/nonce").json()
        assert nonce["message"].startswith("ggzy-login:https://ggzy.example.cn ")
        key = load_private_key_pem(issued.private_key_pem)
        signed_here = key.sign(login.login_message(nonce["nonce"], "http://testserver"))
        body = {"nonce": nonce["nonce"], "certificate_pem": issued.certificate_pem,
                "signature": base64.b64encode(signed_here).decode()}  # fmt: skip
        _assert_refused(client, db, body, status=401, code="signature_invalid")
        body["signature"] = base64.b64encode(key.sign(login.login_message(nonce["nonce"], "https://ggzy.example.cn")))
        body["signature"] = body["signature"].decode()
        assert client.post("/api/v1/auth/certificate-login", json=body).status_code == 200
    finally:
        app.state.settings.public_origin = "http://testserver"


def test_unconfigured_a_login_is_taken_only_on_this_computer_for_the_host_header_is_the_clients(
    app: FastAPI, db: Session, trusted: dict[str, int], gm_ca: Path
) -> None:
    """Without GGZY_PUBLIC_ORIGIN the platform cannot know its own name: a Host header the client wrote would let a
    login signed for a phishing site pass as this one's (a security review's finding). Only this computer's own
    addresses derive it."""
    app.state.settings.public_origin = ""
    try:
        for host in ("phishing.example", "ggzy.example.cn"):
            with TestClient(app, base_url=f"http://{host}") as stranger:
                refused = stranger.post("/api/v1/auth/nonce")
                assert refused.status_code == 503
                assert refused.json()["code"] == "public_origin_not_configured"
                assert stranger.get("/login").status_code == 503
        with TestClient(app, base_url="http://127.0.0.1:8000") as local:
            body = certificate_login_body(local, issue(gm_ca))
            assert local.post("/api/v1/auth/certificate-login", json=body).status_code == 200
    finally:
        app.state.settings.public_origin = "http://testserver"


@pytest.mark.parametrize(
    "origin",
    ["http://ggzy.example.cn", "https://ggzy.example.cn/login", "ggzy.example.cn", "https://u:p@ggzy.example.cn"],
)
def test_a_public_origin_is_an_https_origin_or_this_computers(origin: str) -> None:
    with pytest.raises(ValueError, match="public_origin"):
        Settings(public_origin=origin)
    assert Settings(public_origin="http://localhost:8000").public_origin == "http://localhost:8000"


def test_the_assistant_is_looked_for_on_127_0_0_1_only() -> None:
    """``localhost`` may resolve to ::1 first, where another user's program can listen and relay to the assistant."""
    for url in ("http://localhost:17170", "http://[::1]:17170", "https://127.0.0.1:17170", "http://127.0.0.1"):
        with pytest.raises(ValueError, match="assistant_url"):
            Settings(assistant_url=url)
    assert Settings(assistant_url="http://127.0.0.1:17170/").assistant_url == "http://127.0.0.1:17170"


def test_signature_by_another_key_is_refused(
    client: TestClient, db: Session, trusted: dict[str, int], intl_ca: Path
) -> None:
    holder, thief = issue(intl_ca), issue(intl_ca)
    body = certificate_login_body(client, thief)
    body["certificate_pem"] = holder.certificate_pem  # someone else's certificate, the thief's own key
    _assert_refused(client, db, body, status=401, code="signature_invalid")


def test_replayed_nonce_is_refused(client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path) -> None:
    body = certificate_login_body(client, issue(gm_ca))
    assert client.post("/api/v1/auth/certificate-login", json=body).status_code == 200
    _assert_refused(client, db, body, status=401, code="login_nonce_replayed")


def test_expired_or_forged_nonce_is_refused(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, clock: FixedClock
) -> None:
    issued = issue(gm_ca)
    body = certificate_login_body(client, issued)
    forged = dict(body, nonce=body["nonce"][:-4] + "0000")
    _assert_refused(client, db, forged, status=401, code="login_nonce_invalid")

    clock.advance(timedelta(minutes=3))  # nonces live two minutes
    _assert_refused(client, db, body, status=401, code="login_nonce_invalid")


def test_malformed_certificate_is_a_clear_422(client: TestClient, db: Session, trusted: dict[str, int]) -> None:
    body = {
        "nonce": client.post("/api/v1/auth/nonce").json()["nonce"],
        "certificate_pem": "junk",
        "signature": "",
    }
    _assert_refused(client, db, body, status=422, code="certificate_malformed")


def test_password_login_and_logout(client: TestClient, db: Session) -> None:
    make_user(db, username="staff-li", password="correct horse battery", roles=[_grant(Role.EXPERT)])
    wrong = client.post("/api/v1/auth/password-login", json={"username": "staff-li", "password": "nope-nope-nope"})
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "credentials_invalid"
    unknown = client.post("/api/v1/auth/password-login", json={"username": "ghost", "password": "nope-nope-nope"})
    assert unknown.json()["code"] == "credentials_invalid"  # the same answer: no probing for usernames

    response = client.post(
        "/api/v1/auth/password-login", json={"username": "staff-li", "password": "correct horse battery"}
    )
    assert response.status_code == 200, response.text
    headers = {"authorization": f"Bearer {response.json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["username"] == "staff-li"

    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["code"] == "session_invalid"


def test_sessions_expire(client: TestClient, db: Session, clock: FixedClock) -> None:
    make_user(db, username="staff-wang", password="correct horse battery", roles=[_grant(Role.EXPERT)])
    response = client.post(
        "/api/v1/auth/password-login", json={"username": "staff-wang", "password": "correct horse battery"}
    )
    headers = {"authorization": f"Bearer {response.json()['token']}"}
    clock.advance(timedelta(hours=9))
    assert client.get("/api/v1/auth/me", headers=headers).json()["code"] == "session_invalid"


def test_passwords_are_stored_as_argon2_hashes(db: Session) -> None:
    user = make_user(db, password="correct horse battery", roles=[_grant(Role.EXPERT)])
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in user.password_hash


def test_the_platform_hashes_passwords_with_rfc_9106_low_memory_parameters() -> None:
    """The production hasher, in an interpreter of its own: the tests' conftest makes hashing cheap in the test process
    (CHEAP_PASSWORD_PARAMETERS), so the parameters a deployed platform stores passwords with are proved here: argon2id,
    64 MiB, 3 passes, 4 lanes (RFC 9106 §4, the second recommended option)."""
    import subprocess
    import sys

    script = "from ggzy.entities.service import PASSWORDS; print(PASSWORDS.hash('correct horse battery'))"
    produced = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert produced.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), produced.stdout


def _grant(role: Role):  # type: ignore[no-untyped-def]
    from ggzy.entities.schemas import RoleGrantIn

    return RoleGrantIn(role=role)


def test_person_certificates_log_in_people_of_their_entity(
    client: TestClient, db: Session, trusted: dict[str, int], gm_ca: Path, intl_ca: Path
) -> None:
    """A person certificate (个人证书) carries the employer's credit code: each person is a user of that entity,
    and a renewed certificate of the same person reaches the same user."""
    code = credit_code()

    def person(ca_dir: Path, name: str, person_id: str) -> dict:
        issued = issue(ca_dir, kind="person", name=name, code=code, organization="昆明个人证书建设有限公司",
                       person_id=person_id)  # fmt: skip
        response = client.post("/api/v1/auth/certificate-login", json=certificate_login_body(client, issued))
        assert response.status_code == 200, response.text
        return response.json()

    zhang = person(gm_ca, "张三", "P-0001")
    li = person(intl_ca, "李四", "P-0002")
    zhang_renewed = person(gm_ca, "张三", "P-0001")  # the same CA (one of another CA gets a user of its own)

    assert zhang["entity"]["name"] == "昆明个人证书建设有限公司"
    assert zhang["entity"]["id"] == li["entity"]["id"] == zhang_renewed["entity"]["id"]
    assert zhang["user"]["id"] == zhang_renewed["user"]["id"] != li["user"]["id"]
    assert zhang["user"]["display_name"] == "张三"
