"""竞争性谈判 (政府采购法 第38条) and 竞争性磋商 (政府采购竞争性磋商采购方式管理暂行办法) as procedures: the
response documents are sealed bids; during the evaluation the panel calls rounds of quotations, each sealed exactly
as a bid is (the same envelope, the same custodians), opened together after the round's deadline; the last round
is final and its quotations are the prices the evaluation ranks. Refused requests leave no row or event."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.core.clock import CHINA_STANDARD_TIME, FixedClock
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.core.trade_types import TradeType
from ggzy.crypto import ShareRecoveryFailed
from ggzy.entities.models import User
from ggzy.evaluation import negotiation
from ggzy.evaluation import service as evaluation
from ggzy.experts.service import sitting_members
from ggzy.ledger.entries import entry_document
from ggzy.tendering import opening as opening_views
from ggzy.tendering import quotation_views, quotations
from ggzy.tendering import service as tendering
from ggzy.tendering.models import SealedQuotation
from ggzy.tendering.procedures import (
    CONSULTATION,
    NEGOTIATION,
    Method,
    ProcedureNotForTradeType,
    procedure_for,
)
from ggzy.tendering.stages import Stage
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import event_count, make_accepted_project, make_opened_tender, principal, token_for
from tests.tendering.negotiation_support import (
    call,
    negotiating,
    open_round,
    quote,
    release,
    releases,
    seal_quotation,
)

HOUR = timedelta(hours=1)


def _quotations(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(SealedQuotation)) or 0


def _finaliser(db: Session, scene: dict):  # type: ignore[no-untyped-def]
    return principal(db, scene["staff"], Permission.EVALUATION_FINALISE)


def test_政府采购法_第38条_a_whole_negotiation_two_rounds_the_lowest_final_quotation_wins(
    db: Session, gm_ca: Path
) -> None:
    """第38条 (四): rounds of quotations, a change notified to every supplier; (五): the final quotations, the
    lowest price among those meeting the requirements wins; 实施条例 第43条: awarded without a publicity."""
    scene = negotiating(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000])
    tender, t0 = scene["tender"], scene["opened_at"]
    # a substantive change during the negotiation, notified to every supplier still in it
    notice = negotiation.notify_negotiation_change(
        db, scene["host"], tender_id=tender.id, text="交货期改为60日", now=t0
    )
    for supplier in scene["suppliers"]:
        assert [n.id for n in quotation_views.notices_for(db, supplier, tender.id)] == [notice.id]

    first = call(scene, db, at=t0)
    for index, price in enumerate([25_000_000, 19_000_000, 9_500_000]):
        quote(db, scene, index, first, price, at=t0 + timedelta(minutes=10))
    assert [q.price_fen for q in open_round(db, scene, first, at=t0 + HOUR)] == [25_000_000, 19_000_000, 9_500_000]

    final = call(scene, db, at=t0 + 2 * HOUR, final=True)
    for index, price in enumerate([15_000_000, 18_000_000, 16_000_000]):
        quote(db, scene, index, final, price, at=t0 + 2 * HOUR + timedelta(minutes=5))
    open_round(db, scene, final, at=t0 + 3 * HOUR)

    report = evaluation.finalise_report(db, _finaliser(db, scene), tender_id=tender.id, now=t0 + 4 * HOUR)
    ranking = json.loads(report.body)["ranking"]
    assert [line["price_fen"] for line in ranking] == [15_000_000, 16_000_000, 18_000_000]  # the final quotations
    assert ranking[0]["bid_id"] == scene["bid_ids"][0]  # the dearest at first, the cheapest at the end
    manager = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    candidates = awards.report_candidates(db, tender.id)
    award = awards.award_tender(
        db, manager, tender_id=tender.id, bid_id=candidates[0]["bid_id"], passed_over=[],
        signers=LEDGER_KEYS.signers, now=t0 + 5 * HOUR,
    )  # fmt: skip
    assert award.price_fen == 15_000_000
    assert award.publicity_id is None
    assert tender.stage == Stage.AWARDED


def test_竞争性磋商_is_scored_by_综合评分法_with_the_final_quotation_as_its_price(db: Session, gm_ca: Path) -> None:
    """The consultation measures' 第十条 periods are the procedure's; the score's price part is computed on the final
    quotation, not on the price of the response documents."""
    assert CONSULTATION.periods.bid_period.length == 10
    assert CONSULTATION.periods.documents_on_offer.length == 5
    assert CONSULTATION.periods.clarification_before_deadline.length == 5
    assert all(
        "第十条" in p.article for p in (CONSULTATION.periods.bid_period, CONSULTATION.periods.documents_on_offer)
    )
    assert CONSULTATION.methods == (Method.SCORING,)
    scene = negotiating(db, gm_ca, procedure="consultation", prices=[10_000_000, 20_000_000, 30_000_000])
    tender, t0 = scene["tender"], scene["opened_at"]
    final = call(scene, db, at=t0, final=True)
    for index, price in enumerate([12_000_000, 19_000_000, 8_000_000]):
        quote(db, scene, index, final, price, at=t0 + timedelta(minutes=1))
    open_round(db, scene, final, at=t0 + HOUR)
    for member in sitting_members(db, tender.id):
        user = db.get(User, member.user_id)
        assert user is not None
        for bid in scene["bid_ids"]:
            evaluation.submit_score_sheet(
                db, principal(db, user, Permission.EVALUATION_SIT), tender_id=tender.id, bid_id=bid,
                scores={"technical": Decimal(50)}, now=t0 + HOUR,
            )  # fmt: skip
    report = evaluation.finalise_report(db, _finaliser(db, scene), tender_id=tender.id, now=t0 + 2 * HOUR)
    ranking = json.loads(report.body)["ranking"]
    assert ranking[0]["bid_id"] == scene["bid_ids"][2]
    assert ranking[0]["price_fen"] == 8_000_000
    assert Decimal(ranking[0]["price_score"]) == Decimal(40)


def test_政府采购法_第38条_第五项_a_quotation_after_the_final_round_closed_is_refused_and_leaves_nothing(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = negotiating(db, gm_ca)
    tender, t0 = scene["tender"], scene["opened_at"]
    final = call(scene, db, at=t0, final=True)
    quote(db, scene, 0, final, 9_000_000, at=t0 + timedelta(minutes=1))
    envelope = seal_quotation(db, scene, 1, final, 8_000_000)
    clock.set(t0 + HOUR)  # the final round's deadline
    rows, events = _quotations(db), event_count(db)
    response = client.post(
        f"/api/v1/tenders/{tender.id}/quotations", files={"envelope": ("q.ggzy", envelope)},
        headers=token_for(db, scene["bidders"][1]),
    )  # fmt: skip
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "quotation_after_final_round"
    assert "政府采购法 第三十八条 第（五）项" in problem["message_zh"]
    assert "art. 38 (5)" in problem["message_en"]
    assert (_quotations(db), event_count(db)) == (rows, events)
    with pytest.raises(quotations.QuotationRoundRunning):  # the final round is opened first
        call(scene, db, at=t0 + 2 * HOUR)
    open_round(db, scene, final, at=t0 + 2 * HOUR)
    with pytest.raises(quotations.NegotiationClosed):  # and no new round after the final one
        call(scene, db, at=t0 + 2 * HOUR)


def test_a_quotation_after_its_rounds_deadline_is_refused_and_leaves_nothing(db: Session, gm_ca: Path) -> None:
    scene = negotiating(db, gm_ca)
    t0 = scene["opened_at"]
    first = call(scene, db, at=t0)
    rows, events = _quotations(db), event_count(db)
    with pytest.raises(quotations.QuotationDeadlinePassed) as refused:
        quote(db, scene, 0, first, 9_000_000, at=t0 + HOUR)
    assert refused.value.status == 409
    assert (_quotations(db), event_count(db)) == (rows, events)
    with pytest.raises(quotations.QuotationRoundRunning):  # the closed round is opened before the next is called
        call(scene, db, at=t0 + HOUR)


def test_政府采购法_第38条_a_rejected_supplier_is_out_of_the_negotiation_and_cannot_quote(
    db: Session, gm_ca: Path
) -> None:
    scene = negotiating(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000, 40_000_000])
    tender, t0 = scene["tender"], scene["opened_at"]
    lead = next(m for m in sitting_members(db, tender.id))
    lead_user = db.get(User, lead.user_id)
    assert lead_user is not None
    evaluation.reject_bid(
        db, principal(db, lead_user, Permission.EVALUATION_SIT), tender_id=tender.id, bid_id=scene["bid_ids"][3],
        ground="not_responsive", note="未实质性响应", now=t0,
    )  # fmt: skip
    assert scene["bidders"][3].entity_id not in negotiation.suppliers_negotiating(db, tender.id)
    first = call(scene, db, at=t0)
    rows, events = _quotations(db), event_count(db)
    with pytest.raises(quotations.NotInNegotiation) as refused:
        quote(db, scene, 3, first, 1_000_000, at=t0 + timedelta(minutes=1))
    assert "第三十八条" in refused.value.detail_zh
    assert (_quotations(db), event_count(db)) == (rows, events)
    quote(db, scene, 0, first, 9_000_000, at=t0 + timedelta(minutes=1))  # a supplier still in it may
    assert _quotations(db) == rows + 1


def test_政府采购法_第38条_第四项_quotations_stay_sealed_until_the_deadline_and_open_together(
    db: Session, gm_ca: Path
) -> None:
    """No supplier learns another's price: before the deadline no share is released and nothing opens; after it,
    the custodians' shares open every quotation of the round in one step, at one time."""
    scene = negotiating(db, gm_ca)
    tender, t0 = scene["tender"], scene["opened_at"]
    first = call(scene, db, at=t0)
    for index, price in enumerate([9_000_000, 8_000_000, 7_000_000]):
        quote(db, scene, index, first, price, at=t0 + timedelta(minutes=index))
    prepared = releases(db, scene, first)
    events = event_count(db)
    with pytest.raises(quotations.QuotationsSealed):
        release(db, scene, first, prepared[0], at=t0 + HOUR - timedelta(seconds=1))
    with pytest.raises(quotations.QuotationsSealed):
        quotations.open_round(
            db,
            scene["host"],
            tender_id=tender.id,
            number=first,
            store=scene["store"],
            now=t0 + 30 * timedelta(minutes=1),
        )
    assert event_count(db) == events
    stored = list(db.scalars(select(SealedQuotation).where(SealedQuotation.tender_id == tender.id)))
    assert [q.price_fen for q in stored] == [None, None, None]
    assert all(q.summary is None and q.data_key is None for q in stored)
    # one custodian alone does not open them: the whole step is refused
    release(db, scene, first, prepared[0], at=t0 + HOUR)
    with pytest.raises(ShareRecoveryFailed):
        quotations.open_round(db, scene["host"], tender_id=tender.id, number=first, store=scene["store"], now=t0 + HOUR)
    for item in prepared[1:]:
        release(db, scene, first, item, at=t0 + HOUR)
    opened = quotations.open_round(
        db, scene["host"], tender_id=tender.id, number=first, store=scene["store"], now=t0 + HOUR
    )
    assert [q.price_fen for q in opened] == [9_000_000, 8_000_000, 7_000_000]
    for q in stored:
        db.refresh(q)
    assert {q.opened_at for q in stored} == {t0 + HOUR}
    with pytest.raises(quotations.QuotationsOpened):
        quotations.open_round(db, scene["host"], tender_id=tender.id, number=first, store=scene["store"], now=t0 + HOUR)


