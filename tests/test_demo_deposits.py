"""The demo's deposits (decision 0039), loaded once against a real bank simulator process (tests/finance/bank): lot 1
of the works requires a deposit (招标投标法实施条例 第26条: at most 2% of the estimate), one bidder's stands as an
electronic guarantee, one bidder pays short and its opening record says so, the award notice's refunds are executed
at the bank the day of the notice, and the books equal the bank's statements, day by day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from ggzy.config import get_settings
from ggzy.core.clock import to_china_time
from ggzy.core.db import is_sqlite, unit_of_work
from ggzy.core.events import events_for
from ggzy.demo import load_demo
from ggzy.demo_deposits import CENTRE_FUNDS_FEN
from ggzy.finance import reconciliation
from ggzy.finance import service as finance
from ggzy.finance.bank.http_adapter import HttpBankAdapter
from ggzy.finance.bank.protocol import Direction
from ggzy.finance.models import RefundOrderRow
from ggzy.tendering import opening
from ggzy.tendering import service as tendering
from ggzy.wiring import session_factory
from tests.conftest import demo_parts, pg_copy_of_template, sqlite_copy_of_template
from tests.finance.bank.conftest import BankProcess, NoticeReceiver

pytestmark = pytest.mark.db

GUARANTEED, SHORT = "昆明春城建设集团有限公司", "玉溪红塔路桥建设有限公司"


@pytest.fixture(scope="module")
def demo_engine(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """A new, empty, migrated database of the test database's kind, for this module's one demo load."""
    url = engine.url.render_as_string(hide_password=False)
    if is_sqlite(url):
        template = request.getfixturevalue("_migrated_sqlite_template")
        with sqlite_copy_of_template(template, tmp_path_factory.mktemp("demo-db") / "demo.db") as made:
            yield made
        return
    with pg_copy_of_template(url, request.getfixturevalue("_migrated_pg_template"), "demo") as made:
        yield made


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BankProcess, NoticeReceiver]]:
    receiver = NoticeReceiver()
    process = BankProcess(tmp_path_factory.mktemp("bank") / "bank-data", receiver.url)
    process.start()
    yield process, receiver
    process.stop()
    receiver.close()


@pytest.fixture(scope="module")
def loaded(
    demo_engine: Engine, bank: tuple[BankProcess, NoticeReceiver], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The demo loaded once against the bank, at the configured interest rate: the centre funds the settlement
    account, and each refund's interest is paid from it (decision 0036)."""
    process, _ = bank
    directory = tmp_path_factory.mktemp("demo")
    result = load_demo(
        demo_engine, directory=directory / "demo", bank_url=process.url,
        bank_public_key=process.info()["public_key"], **demo_parts(directory),  # type: ignore[arg-type]
    )  # fmt: skip
    return result.report


@pytest.fixture(scope="module")
def adapter(bank: tuple[BankProcess, NoticeReceiver]) -> Iterator[HttpBankAdapter]:
    process, _ = bank
    with HttpBankAdapter.pinned(process.url, public_key=process.info()["public_key"], timeout=5) as pinned:
        yield pinned


def _works_lot_1(report: dict[str, Any]) -> dict[str, Any]:
    first = report["lots"][0]  # the works' lot 1, awarded and contracted; report["lots"][3] is procurement lot A
    assert first["procedure"] == "open"
    assert first["round"] == 1
    return dict(first)


def test_the_demo_lots_declare_deposits_within_two_percent_of_the_estimate_art_26(
    loaded: dict[str, Any], demo_engine: Engine
) -> None:
    works = _works_lot_1(loaded)
    assert works["deposit"]["required_fen"] == 30_000_000
    assert works["deposit"]["bid_validity_days"] == 90
    with unit_of_work(session_factory(demo_engine), read_only=True) as db:
        for lot in loaded["lots"]:
            tender = tendering.get_tender(db, lot["tender_id"])
            if lot["deposit"] is None:
                continue
            _, found = tendering.project_of(db, tender)
            assert tender.deposit_fen is not None
            assert tender.deposit_fen * 50 <= found.budget_fen, lot["code"]


def test_the_guarantee_meets_one_bidders_deposit_and_the_short_payer_is_flagged_in_the_opening_record(
    loaded: dict[str, Any], demo_engine: Engine
) -> None:
    works = _works_lot_1(loaded)
    statuses = {entry["bidder"]: entry for entry in works["deposit"]["at_opening"]}
    assert statuses[GUARANTEED]["status"] == "guarantee"
    assert statuses[GUARANTEED]["form"] == "电子保函"
    assert statuses[GUARANTEED]["sub_account"] is None  # the guarantee stands in the deposit's stead
    assert statuses[SHORT]["status"] == "short"
    assert statuses[SHORT]["paid_fen"] == 20_000_000
    assert sorted(entry["status"] for entry in statuses.values()) == ["guarantee", "met", "met", "met", "short"]
    with unit_of_work(session_factory(demo_engine), read_only=True) as db:
        tender = tendering.get_tender(db, works["tender_id"])
        record = opening.opening_view(db, tender, datetime.now(UTC))["record"]
    lines = {line["bidder"]: line for line in record["deposits"]["bids"]}
    assert (lines[GUARANTEED]["met"], lines[GUARANTEED]["form"]) == (True, "电子保函")
    assert (lines[SHORT]["met"], lines[SHORT]["shortfall"]) == (False, "below_requirement")


