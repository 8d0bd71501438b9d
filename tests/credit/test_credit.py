"""Credit (decision 0040): penalties within the articles' ranges, records, joint-punishment lists, the interception
at each checkpoint (an event and a count each), the public query's rate limit and the published blacklist."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.db import unit_of_work
from ggzy.core.errors import DomainError, InvalidInput
from ggzy.core.permissions import SYSTEM, Permission, Role
from ggzy.core.screening import Checkpoint
from ggzy.credit import rules, service
from ggzy.credit.models import CreditInterception, CreditList, CreditPenalty, CreditRecord
from ggzy.credit.rules import CreditIntercepted
from ggzy.entities import service as entities
from ggzy.entities.schemas import EntityIn
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.credit.support import csv_list, expert_penalty, supervision_headers, supervisor, suspend, suspension
from tests.factories import (
    bidder_user,
    credit_code,
    event_count,
    make_accepted_project,
    make_entity,
    make_expert,
    make_opened_tender,
    make_publicised_tender,
    make_published_tender,
    principal,
    token_for,
    user_with_role,
)

ART_67 = "招标投标法实施条例 第六十七条"


def _rows(db: Session, table: type) -> int:
    return db.scalar(select(func.count()).select_from(table)) or 0


def _nothing_written(db: Session) -> tuple[int, int, int, int]:
    return _rows(db, CreditPenalty), _rows(db, CreditRecord), _rows(db, CreditList), event_count(db)


def _intercepted(db: Session, checkpoint: Checkpoint) -> int:
    return service.interception_counts(db)[checkpoint.value]


def _refused_in_unit_of_work(connection: Connection, call: Callable[[Session], object]) -> CreditIntercepted:
    """Run ``call`` as an entry point does (one unit of work), expecting the interception."""
    factory = session_factory(connection, join_transaction_mode="create_savepoint")
    with pytest.raises(CreditIntercepted) as refused, unit_of_work(factory) as session:
        call(session)
    return refused.value


# -- penalties: the articles' ranges --------------------------------------------------------------------------------


def test_regulations_art_67_a_suspension_of_one_to_two_years_is_decided_with_its_record_and_interception_entry(
    db: Session,
) -> None:
    """实施条例 第六十七条 第二款: 取消其1年至2年内参加依法必须进行招标的项目的投标资格 — 24 months is decided; the bad
    record restricts until the same day two years on (00:00 Beijing), and the decision is an event."""
    entity = make_entity(db)
    before = event_count(db, "credit.penalty_decided")
    penalty, record = service.decide_penalty(
        db, supervisor(db), data=suspension(entity.credit_code, months=24), now=TEST_NOW
    )
    assert penalty.article.endswith(ART_67)
    assert penalty.months == 24
    assert record.restricts
    assert record.polarity == "bad"
    assert record.source == "decision"
    assert record.valid_until == rules.beijing_midnight(date(2028, 11, 24))
    assert service.restriction_of(db, credit_code=entity.credit_code, now=TEST_NOW, law="tendering_law") is not None
    assert event_count(db, "credit.penalty_decided") == before + 1


@pytest.mark.parametrize(("basis", "months"), [("ztb53", 25), ("ztb53", 11), ("ztb54", 37), ("zfcg77", 0)])
def test_a_suspension_beyond_the_articles_range_is_refused_naming_the_article_and_leaves_nothing(
    client: TestClient, db: Session, basis: str, months: int
) -> None:
    """实施条例 第六十七条 (1–2 years), 第六十八条 and 政府采购法 第七十七条 (1–3 years): beyond is refused, 422,
    with the article named, and no penalty, record or event is written."""
    entity = make_entity(db)
    headers = supervision_headers(db)
    before = _nothing_written(db)
    body = suspension(entity.credit_code, months=months, basis=basis).model_dump(mode="json")
    refused = client.post("/api/v1/credit/penalties", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "credit_penalty_out_of_range"
    assert rules.LEGAL_BASES[basis].article_zh in problem["message_zh"]
    assert _nothing_written(db) == before


def test_bidding_law_art_54_and_regulations_art_68_allow_three_years(db: Session) -> None:
    """实施条例 第六十八条 第二款: 取消其1年至3年内 … 投标资格 — 36 months is within the range."""
    penalty, _ = service.decide_penalty(
        db, supervisor(db), data=suspension(make_entity(db).credit_code, months=36, basis="ztb54"), now=TEST_NOW
    )
    assert penalty.months == 36


@pytest.mark.parametrize(("fine", "accepted"), [("5000", True), ("10000", True), ("4999", False), ("10001", False)])
def test_bidding_law_art_53_a_fine_is_5_to_10_per_mille_of_the_project_amount(
    db: Session, fine: str, accepted: bool
) -> None:
    """招标投标法 第五十三条: 处中标项目金额千分之五以上千分之十以下的罚款 — of 1,000,000 元, 5,000 to 10,000 元."""
    data = suspension(make_entity(db).credit_code, kind="fine", months=None, fine=fine, basis_amount="1000000")
    if accepted:
        penalty, record = service.decide_penalty(db, supervisor(db), data=data, now=TEST_NOW)
        assert penalty.fine_fen == int(fine) * 100
        assert not record.restricts
    else:
        with pytest.raises(rules.PenaltyOutOfRange):
            service.decide_penalty(db, supervisor(db), data=data, now=TEST_NOW)


@pytest.mark.parametrize(("fine", "accepted"), [("3000", True), ("50000", True), ("2999", False), ("50001", False)])
def test_regulations_art_72_an_experts_fine_is_3000_to_50000_yuan(db: Session, fine: str, accepted: bool) -> None:
    """实施条例 第七十二条: 处3000元以上5万元以下的罚款."""
    expert = make_expert(db)
    data = expert_penalty(expert.id, kind="fine", months=None, fine=fine, legal_basis="ssl72")
    if accepted:
        penalty, _ = service.decide_penalty(db, supervisor(db), data=data, now=TEST_NOW)
        assert penalty.subject_kind == "expert"
    else:
        with pytest.raises(rules.PenaltyOutOfRange, match=r"Regulations art\. 72"):
            service.decide_penalty(db, supervisor(db), data=data, now=TEST_NOW)


def test_regulations_art_67_provides_no_debarment_of_a_bidder(db: Session) -> None:
    """实施条例 第六十七条 takes a bidder's qualification away for 1 to 2 years; a debarment without end is no
    penalty it provides (吊销营业执照 is the market regulator's), so it is refused."""
    data = suspension(make_entity(db).credit_code, kind="debarment", months=None)
    with pytest.raises(rules.PenaltyNotAllowed):
        service.decide_penalty(db, supervisor(db), data=data, now=TEST_NOW)


def test_regulations_art_71_an_expert_may_be_debarred_without_end(db: Session) -> None:
    """实施条例 第七十一条: 情节特别严重的，取消其担任评标委员会成员的资格."""
    expert = make_expert(db)
    data = expert_penalty(expert.id, kind="debarment", months=None)
    _, record = service.decide_penalty(db, supervisor(db), data=data, now=TEST_NOW)
    assert record.restricts
    assert record.valid_until is None
    assert record.expert_id == expert.id


def test_a_penalty_without_grounds_is_refused_and_leaves_nothing(client: TestClient, db: Session) -> None:
    """A decision states its facts and reasons: blank grounds are refused (credit_grounds_required)."""
    headers = supervision_headers(db)
    before = _nothing_written(db)
    body = suspension(make_entity(db).credit_code, grounds="   ").model_dump(mode="json")
    refused = client.post("/api/v1/credit/penalties", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "credit_grounds_required"
    assert _nothing_written(db)[:3] == before[:3]


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.BIDDER, Role.CENTRE_STAFF])
def test_an_inspector_bidder_or_staff_may_not_decide_a_penalty(client: TestClient, db: Session, role: Role) -> None:
    """Least privilege (DESIGN §4.7): discipline inspection reads only; a bidder or a centre's staff decides nothing."""
    user = user_with_role(db, role, entity=role is Role.BIDDER)
    headers = token_for(db, user)
    before = _nothing_written(db)
    body = suspension(make_entity(db).credit_code).model_dump(mode="json")
    assert client.post("/api/v1/credit/penalties", json=body, headers=headers).status_code == 403
    files = {"file": ("list.csv", b"credit_code,name,grounds,valid_from,valid_until\n")}
    imported = client.post(
        "/api/v1/credit/lists", params={"source": "x", "published_on": "2026-11-01"}, files=files, headers=headers
    )
    assert imported.status_code == 403
    assert _nothing_written(db)[:3] == before[:3]