def test_the_report_waits_for_the_final_quotations_政府采购法_第38条_第五项(db: Session, gm_ca: Path) -> None:
    scene = negotiating(db, gm_ca)
    tender, t0 = scene["tender"], scene["opened_at"]
    events = event_count(db)
    with pytest.raises(evaluation.EvaluationIncomplete) as refused:
        evaluation.finalise_report(db, _finaliser(db, scene), tender_id=tender.id, now=t0)
    assert "第三十八条" in refused.value.detail_zh
    assert event_count(db) == events


def test_政府采购法_第36条_fewer_than_three_final_quotations_fail_the_round(db: Session, gm_ca: Path) -> None:
    """A supplier that gives no final quotation is not ranked; with fewer than three left the round fails."""
    scene = negotiating(db, gm_ca)
    tender, t0 = scene["tender"], scene["opened_at"]
    final = call(scene, db, at=t0, final=True)
    for index in (0, 1):
        quote(db, scene, index, final, 9_000_000 + index, at=t0 + timedelta(minutes=1))
    open_round(db, scene, final, at=t0 + HOUR)
    report = evaluation.finalise_report(db, _finaliser(db, scene), tender_id=tender.id, now=t0 + HOUR)
    body = json.loads(report.body)
    assert [item["bid_id"] for item in body["without_final_quotation"]] == [scene["bid_ids"][2]]
    assert tender.stage == Stage.FAILED


