"""The public service platform's registers: the entity register (市场主体库, collected once and reused everywhere),
the centres (province → city → county branch, following GB/T 2260) and the users with their roles.

统一社会信用代码 follow GB 32100-2015: 18 characters without I, O, S, V, Z, characters 3–8 the registering office's
region, the last a check character. Least privilege (DESIGN §4.7): centre staff grant only market roles, only in their
own centre; the platform administrator runs the centres and the staff.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.events import Event, events_for
from ggzy.core.permissions import SYSTEM, Role
from ggzy.entities import service
from ggzy.entities.models import Centre, Entity, RoleBinding, User
from ggzy.entities.schemas import RoleGrantIn
from tests.conftest import TEST_NOW
from tests.factories import credit_code, event_count, make_centres, make_entity, make_user, token_for

ENTITIES = "/api/v1/entities"
CENTRES = "/api/v1/centres"
USERS = "/api/v1/users"


@pytest.fixture
def centres(db: Session) -> dict[str, Centre]:
    return make_centres(db)


@pytest.fixture
def staff(db: Session, centres: dict[str, Centre]) -> dict[str, str]:
    """Headers of a member of the Kunming city centre's staff."""
    user = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=centres["city"].id)])
    return token_for(db, user)


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.PLATFORM_ADMIN)]))


def _count(db: Session, table: type) -> int:
    return db.scalar(select(func.count()).select_from(table)) or 0


def _rows(db: Session) -> tuple[int, ...]:
    """Everything a registration could leave behind."""
    return tuple(_count(db, table) for table in (Entity, Centre, User, RoleBinding, Event))


def _assert_problem(response: Response, *, status: int, code: str, field: str | None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem.get("field")) == (code, field)
    assert problem["message_zh"]
    assert problem["message_en"]
    return problem


def _assert_refused(
    client: TestClient,
    db: Session,
    path: str,
    body: dict,
    headers: dict[str, str],
    *,
    status: int,
    code: str,
    field: str | None,
) -> dict:
    before = _rows(db)
    problem = _assert_problem(client.post(path, json=body, headers=headers), status=status, code=code, field=field)
    assert _rows(db) == before, "a refused request must leave no row and no event"
    return problem


def _payload(db: Session, subject_type: str, subject_id: int) -> tuple[str, dict]:
    (event,) = events_for(db, subject_type, subject_id)
    return event.action, json.loads(event.payload)


# -- the entity register --------------------------------------------------------------------------------------------


def test_centre_staff_register_an_entity_with_its_credit_code_in_upper_case(
    client: TestClient, db: Session, staff: dict[str, str]
) -> None:
    code = credit_code("530102", serial=987_654_321)
    assert code.lower() != code  # it has letters to normalise

    response = client.post(
        ENTITIES,
        json={"credit_code": f" {code.lower()} ", "name": "昆明五华建设工程有限公司", "contact_phone": "0871-65550000"},
        headers=staff,
    )

    assert response.status_code == 201, response.text
    entity = response.json()
    # GB 32100: characters 3–8 of the credit code are the registering office's region code.
    assert (entity["credit_code"], entity["region_code"], entity["kind"]) == (code, "530102", "enterprise")
    assert entity["contact_phone"] == "0871-65550000"
    action, payload = _payload(db, "entity", entity["id"])
    assert (action, payload["credit_code"], payload["region_code"]) == ("entity.registered", code, "530102")
    assert client.get(f"{ENTITIES}/{entity['id']}", headers=staff).json()["credit_code"] == code


def _wrong_check_character(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


@pytest.mark.parametrize(
    ("make_bad", "says"),
    [
        pytest.param(_wrong_check_character, "校验码不正确", id="wrong-check-character"),
        pytest.param(lambda code: code[:17], "应为 18 位", id="17-characters"),
        pytest.param(lambda code: code + "1", "应为 18 位", id="19-characters"),
        pytest.param(lambda code: code[:9] + "I" + code[10:], "第 10 位字符 'I' 不允许", id="letter-I"),
        pytest.param(lambda code: code[:11] + "O" + code[12:], "第 12 位字符 'O' 不允许", id="letter-O"),
    ],
)
def test_a_credit_code_that_fails_gb_32100_is_refused(
    client: TestClient, db: Session, staff: dict[str, str], make_bad: Callable[[str], str], says: str
) -> None:
    body = {"credit_code": make_bad(credit_code("530100")), "name": "抄错代码有限公司"}
    problem = _assert_refused(
        client, db, ENTITIES, body, staff, status=422, code="credit_code_invalid", field="credit_code"
    )
    assert says in problem["message_zh"]
    assert "credit_code" in problem["message_en"]


def test_an_entity_is_registered_only_once(client: TestClient, db: Session, staff: dict[str, str]) -> None:
    entity = make_entity(db)
    body = {"credit_code": entity.credit_code.lower(), "name": "换个名字再登记有限公司"}

    problem = _assert_refused(
        client, db, ENTITIES, body, staff, status=409, code="entity_already_registered", field="credit_code"
    )
    assert entity.credit_code in problem["message_zh"]


def _bidder_of(db: Session, entity: Entity) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=entity.id))


