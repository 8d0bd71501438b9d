"""Keeping a deposit only where the law allows it (decision 0031): 招标投标法实施条例 第35条 第2款 (a bid revoked
after the deadline) and 第74条 (the winner refusing the contract or the performance security), by the owner's or its
agent's recorded decision with reasons, posted in double entry, appealable (第60条); a refused one leaves nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.awards import service as awards
from ggzy.core.calendar_store import working_day_calendar
from ggzy.core.clock import FixedClock, to_china_time
from ggzy.core.errors import Conflict, DomainError
from ggzy.core.events import Event
from ggzy.core.permissions import Permission
from ggzy.entities.models import User
from ggzy.finance import books
from ggzy.finance.forfeiture import APPEAL, ForfeitureGround, ForfeitureNotAllowed, forfeit_deposit
from ggzy.finance.models import Forfeiture, Posting
from ggzy.finance.refund_triggers import refund_orders_of
from ggzy.finance.rules import AccountPurpose
from ggzy.tendering.access import NotTheTenderer
from ggzy.tendering.models import Tender
from tests.conftest import LEDGER_KEYS
from tests.factories import make_awarded_tender, make_opened_tender, make_publicised_tender, principal, token_for
from tests.finance.support import DEPOSIT_FEN, paid, pay_in_full

PRICES = [30_000_000, 20_000_000, 10_000_000]  # the lowest price wins: the third bidder


def _opened(db: Session, gm_ca: Path, **kwargs: object) -> dict:
    return make_opened_tender(
        db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN,
        before_opening=lambda tender, users: pay_in_full(db, tender, users), **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def _nothing_left(db: Session) -> None:
    assert db.scalar(select(func.count()).select_from(Forfeiture)) == 0
    assert db.scalar(select(func.count()).where(Event.action == "deposit.forfeited")) == 0
    assert db.scalar(select(func.count()).where(Posting.kind == "forfeiture")) == 0


def test_regulations_art_35_para_2_a_bid_revoked_after_the_deadline_its_deposit_kept_by_the_owners_decision(
    db: Session, gm_ca: Path
) -> None:
    scene = _opened(db, gm_ca)
    tender, revoker = scene["tender"], scene["bidders"][0]
    owner = principal(db, scene["owner_user"], Permission.AWARD_MANAGE)
    now = scene["opened_at"]
    row = forfeit_deposit(
        db, owner, tender_id=tender.id, entity_id=revoker.entity_id,
        ground=ForfeitureGround.REVOKED_AFTER_DEADLINE, reasons="投标截止后书面通知撤销投标文件", now=now,
    )  # fmt: skip
    assert row.article == "招标投标法实施条例 第三十五条 第二款"
    assert row.amount_fen == DEPOSIT_FEN
    assert row.decided_role == "owner"
    assert row.reasons == "投标截止后书面通知撤销投标文件"
    # double entry: the bidder's deposit to forfeited deposits, under the decision's event
    deposit = books.deposit_account(db, tender_id=tender.id, entity_id=revoker.entity_id, now=now)
    assert books.balance(db, deposit) == 0
    assert books.balances_by_purpose(db)[AccountPurpose.FORFEITED] == DEPOSIT_FEN
    posting = db.get(Posting, row.posting_id)
    assert posting is not None
    assert posting.event_id == row.event_id
    event = db.get(Event, row.event_id)
    assert event is not None
    assert event.action == "deposit.forfeited"
    assert books.incomplete_postings(db) == []


def test_regulations_art_60_the_bidder_may_complain_within_10_days_of_the_forfeiture(db: Session, gm_ca: Path) -> None:
    scene = _opened(db, gm_ca)
    agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    row = forfeit_deposit(
        db, agent, tender_id=scene["tender"].id, entity_id=scene["bidders"][1].entity_id,
        ground=ForfeitureGround.REVOKED_AFTER_DEADLINE, reasons="开标时拒绝解密，视为撤销", now=scene["opened_at"],
    )  # fmt: skip
    decided_on = to_china_time(scene["opened_at"]).date()
    assert row.appeal_until == APPEAL.last_day(working_day_calendar(db), decided_on)
    assert (row.appeal_until - decided_on).days >= 10
    assert APPEAL.article == "招标投标法实施条例 第六十条"


def test_regulations_art_74_the_winner_refusing_the_contract_forfeits_its_deposit_losers_refunded(
    db: Session, gm_ca: Path
) -> None:
    scene = make_awarded_tender(
        db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN,
        before_opening=lambda tender, users: pay_in_full(db, tender, users),
    )  # fmt: skip
    tender, award = scene["tender"], scene["award"]
    agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    row = forfeit_deposit(
        db, agent, tender_id=tender.id, entity_id=award.entity_id, ground=ForfeitureGround.REFUSED_CONTRACT,
        reasons="中标人书面表示不签订合同", now=award.awarded_at + timedelta(days=3),
    )  # fmt: skip
    assert row.article == "招标投标法实施条例 第七十四条"
    assert {order.entity_id for order in refund_orders_of(db, tender.id)} == {
        user.entity_id for user in scene["bidders"]
    } - {award.entity_id}


def test_regulations_art_74_only_the_winner_before_the_contract(db: Session, gm_ca: Path) -> None:
    scene = make_awarded_tender(
        db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN,
        before_opening=lambda tender, users: pay_in_full(db, tender, users),
    )  # fmt: skip
    tender, award = scene["tender"], scene["award"]
    agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    loser = next(user.entity_id for user in scene["bidders"] if user.entity_id != award.entity_id)
    with pytest.raises(ForfeitureNotAllowed):
        forfeit_deposit(
            db, agent, tender_id=tender.id, entity_id=loser, ground=ForfeitureGround.NO_PERFORMANCE_SECURITY,
            reasons="未提交履约保证金", now=award.awarded_at,
        )  # fmt: skip
    # a loser's deposit was ordered back at the award: it cannot be kept afterwards on any ground
    with pytest.raises(Conflict):
        forfeit_deposit(
            db, agent, tender_id=tender.id, entity_id=loser, ground=ForfeitureGround.REVOKED_AFTER_DEADLINE,
            reasons="撤销", now=award.awarded_at,
        )  # fmt: skip
    awards.record_contract(
        db, agent, tender_id=tender.id, amount_fen=award.price_fen, signed_on=to_china_time(award.awarded_at).date(),
        blob_sha256=None, now=award.awarded_at,
    )  # fmt: skip
    with pytest.raises(ForfeitureNotAllowed):
        forfeit_deposit(
            db, agent, tender_id=tender.id, entity_id=award.entity_id, ground=ForfeitureGround.REFUSED_CONTRACT,
            reasons="拒签", now=award.awarded_at,
        )  # fmt: skip
    _nothing_left(db)


def test_a_forfeited_deposit_is_not_refunded_at_the_award(db: Session, gm_ca: Path) -> None:
    scene = make_publicised_tender(
        db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN,
        before_opening=lambda tender, users: pay_in_full(db, tender, users),
    )  # fmt: skip
    tender, revoker = scene["tender"], scene["bidders"][0]
    agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    forfeit_deposit(
        db, agent, tender_id=tender.id, entity_id=revoker.entity_id, ground=ForfeitureGround.REVOKED_AFTER_DEADLINE,
        reasons="撤销投标文件", now=scene["reported_at"],
    )  # fmt: skip
    first = awards.candidates_of(scene["publicity"])[0]
    awards.award_tender(
        db, agent, tender_id=tender.id, bid_id=first["bid_id"], passed_over=[], signers=LEDGER_KEYS.signers,
        now=scene["publicity"].ends_at,
    )  # fmt: skip
    refunded = {order.entity_id for order in refund_orders_of(db, tender.id)}
    assert revoker.entity_id not in refunded
    assert len(refunded) == 1  # the other loser; the winner waits for the contract


@pytest.mark.parametrize(
    ("who", "ground", "error"),
    [
        ("bidder_without_bid", ForfeitureGround.REVOKED_AFTER_DEADLINE, ForfeitureNotAllowed),
        ("not_the_winner", ForfeitureGround.REFUSED_CONTRACT, ForfeitureNotAllowed),  # no award yet
        ("centre_staff", ForfeitureGround.REVOKED_AFTER_DEADLINE, NotTheTenderer),
        ("no_reasons", ForfeitureGround.REVOKED_AFTER_DEADLINE, ForfeitureNotAllowed),
    ],
)
def test_a_refused_forfeiture_leaves_no_row_event_or_posting(
    db: Session, gm_ca: Path, who: str, ground: ForfeitureGround, error: type[DomainError]
) -> None:
    extra: list[int] = []

    def before(tender: Tender, users: list[User]) -> None:
        pay_in_full(db, tender, users)
        extra.append(paid(db, tender).entity_id)  # paid, never bid

    scene = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=before)
    tender = scene["tender"]
    entity_id = scene["bidders"][0].entity_id
    actor = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    reasons = "理由"
    if who == "bidder_without_bid":
        entity_id = extra[0]
    elif who == "centre_staff":
        actor = principal(db, scene["staff"], Permission.DEPOSIT_READ)
    elif who == "no_reasons":
        reasons = "  "
    with pytest.raises(error):
        forfeit_deposit(db, actor, tender_id=tender.id, entity_id=entity_id, ground=ground, reasons=reasons,
                        now=scene["opened_at"])  # fmt: skip
    _nothing_left(db)


def test_under_the_procurement_law_no_forfeiture_is_held(db: Session, gm_ca: Path) -> None:
    scene = _opened(db, gm_ca, trade_type="gov_procurement", procedure="gp_open")
    agent = principal(db, scene["agent_user"], Permission.AWARD_MANAGE)
    with pytest.raises(ForfeitureNotAllowed):
        forfeit_deposit(
            db, agent, tender_id=scene["tender"].id, entity_id=scene["bidders"][0].entity_id,
            ground=ForfeitureGround.REVOKED_AFTER_DEADLINE, reasons="撤销", now=scene["opened_at"],
        )  # fmt: skip
    _nothing_left(db)


def test_the_api_the_agent_decides_the_bidder_reads_its_own_with_the_last_day_to_complain(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    scene = _opened(db, gm_ca)
    clock.set(scene["opened_at"])
    tender = scene["tender"]
    revoker, other = scene["bidders"][0], scene["bidders"][1]
    url = f"/api/v1/tenders/{tender.id}/deposits/forfeitures"
    body = {"entity_id": revoker.entity_id, "ground": "revoked_after_deadline", "reasons": "书面撤销投标文件"}
    refused = client.post(url, json=body, headers=token_for(db, other))
    assert refused.status_code == 403
    made = client.post(url, json=body, headers=token_for(db, scene["agent_user"]))
    assert made.status_code == 201, made.text
    assert made.json()["amount_fen"] == DEPOSIT_FEN
    again = client.post(url, json=body, headers=token_for(db, scene["agent_user"]))
    assert again.status_code == 409
    own = client.get(url, headers=token_for(db, revoker)).json()
    assert [item["appeal_until"] for item in own] == [made.json()["appeal_until"]]
    assert client.get(url, headers=token_for(db, other)).json() == []
    assert len(client.get(url, headers=token_for(db, scene["staff"])).json()) == 1
