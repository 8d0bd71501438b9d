"""The demo's bid deposits (decision 0039): its lots require them, its bidders pay them at the bank simulator, one
bidder's stands as an electronic guarantee (电子保函), one bidder pays short, and the award notice's refunds reach the
bank the same day.

The story runs on a fake clock 30 days back; the bank simulator has a clock of its own. :class:`DemoBank` drives the
simulator's clock along the story's (``POST /admin/clock`` ``set_to``: any time not before the latest line the bank
booked), so a payment is booked before the story's bid deadline and a refund on the award notice's day, and gives the
bank back its own time when the story ends. The demo is one transaction (all or nothing, decision 0016): it does the
finance worker's steps itself, inside it — the outboxes read by the same services (``sub_accounts_to_open``,
``refund_orders_to_send``), the bank called through the same adapter, the answers recorded by the same services
(``record_sub_account``, ``record_order_receipt``). A credit is recorded from the bank's statement (a notice may come
"only on the statement", decision 0034); the bank's signed notice of it reaches the platform's webhook once the
platform listens, and is recorded there as the repeat it is (one ``bank_txn_id``, one credit).

Without a bank (``GGZY_BANK_URL`` empty) the lots still require their deposits and the guarantee still stands; the
sub-accounts, payments and refunds are skipped and the report says so.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from ggzy.core.clock import CHINA_STANDARD_TIME, FixedClock, to_china_time
from ggzy.core.permissions import Permission, Principal
from ggzy.crypto import IssuedCertificate, load_private_key_pem
from ggzy.entities.schemas import EntityUpdate
from ggzy.entities.service import entity_names, get_entity, update_own_entity
from ggzy.finance import guarantees, refunds, views
from ggzy.finance import service as finance
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import BankUnavailable, CreditNotice, Direction
from ggzy.finance.refund_triggers import refund_orders_of
from ggzy.finance.rules import DepositShortfall
from ggzy.tendering import bids
from ggzy.tendering import read as tendering_read
from ggzy.tendering import service as tendering

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ggzy.demo_story import DemoBidder
    from ggzy.finance.models import RefundOrderRow
    from ggzy.tendering.models import Tender

# The deposits the demo's tenders require, in 分 (招标投标法实施条例 第26条, 政府采购法实施条例 第33条: at most 2% of
# the estimate or budget), and the bid validity (投标有效期, 实施条例 第25条), in days from the deadline.
LOT1_DEPOSIT_FEN = 30_000_000  # 300,000.00 元 of lot 1's 18,600,000.00 (1.6%)
LOT2_DEPOSIT_FEN = 8_000_000  # 80,000.00 元 of lot 2's 4,350,000.00 (1.8%), its second round
LOT3_DEPOSIT_FEN = 5_000_000  # 50,000.00 元 of lot 3's 2,960,000.00 (1.7%)
LOT_A_DEPOSIT_FEN = 3_000_000  # 30,000.00 元 of lot A's 1,950,000.00 (1.5%)
LOT_B_DEPOSIT_FEN = 1_500_000  # 15,000.00 元 of lot B's 800,000.00 (1.9%), its second round
BID_VALIDITY_DAYS = 90
SHORT_PAYMENT_FEN = 20_000_000  # lot 1's short payer: 200,000.00 元 of the 300,000.00 required
PAYER_BANK = "中国工商银行昆明分行"

INSTITUTION_NAME = "云南滇信融资担保有限公司（演示）"
INSTITUTION_ORGANISATION = "MA6KJU018"
GUARANTEE_TERMS = "见索即付：受益人书面索赔时，本公司于 5 个工作日内在保证金额内无条件付款。（演示保函）"


class DemoBankError(Exception):
    """The bank simulator cannot take the demo: its books are not empty, or it does not answer."""


def basic_account_of(key: str) -> str:
    """The demo bidder's basic account (基本账户, 实施条例 第26条 第2款): 19 digits, by its key."""
    return f"25020{sum(map(ord, key)):06d}88800"


def register_basic_accounts(db: Session, bidders: list[DemoBidder], *, now: datetime) -> None:
    """Each bidder registers its basic account, as it would on its page (``PATCH /entities/me``)."""
    for bidder in bidders:
        actor = bidder.actor(db, Permission.ENTITY_UPDATE_OWN)
        update_own_entity(db, actor, changes=EntityUpdate(basic_account=basic_account_of(bidder.key)), now=now)


