"""Government procurement on the lifecycle: the trade type picks the law (DESIGN §5), and each procedure of 政府采购法
keeps its own rules — working-day periods, no candidate publicity, one quotation, the sole supplier's publicity —
while a round that fails or is terminated lets the lot start a new one. Refused requests leave no row or event."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.awards.models import Award, AwardLetter, CandidatePublicity
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.tendering import lifecycle
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import GP_OPEN, PROCEDURES, RFQ, RIGHTS, SINGLE_SOURCE, Method, procedures_for
from ggzy.tendering.rules import ChallengeTooLate, DocumentsOfferTooShort, china_date
from ggzy.tendering.stages import Stage, Step
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import (
    bidder_user,
    event_count,
    load_test_calendar,
    make_accepted_project,
    make_evaluated_tender,
    principal,
    token_for,
)

TENDER_PROCEDURES = [chosen for chosen in PROCEDURES.values() if chosen is not RIGHTS]  # the rights round: no tender


def _rows(db: Session) -> tuple[int, int]:
    return db.scalar(select(func.count()).select_from(Tender)) or 0, event_count(db)


def _draft(lot_id: int, *, procedure: str, invited: list[int] | None = None, until_days: int = 10) -> dict:
    return {
        "lot_id": lot_id,
        "procedure": procedure,
        "method": "lowest_price",
        "title": "政府采购测试项目",
        "notice_text": "采购公告正文",
        "documents_until": (TEST_NOW + timedelta(days=until_days)).isoformat(),
        "bid_deadline": (TEST_NOW + timedelta(days=25)).isoformat(),
        "invited_entity_ids": invited or [],
    }


def _create(db: Session, setup: dict, *, procedure: str, invited: list[int] | None = None, until_days: int = 10):  # type: ignore[no-untyped-def]
    manager = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    body = _draft(setup["lots"][0].id, procedure=procedure, invited=invited, until_days=until_days)
    from datetime import datetime

    tender = tendering.create_tender(
        db, manager, lot_id=body["lot_id"], procedure_key=procedure, method=Method.LOWEST_PRICE, title=body["title"],
        notice_text=body["notice_text"], documents_until=datetime.fromisoformat(body["documents_until"]),
        bid_deadline=datetime.fromisoformat(body["bid_deadline"]), invited_entity_ids=invited or [], now=TEST_NOW,
    )  # fmt: skip
    tendering.attach_documents(db, manager, tender_id=tender.id, sha256="d" * 64, name="f.pdf", size=1, now=TEST_NOW)
    return tender, manager


# -- the trade type picks the law ------------------------------------------------------------------------------------


def test_the_trade_type_picks_the_law_procedures_offered() -> None:
    from ggzy.core.trade_types import TradeType

    assert {p.key for p in procedures_for(TradeType.CONSTRUCTION)} == {"open", "invited"}
    assert {p.key for p in procedures_for(TradeType.GOV_PROCUREMENT)} == {
        "gp_open",
        "gp_invited",
        "rfq",
        "single_source",
        "negotiation",
        "consultation",
    }
    for rights in (TradeType.LAND, TradeType.MINING, TradeType.PROPERTY):
        # no tender: the deposit round of a listing or auction only (decision 0051)
        assert [p.key for p in procedures_for(rights)] == ["rights"]
    assert RIGHTS.stages == (Stage.DRAFT, Stage.PUBLISHED, Stage.CLOSED)
    assert not any(RIGHTS.has(step) for step in (Step.REGISTER, Step.SUBMIT_BID, Step.START_OPENING, Step.AWARD))
    for chosen in TENDER_PROCEDURES:
        assert chosen.stages[0] == Stage.DRAFT
        assert Stage.CONTRACTED in chosen.stages


@pytest.mark.parametrize(
    ("trade_type", "procedure", "code", "words"),
    [
        ("construction", "gp_open", "procedure_not_for_trade_type", "招标投标法"),
        ("gov_procurement", "open", "procedure_not_for_trade_type", "政府采购法"),
        ("land", "open", "no_tender_procedure", "价高者得"),
        ("property", "gp_open", "no_tender_procedure", "拍卖"),
    ],
)
def test_a_procedure_the_trade_type_does_not_allow_is_refused_and_nothing_is_written(
    client: TestClient, db: Session, trade_type: str, procedure: str, code: str, words: str
) -> None:
    setup = make_accepted_project(db, trade_type=trade_type)
    before = _rows(db)
    response = client.post(
        "/api/v1/tenders",
        json=_draft(setup["lots"][0].id, procedure=procedure),
        headers=token_for(db, setup["agent_user"]),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code
    assert words in problem["message_zh"]
    assert _rows(db) == before


# -- working days: 政府采购法实施条例 第31条, 政府采购法 第52条 and 第53条 ---------------------------------------------


def test_政府采购法实施条例_第31条_documents_on_offer_5_working_days_not_5_days(db: Session) -> None:
    """TEST_NOW is Tuesday 24 November 2026: 5 calendar days end on Sunday the 29th (moved to Monday the 30th), but
    5 working days end on Tuesday 1 December."""
    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    tender, manager = _create(db, setup, procedure="gp_open", until_days=6)  # until Monday 30 November
    with pytest.raises(DocumentsOfferTooShort) as refused:
        tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW)
    assert "个工作日" in refused.value.detail_zh
    assert "政府采购法实施条例 第三十一条" in refused.value.detail_zh
    assert refused.value.params["earliest"] == "2026-12-01"
    ok, manager = _create_on_new_lot(db, until_days=7)
    assert tendering.publish_tender(db, manager, tender_id=ok.id, now=TEST_NOW).stage == "published"


def _create_on_new_lot(db: Session, *, until_days: int):  # type: ignore[no-untyped-def]
    setup = make_accepted_project(db, trade_type="gov_procurement")
    return _create(db, setup, procedure="gp_open", until_days=until_days)


def test_政府采购法_第52条_a_challenge_to_the_documents_within_7_working_days_of_receiving_them(
    db: Session,
) -> None:
    """实施条例 第53条 (一): counted from the day the supplier received the documents (its registration). A
    challenge 8 days before the deadline is fine under 政府采购法 (招标投标法实施条例 第22条's 10 days do not apply);
    one after 7 working days is refused; and it does not pause the bids (实施条例 第54条 suspends only the contract)."""
    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    tender, manager = _create(db, setup, procedure="gp_open")
    tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW)
    supplier = bidder_user(db)
    actor = principal(db, supplier, Permission.TENDER_REGISTER)
    tendering.register_for_tender(db, actor, tender_id=tender.id, now=TEST_NOW)  # Tuesday 24 November
    calendar = working_day_calendar(db)
    seventh = calendar.add_working_days(china_date(TEST_NOW), 7)  # Thursday 3 December
    assert seventh.isoformat() == "2026-12-03"
    on_time = TEST_NOW + timedelta(days=(seventh - china_date(TEST_NOW)).days)
    objector = principal(db, supplier, Permission.TENDER_OBJECT)
    objection = tendering.raise_objection(db, objector, tender_id=tender.id, text="评分标准有倾向性", now=on_time)
    # 政府采购法 第53条: answered within 7 working days of receipt
    assert objection.answer_due == calendar.add_working_days(seventh, 7)
    assert lifecycle.halts_in_force(db, tender.id) == set()  # the bids go on
    lifecycle.require(db, tender, Step.SUBMIT_BID, on_time)
    before = event_count(db)
    with pytest.raises(ChallengeTooLate) as refused:
        tendering.raise_objection(db, objector, tender_id=tender.id, text="再次质疑", now=on_time + timedelta(days=1))
    assert "政府采购法 第五十二条" in refused.value.detail_zh
    assert event_count(db) == before


def test_招标投标法实施条例_第22条_an_objection_still_pauses_a_construction_tender(db: Session) -> None:
    setup = make_accepted_project(db)
    load_test_calendar(db)
    tender, manager = _create(db, setup, procedure="open")
    tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW)
    objector = principal(db, bidder_user(db), Permission.TENDER_OBJECT)
    tendering.raise_objection(db, objector, tender_id=tender.id, text="资格条件排斥潜在投标人", now=TEST_NOW)
    assert lifecycle.halts_in_force(db, tender.id) == {"paused_by_objection"}
    with pytest.raises(lifecycle.TenderPaused):
        lifecycle.require(db, tender, Step.SUBMIT_BID, TEST_NOW)


# -- no candidate publicity; the award from the report (政府采购法实施条例 第43条) ----------------------------------


def test_政府采购法实施条例_第43条_the_purchaser_awards_from_the_report_without_a_publicity(
    db: Session, gm_ca: Path
) -> None:
    scene = make_evaluated_tender(db, gm_ca, trade_type="gov_procurement", procedure="gp_open")
    tender, now = scene["tender"], scene["reported_at"]
    assert GP_OPEN.stages == (
        Stage.DRAFT, Stage.PUBLISHED, Stage.CLOSED, Stage.OPENING, Stage.OPENED, Stage.EVALUATING, Stage.EVALUATED,
        Stage.AWARDED, Stage.CONTRACTED,
    )  # fmt: skip
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    before = event_count(db)
    with pytest.raises(lifecycle.StepNotInProcedure) as refused:
        awards.publish_publicity(db, manager, tender_id=tender.id, ends_at=None, now=now)
    assert "政府采购法 第二十六条" in refused.value.detail_zh
    assert event_count(db) == before
    candidates = awards.report_candidates(db, tender.id)
    award = awards.award_tender(
        db, manager, tender_id=tender.id, bid_id=candidates[0]["bid_id"], passed_over=[],
        signers=LEDGER_KEYS.signers, now=now,
    )  # fmt: skip
    assert award.publicity_id is None
    assert db.scalar(select(func.count()).select_from(CandidatePublicity)) == 0
    assert tender.stage == Stage.AWARDED
    letters = list(db.scalars(select(AwardLetter).where(AwardLetter.tender_id == tender.id)))
    winner = next(letter for letter in letters if letter.kind == "award")
    assert "政府采购法 第四十六条" in winner.text
    assert "中标（成交）通知书" in winner.text
    assert all("招标投标法" not in letter.text for letter in letters)
    # 政府采购法 第46条: the contract within 30 days of the letter
    assert award.contract_due == GP_OPEN.periods.contract.last_day(working_day_calendar(db), china_date(now))


# -- failure and new rounds: 政府采购法 第36条, 招标投标法 第42条 -----------------------------------------------------


def test_政府采购法_第36条_fewer_than_three_valid_bids_fail_the_round_and_a_new_round_starts(
    db: Session, gm_ca: Path
) -> None:
    """The lot's ceiling price rejects the dearest bid at once (招标投标法实施条例 第51条 (五) as the evaluation
    applies it): two responsive suppliers are left, fewer than the three of 政府采购法 第36条 (一) — 废标."""
    scene = make_evaluated_tender(
        db, gm_ca, prices=[30_000_000, 9_000_000, 8_000_000], ceiling_price="200000.00",
        trade_type="gov_procurement", procedure="gp_open",
    )  # fmt: skip
    tender = scene["tender"]
    assert tender.stage == Stage.FAILED
    failed = db.scalar(select(Event).where(Event.action == "tender.failed", Event.subject_id == str(tender.id)))
    assert failed is not None
    assert failed.disclosed
    payload = json.loads(failed.payload)
    assert (payload["ground"], payload["article"], payload["valid_bids"], payload["needed"]) == (
        "too_few_valid_bids", "政府采购法 第三十六条", 2, 3
    )  # fmt: skip
    manager = principal(db, scene["agent_user"], Permission.TENDER_MANAGE)
    again = tendering.create_tender(
        db, manager, lot_id=scene["lot"].id, procedure_key="gp_open", method=Method.LOWEST_PRICE,
        title="重新招标", notice_text="第二轮", documents_until=TEST_NOW + timedelta(days=40),
        bid_deadline=TEST_NOW + timedelta(days=60), invited_entity_ids=[], now=scene["reported_at"],
    )  # fmt: skip
    assert again.round == 2
    assert again.stage == Stage.DRAFT


def test_招标投标法_第42条_every_bid_rejected_fails_the_round(db: Session, gm_ca: Path) -> None:
    scene = make_evaluated_tender(db, gm_ca, prices=[30_000_000, 40_000_000, 50_000_000], ceiling_price="200000.00")
    assert scene["tender"].stage == Stage.FAILED
    failed = db.scalar(select(Event).where(Event.action == "tender.failed"))
    assert failed is not None
    assert json.loads(failed.payload)["ground"] == "all_bids_rejected"
    assert json.loads(failed.payload)["article"] == "招标投标法 第四十二条"


def test_招标投标法实施条例_第31条_termination_at_any_stage_then_a_new_round_but_never_two_at_once(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = make_evaluated_tender(db, gm_ca)
    tender, now = scene["tender"], scene["reported_at"]
    headers = token_for(db, scene["agent_user"])
    body = _draft(scene["lot"].id, procedure="open")
    before = _rows(db)
    running = client.post("/api/v1/tenders", json=body, headers=headers)
    assert running.status_code == 409, running.text
    assert running.json()["code"] == "round_running"
    assert "第四十二条" in running.json()["message_zh"]
    assert _rows(db) == before
    manager = principal(db, scene["agent_user"], Permission.TENDER_MANAGE)
    tendering.cancel_tender(db, manager, tender_id=tender.id, reason="采购需求发生重大变化", now=now)
    assert tender.stage == Stage.CANCELLED
    event = db.scalar(select(Event).where(Event.action == "tender.cancelled"))
    assert event is not None
    payload = json.loads(event.payload)
    assert (payload["stage"], payload["refunds_due"], payload["article"]) == (
        "evaluated", True, "招标投标法实施条例 第三十一条"
    )  # fmt: skip
    with pytest.raises(lifecycle.TenderStageWrong):  # over: nothing moves it again
        lifecycle.require(db, tender, Step.TERMINATE, now)
    created = client.post("/api/v1/tenders", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["round"] == 2


# -- 询价: one quotation each (政府采购法 第40条) --------------------------------------------------------------------


def test_政府采购法_第40条_a_quotation_cannot_be_changed_or_withdrawn(db: Session, gm_ca: Path) -> None:
    import io

    from ggzy.storage import LocalBlobStore
    from ggzy.tendering import bids
    from tests.tendering.test_bids import Bidder, seal

    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    from ggzy.crypto import load_certificate
    from ggzy.entities import login
    from ggzy.entities.models import TrustAnchor
    from tests.factories import SYSTEM

    pem = (gm_ca / "ca.pem").read_text()
    if db.scalar(select(TrustAnchor.id).where(TrustAnchor.fingerprint == load_certificate(pem).fingerprint)) is None:
        login.add_trust_anchor(db, SYSTEM, certificate_pem=pem, name=None, now=TEST_NOW)
    suppliers = [bidder_user(db) for _ in range(3)]
    with pytest.raises(tendering.NotEnoughInvitations) as too_few:
        _create(db, setup, procedure="rfq", invited=[suppliers[0].entity_id])
    assert getattr(too_few.value, "code", None) == "not_enough_invitations"
    assert "政府采购法 第四十条" in too_few.value.detail_zh
    tender, manager = _create(db, setup, procedure="rfq", invited=[u.entity_id for u in suppliers])
    assert RFQ.methods == (Method.LOWEST_PRICE,)
    tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW)
    bidder = Bidder(db, gm_ca, tender.id, user=suppliers[0])
    actor = principal(db, bidder.user, Permission.TENDER_REGISTER)
    store = LocalBlobStore(gm_ca.parent / "rfq-blobs")

    def quote() -> object:
        return bids.submit_bid(
            db, actor, tender_id=tender.id, envelope=io.BytesIO(seal(db, tender, bidder)), store=store,
            max_bytes=10**8, details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
        )  # fmt: skip

    quote()
    before = event_count(db)
    with pytest.raises(bids.QuotationFinal) as again:
        quote()
    assert "第四十条" in again.value.detail_zh
    with pytest.raises(lifecycle.StepNotInProcedure):
        bids.withdraw_bid(db, actor, tender_id=tender.id, now=TEST_NOW)
    assert event_count(db) == before


# -- 单一来源: the sole supplier publicised first (政府采购法实施条例 第38条) ----------------------------------------


def test_政府采购法实施条例_第38条_single_source_publicises_its_supplier_5_working_days_first(
    client: TestClient, db: Session
) -> None:
    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    two = [bidder_user(db), bidder_user(db)]
    with pytest.raises(tendering.NotEnoughInvitations) as refused:
        _create(db, setup, procedure="single_source", invited=[u.entity_id for u in two])
    assert getattr(refused.value, "code", None) == "not_enough_invitations"
    tender, manager = _create(db, setup, procedure="single_source", invited=[two[0].entity_id])
    headers = token_for(db, setup["agent_user"])
    before = event_count(db)
    unpublicised = client.post(f"/api/v1/tenders/{tender.id}/publish", headers=headers)
    assert unpublicised.status_code == 409, unpublicised.text
    assert unpublicised.json()["code"] == "sole_supplier_not_publicised"
    assert "第三十八条" in unpublicised.json()["message_zh"]
    assert event_count(db) == before
    publicised = client.post(
        f"/api/v1/tenders/{tender.id}/sole-supplier-publicity", json={"text": "拟采用单一来源方式采购"}, headers=headers
    )
    assert publicised.status_code == 200, publicised.text
    event = db.scalar(select(Event).where(Event.action == "tender.sole_supplier_publicised"))
    assert event is not None
    # Tuesday 24 November 2026 + 5 working days = Tuesday 1 December
    assert json.loads(event.payload)["last_day"] == "2026-12-01"
    assert SINGLE_SOURCE.periods.sole_supplier_publicity is not None
    db.refresh(tender)
    with pytest.raises(tendering.SoleSupplierNotPublicised):
        tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW + timedelta(days=7))  # 1 December
    tender.documents_until = TEST_NOW + timedelta(days=20)
    tender.bid_deadline = TEST_NOW + timedelta(days=35)
    published = tendering.publish_tender(db, manager, tender_id=tender.id, now=TEST_NOW + timedelta(days=8))
    assert published.stage == Stage.PUBLISHED
    other = _create_on_new_lot(db, until_days=10)[0]
    step = client.post(
        f"/api/v1/tenders/{other.id}/sole-supplier-publicity", json={"text": "x公示"},
        headers=token_for(db, db.get(type(setup["agent_user"]), other.created_by)),
    )  # fmt: skip
    assert step.status_code == 409, step.text
    assert step.json()["code"] == "step_not_in_procedure"


def test_every_procedure_declares_its_transitions_and_the_guard_enforces_them() -> None:
    for chosen in TENDER_PROCEDURES:
        steps = [found.step for found in chosen.transitions]
        assert len(steps) == len(set(steps)), chosen.key
        assert chosen.has(Step.TERMINATE)
        assert chosen.has(Step.FAIL)
        assert chosen.has(Step.PUBLICISE) == (chosen.law.key == "tendering_law")
    assert Award.__table__.c.publicity_id.nullable


def test_no_termination_after_the_letter_of_award_招标投标法第45条(db: Session, gm_ca: Path) -> None:
    """Once the letter of award is issued, changing the result is the owner's liability (招标投标法 第45条 第2款),
    never a termination that frees the lot for a new round."""
    from tests.factories import make_awarded_tender

    scene = make_awarded_tender(db, gm_ca)
    manager = principal(db, scene["agent_user"], Permission.TENDER_MANAGE)
    before = event_count(db)
    with pytest.raises(lifecycle.TenderStageWrong):
        tendering.cancel_tender(db, manager, tender_id=scene["tender"].id, reason="换人", now=scene["reported_at"])
    assert event_count(db) == before
    assert scene["tender"].stage == Stage.AWARDED


def test_the_owner_and_its_agent_are_never_invitees_招标投标法第17条(db: Session) -> None:
    """Three invitations are three potential bidders (招标投标法 第17条; 政府采购法 第34条): the owner and its agent,
    who may not bid (实施条例 第34条), do not count."""
    setup = make_accepted_project(db, trade_type="gov_procurement")
    load_test_calendar(db)
    others = [bidder_user(db).entity_id for _ in range(2)]
    before = _rows(db)
    with pytest.raises(tendering.InvalidInput):
        _create(db, setup, procedure="gp_invited", invited=[*others, setup["owner"].id])
    assert _rows(db) == before


def test_a_stage_moved_since_it_was_read_is_refused_not_overwritten(db: Session) -> None:
    """Compare and set: a step whose round another request moved since it was read (a termination racing a
    contract) is refused; the stage another request recorded stands."""
    setup = make_accepted_project(db)
    load_test_calendar(db)
    tender, _ = _create(db, setup, procedure="open")
    db.execute(update(Tender).where(Tender.id == tender.id).values(stage="cancelled"))  # the other request's commit
    with pytest.raises(lifecycle.TenderStageWrong):
        lifecycle.move(db, tender, Step.PUBLISH)
    db.refresh(tender)
    assert tender.stage == Stage.CANCELLED


def test_two_rounds_created_at_once_the_second_is_round_running(db: Session) -> None:
    """The lot's (lot, round) key decides between two requests that both counted the same rounds: the loser gets
    the problem ``round_running``, never a server error, and leaves nothing."""
    setup = make_accepted_project(db)
    load_test_calendar(db)
    first, _ = _create(db, setup, procedure="open")
    db.execute(update(Tender).where(Tender.id == first.id).values(stage="failed"))  # as if it ended meanwhile
    second, _ = _create(db, setup, procedure="open")  # round 2
    assert second.round == 2
    db.execute(update(Tender).where(Tender.id == second.id).values(round=3))  # a concurrent request took round 2
    db.execute(update(Tender).where(Tender.id == first.id).values(round=2))
    db.execute(update(Tender).where(Tender.id == second.id).values(stage="failed"))
    before = _rows(db)
    with pytest.raises(tendering.RoundRunning):
        _create(db, setup, procedure="open")  # counts 2 rounds, takes round 3: taken
    assert _rows(db) == before
