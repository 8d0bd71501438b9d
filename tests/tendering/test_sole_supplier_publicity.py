"""政府采购法实施条例 第38条: a single-source procurement publicises the procurement and its sole supplier for at
least 5 working days. The publicity is on the public portal, any supplier may object during its days, and the
purchaser answers before the procurement is published; the answer is public, the objector is not named."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.errors import Conflict, InvalidInput
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.entities.models import Entity
from ggzy.tendering import service as tendering
from ggzy.tendering import sole_source
from ggzy.tendering.models import SoleSupplierObjection, Tender
from ggzy.tendering.procedures import Method
from ggzy.tendering.stages import Stage
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, event_count, load_test_calendar, make_accepted_project, principal, token_for
from tests.tendering.test_procurement import _create

pytestmark = pytest.mark.db


def _publicised(db: Session) -> dict:  # type: ignore[type-arg]
    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    supplier = bidder_user(db)
    manager = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    tender = tendering.create_tender(
        db, manager, lot_id=setup["lots"][0].id, procedure_key="single_source", method=Method.LOWEST_PRICE,
        title="单一来源采购", notice_text="采购公告", documents_until=TEST_NOW + timedelta(days=25),
        bid_deadline=TEST_NOW + timedelta(days=40), invited_entity_ids=[supplier.entity_id], now=TEST_NOW,
    )  # fmt: skip
    tendering.attach_documents(db, manager, tender_id=tender.id, sha256="d" * 64, name="f.pdf", size=1, now=TEST_NOW)
    tendering.publicise_sole_supplier(
        db, manager, tender_id=tender.id, notice_text="唯一供应商为专利权人，拟采用单一来源方式采购", now=TEST_NOW
    )
    last_day = sole_source.publicities(db)[0].last_day
    supplier_name = db.get(Entity, supplier.entity_id).name  # type: ignore[union-attr]
    return {
        "tender": tender, "manager": manager, "supplier": supplier, "supplier_name": supplier_name,
        "last_day": last_day,
    }  # fmt: skip


def _late(scene: dict) -> datetime:  # type: ignore[type-arg]
    """The morning after the publicity's last day (China time)."""
    last: datetime = datetime.combine(scene["last_day"], datetime.min.time(), tzinfo=TEST_NOW.tzinfo)
    return last + timedelta(days=1, hours=2)


def _rows(db: Session) -> tuple[int, int]:
    return db.scalar(select(func.count()).select_from(SoleSupplierObjection)) or 0, event_count(db)


def test_政府采购法实施条例_第38条_the_sole_supplier_publicity_is_on_the_public_portal(
    client: TestClient, db: Session
) -> None:
    scene = _publicised(db)
    page = client.get("/notices/sole-supplier")
    assert page.status_code == 200
    assert scene["supplier_name"] in page.text
    assert "唯一供应商为专利权人" in page.text
    assert scene["last_day"].isoformat() in page.text
    assert "第三十八条" in page.text
    assert "/notices/sole-supplier" in client.get("/notices").text


