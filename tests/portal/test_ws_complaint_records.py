"""The investigation and hearings of a complaint on pages (decision 0047): the supervisor records an investigation
step with an evidence file (招标投标法实施条例 第62条), schedules a hearing that notifies the parties and records it
(政府采购法实施条例 第56条; 政府采购法 第56条); the complainant and the owner read the hearing they were party to; the
decision freezes the records. Refused forms leave no row, event or file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.complaints.models import ComplaintHearing, ComplaintInvestigation
from ggzy.core.clock import FixedClock, to_china_time
from ggzy.core.permissions import Role
from ggzy.entities.schemas import RoleGrantIn
from tests.complaints.test_hearings import _accepted
from tests.factories import event_count, make_user
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code


def _rows(db: Session, app: FastAPI) -> tuple[int, ...]:
    counts = tuple(
        db.scalar(select(func.count()).select_from(m)) or 0 for m in (ComplaintInvestigation, ComplaintHearing)
    )
    files = len([p for p in app.state.blob_store.root.rglob("*") if p.is_file()])
    return (*counts, event_count(db), files)


def test_the_supervisor_investigates_holds_a_hearing_and_the_parties_read_it_实施条例第62条(
    client: TestClient, app: FastAPI, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _accepted(client, db, gm_ca, clock)
    complaint_id = int(scene["url"].rsplit("/", 1)[1])
    grant = RoleGrantIn(role=Role.SUPERVISOR, region_code="530100", trade_type="construction")
    supervisor = make_user(db, roles=[grant])
    browser_login(client, db, supervisor)
    url = f"/workspace/complaints/{complaint_id}"
    page = client.get(url).text
    assert 'id="investigation-form"' in page
    assert 'id="hearing-form"' in page
    token = csrf_from(client, url)
    today = str(to_china_time(clock.now()).date())

    before = _rows(db, app)
    wrong = client.post(
        f"{url}/investigations", data={"csrf_token": token, "kind": "gossip", "taken_on": today, "summary": "传闻"},
        files={"evidence": ("笔录.pdf", b"%PDF notes")},
    )  # fmt: skip
    assert (wrong.status_code, problem_code(wrong)) == (422, "invalid_input")
    assert _rows(db, app) == before, "a refused step leaves no row, event or file"
    done = client.post(
        f"{url}/investigations",
        data={"csrf_token": token, "kind": "inquiry", "taken_on": today, "heard_role": "owner",
              "heard_name": "招标人项目负责人", "summary": "询问招标人：业绩合同已核对原件"},
        files={"evidence": ("询问笔录.pdf", b"%PDF notes")}, follow_redirects=False,
    )  # fmt: skip
    assert (done.status_code, outcome_code(done)) == (303, "complaint_investigation_recorded")
    assert _rows(db, app)[0] == before[0] + 1
    assert _rows(db, app)[3] == before[3] + 1
    assert "询问招标人：业绩合同已核对原件" in client.get(url).text

    held_at = to_china_time(clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    first = scene["bidders"][0].entity_id
    scheduled = client.post(
        f"{url}/hearings",
        data={"csrf_token": token, "held_at": held_at, "place": "第三会议室", "matters": "业绩合同真实性",
              "bidder_ids": str(first)},
        follow_redirects=False,
    )  # fmt: skip
    assert (scheduled.status_code, outcome_code(scheduled)) == (303, "complaint_hearing_scheduled")
    hearing = db.scalar(select(ComplaintHearing))
    assert hearing is not None
    assert f"hearings/{hearing.id}/record" not in client.get(url).text  # not before it is held

    # the owner reads the notice addressed to it; the complainant on its complaint's page
    client.cookies.clear()
    browser_login(client, db, scene["owner_user"])
    assert "业绩合同真实性" in client.get("/workspace/hearings").text
    client.cookies.clear()
    browser_login(client, db, scene["complainant"])
    assert "业绩合同真实性" in client.get(url).text
    assert "询问招标人" not in client.get(url).text  # the investigation is the supervisors' alone

    clock.set(clock.now() + timedelta(days=2, minutes=10))
    client.cookies.clear()
    browser_login(client, db, supervisor)
    token = csrf_from(client, url)
    assert f"hearings/{hearing.id}/record" in client.get(url).text
    parties = ["complainant", "owner", "agent", "bidder"]
    keys = [f"{role}:{entity}" for role, entity in zip(parties, _entities(hearing), strict=True)]
    recorded = client.post(
        f"{url}/hearings/{hearing.id}/record",
        data={"csrf_token": token, "summary": "各方进行了质证", "party": keys,
              "representative": ["甲", "乙", "", "丁"], "statement": ["合同系伪造", "已核对原件", "", "合同真实"],
              "attended": [k for k in keys if not k.startswith("agent")]},
        follow_redirects=False,
    )  # fmt: skip
    assert (recorded.status_code, outcome_code(recorded)) == (303, "complaint_hearing_recorded")
    shown = client.get(url).text
    assert "未到场" in shown
    assert "合同系伪造" in shown

    dismissed = client.post(
        f"{url}/dismiss", data={"csrf_token": token, "decision": "经调查和听证，投诉缺乏事实根据，驳回。"},
        follow_redirects=False,
    )  # fmt: skip
    assert dismissed.status_code == 303
    assert 'id="investigation-form"' not in client.get(url).text
    before = _rows(db, app)
    frozen = client.post(
        f"{url}/investigations", data={"csrf_token": token, "kind": "documents", "taken_on": today, "summary": "补充"}
    )
    assert (frozen.status_code, problem_code(frozen)) == (409, "complaint_records_frozen")
    assert _rows(db, app) == before

    client.cookies.clear()
    browser_login(client, db, scene["owner_user"])
    mine = client.get("/workspace/hearings").text
    assert "合同系伪造" in mine
    assert "未到场" in mine
    assert "Hearing" in client.get("/workspace/hearings?lang=en").text
    # the public project page: the decision with its date, department and legal basis, nothing of the hearing
    client.cookies.clear()
    public = client.get(f"/projects/{scene['project'].id}").text
    assert "经调查和听证，投诉缺乏事实根据" in public
    assert "处理部门：昆明市 工程建设 行政监督部门" in public
    assert "依据：招标投标法实施条例 第六十一条" in public
    assert "决定日期" in public
    assert "合同系伪造" not in public
    assert "Handled by" in client.get(f"/projects/{scene['project'].id}?lang=en").text
    outsider = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=None)
    browser_login(client, db, outsider)
    assert "合同系伪造" not in client.get("/workspace/hearings").text


def _entities(hearing: ComplaintHearing) -> list[int]:
    import json

    return [party["entity_id"] for party in json.loads(hearing.parties)]
