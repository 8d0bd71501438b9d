"""Sealing offline for a tender: its lot code, opening key and declared opening summary fetched (or given), the
summary checked against the declaration before anything is sealed, the envelope written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
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
from ggzy.tendering import summary_form
from ggzy.tendering.summary_form import DEFAULT_FIELDS, Problem, SummaryField


@dataclass(frozen=True)
class TenderMaterial:
    """What sealing needs from the platform, fetched once: the lot code and the opening key of one suite."""

    tender_id: int
    lot_code: str
    bid_deadline: datetime | None
    opening_key: PublicKey
    threshold: int
    # the tender's opening summary (开标一览表) as it publishes it: the price alone for a quotation round
    summary_fields: tuple[SummaryField, ...] = DEFAULT_FIELDS


class SummaryRefused(BidClientError):
    """The opening summary lacks what the tender declares: nothing was sealed. ``problems`` name each item."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "summary_incomplete",
            "开标一览表不符合招标文件的要求，未加密任何文件：\n"
            + "\n".join(f"- {problem.message_zh}" for problem in self.problems),
            "the opening summary does not meet the tender's declaration; nothing was sealed:\n"
            + "\n".join(f"- {problem.message_en}" for problem in self.problems),
        )


def check_summary_for_sealing(summary: Any, summary_fields: Sequence[SummaryField] | None) -> None:
    """Refuse (:class:`SummaryRefused`) a summary that does not meet the declared items; with no declaration (sealing
    offline), the price alone is checked and other items are let through."""
    fields = DEFAULT_FIELDS if summary_fields is None else tuple(summary_fields)
    problems = summary_form.check_summary(fields, summary, allow_unknown=summary_fields is None)
    if problems:
        raise SummaryRefused(problems)


def _summary_fields(tender: dict[str, Any]) -> tuple[SummaryField, ...]:
    published = tender.get("summary_fields")
    if published is None:  # a platform from before the declaration: the price is what it always required
        return DEFAULT_FIELDS
    try:
        return summary_form.from_list(published)
    except DomainError as error:
        raise BidClientError(
            "answer_invalid", "平台公布的开标一览表格式无法读取", "the published opening summary form is unreadable"
        ) from error


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
        summary_fields=_summary_fields(tender),
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
    summary_fields: Sequence[SummaryField] | None = None,
) -> SealedEnvelopeInfo:
    """Seal a bid into ``out`` (written whole or not at all; an existing file is never overwritten).

    The summary is checked first against ``summary_fields``, the tender's declared opening summary
    (``TenderMaterial.summary_fields``): a summary that lacks them is refused with :class:`SummaryRefused` before
    anything is read, sealed or written. Without them (offline), only the price is checked."""
    check_summary_for_sealing(summary, summary_fields)
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
