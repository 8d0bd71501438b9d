"""Talking to the platform: the transport, refusals as :class:`ServerProblem`, tender URLs."""

from __future__ import annotations

import contextlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn, Protocol

from ggzy.core.errors import DomainError

_TENDER_URL: Final = re.compile(r"^(?P<api>https?://[^?#]+?)/tenders/(?P<id>[0-9]+)/?$")


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


def refuse(response: HttpResponse, url: str) -> NoReturn:
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


def json_answer(response: HttpResponse, url: str) -> Any:
    if not 200 <= response.status < 300:
        refuse(response, url)
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BidClientError(
            "answer_invalid", f"平台的应答不是 JSON（{url}）", f"the platform's answer is not JSON ({url})"
        ) from error


def get_json(transport: Transport, url: str) -> Any:
    return json_answer(transport.request("GET", url, headers={"Accept": "application/json"}), url)


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
    def quotations(self) -> str:
        return f"{self.url}/quotations"

    def quotation_round(self, number: int) -> str:
        return f"{self.url}/quotation-rounds/{number}"

    @property
    def decryptions(self) -> str:
        return f"{self.url}/decryptions"

    @property
    def ledger_keys(self) -> str:
        return f"{self.api_base}/ledger/keys"


def authorization(token: str) -> dict[str, str]:
    token = token.strip()
    if not token or any(character.isspace() for character in token):
        raise BidClientError("token_invalid", "登录令牌为空或含空白字符", "the token is empty or contains whitespace")
    return {"Authorization": f"Bearer {token}"}
