"""``ggzy documents``: the document-signing key and certificate, and checking a signed PDF offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

documents_app = typer.Typer(
    help="The platform's signed PDF documents (key, certificate, verification)", no_args_is_help=True
)
console = Console(stderr=True)


@documents_app.command()
def keygen(
    out: Annotated[
        Path,
        typer.Option(help="Where to write the key and certificate (must not exist); then set GGZY_DOCUMENTS_KEY_FILE"),
    ],
) -> None:
    """Create the document-signing key and its self-signed certificate in a file of their own."""
    from ggzy.config import get_settings
    from ggzy.documents.keys import DocumentSigningKey

    if out.exists():
        console.print(f"[bold red]{out} exists; keys are never overwritten[/bold red]")
        raise typer.Exit(1)
    created = DocumentSigningKey.create_file(out, get_settings().platform_name)
    console.print(f"document-signing key written to {out} (mode 0600); set GGZY_DOCUMENTS_KEY_FILE={out}")
    typer.echo(created.certificate_pem, nl=False)


@documents_app.command()
def certificate() -> None:
    """Print the certificate that signs the documents (what GET /api/v1/documents/signing-certificate serves)."""
    from ggzy.config import get_settings
    from ggzy.documents.keys import DocumentKeyFileError, load_document_key

    try:
        key = load_document_key(get_settings())
    except DocumentKeyFileError as error:
        console.print(f"[bold red]{error}[/bold red]")
        raise typer.Exit(1) from None
    console.print(f"SHA-256 {key.fingerprint}")
    typer.echo(key.certificate_pem, nl=False)


@documents_app.command()
def verify(
    pdf: Annotated[Path, typer.Argument(help="A document downloaded from the platform")],
    certificate: Annotated[Path, typer.Option(help="The platform's certificate (PEM), as published")],
) -> None:
    """Check a PDF's signature offline against the platform's published certificate; exit 1 unless valid."""
    import logging

    from ggzy.documents.signing import check_pdf

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # the verdict is printed below, without a traceback
    check = check_pdf(pdf.read_bytes(), certificate.read_text())
    typer.echo(f"{'VALID' if check.ok else 'INVALID'}: {check.summary}; signer {check.signer}")
    if not check.ok:
        raise typer.Exit(1)
