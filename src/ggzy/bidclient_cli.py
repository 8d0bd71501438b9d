"""``ggzy bid``: the bidder's client on the command line (the main CLI mounts :data:`bid_app`).

Seal a bid offline, check it, submit it and keep the platform's signed receipt, and at opening hand over the data key
(never the private key). The logic is in :mod:`ggzy.bidclient`; this is an edge: it reads the clock and the files.
Tests pass a transport (and a clock) as the Typer context object (``runner.invoke(app, args, obj={"transport": ...})``).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ggzy.bidclient import (
    BidClientError,
    ServerProblem,
    Transport,
    UrllibTransport,
    collect_files,
    decrypt_and_hand_over,
    fetch_round_material,
    fetch_tender_material,
    load_opening_key,
    load_private_key,
    open_envelope,
    parse_device,
    parse_summary,
    seal_for_tender,
    submit_envelope,
    summary_from_items,
)
from ggzy.bidclient.origins import normalise_origin
from ggzy.core.clock import Clock, SystemClock, to_china_time
from ggzy.core.errors import DomainError
from ggzy.crypto import CertificateMalformed, load_certificate
from ggzy.tendering.summary_form import DEFAULT_FIELDS

bid_app = typer.Typer(
    help="投标客户端：离线加密投标文件、递交、解密 / The bidder's client: seal offline, submit, decrypt at opening.",
    no_args_is_help=True,
)
console = Console()
error_console = Console(stderr=True, soft_wrap=True)

TenderUrlOption = Annotated[
    str | None, typer.Option("--tender-url", help="招标项目网址 / tender URL, e.g. http://host/api/v1/tenders/7")
]
EnvelopeOption = Annotated[Path, typer.Option("--envelope", help="投标文件信封 / the sealed envelope (BID.ggzy)")]
KeyOption = Annotated[Path, typer.Option("--key", help="投标人证书私钥 PEM / the bidder certificate's private key")]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="GGZY_TOKEN", help="登录令牌 / bearer token (or GGZY_TOKEN)")
]


def _transport(ctx: typer.Context) -> Transport:
    given = ctx.obj.get("transport") if isinstance(ctx.obj, dict) else None
    return given if given is not None else UrllibTransport()


def _clock(ctx: typer.Context) -> Clock:
    given = ctx.obj.get("clock") if isinstance(ctx.obj, dict) else None
    return given if given is not None else SystemClock()


def _fail(error: BidClientError) -> typer.Exit:
    status = f" (HTTP {error.status})" if isinstance(error, ServerProblem) and error.status else ""
    error_console.print(
        f"[red]{error.code}{status}[/red]\n[red]{error.message_zh}[/red]\n[red]{error.message_en}[/red]"
    )
    return typer.Exit(code=1)


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # hashes are shown whole, folded, never cut
    for label, value in rows:
        table.add_row(label, value)
    return table


@bid_app.command("seal")
def seal_command(
    ctx: typer.Context,
    certificate: Annotated[Path, typer.Option("--cert", help="投标人证书 PEM / the bidder certificate")],
    key: KeyOption,
    files: Annotated[list[Path], typer.Option("--file", help="投标文件或目录，可重复 / a bid file or directory")],
    out: Annotated[Path, typer.Option("--out", help="输出的信封 / the envelope to write (BID.ggzy)")],
    summary: Annotated[
        Path | None, typer.Option("--summary", help="开标一览表 JSON（金额以分为单位的整数）/ the summary as JSON")
    ] = None,
    price: Annotated[
        str | None, typer.Option("--price", help="投标报价（元），如 4200000.00 / the bid price in yuan")
    ] = None,
    items: Annotated[
        list[str] | None,
        typer.Option("--field", help="开标一览表的其他项目，如 工期=300，可重复 / another summary item, KEY=VALUE"),
    ] = None,
    tender_url: TenderUrlOption = None,
    lot_code: Annotated[str | None, typer.Option("--lot-code", help="标段编号（离线）/ lot code, offline")] = None,
    opening_key: Annotated[
        Path | None, typer.Option("--opening-key", help="开标公钥 PEM（离线）/ the lot's opening key, offline")
    ] = None,
    quotation_round: Annotated[
        int | None,
        typer.Option("--round", help="谈判/磋商报价轮次（与 --tender-url）/ seal a quotation for this round"),
    ] = None,
) -> None:
    """离线加密投标文件 / Seal a bid into an envelope (offline with --lot-code and --opening-key); with --round, a
    quotation for that round of a 竞争性谈判 or 竞争性磋商, sealed exactly as a bid.

    The opening summary (开标一览表) is given as JSON (--summary) or item by item (--price, --field 工期=300), and is
    checked against the items the tender declares (fetched with --tender-url; offline, only the price) before
    anything is sealed: a summary that lacks them writes nothing."""
    if (summary is None) == (price is None and not items):
        raise _fail(
            BidClientError(
                "usage",
                "请给出 --summary（JSON），或 --price 与 --field（逐项填写），二者选一",
                "give --summary (JSON), or --price and --field (item by item), not both",
            )
        )
    offline = lot_code is not None or opening_key is not None
    if offline == (tender_url is not None) or (offline and (lot_code is None or opening_key is None)):
        raise _fail(
            BidClientError(
                "usage",
                "请给出 --tender-url，或（离线）同时给出 --lot-code 与 --opening-key",
                "give --tender-url, or (offline) both --lot-code and --opening-key",
            )
        )
    try:
        certificate_pem = certificate.read_bytes()
        try:
            suite = load_certificate(certificate_pem).suite
        except CertificateMalformed as error:
            raise BidClientError.from_domain(error) from error
        private_key = load_private_key(key)
        declared = None
        if tender_url is not None:
            material = (
                fetch_round_material(_transport(ctx), tender_url, suite, quotation_round)
                if quotation_round is not None
                else fetch_tender_material(_transport(ctx), tender_url, suite)
            )
            lot, lot_key, declared = material.lot_code, material.opening_key, material.summary_fields
            if material.bid_deadline is not None:
                console.print(f"投标截止 / deadline: {to_china_time(material.bid_deadline):%Y-%m-%d %H:%M} (CST)")
        else:
            assert lot_code is not None
            assert opening_key is not None
            lot, lot_key = lot_code, load_opening_key(opening_key)
        document = (
            parse_summary(summary.read_bytes())
            if summary is not None
            else summary_from_items(declared or DEFAULT_FIELDS, price=price, items=items or [])
        )
        named = collect_files(files)
        info = seal_for_tender(
            lot_code=lot,
            opening_key=lot_key,
            certificate_pem=certificate_pem,
            private_key=private_key,
            summary=document,
            files=named,
            out=out,
            now=SystemClock().now(),
            summary_fields=declared,
        )
    except OSError as error:
        raise _fail(
            BidClientError("file_not_found", f"无法读取文件：{error}", f"cannot read a file: {error}")
        ) from error
    except BidClientError as error:
        raise _fail(error) from error
    console.print(
        _table(
            f"投标文件已加密 / Bid sealed: {out}",
            [
                ("标段 Lot", info.header.lot_code),
                ("套件 Suite", str(info.header.suite)),
                ("文件 Files", "\n".join(f"{item.name} ({item.size:,} B)" for item in info.files)),
                ("信封大小 Envelope size", f"{info.envelope_size:,} B"),
                ("信封 SHA-256 Envelope", info.envelope_sha256),
                ("密文 SHA-256 Ciphertext", info.header.ciphertext_sha256),
            ],
        )
    )


@bid_app.command("submit")
def submit_command(
    ctx: typer.Context,
    tender_url: Annotated[str, typer.Option("--tender-url", help="招标项目网址 / tender URL")],
    envelope: EnvelopeOption,
    token: TokenOption = None,
    device_json: Annotated[
        str | None, typer.Option("--device-json", help="设备信息 JSON / device identifiers, JSON object")
    ] = None,
    platform_key: Annotated[
        str | None, typer.Option("--platform-key", help="固定平台回执公钥（C2SP）/ pin the platform's receipt key")
    ] = None,
    quotation: Annotated[
        bool, typer.Option("--quotation", help="递交谈判/磋商报价 / the envelope is a quotation for the running round")
    ] = False,
) -> None:
    """递交投标文件并验证回执 / Upload an envelope and verify the platform's signed receipt."""
    try:
        if not token:
            raise BidClientError(
                "token_invalid", "需要登录令牌（--token 或 GGZY_TOKEN）", "a token is needed (--token)"
            )
        submission = submit_envelope(
            _transport(ctx),
            tender_url=tender_url,
            envelope=envelope,
            token=token,
            device=parse_device(device_json),
            platform_key=platform_key,
            quotation=quotation,
        )
    except BidClientError as error:
        raise _fail(error) from error
    receipt = submission.receipt
    console.print(
        _table(
            "回执已验证 / Receipt verified",
            [
                ("投标编号 Bid", str(receipt["bid_id"])),
                ("招标项目 Tender", str(receipt["tender_id"])),
                ("接收时间 Received", str(receipt["received_at"])),
                ("密文 SHA-256 Ciphertext", str(receipt["ciphertext_sha256"])),
                ("密文大小 Size", f"{receipt['ciphertext_size']:,} B"),
                ("账本事件 Ledger event", str(receipt["event_id"])),
                ("回执文件 Saved to", str(submission.receipt_path)),
            ],
        )
    )


