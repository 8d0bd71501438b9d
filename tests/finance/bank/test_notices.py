"""Credit notices as the platform receives them from the bank simulator's own process: signed with the bank's key
that the platform pinned, retried until acknowledged, and on demand repeated, reordered or delayed; a notice that is
forged, altered or meant for another account is refused."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from ggzy.cli import app as cli
from ggzy.core.clock import to_china_time
from ggzy.core.events import canonical_json
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import NoticeForged
from ggzy.finance.bank.wire import public_key_text, sign_notice

from .conftest import BankProcess, NoticeReceiver


def _txn_ids(adapter: HttpBankAdapter, receiver: NoticeReceiver) -> list[str]:
    return [adapter.verify_notice(notice.body, notice.signature).bank_txn_id for notice in receiver.received]


def test_a_credit_is_notified_signed_with_the_pinned_key_and_read_back_whole(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n1", name="保证金专户")
    before = datetime.now(UTC)
    bank_txn_id = bank.pay_in(sub_account.number, 200_000, payer="6222020200001234567", name="甲建设有限公司")

    [received] = receiver.wait_for(1)
    notice = adapter.verify_notice(received.body, received.signature)

    assert notice.bank_txn_id == bank_txn_id
    assert notice.sub_account == sub_account.number
    assert notice.amount_fen == 200_000
    assert (notice.payer_account, notice.payer_name, notice.payer_bank) == (
        "6222020200001234567", "甲建设有限公司", "中国工商银行兰州分行")  # fmt: skip
    assert before - timedelta(seconds=5) <= notice.booked_at <= datetime.now(UTC)
    [line] = adapter.statement(to_china_time(notice.booked_at).date()).lines
    assert (line.bank_txn_id, line.amount_fen, line.booked_at) == (bank_txn_id, 200_000, notice.booked_at)


def test_a_forged_or_altered_notice_is_refused(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n2", name="保证金专户")
    bank.pay_in(sub_account.number, 1_000)
    [genuine] = receiver.wait_for(1)
    message = json.loads(genuine.body)
    altered = canonical_json(message | {"amount_fen": 100_000_000}).encode()
    impostor = Ed25519PrivateKey.generate()
    forged = canonical_json(message | {"bank_txn_id": "T-forged"}).encode()

    for body, signature in [
        (altered, genuine.signature),  # the amount changed under the bank's signature
        (forged, sign_notice(impostor, forged)),  # signed, by another key
        (genuine.body, ""),  # unsigned
        (genuine.body, "not base64!"),
        (genuine.body, base64.b64encode(b"\0" * 64).decode()),
        (genuine.body + b" ", genuine.signature),  # one byte more
    ]:
        with pytest.raises(NoticeForged):
            adapter.verify_notice(body, signature)

    # the bank's genuine notice, for another customer's settlement account
    elsewhere = HttpBankAdapter(
        bank.url, public_key=bank.info()["public_key"], settlement_account="6217000000000000000"
    )
    with pytest.raises(NoticeForged):
        elsewhere.verify_notice(genuine.body, genuine.signature)
    # a platform that pinned another key refuses the bank's genuine notice
    other = HttpBankAdapter(
        bank.url, public_key=public_key_text(impostor.public_key()), settlement_account=adapter.settlement_account
    )
    with pytest.raises(NoticeForged):
        other.verify_notice(genuine.body, genuine.signature)
    assert adapter.verify_notice(genuine.body, genuine.signature).amount_fen == 1_000


def test_a_signed_message_that_is_not_a_notice_is_refused(adapter: HttpBankAdapter) -> None:
    key = Ed25519PrivateKey.generate()
    pinned = HttpBankAdapter(
        "http://127.0.0.1:9", public_key=public_key_text(key.public_key()), settlement_account="6217"
    )
    for body in [b"[]", b"not json", canonical_json({"account": "6217", "amount_fen": 5}).encode(),
                 canonical_json({"account": "6217", "bank_txn_id": "T1", "sub_account": "s", "amount_fen": -5,
                                 "payer_account": "a", "payer_name": "n", "payer_bank": "b",
                                 "booked_at": "2026-12-04T00:00:00+00:00"}).encode()]:  # fmt: skip
        with pytest.raises(NoticeForged):
            pinned.verify_notice(body, sign_notice(key, body))


def test_a_notice_is_sent_again_until_the_platform_acknowledges_it(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n3", name="保证金专户")
    receiver.refuse = 3

    bank_txn_id = bank.pay_in(sub_account.number, 500)

    receiver.wait_for(1)
    assert _txn_ids(adapter, receiver) == [bank_txn_id]
    assert receiver.refused == 3
    [delivery] = bank.deliveries()
    assert delivery["attempts"] == 4
    assert delivery["delivered_at"]
    assert delivery["last_error"] == "HTTP 500"


def test_a_notice_is_repeated_as_configured(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n4", name="保证金专户")
    bank.faults(notices={"repeat": 1, "times": 3})

    repeated = bank.pay_in(sub_account.number, 700)
    single = bank.pay_in(sub_account.number, 800)

    received = receiver.wait_for(4)
    time.sleep(0.5)  # nothing more comes
    assert sorted(_txn_ids(adapter, receiver)) == sorted([repeated, repeated, repeated, single])
    assert len({notice.body for notice in received if repeated in notice.body.decode()}) == 1  # the same bytes
    assert bank.balance(sub_account.number) == 1_500  # one credit each, however often notified


def test_a_notice_is_repeated_later_after_it_was_acknowledged(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n7", name="保证金专户")
    bank.faults(notices={"repeat": 1, "times": 2, "every": 3})

    repeated = bank.pay_in(sub_account.number, 700)
    between = bank.pay_in(sub_account.number, 800)

    receiver.wait_for(3)
    assert _txn_ids(adapter, receiver) == [repeated, between, repeated]
    assert [delivery["attempts"] for delivery in bank.deliveries()] == [1, 1, 1]  # each copy acknowledged at once


def test_notices_are_reordered_as_configured(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n5", name="保证金专户")
    bank.faults(notices={"reorder": 3})

    booked = [bank.pay_in(sub_account.number, amount) for amount in (100, 200, 300)]
    then = bank.pay_in(sub_account.number, 400)

    receiver.wait_for(4)
    assert _txn_ids(adapter, receiver)[:3] == list(reversed(booked))
    assert _txn_ids(adapter, receiver)[3] == then


def test_a_notice_is_delayed_as_configured(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n6", name="保证金专户")
    bank.faults(notices={"delay": 1, "seconds": 3})

    late = bank.pay_in(sub_account.number, 100)
    prompt = bank.pay_in(sub_account.number, 200)

    received = receiver.wait_for(2)
    assert _txn_ids(adapter, receiver) == [prompt, late]
    booked = adapter.verify_notice(received[1].body, received[1].signature).booked_at
    [delivery] = [delivery for delivery in bank.deliveries() if delivery["bank_txn_id"] == late]
    assert datetime.fromisoformat(delivery["delivered_at"]) - booked >= timedelta(seconds=3)


def test_ggzy_bank_pay_books_a_transfer_at_the_teller_and_the_platform_is_notified(
    bank: BankProcess, adapter: HttpBankAdapter, receiver: NoticeReceiver
) -> None:
    sub_account = adapter.open_sub_account(reference="deposit-n8", name="保证金专户")
    options = ["--amount-fen", "1234567", "--payer-account", "6222", "--payer-name", "乙公司", "--url", bank.url]

    paid = CliRunner().invoke(cli, ["bank", "pay", "--sub-account", sub_account.number, *options])
    refused = CliRunner().invoke(cli, ["bank", "pay", "--sub-account", "no-such", *options])

    assert paid.exit_code == 0, paid.output
    assert "12,345.67 元" in paid.output
    [received] = receiver.wait_for(1)
    notice = adapter.verify_notice(received.body, received.signature)
    assert (notice.sub_account, notice.amount_fen, notice.payer_name) == (sub_account.number, 1_234_567, "乙公司")
    assert refused.exit_code == 1
    assert "unknown_sub_account" in refused.output
    assert bank.balance(sub_account.number) == 1_234_567
