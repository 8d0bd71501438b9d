"""Every step from the evaluation report to the contract on the owner's pages, and objections, challenges and
complaints on pages for bidders and the supervisory department; the decisions on the public project page.

招标投标法实施条例 第54条 (publicity, objections), 第55条 (award), 招标投标法 第45条 (letters), 第46条 (contract),
实施条例 第60–62条 (complaints), 政府采购法 第52、53条 (challenges). Refused forms leave no row, event or file."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards.models import Award, AwardLetter, CandidatePublicity, Contract, PublicityObjection, ResultChallenge
from ggzy.complaints.models import Complaint, TenderSuspension
from ggzy.core.calendar import parse_year_schedule
from ggzy.core.calendar_store import load_calendar_year
from ggzy.core.clock import FixedClock, to_china_time
from ggzy.core.permissions import SYSTEM, Role
from ggzy.entities.schemas import RoleGrantIn
from tests.awards.procurement_support import make_procurement_awarded
from tests.conftest import TEST_NOW
from tests.factories import event_count, make_evaluated_tender, make_publicised_tender, make_user
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code

SCHEDULE_2027 = '{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}'  # test data, not the real schedule


def _rows(db: Session, app: FastAPI | None = None) -> tuple[int, ...]:
    models = (CandidatePublicity, PublicityObjection, Award, AwardLetter, Contract, ResultChallenge, Complaint,
              TenderSuspension)  # fmt: skip
    counts = tuple(db.scalar(select(func.count()).select_from(m)) or 0 for m in models)
    files = len([p for p in app.state.blob_store.root.rglob("*") if p.is_file()]) if app is not None else 0
    return (*counts, event_count(db), files)


def _no_raw_json(html: str) -> None:
    assert "\\u" not in html
    assert '"price_fen"' not in html
    assert "<pre>" not in html


def test_the_agent_publicises_awards_sends_the_letters_and_records_the_contract_on_the_pages(
    client: TestClient, db: Session, app: FastAPI, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    tender = scene["tender"]
    clock.set(scene["reported_at"])
    browser_login(client, db, scene["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    shown = client.get(page).text
    _no_raw_json(shown)
    # the opening record and the report as tables: bidders by name, prices in 元
    cheapest = db.get(type(scene["owner"]), scene["bidders"][2].entity_id)
    assert cheapest is not None
    assert cheapest.name in shown
    assert "100,000.00 元" in shown
    assert 'id="ranking"' in shown
    assert 'id="decryptions"' in shown
    assert "data-confirm" in shown
    assert "/publicity" in shown
    token = csrf_from(client, page)

    too_short = client.post(
        f"{page}/publicity",
        data={"csrf_token": token, "ends_at": to_china_time(scene["reported_at"] + timedelta(hours=5)).strftime(
            "%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    before = _rows(db)
    assert (too_short.status_code, problem_code(too_short)) == (422, "publicity_too_short"), too_short.text
    assert _rows(db) == before
    assert event_count(db, "award.publicity_published") == 0

    published = client.post(f"{page}/publicity", data={"csrf_token": token}, follow_redirects=False)
    assert published.status_code == 303, published.text
    assert outcome_code(published) == "publicity_published"
    after = client.get(published.headers["location"]).text
    assert "中标候选人已公示" in after
    assert 'id="candidates"' in after
    publicity = db.scalar(select(CandidatePublicity).where(CandidatePublicity.tender_id == tender.id))
    assert publicity is not None

    first = json.loads(publicity.candidates)[0]["bid_id"]
    early = client.post(f"{page}/award", data={"csrf_token": token, "bid_id": str(first)})
    assert (early.status_code, problem_code(early)) == (409, "publicity_not_ended")
    assert event_count(db, "award.awarded") == 0
    clock.set(publicity.ends_at)
    awarded = client.post(f"{page}/award", data={"csrf_token": token, "bid_id": str(first)}, follow_redirects=False)
    assert awarded.status_code == 303, awarded.text
    letters_page = client.get(awarded.headers["location"]).text
    assert "中标通知书已发给中标人" in letters_page
    letters = db.scalars(select(AwardLetter).where(AwardLetter.tender_id == tender.id)).all()
    assert len(letters) == 3  # the winner's letter and a result notice to each other bidder (招标投标法 第45条)
    for letter in letters:
        assert f"/workspace/letters/{letter.id}" in letters_page
    assert "壹拾万元整" in letters_page  # the award price in 大写

    signed_on = to_china_time(publicity.ends_at).date().isoformat()
    before = _rows(db)
    wrong = client.post(f"{page}/contract", data={"csrf_token": token, "amount": "99999.00", "signed_on": signed_on})
    assert (wrong.status_code, problem_code(wrong)) == (422, "contract_amount_departs"), wrong.text
    assert 'role="alert"' in wrong.text
    assert _rows(db) == before, "a refused contract leaves no row and no event"
    recorded = client.post(
        f"{page}/contract", data={"csrf_token": token, "amount": "100000.00", "signed_on": signed_on},
        follow_redirects=False,
    )  # fmt: skip
    assert recorded.status_code == 303, recorded.text
    assert "合同已登记" in client.get(recorded.headers["location"]).text
    assert event_count(db, "award.contract_recorded") == 1
    public = client.get(f"/projects/{scene['project'].id}").text
    assert "合同金额" in public
    assert "100,000.00 元" in public


def _complaint_scene(db: Session, gm_ca: Path) -> dict:
    load_calendar_year(db, SYSTEM, schedule=parse_year_schedule(SCHEDULE_2027), now=TEST_NOW)
    scene = make_publicised_tender(db, gm_ca)
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    return scene | {"supervisor": make_user(db, roles=[grant])}


def test_a_bidder_objects_and_complains_the_supervisor_decides_and_the_decision_is_public(
    client: TestClient, db: Session, app: FastAPI, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    scene = _complaint_scene(db, gm_ca)
    tender, publicity = scene["tender"], scene["publicity"]
    bidder = scene["bidders"][1]
    clock.set(publicity.starts_at + timedelta(hours=1))
    browser_login(client, db, bidder)
    page = f"/workspace/objections/tenders/{tender.id}"
    token = csrf_from(client, page)
    assert 'id="object"' in client.get(page).text  # the publicity runs: an objection may be raised

    # a complaint on the result before any objection is refused (实施条例 第60条), and leaves nothing behind
    form = {"csrf_token": token, "matter": "evaluation_result", "request": "责令重新评标", "facts": "第一名业绩不实",
            "knew_on": to_china_time(publicity.starts_at).date().isoformat()}  # fmt: skip
    before = _rows(db, app)
    early = client.post(f"{page}/complaint", data=form, files={"evidence": ("证明.pdf", b"%PDF evidence")})
    assert (early.status_code, problem_code(early)) == (409, "objection_required_first"), early.text
    assert _rows(db, app) == before, "a refused complaint leaves no row, event or file"

    objected = client.post(
        f"{page}/result-objection", data={"csrf_token": token, "text": "第一名业绩不实"}, follow_redirects=False
    )
    assert objected.status_code == 303, objected.text
    assert outcome_code(objected) == "result_objection_raised"
    objection = db.scalar(select(PublicityObjection).where(PublicityObjection.tender_id == tender.id))
    assert objection is not None

    # the agent answers on its page
    client.cookies.clear()
    browser_login(client, db, scene["agent_user"])
    owner_page = f"/workspace/projects/tenders/{tender.id}"
    answered = client.post(
        f"/workspace/projects/publicity-objections/{objection.id}/answer",
        data={"csrf_token": csrf_from(client, owner_page), "tender_id": str(tender.id), "answer": "经核实业绩真实"},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text

    client.cookies.clear()
    browser_login(client, db, bidder)
    token = csrf_from(client, page)
    lodged = client.post(
        f"{page}/complaint", data=form | {"csrf_token": token}, files={"evidence": ("证明.pdf", b"%PDF evidence")},
        follow_redirects=False,
    )  # fmt: skip
    assert lodged.status_code == 303, lodged.text
    complaint = db.scalar(select(Complaint).where(Complaint.tender_id == tender.id))
    assert complaint is not None
    assert complaint.status == "lodged"
    mine = client.get("/workspace/objections").text
    assert "经核实业绩真实" in mine
    assert "待受理" in mine

    # after the publicity an objection is refused (实施条例 第54条), and leaves nothing
    clock.set(publicity.ends_at + timedelta(minutes=1))
    before = _rows(db)
    late = client.post(f"{page}/result-objection", data={"csrf_token": token, "text": "再次异议"})
    assert (late.status_code, problem_code(late)) == (409, "objection_outside_publicity"), late.text
    assert _rows(db) == before
    assert 'id="object"' not in client.get(page).text

    # the supervisor's queue and the complaint page
    client.cookies.clear()
    browser_login(client, db, scene["supervisor"])
    queue = client.get("/workspace/complaints").text
    assert f"/workspace/complaints/{complaint.id}" in queue
    url = f"/workspace/complaints/{complaint.id}"
    token = csrf_from(client, url)
    before = _rows(db)
    premature = client.post(f"{url}/dismiss", data={"csrf_token": token, "decision": "驳回"})
    assert (premature.status_code, problem_code(premature)) == (409, "complaint_state_wrong")
    assert _rows(db) == before
    for action, data, done in (
        ("accept", {}, "complaint_accepted"),
        ("suspension", {"reason": "处理投诉期间暂停"}, "tender_suspended"),
        ("suspension/lift", {}, "suspension_lifted"),
        ("dismiss", {"decision": "经调查，中标候选人业绩属实，投诉缺乏事实根据，予以驳回。"}, "complaint_dismissed"),
    ):
        response = client.post(f"{url}/{action}", data={"csrf_token": token, **data}, follow_redirects=False)
        assert response.status_code == 303, (action, response.text)
        assert outcome_code(response) == done
    db.refresh(complaint)
    assert complaint.status == "dismissed"

    # the complainant sees the decision, and the public project page shows it (the bids are public by now)
    client.cookies.clear()
    browser_login(client, db, bidder)
    assert "投诉缺乏事实根据" in client.get("/workspace/objections").text
    assert "投诉缺乏事实根据" in client.get(f"/workspace/complaints/{complaint.id}").text
    client.cookies.clear()
    public = client.get(f"/projects/{scene['project'].id}").text
    assert "驳回投诉" in public
    assert "投诉缺乏事实根据" in public
    assert "已答复，维持评标结果" in public
    # the objection's and the answer's texts stay with the objector and the owner (实施条例 第54条 rows)
    assert "经核实业绩真实" not in public
    english = client.get(f"/projects/{scene['project'].id}?lang=en").text
    assert "Complaint dismissed" in english
    assert "Answered, result kept" in english
    client.cookies.clear()
    browser_login(client, db, scene["supervisor"])
    assert "Complaint dismissed" in client.get(f"/workspace/complaints/{complaint.id}?lang=en").text
    client.cookies.clear()
    browser_login(client, db, scene["agent_user"])
    assert "Candidate no. 1" in client.get(f"{owner_page}?lang=en").text


def test_a_complaint_is_not_shown_to_another_bidder_nor_handled_outside_the_jurisdiction(
    client: TestClient, db: Session, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    from ggzy.awards import service as awards
    from ggzy.complaints import service as complaints
    from ggzy.core.permissions import Permission
    from tests.factories import principal

    scene = _complaint_scene(db, gm_ca)
    tender, publicity = scene["tender"], scene["publicity"]
    now = publicity.starts_at + timedelta(hours=1)
    clock.set(now)
    objector = principal(db, scene["bidders"][1], Permission.AWARD_OBJECT)
    raised = awards.raise_objection(db, objector, tender_id=tender.id, text="评分有误", now=now)
    awards.answer_objection(
        db, principal(db, scene["agent_user"], Permission.AWARD_MANAGE), objection_id=raised.id, answer="无误", now=now
    )
    complaint = complaints.lodge_complaint(
        db, principal(db, scene["bidders"][1], Permission.COMPLAINT_LODGE), tender_id=tender.id,
        matter="evaluation_result", request="重新评标", facts="评分有误",
        evidence=[{"name": "a.pdf", "sha256": "c" * 64}],
        knew_on=to_china_time(now).date(), interest=None, now=now,
    )  # fmt: skip
    browser_login(client, db, scene["bidders"][0])
    assert client.get(f"/workspace/complaints/{complaint.id}").status_code == 404
    assert "重新评标" not in client.get("/workspace/objections").text
    client.cookies.clear()
    elsewhere = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="110000")])
    browser_login(client, db, elsewhere)
    assert client.get(f"/workspace/complaints/{complaint.id}").status_code == 404
    assert f"/workspace/complaints/{complaint.id}" not in client.get("/workspace/complaints").text


def test_a_supplier_challenges_the_result_and_the_purchaser_answers_on_the_pages_政府采购法第52条(
    client: TestClient, db: Session, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    scene = make_procurement_awarded(db, gm_ca)
    tender = scene["tender"]
    clock.set(scene["reported_at"] + timedelta(hours=1))
    browser_login(client, db, scene["bidders"][0])
    page = f"/workspace/objections/tenders/{tender.id}"
    assert 'id="challenge-result-text"' in client.get(page).text
    raised = client.post(
        f"{page}/result-challenge", data={"csrf_token": csrf_from(client, page), "text": "评审因素设置不合理"},
        follow_redirects=False,
    )  # fmt: skip
    assert raised.status_code == 303, raised.text
    challenge = db.scalar(select(ResultChallenge).where(ResultChallenge.tender_id == tender.id))
    assert challenge is not None

    client.cookies.clear()
    browser_login(client, db, scene["agent_user"])
    owner_page = f"/workspace/projects/tenders/{tender.id}"
    shown = client.get(owner_page).text
    assert "评审因素设置不合理" in shown
    assert 'id="challenges"' in shown
    token = csrf_from(client, owner_page)
    signed_on = to_china_time(scene["reported_at"]).date().isoformat()
    before = _rows(db)
    waits = client.post(
        f"{owner_page}/contract", data={"csrf_token": token, "amount": str(scene["award"].price_fen / 100),
                                        "signed_on": signed_on},
    )  # fmt: skip
    # 政府采购法实施条例 第54条: the contract waits for the answer
    assert (waits.status_code, problem_code(waits)) == (409, "contract_waits_for_challenge"), waits.text
    assert _rows(db) == before
    answered = client.post(
        f"/workspace/projects/result-challenges/{challenge.id}/answer",
        data={"csrf_token": token, "tender_id": str(tender.id), "answer": "评审因素符合采购需求"},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    assert outcome_code(answered) == "challenge_answered"
    client.cookies.clear()
    browser_login(client, db, scene["bidders"][0])
    assert "评审因素符合采购需求" in client.get("/workspace/objections").text


def test_an_answer_that_changes_the_result_leads_to_a_fresh_publicity_on_the_page_实施条例第54条(
    client: TestClient, db: Session, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    from ggzy.awards import service as awards
    from ggzy.core.permissions import Permission
    from tests.factories import principal

    scene = make_publicised_tender(db, gm_ca)
    tender, publicity = scene["tender"], scene["publicity"]
    now = publicity.starts_at + timedelta(hours=1)
    clock.set(now)
    objector = principal(db, scene["bidders"][1], Permission.AWARD_OBJECT)
    raised = awards.raise_objection(db, objector, tender_id=tender.id, text="第一名报价计算有误", now=now)
    browser_login(client, db, scene["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    token = csrf_from(client, page)
    answered = client.post(
        f"/workspace/projects/publicity-objections/{raised.id}/answer",
        data={"csrf_token": token, "tender_id": str(tender.id), "answer": "经复核，排序改变", "changes_result": "true"},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    shown = client.get(page).text
    assert 'id="republish"' in shown
    assert f'action="{page}/award"' not in shown  # the award waits for the fresh publicity
    current = [c["bid_id"] for c in json.loads(publicity.candidates)]
    before = _rows(db)
    same = client.post(
        f"{page}/publicity/republish",
        data={"csrf_token": token, "basis": "复核意见", "first": str(current[0]), "second": str(current[1]),
              "third": str(current[2])},
    )  # fmt: skip
    assert (same.status_code, problem_code(same)) == (422, "invalid_input"), same.text
    assert _rows(db) == before, "a refused republication leaves nothing"
    changed = client.post(
        f"{page}/publicity/republish",
        data={"csrf_token": token, "basis": "评标委员会复核意见：原第一名报价算术错误", "first": str(current[1]),
              "second": str(current[0])},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303, changed.text
    assert outcome_code(changed) == "publicity_republished"
    assert event_count(db, "award.publicity_republished") == 1
    db.refresh(publicity)
    assert [c["bid_id"] for c in json.loads(publicity.candidates)] == [current[1], current[0]]


def test_an_interested_party_that_did_not_bid_objects_only_stating_its_interest_实施条例第54条(
    client: TestClient, db: Session, clock: FixedClock, gm_ca: Path, trusted: dict[str, int]
) -> None:
    from tests.factories import bidder_user

    scene = make_publicised_tender(db, gm_ca)
    tender, publicity = scene["tender"], scene["publicity"]
    clock.set(publicity.starts_at + timedelta(hours=1))
    browser_login(client, db, bidder_user(db))
    page = f"/workspace/objections/tenders/{tender.id}"
    assert 'id="objection-interest"' in client.get(page).text
    token = csrf_from(client, page)
    before = _rows(db)
    bare = client.post(f"{page}/result-objection", data={"csrf_token": token, "text": "中标候选人资质存疑"})
    assert (bare.status_code, problem_code(bare)) == (403, "not_a_bidder_of_tender"), bare.text
    assert _rows(db) == before
    stated = client.post(
        f"{page}/result-objection",
        data={"csrf_token": token, "text": "中标候选人资质存疑", "interest": "本单位为该项目的分包供应商"},
        follow_redirects=False,
    )
    assert stated.status_code == 303, stated.text
    objection = db.scalar(select(PublicityObjection).where(PublicityObjection.tender_id == tender.id))
    assert objection is not None
    assert objection.interest == "本单位为该项目的分包供应商"
