"""Sub-accounts and credits (decision 0031): the outbox of sub-accounts to open, the bank's answers, and every credit
notice recorded once, posted in double entry — to the bidder's deposit, or to suspense when nobody can be matched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.errors import NotFound
from ggzy.core.permissions import Permission
from ggzy.finance import books
from ggzy.finance import service as finance
from ggzy.finance.bank.protocol import SubAccount
from ggzy.finance.models import BankCredit, DepositSubAccount, FinanceAlert, Posting, PostingLine
from ggzy.finance.rules import AccountPurpose, AlertKind, PayerCheck
from ggzy.tendering.lifecycle import TenderStageWrong
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, event_count, principal, token_for
from tests.finance.support import (
    DEPOSIT_FEN,
    bank_answer,
    deposit_tender,
    notice,
    opened,
    requested,
    with_basic_account,
)


def _counts(db: Session) -> tuple[int, ...]:
    tables = (DepositSubAccount, BankCredit, FinanceAlert, Posting, PostingLine)
    return (*(db.scalar(select(func.count()).select_from(table)) or 0 for table in tables), event_count(db))


def _deposit_balance(db: Session, row: DepositSubAccount) -> int:
    return books.balance(db, books.deposit_account(db, tender_id=row.tender_id, entity_id=row.entity_id, now=TEST_NOW))


def test_a_sub_account_asked_for_waits_in_the_outbox_until_the_bank_answer_is_recorded(db: Session) -> None:
    tender, _ = deposit_tender(db)
    row, user = requested(db, tender)
    assert row in finance.sub_accounts_to_open(db)
    again, _ = requested(db, tender, user)  # asking twice is the same sub-account, and records nothing
    assert again.id == row.id
    before = event_count(db)
    finance.record_sub_account(db, sub_account=bank_answer(row), now=TEST_NOW)
    assert row.number == bank_answer(row).number
    assert row not in finance.sub_accounts_to_open(db)
    assert event_count(db) == before + 1
    finance.record_sub_account(db, sub_account=bank_answer(row), now=TEST_NOW)  # the same answer again: nothing
    assert event_count(db) == before + 1


def test_a_different_number_for_the_same_reference_is_refused_and_changes_nothing(db: Session) -> None:
    tender, _ = deposit_tender(db)
    row, _ = opened(db, tender)
    before = _counts(db)
    with pytest.raises(finance.SubAccountNumberMismatch):
        finance.record_sub_account(
            db, sub_account=SubAccount(number="999", name=row.name, reference=row.reference), now=TEST_NOW
        )
    assert _counts(db) == before
    with pytest.raises(NotFound):
        finance.record_sub_account(db, sub_account=SubAccount(number="1", name="x", reference="nobody"), now=TEST_NOW)


def test_no_sub_account_after_the_bid_deadline_nor_for_a_tender_without_deposit(db: Session) -> None:
    tender, setup = deposit_tender(db)
    actor = principal(db, bidder_user(db), Permission.TENDER_REGISTER)
    before = _counts(db)
    with pytest.raises(TenderStageWrong):
        finance.request_sub_account(db, actor, tender_id=tender.id, now=tender.bid_deadline + timedelta(seconds=1))
    from tests.factories import make_published_tender

    plain, _ = make_published_tender(db)
    before = _counts(db)
    with pytest.raises(finance.NoDepositRequired):
        finance.request_sub_account(db, actor, tender_id=plain.id, now=TEST_NOW)
    assert _counts(db) == before
    owner = principal(db, setup["agent_user"], Permission.TENDER_MANAGE)
    with pytest.raises(Exception, match="pay no bid deposit"):
        finance.request_sub_account(db, owner, tender_id=tender.id, now=TEST_NOW)
    assert _counts(db) == before


def test_a_credit_is_posted_to_the_bidders_deposit_and_the_settlement_account(db: Session) -> None:
    tender, _ = deposit_tender(db, trade_type="gov_procurement")
    row, _ = opened(db, tender)
    settlement = books.account(db, AccountPurpose.SETTLEMENT, now=TEST_NOW)
    before = books.balance(db, settlement)
    outcome = finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
    assert not outcome.repeated
    assert outcome.credit.payer_check == PayerCheck.NOT_REQUIRED  # 政府采购法实施条例 第33条: no basic-account rule
    assert _deposit_balance(db, row) == DEPOSIT_FEN
    assert books.balance(db, settlement) == before + DEPOSIT_FEN


def test_a_repeated_notice_changes_nothing_and_is_not_an_error(db: Session) -> None:
    tender, _ = deposit_tender(db)
    row, _ = opened(db, tender)
    first = notice(row.number or "", 1_000_000)
    finance.record_credit(db, first, now=TEST_NOW)
    before = _counts(db)
    for _ in range(3):  # the bank notifies at least once: the same bank_txn_id is the same credit
        outcome = finance.record_credit(db, first, now=TEST_NOW + timedelta(minutes=5))
        assert outcome.repeated
    assert _counts(db) == before
    assert _deposit_balance(db, row) == 1_000_000


def test_a_credit_to_an_unknown_sub_account_goes_to_suspense_with_an_alert_for_the_centre(db: Session) -> None:
    suspense = books.account(db, AccountPurpose.SUSPENSE, now=TEST_NOW)
    before = books.balance(db, suspense)
    outcome = finance.record_credit(db, notice("6222000000000000", 12_345), now=TEST_NOW)
    assert outcome.credit.sub_account_id is None
    assert outcome.credit.payer_check == PayerCheck.UNMATCHED
    assert books.balance(db, suspense) == before + 12_345
    alert = finance.alerts(db, kind=AlertKind.UNKNOWN_SUB_ACCOUNT)[-1]
    assert alert.credit_id == outcome.credit.id


def test_regulations_art_26_a_deposit_not_from_the_bidders_basic_account_is_flagged_not_silently_accepted(
    db: Session,
) -> None:
    tender, setup = deposit_tender(db)
    user = bidder_user(db)
    with_basic_account(db, user, "5301 0000 0001")
    row, _ = opened(db, tender, user)
    own = finance.record_credit(db, notice(row.number or "", 1, payer_account="530100000001"), now=TEST_NOW)
    assert own.credit.payer_check == PayerCheck.BASIC_ACCOUNT  # spaces aside, the same account
    other = finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN, payer_account="999"), now=TEST_NOW)
    assert other.credit.payer_check == PayerCheck.NOT_BASIC_ACCOUNT
    centre_id = setup["project"].centre_id
    flagged = finance.alerts(db, centre_id=centre_id, kind=AlertKind.PAYER_NOT_BASIC_ACCOUNT)
    assert [alert.credit_id for alert in flagged] == [other.credit.id]
    assert _deposit_balance(db, row) == DEPOSIT_FEN + 1  # the money is held (and refunded), not lost


def test_regulations_art_26_a_bidder_without_a_registered_basic_account_is_flagged(db: Session) -> None:
    tender, _ = deposit_tender(db)
    row, _ = opened(db, tender)
    outcome = finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
    assert outcome.credit.payer_check == PayerCheck.BASIC_ACCOUNT_UNKNOWN
    assert finance.alerts(db, kind=AlertKind.BASIC_ACCOUNT_UNKNOWN)[-1].credit_id == outcome.credit.id


def test_a_credit_of_nothing_is_refused_and_leaves_nothing(db: Session) -> None:
    before = _counts(db)
    with pytest.raises(Exception, match="more than zero"):
        finance.record_credit(db, notice("1", 0), now=TEST_NOW)
    assert _counts(db) == before


# A notice: which sub-account (an index into the opened ones, or None: one nobody knows), how much, and whether it
# is a repeat of an earlier notice (an index into those sent).
_NOTICES = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(0, 2)), st.integers(1, 5_000_000_00), st.one_of(st.none(), st.integers(0, 30))
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=_NOTICES)
def test_deposits_and_suspense_always_equal_the_settlement_account(db: Session, sequence: list) -> None:
    """DESIGN §4.5: whatever the bank notifies — to known or unknown sub-accounts, once or repeated — the bidders'
    deposit liabilities plus suspense equal what the settlement account holds, and every posting balances."""
    tender, _ = deposit_tender(db)
    rows = [opened(db, tender)[0] for _ in range(3)]
    sent = []
    for target, amount, repeat in sequence:
        if repeat is not None and sent:
            finance.record_credit(db, sent[repeat % len(sent)], now=TEST_NOW)
            continue
        number = rows[target].number if target is not None else f"UNKNOWN{amount}"
        sent.append(notice(number or "", amount))
        finance.record_credit(db, sent[-1], now=TEST_NOW)
    totals = books.balances_by_purpose(db)
    assert totals[AccountPurpose.SETTLEMENT] == totals[AccountPurpose.DEPOSIT] + totals[AccountPurpose.SUSPENSE]
    assert books.incomplete_postings(db) == []
    credited = db.scalar(select(func.sum(BankCredit.amount_fen))) or 0
    assert totals[AccountPurpose.SETTLEMENT] == credited  # each notice counted once


def test_regulations_art_26_a_bidder_registers_its_basic_account_once_in_the_entity_register(
    client: TestClient, db: Session
) -> None:
    tender, _ = deposit_tender(db)
    user = bidder_user(db)
    headers = token_for(db, user)
    response = client.patch("/api/v1/entities/me", json={"basic_account": "5301 0000 0042"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["basic_account"] == "5301 0000 0042"
    row, _ = opened(db, tender, user)
    outcome = finance.record_credit(
        db, notice(row.number or "", DEPOSIT_FEN, payer_account="530100000042"), now=TEST_NOW
    )
    assert outcome.credit.payer_check == PayerCheck.BASIC_ACCOUNT
    refused = client.patch("/api/v1/entities/me", json={"basic_account": "not an account"}, headers=headers)
    assert refused.status_code == 422
