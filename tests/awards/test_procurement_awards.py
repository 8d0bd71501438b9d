"""The result under 政府采购法: its challenge (第52条, 第53条; 实施条例 第53条, 第54条) and the periods after the
evaluation (实施条例 第43条, 第50条; 政府采购法 第46条), each missed period a recorded violation, never a lock.

The report of the ``gp_open`` procurement is finalised on Saturday 19 December 2026 (``make_evaluated_tender``);
working days on the test calendar (``load_test_calendar``).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import challenges
from ggzy.awards import service as awards
from ggzy.awards.models import Contract, ResultChallenge
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Permission, Role
from ggzy.core.violations import PeriodViolation
from ggzy.tendering.rules import china_date
from tests.awards.procurement_support import (
    at_ten,
    award_procurement,
    make_procurement_awarded,
    make_procurement_evaluated,
)
from tests.factories import bidder_user, event_count, make_awarded_tender, principal, token_for, user_with_role

ART_43 = "政府采购法实施条例 第四十三条"
ART_46 = "政府采购法 第四十六条"
ART_50 = "政府采购法实施条例 第五十条"
ART_53 = "政府采购法 第五十三条"
REPORT_DAY = date(2026, 12, 19)


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _violations(db: Session) -> list[PeriodViolation]:
    return list(db.scalars(select(PeriodViolation).order_by(PeriodViolation.id)))


def _contract_body(scene: dict, signed_on: date) -> dict:
    return {"amount": f"{scene['award'].price_fen / 100:.2f}", "signed_on": signed_on.isoformat()}


def test_政府采购法实施条例_第54条_the_contract_is_refused_while_a_result_challenge_is_open_and_signed_after_its_answer(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """实施条例 第54条: 质疑事项可能影响中标、成交结果的，采购人应当暂停签订合同. A challenge of the result halts the
    contract (the halt the award domain registers with the lifecycle); the refusal leaves no row or event; once the
    challenge is answered (政府采购法 第53条) the contract is recorded."""
    scene = make_procurement_awarded(db, gm_ca)
    tender_id = scene["tender"].id
    clock.set(at_ten(date(2026, 12, 21)))
    challenged = client.post(
        f"/api/v1/tenders/{tender_id}/result-challenges", json={"text": "成交供应商资格不符"},
        headers=token_for(db, scene["bidders"][1]),
    )  # fmt: skip
    assert challenged.status_code == 201, challenged.text
    assert challenged.json()["answer_due"] == "2026-12-30"  # 7 working days after Monday 21 December
    agent = token_for(db, scene["agent_user"])
    before = event_count(db)
    refused = client.post(
        f"/api/v1/tenders/{tender_id}/contract", json=_contract_body(scene, date(2026, 12, 21)), headers=agent
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "contract_waits_for_challenge")
    assert "政府采购法实施条例 第五十四条" in refused.json()["message_zh"]
    assert (event_count(db), _count(db, Contract)) == (before, 0)

    answered = client.post(
        f"/api/v1/result-challenges/{challenged.json()['id']}/answer", json={"text": "经核实，资格符合要求"},
        headers=agent,
    )  # fmt: skip
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_late"] is False
    signed = client.post(
        f"/api/v1/tenders/{tender_id}/contract", json=_contract_body(scene, date(2026, 12, 21)), headers=agent
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["stage"] == "contracted"
    assert _violations(db) == []


def test_政府采购法_第52条_实施条例_第53条_a_challenge_of_the_result_within_7_working_days_of_its_notice_and_not_after(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """第52条: 七个工作日内, from the result notice (实施条例 第53条 (三)). Announced on Saturday 19 December, the
    7th working day is Tuesday 29 December; on the 8th the challenge is refused with its article and unit, and
    nothing is left. Only a supplier that took part challenges (第52条); a procedure of 招标投标法 has no such step."""
    scene = make_procurement_awarded(db, gm_ca)
    url = f"/api/v1/tenders/{scene['tender'].id}/result-challenges"
    calendar = working_day_calendar(db)
    seventh = calendar.add_working_days(REPORT_DAY, 7)
    assert seventh == date(2026, 12, 29)
    supplier, outsider_token = token_for(db, scene["bidders"][0]), token_for(db, bidder_user(db))

    clock.set(at_ten(calendar.add_working_days(REPORT_DAY, 8)))
    before = event_count(db)
    late = client.post(url, json={"text": "成交结果有误"}, headers=supplier)
    assert (late.status_code, late.json()["code"]) == (422, "result_challenge_too_late")
    assert "7 个工作日" in late.json()["message_zh"]
    assert "政府采购法 第五十二条" in late.json()["message_zh"]
    assert "2026-12-29" in late.json()["message_zh"]
    outsider = client.post(url, json={"text": "成交结果有误"}, headers=outsider_token)
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_a_supplier_of_tender")
    assert (event_count(db), _count(db, ResultChallenge)) == (before, 0)

    clock.set(at_ten(seventh))
    taken = client.post(url, json={"text": "成交结果有误"}, headers=supplier)
    assert taken.status_code == 201, taken.text
    assert taken.json()["challenge_due"] == "2026-12-29"

    tendering_law = make_awarded_tender(db, gm_ca)
    clock.set(tendering_law["award"].awarded_at + timedelta(hours=1))
    none = client.post(
        f"/api/v1/tenders/{tendering_law['tender'].id}/result-challenges", json={"text": "中标结果有误"},
        headers=token_for(db, tendering_law["bidders"][0]),
    )  # fmt: skip
    assert (none.status_code, none.json()["code"]) == (409, "step_not_in_procedure")


def test_政府采购法_第53条_an_answer_after_7_working_days_is_given_and_recorded_as_a_violation(
    db: Session, gm_ca: Path
) -> None:
    """第53条: 收到供应商的书面质疑后七个工作日内作出答复. A later answer is still given (the contract waits for it)
    and the missed period is recorded against the round."""
    scene = make_procurement_awarded(db, gm_ca)
    supplier = principal(db, scene["bidders"][0], Permission.AWARD_OBJECT)
    made = challenges.challenge_result(
        db, supplier, tender_id=scene["tender"].id, text="成交结果有误", now=at_ten(date(2026, 12, 21))
    )
    late_day = date(2026, 12, 31)  # the 8th working day after Monday 21 December
    challenges.answer_result_challenge(
        db, scene["manager"], challenge_id=made.id, answer="维持成交结果", now=at_ten(late_day)
    )
    assert made.answered_late is True
    [violation] = _violations(db)
    assert (violation.period_key, violation.article) == ("procurement.challenge_answer", ART_53)
    assert (violation.due, violation.happened_on) == (date(2026, 12, 30), late_day)


def test_政府采购法实施条例_第43条_a_supplier_determined_after_5_working_days_of_the_report_is_recorded_late(
    db: Session, gm_ca: Path
) -> None:
    """第43条 第1款: 自收到评审报告之日起5个工作日内 ... 确定中标或者成交供应商. The report of Saturday 19 December
    allows until Friday 25 December; determined and announced on Monday 28 December, the award stands and the
    missed period is recorded with its article."""
    scene = make_procurement_evaluated(db, gm_ca)
    determined = date(2026, 12, 28)
    awarded = award_procurement(db, scene, now=at_ten(determined), determined_on=determined)
    assert awarded["award"].determined_on == determined
    [violation] = _violations(db)
    assert (violation.period_key, violation.article) == ("procurement.supplier_determination", ART_43)
    assert (violation.due, violation.happened_on) == (date(2026, 12, 25), determined)
    event = db.get(Event, violation.event_id)
    assert event is not None
    assert event.action == "award.awarded"
    assert json.loads(event.payload)["violation"]["period"] == "procurement.supplier_determination"


def test_政府采购法实施条例_第43条_a_result_notice_after_2_working_days_of_the_determination_is_recorded_late(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    """第43条 第2款: 自中标、成交供应商确定之日起2个工作日内，发出中标、成交通知书，并 ... 公告. Determined on
    Monday 21 December (in time), the letter and notice are due by Wednesday 23 December; issued on the 24th they
    are issued, the missed period recorded and shown on the supervisor's list."""
    scene = make_procurement_evaluated(db, gm_ca)
    award_procurement(db, scene, now=at_ten(date(2026, 12, 24)), determined_on=date(2026, 12, 21))
    [violation] = _violations(db)
    assert (violation.period_key, violation.article) == ("procurement.result_notice", ART_43)
    assert (violation.due, violation.happened_on) == (date(2026, 12, 23), date(2026, 12, 24))
    listed = client.get(
        f"/api/v1/violations?tender_id={scene['tender'].id}", headers=token_for(db, user_with_role(db, Role.SUPERVISOR))
    ).json()
    assert [(row["period"], row["article"]) for row in listed] == [("procurement.result_notice", ART_43)]


