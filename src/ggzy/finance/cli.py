"""``ggzy finance``: the finance worker and the reconciliation from a shell (decision 0031)."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.console import Console

finance_app = typer.Typer(help="The books and the bank: the worker, the reconciliation", no_args_is_help=True)
console = Console()


def _connected():  # type: ignore[no-untyped-def]
    """The configured database (migrated), the bank's adapter, the ledger's after-commit hook and the clock."""
    from ggzy.config import get_settings
    from ggzy.core.clock import SystemClock
    from ggzy.core.migrate import migrated_engine
    from ggzy.finance.bank.http_adapter import adapter_from_settings
    from ggzy.ledger.service import after_commit_hook, load_ledger_keys
    from ggzy.wiring import install_domains, session_factory

    install_domains()
    settings = get_settings()
    try:
        adapter = adapter_from_settings(settings)
    except ValueError as error:
        console.print(f"[bold red]{error}[/bold red]", soft_wrap=True)
        raise typer.Exit(2) from None
    if adapter is None:
        console.print("[bold red]GGZY_BANK_URL is not set: no bank to work with[/bold red]")
        raise typer.Exit(2)
    clock = SystemClock()
    cadence = timedelta(seconds=settings.ledger_checkpoint_seconds)
    after_commit = after_commit_hook(load_ledger_keys(settings), clock, min_interval=cadence)
    return session_factory(migrated_engine(settings)), adapter, after_commit, clock, settings


@finance_app.command("work")
def work(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit (1 if the bank did not answer)")] = False,
) -> None:
    """Open the sub-accounts asked for and send the refund orders to the bank, recording each answer; a pass every
    GGZY_BANK_WORKER_SECONDS until interrupted (or one with --once). One JSON line per pass that did something."""
    from ggzy.finance.worker import FinanceWorker, PassReport, run_forever

    factory, adapter, after_commit, clock, settings = _connected()
    worker = FinanceWorker(factory, adapter, clock, after_commit=after_commit)
    if once:
        report = worker.work_once()
        console.print(json.dumps(report.as_dict(), ensure_ascii=False), soft_wrap=True)
        raise typer.Exit(1 if report.unavailable else 0)

    def said(report: PassReport) -> None:
        if report.opened or report.sent or report.answered or report.unavailable or report.refused:
            console.print(json.dumps(report.as_dict(), ensure_ascii=False), soft_wrap=True)

    stop = threading.Event()
    try:
        run_forever(lambda: worker, period=settings.bank_worker_seconds, stop=stop, on_pass=said)
    except KeyboardInterrupt:
        stop.set()


@finance_app.command("reconcile")
def reconcile(
    day: Annotated[str, typer.Option("--day", help="The China Standard Time day of the statement, YYYY-MM-DD")],
) -> None:
    """Fetch the bank's statement of the day and compare it with the books: each difference an alert for the centre
    (never corrected here), the run recorded. Exit 1 when differences were found."""
    from ggzy.finance.bank.protocol import BankUnavailable
    from ggzy.finance.reconciliation import fetch_and_reconcile

    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        console.print(f"[bold red]--day {day!r} is not YYYY-MM-DD[/bold red]")
        raise typer.Exit(2) from None
    factory, adapter, after_commit, clock, _ = _connected()
    try:
        run = fetch_and_reconcile(factory, adapter, wanted, now=clock.now(), after_commit=after_commit)
    except BankUnavailable as error:
        console.print(f"[bold red]{error.detail_en}[/bold red]", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(
        f"reconciliation {run.id} of {run.day}: {run.statement_lines} statement lines, {run.matched_lines} matched, "
        f"{run.differences} differences (bank {run.bank_opening_fen} → {run.bank_closing_fen} 分, books "
        f"{run.books_opening_fen} → {run.books_closing_fen} 分)",
        soft_wrap=True,
    )
    raise typer.Exit(1 if run.differences else 0)
