"""Money is exact (DESIGN §4.5): integer fen, Decimal arithmetic, the bank's rules for capital numerals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.core.errors import InvalidInput
from ggzy.core.money import (
    MAX_FEN,
    allocate,
    fen_to_yuan,
    format_yuan,
    format_yuan_uppercase,
    savings_rate,
    yuan_to_fen,
)

# -- yuan_to_fen ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("0", 0),
        ("1", 100),
        ("12.3", 1230),
        ("12.34", 1234),
        ("12.340", 1234),  # trailing zeros are exact
        (" 1234567.89 ", 123456789),
        (Decimal("0.01"), 1),
        (Decimal("1E+3"), 100000),
        (7, 700),
        ("99999999999999.99", MAX_FEN),
        ("-0", 0),
    ],
)
def test_yuan_to_fen_accepts_exact_amounts(value: str | Decimal | int, fen: int) -> None:
    assert yuan_to_fen(value) == fen


def test_more_than_two_decimal_places_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        yuan_to_fen("12.345", field="bid_price")
    assert caught.value.field == "bid_price"
    assert "两位小数" in caught.value.detail_zh
    assert "分" in caught.value.detail_zh
    assert "two decimal places" in caught.value.detail_en


@pytest.mark.parametrize(
    "value",
    [
        "12.345",
        "0.001",
        "1.0000000000000000000000000000001",  # more digits than the default Decimal context keeps
        Decimal("1E-40"),
        "NaN",
        "Infinity",
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("-Infinity"),
        "-1",
        Decimal("-0.01"),
        "100000000000000",
        Decimal("1E+30"),
        "1e5",
        "1,234.00",
        "",
        "¥12",
        "1 000",
        ".5",
        "12.",
        "1" * 41,
    ],
)
def test_inexact_or_absurd_amounts_are_refused(value: str | Decimal) -> None:
    with pytest.raises(InvalidInput) as caught:
        yuan_to_fen(value)
    assert caught.value.field == "amount"


@pytest.mark.parametrize("value", [1.5, 0.1, True])
def test_floats_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput, match=r"float|string"):
        yuan_to_fen(value)  # type: ignore[arg-type]


def test_negative_amounts_only_where_allowed() -> None:
    assert yuan_to_fen("-12.50", allow_negative=True) == -1250
    with pytest.raises(InvalidInput):
        yuan_to_fen("-99999999999999.999", allow_negative=True)


# -- output -----------------------------------------------------------------------------------------------


def test_fen_to_yuan_has_two_places() -> None:
    assert fen_to_yuan(123) == Decimal("1.23")
    assert str(fen_to_yuan(100)) == "1.00"
    assert str(fen_to_yuan(0)) == "0.00"
    assert str(fen_to_yuan(-5)) == "-0.05"


def test_fen_to_yuan_refuses_non_integers() -> None:
    with pytest.raises(TypeError):
        fen_to_yuan(Decimal("1.5"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (123456789, "1,234,567.89"),
        (0, "0.00"),
        (5, "0.05"),
        (100000, "1,000.00"),
        (-123456, "-1,234.56"),
        (MAX_FEN, "99,999,999,999,999.99"),
    ],
)
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (123456789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (10000, "壹佰元整"),
        (100000101, "壹佰万零壹元零壹分"),
        (50, "伍角"),
        (1005, "壹拾元零伍分"),
        # The examples in 《正确填写票据和结算凭证的基本规定》 (the first form where two are allowed):
        (140950, "壹仟肆佰零玖元伍角"),
        (600714, "陆仟零柒元壹角肆分"),
        (168032, "壹仟陆佰捌拾元零叁角贰分"),
        (10700053, "壹拾万柒仟元零伍角叁分"),
        (1640902, "壹万陆仟肆佰零玖元零贰分"),
        (32504, "叁佰贰拾伍元零肆分"),
        # More zeros and sections:
        (0, "零元整"),
        (1, "壹分"),
        (10, "壹角"),
        (55, "伍角伍分"),
        (100, "壹元整"),
        (1000, "壹拾元整"),
        (1500, "壹拾伍元整"),
        (10010000, "壹拾万零壹佰元整"),
        (100000000, "壹佰万元整"),
        (1000000000000, "壹佰亿元整"),
        (10000000000, "壹亿元整"),
        (10001000000, "壹亿零壹万元整"),
        (10100000000, "壹亿零壹佰万元整"),
        (100000000000100, "壹万亿零壹元整"),
        (123456789012, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分"),
        (-150, "负壹元伍角"),
    ],
)
def test_format_yuan_uppercase_follows_the_bank_rules(fen: int, words: str) -> None:
    assert format_yuan_uppercase(fen) == words


def test_uppercase_uses_only_capital_numerals() -> None:
    allowed = set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整负")
    for fen in (1, 10, 101, 1001, 10001, 100001, 123456789, MAX_FEN):
        assert set(format_yuan_uppercase(fen)) <= allowed


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_uppercase_is_never_empty_and_ends_correctly(fen: int) -> None:
    words = format_yuan_uppercase(fen)
    if fen % 100 == 0:
        assert words.endswith("元整")
    else:
        assert words[-1] in "角分"
    assert "零零" not in words
    assert not words.startswith("零")
    assert not words.startswith("拾")


# -- savings rate -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "award", "rate"),
    [
        (10000, 8765, "0.1235"),
        (3, 2, "0.3333"),
        (3, 1, "0.6667"),
        (20000, 19999, "0.0001"),  # exactly 0.00005 rounds half up
        (10000, 10000, "0.0000"),
        (100, 101, "-0.0100"),
        (20000, 20001, "-0.0001"),  # half-up rounds ties away from zero
        (100, 0, "1.0000"),
    ],
)
def test_savings_rate(budget: int, award: int, rate: str) -> None:
    assert savings_rate(budget, award) == Decimal(rate)
    assert str(savings_rate(budget, award)) == rate


def test_savings_rate_needs_a_positive_budget() -> None:
    with pytest.raises(InvalidInput) as caught:
        savings_rate(0, 100)
    assert caught.value.field == "budget"
    with pytest.raises(InvalidInput):
        savings_rate(-1, 0)


# -- allocate ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (5, [0, 1, 1], [0, 3, 2]),
        (10, [Decimal("0.5"), Decimal("0.3"), Decimal("0.2")], [5, 3, 2]),
        (7, [Decimal("0.5"), Decimal("0.3"), Decimal("0.2")], [4, 2, 1]),  # 3.5, 2.1, 1.4 → 3+1, 2, 1
        (0, [1, 2], [0, 0]),
        (1, [1], [1]),
    ],
)
def test_allocate_by_largest_remainder(total: int, weights: list[int | Decimal], parts: list[int]) -> None:
    assert allocate(total, weights) == parts


@pytest.mark.parametrize(
    ("weights", "error"),
    [([], ValueError), ([0, 0], ValueError), ([1, -1], ValueError), ([0.5, 0.5], TypeError)],
)
def test_allocate_refuses_bad_weights(weights: list[object], error: type[Exception]) -> None:
    with pytest.raises(error):
        allocate(100, weights)  # type: ignore[arg-type]


# -- properties -------------------------------------------------------------------------------------------

fen_amounts = st.integers(min_value=-MAX_FEN, max_value=MAX_FEN)


@given(fen_amounts)
def test_yuan_to_fen_inverts_fen_to_yuan(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan(fen), allow_negative=True) == fen
    assert yuan_to_fen(str(fen_to_yuan(fen)), allow_negative=True) == fen
    assert yuan_to_fen(format_yuan(fen).replace(",", ""), allow_negative=True) == fen


@given(
    total=fen_amounts,
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=20).filter(any),
)
def test_allocate_preserves_the_total_and_is_within_one_fen_of_the_exact_share(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part * weight_sum - total * weight) < weight_sum  # |part − exact share| < 1 fen
        if weight == 0:
            assert part == 0
