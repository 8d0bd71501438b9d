"""The portal's skeleton: the layout, the language switch, the formats, and problems as HTML pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.portal import formatting
from ggzy.portal.i18n import LANGUAGE_COOKIE
from tests.factories import make_published_tender


def test_home_is_the_portal_in_chinese_by_default(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "zh-CN"
    assert '<html lang="zh-CN">' in response.text
    assert "公共资源交易平台" in response.text
    assert 'href="#main"' in response.text  # a keyboard user skips the navigation
    assert "/static/portal/vendor/htmx/htmx.min.js" in response.text


def test_the_api_docs_stay_at_docs(client: TestClient) -> None:
    assert "swagger-ui" in client.get("/docs").text


def test_english_is_chosen_by_the_switch_and_remembered(client: TestClient) -> None:
    response = client.get("/?lang=en")
    assert response.headers["content-language"] == "en"
    assert "Public Resource Trading Platform" in response.text
    assert "公共资源交易平台" not in response.text.replace('lang="zh-CN"', "")
    assert response.cookies.get(LANGUAGE_COOKIE) == "en"
    again = client.get("/")  # the cookie keeps the choice
    assert again.headers["content-language"] == "en"
    back = client.get("/?lang=zh")
    assert back.headers["content-language"] == "zh-CN"


def test_the_switch_links_keep_the_page_and_its_query(client: TestClient) -> None:
    text = client.get("/?lang=zh&x=1").text
    assert 'href="/?lang=en&amp;x=1"' in text


def test_an_unknown_page_is_an_html_error_page_with_the_stable_code(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-problem-code"] == "not_found"
    assert "not_found" in response.text
    assert "未找到该地址" in response.text


def test_the_api_still_answers_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_vendored_static_files_are_served_with_their_licences(client: TestClient) -> None:
    for path in (
        "vendor/htmx/htmx.min.js",
        "vendor/htmx/LICENSE",
        "vendor/echarts/echarts.common.min.js",
        "vendor/echarts/LICENSE",
        "vendor/echarts/NOTICE",
        "css/portal.css",
    ):
        assert client.get(f"/static/portal/{path}").status_code == 200, path


def test_home_lists_a_notice_published_today(client: TestClient, db: Session) -> None:
    tender, setup = make_published_tender(db)
    db.commit()
    text = client.get("/").text
    assert tender.title in text
    assert f"/projects/{setup['project'].id}#tender-{tender.id}" in text


def test_dates_times_and_amounts_follow_chinese_habits() -> None:
    moment = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 00:30 the next day in Beijing
    assert formatting.china_date(moment) == "2026年11月22日"
    assert formatting.china_date(date(2026, 1, 5)) == "2026年1月5日"
    assert formatting.china_time(moment) == "2026年11月22日 00:30"
    assert formatting.china_time(moment, "en") == "2026-11-22 00:30 CST"
    assert formatting.yuan(123456789) == "1,234,567.89 元"
    assert formatting.yuan(123456789, "en") == "CNY 1,234,567.89"
    assert formatting.yuan_uppercase(123456789) == "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"
    assert formatting.iso_time(moment) == "2026-11-22T00:30:00+08:00"


def test_a_quiet_day_shows_the_latest_notices_and_the_news_of_the_last_month(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    tender, _ = make_published_tender(db)
    db.commit()
    clock.advance(timedelta(days=3))
    text = client.get("/").text
    assert "今天还没有发布公告。" in text
    assert "最新公告" in text
    assert tender.title in text
    assert "近30天的标讯" in text
    assert "招标公告" in text  # the notice's publication, three days ago
