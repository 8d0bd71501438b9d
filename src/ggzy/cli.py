"""The ``ggzy`` command line: serve, migrate, run a demo CA, load demo data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ggzy.config import get_settings
from ggzy.core.migrate import migrated_engine

app = typer.Typer(
    help="ggzy — 公共资源交易平台 (public resource trading platform)",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="The database", no_args_is_help=True)
app.add_typer(db_app, name="db")
calendar_app = typer.Typer(help="The working-day calendar (Chinese public holidays)", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
trust_app = typer.Typer(help="The CAs the platform trusts and their revocation lists", no_args_is_help=True)
app.add_typer(trust_app, name="trust")
console = Console()


def _ca_app() -> typer.Typer:
    from ggzy.crypto.cli import ca_app

    return ca_app


app.add_typer(_ca_app(), name="ca", help="A small certificate authority of either suite, for demos and tests")


def _ledger_apps() -> tuple[typer.Typer, typer.Typer]:
    from ggzy.ledger.cli import ledger_app, witness_app

    return ledger_app, witness_app


app.add_typer(_ledger_apps()[0], name="ledger")
app.add_typer(_ledger_apps()[1], name="witness")


# `ggzy ledger export` joins two domains (a project's code, the ledger's proofs), so it is composed here, at the root,
# rather than in ledger/cli.py: the ledger sits below projects (DESIGN §3) and must not look projects up itself.
@_ledger_apps()[0].command()
def export(
    project: Annotated[str, typer.Option(help="Unified project code")],
    out: Annotated[Path, typer.Option(help="Evidence package to write (JSON)")],
) -> None:
    """Write a project's evidence package: its events, their proofs, a cosigned checkpoint, the public keys."""
    from ggzy.core.db import unit_of_work
    from ggzy.ledger.cli import platform_database_and_keys
    from ggzy.ledger.verify import export_evidence
    from ggzy.projects.service import project_id_of_code

    factory, ledger_keys = platform_database_and_keys()
    with unit_of_work(factory, read_only=True) as db:
        project_id = project_id_of_code(db, project)
        if project_id is None:
            console.print(f"[red]no project {project}[/red]")
            raise typer.Exit(1)
        package = export_evidence(
            db, subject_type="project", subject_ids=[str(project_id)], verifier_keys=ledger_keys.verifier_keys
        )
    out.write_text(json.dumps(package, ensure_ascii=False, indent=2))
    console.print(f"{len(package['entries'])} entries written to {out}")


def _bid_app() -> typer.Typer:
    from ggzy.bidclient_cli import bid_app

    return bid_app


app.add_typer(_bid_app(), name="bid")


def _assistant_app() -> typer.Typer:
    from ggzy.assistant.cli import assistant_app

    return assistant_app


app.add_typer(_assistant_app(), name="assistant")


def _bank_app() -> typer.Typer:
    from ggzy.finance.bank.cli import bank_app

    return bank_app


app.add_typer(_bank_app(), name="bank")


def _finance_app() -> typer.Typer:
    from ggzy.finance.cli import finance_app

    return finance_app


app.add_typer(_finance_app(), name="finance")


def _storage_app() -> typer.Typer:
    from ggzy.storage.cli import storage_app

    return storage_app


app.add_typer(_storage_app(), name="storage")


def _documents_app() -> typer.Typer:
    from ggzy.documents.cli import documents_app

    return documents_app


app.add_typer(_documents_app(), name="documents")


def _admin_app() -> typer.Typer:
    from ggzy.admin_cli import admin_app

    return admin_app


app.add_typer(_admin_app(), name="admin")


def _migrated_engine() -> Engine:
    """The configured database, migrated to the newest schema (the data directory is created if needed)."""
    from ggzy.wiring import install_domains

    install_domains()
    return migrated_engine(get_settings())


