"""``ggzy ledger …`` for operators and inspectors, and ``ggzy witness …`` for independent witnesses."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from ggzy.core.db import unit_of_work

ledger_app = typer.Typer(help="The tamper-evident ledger (Merkle log, checkpoints, proofs)", no_args_is_help=True)
witness_app = typer.Typer(
    help="Run an independent witness that cosigns the platform's checkpoints", no_args_is_help=True
)
console = Console()


def platform_database_and_keys():  # type: ignore[no-untyped-def]
    """The configured database and the platform's ledger keys."""
    from ggzy.config import get_settings
    from ggzy.core.migrate import migrated_engine
    from ggzy.wiring import session_factory

    return session_factory(migrated_engine(get_settings())), _keys()


def _keys():  # type: ignore[no-untyped-def]
    from ggzy.config import get_settings
    from ggzy.ledger.keys import LedgerKeyFileError, load_ledger_keys

    try:
        return load_ledger_keys(get_settings())
    except LedgerKeyFileError as error:
        console.print(f"[bold red]{error}[/bold red]")
        raise typer.Exit(EXIT_CANNOT_RUN) from None


# `ggzy ledger verify` exit codes (docs/ledger.md): a script can tell "checked against a witness" from "only
# self-consistent", which a file-level attacker holding the signing keys could forge.
EXIT_VERIFIED = 0
EXIT_DAMAGED = 1
EXIT_CANNOT_RUN = 2  # bad options or settings (the command line's own usage errors exit 2 as well)
EXIT_SELF_CONSISTENT_ONLY = 3  # also: entries beyond every witness's checkpoint for longer than the grace
MIN_GRACE_SECONDS = 30.0  # a witness is fed at the checkpoint cadence; it may lag a few beats, not more
GRACE_CADENCES = 5


