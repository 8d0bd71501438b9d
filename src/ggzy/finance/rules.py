"""Pure rules of the books and the deposits: the kinds of accounts, what a balanced posting is, and when a deposit is
met (招标投标法实施条例 第26条; 政府采购法实施条例 第33条)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ggzy.core.errors import DomainError


class AccountKind(StrEnum):
    ASSET = "asset"  # debit-normal
    LIABILITY = "liability"  # credit-normal
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class AccountPurpose(StrEnum):
    SETTLEMENT = "settlement"  # the platform's settlement account at the bank: every sub-account rolls up into it
    DEPOSIT = "deposit"  # what the platform owes a bidder for one tender (its sub-account)
    SUSPENSE = "suspense"  # money received that nobody can be matched to yet
    INTEREST_EXPENSE = "interest_expense"  # the demand-deposit interest paid on refunds (第57条)
    INTEREST_PAYABLE = "interest_payable"  # interest computed and not yet paid
    FORFEITED = "forfeited"  # deposits kept by law (第35条, 第74条), held for the owner
    FEES = "fees"  # service fees (交易服务费) earned
    PLATFORM_FUNDS = "platform_funds"  # the centre's own money in the settlement account (pays interest)
    PERFORMANCE = "performance"  # a winner's performance security paid in cash, owed back after performance (0037)


KIND_OF: dict[AccountPurpose, AccountKind] = {
    AccountPurpose.SETTLEMENT: AccountKind.ASSET,
    AccountPurpose.DEPOSIT: AccountKind.LIABILITY,
    AccountPurpose.SUSPENSE: AccountKind.LIABILITY,
    AccountPurpose.INTEREST_EXPENSE: AccountKind.EXPENSE,
    AccountPurpose.INTEREST_PAYABLE: AccountKind.LIABILITY,
    AccountPurpose.FORFEITED: AccountKind.LIABILITY,
    AccountPurpose.FEES: AccountKind.INCOME,
    AccountPurpose.PLATFORM_FUNDS: AccountKind.EQUITY,
    AccountPurpose.PERFORMANCE: AccountKind.LIABILITY,
}
# the accounts there is exactly one of (no tender, no entity)
SINGLE_ACCOUNTS = frozenset(
    {
        AccountPurpose.SETTLEMENT,
        AccountPurpose.SUSPENSE,
        AccountPurpose.INTEREST_EXPENSE,
        AccountPurpose.INTEREST_PAYABLE,
        AccountPurpose.FORFEITED,
        AccountPurpose.FEES,
        AccountPurpose.PLATFORM_FUNDS,
    }
)


class PostingKind(StrEnum):
    DEPOSIT_CREDIT = "deposit_credit"  # money in, to a bidder's sub-account
    SUSPENSE_CREDIT = "suspense_credit"  # money in, to a sub-account nobody knows
    REFUND = "refund"  # money out: a deposit and its interest paid back along its route
    FORFEITURE = "forfeiture"  # a deposit kept by law (第35条 第2款, 第74条): the bidder's deposit to forfeited
    PERFORMANCE_CREDIT = "performance_credit"  # money in, to a winner's performance security sub-account (0037)
    FEE_CREDIT = "fee_credit"  # money in, to a fee notice's sub-account: fees earned (0037)
    PLATFORM_FUNDING = "platform_funding"  # the centre's own money into the settlement account (pays interest)
    CLAIM_PAYMENT = "claim_payment"  # an institution paying a claim on its guarantee: kept as a forfeited deposit


class PayerCheck(StrEnum):
    """Whether a credit came from the bidder's basic account (基本账户), 招标投标法实施条例 第26条 第2款."""

    BASIC_ACCOUNT = "basic_account"  # it did
    NOT_BASIC_ACCOUNT = "not_basic_account"  # it did not: a violation, the deposit is not met by it
    BASIC_ACCOUNT_UNKNOWN = "basic_account_unknown"  # the bidder has not registered its basic account: flagged
    NOT_REQUIRED = "not_required"  # the law of the tender does not require it (政府采购法)
    UNMATCHED = "unmatched"  # the sub-account is unknown: nobody to compare with
    OWN_FUNDS = "own_funds"  # the centre funding the settlement account's own balance: no bidder's money
    GUARANTOR = "guarantor"  # an institution paying a claim on the guarantee that stood as the deposit


