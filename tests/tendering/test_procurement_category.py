"""政府采购法实施条例 第7条: government procurement of works, and of the goods and services related to construction,
follows 招标投标法 and its 实施条例 when procured by tendering, and 政府采购法 when procured by another method. The
project records what it procures (``procurement_category``); ``procedure_for`` reads it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.permissions import Role
from ggzy.core.trade_types import ProcurementCategory, TradeType
from ggzy.entities.schemas import RoleGrantIn
from ggzy.projects.models import Project
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import (
    PROCUREMENT_LAW,
    TENDERING_LAW,
    ProcedureNotForCategory,
    ProcedureNotForTradeType,
    procedure_for,
    procedures_for,
)
from tests.factories import event_count, make_centres, make_entity, make_user, project_body, token_for
from tests.tendering.test_procurement import _draft

_CONSTRUCTION = [ProcurementCategory.WORKS, ProcurementCategory.WORKS_GOODS, ProcurementCategory.WORKS_SERVICES]
_GP = TradeType.GOV_PROCUREMENT


@pytest.mark.parametrize("category", _CONSTRUCTION)
def test_政府采购法实施条例_第7条_works_tendered_run_under_招标投标法_other_methods_under_政府采购法(
    category: ProcurementCategory,
) -> None:
    assert procedure_for(_GP, "open", category=category).law == TENDERING_LAW
    assert procedure_for(_GP, "invited", category=category).law == TENDERING_LAW
    assert procedure_for(_GP, "rfq", category=category).law == PROCUREMENT_LAW  # 第7条: 采用其他方式
    assert procedure_for(_GP, "single_source", category=category).law == PROCUREMENT_LAW
    offered = {chosen.key for chosen in procedures_for(_GP, category)}
    assert {"open", "invited", "rfq", "single_source"} <= offered
    assert not {"gp_open", "gp_invited"} & offered
    for tendered_under_procurement_law in ("gp_open", "gp_invited"):
        with pytest.raises(ProcedureNotForCategory) as refused:
            procedure_for(_GP, tendered_under_procurement_law, category=category)
        assert refused.value.code == "procedure_not_for_category"
        assert "第七条" in refused.value.detail_zh
        assert category.label_zh in refused.value.detail_zh
        assert "art. 7" in refused.value.detail_en


@pytest.mark.parametrize("category", [ProcurementCategory.GOODS, ProcurementCategory.SERVICES, None])
def test_政府采购法实施条例_第7条_other_goods_and_services_stay_under_政府采购法(
    category: ProcurementCategory | None,
) -> None:
    assert procedure_for(_GP, "gp_open", category=category).law == PROCUREMENT_LAW
    with pytest.raises(ProcedureNotForTradeType):
        procedure_for(_GP, "open", category=category)
    # a construction project is under 招标投标法 whatever it states it procures
    assert procedure_for(TradeType.CONSTRUCTION, "open", category=category).law == TENDERING_LAW


@pytest.mark.db
def test_政府采购法实施条例_第7条_a_registered_works_procurement_is_tendered_under_招标投标法(
    client: TestClient, db: Session
) -> None:
    city = make_centres(db)["city"]
    owner = make_entity(db)
    owner_user = make_user(db, roles=[RoleGrantIn(role=Role.OWNER, centre_id=city.id)], entity_id=owner.id)
    staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=city.id)])
    body = project_body(centre_id=city.id, owner_id=owner.id, trade_type="gov_procurement", region_code="530102")
    registered = client.post(
        "/api/v1/projects", json=body | {"procurement_category": "works"}, headers=token_for(db, owner_user)
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["procurement_category"] == "works"
    project_id = registered.json()["id"]
    accepted = client.post(f"/api/v1/projects/{project_id}/accept", headers=token_for(db, staff))
    assert accepted.status_code == 200, accepted.text
    project = db.get(Project, project_id)
    assert project is not None
    assert project.procurement_category == "works"
    lot_id = accepted.json()["lots"][0]["id"]
    headers = token_for(db, owner_user)

    before = (db.scalar(select(func.count()).select_from(Tender)), event_count(db))
    refused = client.post("/api/v1/tenders", json=_draft(lot_id, procedure="gp_open"), headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "procedure_not_for_category"
    assert "政府采购法实施条例 第七条" in refused.json()["message_zh"]
    assert (db.scalar(select(func.count()).select_from(Tender)), event_count(db)) == before

    created = client.post("/api/v1/tenders", json=_draft(lot_id, procedure="open"), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["procedure"] == "open"


@pytest.mark.db
def test_政府采购法实施条例_第7条_the_registration_page_records_what_is_procured(
    client: TestClient, db: Session, trusted: dict[str, int]
) -> None:
    from tests.factories import make_accepted_project
    from tests.portal.ws_support import browser_login, csrf_from

    setup = make_accepted_project(db)
    browser_login(client, db, setup["agent_user"])
    page = client.get("/workspace/projects")
    assert 'name="procurement_category"' in page.text
    assert "与工程建设有关的服务" in page.text
    form = {
        "csrf_token": csrf_from(client, "/workspace/projects"), "centre_id": str(setup["centres"]["city"].id),
        "name": "页面登记的政府采购工程", "trade_type": "gov_procurement", "procurement_category": "works_services",
        "region_code": "530102", "other_credit_code": setup["owner"].credit_code, "lot_name": "监理服务",
        "budget": "500000.00",
    }  # fmt: skip
    registered = client.post("/workspace/projects", data=form, follow_redirects=False)
    assert registered.status_code == 303, registered.text
    project = db.scalar(select(Project).where(Project.name == "页面登记的政府采购工程"))
    assert project is not None
    assert project.procurement_category == "works_services"
