"""``ggzy assistant``: start the local assistant (投标助手) that the portal's pages talk to.

    ggzy assistant serve --portal https://ggzy.example.cn --cert 证书.pem --key 证书私钥.pem
    ggzy assistant serve --portal https://ggzy.example.cn --cert 证书.pem \\
        --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token ggzy --key-label bidder   (PIN from GGZY_TOKEN_PIN)

It listens on 127.0.0.1 only. ``--portal`` pairs an origin (HTTPS, or HTTP on this computer only), kept with its
pairing code in ``<home>/config.json``; later starts need not repeat it. The pairing code is printed at every start:
the user enters it once on the portal's 投标助手 page (/assistant). The user approves each signature in the
assistant's own window.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ggzy.assistant import Assistant, AssistantHome, FileKeySource, KeySource, Pkcs11KeySource, TokenSettings
from ggzy.assistant.home import check_bind
from ggzy.core.errors import DomainError

assistant_app = typer.Typer(
    help="投标助手：在本机为交易平台页面签名、加密 / The local assistant the portal's pages ask to sign and seal.",
    no_args_is_help=True,
)
console = Console()
error_console = Console(stderr=True, soft_wrap=True)

DEFAULT_PORT = 17_170
DEFAULT_HOME = Path.home() / ".ggzy-assistant"


def _fail(error: DomainError) -> typer.Exit:
    error_console.print(f"[red]{error.code}[/red]\n[red]{error.detail_zh}[/red]\n[red]{error.detail_en}[/red]")
    return typer.Exit(code=1)


def _key_source(
    certificate: Path, key: Path | None, module: str | None, token: str | None, key_label: str | None, pin: str | None
) -> KeySource:
    certificate_pem = certificate.read_text(encoding="ascii")
    if module is None:
        if key is None:
            raise typer.BadParameter("give --key (a PEM file) or --pkcs11-module with --token and --key-label")
        return FileKeySource(certificate_pem=certificate_pem, key_path=key)
    if key is not None or not token or not key_label or pin is None:
        raise typer.BadParameter("a token needs --pkcs11-module, --token, --key-label and GGZY_TOKEN_PIN; no --key")
    settings = TokenSettings(module=module, token_label=token, pin=pin, key_label=key_label)
    return Pkcs11KeySource(certificate_pem=certificate_pem, settings=settings)


def _token_pin(module: str | None) -> str | None:
    """The token's PIN from GGZY_TOKEN_PIN or typed at a hidden prompt; never an option: a command line is visible
    to every user of the computer (``ps``)."""
    if module is None:
        return None
    pin = os.environ.get("GGZY_TOKEN_PIN")
    return pin if pin is not None else typer.prompt("令牌 PIN / the token's PIN", hide_input=True)


@assistant_app.command("serve")
def serve_command(
    certificate: Annotated[Path, typer.Option("--cert", help="证书 PEM / the certificate")],
    portal: Annotated[
        list[str] | None, typer.Option("--portal", help="配对的交易平台地址，可重复 / a portal origin to pair")
    ] = None,
    key: Annotated[Path | None, typer.Option("--key", help="证书私钥 PEM（国密或国际）/ the key file")] = None,
    pkcs11_module: Annotated[
        str | None, typer.Option("--pkcs11-module", help="PKCS#11 库 / the token's PKCS#11 module")
    ] = None,
    token: Annotated[str | None, typer.Option("--token", help="USB 密钥（令牌）标签 / the token's label")] = None,
    key_label: Annotated[str | None, typer.Option("--key-label", help="令牌中密钥的标签 / the key's label")] = None,
    home: Annotated[Path, typer.Option("--home", help="助手目录：配对、日志、信封 / the assistant's directory")] = (
        DEFAULT_HOME
    ),
    host: Annotated[str, typer.Option("--host", help="只能是 127.0.0.1 / loopback only")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口 / port")] = DEFAULT_PORT,
) -> None:
    """启动投标助手 / Start the assistant on 127.0.0.1 for the paired portals."""
    import uvicorn

    try:
        check_bind(host)
        assistant_home = AssistantHome.open(home, pair=portal)
        if not assistant_home.portals:
            raise typer.BadParameter("pair at least one portal: --portal https://ggzy.example.cn")
        keys = _key_source(certificate, key, pkcs11_module, token, key_label, _token_pin(pkcs11_module))
        keys.check()
    except DomainError as error:
        raise _fail(error) from error
    assistant = Assistant.build(assistant_home, keys, port=port)
    console.print(f"投标助手 / assistant: http://127.0.0.1:{port}  证书 / certificate: {keys.certificate.subject}")
    console.print(f"密钥 / key: {keys.describe()}")
    console.print("已配对 / paired (在平台的“投标助手”页面输入配对码 / enter it on the portal's /assistant page):")
    for origin, code in assistant_home.pairings.items():
        console.print(f"  {origin}  配对码 / pairing code: [bold]{code}[/bold]")
    console.print(f"日志 / log: {assistant_home.log_path}")
    try:
        uvicorn.run(assistant.app(), host=host, port=port, log_level="warning")
    finally:
        keys.close()
