"""Statistics: awarded volume and amount by trade type, month and region, the savings rate, and the downloads."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.portal.statistics import year_bounds
from tests.factories import make_awarded_tender


@pytest.fixture
def awarded(db: Session, gm_ca: Path) -> dict:
    awarded = make_awarded_tender(db, gm_ca)  # budget 1,000,000.00 yuan; awarded at 100,000.00 yuan
    db.commit()
    return awarded


def test_the_page_counts_the_award_with_its_savings_rate(client: TestClient, awarded: dict) -> None:
    month = to_china_time(awarded["award"].awarded_at).month
    text = client.get("/statistics?year=2026").text
    assert "10.00 万元" in text  # 100,000.00 yuan, in the unit statistics are read in
    assert "100.00 万元" in text  # the budget
    assert "100,000.00 元" not in text
    assert "90.00%" in text  # (1,000,000 − 100,000) ÷ 1,000,000
    assert f"{month}月" in text
    assert "工程建设" in text  # the trade type's label
    assert 'id="chart-month"' in text
    assert "echarts.common.min.js" in text
    assert "暂无成交" not in text.split('id="by-trade_type"')[1].split("</section>")[0]


def test_another_year_has_no_awards(client: TestClient, awarded: dict) -> None:
    text = client.get("/statistics?year=2025").text
    assert "暂无成交" in text
    assert "0.00 万元" in text


def test_csv_download_has_the_same_rows(client: TestClient, awarded: dict) -> None:
    response = client.get("/statistics.csv?year=2026")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # spreadsheet programs then read the Chinese
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "维度"
    total = next(row for row in rows if row[0] == "total")
    assert total[3:] == ["1", "1000000.00", "100000.00", "900000.00", "0.9000"]
    assert sum(1 for row in rows if row[0] == "month") == 12
    english = client.get("/statistics.csv?year=2026&lang=en").content.decode("utf-8-sig")
    assert english.startswith("Dimension,")


def test_excel_download_opens_with_numbers_not_text(client: TestClient, awarded: dict) -> None:
    response = client.get("/statistics.xlsx?year=2026")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "维度"
    total = next(row for row in rows if row[0] == "total")
    assert total[3] == 1
    assert Decimal(str(total[5])) == Decimal("100000.00")
    assert sheet["H2"].number_format == "0.00%"


def test_a_year_outside_the_range_is_an_error_page(client: TestClient) -> None:
    response = client.get("/statistics?year=1999")
    assert response.status_code == 422
    assert response.headers["x-problem-code"] == "validation_failed"


def test_years_are_china_calendar_years() -> None:
    start, end = year_bounds(2026)
    assert start.isoformat() == "2025-12-31T16:00:00+00:00"
    assert end.isoformat() == "2026-12-31T16:00:00+00:00"


def test_amounts_in_wan_yuan_round_half_up_to_the_hundred_yuan() -> None:
    from ggzy.portal.formatting import wan_yuan
    from ggzy.portal.statistics import wan_yuan as chart_wan_yuan

    assert wan_yuan(123_456_789_00) == "12,345.68 万元"  # 123,456,789.00 yuan
    assert wan_yuan(4_999) == "0.00 万元"  # 49.99 yuan
    assert wan_yuan(5_000) == "0.01 万元"  # 50.00 yuan: half up
    assert wan_yuan(123_456_789_00, language="en") == "CNY 123.4568 m"
    assert chart_wan_yuan(123_456_789_00) == Decimal("12345.68")


def test_the_chart_draws_amounts_in_wan_yuan(client: TestClient, awarded: dict) -> None:
    import json
    import re

    text = client.get("/statistics?year=2026").text
    data = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', text, re.S)[1])
    assert max(data["month"]["amounts"]) == 10.0  # 100,000 yuan = 10 万元
    assert "成交金额（万元）" in text
