"""What the platform and a bank say to each other (银企直连): the one interface every bank adapter implements.

The platform holds one settlement account (结算账户) at a bank; the bank opens a virtual sub-account (虚拟子账号)
under it for each bidder and lot, so that a bidder's deposit is identified by the account it was paid into, not by
a remark typed by a person. The bank then:

- notifies each credit to a sub-account (入账通知), signed with the bank's key, at least once (a notice may repeat,
  arrive late or out of order: its ``bank_txn_id`` identifies it);
- executes refund orders (退款指令) that carry an idempotency key (the same key twice is one transfer): the principal
  leaves the bidder's sub-account, the interest (招标投标法实施条例 第31条、第57条: 银行同期存款利息) the settlement
  account's own balance (the centre's funds, 自有资金) — both or neither, two lines of the statement under the order's
  key, one to the payee;
- serves a statement per day (对账单) of every movement of the settlement account and its sub-accounts.

The books (``ggzy.finance``) never call a bank inside a database transaction: the domain records what it wants done
(a sub-account to open, a refund order to send) and what the bank said (a notice, a receipt); an adapter carries the
messages. Amounts are integer 分 throughout; times are aware datetimes (UTC on the wire, ISO 8601).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from ggzy.core.errors import DomainError


class Direction(StrEnum):
    CREDIT = "credit"  # money in (a deposit paid, a fee paid)
    DEBIT = "debit"  # money out (a refund, a forfeiture transferred, a claim paid)


class OrderStatus(StrEnum):
    ACCEPTED = "accepted"  # the bank has the order and will execute it (the same day)
    EXECUTED = "executed"  # the transfer is booked
    REJECTED = "rejected"  # refused for a stated reason (closed account, name mismatch, insufficient balance …)


# the reason's prefix when the settlement account's own balance cannot pay an order's interest: the platform alerts
# the centre (fund the account), the order is not executed in part
OWN_FUNDS_SHORT = "自有资金不足"


@dataclass(frozen=True)
class SubAccount:
    """A virtual sub-account the bank opened under the platform's settlement account."""

    number: str  # 子账号, as the bank writes it
    name: str  # the account name shown to payers, e.g. "某交易中心保证金专户-某标段-某公司"
    reference: str  # the platform's own reference, unique: the same reference opens the same sub-account again


@dataclass(frozen=True)
class CreditNotice:
    """One credit to a sub-account, as the bank notified it (after its signature was verified)."""

    bank_txn_id: str  # the bank's transaction id: a repeated notice has the same one
    sub_account: str  # the sub-account credited
    amount_fen: int
    payer_account: str  # the account the money came from (the bidder's basic account where the law requires it)
    payer_name: str
    payer_bank: str
    booked_at: datetime  # when the bank booked it (the notice itself may arrive later)
    # a credit to the settlement account's own balance (the centre funding it, or the bank's 结息), not to a
    # sub-account: on the wire, a notice whose ``sub_account`` is the settlement account itself
    own_funds: bool = False


@dataclass(frozen=True)
class RefundOrder:
    """A transfer out of a sub-account, back along the route the money came (or as a decision orders)."""

    idempotency_key: str  # the platform's; the same key is one transfer however often it is sent
    from_sub_account: str
    to_account: str
    to_name: str
    to_bank: str
    principal_fen: int  # debited from ``from_sub_account`` (the deposit)
    interest_fen: int  # debited from the settlement account's own balance (the centre's funds), 0: none
    purpose: str  # 附言, e.g. "退还投标保证金及利息 标段 E5301…"

    @property
    def amount_fen(self) -> int:
        """What the payee receives."""
        return self.principal_fen + self.interest_fen


@dataclass(frozen=True)
class OrderReceipt:
    """The bank's answer to an order."""

    idempotency_key: str
    bank_txn_id: str | None  # set once executed
    status: OrderStatus
    at: datetime
    reason: str | None = None  # why it was rejected


@dataclass(frozen=True)
class StatementLine:
    bank_txn_id: str
    sub_account: str
    direction: Direction
    amount_fen: int
    counterparty_account: str
    counterparty_name: str
    booked_at: datetime
    idempotency_key: str | None = None  # for debits made on the platform's orders

    def own_funds(self, settlement_account: str) -> bool:
        """A line of the settlement account's own balance (a refund's interest, the centre funding it), not of a
        sub-account."""
        return self.sub_account == settlement_account


@dataclass(frozen=True)
class Statement:
    """One day's statement of the settlement account (China Standard Time days)."""

    account: str  # the settlement account
    day: date
    opening_balance_fen: int
    closing_balance_fen: int
    lines: tuple[StatementLine, ...]


class BankUnavailable(DomainError):
    """The bank did not answer (timeout, connection refused, 5xx): the order's outcome is unknown until it is asked
    again with the same idempotency key."""

    code = "bank_unavailable"
    status = 503
    message_zh = "银行接口暂时无法连接，指令将按同一幂等键重试，不会重复付款"
    message_en = "The bank did not answer; the order is retried with the same idempotency key and cannot be doubled"


class NoticeForged(DomainError):
    code = "bank_notice_signature_invalid"
    status = 403
    message_zh = "银行通知的签名无效，已拒绝"
    message_en = "The bank notice's signature is invalid; refused"


class BankAdapter(Protocol):
    """What the platform asks of a bank. Every method may raise :class:`BankUnavailable`."""

    settlement_account: str

    def open_sub_account(self, *, reference: str, name: str) -> SubAccount:
        """Open (or, for a reference seen before, return) the sub-account for ``reference``."""
        ...

    def order(self, order: RefundOrder) -> OrderReceipt:
        """Send an order; sending the same idempotency key again returns the first order's receipt."""
        ...

    def order_status(self, idempotency_key: str) -> OrderReceipt | None:
        """What became of an order (``None``: the bank never received it)."""
        ...

    def statement(self, day: date) -> Statement:
        """The settlement account's statement for a China Standard Time day."""
        ...

    def verify_notice(self, body: bytes, signature: str) -> CreditNotice:
        """Check a pushed notice's signature (the bank's key, configured at the platform) and read it, or raise
        :class:`NoticeForged`."""
        ...
