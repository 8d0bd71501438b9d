"""The committee at the venue and its report: members checked in (签到) before they evaluate, the lead elected by
the members (浙江省招标投标条例 第29条), and the report signed by every member with dissent noted; a member who
refuses to sign without written reasons is deemed to agree (招标投标法实施条例 第53条). Articles are read from
tests/data/laws."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, InvalidInput, NotFound
from ggzy.core.permissions import Permission
from ggzy.entities.models import User
from ggzy.evaluation import access, chair, report_signing, report_views, rules, service, signing
from ggzy.evaluation.models import ChairVote, QualificationMark, ReportSignature, ScoreSheet
from ggzy.experts import service as experts
from ggzy.experts.models import Attendance
from ggzy.projects.access import NotYourCentre
from tests.evaluation.signing_support import BrowserKey
from tests.factories import (
    check_in_committee,
    event_count,
    make_centres,
    make_expert,
    make_opened_tender,
    principal,
    user_with_role,
)

LAWS = Path(__file__).parents[1] / "data" / "laws"
SCHEME = rules.Scheme(
    ("licence",), (rules.Criterion("technical", "技术", Decimal(40)),), Decimal(60), rules.PriceFormula.LOWEST_BASE
)


def article(file: str, number: str) -> str:
    """The text of one article of an excerpt in tests/data/laws (up to the next article)."""
    text = (LAWS / file).read_text(encoding="utf-8")
    start = text.index(f"第{number}条")
    following = text.find("\n第", start + 1)
    return text[start : following if following != -1 else None]


def _drawn(db: Session, gm_ca: Path, *, method: str = "scoring") -> dict:
    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000], method=method)
    for _ in range(6):
        make_expert(db)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    experts.draw_committee(
        db, staff, tender_id=opened["tender"].id, specialty_code="A01", size=5, reserve=1,
        owner_representative_user_ids=[], now=opened["opened_at"],
    )  # fmt: skip
    return opened | {"drawer": staff}


def _start(db: Session, opened: dict, scheme: rules.Scheme = SCHEME, lead: int | None = None) -> None:
    runner = principal(db, opened["staff"], Permission.EVALUATION_RUN)
    service.start_evaluation(
        db, runner, tender_id=opened["tender"].id, scheme=scheme, lead_member_id=lead, now=opened["opened_at"]
    )


def _sitters(db: Session, tender_id: int) -> list[tuple[int, object]]:
    """(member id, principal) of each sitting member, in seat order."""
    seats = experts.sitting_members(db, tender_id)
    return [(m.id, principal(db, db.get(User, m.user_id), Permission.EVALUATION_SIT)) for m in seats]  # type: ignore[arg-type]


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


# -- 签到 ----------------------------------------------------------------------------------------------------------


def test_staff_of_the_centre_check_each_sitting_member_in_once_and_the_event_stays_undisclosed(
    db: Session, gm_ca: Path
) -> None:
    opened = _drawn(db, gm_ca)
    tender_id, now = opened["tender"].id, opened["opened_at"]
    seat = experts.sitting_members(db, tender_id)[0]
    attendance = experts.check_in_member(db, opened["drawer"], tender_id=tender_id, member_id=seat.id, now=now)
    assert (attendance.member_id, attendance.checked_in_at) == (seat.id, now)
    assert event_count(db, "committee.member_checked_in") == 1
    with pytest.raises(Conflict):
        experts.check_in_member(db, opened["drawer"], tender_id=tender_id, member_id=seat.id, now=now)
    reserve = next(m for m in experts.committee_of(db, tender_id) if m.kind == experts.RESERVE)
    with pytest.raises(NotFound):  # a reserve expert is not on the committee until called
        experts.check_in_member(db, opened["drawer"], tender_id=tender_id, member_id=reserve.id, now=now)
    assert _count(db, Attendance) == 1


def test_staff_of_another_centre_cannot_check_a_member_in_and_leave_nothing(db: Session, gm_ca: Path) -> None:
    opened = _drawn(db, gm_ca)
    other_centre = make_centres(db)["province"]
    stranger = principal(db, user_with_role(db, "centre_staff", centre_id=other_centre.id), Permission.COMMITTEE_DRAW)  # type: ignore[arg-type]
    seat = experts.sitting_members(db, opened["tender"].id)[0]
    before = event_count(db)
    with pytest.raises(NotYourCentre):
        experts.check_in_member(db, stranger, tender_id=opened["tender"].id, member_id=seat.id, now=opened["opened_at"])
    assert (_count(db, Attendance), event_count(db)) == (0, before)


def test_a_member_not_checked_in_cannot_review_score_vote_or_reject_and_nothing_is_written(
    db: Session, gm_ca: Path
) -> None:
    opened = _drawn(db, gm_ca)
    _start(db, opened)
    tender_id, now, bid = opened["tender"].id, opened["opened_at"], opened["bid_ids"][0]
    lead_id, lead = _sitters(db, tender_id)[0]
    before = event_count(db)
    marks, scores = {"licence": True}, {"technical": Decimal(1)}
    attempts = [
        lambda: service.mark_qualification(db, lead, tender_id=tender_id, bid_id=bid, marks=marks, now=now),
        lambda: service.submit_score_sheet(db, lead, tender_id=tender_id, bid_id=bid, scores=scores, now=now),
        lambda: chair.vote_for_chair(db, lead, tender_id=tender_id, candidate_member_id=lead_id, now=now),
        lambda: service.reject_bid(
            db, lead, tender_id=tender_id, bid_id=bid, ground="not_responsive", note="x", now=now
        ),
    ]
    for attempt in attempts:
        with pytest.raises(access.NotCheckedIn):
            attempt()
    assert [_count(db, m) for m in (QualificationMark, ScoreSheet, ChairVote)] == [0, 0, 0]
    assert event_count(db) == before


# -- 评标委员会负责人 (浙江省招标投标条例 第29条) ------------------------------------------------------------


def test_zhejiang_art_29_the_members_elect_the_lead_by_a_majority_of_the_committee(db: Session, gm_ca: Path) -> None:
    assert "评标委员会负责人由评标委员会成员推举产生或者由招标人确定" in article("浙江省招标投标条例-摘录.md", "二十九")
    opened = _drawn(db, gm_ca)
    check_in_committee(db, opened["staff"], opened["tender"].id, opened["opened_at"])
    _start(db, opened)
    tender_id, now = opened["tender"].id, opened["opened_at"]
    sitters = _sitters(db, tender_id)
    chosen = sitters[2][0]
    evaluation = service.find_evaluation(db, tender_id)
    assert evaluation is not None
    assert evaluation.lead_basis == "provisional"
    for _, voter in sitters[:2]:
        chair.vote_for_chair(db, voter, tender_id=tender_id, candidate_member_id=chosen, now=now)
    assert evaluation.lead_basis == "provisional"  # two of five: not yet a majority
    with pytest.raises(service.SheetFinal):  # a vote is final
        chair.vote_for_chair(db, sitters[0][1], tender_id=tender_id, candidate_member_id=sitters[1][0], now=now)
    chair.vote_for_chair(db, sitters[2][1], tender_id=tender_id, candidate_member_id=chosen, now=now)
    assert (evaluation.lead_member_id, evaluation.lead_basis) == (chosen, "elected")
    with pytest.raises(Conflict):  # elected: no more votes
        chair.vote_for_chair(db, sitters[3][1], tender_id=tender_id, candidate_member_id=sitters[3][0], now=now)
    assert event_count(db, "evaluation.chair_voted") == 3


def test_zhejiang_art_29_a_lead_the_owner_designated_is_not_elected_again(db: Session, gm_ca: Path) -> None:
    opened = _drawn(db, gm_ca)
    tender_id, now = opened["tender"].id, opened["opened_at"]
    check_in_committee(db, opened["staff"], tender_id, now)
    sitters = _sitters(db, tender_id)
    _start(db, opened, lead=sitters[1][0])
    with pytest.raises(Conflict):
        chair.vote_for_chair(db, sitters[0][1], tender_id=tender_id, candidate_member_id=sitters[0][0], now=now)
    assert _count(db, ChairVote) == 0


def test_the_elected_chair_is_a_sitting_member() -> None:
    assert chair.elected({1: 7, 2: 7, 3: 7}, members=5) == 7
    assert chair.elected({1: 7, 2: 7, 3: 8}, members=5) is None
    assert chair.elected({}, members=5) is None


# -- the report signed (实施条例 第53条) ----------------------------------------------------------------------


def _reported(db: Session, gm_ca: Path) -> dict:
    """A lowest-price evaluation finalised with one bid rejected; every member checked in and holding a key."""
    opened = _drawn(db, gm_ca, method="lowest_price")
    tender_id, now = opened["tender"].id, opened["opened_at"]
    check_in_committee(db, opened["staff"], tender_id, now)
    _start(db, opened, rules.Scheme((), (), Decimal(0), rules.PriceFormula.LOWEST_BASE))
    sitters = _sitters(db, tender_id)
    service.reject_bid(
        db, sitters[0][1], tender_id=tender_id, bid_id=opened["bid_ids"][1], ground="not_responsive",
        note="工期 400 天，超出招标文件要求的 300 天", now=now,
    )  # fmt: skip
    report = service.finalise_report(db, principal(db, opened["staff"], Permission.EVALUATION_FINALISE),
                                     tender_id=tender_id, now=now)  # fmt: skip
    keys = []
    for _, member in sitters:
        key = BrowserKey()
        signing.enrol_signing_key(db, member, public_key=key.public_key, now=now)
        keys.append(key)
    return opened | {"sitters": sitters, "keys": keys, "report": report}


def _sign(db: Session, scene: dict, n: int, opinion: str, reasons: str = "", signature: str | None = None):  # type: ignore[no-untyped-def]
    member_id, member = scene["sitters"][n]
    message = report_signing.report_message(
        tender_id=scene["tender"].id, member_id=member_id, report_sha256=scene["report"].sha256, opinion=opinion,
        reasons=reasons,
    )  # fmt: skip
    return report_signing.sign_report(
        db, member, tender_id=scene["tender"].id, opinion=opinion, reasons=reasons,
        signature=signature if signature is not None else scene["keys"][n].sign(message), now=scene["opened_at"],
    )  # fmt: skip


def test_regulations_art_53_every_member_signs_and_a_dissent_with_its_reasons_is_noted_in_the_report(
    db: Session, gm_ca: Path
) -> None:
    text = article("招标投标法实施条例-摘录.md", "五十三")
    assert "评标报告应当由评标委员会全体成员签字" in text
    assert "评标报告应当注明该不同意见" in text
    scene = _reported(db, gm_ca)
    agreed = _sign(db, scene, 0, "agree")
    assert agreed.key_fingerprint == scene["keys"][0].fingerprint
    # the signature is over the report's digest: anyone holding the public key can check it offline
    key = signing.current_key(db, experts.sitting_members(db, scene["tender"].id)[0].user_id)
    assert key is not None
    assert scene["report"].sha256 in (agreed.signed_message or "")
    signing.verify(key, message=agreed.signed_message or "", signature=agreed.signature or "")
    dissent = _sign(db, scene, 1, "dissent", "第二名的工期响应存疑，\r\n应当澄清后再排序。")
    assert dissent.reasons == "第二名的工期响应存疑，\n应当澄清后再排序。"
    with pytest.raises(service.SheetFinal):  # final
        _sign(db, scene, 1, "agree")
    seats = report_views.seats(db, tender_id=scene["tender"].id, names=False, viewer_user_id=None,
                               evaluation=service.find_evaluation(db, scene["tender"].id))  # fmt: skip
    table = report_views.report_table(db, scene["report"], seats)
    assert [seat.member_id for seat in table.dissents] == [scene["sitters"][1][0]]
    assert len(table.unsigned) == 3
    assert all(seat.name is None for seat in table.seats)  # 招标投标法 第37条: no names for this reader
    assert table.rejected[0].note == "工期 400 天，超出招标文件要求的 300 天"
    assert event_count(db, "evaluation.report_signed") == 2


def test_regulations_art_53_a_dissent_without_written_reasons_is_refused_and_leaves_nothing(
    db: Session, gm_ca: Path
) -> None:
    assert "应当以书面形式说明其不同意见和理由" in article("招标投标法实施条例-摘录.md", "五十三")
    scene = _reported(db, gm_ca)
    before = event_count(db)
    with pytest.raises(InvalidInput):
        _sign(db, scene, 0, "dissent", "  ")
    with pytest.raises(report_signing.ReportSignatureInvalid):  # another member's key
        _sign(db, scene, 0, "agree", signature=scene["keys"][1].sign("ggzy evaluation report v1\n"))
    with pytest.raises(report_signing.ReportSignatureInvalid):  # signed "agree", sent as a dissent
        member_id = scene["sitters"][0][0]
        agree = report_signing.report_message(
            tender_id=scene["tender"].id,
            member_id=member_id,
            report_sha256=scene["report"].sha256,
            opinion="agree",
            reasons="",
        )
        _sign(db, scene, 0, "dissent", "不同意", signature=scene["keys"][0].sign(agree))
    assert (_count(db, ReportSignature), event_count(db)) == (0, before)


def test_regulations_art_53_a_member_refusing_to_sign_without_reasons_is_deemed_to_agree_recorded_by_staff_only(
    db: Session, gm_ca: Path
) -> None:
    assert "视为同意评标结果" in article("招标投标法实施条例-摘录.md", "五十三")
    scene = _reported(db, gm_ca)
    tender_id, now = scene["tender"].id, scene["opened_at"]
    member_id = scene["sitters"][4][0]
    with pytest.raises(access.NotTheFinaliser):  # a member cannot record another as deemed to agree
        report_signing.record_refusal(db, scene["sitters"][0][1], tender_id=tender_id, member_id=member_id, now=now)
    assert _count(db, ReportSignature) == 0
    runner = principal(db, scene["staff"], Permission.EVALUATION_RUN)
    before = event_count(db)
    with pytest.raises(report_signing.SigningTimeOpen):  # the members first have their time to sign or dissent
        report_signing.record_refusal(db, runner, tender_id=tender_id, member_id=member_id, now=now)
    assert (_count(db, ReportSignature), event_count(db)) == (0, before)
    now += report_signing.SIGNING_TIME
    row = report_signing.record_refusal(db, runner, tender_id=tender_id, member_id=member_id, now=now)
    assert (row.opinion, row.signature) == ("deemed_agreed", None)
    with pytest.raises(service.SheetFinal):
        _sign(db, scene, 4, "agree")
    with pytest.raises(Conflict):
        report_signing.record_refusal(db, runner, tender_id=tender_id, member_id=member_id, now=now)


def test_regulations_art_51_every_case_of_the_article_is_offered_as_a_ground() -> None:
    text = article("招标投标法实施条例-摘录.md", "五十一")
    for number in "一二三四五六七":
        assert f"({number})" in text
        assert any(label.startswith(f"（{number}）") for label, _ in rules.REJECTION_GROUNDS.values()), number
    # each ground's wording is the article's own (the case, or the part of (五) it names)
    cases = {line[1]: line[3:].rstrip("；。") for line in text.splitlines() if line.startswith("(")}
    assert cases["一"] in rules.REJECTION_GROUNDS["unsigned_or_unsealed"][0]
    assert cases["六"] in rules.REJECTION_GROUNDS["not_responsive"][0]
