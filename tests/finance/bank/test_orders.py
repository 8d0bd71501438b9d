"""Orders and sub-accounts through ``HttpBankAdapter`` against the bank simulator in its own process (one per module:
each test uses references and idempotency keys of its own): sub-accounts opened once per reference, orders executed
once per idempotency key however often they are sent or their answers lost, a bank that fails or times out met with
``BankUnavailable``, and a bank serving another key refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ggzy.config import Settings
from ggzy.finance.bank.http_adapter import BankRequestRefused, HttpBankAdapter, adapter_from_settings
from ggzy.finance.bank.protocol import BankUnavailable, OrderReceipt, OrderStatus, SubAccount

from .conftest import BankProcess, NoticeReceiver, bank_day, debits, free_port, refund


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BankProcess]:
    receiver = NoticeReceiver()
    process = BankProcess(tmp_path_factory.mktemp("bank") / "bank-data", receiver.url)
    process.start()
    yield process
    process.stop()
    receiver.close()


@pytest.fixture(autouse=True)
def _no_fault_left(bank: BankProcess) -> Iterator[None]:
    yield
    assert httpx.delete(f"{bank.url}/admin/faults", timeout=5).status_code == 200


def test_the_same_reference_opens_the_same_sub_account(adapter: HttpBankAdapter) -> None:
    first = adapter.open_sub_account(reference="lot-7/bidder-3", name="保证金专户-标段7-某公司")
    again = adapter.open_sub_account(reference="lot-7/bidder-3", name="another name sent later")
    other = adapter.open_sub_account(reference="lot-7/bidder-4", name="保证金专户-标段7-另一公司")

    assert again == first  # the same number and the name it was opened with
    assert first.reference == "lot-7/bidder-3"
    assert first.name == "保证金专户-标段7-某公司"
    assert other.number != first.number
    assert first.number.startswith(adapter.settlement_account)


def test_an_order_sent_twice_with_one_idempotency_key_is_one_transfer(
    bank: BankProcess, adapter: HttpBankAdapter
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-1", name="保证金专户")
    bank.pay_in(sub_account.number, 100_000)
    order = refund(sub_account, key="refund-1", amount_fen=30_000)

    first = adapter.order(order)
    second = adapter.order(order)

    assert first.status is OrderStatus.EXECUTED
    assert first.bank_txn_id
    assert second == first
    assert bank.balance(sub_account.number) == 70_000
    assert debits(adapter.statement(bank_day(bank)), "refund-1") == [30_000]


def test_one_order_sent_from_eight_threads_at_once_is_one_transfer(bank: BankProcess, adapter: HttpBankAdapter) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-8", name="保证金专户")
    bank.pay_in(sub_account.number, 90_000)
    order = refund(sub_account, key="refund-8", amount_fen=50_000)  # two of them would not fit: one executes

    with ThreadPoolExecutor(max_workers=8) as pool:
        receipts = list(pool.map(lambda _: adapter.order(order), range(8)))

    assert {receipt.status for receipt in receipts} == {OrderStatus.EXECUTED}
    assert len(set(receipts)) == 1
    assert bank.balance(sub_account.number) == 40_000
    assert debits(adapter.statement(bank_day(bank)), "refund-8") == [50_000]


def test_another_order_under_a_used_idempotency_key_is_refused_and_moves_nothing(
    bank: BankProcess, adapter: HttpBankAdapter
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-2", name="保证金专户")
    bank.pay_in(sub_account.number, 100_000)
    adapter.order(refund(sub_account, key="refund-2", amount_fen=30_000))

    with pytest.raises(BankRequestRefused):
        adapter.order(refund(sub_account, key="refund-2", amount_fen=60_000, to_account="9999"))

    assert bank.balance(sub_account.number) == 70_000
    assert debits(adapter.statement(bank_day(bank)), "refund-2") == [30_000]


def test_an_order_the_balance_does_not_cover_is_rejected_with_its_reason_and_stays_rejected(
    bank: BankProcess, adapter: HttpBankAdapter
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-3", name="保证金专户")
    bank.pay_in(sub_account.number, 10_000)
    order = refund(sub_account, key="refund-3", amount_fen=10_001)

    rejected = adapter.order(order)
    bank.pay_in(sub_account.number, 5_000)  # money arriving later does not revive a rejected order
    again = adapter.order(order)

    assert rejected.status is OrderStatus.REJECTED
    assert rejected.bank_txn_id is None
    assert rejected.reason is not None
    assert "余额不足" in rejected.reason
    assert again == rejected
    assert adapter.order_status("refund-3") == rejected
    assert bank.balance(sub_account.number) == 15_000
    assert debits(adapter.statement(bank_day(bank)), "refund-3") == []


def test_an_order_from_an_unknown_sub_account_is_rejected(adapter: HttpBankAdapter) -> None:
    ghost = SubAccount(number=adapter.settlement_account + "999999", name="-", reference="-")

    receipt = adapter.order(refund(ghost, key="refund-ghost", amount_fen=1))

    assert receipt.status is OrderStatus.REJECTED
    assert receipt.reason
    assert "账户不存在" in receipt.reason


def test_an_order_whose_answer_was_lost_is_found_by_its_key_and_not_repeated(
    bank: BankProcess, adapter: HttpBankAdapter
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-4", name="保证金专户")
    bank.pay_in(sub_account.number, 50_000)
    order = refund(sub_account, key="refund-4", amount_fen=50_000)
    # the bank books the order, then answers after the adapter's 1 s timeout
    bank.faults(hang={"count": 1, "seconds": 3, "after": True, "path": "/orders"})

    with pytest.raises(BankUnavailable):
        adapter.order(order)
    found = _asked_until_known(adapter, "refund-4")
    resent = adapter.order(order)

    assert found is not None
    assert found.status is OrderStatus.EXECUTED
    assert resent == found
    assert bank.balance(sub_account.number) == 0
    assert debits(adapter.statement(bank_day(bank)), "refund-4") == [50_000]


def _asked_until_known(adapter: HttpBankAdapter, key: str) -> OrderReceipt | None:
    """As the platform does after a lost answer: ask again a little later (on a loaded machine the bank may still be
    booking the order when the client gives up), for at most 10 s."""
    deadline = time.monotonic() + 10
    while (receipt := adapter.order_status(key)) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return receipt


def test_an_order_the_bank_failed_before_receiving_is_unknown_to_it_and_sent_again_once(
    bank: BankProcess, adapter: HttpBankAdapter
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-5", name="保证金专户")
    bank.pay_in(sub_account.number, 20_000)
    order = refund(sub_account, key="refund-5", amount_fen=20_000)
    bank.faults(fail={"count": 1, "status": 503, "path": "/orders"})

    with pytest.raises(BankUnavailable):
        adapter.order(order)
    assert adapter.order_status("refund-5") is None
    receipt = adapter.order(order)

    assert receipt.status is OrderStatus.EXECUTED
    assert debits(adapter.statement(bank_day(bank)), "refund-5") == [20_000]


def test_a_bank_that_times_out_or_is_not_there_is_unavailable(bank: BankProcess, adapter: HttpBankAdapter) -> None:
    bank.faults(hang={"count": 1, "seconds": 3, "path": "/statements"})
    with pytest.raises(BankUnavailable):
        adapter.statement(bank_day(bank))

    nowhere = HttpBankAdapter(
        f"http://127.0.0.1:{free_port()}", public_key=bank.info()["public_key"], settlement_account="x", timeout=1
    )
    with pytest.raises(BankUnavailable):
        nowhere.open_sub_account(reference="r", name="n")


def test_the_adapter_is_configured_by_the_bank_url_and_its_pinned_key(bank: BankProcess) -> None:
    key = bank.info()["public_key"]

    configured = adapter_from_settings(Settings(bank_url=bank.url, bank_public_key=key, bank_timeout_seconds=2))

    assert configured is not None
    assert configured.settlement_account == bank.info()["settlement_account"]
    assert adapter_from_settings(Settings(bank_url="")) is None
    with pytest.raises(ValueError, match="GGZY_BANK_PUBLIC_KEY"):
        adapter_from_settings(Settings(bank_url=bank.url, bank_public_key=""))


def test_an_adapter_refuses_a_bank_that_does_not_serve_the_pinned_key(bank: BankProcess) -> None:
    other_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

    with pytest.raises(BankRequestRefused):
        HttpBankAdapter.pinned(bank.url, public_key=other_key)


def test_a_transfer_into_an_unknown_sub_account_is_refused_and_books_nothing(
    bank: BankProcess, adapter: HttpBankAdapter
) -> None:
    before = adapter.statement(bank_day(bank)), _notices_queued(bank)

    answer = httpx.post(
        f"{bank.url}/teller/transfers",
        json={
            "sub_account": "no-such",
            "amount_fen": 100,
            "payer_account": "1",
            "payer_name": "某公司",
            "payer_bank": "某银行",
        },
    )

    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_sub_account"
    assert (adapter.statement(bank_day(bank)), _notices_queued(bank)) == before


def _notices_queued(bank: BankProcess) -> list[str]:
    return [delivery["bank_txn_id"] for delivery in bank.deliveries()]
