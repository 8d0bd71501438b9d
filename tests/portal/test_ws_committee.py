"""The committee's day on pages: the centre's staff draw the committee, check its members in (签到) and start the
evaluation; the members review qualification, elect their lead (浙江省招标投标条例 第29条), the lead rejects a bid
on a case of 招标投标法实施条例 第51条 with its reasons, they score and sign the report with their keys, one
dissenting (第53条); the report reads as tables. Refused forms leave nothing behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.entities.models import User
from ggzy.evaluation.models import ChairVote, Evaluation, QualificationMark, Rejection, ReportSignature
from ggzy.experts import service as experts
from ggzy.experts.models import Attendance, Draw
from tests.evaluation.signing_support import BrowserKey
from tests.factories import event_count, make_centres, make_expert, make_opened_tender, user_with_role
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _opened(db: Session, gm_ca: Path) -> dict:
    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000], method="scoring")
    for n in range(5):
        make_expert(db, name=f"评委{n}")
    return opened


def _staff_draws_checks_in_and_starts(client: TestClient, db: Session, opened: dict) -> str:
    tender_id = opened["tender"].id
    browser_login(client, db, opened["staff"])
    home = client.get("/workspace/committee")
    assert f'href="/workspace/committee/tenders/{tender_id}"' in home.text
    page = f"/workspace/committee/tenders/{tender_id}"
    token = csrf_from(client, page)
    assert "data-confirm" in client.get(page).text
    # refused: a committee of four (招标投标法 第37条) — nothing drawn, no event, the page says why
    before = event_count(db)
    refused = client.post(f"{page}/draw", data={"csrf_token": token, "specialty_code": "A01", "size": "4"})
    assert (refused.status_code, problem_code(refused)) == (422, "committee_unlawful")
    assert (_count(db, Draw), event_count(db)) == (0, before)
    drawn = client.post(
        f"{page}/draw", data={"csrf_token": token, "specialty_code": "A01", "size": "5"}, follow_redirects=False
    )
    assert drawn.status_code == 303, drawn.text
    assert outcome_code(drawn) == "committee_drawn"
    shown = client.get(drawn.headers["location"]).text
    assert "评标委员会已随机抽取" in shown  # the outcome
    assert "评委" in shown  # staff see the names (招标投标法 第37条: the centre only)
    for member in experts.sitting_members(db, tender_id):
        checked = client.post(
            f"{page}/check-ins", data={"csrf_token": token, "member_id": str(member.id)}, follow_redirects=False
        )
        assert checked.status_code == 303, checked.text
    again = client.post(f"{page}/check-ins", data={"csrf_token": token, "member_id": str(member.id)})
    assert problem_code(again) == "conflict"
    assert _count(db, Attendance) == 5
    bad = client.post(f"{page}/evaluation", data={"csrf_token": token, "criteria": "技术 40"})
    assert (bad.status_code, problem_code(bad)) == (422, "invalid_input")
    assert _count(db, Evaluation) == 0
    started = client.post(
        f"{page}/evaluation",
        data={"csrf_token": token, "qualification": "营业执照\n", "criteria": "technical 技术方案 40",
              "price_weight": "60", "price_formula": "lowest_base"},
        follow_redirects=False,
    )  # fmt: skip
    assert started.status_code == 303, started.text
    return page


def test_staff_of_another_centre_and_non_members_are_refused_the_pages(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    opened = _opened(db, gm_ca)
    tender_id = opened["tender"].id
    stranger = user_with_role(db, "centre_staff", centre_id=make_centres(db)["province"].id)  # type: ignore[arg-type]
    browser_login(client, db, stranger)
    refused = client.get(f"/workspace/committee/tenders/{tender_id}")
    assert (refused.status_code, problem_code(refused)) == (403, "centre_scope_denied")
    expert = db.get(User, make_expert(db).user_id)
    assert expert is not None
    browser_login(client, db, expert)
    assert problem_code(client.get(f"/workspace/expert/tenders/{tender_id}")) == "not_a_committee_member"


def _report_message(tender_id: int, member_id: int, sha256: str, opinion: str, reasons: str) -> str:
    """What the page's script signs (static/js/expert_signing.js, ggzy.evaluation.report_signing)."""
    digest = hashlib.sha256(reasons.encode()).hexdigest() if reasons else ""
    return (
        f"ggzy evaluation report v1\ntender={tender_id}\nmember={member_id}\nreport={sha256}\nopinion={opinion}\n"
        f"reasons={digest}\n"
    )


