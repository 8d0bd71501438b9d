"""Logging in from a browser: certificate and password login pages, the session cookie, CSRF, logout."""

from __future__ import annotations

import base64
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.permissions import POLICY, Permission, Role
from ggzy.crypto import load_private_key_pem
from ggzy.entities import login
from ggzy.entities.login import SESSION_COOKIE
from ggzy.entities.models import AuthSession
from ggzy.entities.schemas import RoleGrantIn
from tests.factories import client_origin, event_count, issue, make_user, token_for, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, problem_code

MARKET = {Role.OWNER, Role.AGENT, Role.BIDDER, Role.INSTITUTION}
PASSWORD = "correct horse battery"


def _sessions(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuthSession)) or 0


def _staff(db: Session) -> str:
    user = user_with_role(db, Role.CENTRE_STAFF)
    make_user(db, username=f"staff-{user.id}", password=PASSWORD, roles=[RoleGrantIn(role=Role.EXPERT)])
    return f"staff-{user.id}"


def test_password_login_sets_an_httponly_lax_cookie_carrying_an_api_session(client: TestClient, db: Session) -> None:
    username = _staff(db)
    token = csrf_from(client, "/login")
    response = client.post(
        "/login/password",
        data={"csrf_token": token, "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/workspace"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over http here
    session = client.cookies[SESSION_COOKIE]
    me = client.get("/api/v1/auth/me", headers={"authorization": f"Bearer {session}"})
    assert me.status_code == 200  # the same token the API uses
    assert me.json()["username"] == username
    workspace = client.get("/workspace")
    assert workspace.status_code == 200
    assert "/workspace/expert" in workspace.text
    assert "退出登录" in workspace.text


def test_over_https_the_session_cookie_is_secure(app: FastAPI, db: Session) -> None:
    username = _staff(db)
    with TestClient(app, base_url="https://testserver") as browser:
        token = csrf_from(browser, "/login")
        response = browser.post(
            "/login/password",
            data={"csrf_token": token, "username": username, "password": PASSWORD},
            follow_redirects=False,
        )
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "Secure" in cookie


def test_a_wrong_password_is_shown_in_the_form_with_its_code_and_opens_no_session(
    client: TestClient, db: Session
) -> None:
    username = _staff(db)
    sessions, events = _sessions(db), event_count(db)
    token = csrf_from(client, "/login?lang=en")
    response = client.post("/login/password", data={"csrf_token": token, "username": username, "password": "wrong"})
    assert response.status_code == 401
    assert problem_code(response) == "credentials_invalid"
    assert 'role="alert"' in response.text
    assert "Wrong username or password" in response.text
    assert "用户名或密码错误" in response.text  # both languages
    assert f'value="{username}"' in response.text  # the form keeps what was typed (never the password)
    assert SESSION_COOKIE not in client.cookies
    assert (_sessions(db), event_count(db)) == (sessions, events)


def _certificate_form(client: TestClient, issued, *, sign: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get("/login").text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert f"--nonce {nonce}" in page  # the command to run is on the page
    signature = load_private_key_pem(issued.private_key_pem).sign(
        login.login_message(sign or nonce, client_origin(client))
    )
    return {
        "csrf_token": csrf,
        "nonce": nonce,
        "certificate_pem": issued.certificate_pem,
        "signature": base64.b64encode(signature).decode(),
    }


def test_certificate_login_by_a_signed_challenge_opens_the_bidder_workspace(
    client: TestClient,
    db: Session,
    gm_ca,
    trusted: dict[str, int],
) -> None:
    issued = issue(gm_ca)
    response = client.post("/login/certificate", data=_certificate_form(client, issued), follow_redirects=False)
    assert response.status_code == 303, response.text
    assert event_count(db, "auth.certificate_login") == 1
    workspace = client.get("/workspace")
    assert "/workspace/bidder" in workspace.text
    assert client.get("/workspace/bidder").status_code == 200


def test_certificate_login_with_the_certificate_uploaded_as_a_file(
    client: TestClient,
    db: Session,
    intl_ca,
    trusted: dict[str, int],
) -> None:
    issued = issue(intl_ca)
    form = _certificate_form(client, issued)
    pem = form.pop("certificate_pem")
    response = client.post(
        "/login/certificate",
        data=form,
        files={"certificate_file": ("cert.pem", pem.encode())},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_a_signature_of_another_nonce_is_refused_in_the_form_and_logs_nobody_in(
    client: TestClient,
    db: Session,
    gm_ca,
    trusted: dict[str, int],
) -> None:
    issued = issue(gm_ca)
    events = event_count(db)
    response = client.post("/login/certificate", data=_certificate_form(client, issued, sign="another.1.nonce"))
    assert response.status_code == 422 or response.status_code == 401
    assert problem_code(response) == "signature_invalid"
    assert "signature_invalid" in response.text
    assert SESSION_COOKIE not in client.cookies
    assert event_count(db) == events


def _portal_posts(app: FastAPI) -> list[tuple[str, Permission]]:
    """Every POST of a page (from the OpenAPI document, like the authorization matrix) with its permission."""
    return [
        (path, Permission(operation["x-permission"]))
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
        if method == "post" and "portal (HTML pages)" in operation.get("tags", [])
    ]


def test_every_portal_form_refuses_a_post_without_its_csrf_token(app: FastAPI, client: TestClient, db: Session) -> None:
    posts = _portal_posts(app)
    assert {"/login/password", "/login/certificate", "/logout"} <= {path for path, _ in posts}
    for path, permission in posts:
        role = next(role for role in Role if role in POLICY[permission] and role != Role.VISITOR)
        client.cookies.clear()
        browser_login(client, db, user_with_role(db, role, entity=role in MARKET))
        csrf_from(client, "/")  # the browser has its seed, but sends no token
        events = event_count(db)
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        missing = client.post(url, data={"username": "x", "password": "y"})
        assert (missing.status_code, problem_code(missing)) == (403, "csrf_invalid"), path
        forged = client.post(url, data={"csrf_token": "0" * 64})
        assert (forged.status_code, problem_code(forged)) == (403, "csrf_invalid"), path
        assert event_count(db) == events, path


def test_a_token_of_another_browser_is_refused(app: FastAPI, client: TestClient, db: Session) -> None:
    username = _staff(db)
    with TestClient(app) as other:
        token = csrf_from(other, "/login")
    csrf_from(client, "/login")
    response = client.post("/login/password", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert problem_code(response) == "csrf_invalid"


def test_logout_ends_the_session_and_clears_the_cookie(client: TestClient, db: Session) -> None:
    session = browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))
    token = csrf_from(client, "/workspace")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/api/v1/auth/me", headers={"authorization": f"Bearer {session}"}).status_code == 401
    assert event_count(db, "auth.logout") == 1


def test_an_expired_cookie_on_a_public_page_is_a_visitor_and_a_workspace_asks_to_log_in(
    client: TestClient, db: Session
) -> None:
    session = browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))
    client.post("/api/v1/auth/logout", headers={"authorization": f"Bearer {session}"})  # ended elsewhere
    home = client.get("/")
    assert home.status_code == 200
    assert 'href="/login"' in home.text
    workspace = client.get("/workspace")
    assert (workspace.status_code, problem_code(workspace)) == (401, "not_authenticated")
    assert 'href="/login?next=/workspace"' in workspace.text


def test_a_bad_bearer_token_is_still_refused_by_the_api(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me", headers={"authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "session_invalid"


def test_the_cookie_reads_the_api_but_never_writes_through_it(client: TestClient, db: Session) -> None:
    """A cross-site form could post to the API with the browser's cookie: API writes need the bearer token."""
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 401
    assert event_count(db, "auth.logout") == 0


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_a_login_only_returns_to_a_page_of_this_site(client: TestClient, db: Session, target: str) -> None:
    username = _staff(db)
    token = csrf_from(client, "/login")
    response = client.post(
        "/login/password",
        data={"csrf_token": token, "username": username, "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/workspace"


def test_a_login_returns_to_the_page_that_asked_for_it(client: TestClient, db: Session) -> None:
    username = _staff(db)
    page = client.get("/login?next=/workspace/centre").text
    assert 'name="next" value="/workspace/centre"' in page
    token = csrf_from(client, "/login")
    response = client.post(
        "/login/password",
        data={"csrf_token": token, "username": username, "password": PASSWORD, "next": "/workspace/centre"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/workspace/centre"


def test_token_for_still_logs_the_api_in(client: TestClient, db: Session) -> None:
    headers = token_for(db, user_with_role(db, Role.BIDDER, entity=True))
    assert client.get("/workspace/bidder", headers=headers).status_code == 200


def test_the_signature_printed_by_ggzy_bid_sign_login_logs_in_on_the_page(
    client: TestClient,
    db: Session,
    gm_ca,
    trusted: dict[str, int],
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """What the login page tells a bidder to run, run: its output pasted into the form logs the bidder in."""
    from typer.testing import CliRunner

    from ggzy.bidclient_cli import bid_app

    issued = issue(gm_ca)
    key = tmp_path / "key.pem"
    key.write_text(issued.private_key_pem)
    form = _certificate_form(client, issued)
    page = client.get("/login").text
    assert "--portal http://testserver --nonce" in page  # the command names this portal
    not_an_origin = CliRunner().invoke(
        bid_app, ["sign-login", "--key", str(key), "--portal", "ggzy.example.cn/login", "--nonce", form["nonce"]]
    )
    assert not_an_origin.exit_code != 0
    assert "assistant_origin_invalid" in not_an_origin.output
    printed = CliRunner().invoke(
        bid_app, ["sign-login", "--key", str(key), "--portal", "https://testserver", "--nonce", form["nonce"]]
    )
    assert printed.exit_code == 0, printed.output
    form["signature"] = printed.output.strip()
    refused = client.post("/login/certificate", data=form, follow_redirects=False)  # signed for another origin
    assert refused.status_code == 401, refused.text
    form = _certificate_form(client, issued)
    printed = CliRunner().invoke(
        bid_app, ["sign-login", "--key", str(key), "--portal", "http://testserver", "--nonce", form["nonce"]]
    )
    assert printed.exit_code == 0, printed.output
    form["signature"] = printed.output.strip()
    response = client.post("/login/certificate", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
