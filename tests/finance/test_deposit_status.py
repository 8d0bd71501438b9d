"""Each bid's deposit at the opening (decision 0031): met when paid into its own sub-account, booked by the bid
deadline, from the basic account where 招标投标法实施条例 第26条 requires it, in full. Who paid stays sealed until the
opening (招标投标法 第22条): before it nobody but the bidder itself learns who paid or how many."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.errors import DomainError
from ggzy.core.permissions import Permission, Role
from ggzy.entities.models import User
from ggzy.entities.schemas import RoleGrantIn
from ggzy.finance import service as finance
from ggzy.finance import views
from ggzy.finance.access import NotADepositReader
from ggzy.finance.rules import DepositShortfall, PayerCheck
from ggzy.tendering import opening as tendering_opening
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, make_opened_tender, make_user, principal, token_for, user_with_role
from tests.finance.support import DEPOSIT_FEN, bank_answer, deposit_tender, notice, opened, with_basic_account
from tests.portal.ws_support import browser_login, csrf_from

PRICES = [90_000_000, 91_000_000, 92_000_000, 93_000_000, 94_000_000]
SEALED_SEEN: dict[str, object] = {}


def _pay(db: Session, tender: Tender, bidders: list[User]) -> None:
    """Before the opening: five bidders, five stories of a deposit; and what each reader may see meanwhile."""
    numbers = []
    for index, user in enumerate(bidders):
        with_basic_account(db, user, f"53010000000{index}")
        row, _ = opened(db, tender, user)
        numbers.append(row.number or "")
    in_time, late = tender.bid_deadline - timedelta(hours=1), tender.bid_deadline + timedelta(seconds=30)
    stories = [  # paid in full from its basic account; half; in full from another account; in full, late
        (DEPOSIT_FEN, "530100000000", in_time),
        (DEPOSIT_FEN // 2, "530100000001", in_time),
        (DEPOSIT_FEN, "622200009999", in_time),
        (DEPOSIT_FEN, "530100000003", late),
    ]  # and the fifth pays nothing
    for number, (amount, payer, booked_at) in zip(numbers, stories, strict=False):
        finance.record_credit(db, notice(number, amount, payer_account=payer, booked_at=booked_at), now=TEST_NOW)
    SEALED_SEEN["own"] = views.tender_deposits(
        db, principal(db, bidders[0], Permission.DEPOSIT_READ), tender_id=tender.id, now=TEST_NOW
    )


def _opened(db: Session, gm_ca: Path) -> dict:
    SEALED_SEEN.clear()
    return make_opened_tender(
        db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=lambda t, b: _pay(db, t, b)
    )


def test_regulations_art_26_a_deposit_is_met_when_paid_in_time_in_full_from_the_basic_account(
    db: Session, gm_ca: Path
) -> None:
    setup = _opened(db, gm_ca)
    owner = principal(db, setup["owner_user"], Permission.DEPOSIT_READ)
    found = views.tender_deposits(db, owner, tender_id=setup["tender"].id, now=setup["opened_at"])
    assert found.required_fen == DEPOSIT_FEN
    # the opening record's order, each bid named by its public id
    assert [status.entity_id for status in found.deposits] == [user.entity_id for user in setup["bidders"]]
    assert all(status.bid_id and status.bid_id.startswith("bid_") for status in found.deposits)
    assert [status.assessment.met for status in found.deposits] == [True, False, False, False, False]
    assert [status.assessment.shortfall for status in found.deposits] == [
        None,
        DepositShortfall.BELOW_REQUIREMENT,
        DepositShortfall.NOT_FROM_BASIC_ACCOUNT,
        DepositShortfall.LATE,
        DepositShortfall.NOTHING_PAID,
    ]
    assert found.deposits[2].assessment.flags == (PayerCheck.NOT_BASIC_ACCOUNT,)
    assert found.deposits[1].paid_fen == DEPOSIT_FEN // 2
    assert views.deposits_at_opening(db, tender_id=setup["tender"].id) == found.deposits  # what the record reads


def _insiders_of(db: Session, tender: Tender) -> dict[str, User]:
    """The readers who must learn nothing before the opening, of the project ``make_opened_tender`` built."""
    project, _ = tendering.project_of(db, tender)

    def user_of(entity_id: int | None, role: Role) -> User:
        users = db.scalars(select(User).where(User.entity_id == entity_id).order_by(User.id))
        return next(user for user in users if role in principal(db, user).roles)

    return {
        "owner": user_of(project.owner_id, Role.OWNER),
        "agent": user_of(project.agent_id, Role.AGENT),
        "staff": make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=project.centre_id)]),
        "supervisor": make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530100")]),
        "other_staff": user_with_role(db, Role.CENTRE_STAFF),
        "inspector": user_with_role(db, Role.INSPECTOR),
    }


def test_tendering_law_art_22_before_the_opening_nobody_but_the_bidder_learns_who_paid_or_how_many(
    db: Session, gm_ca: Path
) -> None:
    refusals: dict[str, str] = {}

    def before(tender: Tender, bidders: list[User]) -> None:
        _pay(db, tender, bidders)
        for name, user in _insiders_of(db, tender).items():
            try:
                views.tender_deposits(db, principal(db, user), tender_id=tender.id, now=tender.bid_deadline)
            except DomainError as refused:
                refusals[name] = refused.code

    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=before)
    sealed = "deposits_sealed_until_opening"
    assert refusals == {
        "owner": sealed, "agent": sealed, "staff": sealed, "supervisor": sealed,
        "other_staff": "deposit_reader_mismatch", "inspector": "deposit_reader_mismatch",
    }  # fmt: skip
    own = SEALED_SEEN["own"]
    assert isinstance(own, views.TenderDeposits)
    assert [status.entity_id for status in own.deposits] == [setup["bidders"][0].entity_id]  # its own, nobody else's
    assert own.deposits[0].sub_account  # the number to pay into
    assert own.deposits[0].assessment.met


def test_after_the_opening_the_supervisor_of_the_region_reads_them_and_others_are_refused(
    db: Session, gm_ca: Path
) -> None:
    setup = _opened(db, gm_ca)
    tender_id, after = setup["tender"].id, setup["opened_at"]
    supervisor = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530100")])
    found = views.tender_deposits(
        db, principal(db, supervisor, Permission.DEPOSIT_READ), tender_id=tender_id, now=after
    )
    assert len(found.deposits) == len(PRICES)
    elsewhere = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="110000")])
    with pytest.raises(NotADepositReader):
        views.tender_deposits(db, principal(db, elsewhere, Permission.DEPOSIT_READ), tender_id=tender_id, now=after)
    stranger = bidder_user(db)  # a bidder that did not bid sees its own (nothing), never the others'
    mine = views.tender_deposits(db, principal(db, stranger, Permission.DEPOSIT_READ), tender_id=tender_id, now=after)
    assert [(s.entity_id, s.bid_id, s.assessment.shortfall) for s in mine.deposits] == [
        (stranger.entity_id, None, DepositShortfall.NOTHING_PAID)
    ]


def test_the_api_seals_deposits_until_the_opening_and_shows_a_bidder_its_own_sub_account(
    client: TestClient, db: Session
) -> None:
    tender, setup = deposit_tender(db)
    payer, other = bidder_user(db), bidder_user(db)
    for user in (payer, other):
        row, _ = opened(db, tender, user)
        finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
    url = f"/api/v1/tenders/{tender.id}/deposits"
    for user in (setup["owner_user"], setup["agent_user"], setup["staff"]):
        sealed = client.get(url, headers=token_for(db, user))
        assert sealed.status_code == 409, sealed.text
        assert sealed.json()["code"] == "deposits_sealed_until_opening"
        assert str(payer.entity_id) not in sealed.text
    own = client.get(url, headers=token_for(db, payer))
    assert own.status_code == 200, own.text
    assert own.json()["required_fen"] == DEPOSIT_FEN
    assert [(d["entity_id"], d["paid_fen"]) for d in own.json()["deposits"]] == [(payer.entity_id, DEPOSIT_FEN)]
    assert own.json()["deposits"][0]["sub_account"].startswith("62220")
    refused = client.get(url, headers=token_for(db, user_with_role(db, Role.CENTRE_STAFF)))
    assert refused.status_code == 403
    assert refused.json()["code"] == "deposit_reader_mismatch"


def test_after_the_opening_the_api_shows_the_owner_each_bids_deposit(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    setup = _opened(db, gm_ca)
    clock.set(setup["opened_at"])
    response = client.get(f"/api/v1/tenders/{setup['tender'].id}/deposits", headers=token_for(db, setup["owner_user"]))
    assert response.status_code == 200, response.text
    assert [(d["entity_id"], d["met"], d["shortfall"]) for d in response.json()["deposits"]] == [
        (user.entity_id, met, shortfall)
        for user, met, shortfall in zip(
            setup["bidders"],
            [True, False, False, False, False],
            [None, "below_requirement", "not_from_basic_account", "late", "nothing_paid"],
            strict=True,
        )
    ]


def test_the_api_opens_a_bidders_sub_account_request_once(client: TestClient, db: Session) -> None:
    tender, _ = deposit_tender(db)
    user = bidder_user(db)
    first = client.post(f"/api/v1/tenders/{tender.id}/deposits/sub-account", headers=token_for(db, user))
    assert first.status_code == 200, first.text
    assert first.json()["number"] is None  # the bank worker opens it
    again = client.post(f"/api/v1/tenders/{tender.id}/deposits/sub-account", headers=token_for(db, user))
    assert again.json() == first.json()
    assert [row.entity_id for row in finance.sub_accounts_to_open(db)][-1] == user.entity_id


def test_the_signed_opening_record_reads_out_each_bids_deposit_met_or_not(db: Session, gm_ca: Path) -> None:
    setup = _opened(db, gm_ca)
    record = tendering_opening.opening_view(db, setup["tender"], setup["opened_at"])["record"]
    assert record["deposits"]["required_fen"] == DEPOSIT_FEN
    assert [(line["met"], line["shortfall"]) for line in record["deposits"]["bids"]] == [
        (True, None),
        (False, "below_requirement"),
        (False, "not_from_basic_account"),
        (False, "late"),
        (False, "nothing_paid"),
    ]
    assert [line["bidder"] for line in record["deposits"]["bids"]] == [line["bidder"] for line in record["bids"]]


def test_a_tender_without_a_deposit_keeps_its_opening_record_as_before(db: Session, gm_ca: Path) -> None:
    setup = make_opened_tender(db, gm_ca, prices=PRICES)
    record = tendering_opening.opening_view(db, setup["tender"], setup["opened_at"])["record"]
    assert "deposits" not in record


def test_the_bidders_page_asks_for_its_sub_account_and_shows_where_to_pay_and_what_arrived(
    client: TestClient, db: Session
) -> None:
    tender, _ = deposit_tender(db)
    user = bidder_user(db)
    browser_login(client, db, user)
    path = f"/workspace/bidder/tenders/{tender.id}"
    page = client.get(path)
    assert page.status_code == 200, page.text
    assert "20,000.00 元（2.00 万元）" in page.text
    token = csrf_from(client, path)
    asked = client.post(f"{path}/deposit-sub-account", data={"csrf_token": token}, follow_redirects=False)
    assert asked.status_code == 303, asked.text
    (row,) = [r for r in finance.sub_accounts_to_open(db) if r.entity_id == user.entity_id]
    finance.record_sub_account(db, sub_account=bank_answer(row), now=TEST_NOW)
    finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN // 4), now=TEST_NOW)
    page = client.get(path).text
    assert f"<code>{row.number}</code>" in page
    assert "5,000.00 元" in page
    assert "尚未足额" in page
