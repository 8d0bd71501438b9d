"""The money pages (issue 12, point 7): each bid's deposit for the owner and its agent after the opening (and
nothing, not even how many paid, before it: 招标投标法 第22条), the forfeiture decision where the law allows it
(招标投标法实施条例 第35条 第2款, 第74条) with its appeal deadline (第60条), the bidder's guarantee, refund and
forfeiture, and the centre's finance desk where an alert's resolution is recorded and the alert stays."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.permissions import SYSTEM, Role
from ggzy.entities.models import User
from ggzy.finance import refunds
from ggzy.finance.bank.protocol import OrderStatus, Statement
from ggzy.finance.models import FinanceAlert, Forfeiture
from ggzy.finance.reconciliation import reconcile
from ggzy.finance.refund_rules import RefundGround
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, event_count, make_opened_tender, user_with_role
from tests.finance.desk_support import unmatched_alert
from tests.finance.support import (
    BASIS,
    DEPOSIT_FEN,
    RATE,
    deposit_tender,
    notice,
    opened,
    pay_in_full,
    receipt,
)
from tests.portal.ws_support import browser_login, csrf_from, outcome_code, problem_code

PRICES = [10_000_000, 11_000_000, 12_000_000]
_CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def _paid_first_two(db: Session):  # type: ignore[no-untyped-def]
    def pay(tender, users: list[User]) -> None:  # type: ignore[no-untyped-def]
        pay_in_full(db, tender, users[:2])  # the third pays nothing

    return pay


# --- the owner's and agent's view --------------------------------------------------------------------------------


def test_law_art_22_before_the_opening_the_owner_page_shows_no_deposit_and_no_count(
    client: TestClient, db: Session
) -> None:
    tender, setup = deposit_tender(db)
    browser_login(client, db, setup["agent_user"])
    page = f"/workspace/projects/tenders/{tender.id}"
    before = client.get(page)
    assert before.status_code == 200
    payers = [bidder_user(db), bidder_user(db)]
    pay_in_full(db, tender, payers)
    after = client.get(page)
    assert after.status_code == 200
    assert 'id="deposits"' not in after.text
    assert "deposit-table" not in after.text
    assert "已足额缴纳" not in after.text
    assert "已到账" not in after.text
    # the page is the same whether nobody or two bidders paid: not even how many leaks
    assert _CSRF.sub("", before.text) == _CSRF.sub("", after.text)


def test_after_the_opening_the_owner_sees_each_bids_deposit_met_or_not_with_the_reason(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=_paid_first_two(db))
    clock.set(setup["opened_at"])
    browser_login(client, db, setup["owner_user"])
    text = client.get(f"/workspace/projects/tenders/{setup['tender'].id}").text
    assert 'id="deposits"' in text
    assert 'id="deposit-table"' in text
    table = text[text.index('id="deposit-table"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 3  # the head and each bid
    assert table.count("已足额缴纳") == 2
    assert "未缴纳" in table
    assert "转账" in table
    assert "20,000.00 元" in table
    assert 'action="/workspace/projects/tenders/' in text
    assert "data-confirm=" in text


def test_the_owner_sees_a_refund_with_its_interest_last_lawful_day_and_the_banks_transaction(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=_paid_first_two(db))
    refunded = setup["bidders"][1]
    ordered = refunds.order_refunds(
        db, SYSTEM, tender_id=setup["tender"].id, entity_id=refunded.entity_id, ground=RefundGround.UNSUCCESSFUL,
        annual_rate=RATE, day_basis=BASIS, now=setup["opened_at"], due_on=setup["opened_at"].date() + timedelta(days=5),
    )  # fmt: skip
    executed = receipt(ordered[0].idempotency_key, OrderStatus.EXECUTED, txn="BKOWNER01")
    refunds.record_order_receipt(db, executed, now=setup["opened_at"])
    clock.set(setup["opened_at"])
    browser_login(client, db, setup["owner_user"])
    text = client.get(f"/workspace/projects/tenders/{setup['tender'].id}").text
    table = text[text.index('id="deposit-table"') :]
    rows = table[: table.index("</table>")].split("<tr>")[2:]
    assert "已退还" in rows[1]
    assert "BKOWNER01" in rows[1]
    assert "法定最迟" in rows[1]
    assert "已退还" not in rows[0]
    assert "已退还" not in rows[2]


def test_regulations_art_35_the_agent_keeps_a_revoked_bids_deposit_with_reasons_and_the_appeal_deadline(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=_paid_first_two(db))
    clock.set(setup["opened_at"])
    browser_login(client, db, setup["agent_user"])
    page = f"/workspace/projects/tenders/{setup['tender'].id}"
    token = csrf_from(client, page)
    kept_entity = setup["bidders"][0].entity_id
    done = client.post(
        f"{page}/deposits/forfeitures",
        data={"csrf_token": token, "entity_id": kept_entity, "ground": "revoked_after_deadline",
              "reasons": "投标截止后书面通知撤销投标文件"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert outcome_code(done) == "deposit_forfeited"
    row = db.scalar(select(Forfeiture).where(Forfeiture.entity_id == kept_entity))
    assert row is not None
    text = client.get(page).text
    assert 'id="forfeitures"' in text
    assert "投标截止后书面通知撤销投标文件" in text
    assert f"{row.appeal_until.year}年{row.appeal_until.month}月{row.appeal_until.day}日" in text

    # the bidder reads the decision, its last day to complain and the way to the complaint
    client.cookies.clear()
    browser_login(client, db, setup["bidders"][0])
    own = client.get(f"/workspace/bidder/tenders/{setup['tender'].id}").text
    assert 'id="forfeiture"' in own
    assert "投标截止后书面通知撤销投标文件" in own
    assert f'href="/workspace/objections/tenders/{setup["tender"].id}#complain"' in own


def test_a_forfeiture_the_law_does_not_allow_is_refused_and_leaves_nothing(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=_paid_first_two(db))
    clock.set(setup["opened_at"])
    browser_login(client, db, setup["agent_user"])
    page = f"/workspace/projects/tenders/{setup['tender'].id}"
    token = csrf_from(client, page)
    before = event_count(db)
    refused = client.post(
        f"{page}/deposits/forfeitures",
        data={"csrf_token": token, "entity_id": setup["bidders"][1].entity_id, "ground": "refused_contract",
              "reasons": "拒绝签订合同"},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 409
    assert problem_code(refused) == "forfeiture_not_allowed"
    assert 'id="deposits"' in refused.text  # the page again, with the error
    assert event_count(db) == before
    assert db.scalar(select(func.count()).select_from(Forfeiture)) == 0


# --- the bidder's side -------------------------------------------------------------------------------------------


def test_regulations_art_57_the_bidder_sees_its_refund_with_interest_and_the_account_it_went_to(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, _ = deposit_tender(db)
    row, user = opened(db, tender)
    from ggzy.finance import service as finance

    finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN, payer_account="530100000777"), now=TEST_NOW)
    ordered = refunds.order_refunds(
        db, SYSTEM, tender_id=tender.id, entity_id=row.entity_id, ground=RefundGround.SUCCESSFUL, annual_rate=RATE,
        day_basis=BASIS, now=TEST_NOW + timedelta(days=36),
    )  # fmt: skip
    refunds.record_order_receipt(
        db, receipt(ordered[0].idempotency_key, OrderStatus.EXECUTED, txn="BK0001"), now=TEST_NOW
    )
    clock.set(TEST_NOW + timedelta(days=37))
    browser_login(client, db, user)
    text = client.get(f"/workspace/bidder/tenders/{tender.id}").text
    section = text[text.index('id="refund"') :]
    assert "已退还" in section
    assert "530100000777" in section
    assert "20,000.00 元" in section
    assert ordered[0].interest_fen > 0
    assert f"{ordered[0].interest_fen / 100:,.2f} 元" in section


# --- the centre's finance desk -----------------------------------------------------------------------------------


def test_the_centre_resolves_an_alert_which_stays_in_the_history_with_its_event(
    client: TestClient, db: Session
) -> None:
    alert = unmatched_alert(db, amount_fen=654_321)
    staff = user_with_role(db, Role.CENTRE_STAFF)
    browser_login(client, db, staff)
    page = "/workspace/centre/finance"
    text = client.get(page).text
    assert f'id="alert-{alert.id}"' in text
    assert "入账子账号无法匹配" in text
    assert "6,543.21 元" in text[text.index('id="suspense"') :]  # the money in suspense
    token = csrf_from(client, page)
    before = event_count(db, "finance.alert_resolved")
    done = client.post(
        f"{page}/alerts/{alert.id}/resolve",
        data={"csrf_token": token, "resolution": "已联系付款人，款项原路退回", "status": "open"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert outcome_code(done) == "finance_alert_resolved"
    assert event_count(db, "finance.alert_resolved") == before + 1
    db.refresh(alert)
    assert alert.resolved
    assert alert.resolution == "已联系付款人，款项原路退回"
    assert alert.resolved_by == staff.id
    assert f'id="alert-{alert.id}"' not in client.get(page).text  # no longer open
    history = client.get(f"{page}?status=resolved").text
    assert f'id="alert-{alert.id}"' in history
    assert "已联系付款人，款项原路退回" in history

    # resolving it again is refused and records nothing
    again = client.post(
        f"{page}/alerts/{alert.id}/resolve",
        data={"csrf_token": token, "resolution": "再次处理"},
        follow_redirects=False,
    )
    assert again.status_code == 409
    assert problem_code(again) == "conflict"
    assert event_count(db, "finance.alert_resolved") == before + 1


def test_an_alert_of_another_centre_is_not_this_staffs_to_resolve(client: TestClient, db: Session) -> None:
    _, setup = deposit_tender(db)
    alert = unmatched_alert(db)
    alert.centre_id = setup["centres"]["city"].id
    db.flush()
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))  # of a centre of its own
    token = csrf_from(client, "/workspace/centre/finance")
    assert f'id="alert-{alert.id}"' not in client.get("/workspace/centre/finance").text
    refused = client.post(
        f"/workspace/centre/finance/alerts/{alert.id}/resolve",
        data={"csrf_token": token, "resolution": "不是本中心的"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert problem_code(refused) == "finance_alert_not_your_centre"
    assert db.scalar(select(FinanceAlert.resolved).where(FinanceAlert.id == alert.id)) is False


def test_the_desk_shows_a_days_reconciliation_with_its_differences_and_late_refund_batches(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=_paid_first_two(db))
    late = setup["opened_at"] + timedelta(days=10)
    refunds.order_refunds(
        db, SYSTEM, tender_id=setup["tender"].id, entity_id=setup["bidders"][1].entity_id,
        ground=RefundGround.UNSUCCESSFUL, annual_rate=RATE, day_basis=BASIS, now=late,
        due_on=(setup["opened_at"] + timedelta(days=5)).date(),
    )  # fmt: skip
    day = (TEST_NOW + timedelta(days=2)).date()  # the day the deposits were booked (pay_in_full)
    reconcile(db, Statement("S", day, 0, 1, ()), now=TEST_NOW + timedelta(days=3))
    clock.set(late + timedelta(days=1))
    browser_login(client, db, setup["staff"])
    text = client.get(f"/workspace/centre/finance?day={day.isoformat()}&status=all").text
    runs = text[text.index('id="reconciliations"') : text.index('id="alerts"')]
    assert "差异" in runs
    assert "期末余额不一致" in runs
    assert "账簿有、对账单无" in runs
    refunds_of_day = text[text.index('id="refunds"') : text.index('id="suspense"')]
    assert setup["tender"].title not in refunds_of_day  # the day filter: that refund was ordered another day
    text = client.get("/workspace/centre/finance?status=all").text
    batches = text[text.index('id="refunds"') :]
    assert setup["tender"].title in batches
    assert "已记录为违规" in batches


def test_law_art_22_a_refund_of_a_bid_withdrawn_before_the_opening_is_not_on_the_desk_until_the_opening(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    """A withdrawal's refund is ordered at once (实施条例 第35条); on the desk before the opening it would tell that
    someone paid and withdrew, and how many (招标投标法 第22条): it shows from the opening on."""
    tender, setup = deposit_tender(db)
    row, _ = opened(db, tender)
    from ggzy.finance import service as finance

    finance.record_credit(db, notice(row.number or "", DEPOSIT_FEN), now=TEST_NOW)
    refunds.order_refunds(
        db, SYSTEM, tender_id=tender.id, entity_id=row.entity_id, ground=RefundGround.WITHDRAWN, annual_rate=RATE,
        day_basis=BASIS, now=TEST_NOW + timedelta(days=3), due_on=(TEST_NOW + timedelta(days=8)).date(),
    )  # fmt: skip
    clock.set(TEST_NOW + timedelta(days=4))
    browser_login(client, db, setup["staff"])
    text = client.get("/workspace/centre/finance?status=all").text
    batches = text[text.index('id="refunds"') : text.index('id="suspense"')]
    assert "保证金测试招标" not in batches
    assert "截止前撤回投标" not in batches


def test_the_centres_own_funds_and_matched_payments_are_not_shown_as_unmatched_money(
    client: TestClient, db: Session
) -> None:
    from ggzy.finance import service as finance

    _, setup = deposit_tender(db)
    finance.record_credit(db, notice("9999", 123_400, own_funds=True), now=TEST_NOW)  # the centre funds its account
    finance.record_credit(db, notice("UNKNOWN-1", 56_700), now=TEST_NOW)  # nobody's sub-account
    browser_login(client, db, setup["staff"])
    text = client.get("/workspace/centre/finance?status=all").text
    suspense = text[text.index('id="suspense"') :]
    assert "567.00" in suspense
    assert "1,234.00" not in suspense


def test_a_bad_filter_is_a_422_and_the_desk_is_for_centre_staff_only(client: TestClient, db: Session) -> None:
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))
    assert client.get("/workspace/centre/finance?status=nonsense").status_code == 422
    assert client.get("/workspace/centre/finance?status=nonsense&day=").status_code == 422
    assert client.get("/workspace/centre/finance?day=&status=all").status_code == 200  # the filter form's "any day"
    assert client.get("/workspace/centre/finance?day=2026-13-40").status_code == 422
    english = client.get("/workspace/centre/finance?lang=en")
    assert english.status_code == 200
    assert "Finance desk" in english.text
    assert "Refund batches" in english.text
    client.cookies.clear()
    browser_login(client, db, bidder_user(db))
    assert client.get("/workspace/centre/finance").status_code == 403


# --- electronic guarantees (decision 0035) -----------------------------------------------------------------------


def test_a_guarantee_standing_as_the_deposit_shows_its_institution_and_number_to_the_owner_and_the_bidder(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    from tests.finance.guarantees_support import entity_of, issued, onboard

    found: dict = {}

    def deposits(tender, users: list[User]) -> None:  # type: ignore[no-untyped-def]
        pay_in_full(db, tender, users[:1])
        found["bank"] = onboard(db, name="保函测试银行昆明分行")
        found["guarantee"] = issued(db, found["bank"], tender, entity_of(db, users[1]))

    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=deposits)
    guarantee = found["guarantee"]
    clock.set(setup["opened_at"])
    browser_login(client, db, setup["owner_user"])
    text = client.get(f"/workspace/projects/tenders/{setup['tender'].id}").text
    table = text[text.index('id="deposit-table"') :]
    rows = table[: table.index("</table>")].split("<tr>")[2:]
    assert "电子保函" in rows[1]
    assert "保函测试银行昆明分行" in rows[1]
    assert guarantee.number in rows[1]
    assert "已足额缴纳" in rows[1]

    client.cookies.clear()
    browser_login(client, db, setup["bidders"][1])
    own = client.get(f"/workspace/bidder/tenders/{setup['tender'].id}").text
    section = own[own.index('id="guarantees"') :]
    section = section[: section.index("</table>")]
    assert "保函测试银行昆明分行" in section
    assert guarantee.number in section
    assert "20,000.00 元" in section
    assert "有效" in section
    assert "作为投标保证金" in section
    # another bidder's guarantee is nowhere on a bidder's page
    client.cookies.clear()
    browser_login(client, db, setup["bidders"][0])
    assert guarantee.number not in client.get(f"/workspace/bidder/tenders/{setup['tender'].id}").text


def test_the_centres_staff_read_a_tenders_deposits_after_the_opening_only_and_only_of_their_centre(
    client: TestClient, db: Session, gm_ca: Path, clock: FixedClock
) -> None:
    sealed, sealed_setup = deposit_tender(db)
    pay_in_full(db, sealed, [bidder_user(db)])
    browser_login(client, db, sealed_setup["staff"])
    before = client.get(f"/workspace/centre/finance/tenders/{sealed.id}")
    assert before.status_code == 200
    assert "deposit-table" not in before.text
    assert "已足额缴纳" not in before.text

    setup = make_opened_tender(db, gm_ca, prices=PRICES, deposit_fen=DEPOSIT_FEN, before_opening=_paid_first_two(db))
    clock.set(setup["opened_at"])
    client.cookies.clear()
    browser_login(client, db, setup["staff"])
    after = client.get(f"/workspace/centre/finance/tenders/{setup['tender'].id}")
    assert after.status_code == 200
    table = after.text[after.text.index('id="deposit-table"') :]
    assert table[: table.index("</table>")].count("已足额缴纳") == 2

    client.cookies.clear()
    browser_login(client, db, user_with_role(db, Role.CENTRE_STAFF))  # another centre's
    refused = client.get(f"/workspace/centre/finance/tenders/{setup['tender'].id}")
    assert refused.status_code == 403
    assert problem_code(refused) == "deposit_reader_mismatch"