def test_a_supervisor_decides_a_penalty_over_the_api(client: TestClient, db: Session) -> None:
    entity = make_entity(db)
    body = suspension(entity.credit_code, months=15).model_dump(mode="json")
    decided = client.post("/api/v1/credit/penalties", json=body, headers=supervision_headers(db))
    assert decided.status_code == 201, decided.text
    assert decided.json()["subject_name"] == entity.name
    assert "行政复议" in decided.json()["appeal_route"]


# -- joint-punishment lists ------------------------------------------------------------------------------------------


def test_a_list_with_an_invalid_credit_code_is_refused_whole_with_a_report_per_row(
    client: TestClient, db: Session
) -> None:
    """GB 32100's check character: a row whose code fails it is reported by row, and nothing of the file is
    imported (all or nothing)."""
    good = credit_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    content = csv_list(
        (good, "甲公司", "失信被执行人", "2026-01-01", ""),
        (bad, "乙公司", "失信被执行人", "2026-01-01", ""),
        (credit_code(), "", "失信被执行人", "2026-01-01", ""),
    )
    before = _nothing_written(db)
    refused = client.post(
        "/api/v1/credit/lists", params={"source": "信用中国", "published_on": "2026-11-01"},
        files={"file": ("list.csv", content)}, headers=supervision_headers(db),
    )  # fmt: skip
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "credit_list_rows_invalid"
    assert [(row["row"], row["field"]) for row in problem["rows"]] == [(2, "credit_code"), (3, "name")]
    assert _nothing_written(db)[:3] == before[:3]


