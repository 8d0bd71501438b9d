"""The bidder's client: seal a bid offline, submit it, check the platform's receipt, hand over the data key at opening.

Plain functions, no Typer (``ggzy bid`` in :mod:`ggzy.bidclient_cli` wraps them). Everything that talks to the
platform goes through a :class:`Transport`: :class:`UrllibTransport` (standard library only) in real use, or any
object with the same ``request`` method, e.g. one around FastAPI's TestClient in the tests.

The server API used (``TENDER`` is a tender URL such as ``http://host/api/v1/tenders/7``):

- ``GET TENDER``: ``lot_code`` and ``bid_deadline``;
- ``GET TENDER/opening-keys``: ``[{suite, public_key_pem, fingerprint, threshold}]``;
- ``POST TENDER/bids``: multipart field ``envelope``, ``Authorization: Bearer``, optional ``Ggzy-Device`` (JSON),
  answering a receipt ``{bid_id, tender_id, received_at, ciphertext_sha256, ciphertext_size, event_id, signature}``
  signed (Ed25519) by the first key of ``GET …/api/v1/ledger/keys`` → ``verifier_keys``;
- ``POST TENDER/decryptions``: ``{"data_key": base64}`` at opening (remote decryption, 远程解密).

The bidder's private key never leaves the machine: only the data key of one envelope is handed over.

The platform signs the receipt's ``received_at`` as Python's ``datetime.isoformat()`` writes it (``+00:00``) but its
JSON answer writes the same instant as pydantic does (``Z``); :func:`verify_receipt` accepts either writing of the
instant it was given (the signature still fixes the instant, to the microsecond).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, NoReturn, Protocol

from ggzy.core.errors import DomainError
from ggzy.crypto import (
    CertificateMalformed,
    EnvelopeInvalid,
    OpenedBid,
    PrivateKey,
    PublicKey,
    SealedEnvelopeInfo,
    Suite,
    load_certificate,
    load_private_key_pem,
    load_public_key_pem,
    open_bid,
    read_envelope_header,
    seal_bid,
    unwrap_data_key,
)
from ggzy.crypto.envelope import EnvelopeHeader, check_file_name
from ggzy.ledger.note import Ed25519NoteVerifier, NoteError, parse_verifier_key

RECEIPT_SUFFIX: Final = ".receipt.json"
INVALID_RECEIPT_SUFFIX: Final = ".receipt.unverified.json"
RECEIPT_FIELDS: Final = frozenset(
    {"bid_id", "tender_id", "received_at", "ciphertext_sha256", "ciphertext_size", "event_id", "signature"}
)
_TENDER_URL: Final = re.compile(r"^(?P<api>https?://[^?#]+?)/tenders/(?P<id>[0-9]+)/?$")
_SAFE_FILENAME: Final = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_COPY_SIZE: Final = 1 << 20


# --- errors -----------------------------------------------------------------------------------------------


class BidClientError(Exception):
    """A refusal the bidder can act on, with a stable code and messages in Chinese and English."""

    def __init__(self, code: str, message_zh: str, message_en: str, *, status: int | None = None) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.status = status  # the HTTP status, when the platform answered

    @classmethod
    def from_domain(cls, error: DomainError) -> BidClientError:
        return cls(error.code, error.detail_zh, error.detail_en)


class ServerProblem(BidClientError):
    """The platform refused the request (problem+json, RFC 9457)."""


# --- HTTP ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """One HTTP request. ``body`` is bytes or an iterable of byte strings sent as they come (with the
    ``Content-Length`` header given by the caller); answers are returned whatever their status."""

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
    ) -> HttpResponse: ...


class UrllibTransport:
    """:class:`Transport` over ``urllib.request`` (the client has no third-party HTTP dependency)."""

    def __init__(self, *, timeout: float = 120.0, user_agent: str = "ggzy-bid-client/1") -> None:
        self.timeout = timeout
        self.user_agent = user_agent

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
    ) -> HttpResponse:
        if not url.startswith(("http://", "https://")):
            raise BidClientError("url_invalid", f"网址须以 http:// 或 https:// 开头：{url}", f"not an HTTP URL: {url}")
        all_headers = {"User-Agent": self.user_agent, **(headers or {})}
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the bidder's URL
                return HttpResponse(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:  # 4xx and 5xx come back as answers, problem+json included
            with contextlib.closing(error):
                return HttpResponse(error.code, dict(error.headers.items()), error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise BidClientError(
                "network_error", f"无法连接平台 {url}：{reason}", f"cannot reach the platform at {url}: {reason}"
            ) from error


def _refuse(response: HttpResponse, url: str) -> NoReturn:
    try:
        problem = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        problem = None
    if isinstance(problem, dict) and isinstance(problem.get("code"), str):
        raise ServerProblem(
            problem["code"],
            str(problem.get("message_zh") or problem.get("detail") or problem["code"]),
            str(problem.get("message_en") or problem.get("detail") or problem["code"]),
            status=response.status,
        )
    text = response.body[:200].decode("utf-8", errors="replace")
    raise ServerProblem(
        "http_error",
        f"平台返回 HTTP {response.status}（{url}）：{text}",
        f"the platform answered HTTP {response.status} ({url}): {text}",
        status=response.status,
    )


def _json_answer(response: HttpResponse, url: str) -> Any:
    if not 200 <= response.status < 300:
        _refuse(response, url)
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BidClientError(
            "answer_invalid", f"平台的应答不是 JSON（{url}）", f"the platform's answer is not JSON ({url})"
        ) from error


def get_json(transport: Transport, url: str) -> Any:
    return _json_answer(transport.request("GET", url, headers={"Accept": "application/json"}), url)


@dataclass(frozen=True)
class TenderUrl:
    """``http://host/api/v1/tenders/7``: the tender's URL, its API base (``http://host/api/v1``) and id."""

    url: str
    api_base: str
    tender_id: int

    @classmethod
    def parse(cls, text: str) -> TenderUrl:
        match = _TENDER_URL.match(text.strip())
        if match is None:
            raise BidClientError(
                "url_invalid",
                f"招标项目网址应形如 http://平台地址/api/v1/tenders/7，而不是 {text}",
                f"a tender URL looks like http://host/api/v1/tenders/7, not {text}",
            )
        return cls(url=f"{match['api']}/tenders/{match['id']}", api_base=match["api"], tender_id=int(match["id"]))

    @property
    def bids(self) -> str:
        return f"{self.url}/bids"

    @property
    def opening_keys(self) -> str:
        return f"{self.url}/opening-keys"

    @property
    def decryptions(self) -> str:
        return f"{self.url}/decryptions"

    @property
    def ledger_keys(self) -> str:
        return f"{self.api_base}/ledger/keys"


