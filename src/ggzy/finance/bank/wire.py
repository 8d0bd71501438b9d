"""The bank protocol's messages on the wire (JSON over HTTP), shared by the bank simulator and ``HttpBankAdapter``.

A credit notice is pushed as the canonical JSON (RFC 8785) of its fields plus the settlement account it concerns,
signed with the bank's Ed25519 key over ``NOTICE_CONTEXT ‖ body``; the signature travels base64-encoded in the
``SIGNATURE_HEADER``. The bank's public key is the base64 of its 32 raw bytes (what ``GET /info`` serves and
``GGZY_BANK_PUBLIC_KEY`` pins). Amounts are integer 分; times ISO 8601 in UTC.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ggzy.core.clock import as_utc
from ggzy.core.events import canonical_json
from ggzy.finance.bank.protocol import (
    CreditNotice,
    Direction,
    OrderReceipt,
    OrderStatus,
    RefundOrder,
    Statement,
    StatementLine,
    SubAccount,
)

SIGNATURE_HEADER = "Ggzy-Bank-Signature"
SIGNATURE_ALGORITHM = "Ed25519"
# Domain separation: a signature over a notice can never be taken for the bank's signature over anything else.
NOTICE_CONTEXT = b"ggzy-bank-credit-notice/v1\n"


class WireError(ValueError):
    """A message that does not have the protocol's shape."""


def encode_time(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds")


def decode_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise WireError("a time is an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise WireError(f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise WireError(f"a time must carry its offset: {value!r}")
    return as_utc(moment)


def _text(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise WireError(f"{name} is a non-empty string")
    return value


def _optional_text(message: dict[str, Any], name: str) -> str | None:
    return None if message.get(name) is None else _text(message, name)


def _fen(message: dict[str, Any], name: str, *, positive: bool = False) -> int:
    value = message.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or (positive and value <= 0):
        raise WireError(f"{name} is an integer number of 分" + (" above zero" if positive else ""))
    return value


def _object(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise WireError("a message is a JSON object")
    return message


# --- the bank's key ------------------------------------------------------------------------------------------------


def public_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise WireError("the bank's public key is the base64 of 32 raw Ed25519 bytes") from None


# --- credit notices --------------------------------------------------------------------------------------------------


def notice_body(notice: CreditNotice, *, account: str) -> bytes:
    return canonical_json(
        {
            "account": account,
            "bank_txn_id": notice.bank_txn_id,
            "sub_account": notice.sub_account,
            "amount_fen": notice.amount_fen,
            "payer_account": notice.payer_account,
            "payer_name": notice.payer_name,
            "payer_bank": notice.payer_bank,
            "booked_at": encode_time(notice.booked_at),
        }
    ).encode()


def sign_notice(key: Ed25519PrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(NOTICE_CONTEXT + body)).decode()


def signature_valid(key: Ed25519PublicKey, body: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), NOTICE_CONTEXT + body)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def decode_notice(message: Any) -> tuple[str, CreditNotice]:
    """The settlement account a notice concerns and the notice (``own_funds``: credited to the settlement account's
    own balance, the notice's ``sub_account`` being the settlement account itself)."""
    message = _object(message)
    account = _text(message, "account")
    notice = CreditNotice(
        bank_txn_id=_text(message, "bank_txn_id"),
        sub_account=_text(message, "sub_account"),
        amount_fen=_fen(message, "amount_fen", positive=True),
        payer_account=_text(message, "payer_account"),
        payer_name=_text(message, "payer_name"),
        payer_bank=_text(message, "payer_bank"),
        booked_at=decode_time(message.get("booked_at")),
        own_funds=message.get("sub_account") == account,
    )
    return account, notice


# --- sub-accounts, orders, receipts, statements ----------------------------------------------------------------------


def encode_sub_account(sub_account: SubAccount) -> dict[str, Any]:
    return {"number": sub_account.number, "name": sub_account.name, "reference": sub_account.reference}


def decode_sub_account(message: Any) -> SubAccount:
    message = _object(message)
    return SubAccount(
        number=_text(message, "number"), name=_text(message, "name"), reference=_text(message, "reference")
    )


def encode_order(order: RefundOrder) -> dict[str, Any]:
    return {
        "idempotency_key": order.idempotency_key,
        "from_sub_account": order.from_sub_account,
        "to_account": order.to_account,
        "to_name": order.to_name,
        "to_bank": order.to_bank,
        "principal_fen": order.principal_fen,
        "interest_fen": order.interest_fen,
        "purpose": order.purpose,
    }


def encode_receipt(receipt: OrderReceipt) -> dict[str, Any]:
    return {
        "idempotency_key": receipt.idempotency_key,
        "bank_txn_id": receipt.bank_txn_id,
        "status": receipt.status.value,
        "at": encode_time(receipt.at),
        "reason": receipt.reason,
    }


def decode_receipt(message: Any) -> OrderReceipt:
    message = _object(message)
    try:
        status = OrderStatus(message.get("status"))
    except ValueError:
        raise WireError(f"unknown order status {message.get('status')!r}") from None
    return OrderReceipt(
        idempotency_key=_text(message, "idempotency_key"),
        bank_txn_id=_optional_text(message, "bank_txn_id"),
        status=status,
        at=decode_time(message.get("at")),
        reason=_optional_text(message, "reason"),
    )


def encode_statement(statement: Statement) -> dict[str, Any]:
    return {
        "account": statement.account,
        "day": statement.day.isoformat(),
        "opening_balance_fen": statement.opening_balance_fen,
        "closing_balance_fen": statement.closing_balance_fen,
        "lines": [
            {
                "bank_txn_id": line.bank_txn_id,
                "sub_account": line.sub_account,
                "direction": line.direction.value,
                "amount_fen": line.amount_fen,
                "counterparty_account": line.counterparty_account,
                "counterparty_name": line.counterparty_name,
                "booked_at": encode_time(line.booked_at),
                "idempotency_key": line.idempotency_key,
            }
            for line in statement.lines
        ],
    }


def _line(message: Any) -> StatementLine:
    message = _object(message)
    try:
        direction = Direction(message.get("direction"))
    except ValueError:
        raise WireError(f"unknown direction {message.get('direction')!r}") from None
    return StatementLine(
        bank_txn_id=_text(message, "bank_txn_id"),
        sub_account=_text(message, "sub_account"),
        direction=direction,
        amount_fen=_fen(message, "amount_fen", positive=True),
        counterparty_account=_text(message, "counterparty_account"),
        counterparty_name=_text(message, "counterparty_name"),
        booked_at=decode_time(message.get("booked_at")),
        idempotency_key=_optional_text(message, "idempotency_key"),
    )


def decode_statement(message: Any) -> Statement:
    message = _object(message)
    lines = message.get("lines")
    if not isinstance(lines, list):
        raise WireError("lines is a list")
    try:
        day = date.fromisoformat(_text(message, "day"))
    except ValueError:
        raise WireError("day is YYYY-MM-DD") from None
    return Statement(
        account=_text(message, "account"),
        day=day,
        opening_balance_fen=_fen(message, "opening_balance_fen"),
        closing_balance_fen=_fen(message, "closing_balance_fen"),
        lines=tuple(_line(line) for line in lines),
    )
