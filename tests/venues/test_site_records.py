"""On-site records (现场见证记录, decision 0048): the staff of a tender's own centre record misconduct seen at its
opening or evaluation about someone who was really there; corrections never overwrite; the records are evidence a
supervisor cites in a credit penalty; a record about an expert stays secret until the result (招标投标法 第37条)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import CHINA_STANDARD_TIME, FixedClock
from ggzy.core.errors import DomainError, InvalidInput, NotFound
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.credit import service as credit
from ggzy.credit.models import CreditPenalty, CreditPenaltySiteRecord
from ggzy.credit.rules import SiteRecordNotGrounds
from ggzy.entities.models import User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.entities.service import get_entity
from ggzy.experts.service import committee_of
from ggzy.projects.access import NotYourCentre
from ggzy.venues import site_records
from ggzy.venues.models import SiteRecord
from tests.credit.support import expert_penalty, suspension
from tests.factories import (
    make_awarded_tender,
    make_entity,
    make_published_tender,
    make_user,
    principal,
    token_for,
    user_with_role,
)
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code
from tests.venues.site_record_support import evaluated, expert_late, phone_at_opening, record, recorder

API = "/api/v1"


def _rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(SiteRecord)) or 0


def _events(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event).where(Event.action.like("site_record.%"))) or 0


def _supervisor(db: Session, region_code: str = "530100") -> Any:
    return make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code=region_code)])


@pytest.fixture
def scene(db: Session, gm_ca: Path) -> dict:
    return evaluated(db, gm_ca)


def test_centre_staff_record_a_phone_used_by_a_bidder_representative_at_the_opening(db: Session, scene: dict) -> None:
    row = record(db, scene)
    assert (row.session, row.subject_kind, row.entity_id, row.representative_name, row.category) == (
        "opening", "bidder", scene["bidders"][0].entity_id, "张三", "communication_device",
    )  # fmt: skip
    assert row.occurred_at == scene["now"] - timedelta(minutes=30)  # stored in UTC, as given
    assert site_records.evidence_of(row) == [{"name": "现场照片.jpg", "sha256": "a" * 64}]
    event = db.scalar(select(Event).where(Event.action == "site_record.recorded"))
    assert event is not None
    assert not event.disclosed  # a record may name an expert: kept out of the public ledger (第37条)
    assert json.loads(event.payload)["representative_name"] == "张三"


def test_beijing_time_is_stored_in_utc(db: Session, scene: dict) -> None:
    at = (scene["now"] - timedelta(hours=1)).astimezone(CHINA_STANDARD_TIME)
    row = record(db, scene, phone_at_opening(scene, occurred_at=at.isoformat()))
    assert row.occurred_at == scene["now"] - timedelta(hours=1)
    assert row.occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"occurred_at": "2099-01-01T09:00:00+08:00"}, InvalidInput, "occurred_at"),  # in the future by the clock
        ({"entity_id": None}, InvalidInput, "entity_id"),
        ({"subject_kind": "expert", "entity_id": None, "representative_name": None, "session": "opening"},
         site_records.SiteSubjectNotOfTender, "subject_kind"),  # the committee does not sit at the opening
        ({"subject_kind": "expert", "entity_id": None, "representative_name": None, "session": "evaluation",
          "expert_id": 10**9}, site_records.SiteSubjectNotOfTender, "expert_id"),
        ({"subject_kind": "agent", "entity_id": 10**9, "representative_name": None},
         site_records.SiteSubjectNotOfTender, "entity_id"),
        ({"amends_id": 10**9}, NotFound, "amends_id"),
    ],
)  # fmt: skip
def test_a_refused_record_leaves_no_row_and_no_event(
    db: Session, scene: dict, changes: dict, error: type[DomainError], field: str
) -> None:
    before = (_rows(db), _events(db))
    with pytest.raises(error) as refused:
        record(db, scene, phone_at_opening(scene, **changes))
    assert refused.value.field == field
    assert (_rows(db), _events(db)) == before


def test_the_subject_must_be_a_bidder_of_this_tender(db: Session, scene: dict) -> None:
    stranger = make_entity(db)
    before = (_rows(db), _events(db))
    with pytest.raises(site_records.SiteSubjectNotOfTender):
        record(db, scene, phone_at_opening(scene, entity_id=stranger.id))
    assert (_rows(db), _events(db)) == before


def test_a_bidder_who_withdrew_before_the_deadline_is_no_subject_nor_on_the_form_招标投标法第22条(
    db: Session, scene: dict
) -> None:
    """The opening record names the bids standing at the deadline; one withdrawn before it is a potential bidder the
    opening never named (招标投标法 第二十二条): the form does not list it and a record about it is refused."""
    from ggzy.tendering.models import SealedBid

    withdrawn = scene["bidders"][2].entity_id
    bid = db.scalars(
        select(SealedBid).where(SealedBid.tender_id == scene["tender"].id, SealedBid.entity_id == withdrawn)
    ).first()
    assert bid is not None
    bid.status = "withdrawn"  # tendering.bids.WITHDRAWN: as if withdrawn before the deadline
    db.flush()
    shown = site_records.attendees(db, recorder(db, scene), scene["tender"].id)
    assert withdrawn not in [entity_id for entity_id, _ in shown.bidders]
    assert len(shown.bidders) == 2
    before = (_rows(db), _events(db))
    with pytest.raises(site_records.SiteSubjectNotOfTender):
        record(db, scene, phone_at_opening(scene, entity_id=withdrawn))
    assert (_rows(db), _events(db)) == before


def test_the_owner_and_an_expert_of_the_committee_may_be_recorded(db: Session, scene: dict) -> None:
    owner = record(db, scene, phone_at_opening(scene, subject_kind="owner", entity_id=None, representative_name=None))
    assert owner.entity_id == scene["owner"].id
    expert = record(db, scene, expert_late(scene))
    assert (expert.expert_id, expert.expert_user_id is not None) == (scene["expert_id"], True)


def test_nothing_is_recorded_of_an_opening_that_has_not_begun(db: Session) -> None:
    tender, setup = make_published_tender(db)
    entity = make_entity(db)
    bidder = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=entity.id)
    scene = {"tender": tender, "staff": setup["staff"], "bidders": [bidder],
             "now": tender.bid_deadline - timedelta(days=1)}  # fmt: skip
    with pytest.raises(site_records.SiteSessionNotHeld):
        record(db, scene, phone_at_opening(scene, entity_id=entity.id))
    assert _rows(db) == 0


def test_staff_of_another_centre_and_of_the_centre_above_cannot_record(db: Session, scene: dict) -> None:
    for level in ("other_city", "province"):
        staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=scene["centres"][level].id)])
        actor = principal(db, staff, Permission.SITE_RECORD_WRITE)
        with pytest.raises(NotYourCentre):
            site_records.record(db, actor, tender_id=scene["tender"].id, data=phone_at_opening(scene), now=scene["now"])
    assert (_rows(db), _events(db)) == (0, 0)


def test_another_centres_record_is_not_found_whatever_its_state(db: Session, scene: dict, gm_ca: Path) -> None:
    """Withdrawing another centre's record, or amending another tender's, answers 404 — neither a 403 that says the
    record exists nor a 409 that says it was withdrawn (the security review's L4)."""
    row = record(db, scene)
    site_records.withdraw(db, recorder(db, scene), record_id=row.id, reason="记录有误", now=scene["now"])
    staff = make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=scene["centres"]["other_city"].id)])
    outsider = principal(db, staff, Permission.SITE_RECORD_WRITE)
    before = (_rows(db), _events(db))
    for record_id in (row.id, 10**9):
        with pytest.raises(NotFound):
            site_records.withdraw(db, outsider, record_id=record_id, reason="试探", now=scene["now"])
    assert (_rows(db), _events(db)) == before
    other = evaluated(db, gm_ca)
    before = (_rows(db), _events(db))
    with pytest.raises(NotFound):  # the withdrawn record of another tender: not found, rather than "withdrawn"
        record(db, other, phone_at_opening(other, amends_id=row.id))
    assert (_rows(db), _events(db)) == before