class AlertKind(StrEnum):
    UNKNOWN_SUB_ACCOUNT = "unknown_sub_account"
    PAYER_NOT_BASIC_ACCOUNT = "payer_not_basic_account"
    BASIC_ACCOUNT_UNKNOWN = "basic_account_unknown"
    REFUND_REJECTED = "refund_rejected"
    PAYMENT_SHORT = "payment_short"  # a fee or performance security paid below what is due (0037)
    PAYMENT_LONG = "payment_long"  # paid above what is due (0037)
    INTEREST_UNFUNDED = "interest_unfunded"  # the settlement account's own funds could not pay a refund's interest
    ORDER_REFUSED = "order_refused"  # the bank refused an order as a request (4xx): resending cannot cure it


class PostingUnbalanced(DomainError):
    code = "posting_unbalanced"
    status = 500
    message_zh = "记账分录借贷不平衡（合计 {total} 分），已拒绝"
    message_en = "The posting's lines do not sum to zero (total {total} fen); refused"


class PostingMalformed(DomainError):
    code = "posting_malformed"
    status = 500
    message_zh = "记账分录至少两行，且每行金额不为零：{reason_zh}"
    message_en = "A posting has two lines at least, none of zero: {reason_en}"


def check_balanced(amounts: Sequence[int]) -> None:
    """A posting's lines (debits positive, credits negative, in integer 分) must be two at least, none zero, and sum
    to zero (DESIGN §4.5)."""
    if len(amounts) < 2:
        raise PostingMalformed(reason_zh="不足两行", reason_en="fewer than two lines")
    if any(not isinstance(amount, int) or isinstance(amount, bool) for amount in amounts):
        raise PostingMalformed(reason_zh="金额须为整数分", reason_en="amounts must be integer fen")
    if any(amount == 0 for amount in amounts):
        raise PostingMalformed(reason_zh="存在金额为零的行", reason_en="a line of zero")
    total = sum(amounts)
    if total != 0:
        raise PostingUnbalanced(total=total)


def normal_balance(kind: AccountKind, debit_minus_credit: int) -> int:
    """An account's balance as its kind reads it: an asset or an expense by its debits, the others by their
    credits."""
    return debit_minus_credit if kind in (AccountKind.ASSET, AccountKind.EXPENSE) else -debit_minus_credit


@dataclass(frozen=True)
class Payment:
    """A credit into a bidder's own sub-account, as the deposit rules see it."""

    amount_fen: int
    booked_at: datetime
    payer_check: PayerCheck


class DepositShortfall(StrEnum):
    """Why a deposit is not met at the opening."""

    NOTHING_PAID = "nothing_paid"
    LATE = "late"  # paid, but booked after the bid deadline
    NOT_FROM_BASIC_ACCOUNT = "not_from_basic_account"  # 第26条 第2款
    BELOW_REQUIREMENT = "below_requirement"


TRANSFER_FORM = "转账"  # a deposit paid into the bidder's sub-account


@dataclass(frozen=True)
class DepositAssessment:
    required_fen: int
    counted_fen: int  # paid in time, from an account the law accepts
    met: bool
    shortfall: DepositShortfall | None
    flags: tuple[PayerCheck, ...]  # the payer checks worth showing (unknown or not the basic account)
    form: str | None = None  # how it is met: 转账 (into the sub-account) or 电子保函 (decision 0035); None: not met


def assess_deposit(required_fen: int, payments: Iterable[Payment], *, bid_deadline: datetime) -> DepositAssessment:
    """Whether a bid's deposit is met: paid into its own sub-account before the bid deadline, from the bidder's basic
    account where 招标投标法实施条例 第26条 requires it, in the full amount. A payment from an account that is not the
    basic account does not count; one whose basic account the register does not know counts and is flagged."""
    payments = list(payments)
    in_time = [p for p in payments if p.booked_at <= bid_deadline]
    accepted = [p for p in in_time if p.payer_check is not PayerCheck.NOT_BASIC_ACCOUNT]
    counted = sum(p.amount_fen for p in accepted)
    flags = tuple(
        sorted(
            {
                p.payer_check
                for p in payments
                if p.payer_check in (PayerCheck.NOT_BASIC_ACCOUNT, PayerCheck.BASIC_ACCOUNT_UNKNOWN)
            }
        )
    )
    shortfall: DepositShortfall | None = None
    if counted < required_fen:
        if not payments:
            shortfall = DepositShortfall.NOTHING_PAID
        elif not in_time:
            shortfall = DepositShortfall.LATE
        elif sum(p.amount_fen for p in in_time) >= required_fen and counted < required_fen:
            shortfall = DepositShortfall.NOT_FROM_BASIC_ACCOUNT
        else:
            shortfall = DepositShortfall.BELOW_REQUIREMENT
    return DepositAssessment(
        required_fen=required_fen,
        counted_fen=counted,
        met=shortfall is None,
        shortfall=shortfall,
        flags=flags,
        form=TRANSFER_FORM if shortfall is None else None,
    )