def test_政府采购法实施条例_第38条_an_objection_during_the_publicity_is_answered_before_the_procurement_goes_on(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    scene = _publicised(db)
    tender = scene["tender"]
    objector = bidder_user(db)
    clock.set(TEST_NOW + timedelta(days=1))
    raised = client.post(
        f"/api/v1/tenders/{tender.id}/sole-supplier-publicity/objections",
        json={"text": "本单位同样具备供货能力，不属于只能从唯一供应商处采购的情形"},
        headers=token_for(db, objector),
    )
    assert raised.status_code == 201, raised.text
    objection_id = raised.json()["id"]
    assert objection_id.startswith("sobj_")
    event = db.scalar(select(Event).where(Event.action == "tender.sole_supplier_objection_raised"))
    assert event is not None
    assert not event.disclosed  # who objected stays with the purchaser and the supervisors

    # the publicity over, the procurement waits for the answer
    after = _late(scene)
    before = (event_count(db), tender.stage)
    with pytest.raises(tendering.SoleSupplierObjectionsUnanswered) as waiting, db.begin_nested():
        tendering.publish_tender(db, scene["manager"], tender_id=tender.id, now=after)
    assert waiting.value.code == "sole_supplier_objections_unanswered"
    assert "第三十八条" in waiting.value.detail_zh
    assert (event_count(db), tender.stage) == before

    answer = "经论证，该设备专利由唯一供应商持有，其他供应商无法提供"
    answered = client.post(
        f"/api/v1/sole-supplier-objections/{objection_id}/answer",
        json={"text": answer},
        headers=token_for(db, db.get(type(objector), tender.created_by)),  # type: ignore[arg-type]
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["answer"] == answer
    page = client.get("/notices/sole-supplier").text
    assert answer in page
    assert "本单位同样具备供货能力" in page
    assert db.get(Entity, objector.entity_id).name not in page  # type: ignore[union-attr]
    published = tendering.publish_tender(db, scene["manager"], tender_id=tender.id, now=after)
    assert published.stage == Stage.PUBLISHED


def test_政府采购法实施条例_第38条_an_objection_after_the_publicity_is_refused(db: Session) -> None:
    scene = _publicised(db)
    objector = principal(db, bidder_user(db), Permission.TENDER_OBJECT)
    before = _rows(db)
    with pytest.raises(sole_source.SoleSupplierObjectionOutOfTime) as refused, db.begin_nested():
        sole_source.raise_objection(db, objector, tender_id=scene["tender"].id, text="逾期异议", now=_late(scene))
    assert "第三十八条" in refused.value.detail_zh
    assert "5 个工作日" in refused.value.detail_zh
    assert _rows(db) == before
    assert db.get(Tender, scene["tender"].id).stage == Stage.DRAFT  # type: ignore[union-attr]


def test_政府采购法实施条例_第38条_no_objection_before_anything_is_publicised(db: Session) -> None:
    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    tender, _ = _create(db, setup, procedure="single_source", invited=[bidder_user(db).entity_id])
    objector = principal(db, bidder_user(db), Permission.TENDER_OBJECT)
    before = _rows(db)
    with pytest.raises(sole_source.SoleSupplierObjectionOutOfTime), db.begin_nested():
        sole_source.raise_objection(db, objector, tender_id=tender.id, text="提前异议", now=TEST_NOW)
    assert _rows(db) == before


def test_政府采购法实施条例_第38条_a_supplier_objects_and_the_purchaser_answers_on_the_pages(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    from ggzy.entities.models import User
    from tests.portal.ws_support import browser_login, csrf_from, problem_code

    scene = _publicised(db)
    tender = scene["tender"]
    objector = bidder_user(db)
    browser_login(client, db, objector)
    clock.set(TEST_NOW + timedelta(days=1))
    token = csrf_from(client, "/notices/sole-supplier")
    url = f"/workspace/bidder/sole-supplier/{tender.id}/objections"
    raised = client.post(url, data={"csrf_token": token, "text": "本单位也能提供该设备"}, follow_redirects=False)
    assert raised.status_code == 303, raised.text
    shown = client.get(raised.headers["location"])
    assert "异议已提交" in shown.text
    assert "本单位也能提供该设备" in shown.text

    clock.set(_late(scene))  # after the publicity: refused on the page, nothing written
    before = _rows(db)
    late = client.post(url, data={"csrf_token": token, "text": "逾期异议"})
    assert (late.status_code, problem_code(late)) == (409, "sole_supplier_objection_out_of_time")
    assert 'role="alert"' in late.text
    assert _rows(db) == before

    browser_login(client, db, db.get(User, tender.created_by))  # type: ignore[arg-type]
    page = client.get(f"/workspace/projects/tenders/{tender.id}")
    assert "本单位也能提供该设备" in page.text
    objection = db.scalar(select(SoleSupplierObjection).where(SoleSupplierObjection.tender_id == tender.id))
    assert objection is not None
    answered = client.post(
        f"/workspace/projects/sole-supplier-objections/{objection.public_id}/answer",
        data={"csrf_token": csrf_from(client, f"/workspace/projects/tenders/{tender.id}"), "tender_id": tender.id,
              "answer": "该设备专利由唯一供应商持有"},
        follow_redirects=False,
    )  # fmt: skip
    assert answered.status_code == 303, answered.text
    assert "异议已答复" in client.get(answered.headers["location"]).text
    public = client.get("/notices/sole-supplier").text
    assert "该设备专利由唯一供应商持有" in public
    assert url not in public  # the publicity is over: its form is gone


def test_政府采购法实施条例_第38条_the_sole_supplier_does_not_object_and_an_objector_waits_for_its_answer(
    db: Session,
) -> None:
    """The objection is other suppliers' (第38条 publicises the supplier so that others may say it is not the only
    one); the supplier itself cannot hold its own procurement up, and one objector holds it with one objection at
    a time. Refused objections leave no row and no event."""
    scene = _publicised(db)
    tender_id, during = scene["tender"].id, TEST_NOW + timedelta(days=1)
    itself = principal(db, scene["supplier"], Permission.TENDER_OBJECT)
    objector = principal(db, bidder_user(db), Permission.TENDER_OBJECT)
    before = _rows(db)
    with pytest.raises(InvalidInput), db.begin_nested():
        sole_source.raise_objection(db, itself, tender_id=tender_id, text="自己的异议", now=during)
    assert _rows(db) == before
    first = sole_source.raise_objection(db, objector, tender_id=tender_id, text="另有供应商可以提供", now=during)
    after_first = _rows(db)
    with pytest.raises(Conflict), db.begin_nested():
        sole_source.raise_objection(db, objector, tender_id=tender_id, text="再次异议", now=during)
    assert _rows(db) == after_first
    sole_source.answer_objection(
        db, scene["manager"], objection_id=first.public_id, answer="经核实仅此一家", now=during
    )
    sole_source.raise_objection(db, objector, tender_id=tender_id, text="对答复仍有异议", now=during)