def test_a_correction_is_a_new_record_and_a_withdrawal_keeps_the_row(db: Session, scene: dict) -> None:
    first = record(db, scene)
    second = record(db, scene, phone_at_opening(scene, category="disrupting_order", amends_id=first.id))
    assert first.description == phone_at_opening(scene).description  # never overwritten
    assert site_records.amended_by(db, [first.id]) == {first.id: second.id}
    assert [row.id for row in site_records.history_of(db, first)] == [first.id, second.id]
    with pytest.raises(site_records.SiteRecordClosed):  # only the latest is corrected or withdrawn
        record(db, scene, phone_at_opening(scene, amends_id=first.id))
    actor = recorder(db, scene)
    site_records.withdraw(db, actor, record_id=second.id, reason="记录对象有误", now=scene["now"])
    assert (second.withdrawn_at, second.withdraw_reason) == (scene["now"], "记录对象有误")
    before = _events(db)
    with pytest.raises(site_records.SiteRecordClosed):
        site_records.withdraw(db, actor, record_id=second.id, reason="再次撤回", now=scene["now"])
    assert _events(db) == before
    assert _rows(db) == 2


def test_zhaobiao_law_art_37_an_expert_reads_a_record_about_himself_only_after_the_result(
    db: Session, gm_ca: Path
) -> None:
    """招标投标法 第37条: 评标委员会成员的名单在中标结果确定前应当保密 — the record names him, and he reads it only once
    the result is known; a bidder reads its own records, never another bidder's."""
    scene = evaluated(db, gm_ca)
    about_expert = record(db, scene, expert_late(scene))
    about_bidder = record(db, scene)
    seat = next(s for s in committee_of(db, scene["tender"].id) if s.expert_id == scene["expert_id"])
    expert = principal(db, db.get_one(User, seat.user_id), Permission.SITE_RECORD_READ)
    assert site_records.readable(db, expert) == []
    with pytest.raises(NotFound):
        site_records.get_readable(db, expert, about_expert.id)
    bidder = principal(db, scene["bidders"][0], Permission.SITE_RECORD_READ)
    other = principal(db, scene["bidders"][1], Permission.SITE_RECORD_READ)
    assert [row.id for row in site_records.readable(db, bidder)] == [about_bidder.id]
    assert site_records.readable(db, other) == []
    # after the award the expert reads it
    awarded = make_awarded_tender(db, gm_ca)
    after = evaluated(db, gm_ca, scene=awarded)
    later = record(db, after, expert_late(after), now=after["now"] + timedelta(days=30))
    seat = next(s for s in committee_of(db, after["tender"].id) if s.expert_id == after["expert_id"])
    expert = principal(db, db.get_one(User, seat.user_id), Permission.SITE_RECORD_READ)
    assert [row.id for row in site_records.readable(db, expert)] == [later.id]
    assert site_records.get_readable(db, expert, later.id).id == later.id


