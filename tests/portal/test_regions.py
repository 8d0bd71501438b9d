"""Regions by name (GB/T 2260), never as bare codes."""

from __future__ import annotations

from ggzy.portal.regions import region_choices, region_label


def test_a_region_is_named_a_county_with_its_prefecture() -> None:
    assert region_label("530000") == "云南省"
    assert region_label("530100") == "昆明市"
    assert region_label("530102") == "昆明市五华区"
    assert region_label("532900") == "大理白族自治州"


def test_an_unknown_code_is_named_by_the_nearest_region_above_it_with_its_code() -> None:
    assert region_label("530199") == "昆明市（530199）"
    assert region_label("110105") == "北京市（110105）"
    assert region_label("12345") == "12345"  # no region at all: as written


def test_the_choices_of_a_centre_lie_within_its_region() -> None:
    kunming = region_choices({"530100"})
    assert kunming[0] == ("530100", "昆明市")
    assert ("530102", "昆明市五华区") in kunming
    assert all(code.startswith("5301") for code, _ in kunming)
    assert ("530000", "云南省") in region_choices({"530000"})
    assert ("110000", "北京市") in region_choices()