class DemoBank:
    """The bank simulator (``ggzy bank serve``) the demo drives: its protocol through :class:`HttpBankAdapter` (the
    platform's adapter), its teller and its clock through the simulator's own endpoints."""

    def __init__(self, url: str, *, public_key: str, timeout: float = 10.0) -> None:
        try:
            self.adapter = HttpBankAdapter.pinned(url, public_key=public_key, timeout=timeout)
        except BankUnavailable as error:
            raise DemoBankError(f"the bank simulator at {url} does not answer: {error.detail_en}") from None
        self.url = url
        self._client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        latest = self._call("GET", "/admin/clock")["latest_booked_at"]
        if latest is not None:
            self.close()
            raise DemoBankError(
                f"the bank simulator at {url} holds books already (its latest line is of {latest}): the demo drives "
                "the bank's clock from 30 days ago and opens its sub-accounts anew, so it needs a bank with empty "
                "books. Start the simulator on a new directory (make run does when it makes a new database; or "
                "remove ./bank-data), decision 0039"
            )

    def close(self) -> None:
        self._client.close()
        self.adapter.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = self._client.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise DemoBankError(f"the bank simulator at {self.url} does not answer: {error}") from None
        if not answer.is_success:
            raise DemoBankError(f"the bank simulator refused {method} {path} ({answer.status_code}): {answer.text}")
        return dict(answer.json())

    def set_clock(self, moment: datetime) -> datetime:
        return datetime.fromisoformat(self._call("POST", "/admin/clock", {"set_to": moment.isoformat()})["now"])

    def give_back_its_time(self) -> None:
        """The story is over: the bank's clock runs on the system's time again — unless the story booked a line
        after now (a holiday stretching its periods), and then it runs on from there."""
        latest = self._call("GET", "/admin/clock")["latest_booked_at"]
        now = datetime.now(UTC)
        if latest is None or datetime.fromisoformat(latest) <= now:
            self.set_clock(now)

    def open_sub_accounts(self, db: Session, *, now: datetime) -> None:
        """The worker's first step (``FinanceWorker._open_sub_accounts``), in the demo's transaction."""
        for row in finance.sub_accounts_to_open(db):
            opened = self.adapter.open_sub_account(reference=row.reference, name=row.name)
            finance.record_sub_account(db, sub_account=opened, now=now)

    def pay(
        self, db: Session, *, sub_account: str, amount_fen: int, payer_account: str, payer_name: str, now: datetime
    ) -> str:
        """The payer's transfer at the teller; the credit recorded from the bank's statement of its day."""
        booked = self._call(
            "POST", "/teller/transfers",
            {"sub_account": sub_account, "amount_fen": amount_fen, "payer_account": payer_account,
             "payer_name": payer_name, "payer_bank": PAYER_BANK},
        )  # fmt: skip
        txn = str(booked["bank_txn_id"])
        day = to_china_time(datetime.fromisoformat(booked["booked_at"])).date()
        line = next(line for line in self.adapter.statement(day).lines if line.bank_txn_id == txn)
        assert line.direction is Direction.CREDIT
        notice = CreditNotice(
            bank_txn_id=line.bank_txn_id, sub_account=line.sub_account, amount_fen=line.amount_fen,
            payer_account=line.counterparty_account, payer_name=line.counterparty_name, payer_bank=PAYER_BANK,
            booked_at=line.booked_at, own_funds=line.sub_account == self.adapter.settlement_account,
        )  # fmt: skip
        finance.record_credit(db, notice, now=now)
        return txn

    def send_refunds(self, db: Session, *, now: datetime) -> int:
        """The worker's second step (``FinanceWorker._send_refund_orders``), in the demo's transaction."""
        orders = refunds.refund_orders_to_send(db)
        for order in orders:
            refunds.record_order_receipt(db, self.adapter.order(order), now=now)
        return len(orders)


# the centre's own account and the money it keeps in the settlement account to pay refunds' interest (decision 0036)
CENTRE_ACCOUNT, CENTRE_NAME, CENTRE_FUNDS_FEN = "2502010009200000001", "昆明市公共资源交易中心", 2_000_000


@dataclass
class DemoInstitution:
    """The demo's guarantee company: onboarded by the centre's staff, acting through a user it enrolled itself."""

    actor: Principal
    issued: IssuedCertificate
    numbers: int = 0