def test_supervisors_and_inspectors_of_the_region_read_others_do_not(db: Session, scene: dict) -> None:
    row = record(db, scene, expert_late(scene))
    readers = [
        make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530100")]),
        make_user(db, roles=[RoleGrantIn(role=Role.INSPECTOR, region_code="530000")]),
        make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=scene["centres"]["province"].id)]),
    ]
    for user in readers:
        assert [r.id for r in site_records.readable(db, principal(db, user, Permission.SITE_RECORD_READ))] == [row.id]
    outsiders = [
        make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530300")]),
        make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=scene["centres"]["other_city"].id)]),
    ]
    for user in outsiders:
        assert site_records.readable(db, principal(db, user, Permission.SITE_RECORD_READ)) == []


# -- evidence for credit ---------------------------------------------------------------------------------------------


def _penalties(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(CreditPenalty)) or 0


def test_regulations_art_78_a_penalty_cites_the_site_record_about_the_same_bidder(db: Session, scene: dict) -> None:
    """招标投标法实施条例 第七十八条: the decision is published with its grounds; the on-site record is its evidence."""
    row = record(db, scene)
    actor = principal(db, _supervisor(db), Permission.CREDIT_PENALISE)
    code = get_entity(db, row.entity_id).credit_code
    penalty, _ = credit.decide_penalty(db, actor, data=suspension(code, site_record_ids=[row.id]), now=scene["now"])
    assert credit.site_records_cited(db, [penalty.id]) == {penalty.id: [row.id]}
    assert [p.id for p in credit.penalties_citing(db, row.id)] == [penalty.id]
    event = db.scalar(select(Event).where(Event.action == "credit.penalty_decided").order_by(Event.id.desc()))
    assert event is not None
    assert json.loads(event.payload)["site_record_ids"] == [row.id]