@ledger_app.command()
def verify(
    witness: Annotated[
        list[str] | None,
        typer.Option(help="A witness's base URL to compare with (repeatable; default GGZY_LEDGER_WITNESS_URLS)"),
    ] = None,
    witness_checkpoint: Annotated[
        list[Path] | None,
        typer.Option(help="A checkpoint file a witness exported (`ggzy witness latest`), repeatable"),
    ] = None,
    witness_key: Annotated[
        list[str] | None,
        typer.Option(help="Pin a witness's verifier key (repeatable); otherwise a URL witness is asked for its key"),
    ] = None,
    grace_seconds: Annotated[
        float | None,
        typer.Option(
            help="How long entries may wait for a witness's checkpoint before they count as not witnessed (default: "
            f"{GRACE_CADENCES} checkpoint cadences, at least {MIN_GRACE_SECONDS:g} s)",
            min=0,
        ),
    ] = None,
) -> None:
    """Recompute every leaf and the whole tree; check every checkpoint and cosignature; then compare with the newest
    checkpoint each witness holds. Exit 0: verified against a witness (up to the last few seconds' entries); 3: only
    self-consistent (no witness could be consulted, or entries older than the grace are beyond every witness's
    checkpoint); 1: damaged or rewritten; 2: could not run (options, settings)."""
    from datetime import UTC, datetime

    from ggzy.config import get_settings
    from ggzy.ledger.note import parse_verifier_key
    from ggzy.ledger.verify import (
        LedgerDamaged,
        check_against_witness,
        cosigned_before,
        first_unwitnessed,
        verify_ledger,
    )
    from ggzy.ledger.witnessing import WitnessClient, WitnessUnavailable

    factory, keys = platform_database_and_keys()
    if keys.custody_warning:
        console.print(f"[bold yellow]WARNING[/bold yellow]: {keys.custody_warning}", soft_wrap=True)
    with unit_of_work(factory, read_only=True) as db, Progress(console=console, transient=True) as progress:
        task = progress.add_task("verifying the ledger", total=None)
        try:
            report = verify_ledger(
                db, keys.verifiers, progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
        except LedgerDamaged as error:
            console.print(f"[bold red]LEDGER DAMAGED[/bold red]: {error}")
            raise typer.Exit(EXIT_DAMAGED) from None
    console.print(
        f"[green]ledger self-consistent[/green]: {report.entries} entries, {report.checkpoints} checkpoints, "
        f"{report.cosignatures} cosignatures; root {report.root_hex or '(empty)'}"
    )
    pinned = [parse_verifier_key(key) for key in witness_key or []]
    sources: list[tuple[str, str, list]] = []  # (where, checkpoint note, trusted witness keys)
    unreachable: list[str] = []
    for url in witness if witness is not None else get_settings().witness_urls:
        client = WitnessClient(url)
        try:
            keys_of_witness = pinned or [parse_verifier_key(str(client.info()["verifier_key"]))]
            sources.append((url, client.held_checkpoint(), keys_of_witness))
        except WitnessUnavailable as error:
            unreachable.append(str(error))
    for path in witness_checkpoint or []:
        if not pinned:
            console.print(f"[bold red]--witness-key is needed to trust the checkpoint file {path}[/bold red]")
            raise typer.Exit(EXIT_CANNOT_RUN)
        sources.append((str(path), path.read_text(), pinned))
    agreed, witnessed = 0, 0
    for where, note, trusted in sources:
        with unit_of_work(factory, read_only=True) as db:
            before = cosigned_before(db, trusted)
        try:
            agreement = check_against_witness(
                report, note, platform=keys.verifiers, witnesses=trusted, cosigned_before=before
            )
        except LedgerDamaged as error:
            label = "WITNESS FORGOT" if "forgot" in str(error) else "LEDGER REWRITTEN"
            console.print(f"[bold red]{label}[/bold red] (compared with the witness at {where}): {error}")
            raise typer.Exit(EXIT_DAMAGED) from None
        agreed += 1
        witnessed = max(witnessed, agreement.size)
        console.print(
            f"[green]consistent with witness {agreement.witness}[/green] ({where}): it holds the checkpoint of size "
            f"{agreement.size}; the ledger has {agreement.tree_size} entries"
            + (
                ""
                if agreement.size == agreement.tree_size
                else f" (the last {agreement.tree_size - agreement.size} not yet cosigned: only self-consistent)"
            )
        )
    for trouble in unreachable:
        console.print(f"[yellow]{trouble}[/yellow]")
    if not agreed:
        console.print(
            "[bold yellow]ONLY SELF-CONSISTENT[/bold yellow]: no witness was consulted"
            + (" (none could be reached)" if unreachable else " (none configured: GGZY_LEDGER_WITNESS_URLS, --witness)")
            + ". The events, the tree and the checkpoints agree with each other, but someone holding the data files "
            "and the signing keys could have rewritten history and re-signed it; only a witness can tell.",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_SELF_CONSISTENT_ONLY)
    if witnessed < report.entries:
        grace = grace_seconds
        if grace is None:
            grace = max(MIN_GRACE_SECONDS, GRACE_CADENCES * get_settings().ledger_checkpoint_seconds)
        with unit_of_work(factory, read_only=True) as db:
            since = first_unwitnessed(db, witnessed)
        waited = (datetime.now(UTC) - since).total_seconds() if since else 0.0
        if waited > grace:
            console.print(
                f"[bold yellow]NOT WITNESSED[/bold yellow]: entries {witnessed} to {report.entries - 1} "
                f"({report.entries - witnessed} entries, the first recorded {since:%Y-%m-%d %H:%M:%S} UTC, "
                f"{waited:.0f} s ago) are beyond the newest checkpoint any witness holds (size {witnessed}), longer "
                f"than the grace of {grace:g} s: the witness is behind. The entries up to {witnessed} are verified "
                "against a witness; those after it are ONLY SELF-CONSISTENT — someone holding the data files and the "
                "signing keys could have rewritten them.",
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_SELF_CONSISTENT_ONLY)
    console.print("[bold green]ledger verified against a witness[/bold green]")


@ledger_app.command()
def integrate() -> None:
    """Integrate numbered events into the tree and publish a checkpoint (catch up after a crash)."""
    from ggzy.core.clock import SystemClock
    from ggzy.ledger.service import catch_up

    factory, keys = platform_database_and_keys()
    size = catch_up(factory, keys, SystemClock())
    console.print(f"tree size {size}")


@ledger_app.command()
def keys() -> None:
    """Print the platform's checkpoint verifier keys (give them to witnesses and verifiers)."""
    for key in _keys().verifier_keys:
        typer.echo(key)


@ledger_app.command()
def keygen(
    out: Annotated[
        Path, typer.Option(help="Where to write the signing keys (must not exist); then set GGZY_LEDGER_KEY_FILE")
    ],
) -> None:
    """Create the checkpoint signing keys in a file of their own, outside the data directory."""
    from ggzy.config import get_settings
    from ggzy.ledger.keys import LedgerKeys, token_key, token_settings
    from ggzy.ledger.pkcs11 import Pkcs11Error, generate_token_key

    if out.exists():
        console.print(f"[bold red]{out} exists; keys are never overwritten[/bold red]")
        raise typer.Exit(1)
    settings = get_settings()
    token = token_settings(settings)
    if token is not None:  # the Ed25519 key is made in the token and never leaves it; the file gets the SM2 key
        try:
            generate_token_key(token)
        except Pkcs11Error as error:
            console.print(f"[bold red]{error}[/bold red]")
            raise typer.Exit(1) from None
        console.print(f"Ed25519 key generated in {token.describe()}")
    created = LedgerKeys.create_file(
        out, settings.ledger_origin, ed25519_key=token_key(token) if token is not None else None
    )
    console.print(
        f"{'SM2 key' if token else 'checkpoint keys'} written to {out} (mode 0600); set GGZY_LEDGER_KEY_FILE={out}"
    )
    for key in created.verifier_keys:
        typer.echo(key)


@ledger_app.command("verify-evidence")
def verify_evidence_command(
    file: Annotated[Path, typer.Argument(help="An evidence package from `ggzy ledger export`")],
    key: Annotated[list[str] | None, typer.Option(help="Pin the platform's verifier key (repeatable)")] = None,
) -> None:
    """Check an evidence package offline, with no database."""
    from ggzy.ledger.verify import LedgerDamaged, verify_evidence

    try:
        result = verify_evidence(json.loads(file.read_text()), trusted_keys=key or None)
    except (LedgerDamaged, KeyError, ValueError) as error:
        console.print(f"[bold red]EVIDENCE REJECTED[/bold red]: {error}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]evidence verified[/green]: {result['entries']} entries included in the tree of {result['tree_size']}"
        + (f", cosigned by {', '.join(result['cosigned_by'])}" if result["cosigned_by"] else "")
    )


@witness_app.command("keygen")
def witness_keygen(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. witness.supervision.example")],
    key: Annotated[Path, typer.Option(help="Where to write the private key")],
) -> None:
    """Create a witness key; prints the verifier key to register with the platform."""
    from ggzy.ledger.witness import create_witness_key

    console.print(create_witness_key(key, name), soft_wrap=True)


@witness_app.command("run")
def witness_run(
    url: Annotated[str, typer.Option(help="The platform's API, e.g. http://127.0.0.1:8000/api/v1")],
    name: Annotated[str, typer.Option(help="The witness's name")],
    key: Annotated[Path, typer.Option(help="The witness's private key")],
    platform_key: Annotated[list[str], typer.Option(help="The platform's verifier key (repeat for each)")],
    state: Annotated[Path, typer.Option(help="Where the witness remembers what it cosigned")],
    interval: Annotated[float, typer.Option(help="Seconds between rounds; 0 runs one round")] = 0,
) -> None:
    """Verify and cosign the platform's newest checkpoint, once or every INTERVAL seconds."""
    from ggzy.ledger.note import CosignatureSigner
    from ggzy.ledger.witness import WitnessRefusal, http_transport, load_witness_key, witness_once

    signer = CosignatureSigner(name, load_witness_key(key))
    fetch, post = http_transport(url)
    while True:
        try:
            result = witness_once(fetch=fetch, post=post, signer=signer, platform_keys=platform_key, state_file=state)
        except WitnessRefusal as error:
            console.print(f"[bold red]WITNESS REFUSES[/bold red]: {error}")
            raise typer.Exit(2) from None
        verb = "cosigned" if result.cosigned else "already cosigned"
        console.print(f"{verb} size {result.size} root {result.root_hex}")
        if interval <= 0:
            return
        time.sleep(interval)


@witness_app.command("serve")
def witness_serve(
    directory: Annotated[Path, typer.Option("--dir", help="The witness's own storage: its key and checkpoints")],
    platform_key: Annotated[list[str], typer.Option(help="The platform's verifier key (repeat for each)")],
    name: Annotated[str | None, typer.Option(help="The witness's name (fixed at the first start)")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8001,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Re-initialise: forget the checkpoint held and pin the platform keys given now (keeps the witness's "
            "key and name; the reset is recorded and shown at GET /info). Only after checking why it is needed.",
        ),
    ] = False,
) -> None:
    """Run a witness the platform sends its checkpoints to (tlog-witness): it checks each against the newest it
    holds, cosigns, keeps it, and refuses a rewritten history. It pins the platform's keys at its first start and
    refuses to start with others, or with its record lost, unless --reset."""
    import logging

    import uvicorn

    from ggzy.ledger.witness_server import WitnessStore, create_witness_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s witness %(levelname)s %(message)s")
    try:
        store = WitnessStore(directory, platform_keys=platform_key, name=name, reset=reset)
        held = store.held()
    except ValueError as error:
        console.print(f"[bold red]{error}[/bold red]", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(
        f"witness {store.name} of {store.origin} on http://{host}:{port} — key {store.verifier_key} — holds "
        + (f"size {held.checkpoint.size}" if held else "no checkpoint yet"),
        soft_wrap=True,
    )
    uvicorn.run(create_witness_app(store), host=host, port=port, log_level="warning")


@witness_app.command("latest")
def witness_latest(
    directory: Annotated[Path, typer.Option("--dir", help="The witness's storage")],
    platform_key: Annotated[list[str], typer.Option(help="The platform's verifier key (repeat for each)")],
) -> None:
    """Print the newest checkpoint the witness cosigned (for `ggzy ledger verify --witness-checkpoint FILE`)."""
    from ggzy.ledger.witness_server import WitnessStore

    try:
        held = WitnessStore(directory, platform_keys=platform_key).held()
    except ValueError as error:
        console.print(f"[bold red]{error}[/bold red]", soft_wrap=True)
        raise typer.Exit(1) from None
    if held is None:
        console.print("[yellow]this witness has cosigned no checkpoint yet[/yellow]")
        raise typer.Exit(1)
    typer.echo(held.note, nl=False)
