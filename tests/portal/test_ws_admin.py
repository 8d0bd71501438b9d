"""The platform administrator's workspace through its pages: users and roles (never a market entity's role,
decision 0013), centres and their hierarchy, trust anchors and CRLs, the holiday calendar, the ledger's witnesses —
each form done through its service with its event, each refusal shown inline and leaving no row and no event."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.calendar_store import CalendarYear
from ggzy.core.permissions import Role
from ggzy.entities.models import Centre, RoleBinding, TrustAnchor, User
from ggzy.ledger.models import LedgerWitness
from ggzy.ledger.note import generate_cosignature_signer
from tests.factories import event_count, make_centres, make_user, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code

PAGE = "/workspace/admin"


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def admin(client: TestClient, db: Session) -> User:
    user = user_with_role(db, Role.PLATFORM_ADMIN)
    browser_login(client, db, user)
    return user


def test_the_workspace_lists_the_administrators_section(client: TestClient, db: Session, admin: User) -> None:
    home = client.get("/workspace")
    assert home.status_code == 200
    assert 'href="/workspace/admin"' in home.text
    page = client.get(PAGE)
    assert page.status_code == 200
    for part in ("users", "centres", "trust", "calendar", "witnesses"):
        assert f'href="/workspace/admin/{part}"' in page.text


def test_admin_creates_a_supervisor_for_a_region_and_grants_another_role(
    client: TestClient, db: Session, admin: User
) -> None:
    token = csrf_from(client, f"{PAGE}/users")
    form = {"csrf_token": token, "username": "sup.kunming", "display_name": "昆明监督", "password": "a long password",
            "role": "supervisor", "region_code": "530100", "trade_type": "construction", "centre_id": ""}  # fmt: skip
    done = client.post(f"{PAGE}/users", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "admin_user_created"
    user = db.scalars(select(User).where(User.username == "sup.kunming")).one()
    binding = db.scalars(select(RoleBinding).where(RoleBinding.user_id == user.id)).one()
    assert (binding.role, binding.region_code, binding.trade_type) == ("supervisor", "530100", "construction")
    page = client.get(done.headers["location"]).text
    assert "用户已创建" in page
    assert "sup.kunming" in page
    events = page.split('id="events-heading"')[1]
    assert "创建用户" in events
    assert admin.username in events
    granted = client.post(
        f"{PAGE}/users/{user.id}/roles",
        data={"csrf_token": token, "role": "inspector", "region_code": "530000"},
        follow_redirects=False,
    )
    assert granted.status_code == 303, granted.text
    assert outcome_code(granted) == "admin_role_granted"
    assert {b.role for b in db.scalars(select(RoleBinding).where(RoleBinding.user_id == user.id))} == {
        "supervisor",
        "inspector",
    }


@pytest.mark.parametrize("role", ["bidder", "owner", "agent", "institution"])
def test_no_market_entitys_role_is_offered_or_granted_from_the_admin_pages(
    client: TestClient, db: Session, admin: User, role: str
) -> None:
    """Decision 0013: a market entity's roles come only from its signed enrolment, never from the administrator."""
    page = client.get(f"{PAGE}/users").text
    assert f'<option value="{role}"' not in page
    staff = make_user(db, password="a long password")
    token = csrf_from(client, f"{PAGE}/users")
    users, bindings, events = _count(db, User), _count(db, RoleBinding), event_count(db)
    created = client.post(
        f"{PAGE}/users",
        data={"csrf_token": token, "username": "not.an.entity", "display_name": "X", "password": "a long password",
              "role": role},
    )  # fmt: skip
    assert created.status_code == 403
    assert problem_code(created) == "entity_role_needs_enrolment"
    assert 'id="form-error"' in created.text
    granted = client.post(f"{PAGE}/users/{staff.id}/roles", data={"csrf_token": token, "role": role})
    assert granted.status_code == 403
    assert problem_code(granted) == "entity_role_needs_enrolment"
    assert (_count(db, User), _count(db, RoleBinding), event_count(db)) == (users, bindings, events)