def test_a_penalty_on_an_expert_cites_the_record_about_that_expert(db: Session, scene: dict) -> None:
    row = record(db, scene, expert_late(scene))
    actor = principal(db, _supervisor(db), Permission.CREDIT_PENALISE)
    penalty, _ = credit.decide_penalty(
        db, actor, data=expert_penalty(scene["expert_id"], site_record_ids=[row.id]), now=scene["now"]
    )
    assert credit.site_records_cited(db, [penalty.id]) == {penalty.id: [row.id]}


def test_a_penalty_cannot_cite_a_record_about_another_subject_withdrawn_or_beyond_its_jurisdiction(
    db: Session, scene: dict
) -> None:
    row = record(db, scene)
    stranger = make_entity(db)
    actor = principal(db, _supervisor(db), Permission.CREDIT_PENALISE)
    before = (_penalties(db), db.scalar(select(func.count()).select_from(CreditPenaltySiteRecord)))
    with pytest.raises(SiteRecordNotGrounds):
        credit.decide_penalty(
            db, actor, data=suspension(stranger.credit_code, site_record_ids=[row.id]), now=scene["now"]
        )
    code = get_entity(db, row.entity_id).credit_code
    elsewhere = principal(db, _supervisor(db, "530300"), Permission.CREDIT_PENALISE)
    with pytest.raises(NotFound):
        credit.decide_penalty(db, elsewhere, data=suspension(code, site_record_ids=[row.id]), now=scene["now"])
    site_records.withdraw(db, recorder(db, scene), record_id=row.id, reason="记录有误", now=scene["now"])
    with pytest.raises(SiteRecordNotGrounds):
        credit.decide_penalty(db, actor, data=suspension(code, site_record_ids=[row.id]), now=scene["now"])
    assert (_penalties(db), db.scalar(select(func.count()).select_from(CreditPenaltySiteRecord))) == before


# -- the API -----------------------------------------------------------------------------------------------------------


def _body(scene: dict, **changes: Any) -> dict:
    return phone_at_opening(scene, **changes).model_dump(mode="json")


