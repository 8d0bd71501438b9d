"""Credit codes (GB 32100-2015), region codes (GB/T 2260) and unified project codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.core.codes import (
    PROVINCES,
    CreditCodeInvalid,
    ProjectCodeInvalid,
    RegionCodeInvalid,
    credit_code_check_character,
    credit_code_parts,
    is_valid_credit_code,
    is_valid_region_code,
    make_project_code,
    parent_region,
    province_of,
    region_contains,
    region_level,
    region_name,
    validate_credit_code,
    validate_project_code,
    validate_region_code,
)
from ggzy.core.errors import InvalidInput
from ggzy.core.trade_types import TradeType

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Codes as published by large companies (on their business licences and in public registers). A code typed
# from memory has one chance in 31 of passing the check, so the check passing is what these tests rely on.
PUBLISHED_CREDIT_CODES = [
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]

# -- credit codes -----------------------------------------------------------------------------------------


def test_the_weights_are_those_of_gb_32100() -> None:
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    # With a single 1 in position i and zeros elsewhere, the check is 31 − weight_i.
    for position, weight in enumerate(weights):
        first17 = "0" * position + "1" + "0" * (16 - position)
        assert credit_code_check_character(first17) == CREDIT_CHARSET[31 - weight]


def test_a_check_value_of_31_becomes_0() -> None:
    assert credit_code_check_character("0" * 17) == "0"


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert is_valid_credit_code(code)
    assert credit_code_check_character(code[:17]) == code[17]


def test_credit_code_is_normalised() -> None:
    assert validate_credit_code("  9144030071526726xg ") == "9144030071526726XG"


def test_credit_code_parts() -> None:
    parts = credit_code_parts("91110000802100433B")
    assert parts.registration_authority == "9"
    assert parts.entity_type == "1"
    assert parts.region_code == "110000"
    assert parts.organisation_code == "802100433"
    assert parts.check_character == "B"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("91110000802100433", "18"),
        ("91110000802100433BB", "18"),
        ("", "18"),
        ("91110000802100433I", "第 18 位"),
        ("9111000080210O433B", "第 14 位"),
        ("91110000802100433C", "校验码"),
    ],
)
def test_bad_credit_codes_are_refused_naming_the_field(value: str, fragment: str) -> None:
    with pytest.raises(CreditCodeInvalid) as caught:
        validate_credit_code(value, field="bidder_credit_code")
    error = caught.value
    assert error.code == "credit_code_invalid"
    assert error.status == 422
    assert error.field == "bidder_credit_code"
    assert "bidder_credit_code" in error.detail_zh
    assert isinstance(error, InvalidInput)
    assert fragment in error.detail_zh


def test_the_wrong_check_character_is_not_revealed() -> None:
    with pytest.raises(CreditCodeInvalid) as caught:
        validate_credit_code("91110000802100433C")
    problem = caught.value.problem()
    assert "B" not in problem["message_zh"]
    assert "'B'" not in problem["message_en"]
    assert "check character is wrong" in problem["message_en"]


@pytest.mark.parametrize("letter", "IOSVZ")
def test_letters_outside_the_charset_are_refused(letter: str) -> None:
    with pytest.raises(CreditCodeInvalid, match="not allowed"):
        validate_credit_code("9111000080210043" + letter + "B")


def test_check_character_helper_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        credit_code_check_character("123")
    with pytest.raises(ValueError, match="17 characters"):
        credit_code_check_character("I" * 17)


first17s = st.text(alphabet=CREDIT_CHARSET, min_size=17, max_size=17)


@given(first17=first17s)
def test_generated_credit_codes_validate(first17: str) -> None:
    code = first17 + credit_code_check_character(first17)
    assert validate_credit_code(code) == code


@given(first17=first17s, position=st.integers(min_value=0, max_value=17), data=st.data())
def test_any_single_character_change_is_detected(first17: str, position: int, data: st.DataObject) -> None:
    code = first17 + credit_code_check_character(first17)
    replacement = data.draw(st.sampled_from([c for c in CREDIT_CHARSET if c != code[position]]))
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_credit_code(changed)


@given(first17=first17s, position=st.integers(min_value=0, max_value=16))
def test_any_swap_of_adjacent_characters_is_detected(first17: str, position: int) -> None:
    code = first17 + credit_code_check_character(first17)
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not is_valid_credit_code(swapped)


# -- region codes -----------------------------------------------------------------------------------------


def test_the_34_province_level_divisions_are_listed() -> None:
    assert len(PROVINCES) == 34
    assert region_name("110000") == "北京市"
    assert region_name("530000") == "云南省"
    assert region_name("650000") == "新疆维吾尔自治区"
    assert region_name("710000") == "台湾省"
    assert region_name("810000") == "香港特别行政区"
    assert region_name("820000") == "澳门特别行政区"
    assert region_name("530100") is None  # no names below province level


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("530000", "province", None),
        ("530100", "city", "530000"),
        ("530102", "county", "530100"),
        ("110101", "county", "110100"),
        ("429004", "county", "429000"),  # a county-level city administered by the province (省直辖)
    ],
)
def test_region_levels_and_parents(code: str, level: str, parent: str | None) -> None:
    assert validate_region_code(code) == code
    assert region_level(code) == level
    assert parent_region(code) == parent


@pytest.mark.parametrize(
    "value",
    ["53010", "5301000", "53010a", "", "990000", "100000", "000000", "720000", "530001", " 5301 00"],
)
def test_bad_region_codes_are_refused(value: str) -> None:
    with pytest.raises(RegionCodeInvalid) as caught:
        validate_region_code(value, field="centre_region")
    assert caught.value.code == "region_code_invalid"
    assert caught.value.status == 422
    assert caught.value.field == "centre_region"
    assert not is_valid_region_code(value)


def test_region_contains_scopes_a_supervisor() -> None:
    assert region_contains("530000", "530000")
    assert region_contains("530000", "530100")
    assert region_contains("530000", "530102")
    assert region_contains("530100", "530102")
    assert region_contains("530102", "530102")
    assert not region_contains("530100", "530000")  # a city does not contain its province
    assert not region_contains("530100", "530200")
    assert not region_contains("530102", "530103")
    assert not region_contains("520000", "530102")


def test_province_of() -> None:
    assert province_of("530102") == "530000"
    assert province_of("530000") == "530000"


region_codes = st.builds(
    lambda province, city, county: province[:2] + (f"{city:02d}{county:02d}" if city else "0000"),
    st.sampled_from(sorted(PROVINCES)),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
)


@given(code=region_codes)
def test_every_region_lies_within_each_of_its_ancestors(code: str) -> None:
    ancestor = parent_region(code)
    while ancestor is not None:
        assert region_contains(ancestor, code)
        ancestor = parent_region(ancestor)
    assert region_contains(province_of(code), code)


# -- trade types and project codes ------------------------------------------------------------------------


def test_trade_type_letters_labels_and_ceiling_prices() -> None:
    assert [t.code_letter for t in TradeType] == ["G", "C", "L", "M", "P", "Q"]
    assert TradeType.CONSTRUCTION.label_zh == "工程建设"
    assert TradeType.GOV_PROCUREMENT.label_en == "Government procurement"
    assert TradeType.from_code_letter("M") is TradeType.MINING
    assert {t for t in TradeType if t.has_ceiling_price} == {
        TradeType.CONSTRUCTION,
        TradeType.GOV_PROCUREMENT,
        TradeType.OTHER,
    }
    assert TradeType("land") is TradeType.LAND
    with pytest.raises(ValueError, match="code letter"):
        TradeType.from_code_letter("X")


def test_make_and_read_a_project_code() -> None:
    code = make_project_code("530100", 2026, "G", 123)
    assert code == "530100-2026-G000123-U"
    parsed = validate_project_code(code)
    assert parsed.region_code == "530100"
    assert parsed.year == 2026
    assert parsed.trade_type is TradeType.CONSTRUCTION
    assert parsed.serial == 123
    assert parsed.check_character == "U"
    assert str(parsed) == code


def test_project_code_accepts_a_trade_type_and_lower_case() -> None:
    code = make_project_code("330100", 2025, TradeType.GOV_PROCUREMENT, 1)
    assert code.startswith("330100-2025-C000001-")
    assert validate_project_code(code.lower()).trade_type is TradeType.GOV_PROCUREMENT


@pytest.mark.parametrize(
    "value",
    [
        "530100-2026-G000123-K",  # wrong check character
        "530100-2026-X000123-U",  # unknown trade type letter
        "530100-2026-G00123-U",  # short serial
        "530100-1999-G000123-U",
        "530100-2026-G000000-0",
        "990100-2026-G000123-U",
        "5301002026G000123U",
        "",
    ],
)
def test_bad_project_codes_are_refused(value: str) -> None:
    with pytest.raises(ProjectCodeInvalid) as caught:
        validate_project_code(value, field="project_code")
    assert caught.value.code == "project_code_invalid"
    assert caught.value.status == 422
    assert caught.value.field == "project_code"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("530100", 2026, "X", 1), ProjectCodeInvalid),
        (("530100", 1999, "G", 1), ProjectCodeInvalid),
        (("530100", 2026, "G", 0), ProjectCodeInvalid),
        (("530100", 2026, "G", 1_000_000), ProjectCodeInvalid),
        (("5301", 2026, "G", 1), RegionCodeInvalid),
    ],
)
def test_make_project_code_refuses_bad_parts(args: tuple[str, int, str, int], error: type[Exception]) -> None:
    with pytest.raises(error):
        make_project_code(*args)


@given(
    region=region_codes,
    year=st.integers(min_value=2000, max_value=2100),
    trade_type=st.sampled_from(list(TradeType)),
    serial=st.integers(min_value=1, max_value=999_999),
)
def test_project_codes_round_trip(region: str, year: int, trade_type: TradeType, serial: int) -> None:
    code = make_project_code(region, year, trade_type, serial)
    parsed = validate_project_code(code)
    assert (parsed.region_code, parsed.year, parsed.trade_type, parsed.serial) == (
        region,
        year,
        trade_type,
        serial,
    )
    assert parsed.text == code


@given(
    serial=st.integers(min_value=1, max_value=999_999),
    position=st.integers(min_value=0, max_value=20),
    digit=st.sampled_from("0123456789"),
)
def test_a_changed_digit_in_a_project_code_is_detected(serial: int, position: int, digit: str) -> None:
    code = make_project_code("530100", 2026, "G", serial)
    if code[position] in "-G" or code[position] == digit:
        return
    changed = code[:position] + digit + code[position + 1 :]
    with pytest.raises(InvalidInput):
        validate_project_code(changed)