def test_the_committee_reviews_elects_rejects_scores_and_signs_with_one_dissent_on_pages(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int], clock
) -> None:  # type: ignore[no-untyped-def]
    opened = _opened(db, gm_ca)
    clock.set(opened["opened_at"])
    tender_id, bids = opened["tender"].id, opened["bid_ids"]
    staff_page = _staff_draws_checks_in_and_starts(client, db, opened)
    seats = experts.sitting_members(db, tender_id)
    users = [db.get(User, seat.user_id) for seat in seats]
    page = f"/workspace/expert/tenders/{tender_id}"
    keys: list[BrowserKey] = []
    chosen = seats[1].id
    for n, user in enumerate(users):
        browser_login(client, db, user)  # type: ignore[arg-type]
        token = csrf_from(client, page)
        text = client.get(page).text
        assert "评委" in text  # a member sees who sits beside them
        key = BrowserKey()
        keys.append(key)
        assert client.post("/workspace/expert/signing-key", data={"csrf_token": token, "public_key": key.public_key},
                           follow_redirects=False).status_code == 303  # fmt: skip
        if n < 3:  # three of five elect the second member
            voted = client.post(f"{page}/chair-votes", data={"csrf_token": token, "candidate_member_id": str(chosen)},
                                follow_redirects=False)  # fmt: skip
            assert outcome_code(voted) == "chair_voted"
        for bid in bids:
            incomplete = client.post(f"{page}/qualification", data={"csrf_token": token, "bid_id": str(bid)})
            assert problem_code(incomplete) == "invalid_input"
            marked = client.post(f"{page}/qualification", data={"csrf_token": token, "bid_id": str(bid),
                                 "mark.0": "pass"}, follow_redirects=False)  # fmt: skip
            assert marked.status_code == 303, marked.text
    assert db.scalar(select(Evaluation.lead_member_id)) == chosen
    assert _count(db, ChairVote) == 3
    assert _count(db, QualificationMark) == 15

    # the elected lead rejects the cheapest bid on a case of 第51条, with the facts and reasons
    browser_login(client, db, users[1])  # type: ignore[arg-type]
    token = csrf_from(client, page)
    shown = client.get(page).text
    assert "（六）投标文件没有对招标文件的实质性要求和条件作出响应" in shown
    no_reason = client.post(f"{page}/rejections", data={"csrf_token": token, "bid_id": str(bids[2]),
                            "ground": "not_responsive", "note": " "})  # fmt: skip
    assert problem_code(no_reason) == "invalid_input"
    assert _count(db, Rejection) == 0
    rejected = client.post(
        f"{page}/rejections",
        data={"csrf_token": token, "bid_id": str(bids[2]), "ground": "not_responsive", "note": "工期 400 天，超出要求"},
        follow_redirects=False,
    )  # fmt: skip
    assert outcome_code(rejected) == "bid_rejected"
    # every member scores the two bids in play, signed by their key
    for seat, user, key in zip(seats, users, keys, strict=True):
        browser_login(client, db, user)  # type: ignore[arg-type]
        token = csrf_from(client, page)
        for bid in bids[:2]:
            message = f"ggzy score sheet v1\ntender={tender_id}\nbid={bid}\nmember={seat.id}\ntechnical=30\n"
            form = {"csrf_token": token, "bid_id": str(bid), "score.technical": "30", "signature": key.sign(message)}
            sent = client.post(f"{page}/score-sheets", data=form, follow_redirects=False)
            assert sent.status_code == 303, sent.text
    browser_login(client, db, users[1])  # type: ignore[arg-type]
    token = csrf_from(client, page)
    finalised = client.post(f"{page}/report", data={"csrf_token": token}, follow_redirects=False)
    assert outcome_code(finalised) == "report_finalised", finalised.text
    from ggzy.evaluation.models import EvaluationReport

    sha256 = db.scalar(select(EvaluationReport.sha256))
    assert sha256 is not None
    # signing: a dissent without reasons is refused and leaves nothing; four agree, one dissents with reasons
    for n, (seat, user, key) in enumerate(zip(seats, users, keys, strict=True)):
        browser_login(client, db, user)  # type: ignore[arg-type]
        token = csrf_from(client, page)
        if n == 4:
            empty = {"csrf_token": token, "opinion": "dissent",
                     "signature": key.sign(_report_message(tender_id, seat.id, sha256, "dissent", ""))}  # fmt: skip
            assert problem_code(client.post(f"{page}/report-signatures", data=empty)) == "invalid_input"
            assert _count(db, ReportSignature) == 4
            reasons = "价格分计算无误，但第一名的技术方案\n未满足工期要求。"
            signature = key.sign(_report_message(tender_id, seat.id, sha256, "dissent", reasons))
            form = {"csrf_token": token, "opinion": "dissent", "reasons": reasons.replace("\n", "\r\n"),
                    "signature": signature}  # fmt: skip
        else:
            signature = key.sign(_report_message(tender_id, seat.id, sha256, "agree", ""))
            form = {"csrf_token": token, "opinion": "agree", "signature": signature}
        signed = client.post(f"{page}/report-signatures", data=form, follow_redirects=False)
        assert signed.status_code == 303, signed.text
    report_page = client.get(page).text
    assert "不同意见（评标报告注明）" in report_page
    assert "未满足工期要求" in report_page
    assert "工期 400 天，超出要求" in report_page
    assert "元" in report_page
    assert '"price_fen"' not in report_page  # never raw JSON
    # the staff's page shows the same report with names and every signature
    browser_login(client, db, opened["staff"])
    staff_view = client.get(staff_page).text
    assert staff_view.count('data-signature="') == 5
    assert "不同意" in staff_view
    assert "记录拒签" not in staff_view  # everyone signed