def test_a_reimport_of_the_same_source_updates_it_and_ends_rows_no_longer_listed(db: Session) -> None:
    """Kept up to date: a row still listed is updated, a new one added, one no longer listed ended (not deleted)."""
    actor = supervisor(db)
    kept, dropped, added = credit_code(), credit_code(), credit_code()
    first = csv_list(
        (kept, "甲公司", "失信被执行人", "2026-01-01", ""), (dropped, "乙公司", "失信被执行人", "2026-01-01", "")
    )
    service.import_list(db, actor, source="信用中国", published_on=date(2026, 10, 1), content=first, now=TEST_NOW)
    rows = [
        {"credit_code": kept, "name": "甲公司", "grounds": "失信被执行人", "valid_from": "2026-01-01",
         "valid_until": "2027-12-31"},
        {"credit_code": added, "name": "丙公司", "grounds": "重大税收违法", "valid_from": "2026-06-01"},
    ]  # fmt: skip
    second = json.dumps({"rows": rows}, ensure_ascii=False).encode()
    report = service.import_list(
        db, actor, source="信用中国", published_on=date(2026, 11, 1), content=second, now=TEST_NOW
    )
    assert (report.added, report.updated, report.ended, report.unchanged) == (1, 1, 1, 0)
    assert service.restriction_of(db, credit_code=dropped, now=TEST_NOW) is None
    ended = db.scalars(select(CreditRecord).where(CreditRecord.credit_code == dropped)).one()
    assert ended.end_reason == "delisted"  # kept, ended
    assert service.restriction_of(db, credit_code=added, now=TEST_NOW) is not None


