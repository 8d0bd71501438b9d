"""The notice list: only published notices, full-text search in Chinese, filters, and keyset pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from ggzy.portal import search
from tests.conftest import TEST_NOW
from tests.portal.builders import NoticeMaker


def titles(client: TestClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return re.findall(r'#tender-\d+">([^<]+)</a>', response.text)


@pytest.fixture
def maker(db: Session) -> NoticeMaker:
    return NoticeMaker(db)


def test_only_published_notices_are_listed(client: TestClient, db: Session, maker: NoticeMaker) -> None:
    maker.notice(title="已发布的道路工程招标公告")
    maker.notice(title="尚未发布的草稿公告", publish=False)
    db.commit()
    listed = titles(client, "/notices")
    assert "已发布的道路工程招标公告" in listed
    assert "尚未发布的草稿公告" not in listed


def test_the_region_filter_offers_only_regions_with_published_notices(
    client: TestClient, db: Session, maker: NoticeMaker
) -> None:
    maker.notice(title="已发布的道路工程招标公告", region_code="530102")
    maker.notice(title="尚未发布的草稿公告", region_code="530111", publish=False)
    db.commit()
    page = client.get("/notices").text
    assert '<option value="530102"' in page
    assert '<option value="530111"' not in page  # a draft project's region would tell that it exists


@pytest.mark.parametrize("window", [search.WINDOW, 1], ids=["newest notices read in order", "full-text index"])
def test_full_text_finds_chinese_words_of_one_two_and_more_characters(
    client: TestClient, db: Session, maker: NoticeMaker, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """On SQLite the newest notices are first matched row by row (a common word fills the page there) and the
    FTS5 index is asked when they do not: a window of one notice sends every search to the index."""
    monkeypatch.setattr(search, "WINDOW", window)
    maker.notice(title="昆明市道路改造工程施工招标", notice_text="本项目为市政道路改造，含排水管网。")
    maker.notice(title="第一中学教学楼监理招标", notice_text="监理服务期限十二个月。")
    maker.notice(title="医院设备采购", notice_text="采购 CT 机一台，预算见附件。")
    db.commit()
    assert titles(client, "/notices?q=道路改造") == ["昆明市道路改造工程施工招标"]  # four characters
    assert titles(client, "/notices?q=监理") == ["第一中学教学楼监理招标"]  # two characters
    assert titles(client, "/notices?q=排水管网") == ["昆明市道路改造工程施工招标"]  # in the notice text
    assert titles(client, "/notices?q=ct") == ["医院设备采购"]  # case does not matter
    assert titles(client, "/notices?q=医") == ["医院设备采购"]  # one character
    assert titles(client, "/notices?q=道路 监理") == []  # every term must match
    assert titles(client, "/notices?q=教学楼 监理") == ["第一中学教学楼监理招标"]
    assert titles(client, "/notices?q=路道") == []  # characters in another order are another word


def test_filters_by_trade_type_region_and_publication_dates(
    client: TestClient, db: Session, maker: NoticeMaker
) -> None:
    maker.notice(title="五华区施工招标", region_code="530102", published_at=TEST_NOW - timedelta(days=3))
    maker.notice(title="官渡区政府采购", trade_type="gov_procurement", region_code="530111")
    db.commit()
    assert titles(client, "/notices?trade_type=gov_procurement") == ["官渡区政府采购"]
    assert titles(client, "/notices?region=530111") == ["官渡区政府采购"]
    assert titles(client, "/notices?region=530102") == ["五华区施工招标"]
    assert set(titles(client, "/notices?region=530100")) == {
        "五华区施工招标",
        "官渡区政府采购",
    }  # a city: its districts
    assert set(titles(client, "/notices?region=530000")) == {"五华区施工招标", "官渡区政府采购"}
    # TEST_NOW is 2026-11-24 in Beijing; the other notice was published on 2026-11-21
    assert titles(client, "/notices?from=2026-11-22") == ["官渡区政府采购"]
    assert titles(client, "/notices?to=2026-11-21") == ["五华区施工招标"]
    assert titles(client, "/notices?procedure=invited") == []
    # a GET form sends untouched fields blank: no filter
    assert len(titles(client, "/notices?q=&trade_type=&region=&procedure=&from=&to=")) == 2


def test_pages_are_cut_by_keyset_and_a_new_notice_does_not_shift_the_next_page(
    client: TestClient, db: Session, maker: NoticeMaker
) -> None:
    lots = maker.project(lots=search.PAGE_SIZE + 5)
    for number, lot_id in enumerate(lots):
        maker.notice(title=f"分页公告{number:02d}", lot_id=lot_id, published_at=TEST_NOW - timedelta(hours=number))
    db.commit()
    first = client.get("/notices").text
    first_titles = re.findall(r'#tender-\d+">([^<]+)</a>', first)
    assert first_titles == [f"分页公告{n:02d}" for n in range(search.PAGE_SIZE)]
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link is not None
    maker.notice(title="翻页期间发布的新公告")  # newest: it goes on page one, not into page two
    db.commit()
    second = titles(client, next_link.group(1).replace("&amp;", "&"))
    assert second == [f"分页公告{n:02d}" for n in range(search.PAGE_SIZE, search.PAGE_SIZE + 5)]


@pytest.mark.parametrize(
    ("url", "code", "field"),
    [
        ("/notices?trade_type=spaceships", "invalid_input", "trade_type"),
        ("/notices?region=12345", "invalid_input", "region"),
        ("/notices?from=22/11/2026", "invalid_input", "from"),
        ("/notices?after=not-a-cursor", "cursor_invalid", "after"),
        ("/notices?q=" + "长" * 101, "validation_failed", "q"),
    ],
)
def test_bad_filters_are_an_error_page_naming_the_field(client: TestClient, url: str, code: str, field: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert response.headers["x-problem-code"] == code
    assert response.headers["content-type"].startswith("text/html")
    assert field in response.text


def test_the_postgresql_query_asks_for_every_bigram_of_the_term() -> None:
    assert search.pg_tsquery("道路工程") == "'道路' & '路工' & '工程'"
    assert search.pg_tsquery("哈哈哈") == "'哈哈'"
    assert search.pg_tsquery("（道路）") == "'道路'"
    assert search.pg_tsquery("医") == "'医':*"
    assert search.pg_tsquery("“”") is None


@pytest.mark.parametrize("filters", [{"trade_type": "construction"}, {"region": "530102"}, {"region": "530100"}])
def test_sqlite_filters_walk_the_notice_index_without_a_filter_over_every_project(
    db: Session, maker: NoticeMaker, filters: dict[str, str]
) -> None:
    """Written on the joined project, SQLite built a Bloom filter over every project per request (13 ms at 25,000
    projects, bench/RESULTS.md); read by the project's key, each notice walked costs one primary-key look-up."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan of SQLite's query; PostgreSQL filters on the joined row")
    maker.notice(title="五华区施工招标", region_code="530102")
    db.commit()
    statements: list[tuple[str, object]] = []
    engine = db.get_bind()

    def remember(conn: object, cursor: object, statement: str, params: object, *_: object) -> None:
        statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        page = search.search_notices(db, search.NoticeQuery(**filters))
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert [row.title for row in page.rows] == ["五华区施工招标"]
    statement, params = statements[-1]
    plan = [row[3] for row in db.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]  # type: ignore[arg-type]
    assert plan[0].startswith("SEARCH tenders USING INDEX ix_tenders_published_at_id"), plan
    # the filter reads the notice's project by its key (a correlated subquery), nothing over every project
    assert any(step.startswith("CORRELATED SCALAR SUBQUERY") for step in plan), plan
    assert not any("BLOOM FILTER" in step or step.startswith("SCAN projects") for step in plan), plan