@bid_app.command("sign-login")
def sign_login_command(
    key: KeyOption,
    nonce: Annotated[str, typer.Option("--nonce", help="登录页上的随机数 / the nonce shown on the login page")],
    portal: Annotated[
        str, typer.Option("--portal", help="交易平台地址，如 https://ggzy.example.cn / the portal's origin")
    ],
) -> None:
    """证书登录签名 / Sign a login challenge (``ggzy-login:<origin> <nonce>``) for the portal named; paste the
    printed signature into that portal's page. The signature is good on that portal only."""
    from ggzy.entities.login import login_message  # the one definition of what a login signs

    try:
        origin = normalise_origin(portal)
    except DomainError as error:
        raise _fail(BidClientError(error.code, error.detail_zh, error.detail_en)) from error
    try:
        signature = load_private_key(key).sign(login_message(nonce.strip(), origin))
    except BidClientError as error:
        raise _fail(error) from error
    typer.echo(base64.b64encode(signature).decode("ascii"))


def _read_new_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
    else:
        password = str(typer.prompt("新用户的密码 / the user's password", hide_input=True, confirmation_prompt=True))
    if not password:
        raise BidClientError("password_missing", "没有读到密码", "no password was read (--no-password to send none)")
    return password


@bid_app.command("enrol-user")
def enrol_user_command(
    ctx: typer.Context,
    api: Annotated[str, typer.Option("--api", help="平台 API 地址 / the API base, e.g. http://host/api/v1")],
    certificate: Annotated[Path, typer.Option("--cert", help="本单位证书 PEM / the entity's certificate")],
    key: Annotated[Path, typer.Option("--key", help="本单位证书私钥 PEM / the entity certificate's private key")],
    username: Annotated[str, typer.Option("--username", help="登记的用户名 / the user's login name")],
    display_name: Annotated[str, typer.Option("--name", help="姓名 / the user's name")],
    role: Annotated[list[str], typer.Option("--role", help="角色，如 owner@12、bidder / a role, e.g. owner@12")],
    token: TokenOption = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="从标准输入第一行读取新密码 / read the password from the first line of stdin"
        ),
    ] = False,
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password", help="不设密码（再次登记已有用户）/ send no password (enrolling an existing user again)"
        ),
    ] = False,
) -> None:
    """登记本单位用户 / Enrol a user of one's entity, signed with the entity's certificate key (decision 0013).

    Log in with the entity's certificate first and pass that session's token (--token or GGZY_TOKEN). The new user's
    password is asked for at a hidden prompt (typed twice) or read with --password-stdin, never from the command line
    (which other users of the computer see in the process list, and the shell keeps in its history)."""
    from ggzy.bidclient.enrolment import enrol_user, parse_roles

    try:
        if not token:
            raise BidClientError("token_missing", "需要本单位证书登录的令牌", "the entity's certificate session token")
        password = None if no_password else _read_new_password(password_stdin)
        answer = enrol_user(
            _transport(ctx), api_base=api, token=token, certificate_pem=certificate.read_text(encoding="ascii"),
            key=load_private_key(key), username=username, display_name=display_name, password=password,
            roles=parse_roles(role), now=_clock(ctx).now(),
        )  # fmt: skip
    except BidClientError as error:
        raise _fail(error) from error
    roles = ", ".join(f"{item['role']}@{item['centre_id'] or '*'}" for item in answer["roles"])
    console.print(
        _table(
            "用户已登记 / User enrolled",
            [
                ("用户 User", f"{answer['username']} (id {answer['id']})"),
                ("角色 Roles", roles),
                ("签名证书 Certificate", answer["enrolment"]["certificate_fingerprint"]),
            ],
        )
    )