@pytest.mark.parametrize(
    ("published_on", "content", "field"),
    [(date(2026, 11, 25), b"credit_code,name,grounds,valid_from,valid_until\n", "published_on"),
     (date(2026, 11, 1), b"credit_code,name,grounds,valid_from,valid_until\n", "file")],
)  # fmt: skip
def test_a_list_dated_after_today_or_without_rows_is_refused_and_ends_nothing(
    db: Session, published_on: date, content: bytes, field: str
) -> None:
    """A list dated in the future would refuse every later update; an empty one would end every row at once (the
    security review): both refused, the list as it was."""
    actor = supervisor(db)
    listed = credit_code()
    first = csv_list((listed, "甲公司", "失信被执行人", "2026-01-01", ""))
    service.import_list(db, actor, source="信用中国", published_on=date(2026, 10, 1), content=first, now=TEST_NOW)
    if field == "published_on":  # TEST_NOW is 2026-11-24 in Beijing
        content = csv_list((listed, "甲公司", "失信被执行人", "2026-01-01", ""))
    with pytest.raises(InvalidInput) as refused:
        service.import_list(db, actor, source="信用中国", published_on=published_on, content=content, now=TEST_NOW)
    assert refused.value.field == field
    assert service.restriction_of(db, credit_code=listed, now=TEST_NOW) is not None


# -- interception at each checkpoint --------------------------------------------------------------------------------


def test_an_entity_on_a_list_is_intercepted_at_registration_with_an_event_and_a_count(
    client: TestClient, db: Session
) -> None:
    """主体注册: a listed entity is not put in the register; the refusal names the list and the date, the interception
    is an event and a count, and the refused registration leaves no entity."""
    code = credit_code()
    service.import_list(
        db, supervisor(db), source="信用中国 失信被执行人", published_on=date(2026, 11, 1),
        content=csv_list((code, "失信公司", "失信被执行人", "2026-01-01", "2027-06-30")), now=TEST_NOW,
    )  # fmt: skip
    staff = user_with_role(db, Role.CENTRE_STAFF)
    before = _intercepted(db, Checkpoint.ENTITY_REGISTRATION), event_count(db, "credit.intercepted")
    refused = client.post(
        "/api/v1/entities", json={"credit_code": code, "name": "失信公司"}, headers=token_for(db, staff)
    )
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["code"] == "credit_intercepted"
    assert problem["credit"]["reference"] == "信用中国 失信被执行人"
    assert "2027年06月30日" in problem["message_zh"]
    assert entities.find_entity_by_credit_code(db, code) is None
    after = _intercepted(db, Checkpoint.ENTITY_REGISTRATION), event_count(db, "credit.intercepted")
    assert after == (before[0] + 1, before[1] + 1)


def test_a_suspended_bidder_is_intercepted_at_tender_registration(client: TestClient, db: Session) -> None:
    """实施条例 第六十七条: a bidder whose qualification is taken away does not register (报名); an event, a count."""
    tender, _ = make_published_tender(db)
    bidder = bidder_user(db)
    entity = entities.get_entity(db, bidder.entity_id or 0)
    suspend(db, entity.credit_code)
    before = _intercepted(db, Checkpoint.TENDER_REGISTRATION)
    refused = client.post(f"/api/v1/tenders/{tender.id}/registrations", headers=token_for(db, bidder))
    assert refused.status_code == 403
    assert refused.json()["code"] == "credit_intercepted"
    assert _intercepted(db, Checkpoint.TENDER_REGISTRATION) == before + 1


