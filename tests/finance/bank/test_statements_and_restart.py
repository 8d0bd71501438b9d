"""Statements and durability of the bank simulator in its own process (a fresh bank per test): each day's statement
balances and carries into the next, and the bank keeps its books, its key and its outbox across a kill -9."""

from __future__ import annotations

from datetime import date

import pytest

from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import BankUnavailable, Direction, Statement

from .conftest import BankProcess, NoticeReceiver, bank_day, refund


def test_statements_balance_and_carry_each_day_into_the_next(bank: BankProcess, adapter: HttpBankAdapter) -> None:
    first = adapter.open_sub_account(reference="deposit-6a", name="保证金专户甲")
    second = adapter.open_sub_account(reference="deposit-6b", name="保证金专户乙")
    day_one = bank_day(bank)
    credits = [bank.pay_in(first.number, 80_000), bank.pay_in(second.number, 45_000, payer="2002")]
    executed = adapter.order(refund(first, key="refund-6a", amount_fen=80_000))
    adapter.order(refund(second, key="refund-6b", amount_fen=45_001))  # rejected: not on the statement

    statement = adapter.statement(day_one)

    assert statement.account == adapter.settlement_account
    assert statement.day == day_one
    assert [line.bank_txn_id for line in statement.lines] == [*credits, executed.bank_txn_id]
    assert [(line.direction, line.amount_fen) for line in statement.lines] == [
        (Direction.CREDIT, 80_000), (Direction.CREDIT, 45_000), (Direction.DEBIT, 80_000)]  # fmt: skip
    assert statement.lines[1].counterparty_account == "2002"
    assert statement.lines[2].idempotency_key == "refund-6a"
    assert _balanced(statement)
    assert statement.closing_balance_fen == statement.opening_balance_fen + 45_000

    bank.advance_clock(86_400)  # the next China Standard Time day
    day_two = bank_day(bank)
    bank.pay_in(first.number, 1_000)
    adapter.order(refund(second, key="refund-6c", amount_fen=5_000))
    next_statement = adapter.statement(day_two)

    assert day_two == date.fromordinal(day_one.toordinal() + 1)
    assert next_statement.opening_balance_fen == statement.closing_balance_fen
    assert _balanced(next_statement)
    assert len(next_statement.lines) == 2
    assert next_statement.closing_balance_fen == bank.balance(first.number) + bank.balance(second.number)
    assert adapter.statement(day_one) == statement  # a past day's statement never changes


def _balanced(statement: Statement) -> bool:
    credits = sum(line.amount_fen for line in statement.lines if line.direction is Direction.CREDIT)
    debits = sum(line.amount_fen for line in statement.lines if line.direction is Direction.DEBIT)
    return statement.opening_balance_fen + credits - debits == statement.closing_balance_fen


def test_the_bank_keeps_its_state_across_a_kill_9_and_orders_stay_idempotent(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    info = bank.info()
    sub_account = adapter.open_sub_account(reference="deposit-7", name="保证金专户")
    receiver.refuse = 1_000  # the platform is down: the notice waits in the bank's outbox
    credit = bank.pay_in(sub_account.number, 66_600)
    order = refund(sub_account, key="refund-7", amount_fen=60_000)
    receipt = adapter.order(order)
    statement = adapter.statement(bank_day(bank))

    bank.kill_9()
    with pytest.raises(BankUnavailable):
        adapter.order(order)
    receiver.refuse = 0
    bank.start()

    assert bank.info()["public_key"] == info["public_key"]
    assert bank.info()["settlement_account"] == info["settlement_account"]
    assert adapter.open_sub_account(reference="deposit-7", name="保证金专户") == sub_account
    assert adapter.order(order) == receipt
    assert adapter.order_status("refund-7") == receipt
    assert adapter.statement(bank_day(bank)) == statement
    assert bank.balance(sub_account.number) == 6_600
    delivered = receiver.wait_for(1)  # the notice booked before the crash reaches the platform after it
    assert adapter.verify_notice(delivered[0].body, delivered[0].signature).bank_txn_id == credit
