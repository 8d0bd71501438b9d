"""Trading statistics (交易统计): awarded lots and their amounts by trade type, month and region, with the savings
rate (资金节约率 = (预算 − 中标价) ÷ 预算, ggzy.core.money.savings_rate), for a China calendar year.

Only awards count: the winner and price are public from the award (中标结果公告), so nothing here discloses what
the notices and results do not. Money is summed in integer fen and the rate computed exactly; a chart gets floats of
yuan only at the last step (ECharts draws numbers). Downloads: CSV (UTF-8 with BOM, so spreadsheet programs read the
Chinese) and Excel (openpyxl), with the same rows as the tables.

Reports roll up the centre hierarchy (decision 0041): :func:`rollup_for` counts a centre's awards with those of every
centre below it (``ggzy.entities.hierarchy.centre_scope``), and breaks them down by the centre itself and each centre
directly below it (a province: itself and each city, the city's counties counted in the city's row).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.awards.models import Award
from ggzy.core.clock import CHINA_STANDARD_TIME, to_china_time
from ggzy.core.money import fen_to_yuan, savings_rate
from ggzy.entities.hierarchy import centre_scope, children_of
from ggzy.projects.models import Lot, Project
from ggzy.tendering.models import Tender


@dataclass
class Tally:
    """Awarded lots of one group: how many, their budgets and award prices (fen)."""

    key: str
    count: int = 0
    budget_fen: int = 0
    amount_fen: int = 0

    @property
    def savings_rate(self) -> Decimal | None:
        return savings_rate(self.budget_fen, self.amount_fen) if self.budget_fen > 0 else None

    @property
    def savings_fen(self) -> int:
        return self.budget_fen - self.amount_fen


@dataclass
class Statistics:
    year: int
    total: Tally = field(default_factory=lambda: Tally("total"))
    by_trade_type: list[Tally] = field(default_factory=list)
    by_month: list[Tally] = field(default_factory=list)  # key "2026-11"
    by_region: list[Tally] = field(default_factory=list)
    by_centre: list[Tally] = field(default_factory=list)  # key: the id of a child centre (or the centre itself)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC bounds of a China calendar year."""

    def start(y: int) -> datetime:
        return datetime.combine(datetime(y, 1, 1).date(), time(0), tzinfo=CHINA_STANDARD_TIME).astimezone(UTC)

    return start(year), start(year + 1)


def statistics_for(db: Session, *, year: int, rolled_into: dict[int, int] | None = None) -> Statistics:
    """The year's awards, all of them, or with ``rolled_into`` (centre id → the centre its figures count under)
    only those of the projects of its centres, tallied besides under the centre each rolls into."""
    start, end = year_bounds(year)
    query = (
        select(
            Project.trade_type, Project.region_code, Project.centre_id, Award.awarded_at, Lot.budget_fen,
            Award.price_fen,
        )
        .join(Tender, Tender.id == Award.tender_id)
        .join(Lot, Lot.id == Tender.lot_id)
        .join(Project, Project.id == Lot.project_id)
        # an award a complaint's decision made void is no award (招标投标法实施条例 第81条, decision 0020)
        .where(Award.awarded_at >= start, Award.awarded_at < end, Award.superseded_at.is_(None))
    )  # fmt: skip
    if rolled_into is not None:
        query = query.where(Project.centre_id.in_(sorted(rolled_into)))
    result = Statistics(year=year)
    trade: dict[str, Tally] = {}
    month: dict[str, Tally] = {f"{year}-{m:02d}": Tally(f"{year}-{m:02d}") for m in range(1, 13)}
    region: dict[str, Tally] = {}
    centre: dict[str, Tally] = {str(key): Tally(str(key)) for key in dict.fromkeys((rolled_into or {}).values())}
    for trade_type, region_code, centre_id, awarded_at, budget_fen, price_fen in db.execute(query):
        month_key = f"{to_china_time(awarded_at):%Y-%m}"
        tallies = [
            result.total,
            trade.setdefault(trade_type, Tally(trade_type)),
            month[month_key],
            region.setdefault(region_code, Tally(region_code)),
        ]
        if rolled_into is not None:
            tallies.append(centre[str(rolled_into[centre_id])])
        for tally in tallies:
            tally.count += 1
            tally.budget_fen += budget_fen
            tally.amount_fen += price_fen
    result.by_trade_type = sorted(trade.values(), key=lambda t: (-t.amount_fen, t.key))
    result.by_month = list(month.values())
    result.by_region = sorted(region.values(), key=lambda t: (-t.amount_fen, t.key))
    result.by_centre = list(centre.values())
    return result


def rollup_for(db: Session, *, year: int, centre_id: int) -> Statistics:
    """A centre's statistics with those of every centre below it, by the centre itself (its own projects) and by
    each centre directly below it (with everything below that one): the rows add up to the total."""
    rolled_into = {centre_id: centre_id}
    for child in children_of(db, centre_id):
        rolled_into |= dict.fromkeys(centre_scope(db, child.id), child.id)
    return statistics_for(db, year=year, rolled_into=rolled_into)


def chart_data(statistics: Statistics, labels: dict[str, dict[str, str]]) -> dict[str, object]:
    """What the charts draw, by dimension: labels, counts and amounts in 万元 (floats only here, for drawing)."""

    def series(tallies: list[Tally], names: dict[str, str]) -> dict[str, list[object]]:
        return {
            "labels": [names.get(t.key, t.key) for t in tallies],
            "counts": [t.count for t in tallies],
            "amounts": [float(wan_yuan(t.amount_fen)) for t in tallies],
        }

    return {
        "trade_type": series(statistics.by_trade_type, labels["trade_type"]),
        "month": series(statistics.by_month, labels["month"]),
        "region": series(statistics.by_region, labels["region"]),
    }


def wan_yuan(fen: int) -> Decimal:
    """An amount in 万元, to the hundred yuan (the unit statistics are read in)."""
    return (Decimal(fen) / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def table_rows(statistics: Statistics, labels: dict[str, dict[str, str]]) -> Iterable[list[object]]:
    """Every row of the downloads: dimension, key, label, count, budget, amount, savings (yuan), savings rate."""
    groups = (
        ("trade_type", statistics.by_trade_type),
        ("month", statistics.by_month),
        ("region", statistics.by_region),
        ("centre", statistics.by_centre),
        ("total", [statistics.total]),
    )
    for dimension, tallies in groups:
        names = labels.get(dimension, {})
        for t in tallies:
            rate = t.savings_rate
            yield [
                dimension,
                t.key,
                names.get(t.key, t.key),
                t.count,
                fen_to_yuan(t.budget_fen),
                fen_to_yuan(t.amount_fen),
                fen_to_yuan(t.savings_fen),
                rate,
            ]


def as_csv(header: list[str], rows: Iterable[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else str(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(title: str, header: list[str], rows: Iterable[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for column in ("E", "F", "G"):  # yuan: two decimals with separators
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    for cell in sheet["H"][1:]:
        cell.number_format = "0.00%"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
