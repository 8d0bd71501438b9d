"""Validators for the codes the platform meets: credit codes, region codes and unified project codes.

统一社会信用代码 (GB 32100-2015)
    18 characters from ``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z): position 1 the registration
    authority (``9`` market regulation, ``1`` institutional staffing, ``5`` civil affairs, ``Y`` other …),
    2 the entity type, 3–8 the region code of the registering office (GB/T 2260, but codes issued nationally
    use ``100000``, so this part is not checked against the region rules), 9–17 the organisation code, 18 a
    check character: with character values 0–30 in the order above and weights
    ``3^i mod 31`` (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28) over the first 17,
    check = 31 − (Σ value × weight mod 31), where 31 becomes 0.

行政区划代码 (GB/T 2260)
    Six digits ``PPCCTT``: ``PP0000`` a province-level division, ``PPCC00`` a prefecture-level one (CC 01–99;
    90 groups counties administered directly by the province), ``PPCCTT`` a county-level one. No maintained,
    authoritative list of the ~3,200 prefecture- and county-level codes is installed (the official one is
    the Ministry of Civil Affairs' yearly 行政区划代码 table), so below province level only the structure is
    checked; the 34 province-level divisions are listed here with their names.

统一项目代码 (ggzy's unified project code, 一码管理)
    ``{region 6}-{year 4}-{trade type letter}{serial 6}-{check}``, e.g. ``530100-2026-G000123-U``:

    * region: the GB/T 2260 code of where the project is (within the area of the centre it registers with);
    * year: the year of registration (2000 or later);
    * trade type letter: G 工程建设, C 政府采购, L 土地使用权出让, M 矿业权出让, P 国有产权交易, Q 其他
      (:class:`ggzy.core.trade_types.TradeType`);
    * serial: 000001–999999, per region, year and trade type;
    * check: one character computed over the 17 significant characters (hyphens left out) with the
      GB 32100 algorithm above, so it is one of ``0-9 A-H J-N P-R T U W-Y``. The weights are powers of 3
      modulo the prime 31, so every single-character error and every swap of two adjacent characters changes
      the check character. It is an error-detecting check, not a signature.

    Codes are read case-insensitively and written in upper case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

from ggzy.core.errors import InvalidInput
from ggzy.core.trade_types import TradeType

__all__ = [
    "PROVINCES",
    "CreditCodeInvalid",
    "CreditCodeParts",
    "ProjectCode",
    "ProjectCodeInvalid",
    "RegionCodeInvalid",
    "RegionLevel",
    "credit_code_check_character",
    "credit_code_parts",
    "is_valid_credit_code",
    "is_valid_region_code",
    "make_project_code",
    "parent_region",
    "project_code_check_character",
    "province_of",
    "region_contains",
    "region_level",
    "region_name",
    "validate_credit_code",
    "validate_project_code",
    "validate_region_code",
]

# -- errors --------------------


class CreditCodeInvalid(InvalidInput):
    code = "credit_code_invalid"
    status = 422
    message_zh = "字段 {field} 不是有效的统一社会信用代码：{reason_zh}"
    message_en = "Field {field} is not a valid unified social credit code: {reason_en}"


class RegionCodeInvalid(InvalidInput):
    code = "region_code_invalid"
    status = 422
    message_zh = "字段 {field} 不是有效的行政区划代码：{reason_zh}"
    message_en = "Field {field} is not a valid administrative region code: {reason_en}"


class ProjectCodeInvalid(InvalidInput):
    code = "project_code_invalid"
    status = 422
    message_zh = "字段 {field} 不是有效的统一项目代码：{reason_zh}"
    message_en = "Field {field} is not a valid unified project code: {reason_en}"


# -- the GB 32100 check character --------------------

_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {character: value for value, character in enumerate(_CHARSET)}
_WEIGHTS = tuple(pow(3, position, 31) for position in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, …, 28


def _check_character(first17: str) -> str:
    total = sum(_VALUES[character] * weight for character, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHARSET[(31 - total % 31) % 31]


# -- 统一社会信用代码 --------------------


class CreditCodeParts(NamedTuple):
    registration_authority: str
    entity_type: str
    region_code: str
    organisation_code: str
    check_character: str


def credit_code_check_character(first17: str) -> str:
    """The check character that completes 17 characters of a credit code (``ValueError`` if not valid)."""
    first17 = first17.strip().upper()
    if len(first17) != 17 or any(character not in _VALUES for character in first17):
        raise ValueError("expected 17 characters from 0-9 A-H J-N P-R T U W-Y")
    return _check_character(first17)


def validate_credit_code(value: str, *, field: str = "credit_code") -> str:
    """The credit code, stripped and upper-cased, or :class:`CreditCodeInvalid` naming ``field``.

    The message says what is wrong (length, which character, or the check character) but never reveals the
    expected check character, so the check cannot be used to manufacture a plausible code by trial.
    """
    if not isinstance(value, str):
        raise CreditCodeInvalid(field=field, reason_zh="应为字符串", reason_en="must be a string")
    code = value.strip().upper()
    if len(code) != 18:
        raise CreditCodeInvalid(
            field=field,
            reason_zh=f"应为 18 位，实际 {len(code)} 位",
            reason_en=f"must be 18 characters long, not {len(code)}",
        )
    for position, character in enumerate(code, start=1):
        if character not in _VALUES:
            raise CreditCodeInvalid(
                field=field,
                reason_zh=f"第 {position} 位字符 {character!r} 不允许（不使用 I、O、S、V、Z）",
                reason_en=f"character {position} ({character!r}) is not allowed (I, O, S, V, Z are unused)",
            )
    if _check_character(code[:17]) != code[17]:
        raise CreditCodeInvalid(
            field=field,
            reason_zh="校验码不正确，请核对是否抄错",
            reason_en="the check character is wrong; please check for a typing error",
        )
    return code


def is_valid_credit_code(value: str) -> bool:
    try:
        validate_credit_code(value)
    except CreditCodeInvalid:
        return False
    return True


def credit_code_parts(value: str, *, field: str = "credit_code") -> CreditCodeParts:
    """A valid credit code split into its parts (positions 1, 2, 3–8, 9–17, 18)."""
    code = validate_credit_code(value, field=field)
    return CreditCodeParts(code[0], code[1], code[2:8], code[8:17], code[17])


# -- 行政区划代码 --------------------

RegionLevel = Literal["province", "city", "county"]

# GB/T 2260 province-level divisions (省级行政区划).
PROVINCES: dict[str, str] = {
    "110000": "北京市",
    "120000": "天津市",
    "130000": "河北省",
    "140000": "山西省",
    "150000": "内蒙古自治区",
    "210000": "辽宁省",
    "220000": "吉林省",
    "230000": "黑龙江省",
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "350000": "福建省",
    "360000": "江西省",
    "370000": "山东省",
    "410000": "河南省",
    "420000": "湖北省",
    "430000": "湖南省",
    "440000": "广东省",
    "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
    "540000": "西藏自治区",
    "610000": "陕西省",
    "620000": "甘肃省",
    "630000": "青海省",
    "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区",
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
}

_SIX_DIGITS = re.compile(r"[0-9]{6}")


def validate_region_code(value: str, *, field: str = "region_code") -> str:
    """A structurally valid GB/T 2260 code in a known province, stripped, or :class:`RegionCodeInvalid`.

    ``PP0000`` (province), ``PPCC00`` (prefecture, CC ≠ 00) or ``PPCCTT`` (county, CC ≠ 00 and TT ≠ 00); a
    county part under city part ``00`` (``110001``) is refused. Whether a given prefecture or county code is
    currently in use is not checked (see the module docstring).
    """
    if not isinstance(value, str):
        raise RegionCodeInvalid(field=field, reason_zh="应为字符串", reason_en="must be a string")
    code = value.strip()
    if not _SIX_DIGITS.fullmatch(code):
        raise RegionCodeInvalid(field=field, reason_zh="应为 6 位数字", reason_en="must be 6 digits")
    if code[:2] + "0000" not in PROVINCES:
        raise RegionCodeInvalid(
            field=field,
            reason_zh=f"前两位 {code[:2]} 不是省级行政区划代码",
            reason_en=f"the first two digits {code[:2]} are not a province-level code",
        )
    if code[2:4] == "00" and code[4:6] != "00":
        raise RegionCodeInvalid(
            field=field,
            reason_zh="县级代码须属于某个地级代码（第 3–4 位不能为 00）",
            reason_en="a county-level code must lie under a prefecture (digits 3–4 must not be 00)",
        )
    return code


def is_valid_region_code(value: str) -> bool:
    try:
        validate_region_code(value)
    except RegionCodeInvalid:
        return False
    return True


def region_level(code: str) -> RegionLevel:
    code = validate_region_code(code)
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def parent_region(code: str) -> str | None:
    """The code one level up (county → prefecture → province), or None for a province."""
    level = region_level(code)
    code = code.strip()
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0000"
    return code[:4] + "00"


def province_of(code: str) -> str:
    """The province-level code a region lies in (itself for a province)."""
    return validate_region_code(code)[:2] + "0000"


def region_name(code: str) -> str | None:
    """The name of a province-level division; None below province level, where no name list is vendored."""
    return PROVINCES.get(validate_region_code(code))


def region_prefix(code: str) -> str:
    """The leading digits every region within ``code`` shares, whole levels only: 53 (a province), 5301 (a city),
    530102 (a county), for a ``LIKE 'prefix%'`` scope in SQL (the query's counterpart of :func:`region_contains`)."""
    prefix = code.strip().rstrip("0")
    return prefix + "0" * (len(prefix) % 2)


def region_contains(ancestor: str, code: str) -> bool:
    """Whether ``code`` is ``ancestor`` or lies within it (used to scope supervisors to their region)."""
    ancestor_level = region_level(ancestor)
    ancestor = ancestor.strip()
    code = validate_region_code(code)
    if ancestor_level == "province":
        return code[:2] == ancestor[:2]
    if ancestor_level == "city":
        return code[:4] == ancestor[:4]
    return code == ancestor


# -- 统一项目代码 --------------------

_PROJECT_CODE = re.compile(r"([0-9]{6})-([0-9]{4})-([A-Z])([0-9]{6})-([0-9A-Z])")
_FIRST_YEAR = 2000
_MAX_SERIAL = 999_999


@dataclass(frozen=True)
class ProjectCode:
    """A validated unified project code and its parts; ``str()`` gives the code."""

    region_code: str
    year: int
    trade_type: TradeType
    serial: int
    check_character: str

    @property
    def text(self) -> str:
        return (
            f"{self.region_code}-{self.year:04d}-{self.trade_type.code_letter}{self.serial:06d}-{self.check_character}"
        )

    def __str__(self) -> str:
        return self.text


def project_code_check_character(region_code: str, year: int, trade_type_letter: str, serial: int) -> str:
    """The check character over the 17 significant characters ``{region}{year}{letter}{serial}``."""
    return _check_character(f"{region_code}{year:04d}{trade_type_letter}{serial:06d}")


def make_project_code(region_code: str, year: int, trade_type_letter: str | TradeType, serial: int) -> str:
    """A new unified project code, e.g. ``make_project_code("530100", 2026, "G", 123)``.

    ``trade_type_letter`` is a letter (``"G"``) or a :class:`TradeType`. Bad parts raise
    :class:`ProjectCodeInvalid` (region problems as :class:`RegionCodeInvalid`).
    """
    region_code = validate_region_code(region_code)
    letter = trade_type_letter.code_letter if isinstance(trade_type_letter, TradeType) else trade_type_letter
    _trade_type_for(letter.upper(), field="trade_type")
    _check_year(year, field="year")
    _check_serial(serial, field="serial")
    letter = letter.upper()
    check = project_code_check_character(region_code, year, letter, serial)
    return f"{region_code}-{year:04d}-{letter}{serial:06d}-{check}"


def validate_project_code(value: str, *, field: str = "code") -> ProjectCode:
    """Parse and check a unified project code; :class:`ProjectCodeInvalid` naming ``field`` if it is wrong."""
    if not isinstance(value, str):
        raise ProjectCodeInvalid(field=field, reason_zh="应为字符串", reason_en="must be a string")
    text = value.strip().upper()
    match = _PROJECT_CODE.fullmatch(text)
    if match is None:
        raise ProjectCodeInvalid(
            field=field,
            reason_zh="格式应为 行政区划代码-年份-交易类型字母和6位序号-校验码，如 530100-2026-G000123-U",
            reason_en="must look like region-year-letter+6-digit serial-check, e.g. 530100-2026-G000123-U",
        )
    region, year_text, letter, serial_text, check = match.groups()
    if not is_valid_region_code(region):
        raise ProjectCodeInvalid(
            field=field,
            reason_zh=f"{region} 不是有效的行政区划代码",
            reason_en=f"{region} is not a valid administrative region code",
        )
    trade_type = _trade_type_for(letter, field=field)
    year = int(year_text)
    _check_year(year, field=field)
    serial = int(serial_text)
    _check_serial(serial, field=field)
    if project_code_check_character(region, year, letter, serial) != check:
        raise ProjectCodeInvalid(
            field=field,
            reason_zh="校验码不正确，请核对是否抄错",
            reason_en="the check character is wrong; please check for a typing error",
        )
    return ProjectCode(region_code=region, year=year, trade_type=trade_type, serial=serial, check_character=check)


def _trade_type_for(letter: str, *, field: str) -> TradeType:
    try:
        return TradeType.from_code_letter(letter)
    except ValueError:
        letters = "、".join(f"{t.code_letter} {t.label_zh}" for t in TradeType)
        raise ProjectCodeInvalid(
            field=field,
            reason_zh=f"交易类型字母 {letter!r} 无效（{letters}）",
            reason_en=f"trade type letter {letter!r} is unknown (G, C, L, M, P or Q)",
        ) from None


def _check_year(year: int, *, field: str) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not _FIRST_YEAR <= year <= 9999:
        raise ProjectCodeInvalid(
            field=field,
            reason_zh=f"年份应为 {_FIRST_YEAR} 年或以后的四位年份",
            reason_en=f"the year must have four digits and be {_FIRST_YEAR} or later",
        )


def _check_serial(serial: int, *, field: str) -> None:
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= _MAX_SERIAL:
        raise ProjectCodeInvalid(
            field=field,
            reason_zh="序号应在 000001–999999 之间",
            reason_en="the serial must be between 000001 and 999999",
        )