def test_every_losers_refund_is_executed_at_the_bank_on_the_award_notices_day_art_57(
    loaded: dict[str, Any], demo_engine: Engine, adapter: HttpBankAdapter
) -> None:
    awarded = [lot for lot in loaded["lots"] if lot["deposit"] and lot["deposit"]["refunds"]]
    assert awarded == [loaded["lots"][0], loaded["lots"][3]]  # the works' lot 1 and procurement lot A
    with unit_of_work(session_factory(demo_engine), read_only=True) as db:
        for lot in awarded:
            award = next(e for e in events_for(db, "tender", lot["tender_id"]) if e.action == "award.awarded")
            award_day = to_china_time(award.occurred_at).date()
            winner = int(json.loads(award.payload)["entity_id"])
            losers = db.scalars(
                select(RefundOrderRow).where(
                    RefundOrderRow.tender_id == lot["tender_id"], RefundOrderRow.entity_id != winner
                )
            ).all()
            assert len(losers) == (3 if lot is awarded[0] else 2)  # lot 1's guarantee needs no refund
            day = adapter.statement(award_day).lines
            for order in losers:
                assert order.status == "executed", order.reason
                # on the bank's statement of the award notice's day: the principal from the bidder's sub-account and,
                # under 招标投标法 (第57条), the interest from the centre's own funds (decision 0036)
                paid = [line for line in day if line.idempotency_key == order.idempotency_key]
                assert sorted(line.amount_fen for line in paid) == sorted(
                    amount for amount in (order.principal_fen, order.interest_fen) if amount
                )
                assert (order.interest_fen > 0) == (lot is awarded[0])  # 政府采购法实施条例 第33条 names no interest
                for line in paid:
                    assert line.direction is Direction.DEBIT
                    assert to_china_time(line.booked_at).date() == award_day
                    assert line.counterparty_account == order.to_account


def test_the_books_equal_the_bank_every_day_of_the_story(
    loaded: dict[str, Any], demo_engine: Engine, adapter: HttpBankAdapter
) -> None:
    today = to_china_time(datetime.now(UTC)).date()
    lines = 0
    with unit_of_work(session_factory(demo_engine), read_only=True) as db:
        for back in range(80, -1, -1):  # the rights trades come first, 75 days back (demo_rights, decision 0051)
            statement = adapter.statement(today - timedelta(days=back))
            found, matched, _, closing = reconciliation.compare(db, statement)
            assert found == [], (statement.day, found)
            lines += matched
    # the payments (lot 1: 4, one short; lot 3: 3; lot A: 3), the centre's own funds, lot A's 3 refunds, lot 1's 4
    # refunds each with its interest line; the rights trades' 4 payments and their 3 refunds, without interest
    assert lines == 10 + 1 + 3 + 4 * 2 + 4 + 3
    with unit_of_work(session_factory(demo_engine), read_only=True) as db:
        interest = sum(db.scalars(select(RefundOrderRow.interest_fen)))
    assert interest > 0
    # lot 3's deposits stay (it is being evaluated), the land buyer's deposit (7,200,000.00 yuan) is kept to be set
    # against its price (demo_rights, decision 0051), and what is left of the centre's own funds
    assert closing == 3 * 5_000_000 + 720_000_000 + CENTRE_FUNDS_FEN - interest


def test_the_banks_signed_notices_arrive_as_repeats_of_the_credits_the_demo_recorded(
    loaded: dict[str, Any], demo_engine: Engine, bank: tuple[BankProcess, NoticeReceiver], adapter: HttpBankAdapter
) -> None:
    _, receiver = bank
    received = receiver.wait_for(10)
    with unit_of_work(session_factory(demo_engine)) as db:
        for item in received:
            outcome = finance.record_credit(db, adapter.verify_notice(item.body, item.signature), now=datetime.now(UTC))
            assert outcome.repeated
        db.rollback()


def test_the_bank_has_its_own_time_back_when_the_story_ends(
    loaded: dict[str, Any], bank: tuple[BankProcess, NoticeReceiver]
) -> None:
    process, _ = bank
    clock = httpx.get(f"{process.url}/admin/clock", timeout=5).json()
    latest, now = datetime.fromisoformat(clock["latest_booked_at"]), datetime.fromisoformat(clock["now"])
    if latest > datetime.now(UTC):  # a holiday stretched the story past today: the bank runs on from its last line
        assert now >= latest
        return
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


def test_ggzy_demo_refuses_a_bank_whose_books_are_not_empty_exits_1_and_writes_nothing(
    loaded: dict[str, Any], fresh_engine: Engine, fresh_database_url: str, bank: tuple[BankProcess, NoticeReceiver],
    tmp_path: Path,
) -> None:  # fmt: skip
    """A new database and the bank of the demo loaded above (make run with an earlier run's ./bank-data): the
    sub-account references would be the earlier run's and the bank's clock cannot go back before its lines."""
    from typer.testing import CliRunner

    from ggzy.cli import app
    from ggzy.demo import has_data

    process, _ = bank
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
        patch.setenv("GGZY_DATABASE_URL", fresh_database_url)
        patch.setenv("GGZY_BANK_URL", process.url)
        patch.setenv("GGZY_BANK_PUBLIC_KEY", process.info()["public_key"])
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["demo"])
        finally:
            patch.undo()
            get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "holds books already" in result.output
    assert not has_data(fresh_engine)
    assert not (tmp_path / "var" / "demo").exists()


def test_the_demo_loads_with_no_bank_its_lots_still_require_deposits(fresh_engine: Engine, tmp_path: Path) -> None:
    report = load_demo(fresh_engine, directory=tmp_path / "demo", **demo_parts(tmp_path)).report  # type: ignore[arg-type]
    assert report["bank"]["connected"] is False
    assert "skipped" in report["bank"]["note"]
    works = _works_lot_1(report)
    statuses = sorted(entry["status"] for entry in works["deposit"]["at_opening"])
    assert statuses == ["guarantee", "nothing_paid", "nothing_paid", "nothing_paid", "nothing_paid"]
    assert works["deposit"]["refunds"] == []
    assert works["stages"][-1] == "contracted"
