"""How the portal writes times, dates and money (the habits of the issue: 中国标准时间, 元, 大写).

Every time is shown in China Standard Time whatever the server's zone; amounts are integer fen shown in 元 with
thousands separators, and in capital numerals (大写) where a formal document needs them (ggzy.core.money).
These are Jinja filters, registered in ``ggzy.portal.rendering``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from ggzy.core.clock import to_china_time
from ggzy.core.money import format_yuan, format_yuan_uppercase
from ggzy.core.trade_types import TradeType
from ggzy.portal.i18n import Language


def china_date(moment: datetime | date | None, language: Language = "zh") -> str:
    """``2026年11月22日`` in Chinese, ``2026-11-22`` in English; a datetime is first taken to China time."""
    if moment is None:
        return ""
    day = to_china_time(moment).date() if isinstance(moment, datetime) else moment
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def china_time(moment: datetime | None, language: Language = "zh") -> str:
    """Date and minute in China Standard Time: ``2026年11月22日 09:30`` / ``2026-11-22 09:30 CST``."""
    if moment is None:
        return ""
    local = to_china_time(moment)
    clock = f"{local:%H:%M}"
    return f"{china_date(local.date(), language)} {clock}" + ("" if language == "zh" else " CST")


def iso_time(moment: datetime | None) -> str:
    """Machine-readable time for ``<time datetime=…>`` (with the +08:00 offset)."""
    return to_china_time(moment).isoformat() if moment is not None else ""


def yuan(fen: int | None, language: Language = "zh") -> str:
    """``1,234,567.89 元`` / ``CNY 1,234,567.89``."""
    if fen is None:
        return "—"
    return f"{format_yuan(fen)} 元" if language == "zh" else f"CNY {format_yuan(fen)}"


def yuan_uppercase(fen: int | None) -> str:
    """人民币大写: ``壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分``."""
    return "" if fen is None else format_yuan_uppercase(fen)


def percent(rate: Decimal | float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def trade_type_label(value: str, language: Language = "zh") -> str:
    try:
        trade_type = TradeType(value)
    except ValueError:
        return value
    return trade_type.label_zh if language == "zh" else trade_type.label_en


def wan_yuan(fen: int | None, language: Language = "zh") -> str:
    """Large amounts as statistics show them: ``1,234.57 万元`` (to the hundred yuan, half up) / ``CNY 12.35 m``."""
    if fen is None:
        return "—"
    if language == "zh":
        return f"{(Decimal(fen) / 1_000_000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,} 万元"
    return f"CNY {(Decimal(fen) / 100_000_000).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,} m"
