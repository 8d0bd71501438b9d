"""What the bidder gives the client: the opening summary, the bid files, keys, the device description."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ggzy.bidclient.sealing import SummaryRefused
from ggzy.bidclient.transport import BidClientError
from ggzy.core.errors import DomainError
from ggzy.crypto import (
    EnvelopeInvalid,
    PrivateKey,
    PublicKey,
    load_private_key_pem,
    load_public_key_pem,
)
from ggzy.crypto.envelope import check_file_name
from ggzy.tendering.summary_form import PRICE_KEY, SummaryField, summary_from_texts


def _reject_float(text: str) -> NoReturn:
    raise BidClientError(
        "summary_not_integer",
        f"开标一览表中的数值 {text} 不是整数：金额以“分”为单位填写整数（如 18234567.00 元写作 1823456700）",
        f"{text} in the opening summary is not an integer: amounts are integer fen (¥18234567.00 is 1823456700)",
    )


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise BidClientError("summary_invalid", "开标一览表中有重复的键", "the opening summary repeats a key")
    return document


def parse_summary(data: bytes) -> dict[str, Any]:
    """The opening summary (开标一览表) from JSON: an object; floats, NaN and repeated keys refused."""
    try:
        text = data.decode("utf-8-sig")  # a BOM, as some Windows editors write, is tolerated
        document = json.loads(
            text, parse_float=_reject_float, parse_constant=_reject_float, object_pairs_hook=_reject_duplicates
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise BidClientError(
            "summary_invalid", f"开标一览表不是有效的 UTF-8 JSON：{error}", f"the summary is not UTF-8 JSON: {error}"
        ) from error
    if not isinstance(document, dict):
        raise BidClientError("summary_invalid", "开标一览表须为 JSON 对象", "the summary must be a JSON object")
    return document


def summary_from_items(fields: Sequence[SummaryField], *, price: str | None, items: Sequence[str]) -> dict[str, Any]:
    """The opening summary typed item by item (``--price 4200000.00 --field 工期=300``): the price in 元, each other
    item ``KEY=VALUE`` by its key or label, read by the declared kinds; every problem refused at once
    (:class:`SummaryRefused`)."""
    texts: dict[str, str] = {} if price is None else {PRICE_KEY: price}
    for item in items:
        name, sign, value = item.replace("＝", "=").partition("=")
        if not sign or not name.strip():
            raise BidClientError(
                "usage",
                f"--field 应写作 项目=值（如 工期=300），而不是 {item}",
                f"--field is written KEY=VALUE (e.g. schedule_days=300), not {item}",
            )
        texts[name.strip()] = value
    summary, problems = summary_from_texts(fields, texts)
    if problems:
        raise SummaryRefused(problems)
    return summary


def collect_files(paths: Sequence[Path]) -> dict[str, Path]:
    """Bid files by their name in the package: a file under its own name, a directory's files under
    ``<directory name>/<relative path>`` (``技术标/施工组织设计.pdf``)."""
    named: dict[str, Path] = {}

    def add(name: str, path: Path) -> None:
        try:
            check_file_name(name)
        except EnvelopeInvalid as error:
            raise BidClientError.from_domain(error) from error
        if name in named:
            raise BidClientError(
                "file_name_repeated",
                f"投标文件名重复：{name}（{named[name]} 与 {path}）",
                f"two bid files are named {name} ({named[name]} and {path})",
            )
        named[name] = path

    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    add(f"{path.resolve().name}/{child.relative_to(path).as_posix()}", child)
        elif path.is_file():
            add(path.name, path)
        else:
            raise BidClientError("file_not_found", f"找不到投标文件 {path}", f"no bid file at {path}")
    if not named:
        raise BidClientError("no_files", "至少需要一个投标文件", "at least one bid file is needed")
    return named


def load_private_key(path: Path) -> PrivateKey:
    try:
        return load_private_key_pem(path.read_bytes())
    except (DomainError, ValueError, OSError) as error:
        raise BidClientError(
            "key_unreadable",
            f"无法读取私钥 {path}（须为未加密的 PKCS#8 PEM）：{error}",
            f"cannot read the private key {path} (unencrypted PKCS#8 PEM): {error}",
        ) from error


def load_opening_key(path: Path) -> PublicKey:
    try:
        return load_public_key_pem(path.read_bytes())
    except (DomainError, ValueError, OSError) as error:
        raise BidClientError(
            "key_unreadable", f"无法读取开标公钥 {path}：{error}", f"cannot read the opening key {path}: {error}"
        ) from error


def parse_device(text: str | None) -> dict[str, Any] | None:
    """``--device-json``: the device identifiers the client reports (a JSON object)."""
    if text is None:
        return None
    try:
        device = json.loads(text)
    except ValueError as error:
        raise BidClientError(
            "device_invalid", "设备信息须为 JSON 对象", "the device identifiers must be JSON"
        ) from error
    if not isinstance(device, dict):
        raise BidClientError("device_invalid", "设备信息须为 JSON 对象", "the device identifiers must be a JSON object")
    return device
