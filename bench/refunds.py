"""10,000 bidders' deposits refunded after one award (issue 12, decision 0031): from the award notice to every refund
order accepted by the bank simulator and posted.

Set-up (not timed, its rate reported): a fresh bank simulator in its own process (``python -m ggzy bank serve``, as
bench/bank.py and tests/finance/bank start it) and a fresh SQLite database migrated to head; a tender driven through
the services to its publicised candidates (tests/factories.py: three sealed bids opened, evaluated, the candidates
publicised) whose three bidders and N more depositors (firms that paid and did not bid: each a loser at the award)
each open a sub-account at the bank, pay the deposit at the bank's teller, and have the credit recorded.

Timed:

1. the award (``awards.service.award_tender``: the notice, the signed letters, and in its transaction the refund
   orders of every deposit but the winner's, ``finance.refund_triggers``), committed;
2. the outbox sent through ``HttpBankAdapter`` — a small loop over ``refunds.refund_orders_to_send`` (batches of
   500), ``adapter.order`` for each, ``refunds.record_order_receipt`` for each answer, one commit per batch (the bank
   worker's loop, which another engineer is writing) — until nothing is left; every order executed and posted.

Every refund carries interest (招标投标法实施条例 第57条) at the configured rate (``GGZY_DEPOSIT_INTEREST_ANNUAL_RATE``,
0.35% unless the environment says otherwise; 360-day year): the award is made at least 30 days after the deposits were
booked at the bank, and the centre's own funds, paid into the settlement account at the teller before the award (not
timed), pay the interest (decision 0036): each order is a principal from its sub-account and an interest from the
settlement account's own balance. After the run (not timed) the bank's statement of the day is reconciled with the
books: every line matched, no difference.

Prints one JSON line. ``--sizes`` (default 1000,10000); ``--quick`` runs 20.

    .venv/bin/python bench/refunds.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.factories: the service-driven scene

import httpx
from _quick import parse_args
from bank import _simulator
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import bidder_user, make_publicised_tender, principal

from ggzy.awards import service as awards
from ggzy.config import get_settings
from ggzy.core.clock import to_china_time
from ggzy.core.db import make_engine, unit_of_work
from ggzy.core.migrate import upgrade
from ggzy.core.permissions import Permission
from ggzy.crypto import Suite, init_ca
from ggzy.finance import books, reconciliation, refunds
from ggzy.finance import service as finance
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import CreditNotice, OrderStatus
from ggzy.finance.models import RefundOrderRow
from ggzy.finance.rules import AccountPurpose
from ggzy.wiring import session_factory

DEPOSIT_FEN = 2_000_000  # ¥20,000: 2% of the scene's ¥1,000,000 lot (招标投标法实施条例 第26条)
FUNDS_PER_REFUND_FEN = 5_000  # the centre's own money paid in per depositor: more than any refund's interest here
BATCH = 500


def _pay(db, adapter: HttpBankAdapter, teller: httpx.Client, url: str, tender, user) -> None:  # type: ignore[no-untyped-def]
    """A bidder's sub-account opened at the bank, the deposit paid at the teller, the credit recorded."""
    actor = principal(db, user, Permission.TENDER_REGISTER)
    row = finance.request_sub_account(db, actor, tender_id=tender.id, now=TEST_NOW)
    opened = adapter.open_sub_account(reference=row.reference, name=row.name)
    finance.record_sub_account(db, sub_account=opened, now=TEST_NOW)
    payer = f"6222{user.entity_id:012d}"
    body = {"sub_account": opened.number, "amount_fen": DEPOSIT_FEN, "payer_account": payer,
            "payer_name": f"投标人{user.entity_id}", "payer_bank": "中国工商银行"}  # fmt: skip
    booked = teller.post(f"{url}/teller/transfers", json=body)
    booked.raise_for_status()
    answer = booked.json()
    notice = CreditNotice(
        bank_txn_id=answer["bank_txn_id"], sub_account=opened.number, amount_fen=DEPOSIT_FEN, payer_account=payer,
        payer_name=body["payer_name"], payer_bank="中国工商银行", booked_at=datetime.fromisoformat(answer["booked_at"]),
    )  # fmt: skip
    finance.record_credit(db, notice, now=TEST_NOW)


def info_now(url: str) -> str:
    return str(httpx.get(f"{url}/info").json()["now"])


def _fund(db, teller: httpx.Client, url: str, settlement: str, amount_fen: int) -> None:  # type: ignore[no-untyped-def]
    """The centre pays its own money into the settlement account (it pays the refunds' interest), recorded."""
    body = {"sub_account": settlement, "amount_fen": amount_fen, "payer_account": "3101000000000001",
            "payer_name": "交易中心", "payer_bank": "中国工商银行"}  # fmt: skip
    booked = teller.post(f"{url}/teller/transfers", json=body)
    booked.raise_for_status()
    answer = booked.json()
    notice = CreditNotice(
        bank_txn_id=answer["bank_txn_id"], sub_account=settlement, amount_fen=amount_fen,
        payer_account=body["payer_account"], payer_name=body["payer_name"], payer_bank=body["payer_bank"],
        booked_at=datetime.fromisoformat(answer["booked_at"]), own_funds=True,
    )  # fmt: skip
    finance.record_credit(db, notice, now=TEST_NOW)