def test_政府采购法实施条例_第43条_a_determination_day_outside_report_to_today_is_refused_and_leaves_nothing(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """第43条: the supplier is determined from the report received, so not before it, and not in the future."""
    scene = make_procurement_evaluated(db, gm_ca)
    clock.set(at_ten(date(2026, 12, 21)))
    first = awards.report_candidates(db, scene["tender"].id)[0]["bid_id"]
    before = event_count(db)
    for day in ("2026-12-18", "2026-12-22"):
        refused = client.post(
            f"/api/v1/tenders/{scene['tender'].id}/award", json={"bid_id": first, "determined_on": day},
            headers=token_for(db, scene["agent_user"]),
        )  # fmt: skip
        assert (refused.status_code, refused.json()["code"]) == (422, "determination_date_wrong"), day
    assert event_count(db) == before
    assert awards.find_award(db, scene["tender"].id) is None


def test_政府采购法实施条例_第50条_a_contract_published_after_2_working_days_of_signing_is_recorded_late(
    db: Session, gm_ca: Path
) -> None:
    """第50条: 自政府采购合同签订之日起2个工作日内 ... 公告. Recording the contract publishes it; signed on Monday 21
    December and recorded on Thursday the 24th, the contract is recorded and the missed period kept."""
    scene = make_procurement_awarded(db, gm_ca)
    awards.record_contract(
        db, scene["manager"], tender_id=scene["tender"].id, amount_fen=scene["award"].price_fen,
        signed_on=date(2026, 12, 21), blob_sha256=None, now=at_ten(date(2026, 12, 24)),
    )  # fmt: skip
    [violation] = _violations(db)
    assert (violation.period_key, violation.article) == ("procurement.contract_publication", ART_50)
    assert (violation.due, violation.happened_on) == (date(2026, 12, 23), date(2026, 12, 24))


def test_政府采购法_第46条_and_实施条例_第50条_a_contract_signed_late_and_published_late_records_both_on_its_one_event(
    db: Session, gm_ca: Path
) -> None:
    """政府采购法 第46条: signed within 30 days of the letter of Saturday 19 December (so by Monday 18 January 2027);
    signed on the 19th and recorded on Friday the 22nd (第50条: published by the 21st), both missed periods are
    recorded, each with its article, both carried by the contract's one event."""
    scene = make_procurement_awarded(db, gm_ca)
    assert scene["award"].contract_due == date(2027, 1, 18)
    contract = awards.record_contract(
        db, scene["manager"], tender_id=scene["tender"].id, amount_fen=scene["award"].price_fen,
        signed_on=date(2027, 1, 19), blob_sha256=None, now=at_ten(date(2027, 1, 22)),
    )  # fmt: skip
    assert contract.late is True
    first, second = _violations(db)
    assert (first.period_key, first.article, first.due) == ("procurement.contract", ART_46, date(2027, 1, 18))
    assert (second.period_key, second.article, second.due) == (
        "procurement.contract_publication", ART_50, date(2027, 1, 21),
    )  # fmt: skip
    assert first.event_id == second.event_id
    event = db.get(Event, first.event_id)
    assert event is not None
    payload = json.loads(event.payload)
    assert payload["violation"]["article"] == ART_46
    assert [item["article"] for item in payload["also_missed"]] == [ART_50]
    assert china_date(event.occurred_at) == date(2027, 1, 22)