def test_a_bidder_suspended_after_registering_is_intercepted_at_bid_submission(
    client: TestClient, db: Session, gm_ca: Path, trusted: dict[str, int]
) -> None:
    from ggzy.tendering.models import SealedBid
    from tests.tendering.test_bids import Bidder, seal

    tender, _ = make_published_tender(db)
    bidder = Bidder(db, gm_ca, tender.id)
    envelope = seal(db, tender, bidder)
    suspend(db, entities.get_entity(db, bidder.user.entity_id or 0).credit_code)
    before = _intercepted(db, Checkpoint.BID_SUBMISSION), _rows(db, SealedBid)
    refused = client.post(
        f"/api/v1/tenders/{tender.id}/bids", files={"envelope": ("bid.ggzy", envelope)}, headers=bidder.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "credit_intercepted"
    assert (_intercepted(db, Checkpoint.BID_SUBMISSION), _rows(db, SealedBid)) == (before[0] + 1, before[1])


def test_regulations_art_71_a_suspended_expert_is_not_drawn_and_the_interception_is_counted(
    db: Session, gm_ca: Path
) -> None:
    """实施条例 第七十一条: an expert barred from evaluating is recused from the draw, counted and recorded."""
    from ggzy.experts import service as experts

    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000])
    pool = [make_expert(db) for _ in range(6)]
    barred = pool[0]
    data = expert_penalty(barred.id)
    service.decide_penalty(db, supervisor(db), data=data, now=TEST_NOW)
    before = _intercepted(db, Checkpoint.EXPERT_DRAW)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    draw = experts.draw_committee(
        db, staff, tender_id=opened["tender"].id, specialty_code="A01", size=5, reserve=0,
        owner_representative_user_ids=[], now=opened["opened_at"],
    )  # fmt: skip
    seated = {member.expert_id for member in experts.committee_of(db, opened["tender"].id)}
    assert barred.id not in seated
    assert len(seated) == 5
    assert draw is not None
    assert _intercepted(db, Checkpoint.EXPERT_DRAW) == before + 1


def test_a_suspended_expert_is_not_drawn_for_a_prequalification_review_committee_either(
    db: Session, gm_ca: Path
) -> None:
    """实施条例 第七十一条 and 第十八条: the review committee of a prequalification is drawn from the same register,
    and an expert barred from evaluating is recused from that draw too, the interception recorded against the
    prequalification."""
    from ggzy.experts import service as experts

    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000])
    pool = [make_expert(db) for _ in range(4)]
    barred = pool[0]
    service.decide_penalty(db, supervisor(db), data=expert_penalty(barred.id), now=TEST_NOW)
    before = _intercepted(db, Checkpoint.EXPERT_DRAW)
    staff = principal(db, opened["staff"], Permission.COMMITTEE_DRAW)
    for _ in range(5):  # the draw is random: the barred expert is never among three of the four
        drawn, _pool = experts.draw_from_register(
            db, staff, specialty_code="A01", count=3, centre_id=opened["project"].centre_id,
            conflicted_entities=set(), subject_type="prequalification", subject_id=7, now=opened["opened_at"],
        )  # fmt: skip
        assert barred.id not in {expert_id for expert_id, _ in drawn}
    assert _intercepted(db, Checkpoint.EXPERT_DRAW) == before + 5
    latest = db.scalars(select(CreditInterception).order_by(CreditInterception.id.desc())).first()
    assert latest is not None
    assert (latest.subject_type, latest.subject_id, latest.expert_id) == ("prequalification", "7", barred.id)
    with pytest.raises(experts.NotEnoughExperts):  # three others only: four cannot be drawn
        experts.draw_from_register(
            db, staff, specialty_code="A01", count=4, centre_id=opened["project"].centre_id,
            conflicted_entities=set(), subject_type="prequalification", subject_id=7, now=opened["opened_at"],
        )  # fmt: skip