@bid_app.command("decrypt")
def decrypt_command(
    ctx: typer.Context,
    envelope: EnvelopeOption,
    key: KeyOption,
    tender_url: TenderUrlOption = None,
    token: TokenOption = None,
    print_key: Annotated[
        bool, typer.Option("--print-key", help="只输出数据密钥 / print the data key (base64)")
    ] = False,
) -> None:
    """开标时解密 / At opening: unwrap the data key locally and hand it to the platform (or print it)."""
    if print_key == (tender_url is not None):
        raise _fail(
            BidClientError(
                "usage",
                "请给出 --print-key，或 --tender-url 与 --token",
                "give --print-key, or --tender-url and --token",
            )
        )
    try:
        private_key = load_private_key(key)
        if print_key:
            data_key, _ = decrypt_and_hand_over(None, envelope=envelope, private_key=private_key)
            typer.echo(base64.b64encode(data_key).decode("ascii"))
            return
        if not token:
            raise BidClientError(
                "token_invalid", "需要登录令牌（--token 或 GGZY_TOKEN）", "a token is needed (--token)"
            )
        _, answer = decrypt_and_hand_over(
            _transport(ctx), envelope=envelope, private_key=private_key, tender_url=tender_url, token=token
        )
    except BidClientError as error:
        raise _fail(error) from error
    console.print("[green]数据密钥已提交 / data key handed over[/green]")
    if answer is not None:
        console.print_json(json.dumps(answer, ensure_ascii=False))


@bid_app.command("open")
def open_command(
    envelope: EnvelopeOption,
    key: KeyOption,
    out: Annotated[Path, typer.Option("--out", help="输出目录（须为空）/ output directory, new or empty")],
) -> None:
    """本地解密自查 / Decrypt one's own envelope locally and check its inner signature."""
    try:
        opened = open_envelope(envelope, load_private_key(key), out)
    except BidClientError as error:
        raise _fail(error) from error
    summary: Any = json.dumps(opened.summary, ensure_ascii=False, sort_keys=True)
    console.print(
        _table(
            f"投标文件已解密，签名有效 / Opened, inner signature verified: {out}",
            [
                ("标段 Lot", opened.lot_code),
                ("投标人 Bidder", opened.bidder_certificate.subject),
                ("开标一览表 Summary", summary),
                ("文件 Files", "\n".join(f"{item.name} ({item.size:,} B) {item.sha256}" for item in opened.files)),
            ],
        )
    )
