"""What the platform accepts from outside: bounded integers, days and moments the database can store, and text a
person wrote (DESIGN §4.6: bad input gets a clear error).

One annotated type per kind of input, used by every path and query parameter, page form and request schema:

* :data:`Id` — a row id, 1 … 2⁶³−1 (a 64-bit BIGINT); :data:`Offset` bounds paging the same way.
  A larger number would overflow the column: SQLite refuses to bind it and PostgreSQL fails the query.
* :data:`Day`, :data:`Moment` — a date, or an aware time, between 1900 and 2999. Year 1 or 9999 cannot be moved to
  UTC or a day further without overflowing Python's dates.
* :data:`Name` (one line), :data:`Text` (may span lines), :data:`SearchTerm`, :data:`Ascii` (codes, PEM, base64)
  — normalised to NFC (a name typed on two keyboards is one name) and refused when they hold what no person writes
  and what can hide or disguise text on a page or a printed record: NUL (PostgreSQL cannot store it), C0 and C1
  control characters (escape, bell …), the bidi embedding and override characters (U+202A–202E, U+2066–2069: they
  reorder what a reader sees, CVE-2021-42574), lone surrogates (not text: no encoding can store them), and text made
  only of invisible characters.

A refusal is a 422 problem naming the field, with the reason in Chinese and English (``ggzy.core.problems``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from ggzy.core.errors import InvalidInput

BIGINT_MAX = 2**63 - 1
# A row id of a BIGINT (or INTEGER) primary key: never 0, never beyond 64 bits.
Id = Annotated[int, Ge(1), Le(BIGINT_MAX)]
# How many rows a page skips: what a 64-bit OFFSET takes.
Offset = Annotated[int, Ge(0), Le(BIGINT_MAX)]

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)

# Characters that a person's text never contains (beyond the categories Cc and Cs): bidi embeddings, overrides and
# isolates reorder what a reader sees.
_BIDI_CONTROLS = frozenset(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# Invisible characters: a text made of these alone shows nothing (zero-width space, joiners, word joiner, BOM …).
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u034f")
_LINE_BREAKS = frozenset("\t\n\r")


def _refuse(kind: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, context)


def _check_characters(value: str, *, allowed: frozenset[str]) -> None:
    for character in value:
        code = ord(character)
        if 0xD800 <= code <= 0xDFFF:
            raise _refuse("text_surrogate", "must be text: it holds a lone surrogate U+{code}", code=f"{code:04X}")
        if character in allowed:
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F:
            raise _refuse("text_control_character", "must not hold the control character U+{code}", code=f"{code:04X}")
        if character in _BIDI_CONTROLS:
            raise _refuse("text_bidi_control", "must not hold the bidi control character U+{code}", code=f"{code:04X}")


def _visible(value: str) -> bool:
    return any(not (character.isspace() or character in _INVISIBLE) for character in value)


def _person_text(value: str, *, allowed: frozenset[str]) -> str:
    _check_characters(value, allowed=allowed)
    value = unicodedata.normalize("NFC", value)
    # spaces alone are left to each field's own rule (a length, or a form's "must not be blank")
    if not _visible(value) and any(character in _INVISIBLE for character in value):
        raise _refuse("text_invisible", "must show something: it holds only invisible characters")
    return value


def check_name(value: str) -> str:
    """A name on one line: no line breaks or tabs, no controls, at least one visible character; NFC."""
    return _person_text(value.strip(), allowed=frozenset())


def check_text(value: str) -> str:
    """Free text that may span lines (tabs and line breaks kept), otherwise as a name; NFC."""
    return _person_text(value, allowed=_LINE_BREAKS)


def check_signed_text(value: str) -> str:
    """Text that is signed as sent (a checkpoint note): lines allowed, no controls, and never normalised — NFC
    would change the bytes under the signature."""
    _check_characters(value, allowed=_LINE_BREAKS)
    return value


def check_search_term(value: str) -> str:
    """What a visitor searches for: one line, no controls; blank is allowed (no filter); NFC."""
    _check_characters(value, allowed=frozenset())
    return unicodedata.normalize("NFC", value)


def check_ascii(value: str) -> str:
    """A code, an identifier, base64, hex or PEM: printable ASCII, lines allowed."""
    for character in value:
        if not (" " <= character <= "~" or character in _LINE_BREAKS):
            raise _refuse("text_not_ascii", "must be printable ASCII: it holds U+{code}", code=f"{ord(character):04X}")
    return value


def check_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise _refuse("date_out_of_range", "must be a day between {first} and {last}", first=FIRST_DAY, last=LAST_DAY)
    return value


def check_moment(value: datetime) -> datetime:
    # by its year as written: an aware time of year 1 at +08:00 cannot even be moved to UTC to be compared
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise _refuse("date_out_of_range", "must be a time between {first} and {last}", first=FIRST_DAY, last=LAST_DAY)
    return value


@dataclass(frozen=True)
class _Kind:
    """Publishes which kind of text a field takes in the OpenAPI document (``x-text``), so that the contract says
    what is refused and a test can prove that every string a request carries is checked."""

    kind: str

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["x-text"] = self.kind
        return schema


Name = Annotated[str, AfterValidator(check_name), _Kind("name")]
Text = Annotated[str, AfterValidator(check_text), _Kind("text")]
SearchTerm = Annotated[str, AfterValidator(check_search_term), _Kind("search")]
Ascii = Annotated[str, AfterValidator(check_ascii), _Kind("ascii")]
SignedText = Annotated[str, AfterValidator(check_signed_text), _Kind("signed")]


def check_ascii_number(value: Any) -> Any:
    """A number written as text in ASCII digits: ``Decimal`` (and pydantic) would read ``"１２"`` as 12."""
    if isinstance(value, str) and not value.isascii():
        raise _refuse("number_not_ascii", "must be written in ASCII digits")
    return value


@dataclass(frozen=True)
class _AsciiNumberSchema:
    """Publishes that a number written as text is ASCII digits (a pattern on the string form)."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        for branch in schema.get("anyOf", []):
            if branch.get("type") == "string":
                branch["pattern"] = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
        return schema