@contextmanager
def _command_transaction() -> Iterator[Session]:
    """One command, one transaction; what it records goes into the ledger's tree right after the commit."""
    from ggzy.core.clock import SystemClock
    from ggzy.core.db import unit_of_work
    from ggzy.ledger.service import after_commit_hook, load_ledger_keys
    from ggzy.wiring import session_factory

    keys = load_ledger_keys(get_settings())
    after_commit = after_commit_hook(keys, SystemClock(), min_interval=timedelta(0))
    with unit_of_work(session_factory(_migrated_engine()), after_commit=after_commit) as db:
        yield db


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (creates the embedded SQLite database under ./var/ if needed)."""
    engine = _migrated_engine()
    console.print(f"[green]database is up to date[/green] ({engine.url.render_as_string(hide_password=True)})")


@calendar_app.command("load")
def calendar_load(
    schedule_file: Annotated[Path, typer.Argument(help="JSON: {year, holidays: [...], workdays: [...], source}")],
) -> None:
    """Load (or replace) one year's holiday schedule, as the State Council publishes it."""
    from ggzy.core.calendar import parse_year_schedule
    from ggzy.core.calendar_store import load_calendar_year
    from ggzy.core.clock import SystemClock
    from ggzy.core.permissions import SYSTEM

    schedule = parse_year_schedule(schedule_file.read_bytes())
    with _command_transaction() as db:
        load_calendar_year(db, SYSTEM, schedule=schedule, now=SystemClock().now())
    console.print(
        f"[green]loaded {schedule.year}[/green]: {len(schedule.holidays)} holidays, "
        f"{len(schedule.workdays)} swapped working days"
    )


@calendar_app.command("years")
def calendar_years() -> None:
    """The years whose holiday schedule the platform knows."""
    from ggzy.core.calendar_store import working_day_calendar
    from ggzy.wiring import session_factory

    with session_factory(_migrated_engine())() as db:
        years = sorted(working_day_calendar(db).known_years)
    console.print(f"{years[0]}–{years[-1]}" + ("" if len(years) == years[-1] - years[0] + 1 else f" ({years})"))


def _load_crl(crl_pem: str) -> dict[str, Any]:
    """Load a CRL into the platform in one transaction: the sessions of every certificate it revokes end at once."""
    from sqlalchemy import select

    from ggzy.core.clock import SystemClock
    from ggzy.core.events import Event
    from ggzy.core.permissions import SYSTEM
    from ggzy.entities.login import add_revocation_list

    with _command_transaction() as db:
        add_revocation_list(db, SYSTEM, crl_pem=crl_pem, now=SystemClock().now())
        event = db.scalars(select(Event).where(Event.action == "trust.crl_added").order_by(Event.id.desc())).first()
        assert event is not None
        return dict(json.loads(event.payload))


def _print_crl_effects(effects: dict[str, Any]) -> None:
    revoked = effects.get("certificates_revoked") or []
    console.print(
        f"[green]CRL loaded[/green] (revocation list {effects['revocation_list_id']}): "
        f"{len(revoked)} certificate(s) newly revoked, {effects['sessions_ended']} session(s) ended, "
        f"{effects['bindings_suspended']} enrolled role binding(s) suspended"
    )
    for fingerprint in revoked:
        console.print(f"  revoked {fingerprint}")


@trust_app.command("load-crl")
def trust_load_crl(
    crl_file: Annotated[Path, typer.Argument(help="A CRL (PEM) signed by a CA the platform trusts")],
) -> None:
    """Load a CRL: every session opened with a certificate it revokes ends at once (decision 0013)."""
    _print_crl_effects(_load_crl(crl_file.read_text(encoding="ascii")))


@trust_app.command("revoke")
def trust_revoke(
    directory: Annotated[Path, typer.Option("--dir", help="The demo CA's directory")],
    serial: Annotated[int, typer.Option("--serial", help="The certificate's serial number")],
) -> None:
    """Revoke a certificate at the demo CA (``ggzy ca revoke``), publish its CRL and load it into the platform."""
    from ggzy.core.clock import SystemClock
    from ggzy.crypto import current_crl, revoke

    now = SystemClock().now()
    revoke(directory, serial, now=now)
    _print_crl_effects(_load_crl(current_crl(directory, now=now).decode("ascii")))


