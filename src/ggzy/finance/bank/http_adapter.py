"""``HttpBankAdapter``: the platform's side of the bank protocol over HTTP (the bank simulator speaks it; a real
bank's 银企直连 would get an adapter of its own with the same interface, decision 0034).

Every call has a timeout. A call that gets no usable answer — connection refused or reset, a timeout, a 5xx, an
answer that is not the protocol's — raises :class:`BankUnavailable`: its outcome is unknown, so an order is asked
about again by its idempotency key (``order_status``) or re-sent with the same key, never with a new one. A 4xx is
the bank refusing the request itself (a malformed order, an idempotency key reused for another order):
:class:`BankRequestRefused`, which retrying cannot cure.

Notices are verified against the bank's public key pinned in the platform's configuration (``GGZY_BANK_PUBLIC_KEY``),
never against a key the bank serves at the time: a notice must be signed by the key the centre pinned, name the
platform's settlement account, and have the protocol's shape, or it is :class:`NoticeForged`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import httpx

from ggzy.config import Settings
from ggzy.core.errors import DomainError
from ggzy.finance.bank.protocol import (
    BankUnavailable,
    CreditNotice,
    NoticeForged,
    OrderReceipt,
    RefundOrder,
    Statement,
    SubAccount,
)
from ggzy.finance.bank.wire import (
    WireError,
    decode_notice,
    decode_receipt,
    decode_statement,
    decode_sub_account,
    encode_order,
    parse_public_key,
    public_key_text,
    signature_valid,
)

DEFAULT_TIMEOUT_SECONDS = 5.0
Message = TypeVar("Message")


class BankRequestRefused(DomainError):
    """The bank refused the request itself (HTTP 4xx): resending it unchanged will not help."""

    code = "bank_request_refused"
    status = 502
    message_zh = "银行拒绝了该请求：{reason}"
    message_en = "The bank refused the request: {reason}"


class HttpBankAdapter:
    """A :class:`~ggzy.finance.bank.protocol.BankAdapter` over HTTP/JSON (httpx, one connection pool)."""

    def __init__(
        self,
        base_url: str,
        *,
        public_key: str,
        settlement_account: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            self._public_key = parse_public_key(public_key)
        except WireError as error:
            raise ValueError(str(error)) from None
        self.settlement_account = settlement_account
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    @classmethod
    def pinned(cls, base_url: str, *, public_key: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> HttpBankAdapter:
        """An adapter whose settlement account is read from the bank's ``/info`` — which must serve the key pinned
        here (a bank answering with another key is not the bank the centre configured)."""
        probe = cls(base_url, public_key=public_key, settlement_account="", timeout=timeout)
        info = probe._call("GET", "/info")
        if not isinstance(info, dict) or not _same_key(info.get("public_key"), public_key):
            probe.close()
            raise BankRequestRefused(reason="the bank at this address does not serve the pinned public key")
        account = info.get("settlement_account")
        if not isinstance(account, str) or not account:
            probe.close()
            raise BankUnavailable(reason="the bank's /info names no settlement account")
        probe.settlement_account = account
        return probe

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpBankAdapter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- the protocol ------------------------------------------------------------------------------------------------

    def open_sub_account(self, *, reference: str, name: str) -> SubAccount:
        answer = self._call("POST", "/sub-accounts", {"reference": reference, "name": name})
        return self._read(decode_sub_account, answer)

    def order(self, order: RefundOrder) -> OrderReceipt:
        return self._read(decode_receipt, self._call("POST", "/orders", encode_order(order)))

    def order_status(self, idempotency_key: str) -> OrderReceipt | None:
        answer = self._call("GET", "/orders", params={"idempotency_key": idempotency_key}, absent_ok=True)
        return None if answer is None else self._read(decode_receipt, answer)

    def statement(self, day: date) -> Statement:
        statement = self._read(decode_statement, self._call("GET", f"/statements/{day.isoformat()}"))
        if statement.account != self.settlement_account or statement.day != day:
            raise BankUnavailable(reason=f"the bank answered a statement of {statement.account} {statement.day}")
        return statement

    def verify_notice(self, body: bytes, signature: str) -> CreditNotice:
        if not signature_valid(self._public_key, body, signature):
            raise NoticeForged()
        try:
            account, notice = decode_notice(json.loads(body))
        except (ValueError, WireError):  # signed, yet not a notice: refused all the same, nothing read from it
            raise NoticeForged() from None
        if account != self.settlement_account:  # signed by our bank, for another customer's account
            raise NoticeForged()
        return notice

    # --- the wire ----------------------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        absent_ok: bool = False,
    ) -> Any:
        try:
            answer = self._client.request(method, path, json=body, params=params)
        except httpx.HTTPError as error:  # refused, reset, timed out: the outcome is unknown
            raise BankUnavailable(reason=f"{type(error).__name__}: {error}") from error
        if answer.status_code >= 500:
            raise BankUnavailable(reason=f"HTTP {answer.status_code}")
        if answer.status_code == 404 and absent_ok and _code(answer) == "unknown_order":
            return None
        if answer.status_code >= 400:
            raise BankRequestRefused(reason=f"HTTP {answer.status_code} {answer.text[:300]}")
        try:
            return answer.json()
        except ValueError:
            raise BankUnavailable(reason="the bank's answer is not JSON") from None

    @staticmethod
    def _read(decode: Callable[[Any], Message], message: Any) -> Message:
        try:
            return decode(message)
        except WireError as error:
            raise BankUnavailable(reason=f"the bank's answer is not the protocol's: {error}") from None


def _same_key(served: Any, pinned: str) -> bool:
    if not isinstance(served, str):
        return False
    try:
        return public_key_text(parse_public_key(served)) == public_key_text(parse_public_key(pinned))
    except WireError:
        return False


def _code(answer: httpx.Response) -> str | None:
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def adapter_from_settings(settings: Settings) -> HttpBankAdapter | None:
    """The bank adapter the centre configured (``GGZY_BANK_URL`` and ``GGZY_BANK_PUBLIC_KEY``), or ``None``."""
    if not settings.bank_url:
        return None
    if not settings.bank_public_key:
        raise ValueError("GGZY_BANK_URL is set without GGZY_BANK_PUBLIC_KEY: the bank's notices could not be checked")
    return HttpBankAdapter.pinned(
        settings.bank_url, public_key=settings.bank_public_key, timeout=settings.bank_timeout_seconds
    )