@pytest.mark.parametrize("key", ["negotiation", "consultation"])
def test_a_工程建设_project_cannot_pick_negotiation_or_consultation(db: Session, key: str) -> None:
    """工程建设 runs under 招标投标法 (DESIGN §5); 竞争性谈判 and 竞争性磋商 are 政府采购法's."""
    assert procedure_for(TradeType.GOV_PROCUREMENT, key).law.name_zh == "政府采购法"
    with pytest.raises(ProcedureNotForTradeType):
        procedure_for(TradeType.CONSTRUCTION, key)
    setup = make_accepted_project(db, trade_type="construction")
    events = event_count(db)
    with pytest.raises(ProcedureNotForTradeType):
        tendering.create_tender(
            db, principal(db, setup["agent_user"], Permission.TENDER_MANAGE), lot_id=setup["lots"][0].id,
            procedure_key=key, method=Method.LOWEST_PRICE, title="工程", notice_text="公告",
            documents_until=TEST_NOW + timedelta(days=10), bid_deadline=TEST_NOW + timedelta(days=25),
            invited_entity_ids=[], now=TEST_NOW,
        )  # fmt: skip
    assert event_count(db) == events


def test_the_negotiation_entry_cites_政府采购法_第38条() -> None:
    assert NEGOTIATION.committee.minimum_members == 3
    assert NEGOTIATION.committee.odd
    assert NEGOTIATION.invitations.minimum == 3
    assert NEGOTIATION.methods == (Method.LOWEST_PRICE,)
    assert NEGOTIATION.quotation_rounds == "政府采购法 第三十八条 第（五）项"
    assert NEGOTIATION.competition.minimum_valid_bids == 3