def test_a_winner_suspended_before_the_award_is_intercepted_and_not_awarded(
    connection: Connection, db: Session, gm_ca: Path
) -> None:
    """定标: the first candidate under a suspension in force is not awarded; the refusal rolls the award back, and
    the interception is recorded after it (an event and a count)."""
    from ggzy.awards import service as awards
    from ggzy.awards.models import Award

    publicised = make_publicised_tender(db, gm_ca)
    first = awards.candidates_of(publicised["publicity"])[0]
    suspend(db, entities.get_entity(db, first["entity_id"]).credit_code)
    manager = principal(db, publicised["agent_user"], Permission.AWARD_MANAGE)
    before = _intercepted(db, Checkpoint.AWARD), event_count(db, "award.awarded"), _rows(db, Award)
    db.commit()
    _refused_in_unit_of_work(
        connection,
        lambda session: awards.award_tender(
            session, manager, tender_id=publicised["tender"].id, bid_id=first["bid_id"], passed_over=[],
            signers=LEDGER_KEYS.signers, now=publicised["publicity"].ends_at,
        ),
    )  # fmt: skip
    after = _intercepted(db, Checkpoint.AWARD), event_count(db, "award.awarded"), _rows(db, Award)
    assert after == (before[0] + 1, before[1], before[2])


def test_a_restriction_closes_the_trades_of_its_articles_law_and_a_list_closes_every_trade(db: Session) -> None:
    """招标投标法 第五十三条 takes away "参加依法必须进行招标的项目的投标资格": the tendering law's trades, not
    government procurement; 政府采购法 第七十七条 "禁止参加政府采购活动": procurement, not the tendering law's.
    Neither bars registering on the platform (a step under no one law); a joint-punishment list bars everything."""
    works, procurement, listed = make_entity(db), make_entity(db), make_entity(db)
    suspend(db, works.credit_code)  # 第五十三条
    suspend(db, procurement.credit_code, basis="zfcg77")
    service.import_list(
        db, supervisor(db), source="信用中国", published_on=date(2026, 10, 1),
        content=csv_list((listed.credit_code, listed.name, "失信被执行人", "2026-01-01", "")), now=TEST_NOW,
    )  # fmt: skip

    def barred(entity: object, law: str | None) -> bool:
        code = entity.credit_code  # type: ignore[attr-defined]
        return service.restriction_of(db, credit_code=code, now=TEST_NOW, law=law) is not None

    assert [barred(works, law) for law in ("tendering_law", "procurement_law", None)] == [True, False, False]
    assert [barred(procurement, law) for law in ("tendering_law", "procurement_law", None)] == [False, True, False]
    assert [barred(listed, law) for law in ("tendering_law", "procurement_law", None)] == [True, True, True]
    record = db.scalars(select(CreditRecord).where(CreditRecord.credit_code == procurement.credit_code)).one()
    assert record.law == "procurement_law"


def test_a_suspension_under_article_53_refuses_a_works_bid_but_not_a_procurement_registration(
    db: Session, gm_ca: Path
) -> None:
    """招标投标法 第五十三条 at the checkpoints: the suspended bidder is refused at a works tender's registration and
    still registers for a government procurement (政府采购法's trades are not the ones it lost)."""
    from ggzy.tendering import service as tendering

    works, _ = make_published_tender(db)
    procurement, _ = make_published_tender(
        db, setup=make_accepted_project(db, trade_type="gov_procurement"), procedure="gp_open"
    )
    bidder = bidder_user(db)
    suspend(db, entities.get_entity(db, bidder.entity_id or 0).credit_code)
    actor = principal(db, bidder, Permission.TENDER_REGISTER)
    with pytest.raises(CreditIntercepted):
        tendering.register_for_tender(db, actor, tender_id=works.id, now=TEST_NOW)
    registration = tendering.register_for_tender(db, actor, tender_id=procurement.id, now=TEST_NOW)
    assert registration.tender_id == procurement.id


