"""A demo instance says so on every page, in both languages, and in the API's health answer: its data is fictitious
and its passwords (and CA keys) are public. A platform that never loaded the demo shows nothing of the kind."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.core.instance import is_demo_instance, mark_demo_instance
from ggzy.core.permissions import SYSTEM, Role
from ggzy.entities.schemas import RoleGrantIn
from tests.conftest import TEST_NOW
from tests.factories import make_user
from tests.portal.ws_support import browser_login

PAGES = ("/", "/notices", "/openings", "/statistics", "/login", "/no-such-page")
BANNER_ZH = "<strong>演示环境</strong>：数据均为虚构，密码是公开的，请勿用于真实交易。"
BANNER_EN = "<strong>Demo instance</strong>: the data is fictitious and the passwords are public"


def test_every_page_of_a_demo_instance_carries_the_banner_in_both_languages(client: TestClient, db: Session) -> None:
    mark_demo_instance(db, SYSTEM, now=TEST_NOW)
    db.flush()

    for path in PAGES:
        assert BANNER_ZH in client.get(path, params={"lang": "zh"}).text, path
        assert BANNER_EN in client.get(path, params={"lang": "en"}).text, path
    client.get("/", params={"lang": "zh"})  # the switch is remembered: Chinese again
    staff = make_user(db, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)])
    browser_login(client, db, staff)
    workspace = client.get("/workspace")
    assert workspace.status_code == 200
    assert BANNER_ZH in workspace.text
    assert client.get("/api/v1/health").json()["demo"] is True


def test_a_platform_without_the_demo_shows_no_banner(client: TestClient, db: Session) -> None:
    assert not is_demo_instance(db)

    for path in PAGES:
        for language in ("zh", "en"):
            page = client.get(path, params={"lang": language}).text
            assert 'class="demo-banner"' not in page, path
            assert "演示环境" not in page, path
    assert client.get("/api/v1/health").json()["demo"] is False
