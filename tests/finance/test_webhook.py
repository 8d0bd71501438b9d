"""POST /api/v1/finance/bank/notices: the bank's signed credit notices, recorded once, a forged one refused with
nothing written."""

# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.config import Settings
from ggzy.core.events import Event
from ggzy.finance import books
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.wire import SIGNATURE_HEADER, sign_notice
from ggzy.finance.models import BankCredit, Posting
from ggzy.finance.worker import BankLink, FinanceWorker
from tests.conftest import TEST_NOW
from tests.finance.bank.conftest import BankProcess, NoticeReceiver, Received
from tests.finance.support import DEPOSIT_FEN, deposit_tender
from tests.finance.worker_support import (  # noqa: F401 (fixtures)
    PAYER,
    adapter,
    bank,
    factory,
    open_at_bank,
    receiver,
    worker,
)

URL = "/api/v1/finance/bank/notices"


@pytest.fixture
def connected(app: FastAPI, adapter: HttpBankAdapter) -> FastAPI:
    app.state.bank = BankLink(app.state.settings, adapter)
    return app


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _paid(db: Session, worker: FinanceWorker, bank: BankProcess, receiver: NoticeReceiver) -> Received:
    tender, _ = deposit_tender(db)
    row = open_at_bank(db, worker, tender)
    bank.pay_in(row.number or "", DEPOSIT_FEN, payer=PAYER)
    return receiver.wait_for(1)[0]


def test_a_signed_notice_is_recorded_and_a_repeated_one_acknowledged_without_change(
    connected: FastAPI, client: TestClient, db: Session, worker: FinanceWorker, bank: BankProcess,
    receiver: NoticeReceiver,
) -> None:  # fmt: skip
    notice = _paid(db, worker, bank, receiver)
    headers = {SIGNATURE_HEADER: notice.signature, "Content-Type": "application/json"}

    first = client.post(URL, content=notice.body, headers=headers)

    assert first.status_code == 200, first.text
    assert first.json()["repeated"] is False
    events = _count(db, Event)
    again = client.post(URL, content=notice.body, headers=headers)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "repeated": True}
    assert _count(db, BankCredit) == 1
    assert _count(db, Event) == events
    credit = db.scalar(select(BankCredit))
    assert credit is not None
    assert credit.amount_fen == DEPOSIT_FEN
    assert credit.payer_check == "basic_account"
    settlement = books.account(db, books.AccountPurpose.SETTLEMENT, now=TEST_NOW)
    assert books.balance(db, settlement) == DEPOSIT_FEN


@pytest.mark.parametrize("forgery", ["tampered", "other_key", "no_signature", "garbage"])
def test_a_forged_notice_is_refused_and_writes_nothing(
    connected: FastAPI, client: TestClient, db: Session, worker: FinanceWorker, bank: BankProcess,
    receiver: NoticeReceiver, forgery: str,
) -> None:  # fmt: skip
    notice = _paid(db, worker, bank, receiver)
    body, signature = notice.body, notice.signature
    if forgery == "tampered":  # ten times the money, the bank's signature kept
        message = json.loads(body)
        message["amount_fen"] *= 10
        body = json.dumps(message).encode()
    elif forgery == "other_key":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        signature = sign_notice(Ed25519PrivateKey.generate(), body)
    elif forgery == "no_signature":
        signature = ""
    else:
        body, signature = b"not json at all", "AAAA"
    events, postings = _count(db, Event), _count(db, Posting)
    headers = {"Content-Type": "application/json"} | ({SIGNATURE_HEADER: signature} if signature else {})

    answer = client.post(URL, content=body, headers=headers)

    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "bank_notice_signature_invalid"
    assert (_count(db, BankCredit), _count(db, Event), _count(db, Posting)) == (0, events, postings)


def test_without_a_bank_configured_a_notice_is_refused_as_unconnected(client: TestClient, db: Session) -> None:
    events = _count(db, Event)
    answer = client.post(URL, content=b"{}", headers={SIGNATURE_HEADER: "AAAA"})
    assert answer.status_code == 404
    assert answer.json()["code"] == "no_bank_connected"
    assert _count(db, Event) == events


def test_the_webhook_lists_each_status_it_answers(client: TestClient) -> None:
    operation = client.get("/api/v1/openapi.json").json()["paths"][URL]["post"]
    assert set(operation["responses"]) == {"200", "403", "404", "422", "502", "503"}


def test_the_settings_without_a_bank_url_connect_no_bank(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert not BankLink(Settings(data_dir=tmp_path, bank_url="")).configured