def _run(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch, _simulator(Path(scratch) / "bank") as url:
        root = Path(scratch)
        info = httpx.get(f"{url}/info").json()
        ca_dir = root / "ca"
        init_ca(ca_dir, suite=Suite.GM, name="基准测试CA", now=TEST_NOW.replace(month=10))
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        upgrade(engine)
        factory = session_factory(engine)
        with (
            HttpBankAdapter.pinned(url, public_key=info["public_key"], timeout=30) as adapter,
            httpx.Client(timeout=30) as teller,
        ):
            started = time.perf_counter()
            with unit_of_work(factory) as db:

                def before(tender, users) -> None:  # type: ignore[no-untyped-def]
                    for user in users + [bidder_user(db) for _ in range(n)]:
                        _pay(db, adapter, teller, url, tender, user)

                scene = make_publicised_tender(
                    db, ca_dir, prices=[30_000_000, 20_000_000, 10_000_000], deposit_fen=DEPOSIT_FEN,
                    before_opening=before,
                )  # fmt: skip
                tender_id, agent_user = scene["tender"].id, scene["agent_user"]
                first = awards.candidates_of(scene["publicity"])[0]["bid_id"]
                bank_now = datetime.fromisoformat(info_now(url))
                award_at = max(scene["publicity"].ends_at, bank_now + timedelta(days=30))  # interest for 30 days +
                funds = FUNDS_PER_REFUND_FEN * (n + 3)
                _fund(db, teller, url, info["settlement_account"], funds)
            set_up = time.perf_counter() - started

            started = time.perf_counter()
            with unit_of_work(factory) as db:
                manager = principal(db, agent_user, Permission.AWARD_MANAGE)
                awards.award_tender(
                    db, manager, tender_id=tender_id, bid_id=first, passed_over=[], signers=LEDGER_KEYS.signers,
                    now=award_at,
                )  # fmt: skip
            awarding = time.perf_counter() - started

            started = time.perf_counter()
            sent = 0
            while True:
                with unit_of_work(factory) as db:
                    batch = refunds.refund_orders_to_send(db, limit=BATCH)
                    if not batch:
                        break
                    for order in batch:
                        receipt = adapter.order(order)
                        assert receipt.status is OrderStatus.EXECUTED, receipt
                        refunds.record_order_receipt(db, receipt, now=award_at)
                    sent += len(batch)
            sending = time.perf_counter() - started

        with unit_of_work(factory, read_only=True) as db:
            from sqlalchemy import func, select

            executed = db.scalar(
                select(func.count()).where(RefundOrderRow.status == "executed", RefundOrderRow.posting_id.is_not(None))
            )
            balances = books.balances_by_purpose(db)
            interest = int(db.scalar(select(func.sum(RefundOrderRow.interest_fen))) or 0)
            assert executed == sent == n + 2, (executed, sent, n)  # every depositor but the winner
            assert db.scalar(select(func.min(RefundOrderRow.interest_fen))) > 0  # each with interest
            assert balances[AccountPurpose.DEPOSIT] == DEPOSIT_FEN  # the winner's, until the contract
            assert balances[AccountPurpose.INTEREST_EXPENSE] == interest
            assert balances[AccountPurpose.SETTLEMENT] == DEPOSIT_FEN + funds - interest
            assert books.incomplete_postings(db) == []
        with HttpBankAdapter.pinned(url, public_key=info["public_key"], timeout=120) as adapter:
            statement = adapter.statement(to_china_time(bank_now).date())
        with unit_of_work(factory) as db:
            run = reconciliation.reconcile(db, statement, now=award_at)
            assert (run.differences, run.matched_lines) == (0, len(statement.lines)), run.differences
            assert statement.closing_balance_fen == DEPOSIT_FEN + funds - interest
        engine.dispose()
    total = awarding + sending
    return {
        "n": n,
        "refunds": sent,
        "annual_rate": str(get_settings().deposit_interest_annual_rate),
        "interest_fen": interest,
        "statement_lines_reconciled": run.matched_lines,
        "award_with_orders_s": round(awarding, 2),
        "orders_per_s_at_award": round(sent / awarding, 1),
        "send_and_post_s": round(sending, 2),
        "sent_and_posted_per_s": round(sent / sending, 1),
        "total_s": round(total, 2),
        "refunds_per_s": round(sent / total, 1),
        "set_up_s": round(set_up, 1),
        "set_up_depositors_per_s": round((n + 3) / set_up, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of depositors besides the bids")
    args = parse_args(parser, sizes="20")
    runs = [_run(int(size)) for size in args.sizes.split(",")]
    print(
        json.dumps(
            {
                "bench": "refunds",
                "machine": platform.node(),
                "python": platform.python_version(),
                "load_average": [round(x, 1) for x in os.getloadavg()],
                "runs": runs,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