def check_number_size(value: Decimal) -> Decimal:
    """A decimal of a sensible size: ``.1e+1402441`` parses, and then overflows the first multiplication."""
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value.adjusted() > NUMBER_DIGITS or (isinstance(exponent, int) and exponent < -12):
        raise _refuse(
            "number_out_of_range", "must be below 10^{digits}, with at most 12 decimal places", digits=NUMBER_DIGITS
        )
    return value


NUMBER_DIGITS = 15
# A decimal number (a score, a percentage): as a JSON number, or as text in ASCII digits; below 10¹⁵.
Number = Annotated[
    Decimal, BeforeValidator(check_ascii_number), AfterValidator(check_number_size), _AsciiNumberSchema()
]
Day = Annotated[date, AfterValidator(check_day)]
Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]

# Text validators by name, for the test that proves every string a request carries passes one of them.
TEXT_CHECKS = frozenset({check_name, check_text, check_search_term, check_ascii, check_signed_text})


def name_or_refuse(value: str, *, field: str) -> str:
    """A name read by hand (from a document, not a schema): :class:`InvalidInput` naming ``field`` where
    :data:`Name` would refuse it."""
    try:
        return check_name(value)
    except PydanticCustomError as error:
        raise InvalidInput(field=field, reason_zh="含有不允许的字符", reason_en=error.message()) from None


def day_in_range(value: date, *, field: str) -> date:
    """A day parsed by hand (a page's form): :class:`InvalidInput` naming ``field`` when the database cannot store
    it, as :data:`Day` refuses it in a schema."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidInput(
            field=field,
            reason_zh=f"日期须在 {FIRST_DAY} 至 {LAST_DAY} 之间",
            reason_en=f"must be between {FIRST_DAY} and {LAST_DAY}",
        )
    return value


def moment_in_range(value: datetime, *, field: str) -> datetime:
    """A time parsed by hand, as :func:`day_in_range`."""
    day_in_range(date(value.year, 1, 1), field=field)
    return value


def file_name(value: str | None, *, default: str) -> str:
    """An uploaded file's name as its sender gave it, made safe to keep and show: NFC, without path separators,
    control, bidi or lone surrogate characters, at most 200 characters; ``default`` when nothing is left."""
    kept = "".join(
        "_" if character in "/\\" else character
        for character in unicodedata.normalize("NFC", (value or "").encode("utf-8", "replace").decode())
        if not (ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F or character in _BIDI_CONTROLS)
    ).strip()[:200]
    return kept if _visible(kept) else default