def test_a_supplier_sees_its_round_and_deadline_never_anothers_price(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    scene = negotiating(db, gm_ca)
    tender, t0 = scene["tender"], scene["opened_at"]
    first = call(scene, db, at=t0)
    quote(db, scene, 0, first, 9_000_000, at=t0 + timedelta(minutes=1))
    mine = client.get(f"/api/v1/tenders/{tender.id}/quotations/mine", headers=token_for(db, scene["bidders"][0]))
    assert mine.status_code == 200, mine.text
    assert mine.json()[0]["number"] == first
    assert mine.json()[0]["in_negotiation"] is True
    assert mine.json()[0]["quoted_at"] is not None
    assert mine.json()[0]["my_price_fen"] is None  # sealed until the round is opened
    public = client.get(f"/api/v1/tenders/{tender.id}/quotation-rounds/{first}").json()
    assert public["lot_code"].endswith(f"/quotation/{first}")
    assert "participants" not in public
    assert "suppliers" not in public


def test_the_bid_client_seals_a_quotation_for_a_round_and_submits_it_as_a_bid(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock, tmp_path: Path
) -> None:
    """`ggzy bid seal --round N` fetches the round's lot code and key (checked as a tender's opening key) and seals
    with the bids' envelope; `ggzy bid submit --quotation` uploads it and verifies the signed receipt."""
    from ggzy.crypto import read_envelope_header
    from tests.test_bidclient import AppTransport, _bidder_files, _invoke, _seal_args

    scene = negotiating(db, gm_ca)
    tender, t0 = scene["tender"], scene["opened_at"]
    number = call(scene, db, at=t0)
    clock.set(t0 + timedelta(minutes=5))
    transport = AppTransport(client)
    tender_url = f"http://testserver/api/v1/tenders/{tender.id}"
    paths = _bidder_files(tmp_path, scene["certificates"][0], summary={"price_fen": 8_800_000})
    envelope = tmp_path / "QUOTE.ggzy"
    sealed = _invoke([*_seal_args(paths, envelope), "--tender-url", tender_url, "--round", str(number)], transport)
    assert sealed.exit_code == 0, sealed.output
    assert transport.requests == [("GET", f"{tender_url}/quotation-rounds/{number}")]
    with envelope.open("rb") as stream:
        assert read_envelope_header(stream).lot_code.endswith(f"/quotation/{number}")
    token = token_for(db, scene["bidders"][0])["authorization"].removeprefix("Bearer ")
    submitted = _invoke(
        ["submit", "--tender-url", tender_url, "--envelope", str(envelope), "--token", token, "--quotation"],
        transport,
    )
    assert submitted.exit_code == 0, submitted.output
    assert "Receipt verified" in submitted.output
    assert _quotations(db) == 1


def test_the_host_calls_and_opens_rounds_from_its_page_and_the_supplier_sees_its_deadline(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    """The pages call the same services: a round called with its deadline in Beijing time, the final round only
    with a confirmation (第38条 (五)), a change notified (第38条 (四)); the supplier's page shows the round, its
    deadline and the notice, never another supplier's price."""
    from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code

    scene = negotiating(db, gm_ca)
    tender, t0 = scene["tender"], scene["opened_at"]
    clock.set(t0)
    page = f"/workspace/negotiations/{tender.id}"
    browser_login(client, db, scene["agent_user"])
    assert "尚未要求报价" in client.get(page).text
    deadline = (t0 + HOUR).astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%dT%H:%M")
    unconfirmed = client.post(
        f"{page}/rounds", data={"csrf_token": csrf_from(client, page), "deadline": deadline, "final": "yes"},
        follow_redirects=False,
    )  # fmt: skip
    assert (unconfirmed.status_code, problem_code(unconfirmed)) == (422, "invalid_input")
    assert not quotations.rounds_of(db, tender.id)
    called = client.post(
        f"{page}/rounds", data={"csrf_token": csrf_from(client, page), "deadline": deadline}, follow_redirects=False
    )
    assert called.status_code == 303, called.text
    assert outcome_code(called) == "quotations_called"
    notified = client.post(
        f"{page}/notices", data={"csrf_token": csrf_from(client, page), "text": "交货地点变更"}, follow_redirects=False
    )
    assert notified.status_code == 303, notified.text
    assert quotations.rounds_of(db, tender.id)[0].deadline == t0 + HOUR
    clock.set(t0 + timedelta(minutes=1))
    envelope = seal_quotation(db, scene, 1, 1, 7_700_000)
    sent = client.post(
        f"/api/v1/tenders/{tender.id}/quotations", files={"envelope": ("q.ggzy", envelope)},
        headers=token_for(db, scene["bidders"][1]),
    )  # fmt: skip
    assert sent.status_code == 201, sent.text

    browser_login(client, db, scene["bidders"][0])
    mine = client.get(f"/workspace/bidder/tenders/{tender.id}/quotations").text
    assert "待报价" in mine
    assert "交货地点变更" in mine
    assert "--round 1" in mine
    assert "77,000" not in mine  # another supplier's price, never

    clock.set(t0 + HOUR)
    for prepared in releases(db, scene, 1):
        release(db, scene, 1, prepared, at=t0 + HOUR)
    browser_login(client, db, scene["agent_user"])
    opened = client.post(
        f"{page}/rounds/1/opening", data={"csrf_token": csrf_from(client, page), "confirmed": "yes"},
        follow_redirects=False,
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    assert "77,000.00" in client.get(page).text


def test_政府采购法_第38条_第四项_nobody_learns_who_responded_or_at_what_price_before_the_result(
    client: TestClient, db: Session, gm_ca: Path
) -> None:
    """The responses of a negotiation are opened for the panel, not read out to the public as a tender's bids are
    (招标投标法 第36条): the opening's record and each decryption stay out of the public ledger (a commitment only)
    and off the public opening page until the supplier is determined; a tender's opening stays public."""
    scene = negotiating(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000])
    tender = scene["tender"]
    events = list(db.scalars(select(Event).where(Event.subject_type == "tender", Event.subject_id == str(tender.id))))
    withheld = {"opening.started", "opening.recorded", "bid.decrypted"}
    secret = [event for event in events if event.action in withheld]
    assert {event.action for event in secret} == withheld
    assert not any(event.disclosed for event in secret)
    public = [json.dumps(entry_document(event), ensure_ascii=False) for event in events if event.disclosed]
    assert not any("30000000" in text or "price_fen" in text for text in public)
    view = client.get(f"/api/v1/tenders/{tender.id}/opening").json()
    assert view["secret"] is True
    assert "record" not in view
    assert "decrypted" not in view
    # the owner's, agent's and host's pages follow it (portal/owner.py, portal/host.py)
    inside = opening_views.opening_view(db, tender, scene["opened_at"], insider=True)
    assert [line["summary"]["price_fen"] for line in inside["record"]["bids"]] == [30_000_000, 20_000_000, 10_000_000]
    # an open tender's opening is read out as ever
    opened = make_opened_tender(db, gm_ca, prices=[30_000_000, 20_000_000, 10_000_000])
    recorded = db.scalar(
        select(Event).where(Event.action == "opening.recorded", Event.subject_id == str(opened["tender"].id))
    )
    assert recorded is not None
    assert recorded.disclosed