def test_a_supervisor_without_a_region_is_refused_inline_and_leaves_nothing(
    client: TestClient, db: Session, admin: User
) -> None:
    token = csrf_from(client, f"{PAGE}/users")
    users, events = _count(db, User), event_count(db)
    refused = client.post(
        f"{PAGE}/users",
        data={"csrf_token": token, "username": "sup.nowhere", "display_name": "监督", "password": "a long password",
              "role": "supervisor"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert problem_code(refused) == "invalid_input"
    assert "roles.region_code" in refused.text
    assert (_count(db, User), event_count(db)) == (users, events)


def test_admin_adds_a_county_centre_under_its_city_and_sees_the_tree(
    client: TestClient, db: Session, admin: User
) -> None:
    centres = make_centres(db)
    token = csrf_from(client, f"{PAGE}/centres")
    done = client.post(
        f"{PAGE}/centres",
        data={"csrf_token": token, "name": "官渡区分中心", "region_code": "530111", "parent_id": centres["city"].id},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "admin_centre_created"
    centre = db.scalars(select(Centre).where(Centre.name == "官渡区分中心")).one()
    assert (centre.parent_id, centre.level) == (centres["city"].id, "county")
    page = client.get(f"{PAGE}/centres").text
    city_item = page.split(f'id="centre-{centres["city"].id}"')[1]
    assert "官渡区分中心" in city_item.split('id="centre-' + str(centres["other_city"].id) + '"')[0]
    assert "创建交易中心" in page.split('id="events-heading"')[1]
    centres_before, events = _count(db, Centre), event_count(db)
    refused = client.post(
        f"{PAGE}/centres",
        data={"csrf_token": token, "name": "错挂分中心", "region_code": "530302", "parent_id": centres["city"].id},
    )
    assert refused.status_code == 422
    assert problem_code(refused) == "invalid_input"
    assert (_count(db, Centre), event_count(db)) == (centres_before, events)


def test_admin_adds_a_trust_anchor_and_a_bad_pem_or_crl_leaves_nothing(
    client: TestClient, db: Session, admin: User, gm_ca: Path
) -> None:
    token = csrf_from(client, f"{PAGE}/trust")
    pem = (gm_ca / "ca.pem").read_text()
    anchors, events = _count(db, TrustAnchor), event_count(db)
    refused = client.post(f"{PAGE}/trust/anchors", data={"csrf_token": token, "certificate_pem": "not a pem"})
    assert refused.status_code == 422
    assert problem_code(refused) == "certificate_malformed"
    bad_crl = client.post(f"{PAGE}/trust/revocation-lists", data={"csrf_token": token, "crl_pem": "not a crl"})
    assert bad_crl.status_code >= 400
    assert 'id="form-error"' in bad_crl.text
    assert (_count(db, TrustAnchor), event_count(db)) == (anchors, events)
    done = client.post(
        f"{PAGE}/trust/anchors", data={"csrf_token": token, "certificate_pem": pem, "name": ""}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "admin_anchor_added"
    anchor = db.scalars(select(TrustAnchor).order_by(TrustAnchor.id.desc())).first()
    assert anchor is not None
    page = client.get(f"{PAGE}/trust").text
    assert anchor.fingerprint in page
    assert "加入 CA 根证书" in page.split('id="events-heading"')[1]


def test_admin_sees_next_year_missing_and_loads_it(client: TestClient, db: Session, admin: User) -> None:
    page = client.get(f"{PAGE}/calendar").text
    assert "2027" in page  # TEST_NOW is in 2026: next year is 2027
    token = csrf_from(client, f"{PAGE}/calendar")
    years, events = _count(db, CalendarYear), event_count(db)
    refused = client.post(f"{PAGE}/calendar", data={"csrf_token": token, "year": "2027", "holidays": "2028-01-01"})
    assert refused.status_code == 422
    assert problem_code(refused) == "invalid_input"
    assert (_count(db, CalendarYear), event_count(db)) == (years, events)
    form = {"csrf_token": token, "year": "2027", "holidays": "2027-01-01\n2027-02-06, 2027-02-07",
            "workdays": "2027-02-14", "source": "国办发明电〔2026〕1号"}  # fmt: skip
    done = client.post(f"{PAGE}/calendar", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "admin_calendar_loaded"
    assert db.get(CalendarYear, 2027) is not None
    page = client.get(f"{PAGE}/calendar").text
    assert "2027 年的节假日安排已载入。" in page
    assert "国办发明电〔2026〕1号" in page
    assert "载入节假日安排" in page.split('id="events-heading"')[1]


def test_admin_adds_a_witness_and_a_key_of_another_name_leaves_nothing(
    client: TestClient, db: Session, admin: User
) -> None:
    _, key = generate_cosignature_signer("witness.example.org")
    token = csrf_from(client, f"{PAGE}/witnesses")
    witnesses, events = _count(db, LedgerWitness), event_count(db)
    refused = client.post(
        f"{PAGE}/witnesses", data={"csrf_token": token, "name": "another.example.org", "verifier_key": key}
    )
    assert refused.status_code >= 400
    assert 'id="form-error"' in refused.text
    assert (_count(db, LedgerWitness), event_count(db)) == (witnesses, events)
    done = client.post(
        f"{PAGE}/witnesses",
        data={"csrf_token": token, "name": "witness.example.org", "verifier_key": key},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "admin_witness_added"
    assert event_count(db, "ledger.witness_added") == 1
    page = client.get(f"{PAGE}/witnesses").text
    assert key in page
    assert "登记见证方" in page.split('id="events-heading"')[1]


@pytest.mark.parametrize("role", [Role.CENTRE_STAFF, Role.SUPERVISOR, Role.INSPECTOR])
def test_only_the_administrator_opens_its_pages(client: TestClient, db: Session, role: Role) -> None:
    browser_login(client, db, user_with_role(db, role))
    for part in ("", "/users", "/centres", "/trust", "/calendar", "/witnesses"):
        assert client.get(f"{PAGE}{part}").status_code == 403
