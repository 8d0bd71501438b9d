"""Submitting an envelope (streamed multipart upload) and checking the platform's signed receipt."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ggzy.bidclient.transport import BidClientError, TenderUrl, Transport, authorization, get_json, json_answer
from ggzy.core.errors import DomainError
from ggzy.crypto import (
    read_envelope_header,
)
from ggzy.crypto.envelope import EnvelopeHeader
from ggzy.ledger.note import Ed25519NoteVerifier, NoteError, parse_verifier_key

RECEIPT_SUFFIX: Final = ".receipt.json"
INVALID_RECEIPT_SUFFIX: Final = ".receipt.unverified.json"
RECEIPT_FIELDS: Final = frozenset(
    {"bid_id", "tender_id", "received_at", "ciphertext_sha256", "ciphertext_size", "event_id", "signature"}
)
_SAFE_FILENAME: Final = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_COPY_SIZE: Final = 1 << 20


def read_header(envelope: Path) -> EnvelopeHeader:
    """The envelope's header, its outer signature checked."""
    try:
        with envelope.open("rb") as stream:
            return read_envelope_header(stream)
    except DomainError as error:
        raise BidClientError.from_domain(error) from error
    except OSError as error:
        raise BidClientError(
            "file_not_found", f"无法读取 {envelope}：{error}", f"cannot read {envelope}: {error}"
        ) from error


@dataclass(frozen=True)
class MultipartBody:
    """A multipart/form-data body with one file field, streamed from disk."""

    content_type: str
    length: int
    path: Path
    head: bytes
    tail: bytes

    @classmethod
    def for_file(cls, field: str, path: Path) -> MultipartBody:
        boundary = f"ggzy-{secrets.token_hex(16)}"
        filename = path.name if _SAFE_FILENAME.match(path.name) else "envelope.ggzy"
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode("ascii")
        tail = f"\r\n--{boundary}--\r\n".encode("ascii")
        size = path.stat().st_size
        return cls(f"multipart/form-data; boundary={boundary}", len(head) + size + len(tail), path, head, tail)

    def chunks(self) -> Iterator[bytes]:
        expected = self.length - len(self.head) - len(self.tail)
        sent = 0
        yield self.head
        with self.path.open("rb") as source:
            while piece := source.read(_COPY_SIZE):
                sent += len(piece)
                if sent > expected:
                    break
                yield piece
        if sent != expected:
            raise BidClientError(
                "envelope_changed",
                f"{self.path} 在上传过程中被修改",
                f"{self.path} changed while it was being uploaded",
            )
        yield self.tail

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Content-Length": str(self.length)}


def platform_verifier_key(transport: Transport, tender_url: str) -> str:
    """The platform's receipt key: the first of ``GET …/ledger/keys`` → ``verifier_keys``."""
    keys = get_json(transport, TenderUrl.parse(tender_url).ledger_keys)
    verifier_keys = keys.get("verifier_keys") if isinstance(keys, dict) else None
    if not isinstance(verifier_keys, list) or not verifier_keys or not isinstance(verifier_keys[0], str):
        raise BidClientError("answer_invalid", "平台没有公布账本公钥", "the platform publishes no ledger key")
    return verifier_keys[0]


def _receipt_invalid(reason_zh: str, reason_en: str) -> BidClientError:
    return BidClientError("receipt_invalid", f"回执无效：{reason_zh}", f"the receipt is not valid: {reason_en}")


def receipt_message(receipt: Mapping[str, Any]) -> bytes:
    """The signed bytes: canonical JSON of the receipt without ``signature``."""
    signed = {key: value for key, value in receipt.items() if key != "signature"}
    return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify_receipt(
    receipt: Mapping[str, Any],
    verifier_key: str,
    *,
    ciphertext_sha256: str | None = None,
    tender_id: int | None = None,
) -> None:
    """Check the receipt's Ed25519 signature by the platform's key (a C2SP verifier key string) and, if given,
    that it is for this ciphertext and this tender. Raises BidClientError ``receipt_invalid``."""
    try:
        verifier = parse_verifier_key(verifier_key)
    except NoteError as error:
        raise BidClientError(
            "platform_key_invalid", f"平台公钥无法读取：{error}", f"the platform key is unreadable: {error}"
        ) from error
    if not isinstance(verifier, Ed25519NoteVerifier):
        raise BidClientError(
            "platform_key_invalid",
            "回执须由平台的 Ed25519 密钥签名",
            "receipts are signed by the platform's Ed25519 key",
        )
    if set(receipt) != RECEIPT_FIELDS:
        raise _receipt_invalid("字段缺失或多余", "fields missing or unknown")
    try:
        signature = base64.b64decode(str(receipt["signature"]), validate=True)
    except (binascii.Error, ValueError) as error:
        raise _receipt_invalid("签名不是 base64", "the signature is not base64") from error
    signed = {key: value for key, value in receipt.items() if key != "signature"}
    if not verifier.verify(receipt_message(signed), signature):
        raise _receipt_invalid("平台签名验证失败", "the platform's signature does not verify")
    if ciphertext_sha256 is not None and receipt["ciphertext_sha256"] != ciphertext_sha256:
        raise _receipt_invalid("密文 SHA-256 与信封不符", "its ciphertext SHA-256 is not the envelope's")
    if tender_id is not None and receipt["tender_id"] != tender_id:
        raise _receipt_invalid("招标项目编号不符", f"it is for tender {receipt['tender_id']}, not {tender_id}")


@dataclass(frozen=True)
class Submission:
    receipt: dict[str, Any]
    receipt_path: Path
    header: EnvelopeHeader


def receipt_path_for(envelope: Path) -> Path:
    return envelope.with_name(envelope.name + RECEIPT_SUFFIX)


def submit_envelope(
    transport: Transport,
    *,
    tender_url: str,
    envelope: Path,
    token: str,
    device: Mapping[str, Any] | None = None,
    platform_key: str | None = None,
    quotation: bool = False,
) -> Submission:
    """Upload an envelope, verify the signed receipt and write it next to the envelope (``BID.ggzy.receipt.json``).

    The envelope is checked locally first (its header and outer signature). A receipt that does not verify is kept
    as ``BID.ggzy.receipt.unverified.json`` (evidence of what the platform answered) and raises ``receipt_invalid``.
    ``quotation``: the envelope is a quotation for the running round of a negotiation, not a bid.
    """
    url = TenderUrl.parse(tender_url)
    target = url.quotations if quotation else url.bids
    header = read_header(envelope)
    headers = authorization(token)
    if device is not None:
        headers["Ggzy-Device"] = json.dumps(device, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    key = platform_key or platform_verifier_key(transport, tender_url)
    body = MultipartBody.for_file("envelope", envelope)
    answer = json_answer(
        transport.request(
            "POST", target, headers=headers | body.headers | {"Accept": "application/json"}, body=body.chunks()
        ),
        target,
    )
    if not isinstance(answer, dict):
        raise _receipt_invalid("不是 JSON 对象", "not a JSON object")
    text = json.dumps(answer, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        verify_receipt(answer, key, ciphertext_sha256=header.ciphertext_sha256, tender_id=url.tender_id)
    except BidClientError:
        envelope.with_name(envelope.name + INVALID_RECEIPT_SUFFIX).write_text(text, encoding="utf-8")
        raise
    path = receipt_path_for(envelope)
    path.write_text(text, encoding="utf-8")
    return Submission(receipt=answer, receipt_path=path, header=header)