def test_an_entity_completes_its_own_contacts(client: TestClient, db: Session) -> None:
    entity = make_entity(db)
    headers = _bidder_of(db, entity)
    changes = {"contact_name": "李四", "contact_phone": "13800000000", "address": "昆明市五华区人民中路1号"}

    response = client.patch(f"{ENTITIES}/me", json=changes, headers=headers)

    assert response.status_code == 200, response.text
    seen = client.get(f"{ENTITIES}/me", headers=headers).json()
    assert {key: seen[key] for key in changes} == changes
    untouched = (entity.legal_representative, entity.credit_code)
    assert (seen["legal_representative"], seen["credit_code"]) == untouched
    registered, updated = events_for(db, "entity", entity.id)
    assert (registered.action, updated.action) == ("entity.registered", "entity.updated")
    assert json.loads(updated.payload) == {"fields": ["address", "contact_name", "contact_phone"]}


@pytest.mark.parametrize(
    ("field", "value"),
    [("credit_code", credit_code("110000")), ("name", "冒名顶替有限公司"), ("region_code", "110000")],
)
def test_an_entity_cannot_change_what_its_certificate_and_the_register_say(
    client: TestClient, db: Session, field: str, value: str
) -> None:
    entity = make_entity(db)
    headers = _bidder_of(db, entity)
    before = _rows(db)

    response = client.patch(f"{ENTITIES}/me", json={field: value, "contact_name": "李四"}, headers=headers)

    _assert_problem(response, status=422, code="validation_failed", field=field)
    assert _rows(db) == before
    seen = client.get(f"{ENTITIES}/me", headers=headers).json()
    assert (seen["credit_code"], seen["contact_name"]) == (entity.credit_code, None)


# -- centres --------------------------------------------------------------------------------------------------------


def test_the_platform_admin_builds_a_province_city_county_hierarchy(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    province = client.post(CENTRES, json={"name": "贵州省公共资源交易中心", "region_code": "520000"}, headers=admin)
    assert province.status_code == 201, province.text
    city_body = {"name": "贵阳市公共资源交易中心", "region_code": "520100", "parent_id": province.json()["id"]}
    city = client.post(CENTRES, json=city_body, headers=admin)
    assert city.status_code == 201, city.text
    county_body = {"name": "贵阳市南明区分中心", "region_code": "520102", "parent_id": city.json()["id"]}
    county = client.post(CENTRES, json=county_body, headers=admin)
    assert county.status_code == 201, county.text

    created = [province.json(), city.json(), county.json()]
    assert [(c["level"], c["parent_id"]) for c in created] == [
        ("province", None),
        ("city", province.json()["id"]),
        ("county", city.json()["id"]),
    ]
    listed = {c["id"]: c for c in client.get(CENTRES).json()}
    assert all(listed[c["id"]] == c for c in created)
    assert [_payload(db, "centre", c["id"])[0] for c in created] == ["centre.created"] * 3


@pytest.mark.parametrize(
    ("region_code", "parent"),
    [
        pytest.param("530400", None, id="city-without-parent"),
        pytest.param("530102", None, id="county-without-parent"),
        pytest.param("530102", "guizhou", id="county-under-a-province-not-containing-it"),
        pytest.param("530302", "city", id="county-under-a-sibling-city"),
        pytest.param("530100", "city", id="city-under-itself"),
        pytest.param("520000", "province", id="province-under-a-province"),
    ],
)
def test_a_centre_sits_under_the_centre_whose_region_contains_it(
    client: TestClient,
    db: Session,
    admin: dict[str, str],
    centres: dict[str, Centre],
    region_code: str,
    parent: str | None,
) -> None:
    centres["guizhou"] = service.create_centre(
        db, SYSTEM, name="贵州省中心", region_code="520000", parent_id=None, now=TEST_NOW
    )
    body = {"name": "新设交易中心", "region_code": region_code, "parent_id": centres[parent].id if parent else None}

    problem = _assert_refused(client, db, CENTRES, body, admin, status=422, code="invalid_input", field="parent_id")
    assert "上级中心" in problem["message_zh"]


def test_centre_names_are_unique(client: TestClient, db: Session, admin: dict[str, str]) -> None:
    body = {"name": "西南公共资源交易中心", "region_code": "520000"}
    assert client.post(CENTRES, json=body, headers=admin).status_code == 201

    body["region_code"] = "510000"
    problem = _assert_refused(client, db, CENTRES, body, admin, status=409, code="conflict", field="name")
    assert "西南公共资源交易中心" in problem["message_zh"]


def test_centre_staff_cannot_create_centres(client: TestClient, db: Session, staff: dict[str, str]) -> None:
    body = {"name": "自设交易中心", "region_code": "520000"}
    _assert_refused(client, db, CENTRES, body, staff, status=403, code="permission_denied", field=None)


# -- users and roles ------------------------------------------------------------------------------------------------


def test_centre_staff_create_an_expert_who_logs_in_with_a_password(
    client: TestClient, db: Session, staff: dict[str, str], centres: dict[str, Centre]
) -> None:
    city = centres["city"].id
    body = {
        "username": "expert-zhao",
        "display_name": "赵工",
        "password": "correct horse battery",
        "roles": [{"role": "expert", "centre_id": city}],
    }

    response = client.post(USERS, json=body, headers=staff)

    assert response.status_code == 201, response.text
    user = response.json()
    assert (user["username"], user["entity_id"]) == ("expert-zhao", None)
    assert user["roles"] == [{"role": "expert", "centre_id": city, "region_code": None, "trade_type": None}]
    action, payload = _payload(db, "user", user["id"])
    assert (action, payload["username"]) == ("user.created", "expert-zhao")
    assert "correct horse battery" not in json.dumps(payload)
    login = client.post("/api/v1/auth/password-login", json={"username": "expert-zhao", "password": body["password"]})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["id"] == user["id"]


@pytest.mark.parametrize(
    ("role", "centre", "region"),
    [
        pytest.param(Role.PLATFORM_ADMIN, None, None, id="platform-admin"),
        pytest.param(Role.CENTRE_STAFF, "city", None, id="centre-staff"),
        pytest.param(Role.SUPERVISOR, "city", "530100", id="supervisor"),
        pytest.param(Role.EXPERT, "other_city", None, id="expert-of-another-centre"),
        pytest.param(Role.EXPERT, None, None, id="expert-of-every-centre"),
    ],
)
def test_centre_staff_grant_only_the_expert_role_in_their_own_centre(
    client: TestClient,
    db: Session,
    staff: dict[str, str],
    centres: dict[str, Centre],
    role: Role,
    centre: str | None,
    region: str | None,
) -> None:
    grant = {"role": role.value, "centre_id": centres[centre].id if centre else None, "region_code": region}
    body = {"username": "would-be", "display_name": "越权", "password": "correct horse battery", "roles": [grant]}

    problem = _assert_refused(client, db, USERS, body, staff, status=403, code="permission_denied", field=None)
    assert f"user.grant.{role.value}" in problem["message_en"]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.INSPECTOR])
