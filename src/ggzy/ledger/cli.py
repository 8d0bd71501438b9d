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


def _platform():  # type: ignore[no-untyped-def]
    """The configured database and the platform's ledger keys."""
    from ggzy.cli import _migrated_engine
    from ggzy.config import get_settings
    from ggzy.core.db import make_session_factory
    from ggzy.ledger.service import LedgerKeys

    settings = get_settings()
    keys = LedgerKeys.load_or_create(Path(settings.data_dir), settings.ledger_origin)
    return make_session_factory(_migrated_engine()), keys


@ledger_app.command()
def verify() -> None:
    """Recompute every leaf from the events and the whole tree; check every checkpoint and cosignature."""
    from ggzy.ledger.verify import LedgerDamaged, verify_ledger

    factory, keys = _platform()
    with unit_of_work(factory, read_only=True) as db, Progress(console=console, transient=True) as progress:
        task = progress.add_task("verifying the ledger", total=None)
        try:
            report = verify_ledger(
                db, keys.verifiers, progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
        except LedgerDamaged as error:
            console.print(f"[bold red]LEDGER DAMAGED[/bold red]: {error}")
            raise typer.Exit(1) from None
    console.print(
        f"[green]ledger verified[/green]: {report.entries} entries, {report.checkpoints} checkpoints, "
        f"{report.cosignatures} cosignatures; root {report.root_hex or '(empty)'}"
    )


@ledger_app.command()
def integrate() -> None:
    """Integrate numbered events into the tree and publish a checkpoint (catch up after a crash)."""
    from ggzy.core.clock import SystemClock
    from ggzy.ledger.service import catch_up

    factory, keys = _platform()
    size = catch_up(factory, keys, SystemClock())
    console.print(f"tree size {size}")


@ledger_app.command()
def keys() -> None:
    """Print the platform's checkpoint verifier keys (give them to witnesses and verifiers)."""
    _, ledger_keys = _platform()
    for key in ledger_keys.verifier_keys:
        console.print(key, soft_wrap=True)


@ledger_app.command()
def export(
    project: Annotated[str, typer.Option(help="Unified project code")],
    out: Annotated[Path, typer.Option(help="Evidence package to write (JSON)")],
) -> None:
    """Write a project's evidence package: its events, their proofs, a cosigned checkpoint, the public keys."""
    from sqlalchemy import select

    from ggzy.ledger.verify import export_evidence
    from ggzy.projects.models import Project

    factory, ledger_keys = _platform()
    with unit_of_work(factory, read_only=True) as db:
        project_id = db.scalar(select(Project.id).where(Project.code == project.upper()))
        if project_id is None:
            console.print(f"[red]no project {project}[/red]")
            raise typer.Exit(1)
        package = export_evidence(
            db, subject_type="project", subject_ids=[str(project_id)], verifier_keys=ledger_keys.verifier_keys
        )
    out.write_text(json.dumps(package, ensure_ascii=False, indent=2))
    console.print(f"{len(package['entries'])} entries written to {out}")


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
