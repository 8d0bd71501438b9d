# ruff: noqa: F811 (the fixtures imported from tests.finance.worker_support are the parameters of the same name)
"""The app runs the finance worker in its lifespan while a bank is configured (GGZY_BANK_URL), and stops it with the
server; without a bank no worker runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ggzy.app import create_app
from ggzy.config import Settings
from ggzy.core.clock import FixedClock
from ggzy.finance.models import DepositSubAccount
from ggzy.wiring import session_factory
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.finance.bank.conftest import BankProcess
from tests.finance.support import deposit_tender, requested
from tests.finance.worker_support import bank, engine, platform_db, receiver  # noqa: F401 (fixtures)


def _worker_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "ggzy-finance-worker"]


def test_with_a_bank_configured_the_app_opens_sub_accounts_in_the_background_and_stops_with_the_server(
    engine: Engine, platform_db: str, bank: BankProcess, tmp_path: Path
) -> None:
    factory = session_factory(engine)
    with factory() as db:
        tender, _ = deposit_tender(db)
        row, _ = requested(db, tender)
        db.commit()
        row_id = row.id
    settings = Settings(
        data_dir=tmp_path, database_url=platform_db, ledger_background=False, bank_url=bank.url,
        bank_public_key=bank.info()["public_key"], bank_worker_seconds=0.1,
    )  # fmt: skip
    app = create_app(settings, engine=engine, clock=FixedClock(TEST_NOW), ledger_keys=LEDGER_KEYS,
                     secret_key=b"test-secret-key-test-secret-key!")  # fmt: skip
    with TestClient(app):
        assert len(_worker_threads()) == 1
        deadline = time.monotonic() + 20
        while True:
            with factory() as db:
                number = db.get(DepositSubAccount, row_id).number  # type: ignore[union-attr]
            if number is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert number is not None
    assert bank.balance(number) == 0  # the bank knows the sub-account
    assert _worker_threads() == []  # stopped and joined with the server


def test_without_a_bank_no_worker_runs(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    assert app.state.settings.bank_url == ""
    assert _worker_threads() == []
