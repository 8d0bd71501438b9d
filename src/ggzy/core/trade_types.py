"""The trade types of a public resource trading centre (交易类型), with the letter used in project codes."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

__all__ = ["ProcurementCategory", "TradeType"]


class _TradeTypeFacts(NamedTuple):
    label_zh: str
    label_en: str
    code_letter: str
    has_ceiling_price: bool


class TradeType(StrEnum):
    """A kind of trade; the value is the name stored in the database and used in the API.

    ``has_ceiling_price``: construction and government procurement may publish a ceiling price (最高投标限价,
    招标投标法实施条例 第27条; 最高限价, 政府采购货物和服务招标投标管理办法 第12条) that bids must not exceed;
    land, mining and state-owned property trades sell to the highest bidder above a starting or reserve price
    (起始价 / 保留价) instead. "Other" trades are mostly purchases, so they allow a ceiling price.
    """

    CONSTRUCTION = "construction"
    GOV_PROCUREMENT = "gov_procurement"
    LAND = "land"
    MINING = "mining"
    PROPERTY = "property"
    OTHER = "other"

    @property
    def label_zh(self) -> str:
        return _FACTS[self].label_zh

    @property
    def label_en(self) -> str:
        return _FACTS[self].label_en

    @property
    def code_letter(self) -> str:
        """The letter of this trade type in a unified project code (``530100-2026-G000123-K``)."""
        return _FACTS[self].code_letter

    @property
    def has_ceiling_price(self) -> bool:
        return _FACTS[self].has_ceiling_price

    @classmethod
    def from_code_letter(cls, letter: str) -> TradeType:
        """The trade type a project code letter stands for; ``ValueError`` for an unknown letter."""
        for trade_type, facts in _FACTS.items():
            if facts.code_letter == letter:
                return trade_type
        raise ValueError(f"no trade type has code letter {letter!r}")


_FACTS: dict[TradeType, _TradeTypeFacts] = {
    TradeType.CONSTRUCTION: _TradeTypeFacts("工程建设", "Construction", "G", True),
    TradeType.GOV_PROCUREMENT: _TradeTypeFacts("政府采购", "Government procurement", "C", True),
    TradeType.LAND: _TradeTypeFacts("土地使用权出让", "Land use rights", "L", False),
    TradeType.MINING: _TradeTypeFacts("矿业权出让", "Mining rights", "M", False),
    TradeType.PROPERTY: _TradeTypeFacts("国有产权交易", "State-owned property rights", "P", False),
    TradeType.OTHER: _TradeTypeFacts("其他", "Other", "Q", True),
}


class ProcurementCategory(StrEnum):
    """What a project procures (采购对象): goods, works or services (政府采购法 第2条), and, apart, the goods and
    services related to construction that 政府采购法实施条例 第7条 第2款 defines: goods that are an inseparable part
    of the works and needed for their basic function (设备、材料), services needed to complete them (勘察、设计、监理).

    Under 政府采购 it picks the law a tendering procedure runs under (第7条 第1款): works and the related goods and
    services, procured by tendering, follow 招标投标法 and its 实施条例; by other methods, 政府采购法."""

    GOODS = "goods"
    WORKS = "works"
    SERVICES = "services"
    WORKS_GOODS = "works_goods"
    WORKS_SERVICES = "works_services"

    @property
    def label_zh(self) -> str:
        return _CATEGORY_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _CATEGORY_LABELS[self][1]

    @property
    def construction(self) -> bool:
        """Works, or goods or services related to construction (政府采购法实施条例 第7条 第2款)."""
        return self in {ProcurementCategory.WORKS, ProcurementCategory.WORKS_GOODS, ProcurementCategory.WORKS_SERVICES}


_CATEGORY_LABELS: dict[ProcurementCategory, tuple[str, str]] = {
    ProcurementCategory.GOODS: ("货物", "goods"),
    ProcurementCategory.WORKS: ("工程", "works"),
    ProcurementCategory.SERVICES: ("服务", "services"),
    ProcurementCategory.WORKS_GOODS: ("与工程建设有关的货物", "goods related to construction"),
    ProcurementCategory.WORKS_SERVICES: ("与工程建设有关的服务", "services related to construction"),
}
