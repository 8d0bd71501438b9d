"""``ggzy ca``: run the demo CA from the command line (the main CLI mounts :data:`ca_app`).

This is an edge: it reads the time from :class:`ggzy.core.clock.SystemClock` and passes it in.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ggzy.core.clock import SystemClock, to_china_time
from ggzy.core.errors import DomainError
from ggzy.crypto import ca
from ggzy.crypto.certificates import Certificate
from ggzy.crypto.suites import Suite

ca_app = typer.Typer(
    help="演示 CA：签发、吊销单位和个人证书（仅用于演示和测试）/ Demo CA for demos and tests.",
    no_args_is_help=True,
)
console = Console()
error_console = Console(stderr=True, soft_wrap=True)  # paths and messages stay whole for copying


class Kind(StrEnum):
    ENTITY = "entity"
    PERSON = "person"


DirectoryOption = Annotated[Path, typer.Option("--dir", help="CA 目录 / CA directory")]


def _fail(error: Exception) -> typer.Exit:
    if isinstance(error, DomainError):
        error_console.print(f"[red]{error.detail_zh}[/red]\n[red]{error.detail_en}[/red]")
    else:
        error_console.print(f"[red]{error}[/red]")
    return typer.Exit(code=1)


def _show(certificate: Certificate, title: str) -> None:
    table = Table(title=title, show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # fingerprints and subjects are shown whole, folded, never cut
    table.add_row("主体 Subject", certificate.subject)
    table.add_row("签发者 Issuer", certificate.issuer)
    table.add_row("序列号 Serial", str(certificate.serial_number))
    table.add_row("算法 Suite", str(certificate.suite))
    table.add_row(
        "有效期 Valid",
        f"{to_china_time(certificate.not_before):%Y-%m-%d %H:%M} — "
        f"{to_china_time(certificate.not_after):%Y-%m-%d %H:%M} (CST)",
    )
    table.add_row("指纹 SHA-256", certificate.fingerprint)
    console.print(table)


def _file_stem(name: str) -> str:
    """The certificate's name as a file name: path separators and control characters become '_'."""
    return re.sub(r"[\x00-\x1f/\\:]", "_", name.strip()) or "certificate"


@ca_app.command("init")
def init_command(
    directory: DirectoryOption,
    suite: Annotated[Suite, typer.Option("--suite", help="gm (SM2) 或 intl (ECDSA P-256)")],
    name: Annotated[str, typer.Option("--name", help="CA 名称 / CA name")],
    days: Annotated[int, typer.Option("--days", min=1, help="有效天数 / validity in days")] = 3650,
) -> None:
    """创建 CA / Create a CA in a new directory."""
    try:
        certificate = ca.init_ca(directory, suite=suite, name=name, now=SystemClock().now(), valid_days=days)
    except (DomainError, FileExistsError) as error:
        raise _fail(error) from error
    _show(certificate, f"CA 已创建 / CA created in {directory}")


@ca_app.command("issue")
def issue_command(
    directory: DirectoryOption,
    kind: Annotated[Kind, typer.Option("--kind", help="entity 单位证书 / person 个人证书")],
    name: Annotated[str, typer.Option("--name", help="单位或个人名称 / entity or person name")],
    credit_code: Annotated[str, typer.Option("--credit-code", help="统一社会信用代码（个人证书填所在单位的）")],
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output directory")],
    organization: Annotated[str | None, typer.Option("--organization", help="所在单位（个人证书）/ employer")] = None,
    person_id: Annotated[str | None, typer.Option("--person-id", help="身份证件号码（个人证书）")] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="有效天数 / validity in days")] = 365,
) -> None:
    """签发证书 / Issue an entity or person certificate and its private key."""
    stem = _file_stem(name)
    certificate_path, key_path = out / f"{stem}.pem", out / f"{stem}-key.pem"
    for path in (certificate_path, key_path):
        if path.exists():
            raise _fail(FileExistsError(f"{path} exists; refusing to overwrite it"))
    try:
        issued = ca.issue_certificate(
            directory,
            kind="person" if kind is Kind.PERSON else "entity",
            name=name,
            credit_code=credit_code,
            organization=organization,
            person_id=person_id,
            now=SystemClock().now(),
            valid_days=days,
        )
    except (DomainError, FileNotFoundError) as error:
        raise _fail(error) from error
    out.mkdir(parents=True, exist_ok=True)
    certificate_path.write_text(issued.certificate_pem, encoding="utf-8")
    key_path.touch(mode=0o600)
    key_path.write_text(issued.private_key_pem, encoding="utf-8")
    _show(issued.certificate, "证书已签发 / Certificate issued")
    console.print(f"{certificate_path}\n{key_path}")


@ca_app.command("revoke")
def revoke_command(
    directory: DirectoryOption,
    serial: Annotated[int, typer.Option("--serial", help="证书序列号 / certificate serial number")],
) -> None:
    """吊销证书 / Revoke a certificate this CA issued."""
    try:
        revoked_at = ca.revoke(directory, serial, now=SystemClock().now())
    except (DomainError, FileNotFoundError) as error:
        raise _fail(error) from error
    console.print(f"证书 {serial} 已吊销 / revoked at {to_china_time(revoked_at):%Y-%m-%d %H:%M:%S} CST")


@ca_app.command("crl")
def crl_command(
    directory: DirectoryOption,
    out: Annotated[
        Path | None, typer.Option("--out", help="CRL 文件（省略则输出到屏幕）/ CRL file, stdout if omitted")
    ] = None,
) -> None:
    """生成证书吊销列表 / Publish a fresh CRL (PEM)."""
    try:
        crl = ca.current_crl(directory, now=SystemClock().now())
    except FileNotFoundError as error:
        raise _fail(error) from error
    if out is None:
        typer.echo(crl.decode("ascii"), nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(crl)
    console.print(f"CRL 已写入 / written to {out}")