@dataclass
class DemoDeposits:
    """What the story asks of the deposits at its steps; ``bank`` None: no bank connected (payments skipped)."""

    bank: DemoBank | None
    institution: DemoInstitution
    notes: list[str] = field(default_factory=list)
    funded: bool = False  # the centre's own money paid into the settlement account (it pays refunds' interest)

    def _fund(self, db: Session, bank: DemoBank, *, now: datetime) -> None:
        """The centre pays its own money into the settlement account's own balance once, before the first deposit:
        the interest on the refunds comes from it, never from a bidder's sub-account (decision 0036)."""
        if not self.funded:
            bank.pay(
                db, sub_account=bank.adapter.settlement_account, amount_fen=CENTRE_FUNDS_FEN,
                payer_account=CENTRE_ACCOUNT, payer_name=CENTRE_NAME, now=now,
            )  # fmt: skip
            self.funded = True

    def pay(self, db: Session, tender: Tender, payments: list[tuple[DemoBidder, int]], *, clock: FixedClock) -> None:
        """Each bidder asks for its sub-account, the bank opens them, and each pays from its basic account."""
        if self.bank is None:
            self.notes.append(f"tender {tender.id}: no bank connected, sub-accounts and payments skipped")
            return
        clock.advance(timedelta(minutes=1))  # the bank's clock ran on since its last line: the story moves on first
        self.bank.set_clock(clock.now())
        rows = {}
        for bidder, _ in payments:
            rows[bidder.key] = finance.request_sub_account(
                db, bidder.actor(db, Permission.TENDER_REGISTER), tender_id=tender.id, now=clock.now()
            )
        self.bank.open_sub_accounts(db, now=clock.now())
        self._fund(db, self.bank, now=clock.now())
        for bidder, amount_fen in payments:
            clock.advance(timedelta(minutes=3))
            self.bank.set_clock(clock.now())
            entity = get_entity(db, bidder.user.entity_id or 0)
            number = rows[bidder.key].number
            assert number is not None
            self.bank.pay(
                db, sub_account=number, amount_fen=amount_fen, payer_account=basic_account_of(bidder.key),
                payer_name=entity.name, now=clock.now(),
            )  # fmt: skip

    def guarantee(self, db: Session, tender: Tender, bidder: DemoBidder, *, clock: FixedClock) -> None:
        """The institution quotes and issues the bidder's guarantee for the whole deposit, in force from today to
        the end of the bid validity (实施条例 第26条), signed with its certificate's key."""
        institution = self.institution
        project, lot = tendering.project_of(db, tender)
        owner, applicant = get_entity(db, project.owner_id), get_entity(db, bidder.user.entity_id or 0)
        need = guarantees.requirement(db, tender)
        guarantees.quote(
            db, institution.actor, tender_id=tender.id, applicant_credit_code=applicant.credit_code, fee_fen=150_000,
            now=clock.now(),
        )  # fmt: skip
        institution.numbers += 1
        issued_on = to_china_time(clock.now())
        body = guarantees.document_body(
            number=f"DXBH{issued_on:%Y%m%d}{institution.numbers:04d}",
            institution=(INSTITUTION_NAME, institution.issued.certificate.credit_code or ""),
            applicant=(applicant.name, applicant.credit_code), beneficiary=(owner.name, owner.credit_code),
            tender_id=tender.id, lot=bids.lot_code(project, lot), amount_fen=need.required_fen,
            valid_from=clock.now(), valid_until=need.valid_until, terms=GUARANTEE_TERMS,
        )  # fmt: skip
        signature = load_private_key_pem(institution.issued.private_key_pem).sign(guarantees.signed_bytes(body))
        guarantees.issue_guarantee(
            db, institution.actor, document=body, signature=base64.b64encode(signature).decode(),
            certificate_pem=institution.issued.certificate_pem, intermediates_pem=[], fee_fen=150_000,
            now=clock.now(),
        )  # fmt: skip

    def refunds(self, db: Session, *, clock: FixedClock) -> None:
        """The refund orders the award notice (or the contract) made in its transaction, sent to the bank now."""
        if self.bank is None:
            return
        self.bank.set_clock(clock.now())
        self.bank.send_refunds(db, now=clock.now())


def _status(status: views.DepositStatus) -> str:
    assessment = status.assessment
    if assessment.met:
        return "guarantee" if assessment.form == guarantees.E_GUARANTEE_FORM else "met"
    if assessment.shortfall is DepositShortfall.BELOW_REQUIREMENT:
        return "short"
    return assessment.shortfall.value if assessment.shortfall is not None else "not_met"


def _day(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA_STANDARD_TIME).date().isoformat()


def deposit_report(db: Session, tender_id: int) -> dict[str, Any] | None:
    """A tender's deposit for ``ggzy demo --json``: what it requires, each bid's deposit after the opening (met,
    short, guarantee, nothing_paid …), and the refunds sent with the bank's receipts."""
    tender = tendering.get_tender(db, tender_id)
    if tender.deposit_fen is None:
        return None
    opened = tendering_read.opening_started_at(db, tender_id) is not None
    statuses = views.deposits_at_opening(db, tender_id=tender_id) if opened else []
    orders = refund_orders_of(db, tender_id)
    names = entity_names(db, [order.entity_id for order in orders]) if orders else {}
    return {
        "required_fen": tender.deposit_fen,
        "bid_validity_days": tender.bid_validity_days,
        "at_opening": [_status_entry(status) for status in statuses],
        "refunds": [_refund_entry(order, names.get(order.entity_id, "")) for order in orders],
    }


def _status_entry(status: views.DepositStatus) -> dict[str, Any]:
    return {
        "bidder": status.entity_name,
        "status": _status(status),
        "paid_fen": status.paid_fen,
        "form": status.assessment.form,
        "sub_account": status.sub_account,
    }


def _refund_entry(order: RefundOrderRow, bidder: str) -> dict[str, Any]:
    """An order back to the payer and the bank's receipt: executed with its bank transaction, or the reason."""
    return {
        "bidder": bidder,
        "amount_fen": order.principal_fen + order.interest_fen,
        "interest_fen": order.interest_fen,
        "ordered_on": _day(order.ordered_at),
        "due_on": _iso(order.due_on),
        "status": order.status,
        "bank_txn_id": order.bank_txn_id,
        "executed_at": _at(order.answered_at),
        "reason": order.reason,
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _at(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA_STANDARD_TIME).isoformat()
