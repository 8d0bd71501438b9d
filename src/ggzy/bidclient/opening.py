"""At opening: unwrap the data key with the bidder's own key and hand it over (远程解密), or open the bid locally."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from ggzy.bidclient.submission import read_header
from ggzy.bidclient.transport import BidClientError, TenderUrl, Transport, authorization, refuse
from ggzy.core.errors import DomainError
from ggzy.crypto import (
    OpenedBid,
    PrivateKey,
    open_bid,
    read_envelope_header,
    unwrap_data_key,
)
from ggzy.crypto.envelope import EnvelopeHeader


def unwrap_own_data_key(envelope: Path, private_key: PrivateKey) -> tuple[EnvelopeHeader, bytes]:
    """The envelope's data key, unwrapped locally with the bidder's certificate key."""
    header = read_header(envelope)
    if private_key.public_key.fingerprint != header.recipient("bidder").key_fingerprint:
        raise BidClientError(
            "key_not_bidders",
            "此私钥不是该投标文件所用证书的私钥",
            "this private key is not the key of the envelope's bidder certificate",
        )
    try:
        return header, unwrap_data_key(header, private_key, "bidder")
    except DomainError as error:
        raise BidClientError.from_domain(error) from error


def hand_over_data_key(transport: Transport, *, tender_url: str, token: str, data_key: bytes) -> Any:
    """``POST {tender}/decryptions`` with ``{"data_key": base64}``: remote decryption at opening."""
    url = TenderUrl.parse(tender_url)
    body = json.dumps({"data_key": base64.b64encode(data_key).decode("ascii")}).encode("ascii")
    headers = authorization(token) | {"Content-Type": "application/json", "Accept": "application/json"}
    response = transport.request("POST", url.decryptions, headers=headers, body=body)
    if not 200 <= response.status < 300:
        refuse(response, url.decryptions)
    return json.loads(response.body) if response.body.strip() else None


def decrypt_and_hand_over(
    transport: Transport | None,
    *,
    envelope: Path,
    private_key: PrivateKey,
    tender_url: str | None = None,
    token: str | None = None,
) -> tuple[bytes, Any]:
    """Unwrap the data key; with a tender URL and token, hand it to the platform. Returns the key and the answer."""
    _, data_key = unwrap_own_data_key(envelope, private_key)
    if tender_url is None:
        return data_key, None
    if transport is None or token is None:
        raise BidClientError("token_invalid", "提交数据密钥需要登录令牌", "handing over the data key needs a token")
    return data_key, hand_over_data_key(transport, tender_url=tender_url, token=token, data_key=data_key)


def open_envelope(envelope: Path, private_key: PrivateKey, out_dir: Path) -> OpenedBid:
    """Decrypt one's own envelope into ``out_dir`` (``bid.json``, ``bid.sig``, ``files/…``), the inner signature
    checked: a bidder's check of its bid before submitting. ``out_dir`` must be new or empty."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BidClientError("output_exists", f"{out_dir} 不是空目录", f"{out_dir} is not an empty directory")
    header, data_key = unwrap_own_data_key(envelope, private_key)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with envelope.open("rb") as stream:
            read_envelope_header(stream)
            opened = open_bid(header, stream, data_key, out_dir=out_dir / "files")
    except DomainError as error:  # DecryptionFailed, EnvelopeInvalid, SignatureInvalid
        raise BidClientError.from_domain(error) from error
    summary = json.dumps(opened.summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (out_dir / "bid.json").write_text(summary, encoding="utf-8")
    (out_dir / "bid.sig").write_bytes(opened.inner_signature)
    return opened
