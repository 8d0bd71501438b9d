"""``ggzy storage``: the blob store's maintenance (the main CLI mounts :data:`storage_app`).

This is an edge: it reads the time from :class:`ggzy.core.clock.SystemClock` and passes it in.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console

storage_app = typer.Typer(help="文件存储维护 / The blob store", no_args_is_help=True)
console = Console()


@storage_app.command("recover")
def recover(
    grace_hours: Annotated[
        float, typer.Option(help="Unreferenced staged files younger than this may belong to a running request")
    ] = 24.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """After a crash: publish staged files that committed rows refer to, delete unreferenced leftovers older than
    the grace period (docs/decisions/0004)."""
    from ggzy.config import get_settings
    from ggzy.core.clock import SystemClock
    from ggzy.core.migrate import migrated_engine
    from ggzy.storage.blobs import blob_store_for
    from ggzy.storage.recovery import recover_staged_blobs
    from ggzy.wiring import session_factory

    store = blob_store_for(get_settings())
    with session_factory(migrated_engine(get_settings()))() as db:
        report = recover_staged_blobs(db, store, now=SystemClock().now(), grace=timedelta(hours=grace_hours))
    if as_json:
        console.print_json(json.dumps(asdict(report)))
        return
    console.print(
        f"promoted {len(report.promoted)}, deleted {len(report.deleted)}, kept {len(report.kept)} (within the grace "
        f"period), corrupt {len(report.corrupt)}; {report.temporary_deleted} stale temporary uploads deleted"
    )
    if report.corrupt:
        raise typer.Exit(1)
