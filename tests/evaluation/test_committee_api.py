"""The committee's steps at the venue through the JSON API, as the pages take them: check-in (签到) by the centre's
staff, the lead elected by the members (浙江省招标投标条例 第29条), the report signed or dissented from and a refusal
to sign recorded (招标投标法实施条例 第53条). The same services and checks as the pages; a refused request leaves no
row and no event; the names of the members stay with the centre's staff (招标投标法 第37条)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.entities.models import User
from ggzy.evaluation import report_signing
from ggzy.evaluation.models import ChairVote, ReportSignature
from ggzy.experts import service as experts
from ggzy.experts.models import Attendance
from tests.evaluation.test_committee_sessions import _drawn, _reported, _start, article
from tests.factories import event_count, make_centres, make_expert, token_for, user_with_role


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _url(tender_id: int, tail: str) -> str:
    return f"/api/v1/tenders/{tender_id}{tail}"


def _headers_of_seats(db: Session, tender_id: int) -> list[tuple[int, dict[str, str]]]:
    return [
        (seat.id, token_for(db, db.get(User, seat.user_id)))  # type: ignore[arg-type]
        for seat in experts.sitting_members(db, tender_id)
    ]


def test_staff_of_the_centre_check_a_member_in_through_the_api_once_and_others_leave_nothing(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    opened = _drawn(db, gm_ca)
    tender_id = opened["tender"].id
    clock.set(opened["opened_at"])
    seat = experts.sitting_members(db, tender_id)[0]
    url, body = _url(tender_id, "/committee/check-ins"), {"member_id": seat.id}
    stranger = user_with_role(db, "centre_staff", centre_id=make_centres(db)["province"].id)  # type: ignore[arg-type]
    member = token_for(db, db.get(User, seat.user_id))  # type: ignore[arg-type]
    before = event_count(db)
    refused = [
        (client.post(url, json=body, headers=token_for(db, stranger)), 403, "centre_scope_denied"),
        (client.post(url, json=body, headers=member), 403, "permission_denied"),  # a member does not check in
        (client.post(url, json={"member_id": 999999}, headers=token_for(db, opened["staff"])), 404, "not_found"),
    ]
    for response, status, code in refused:
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert (_count(db, Attendance), event_count(db)) == (0, before)

    staff = token_for(db, opened["staff"])
    done = client.post(url, json=body, headers=staff)
    assert done.status_code == 201, done.text
    assert (done.json()["member_id"], done.json()["position"]) == (seat.id, seat.position)
    assert event_count(db, "committee.member_checked_in") == 1
    again = client.post(url, json=body, headers=staff)
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    assert _count(db, Attendance) == 1
    members = client.get(_url(tender_id, "/evaluation"), headers=staff).json()["committee"]["members"]
    sitting = [m["checked_in_at"] is not None for m in members if m["kind"] != "reserve"]
    assert sitting == [True, False, False, False, False]


def test_zhejiang_art_29_the_members_elect_the_lead_through_the_api_and_see_seats_but_no_names(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    assert "评标委员会负责人由评标委员会成员推举产生" in article("浙江省招标投标条例-摘录.md", "二十九")
    opened = _drawn(db, gm_ca)
    tender_id = opened["tender"].id
    clock.set(opened["opened_at"])
    staff = token_for(db, opened["staff"])
    seats = _headers_of_seats(db, tender_id)
    for member_id, _ in seats[:4]:  # the fifth has not arrived
        assert client.post(_url(tender_id, "/committee/check-ins"), json={"member_id": member_id},
                           headers=staff).status_code == 201  # fmt: skip
    _start(db, opened)
    url, chosen = _url(tender_id, "/evaluation/chair-votes"), seats[2][0]
    outsider = token_for(db, db.get(User, make_expert(db).user_id))  # type: ignore[arg-type]
    before = event_count(db)
    absent = client.post(url, json={"candidate_member_id": chosen}, headers=seats[4][1])
    assert (absent.status_code, absent.json()["code"]) == (409, "committee_member_not_checked_in")
    stranger = client.post(url, json={"candidate_member_id": chosen}, headers=outsider)
    assert (stranger.status_code, stranger.json()["code"]) == (403, "not_a_committee_member")
    reserve = next(m for m in experts.committee_of(db, tender_id) if m.kind == experts.RESERVE)
    not_sitting = client.post(url, json={"candidate_member_id": reserve.id}, headers=seats[0][1])
    assert (not_sitting.status_code, not_sitting.json()["code"]) == (422, "invalid_input")
    assert (_count(db, ChairVote), event_count(db)) == (0, before)

    first = client.post(url, json={"candidate_member_id": chosen}, headers=seats[0][1])
    assert first.status_code == 201, first.text
    assert (first.json()["votes_cast"], first.json()["lead_basis"]) == (1, "provisional")
    final = client.post(url, json={"candidate_member_id": seats[0][0]}, headers=seats[0][1])
    assert (final.status_code, final.json()["code"]) == (409, "evaluation_entry_final")
    client.post(url, json={"candidate_member_id": chosen}, headers=seats[1][1])
    third = client.post(url, json={"candidate_member_id": chosen}, headers=seats[2][1])
    assert third.json() | {"voted_at": None} == {
        "candidate_member_id": chosen, "voted_at": None, "votes_cast": 3, "committee_size": 5,
        "lead_basis": "elected", "lead_member_id": chosen,
    }  # fmt: skip
    assert event_count(db, "evaluation.chair_voted") == 3

    # a member reads the seats (to vote), not who sits in them (招标投标法 第37条); outsiders read neither
    seen = client.get(_url(tender_id, "/evaluation"), headers=seats[0][1]).json()
    assert seen["committee"]["members"] is None
    assert [(s["member_id"], s["checked_in"], s["lead"]) for s in seen["committee"]["seats"]] == [
        (member_id, n < 4, member_id == chosen) for n, (member_id, _) in enumerate(seats)
    ]
    assert seen["lead_basis"] == "elected"
    assert not any("name" in seat or "user_id" in seat for seat in seen["committee"]["seats"])
    for headers in (token_for(db, opened["owner_user"]), token_for(db, opened["bidders"][0]), outsider, {}):
        view = client.get(_url(tender_id, "/evaluation"), headers=headers).json()
        assert (view["committee"]["members"], view["committee"]["seats"], view["lead_basis"]) == (None, None, None)


def test_regulations_art_53_members_sign_or_dissent_through_the_api_and_staff_record_a_refusal_after_the_time(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    text = article("招标投标法实施条例-摘录.md", "五十三")
    assert "拒绝在评标报告上签字又不书面说明其不同意见和理由的，视为同意评标结果" in text
    scene = _reported(db, gm_ca)
    tender_id, report = scene["tender"].id, scene["report"]
    clock.set(scene["opened_at"])
    seats = _headers_of_seats(db, tender_id)
    url = _url(tender_id, "/evaluation/report/signatures")

    def signed(n: int, opinion: str, reasons: str = "") -> dict:
        message = report_signing.report_message(
            tender_id=tender_id, member_id=seats[n][0], report_sha256=report.sha256, opinion=opinion, reasons=reasons
        )
        return {"opinion": opinion, "reasons": reasons, "signature": scene["keys"][n].sign(message)}

    # a member reads the report they sign, with its digest
    assert client.get(_url(tender_id, "/evaluation"), headers=seats[0][1]).json()["report_sha256"] == report.sha256
    outsider = token_for(db, db.get(User, make_expert(db).user_id))  # type: ignore[arg-type]
    before = event_count(db)
    no_reasons = client.post(url, json=signed(0, "dissent") | {"reasons": " "}, headers=seats[0][1])
    assert (no_reasons.status_code, no_reasons.json()["code"]) == (422, "invalid_input")
    wrong_key = client.post(url, json=signed(1, "agree"), headers=seats[0][1])  # another member's signature
    assert (wrong_key.status_code, wrong_key.json()["code"]) == (422, "report_signature_invalid")
    stranger = client.post(url, json=signed(0, "agree"), headers=outsider)
    assert (stranger.status_code, stranger.json()["code"]) == (403, "not_a_committee_member")
    assert (_count(db, ReportSignature), event_count(db)) == (0, before)

    agreed = client.post(url, json=signed(0, "agree"), headers=seats[0][1])
    assert agreed.status_code == 201, agreed.text
    assert (agreed.json()["opinion"], agreed.json()["key_fingerprint"]) == ("agree", scene["keys"][0].fingerprint)
    dissent = signed(1, "dissent", "第二名的工期响应存疑，应当澄清后再排序。")
    assert client.post(url, json=dissent, headers=seats[1][1]).status_code == 201
    again = client.post(url, json=signed(0, "agree"), headers=seats[0][1])
    assert (again.status_code, again.json()["code"]) == (409, "evaluation_entry_final")

    # the dissent is noted beside the report for whoever reads it (the owner); a bidder reads neither yet
    owner_view = client.get(_url(tender_id, "/evaluation"), headers=token_for(db, scene["owner_user"])).json()
    assert {(s["member_id"], s["opinion"], s["reasons"]) for s in owner_view["signatures"]} == {
        (seats[0][0], "agree", ""), (seats[1][0], "dissent", dissent["reasons"]),
    }  # fmt: skip
    # but never the members' keys: a signing key is the expert's across tenders, its fingerprint a name (第37条)
    assert {(s["key_fingerprint"], s["signature"], s["signed_message"]) for s in owner_view["signatures"]} == {
        (None, None, None)
    }
    staff_view = client.get(_url(tender_id, "/evaluation"), headers=token_for(db, scene["staff"])).json()
    assert scene["keys"][0].fingerprint in {s["key_fingerprint"] for s in staff_view["signatures"]}
    bidder_view = client.get(_url(tender_id, "/evaluation"), headers=token_for(db, scene["bidders"][0])).json()
    assert (bidder_view["report"], bidder_view["signatures"]) == (None, None)

    refusals, body = _url(tender_id, "/evaluation/report/signature-refusals"), {"member_id": seats[4][0]}
    staff = token_for(db, scene["staff"])
    other = user_with_role(db, "centre_staff", centre_id=make_centres(db)["province"].id)  # type: ignore[arg-type]
    before = (_count(db, ReportSignature), event_count(db))
    early = client.post(refusals, json=body, headers=staff)  # the members first have their time to sign
    assert (early.status_code, early.json()["code"]) == (409, "report_signing_time_open")
    clock.advance(report_signing.SIGNING_TIME)
    for headers, status, code in (
        (token_for(db, other), 403, "evaluation_finaliser_mismatch"),
        (seats[3][1], 403, "permission_denied"),
    ):
        response = client.post(refusals, json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (status, code)
    assert (_count(db, ReportSignature), event_count(db)) == before

    deemed = client.post(refusals, json=body, headers=staff)
    assert deemed.status_code == 201, deemed.text
    assert (deemed.json()["opinion"], deemed.json()["signature"]) == ("deemed_agreed", None)
    assert event_count(db, "evaluation.report_signature_refused") == 1
    late = client.post(url, json=signed(4, "agree"), headers=seats[4][1])
    assert (late.status_code, late.json()["code"]) == (409, "evaluation_entry_final")
    twice = client.post(refusals, json=body, headers=staff)
    assert (twice.status_code, twice.json()["code"]) == (409, "conflict")
