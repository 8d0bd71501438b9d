"""The demo's supervision (issue 13): after the tender story, on the story's clock —

- a joint-punishment list (联合惩戒名单) imported by the supervisor, and a dishonest bidder on it intercepted when
  it registers on the platform (the interception recorded, the registration refused: decision 0040);
- a losing bidder's complaint about the awarded works lot, accepted and dismissed by the supervisor, its decision
  published on the project page (招标投标法实施条例 第60条, 第61条);
- an on-site record (现场见证记录, decision 0048) by the centre's staff: a bidder's representative of the awarded works
  lot used a phone at its opening;
- a random inspection (双随机一公开, decision 0042) planned over the Kunming construction rounds, drawn from the root
  of the first ledger checkpoint over the plan, replayed here from the plan's public entry, its finding recorded and
  published.

Each part runs in units of work of its own, after the story's: the inspection's seed exists only once its plan is
committed and a checkpoint signed over it. Returns the report's ``oversight`` section.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ggzy.awards import service as awards
from ggzy.complaints import records as complaint_records
from ggzy.complaints import rules as complaint_rules
from ggzy.complaints import service as complaints
from ggzy.core.clock import Clock, to_china_time
from ggzy.core.db import unit_of_work
from ggzy.core.events import Event
from ggzy.core.permissions import SYSTEM, Permission
from ggzy.core.screening import Intercepted
from ggzy.credit import service as credit
from ggzy.entities import login
from ggzy.entities import service as entities
from ggzy.entities.models import User
from ggzy.entities.schemas import EntityIn
from ggzy.ledger.keys import LedgerKeys
from ggzy.ledger.service import catch_up
from ggzy.supervision import inspections
from ggzy.tendering.read import opening_started_at
from ggzy.venues import site_records
from ggzy.venues.schemas import SiteRecordIn

DISHONEST_NAME = "云南失信建设工程有限公司（演示）"
LIST_SOURCE = "信用中国 联合惩戒名单（演示）"


def _supervisor(db: Session) -> Any:
    user = db.scalar(select(User).where(User.username == "supervisor"))
    assert user is not None  # the demo made it
    return login.principal_for(db, user)


def _intercept_dishonest(factory: sessionmaker[Session], *, credit_code: str, now: datetime) -> dict[str, Any]:
    with unit_of_work(factory) as db:
        supervisor = _supervisor(db).holding(Permission.CREDIT_IMPORT)
        since = to_china_time(now).date() - timedelta(days=60)
        content = (
            "credit_code,name,grounds,valid_from,valid_until\n"
            f"{credit_code},{DISHONEST_NAME},围标串标被行政处罚（演示）,{since},\n"
        ).encode()
        credit.import_list(
            db, supervisor, source=LIST_SOURCE, published_on=to_china_time(now).date(), content=content, now=now
        )
    try:
        with unit_of_work(factory) as db:  # registering the entity is refused; its interception is recorded
            entities.register_entity(db, SYSTEM, data=EntityIn(credit_code=credit_code, name=DISHONEST_NAME), now=now)
    except Intercepted as refused:
        return {"credit_code": credit_code, "name": DISHONEST_NAME, "intercepted_at": "registration",
                "code": refused.code, "list": LIST_SOURCE}  # fmt: skip
    raise RuntimeError("the demo's dishonest bidder was not intercepted at registration")


def _complaint(factory: sessionmaker[Session], *, tender_id: int, now: datetime) -> dict[str, Any]:
    with unit_of_work(factory) as db:
        award = awards.find_award(db, tender_id)
        assert award is not None  # the story awarded it
        loser = next(entity for entity in awards.standing_bidders(db, tender_id) if entity != award.entity_id)
        user = db.scalar(select(User).where(User.entity_id == loser).order_by(User.id).limit(1))
        assert user is not None
        complainant = login.principal_for(db, user).holding(Permission.COMPLAINT_LODGE)
        complaint = complaints.lodge_complaint(
            db, complainant, tender_id=tender_id, matter=complaint_rules.OTHER,
            request="请求调查中标人项目经理是否存在在建工程、依法处理",
            facts="中标人拟派项目经理同时担任另一在建工程的项目经理（演示）",
            evidence=[{"name": "在建工程公示截图（演示）", "sha256": "0" * 64}],
            knew_on=to_china_time(now).date(), interest=None, now=now,
        )  # fmt: skip
        complaint_id = complaint.id
    decided = now + timedelta(hours=2)
    with unit_of_work(factory) as db:
        supervisor = _supervisor(db).holding(Permission.COMPLAINT_HANDLE)
        complaints.accept_complaint(db, supervisor, complaint_id=complaint_id, now=now + timedelta(hours=1))
        hearing_id = _investigate_and_hear(db, supervisor, complaint_id=complaint_id, now=now + timedelta(hours=1))
        complaints.dismiss_complaint(
            db, supervisor, complaint_id=complaint_id, false_complaint=False, now=decided,
            decision="经调查，该项目经理所涉在建工程已于投标截止前竣工验收，不存在在建工程，投诉缺乏事实根据，予以驳回。",
        )  # fmt: skip
    return {
        "complaint_id": complaint_id,
        "tender_id": tender_id,
        "status": "dismissed",
        "decided_at": decided.isoformat(),
        "hearing_id": hearing_id,
    }


def _site_record(factory: sessionmaker[Session], *, tender_id: int, now: datetime) -> dict[str, Any]:
    with unit_of_work(factory) as db:
        user = db.scalar(select(User).where(User.username == "staff"))
        assert user is not None  # the demo made it
        staff = login.principal_for(db, user).holding(Permission.SITE_RECORD_WRITE)
        bidder = min(awards.standing_bidders(db, tender_id))
        started = opening_started_at(db, tender_id)
        assert started is not None  # the story opened it
        data = SiteRecordIn.model_validate({
            "session": "opening", "occurred_at": min(started + timedelta(minutes=20), now), "subject_kind": "bidder",
            "entity_id": bidder, "representative_name": "赵六（演示）", "category": "communication_device",
            "description": "开标唱标过程中，该投标人代表在开标室内使用手机对外通话，经工作人员提醒后停止（演示）。",
        })  # fmt: skip
        row = site_records.record(db, staff, tender_id=tender_id, data=data, now=now)
        return {"id": row.id, "tender_id": tender_id, "entity_id": bidder}


def _investigate_and_hear(db: Session, supervisor: Any, *, complaint_id: int, now: datetime) -> int:
    """Before deciding, the supervisor reads the completion records (实施条例 第62条) and hears the parties."""
    complaint_records.record_investigation(
        db, supervisor, complaint_id=complaint_id, kind=complaint_rules.DOCUMENTS_REVIEWED,
        taken_on=to_china_time(now).date(), heard_role=complaint_rules.OWNER, heard_name=None,
        summary="调取该项目经理所涉在建工程的竣工验收备案资料，验收日期早于投标截止时间（演示）",
        evidence=[{"name": "竣工验收备案表（演示）", "sha256": "1" * 64}], now=now + timedelta(minutes=5),
    )  # fmt: skip
    hearing = complaint_records.schedule_hearing(
        db, supervisor, complaint_id=complaint_id, held_at=now + timedelta(minutes=30), place="远程视频听证（演示）",
        remote=True, matters="中标人项目经理是否存在在建工程", bidder_ids=[], now=now + timedelta(minutes=10),
    )  # fmt: skip
    parties = json.loads(hearing.parties)
    complaint_records.record_hearing(
        db, supervisor, complaint_id=complaint_id, hearing_id=hearing.id,
        summary="各方对竣工验收备案资料进行了质证（演示）",
        attendance=[{"role": p["role"], "entity_id": p["entity_id"], "attended": True, "representative": "授权代表",
                     "statement": "对竣工验收备案资料无异议（演示）"} for p in parties],
        now=now + timedelta(minutes=40),
    )  # fmt: skip
    return hearing.id


def _inspection(
    factory: sessionmaker[Session], *, ledger_keys: LedgerKeys, ledger_clock: Clock, now: datetime
) -> dict[str, Any]:
    day = to_china_time(now).date()
    with unit_of_work(factory) as db:
        supervisor = _supervisor(db).holding(Permission.INSPECTION_MANAGE)
        plan = inspections.plan_inspection(
            db, supervisor, title="昆明市房屋建筑和市政工程双随机抽查（演示）", region_code="530100",
            trade_type=None, window_start=day - timedelta(days=40), window_end=day, rounds_to_draw=1,
            inspectors_to_draw=1, now=now,
        )  # fmt: skip
        plan_id, event_id = plan.id, plan.plan_event_id
    # the ledger's beat: a checkpoint signed over the plan, at the platform's own time (never ahead of it, so that the
    # beat goes on after the demo: the story's clock may run past the platform's)
    catch_up(factory, ledger_keys, ledger_clock)
    with unit_of_work(factory) as db:
        supervisor = _supervisor(db).holding(Permission.INSPECTION_MANAGE)
        drawn = inspections.draw_inspection(db, supervisor, plan_id=plan_id, now=now)
        seed, size = drawn.seed_root_hash, drawn.seed_tree_size
        result = inspections.drawn(drawn)
        assert seed is not None
        assert result is not None
        # the replay anyone makes: the candidates from the plan's public entry, the seed from the checkpoint
        payload = json.loads(db.scalar(select(Event.payload).where(Event.id == event_id)) or "{}")
        replayed = inspections.replay(
            seed=seed, plan_id=plan_id, rounds=payload["candidate_rounds"], inspectors=payload["candidate_inspectors"],
            rounds_to_draw=payload["rounds_to_draw"], inspectors_to_draw=payload["inspectors_to_draw"],
        )  # fmt: skip
        for tender_id in result.rounds:
            inspections.record_finding(
                db, supervisor, plan_id=plan_id, tender_id=tender_id, outcome=inspections.Outcome.NO_PROBLEM,
                text="开标记录、评标报告、中标候选人公示及合同资料齐全，未发现问题（演示）", now=now,
            )  # fmt: skip
        inspections.publish_results(db, supervisor, plan_id=plan_id, now=now)
    return {
        "plan_id": plan_id, "seed_tree_size": size, "seed_root_hash": seed.hex(), "rounds": list(result.rounds),
        "replayed": replayed == result, "published": True,
    }  # fmt: skip


def oversight_story(
    factory: sessionmaker[Session], *, ledger_keys: LedgerKeys, ledger_clock: Clock, awarded_tender_id: int | None,
    dishonest_code: str, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """The demo's supervision after its story (see the module's docstring); its part of the JSON report."""
    report: dict[str, Any] = {"interception": _intercept_dishonest(factory, credit_code=dishonest_code, now=now)}
    if awarded_tender_id is not None:
        report["complaint"] = _complaint(factory, tender_id=awarded_tender_id, now=now + timedelta(minutes=10))
        report["site_record"] = _site_record(factory, tender_id=awarded_tender_id, now=now + timedelta(minutes=20))
    report["inspection"] = _inspection(
        factory, ledger_keys=ledger_keys, ledger_clock=ledger_clock, now=now + timedelta(hours=4)
    )
    return report
