"""Region names below the province (GB/T 2260 行政区划代码): what the portal shows instead of a code.

``ggzy.core.codes.PROVINCES`` names the provinces; this table adds the prefectures and counties of the regions the
platform serves today (云南省: its 16 prefectures and 昆明市's counties and districts). A code it does not know is shown
by the nearest region it knows above it, with the code beside it, never as a bare number. A centre serving another
province adds its regions here.
"""

from __future__ import annotations

from functools import lru_cache

from ggzy.core.codes import PROVINCES, is_valid_region_code

# GB/T 2260 (民政部 2023 年行政区划代码): 云南省's prefectures and 昆明市's counties.
REGIONS: dict[str, str] = {
    "530100": "昆明市",
    "530102": "五华区",
    "530103": "盘龙区",
    "530111": "官渡区",
    "530112": "西山区",
    "530113": "东川区",
    "530114": "呈贡区",
    "530115": "晋宁区",
    "530124": "富民县",
    "530125": "宜良县",
    "530126": "石林彝族自治县",
    "530127": "嵩明县",
    "530128": "禄劝彝族苗族自治县",
    "530129": "寻甸回族彝族自治县",
    "530181": "安宁市",
    "530300": "曲靖市",
    "530400": "玉溪市",
    "530500": "保山市",
    "530600": "昭通市",
    "530700": "丽江市",
    "530800": "普洱市",
    "530900": "临沧市",
    "532300": "楚雄彝族自治州",
    "532500": "红河哈尼族彝族自治州",
    "532600": "文山壮族苗族自治州",
    "532800": "西双版纳傣族自治州",
    "532900": "大理白族自治州",
    "533100": "德宏傣族景颇族自治州",
    "533300": "怒江傈僳族自治州",
    "533400": "迪庆藏族自治州",
}


def _own_name(code: str) -> str | None:
    return PROVINCES.get(code) or REGIONS.get(code)


@lru_cache(maxsize=4096)  # every row of every list asks; the names are fixed
def region_label(code: str) -> str:
    """A region by name: a province as itself (云南省), a prefecture as itself (昆明市), a county with its prefecture
    (昆明市五华区). A code not in the table is named by the nearest known region above it, its code beside it
    (昆明市（530199）); a code that is no region at all stays as written."""
    if not is_valid_region_code(code):
        return code
    if code.endswith("0000"):
        return PROVINCES[code]
    name = _own_name(code)
    city = code[:4] + "00"
    if name is not None:
        return name if code == city or city not in REGIONS else REGIONS[city] + name
    above = _own_name(city) or PROVINCES[code[:2] + "0000"]
    return f"{above}（{code}）"


def region_choices(within: set[str] | None = None) -> list[tuple[str, str]]:
    """Every region the table names, as (code, name) in code order, for a select; ``within`` keeps the regions
    inside any of those codes (a province code keeps its province, a prefecture its prefecture)."""
    codes = sorted({*PROVINCES, *REGIONS})
    return [(code, region_label(code)) for code in codes if within is None or _inside(code, within)]


def _inside(code: str, areas: set[str]) -> bool:
    for area in areas:
        if area.endswith("0000") and code[:2] == area[:2]:
            return True
        if area.endswith("00") and code[:4] == area[:4]:
            return True
        if code == area:
            return True
    return False
