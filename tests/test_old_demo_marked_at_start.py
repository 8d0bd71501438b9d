"""A demo loaded before demo instances were marked (the old ``ggzy serve`` loaded the demo into every empty database)
has the administrator ``admin`` / ``ggzy-demo-2026`` and trusts CAs whose private keys lie in ``data_dir/demo``, with
no mark. When the app starts, before it answers a request, it recognises such a database by a sound sign — a trust
anchor that is a CA certificate the demo wrote under ``data_dir/demo``, or an active user of the demo's names whose
password is the demo's — records the mark (its event, by the system) and warns; from then on every page carries the
banner and ``/api/v1/health`` answers ``"demo": true`` (decision 0016). A production database is left unmarked."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event
from ggzy.core.instance import DEMO_LOADED
from ggzy.core.permissions import SYSTEM, Role
from ggzy.crypto import Suite, init_ca
from ggzy.demo import DEMO_CA_TRUSTED, DEMO_PASSWORD, DEMO_PASSWORD_IN_USE
from ggzy.entities.login import add_trust_anchor
from ggzy.entities.schemas import RoleGrantIn
from tests.conftest import TEST_NOW
from tests.factories import make_user

BANNER_ZH = "<strong>演示环境</strong>：数据均为虚构，密码是公开的，请勿用于真实交易。"


def _marks(db: Session) -> list[Event]:
    return list(db.scalars(select(Event).where(Event.action == DEMO_LOADED)))


def _event_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event)) or 0


def _assert_marked_demo(app: FastAPI, db: Session, *, detected: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ggzy.demo"), TestClient(app) as client:
        # the first answer comes after the start: the mark is there already
        assert client.get("/api/v1/health").json()["demo"] is True
        assert BANNER_ZH in client.get("/", params={"lang": "zh"}).text
    marks = _marks(db)
    assert len(marks) == 1
    assert marks[0].actor_user_id is None  # recorded by the system, not by a user
    assert json.loads(marks[0].payload)["detected_at_start"] == detected
    assert "demo loaded before demo instances were marked" in caplog.text

    with TestClient(app) as client:  # a second start finds the mark and adds none
        assert client.get("/api/v1/health").json()["demo"] is True
    assert len(_marks(db)) == 1


def test_a_demo_ca_whose_key_is_in_the_data_directory_marks_the_database_a_demo_at_start(
    app: FastAPI, db: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the old demo's state, without its mark: a CA written to data_dir/demo and trusted by the platform
    certificate = init_ca(
        tmp_path / "demo" / "ca-gm", suite=Suite.GM, name="云南数字证书认证中心（演示）", now=TEST_NOW
    )
    add_trust_anchor(db, SYSTEM, certificate_pem=certificate.pem, name=None, now=TEST_NOW)
    db.flush()
    assert _marks(db) == []

    _assert_marked_demo(app, db, detected=DEMO_CA_TRUSTED, caplog=caplog)


def test_the_demo_admin_with_the_published_password_marks_the_database_a_demo_at_start(
    app: FastAPI, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    # the old demo's administrator, its CA directory deleted since: the password alone is a sound sign
    make_user(db, username="admin", password=DEMO_PASSWORD, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)])
    db.flush()

    _assert_marked_demo(app, db, detected=DEMO_PASSWORD_IN_USE, caplog=caplog)


def test_a_production_database_with_an_admin_and_its_own_ca_is_not_marked_at_start(
    app: FastAPI, db: Session, tmp_path: Path, gm_ca: Path
) -> None:
    make_user(
        db, username="admin", password="a-real-password-of-its-own", roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)]
    )
    make_user(db, username="staff", password=None, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)])
    add_trust_anchor(db, SYSTEM, certificate_pem=(gm_ca / "ca.pem").read_text(), name=None, now=TEST_NOW)
    # a demo CA lies in data_dir/demo (someone ran `ggzy ca init` there), but the platform does not trust it
    init_ca(tmp_path / "demo" / "ca-intl", suite=Suite.INTL, name="Global Trust Demo CA", now=TEST_NOW)
    db.flush()
    events = _event_count(db)

    with TestClient(app) as client:
        assert client.get("/api/v1/health").json()["demo"] is False
        page = client.get("/", params={"lang": "zh"}).text
    assert "演示环境" not in page
    assert _event_count(db) == events  # no mark, no event at all
    assert not (tmp_path / "demo-mark.lock").exists()
