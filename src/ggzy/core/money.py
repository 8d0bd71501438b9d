"""Money is exact (DESIGN §4.5): amounts are integers of fen (分), arithmetic is ``Decimal``, never ``float``.

Input amounts arrive in yuan (元) as strings or ``Decimal`` and are turned into fen by
:func:`yuan_to_fen`, which refuses anything that is not an exact number of fen. Output is
:func:`format_yuan` (``1,234,567.89``) or, on formal letters, :func:`format_yuan_uppercase` (中文大写金额,
following the People's Bank of China rules in 《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ggzy.core.errors import InvalidInput

__all__ = [
    "MAX_FEN",
    "allocate",
    "fen_to_yuan",
    "format_yuan",
    "format_yuan_uppercase",
    "savings_rate",
    "yuan_to_fen",
]

# The largest amount accepted: just under 100 万亿 yuan (10^14), far above any trade (China's GDP is about
# 130 万亿) yet small enough that a typo of a dozen extra digits is caught and every sum fits a 64-bit BIGINT.
MAX_FEN = 10**16 - 1
_CENT = Decimal("0.01")
_MAX_YUAN = Decimal(MAX_FEN).scaleb(-2)
_RATE_PLACES = 4
# An optional sign, digits, optionally a point and more digits. No exponent, no separators, no spaces inside.
# ASCII digits only: ``\d`` and ``Decimal`` also read full-width (１２３) and other scripts' digits as money.
_YUAN_PATTERN = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_MAX_TEXT_LENGTH = 40

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")


def _invalid(field: str, reason_zh: str, reason_en: str) -> InvalidInput:
    return InvalidInput(field=field, reason_zh=reason_zh, reason_en=reason_en)


def yuan_to_fen(value: str | Decimal | int, *, field: str = "amount", allow_negative: bool = False) -> int:
    """An amount in yuan as an integer number of fen, refusing anything inexact or absurd.

    Accepts a string such as ``"1234.5"`` or ``"1234.50"`` (surrounding spaces are ignored; no thousands
    separators, no exponent), a ``Decimal`` or an ``int`` (whole yuan). Refuses ``float`` (binary fractions
    are not exact), more than two decimal places unless the extra digits are zeros (``"12.345"``; ``"12.340"``
    is fine), NaN and infinities, negative amounts unless ``allow_negative``, and amounts above
    :data:`MAX_FEN` fen.
    Every refusal is :class:`InvalidInput` naming ``field``.
    """
    amount = _to_decimal(value, field=field)
    if not amount.is_finite():
        raise _invalid(field, "应为有限数值", "must be a finite number")
    if amount < 0 and not allow_negative:
        raise _invalid(field, "不能为负数", "must not be negative")
    if amount.copy_abs() > _MAX_YUAN:  # copy_abs and comparisons are exact; abs() would round
        raise _invalid(field, "金额过大，请核对", "is too large; please check the amount")
    fen = _exact_fen(amount)
    if fen is None:
        raise _invalid(
            field,
            "最多保留两位小数（精确到分）",
            "must have at most two decimal places (whole fen)",
        )
    return fen


def _exact_fen(amount: Decimal) -> int | None:
    """``amount × 100`` if it is a whole number, else None; exact, with no rounding context involved."""
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    coefficient = int("".join(map(str, digits)))
    if exponent >= -2:
        fen = coefficient * 10 ** (exponent + 2)
    elif coefficient == 0:
        fen = 0
    elif -2 - exponent >= len(digits):  # every digit lies below the fen
        return None
    else:
        fen, below_fen = divmod(coefficient, 10 ** (-2 - exponent))
        if below_fen:
            return None
    return -fen if sign else fen


def _to_decimal(value: object, *, field: str) -> Decimal:
    if isinstance(value, bool | float):
        raise _invalid(
            field,
            "金额须以字符串或 Decimal 提供，不能是浮点数",
            "must be given as a string or Decimal, not a float",
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT_LENGTH or not _YUAN_PATTERN.fullmatch(text):
            raise _invalid(field, "不是有效的金额", "is not a valid amount")
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise _invalid(field, "不是有效的金额", "is not a valid amount") from None
    raise _invalid(field, "不是有效的金额", "is not a valid amount")


def fen_to_yuan(fen: int) -> Decimal:
    """Fen as yuan, always with two decimal places: ``123`` → ``Decimal("1.23")``."""
    _require_int(fen)
    return Decimal(fen).scaleb(-2).quantize(_CENT)


def format_yuan(fen: int) -> str:
    """Fen as yuan with thousands separators: ``123456789`` → ``"1,234,567.89"``; negatives get ``-``."""
    _require_int(fen)
    return f"{fen_to_yuan(fen):,.2f}"


def format_yuan_uppercase(fen: int) -> str:
    """Fen in Chinese capital numerals (中文大写金额), as written on cheques and formal letters.

    The People's Bank rules (《正确填写票据和结算凭证的基本规定》), and the choice made where they allow two:

    * capitals 壹贰叁肆伍陆柒捌玖, places 拾佰仟万亿, units 元角分; 10 is 壹拾 (never a bare 拾);
    * an amount ending at 元 ends with 整; one ending at 角 or 分 does not (``伍角``, ``壹元伍角``);
    * zeros between digits are one 零 (``6,007.14`` → 陆仟零柒元壹角肆分), trailing zeros of a section none
      (``107,000`` → 壹拾万柒仟元);
    * 角 zero and 分 not: 零 after 元 (``325.04`` → 叁佰贰拾伍元零肆分);
    * 元 digit zero and 角 not: the rules allow 零 or nothing; we write 零, the first form in the rules'
      examples (``1,680.32`` → 壹仟陆佰捌拾元零叁角贰分), which also makes the amount harder to alter;
    * zero is ``零元整``; a negative amount is prefixed with ``负``.
    """
    _require_int(fen)
    if fen < 0:
        return "负" + format_yuan_uppercase(-fen)
    if fen == 0:
        return "零元整"
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    words = _integer_words(yuan) + "元" if yuan else ""
    if cents == 0:
        return words + "整"
    if jiao:
        if yuan and yuan % 10 == 0:
            words += "零"
        words += _DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen_digit:
        words += _DIGITS[fen_digit] + "分"
    return words


def _integer_words(number: int) -> str:
    """A positive integer in capital numerals, sections of four digits joined by 万 and 亿."""
    for unit_value, unit in ((10**8, "亿"), (10**4, "万")):
        if number >= unit_value:
            high, low = divmod(number, unit_value)
            words = _integer_words(high) + unit
            if low == 0:
                return words
            if low < unit_value // 10:  # the lower section starts with a zero: 壹亿零壹佰万, 壹万零伍
                words += "零"
            return words + _integer_words(low)
    return _section_words(number)


def _section_words(number: int) -> str:
    """1–9999 in capital numerals: inner zeros as one 零, trailing zeros dropped."""
    digits = [int(d) for d in f"{number:04d}"]
    words = ""
    pending_zero = False
    started = False
    for index, digit in enumerate(digits):
        place = _PLACES[3 - index]
        if digit == 0:
            pending_zero = started
            continue
        if pending_zero:
            words += "零"
            pending_zero = False
        words += _DIGITS[digit] + place
        started = True
    return words


def savings_rate(budget_fen: int, award_fen: int, *, field: str = "budget") -> Decimal:
    """The savings rate (节支率) ``(budget − award) ÷ budget``, rounded half-up to four places.

    ``0.1235`` means 12.35%. Negative when the award exceeds the budget. The budget must be positive
    (:class:`InvalidInput` naming ``field`` otherwise). Computed in integers, so the rounding is exact.
    """
    _require_int(budget_fen)
    _require_int(award_fen)
    if budget_fen <= 0:
        raise _invalid(field, "预算金额须大于零才能计算节支率", "must be positive to compute a savings rate")
    numerator = (budget_fen - award_fen) * 10**_RATE_PLACES
    quotient, remainder = divmod(abs(numerator), budget_fen)
    if 2 * remainder >= budget_fen:  # half-up: ties go away from zero
        quotient += 1
    signed = -quotient if numerator < 0 else quotient
    return Decimal(signed).scaleb(-_RATE_PLACES).quantize(Decimal(1).scaleb(-_RATE_PLACES))


def allocate(total_fen: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``total_fen`` in proportion to ``weights`` so that the parts add up exactly.

    Largest remainder (Hamilton) method: each part gets the whole fen of its exact share, and the fen left
    over go one each to the parts with the largest fractional remainders; equal remainders go to the earlier
    part. A part of weight zero gets nothing. Weights are non-negative ints or Decimals (no floats) with a
    positive sum. A negative total is split as its opposite and negated.
    """
    _require_int(total_fen)
    if not weights:
        raise ValueError("at least one weight is needed")
    exact_weights: list[Fraction] = []
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int | Decimal):
            raise TypeError(f"weights must be int or Decimal, not {type(weight).__name__}")
        if isinstance(weight, Decimal) and not weight.is_finite():
            raise ValueError("weights must be finite")
        if weight < 0:
            raise ValueError("weights must not be negative")
        exact_weights.append(Fraction(weight))
    weight_sum = sum(exact_weights, Fraction(0))
    if weight_sum == 0:
        raise ValueError("the weights must not all be zero")
    if total_fen < 0:
        return [-part for part in allocate(-total_fen, weights)]
    shares = [total_fen * weight / weight_sum for weight in exact_weights]
    parts = [int(share) for share in shares]  # floor: shares are non-negative
    left_over = total_fen - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for index in by_remainder[:left_over]:
        parts[index] += 1
    return parts


def _require_int(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an amount in fen must be an int, not {type(value).__name__}")