def test_a_revoked_or_expired_restriction_no_longer_intercepts(db: Session) -> None:
    entity = make_entity(db)
    record_id = suspend(db, entity.credit_code, months=12)
    assert service.restriction_of(db, credit_code=entity.credit_code, now=TEST_NOW, law="tendering_law") is not None
    assert (
        service.restriction_of(
            db, credit_code=entity.credit_code, now=TEST_NOW + timedelta(days=366), law="tendering_law"
        )
        is None
    )
    service.revoke_record(db, supervisor(db), record_id=record_id, reason="行政复议决定撤销", now=TEST_NOW)
    assert service.restriction_of(db, credit_code=entity.credit_code, now=TEST_NOW, law="tendering_law") is None


def test_entity_registration_of_a_clean_entity_goes_on(db: Session) -> None:
    entity = entities.register_entity(
        db, SYSTEM, data=EntityIn(credit_code=credit_code(), name="守信公司"), now=TEST_NOW
    )
    assert entity.id


# -- the public query and the blacklist -----------------------------------------------------------------------------


def test_the_public_credit_query_is_rate_limited_per_client(client: TestClient, db: Session, clock: FixedClock) -> None:
    """30 queries at once, then 429 with a problem; a client waiting two seconds has a token again."""
    code = make_entity(db).credit_code
    answers = [client.get("/api/v1/credit/query", params={"credit_code": code}).status_code for _ in range(31)]
    assert answers[:30] == [200] * 30
    assert answers[30] == 429
    clock.advance(timedelta(seconds=2))
    assert client.get("/api/v1/credit/query", params={"credit_code": code}).status_code == 200


def test_the_public_query_shows_an_entitys_records(client: TestClient, db: Session) -> None:
    entity = make_entity(db)
    suspend(db, entity.credit_code)
    report = client.get("/api/v1/credit/query", params={"credit_code": entity.credit_code}).json()
    assert report["restricted"] is True
    assert report["subject_name"] == entity.name
    assert report["records"][0]["status"] == "in_force"
    wrong = entity.credit_code[:-1] + ("0" if entity.credit_code[-1] != "0" else "1")  # GB 32100 check fails
    invalid = client.get("/api/v1/credit/query", params={"credit_code": wrong})
    assert invalid.status_code == 422


def test_the_blacklist_lists_only_what_is_in_force(client: TestClient, db: Session) -> None:
    """Published: a suspension in force; not one revoked, expired or not yet begun."""
    in_force, revoked, expired, later = (make_entity(db) for _ in range(4))
    suspend(db, in_force.credit_code)
    service.revoke_record(
        db, supervisor(db), record_id=suspend(db, revoked.credit_code), reason="复议撤销", now=TEST_NOW
    )
    suspend(db, expired.credit_code, effective_on="2024-01-01")
    suspend(db, later.credit_code, effective_on="2027-01-01")
    listed = {row["credit_code"] for row in client.get("/api/v1/credit/blacklist", params={"limit": 200}).json()}
    assert in_force.credit_code in listed
    assert not listed & {revoked.credit_code, expired.credit_code, later.credit_code}


def test_interception_counts_are_read_by_supervisors_and_inspectors_only(client: TestClient, db: Session) -> None:
    assert client.get("/api/v1/credit/interceptions").status_code == 401
    bidder = token_for(db, bidder_user(db))
    assert client.get("/api/v1/credit/interceptions", headers=bidder).status_code == 403
    inspector = token_for(db, user_with_role(db, Role.INSPECTOR))
    counts = client.get("/api/v1/credit/interceptions", headers=inspector).json()
    assert {row["checkpoint"] for row in counts} == {checkpoint.value for checkpoint in Checkpoint}


def test_a_domain_error_without_a_record_after_rollback_records_nothing(connection: Connection, db: Session) -> None:
    """The unit of work runs only an error's own ``record_after_rollback``: an ordinary refusal records nothing."""
    before = event_count(db)
    db.commit()
    factory = session_factory(connection, join_transaction_mode="create_savepoint")
    with pytest.raises(DomainError), unit_of_work(factory) as session:
        suspend(session, make_entity(session).credit_code)
        raise DomainError()
    assert event_count(db) == before