def test_the_api_records_lists_and_refuses_an_inspector_leaving_nothing(
    client: TestClient, db: Session, clock: FixedClock, scene: dict
) -> None:
    clock.set(scene["now"])
    url = f"{API}/tenders/{scene['tender'].id}/site-records"
    inspector = user_with_role(db, Role.INSPECTOR)
    refused = client.post(url, json=_body(scene), headers=token_for(db, inspector))
    assert refused.status_code == 403
    assert (_rows(db), _events(db)) == (0, 0)
    assert client.post(url, json=_body(scene)).status_code == 401
    staff = token_for(db, scene["staff"])
    blank = client.post(url, json=_body(scene) | {"description": "   "}, headers=staff)
    assert blank.status_code == 422
    assert (_rows(db), _events(db)) == (0, 0)
    made = client.post(url, json=_body(scene), headers=staff)
    assert made.status_code == 201, made.text
    assert made.json()["subject_name"] == get_entity(db, scene["bidders"][0].entity_id).name
    supervisor = token_for(db, _supervisor(db))
    listed = client.get(f"{API}/site-records", headers=supervisor)
    assert [row["id"] for row in listed.json()] == [made.json()["id"]]
    withdrawn = client.post(
        f"{API}/site-records/{made.json()['id']}/withdrawal", json={"reason": "记录有误"}, headers=staff
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdraw_reason"] == "记录有误"
    one = client.get(f"{API}/site-records/{made.json()['id']}", headers=supervisor)
    assert one.status_code == 200
    assert one.json()[0]["withdrawn_at"] is not None
    assert (
        client.get(f"{API}/site-records/{made.json()['id']}", headers=token_for(db, scene["bidders"][1])).status_code
        == 404
    )


# -- the pages ---------------------------------------------------------------------------------------------------------


def test_centre_staff_record_on_the_tender_page_and_a_supervisor_sees_it_with_the_penalty_citing_it(
    client: TestClient, db: Session, clock: FixedClock, scene: dict
) -> None:
    clock.set(scene["now"])
    page = f"/workspace/centre/tenders/{scene['tender'].id}/site-records"
    browser_login(client, db, scene["staff"])
    token = csrf_from(client, page)
    at = (scene["now"] - timedelta(minutes=20)).astimezone(CHINA_STANDARD_TIME)
    form = {
        "csrf_token": token, "session": "opening", "subject": f"bidder:{scene['bidders'][0].entity_id}",
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M"),
        "category": "communication_device", "description": "投标人代表使用手机", "representative_name": "李四",
    }  # fmt: skip
    refused = client.post(page, data=form | {"subject": "bidder:999999999"}, follow_redirects=False)
    assert problem_code(refused) == "site_record_subject_not_of_tender"
    assert _rows(db) == 0
    done = client.post(page, data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "site_record_recorded"
    [row] = db.scalars(select(SiteRecord)).all()
    assert (row.representative_name, row.occurred_at) == (
        "李四",
        (scene["now"] - timedelta(minutes=20)).replace(second=0, microsecond=0),
    )
    shown = client.get(page)
    assert "李四" in shown.text
    assert "data-confirm" in shown.text
    client.cookies.clear()
    supervisor = _supervisor(db)
    browser_login(client, db, supervisor)
    actor = principal(db, supervisor, Permission.CREDIT_PENALISE)
    code = get_entity(db, row.entity_id).credit_code
    penalty, _ = credit.decide_penalty(db, actor, data=suspension(code, site_record_ids=[row.id]), now=scene["now"])
    listed = client.get("/workspace/site-records")
    assert listed.status_code == 200
    assert f'data-site-record="{row.id}"' in listed.text
    detail = client.get(f"/workspace/site-records/{row.id}")
    assert detail.status_code == 200
    assert penalty.decision_number in detail.text
    assert client.get(page).status_code == 403  # the supervisor reads, it does not record


def test_the_pages_name_the_sessions_subjects_and_categories_as_the_rules_do() -> None:
    """One list of categories (site_record_rules): the pages' labels are its Chinese words, nothing added or lost."""
    from ggzy.portal import site_records as pages
    from ggzy.venues import site_record_rules as rules

    assert {key.value: zh for key, (zh, _) in rules.CATEGORIES.items()} == pages.CATEGORIES
    assert {key.value: zh for key, (zh, _) in rules.SESSIONS.items()} == pages.SESSIONS
    assert {key.value: zh for key, (zh, _) in rules.SUBJECT_KINDS.items()} == pages.SUBJECT_KINDS