def test_oversight_roles_are_granted_for_a_region(
    client: TestClient, db: Session, admin: dict[str, str], role: Role
) -> None:
    grant = {"role": role.value}
    body = {
        "username": "supervisor-wu",
        "display_name": "吴监督",
        "password": "correct horse battery",
        "roles": [grant],
    }

    problem = _assert_refused(
        client, db, USERS, body, admin, status=422, code="invalid_input", field="roles.region_code"
    )
    assert "行政区划" in problem["message_zh"]


def test_a_supervisor_is_limited_to_a_trade_type_that_exists(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    # A misspelt trade type would silently leave the supervisor seeing no project at all.
    grant = {"role": "supervisor", "region_code": "530100", "trade_type": "procurement"}
    body = {"username": "supervisor-he", "display_name": "何监督", "password": "correct horse battery"}
    before = _rows(db)

    response = client.post(USERS, json={**body, "roles": [grant]}, headers=admin)

    assert response.status_code == 422, response.text
    assert response.json()["field"].endswith("trade_type")
    assert _rows(db) == before


def test_a_role_is_granted_only_once(
    client: TestClient, db: Session, staff: dict[str, str], centres: dict[str, Centre]
) -> None:
    grant = {"role": "expert", "centre_id": centres["city"].id}
    expert = make_user(db, roles=[RoleGrantIn(role=Role.EXPERT, centre_id=centres["city"].id)])
    path = f"{USERS}/{expert.id}/roles"

    _assert_refused(client, db, path, grant, staff, status=409, code="conflict", field="role")
    assert event_count(db, "role.granted") == 0


def test_a_user_is_created_with_each_role_once(
    client: TestClient, db: Session, staff: dict[str, str], centres: dict[str, Centre]
) -> None:
    grant = {"role": "expert", "centre_id": centres["city"].id}
    body = {"username": "expert-sun", "display_name": "孙工", "password": "correct horse battery"}

    response = client.post(USERS, json={**body, "roles": [grant, grant]}, headers=staff)

    # Refusing the repeated grant or keeping it once would both do; holding it twice would not.
    assert response.status_code in (201, 409, 422), response.text
    held = select(func.count()).select_from(RoleBinding).join(User, User.id == RoleBinding.user_id)
    assert db.scalar(held.where(User.username == "expert-sun")) in (0, 1)


def test_usernames_are_unique(client: TestClient, db: Session, staff: dict[str, str]) -> None:
    make_user(db, username="expert-qian")
    body = {"username": "expert-qian", "display_name": "另一个钱工", "password": "correct horse battery"}

    problem = _assert_refused(client, db, USERS, body, staff, status=409, code="username_taken", field="username")
    assert "expert-qian" in problem["message_zh"]