def _authorization(token: str) -> dict[str, str]:
    token = token.strip()
    if not token or any(character.isspace() for character in token):
        raise BidClientError("token_invalid", "登录令牌为空或含空白字符", "the token is empty or contains whitespace")
    return {"Authorization": f"Bearer {token}"}


# --- inputs -------------------------------------------------------------------------------------------------


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


# --- sealing ------------------------------------------------------------------------------------------------


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
            return TenderMaterial(
                tender_id=url.tender_id,
                lot_code=tender["lot_code"],
                bid_deadline=deadline,
                opening_key=key,
                threshold=int(item.get("threshold") or 0),
            )
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


# --- submission and the receipt --------------------------------------------------------------------------


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
) -> Submission:
    """Upload an envelope, verify the signed receipt and write it next to the envelope (``BID.ggzy.receipt.json``).

    The envelope is checked locally first (its header and outer signature). A receipt that does not verify is kept
    as ``BID.ggzy.receipt.unverified.json`` (evidence of what the platform answered) and raises ``receipt_invalid``.
    """
    url = TenderUrl.parse(tender_url)
    header = read_header(envelope)
    headers = _authorization(token)
    if device is not None:
        headers["Ggzy-Device"] = json.dumps(device, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    key = platform_key or platform_verifier_key(transport, tender_url)
    body = MultipartBody.for_file("envelope", envelope)
    answer = _json_answer(
        transport.request(
            "POST", url.bids, headers=headers | body.headers | {"Accept": "application/json"}, body=body.chunks()
        ),
        url.bids,
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


# --- opening --------------------------------------------------------------------------------------------------


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
    headers = _authorization(token) | {"Content-Type": "application/json", "Accept": "application/json"}
    response = transport.request("POST", url.decryptions, headers=headers, body=body)
    if not 200 <= response.status < 300:
        _refuse(response, url.decryptions)
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