def test_regulations_art_53_staff_record_a_refusal_to_sign_on_the_page_and_the_member_is_deemed_to_agree(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int], clock
) -> None:
    from ggzy.evaluation import report_signing
    from tests.evaluation.test_committee_sessions import _reported

    scene = _reported(db, gm_ca)
    clock.set(scene["opened_at"] + report_signing.SIGNING_TIME)  # the members' time to sign has passed
    tender_id = scene["tender"].id
    page = f"/workspace/committee/tenders/{tender_id}"
    browser_login(client, db, scene["staff"])
    token = csrf_from(client, page)
    shown = client.get(page).text
    assert shown.count("记录拒签") == 5
    reserve = next(m for m in experts.committee_of(db, tender_id) if m.kind == experts.RESERVE)
    before = event_count(db)
    refused = client.post(f"{page}/signature-refusals", data={"csrf_token": token, "member_id": str(reserve.id)})
    assert (refused.status_code, problem_code(refused)) == (404, "not_found")
    assert (_count(db, ReportSignature), event_count(db)) == (0, before)
    member_id = scene["sitters"][0][0]
    recorded = client.post(
        f"{page}/signature-refusals", data={"csrf_token": token, "member_id": str(member_id)}, follow_redirects=False
    )
    assert outcome_code(recorded) == "signature_refusal_recorded"
    shown = client.get(recorded.headers["location"]).text
    assert "已记录：该成员拒绝签字且未书面说明理由，视为同意评标结果。" in shown
    assert "视为同意（实施条例 第五十三条）" in shown
    assert shown.count("记录拒签") == 4
