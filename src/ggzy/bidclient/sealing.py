"""Sealing offline for a tender: its lot code and opening key fetched (or given), the envelope written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ggzy.bidclient.transport import BidClientError, TenderUrl, Transport, get_json
from ggzy.core.errors import DomainError
from ggzy.crypto import (
    CertificateMalformed,
    PrivateKey,
    PublicKey,
    SealedEnvelopeInfo,
    Suite,
    load_certificate,
    load_public_key_pem,
    seal_bid,
)


@dataclass(frozen=True)
class TenderMaterial:
    """What sealing needs from the platform, fetched once: the lot code and the opening key of one suite."""

    tender_id: int
    lot_code: str
    bid_deadline: datetime | None
    opening_key: PublicKey
    threshold: int


def fetch_tender_material(transport: Transport, tender_url: str, suite: Suite) -> TenderMaterial:
    url = TenderUrl.parse(tender_url)
    tender = get_json(transport, url.url)
    keys = get_json(transport, url.opening_keys)
    if not isinstance(tender, dict) or not isinstance(tender.get("lot_code"), str) or not isinstance(keys, list):
        raise BidClientError(
            "answer_invalid", "平台返回的招标项目信息不完整", "the platform's tender answer is incomplete"
        )
    deadline: datetime | None = None
    with contextlib.suppress(TypeError, ValueError):
        deadline = datetime.fromisoformat(tender["bid_deadline"])
    key, threshold = _opening_key(keys, suite)
    return TenderMaterial(
        tender_id=url.tender_id,
        lot_code=tender["lot_code"],
        bid_deadline=deadline,
        opening_key=key,
        threshold=threshold,
    )


def fetch_round_material(transport: Transport, tender_url: str, suite: Suite, number: int) -> TenderMaterial:
    """What sealing a quotation needs (竞争性谈判, 竞争性磋商): the round's lot code, deadline and key of ``suite``,
    checked exactly as a tender's opening key is."""
    url = TenderUrl.parse(tender_url)
    found = get_json(transport, url.quotation_round(number))
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("lot_code"), str)
        or not isinstance(found.get("keys"), list)
    ):
        raise BidClientError(
            "answer_invalid", "平台返回的报价轮次信息不完整", "the platform's quotation round answer is incomplete"
        )
    deadline: datetime | None = None
    with contextlib.suppress(TypeError, ValueError):
        deadline = datetime.fromisoformat(found["deadline"])
    key, threshold = _opening_key(found["keys"], suite)
    return TenderMaterial(
        tender_id=url.tender_id, lot_code=found["lot_code"], bid_deadline=deadline, opening_key=key, threshold=threshold
    )


def _opening_key(keys: list[Any], suite: Suite) -> tuple[PublicKey, int]:
    """The published key of ``suite``, checked against its fingerprint and suite."""
    for item in keys:
        if isinstance(item, dict) and item.get("suite") == suite.value:
            try:
                key = load_public_key_pem(item["public_key_pem"])
            except (DomainError, ValueError, KeyError, TypeError) as error:
                raise BidClientError(
                    "answer_invalid", "平台公布的开标公钥无法读取", "the published opening key is unreadable"
                ) from error
            if key.suite is not suite or key.fingerprint != item.get("fingerprint"):
                raise BidClientError(
                    "answer_invalid",
                    "平台公布的开标公钥与其指纹或套件不符",
                    "the published opening key does not match its fingerprint or suite",
                )
            return key, int(item.get("threshold") or 0)
    raise BidClientError(
        "suite_not_accepted",
        f"本招标项目不接受 {suite} 套件的投标文件（没有该套件的开标公钥）",
        f"this tender has no {suite} opening key: it takes no {suite} envelopes",
    )


def seal_for_tender(
    *,
    lot_code: str,
    opening_key: PublicKey,
    certificate_pem: bytes | str,
    private_key: PrivateKey,
    summary: Mapping[str, Any],
    files: Mapping[str, Path | bytes],
    out: Path,
    now: datetime,
) -> SealedEnvelopeInfo:
    """Seal a bid into ``out`` (written whole or not at all; an existing file is never overwritten)."""
    if out.exists():
        raise BidClientError("output_exists", f"{out} 已存在，不会覆盖", f"{out} exists; refusing to overwrite it")
    try:
        certificate = load_certificate(certificate_pem)
    except CertificateMalformed as error:
        raise BidClientError.from_domain(error) from error
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as target:
            info = seal_bid(
                lot_code=lot_code,
                suite=certificate.suite,
                summary=summary,
                files=files,
                bidder_certificate_pem=certificate_pem,
                bidder_private_key=private_key,
                opening_public_key=opening_key,
                out=target,
                now=now,
            )
            target.flush()
            os.fsync(target.fileno())
        _publish(Path(staging), out)
    except DomainError as error:
        raise BidClientError.from_domain(error) from error
    except FileExistsError as error:
        raise BidClientError(
            "output_exists", f"{out} 已存在，不会覆盖", f"{out} exists; refusing to overwrite it"
        ) from error
    finally:
        Path(staging).unlink(missing_ok=True)
    return info


def _publish(staging: Path, out: Path) -> None:
    """Move the finished envelope into place without overwriting (a hard link where the file system has them)."""
    try:
        os.link(staging, out)
    except FileExistsError:
        raise
    except OSError:
        if out.exists():
            raise FileExistsError(out) from None
        os.replace(staging, out)
