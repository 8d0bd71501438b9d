"""``ggzy bank``: the bank simulator, run as its own process beside the platform (``make run`` starts one)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

bank_app = typer.Typer(help="The bank simulator the platform's bank adapter talks to (银企直连, simulated)",
                       no_args_is_help=True)  # fmt: skip
console = Console()


@bank_app.command("serve")
def bank_serve(
    directory: Annotated[Path, typer.Option("--dir", help="The bank's own storage: its key and its database")],
    notify_url: Annotated[
        str | None, typer.Option(help="Where credit notices are pushed (POST, signed); unset: they wait, queued")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8003,
    retry_seconds: Annotated[
        float, typer.Option(help="First wait before a notice that was not acknowledged is sent again (doubles)")
    ] = 0.5,
    max_retry_seconds: Annotated[float, typer.Option(help="Longest wait between two deliveries of a notice")] = 30.0,
) -> None:
    """Run the bank simulator: sub-accounts, refund orders with idempotency keys, daily statements, a teller that
    books payers' transfers and pushes signed notices, and faults on demand (POST /admin/faults; see
    ggzy.finance.bank.simulator_server). Its state survives restarts; its key is made at the first start."""
    import logging

    import uvicorn

    from ggzy.finance.bank.simulator import BankBooks
    from ggzy.finance.bank.simulator_server import create_bank_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s bank %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the notifier's warnings say what matters, once per attempt
    try:
        books = BankBooks(directory)
    except (OSError, ValueError) as error:
        console.print(f"[bold red]{error}[/bold red]", soft_wrap=True)
        raise typer.Exit(1) from None
    application = create_bank_app(
        books, notify_url=notify_url, retry_seconds=retry_seconds, max_retry_seconds=max_retry_seconds
    )
    console.print(
        f"bank simulator on http://{host}:{port} — settlement account {books.settlement_account} — key "
        f"{books.public_key} — notices to {notify_url or '(nowhere yet: queued)'}",
        soft_wrap=True,
    )
    uvicorn.run(application, host=host, port=port, log_level="warning")


@bank_app.command("pay")
def bank_pay(
    sub_account: Annotated[str, typer.Option(help="The sub-account (子账号) to pay into")],
    amount_fen: Annotated[int, typer.Option(help="The amount in 分 (¥1 = 100)", min=1)],
    payer_account: Annotated[str, typer.Option(help="The payer's account number")],
    payer_name: Annotated[str, typer.Option(help="The payer's account name")],
    payer_bank: Annotated[str, typer.Option(help="The payer's bank")] = "中国工商银行",
    url: Annotated[str, typer.Option(help="The bank simulator")] = "http://127.0.0.1:8003",
) -> None:
    """A payer's transfer into a sub-account, at the simulator's teller: the bank books it and notifies the platform
    (signed), as a bidder paying its deposit would cause."""
    import httpx

    from ggzy.core.money import format_yuan

    body = {"sub_account": sub_account, "amount_fen": amount_fen, "payer_account": payer_account,
            "payer_name": payer_name, "payer_bank": payer_bank}  # fmt: skip
    try:
        answer = httpx.post(f"{url.rstrip('/')}/teller/transfers", json=body, timeout=10)
    except httpx.HTTPError as error:
        console.print(f"[bold red]the bank simulator at {url} did not answer: {error}[/bold red]", soft_wrap=True)
        raise typer.Exit(1) from None
    if not answer.is_success:
        console.print(f"[bold red]refused ({answer.status_code}): {answer.text}[/bold red]", soft_wrap=True)
        raise typer.Exit(1)
    booked = answer.json()
    console.print(
        f"booked {booked['bank_txn_id']} at {booked['booked_at']}: {format_yuan(amount_fen)} 元 into {sub_account}"
    )