@app.command()
def demo(
    directory: Annotated[Path | None, typer.Option(help="Where to write the demo CAs, keys and certificates")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: the lots and their stages")] = False,
) -> None:
    """Load demo data: centres, entities with GM and INTL certificates, users, a project, and its tender story."""
    from ggzy.core.clock import SystemClock
    from ggzy.demo import DatabaseNotEmpty, mark_old_demo_at_start
    from ggzy.wiring import session_factory

    engine = _migrated_engine()
    # a demo loaded before demo instances were marked is a demo instance, "already loaded", not a refusal
    data_dir = Path(get_settings().data_dir)
    mark_old_demo_at_start(session_factory(engine), data_dir=data_dir, now=SystemClock().now())
    from ggzy.demo_deposits import DemoBankError

    try:
        result = _load_demo(engine, directory, quiet=as_json)
    except (DatabaseNotEmpty, DemoBankError) as refused:
        Console(stderr=True).print(f"[red]demo not loaded: {refused}[/red]", soft_wrap=True)
        raise typer.Exit(code=1) from None
    _integrate_ledger(engine)
    if as_json:
        typer.echo(json.dumps(result.report, ensure_ascii=False))
    else:
        console.print(result.table)


def _load_demo(engine: Engine, directory: Path | None, *, quiet: bool = False):  # type: ignore[no-untyped-def]
    from ggzy.demo import load_demo
    from ggzy.ledger.service import load_ledger_keys
    from ggzy.storage import blob_store_for

    settings = get_settings()
    return load_demo(
        engine,
        directory=directory or Path(settings.data_dir) / "demo",
        store=blob_store_for(settings),
        ledger_keys=load_ledger_keys(settings),
        console=Console(quiet=True) if quiet else console,
        bank_url=settings.bank_url or None,
        bank_public_key=settings.bank_public_key or None,
    )


def _integrate_ledger(engine: Engine) -> None:
    """Put what a command recorded into the ledger's tree and checkpoint it."""
    from ggzy.core.clock import SystemClock
    from ggzy.ledger.service import catch_up, load_ledger_keys
    from ggzy.wiring import session_factory

    keys = load_ledger_keys(get_settings())
    catch_up(session_factory(engine), keys, SystemClock())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data into an empty database (make run)")] = False,
) -> None:
    """Migrate and serve the platform; with --demo, load the demo data first into an empty database."""
    import uvicorn

    from ggzy.admin_cli import FIRST_ADMIN_HINT, has_platform_admin
    from ggzy.core.clock import SystemClock
    from ggzy.core.instance import DemoMark
    from ggzy.demo import DatabaseNotEmpty, database_contents, mark_old_demo_at_start
    from ggzy.demo_deposits import DemoBankError
    from ggzy.wiring import session_factory

    settings = get_settings()
    engine = _migrated_engine()
    factory = session_factory(engine)
    # A demo loaded before demo instances were marked is marked first (the app's start does it too, for servers
    # started otherwise), so that --demo on it finds a demo instance rather than a database that is not empty.
    mark_old_demo_at_start(factory, data_dir=Path(settings.data_dir), now=SystemClock().now())
    if demo or settings.demo_on_first_start:
        if DemoMark()(factory):
            console.print("[cyan]a demo instance: the demo data is loaded already[/cyan]")
        else:
            try:
                if holds := database_contents(engine):
                    raise DatabaseNotEmpty(holds)
                console.print("[cyan]loading demo data (a demo instance: its passwords and CA keys are public)[/cyan]")
                console.print(_load_demo(engine, None).table)
            except DatabaseNotEmpty as refused:  # load_demo checks again, in its own transaction
                console.print(f"[yellow]demo not loaded: {refused}[/yellow]", soft_wrap=True)
            except DemoBankError as refused:  # decision 0039: nothing was written; the bank's books are the reason
                console.print(f"[bold red]demo not loaded: {refused}[/bold red]", soft_wrap=True)
                raise typer.Exit(code=1) from None
    if not has_platform_admin(engine):
        hint = f"no platform administrator yet: create the first with `{FIRST_ADMIN_HINT}` (it asks for the password)"
        console.print(f"[yellow]{hint}[/yellow]", soft_wrap=True)
    _integrate_ledger(engine)
    engine.dispose()
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"ggzy on http://{bind_host}:{bind_port}  (API docs: http://{bind_host}:{bind_port}/docs)")
    uvicorn.run(
        "ggzy.app:serve_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
    )
