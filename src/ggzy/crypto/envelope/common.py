"""What every part of the envelope format shares: its constants, canonical JSON, strict JSON and base64 parsing, and
the way a malformed envelope is reported (:class:`EnvelopeInvalid` with an English and a Chinese reason)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, BinaryIO, Final, Literal, NoReturn

from ggzy.crypto.errors import EnvelopeInvalid

FORMAT: Final = "ggzy-sealed-bid/v1"
MAGIC: Final = b"ggzy-sealed-bid/v1\n"
HEADER_LENGTH_SIZE: Final = 4
MAX_HEADER_SIZE: Final = 1 << 20
DEFAULT_CHUNK_SIZE: Final = 1 << 20
MIN_CHUNK_SIZE: Final = 1 << 10
MAX_CHUNK_SIZE: Final = 16 << 20
NONCE_PREFIX_SIZE: Final = 7
MAX_CHUNKS: Final = 1 << 32
KEY_COMMITMENT_LABEL: Final = b"ggzy-sealed-bid/v1 key commitment\x00"
CREATED_AT_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"

SUMMARY_MEMBER: Final = "bid.json"
SIGNATURE_MEMBER: Final = "bid.sig"
FILES_PREFIX: Final = "files/"
MAX_SUMMARY_SIZE: Final = 1 << 20
MAX_SIGNATURE_SIZE: Final = 1 << 12
MAX_FILE_NAME_BYTES: Final = 1024

Role = Literal["bidder", "opening"]
ROLES: Final[tuple[Role, ...]] = ("bidder", "opening")

COPY_SIZE: Final = 1 << 16


def invalid(reason_en: str, reason_zh: str) -> EnvelopeInvalid:
    return EnvelopeInvalid(reason_en=reason_en, reason_zh=reason_zh)


def expect(condition: bool, reason_en: str, reason_zh: str) -> None:
    if not condition:
        raise invalid(reason_en, reason_zh)


def canonical_json(value: object) -> bytes:
    """The signed form of a JSON value: sorted keys, no spaces, UTF-8 (not ``\\u`` escapes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise invalid(f"{what} is not a base64 string", f"{what} 不是 base64 字符串")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise invalid(f"{what} is not valid base64", f"{what} 不是有效的 base64") from error


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise invalid("duplicate key in JSON", "JSON 中有重复的键")
    return document


def _reject_float(text: str) -> NoReturn:
    raise invalid(f"non-integer number {text} in JSON", f"JSON 中有非整数 {text}")


def parse_json(data: bytes, what: str) -> Any:
    """Strict JSON: no repeated keys, no floats, NaN or infinities (amounts are integers of fen)."""
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_reject_duplicate_keys,
            parse_float=_reject_float,
            parse_constant=_reject_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise invalid(f"{what} is not JSON", f"{what} 不是有效的 JSON") from error


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (a pipe or socket may return short reads)."""
    data = stream.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    remaining = size - len(data)
    while remaining:
        more = stream.read(remaining)
        if not more:
            break
        parts.append(more)
        remaining -= len(more)
    return b"".join(parts)
