"""The live opening hall's pages (开标大厅): what a visitor sees before, during and after an opening."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from ggzy.core.clock import FixedClock
from ggzy.wiring import session_factory
from tests.browser.live_opening import LiveOpening

PRICES = [98_000_000, 96_500_000, 99_100_000]


@pytest.fixture
def live(connection: Connection, gm_ca: Path) -> LiveOpening:
    factory = session_factory(connection, join_transaction_mode="create_savepoint")
    return LiveOpening(factory, gm_ca, PRICES).prepare()


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_before_the_deadline_the_hall_shows_no_bidder_and_no_count_招标投标法第22条(
    client: TestClient, live: LiveOpening
) -> None:
    for language in ("zh", "en"):
        response = client.get(f"/openings/{live.tender_id}?lang={language}")
        assert response.status_code == 200
        html = response.text
        assert "开标直播测试招标" in html
        for name in live.bidder_names:
            assert name not in html
        assert "测试企业" not in html  # no bidder of any other tender either
        # the progress says nothing: no total, nothing decrypted, no list
        assert re.search(r'<span id="total">—</span>', html)
        assert '<ol id="progress" class="plain progress" aria-live="polite"></ol>' in html
        assert re.search(r'<template id="history">\s*</template>', html)
        assert str(len(PRICES)) + " " not in _visible(html).split("开标直播")[1]
    assert "不公开投标人的名称和数量" in client.get(f"/openings/{live.tender_id}?lang=zh").text
    assert "names and number of bidders" in client.get(f"/openings/{live.tender_id}?lang=en").text


def test_during_the_opening_the_hall_shows_the_decryption_progress(
    client: TestClient, live: LiveOpening, clock: FixedClock
) -> None:
    live.start(clock)
    live.decrypt(0, clock)
    html = client.get(f"/openings/{live.tender_id}").text
    assert 'data-total="3"' in html
    assert f"{live.bidder_names[0]} 已解密投标文件" in html
    assert live.bidder_names[1] not in html  # not yet decrypted: not yet named
    stream = re.search(r'data-stream="([^"]+)"', html)
    assert stream is not None
    assert re.search(r"after=\d+&amp;lang=zh", stream.group(1))


def test_after_the_opening_the_record_is_read_out_with_each_bidder_and_price(
    client: TestClient, live: LiveOpening, clock: FixedClock
) -> None:
    live.start(clock)
    for number in range(len(PRICES)):
        live.decrypt(number, clock)
    live.finish(clock)
    html = client.get(f"/openings/{live.tender_id}").text
    lines = re.findall(r'<li data-target="record" class="record-line">(.*?)</li>', html, re.S)
    assert len(lines) == 3
    for line, name, price in zip(
        lines, live.bidder_names, ["980,000.00 元", "965,000.00 元", "991,000.00 元"], strict=True
    ):
        assert name in line
        assert price in line
    assert "开标记录已签名并记入账本" in html
    english = client.get(f"/openings/{live.tender_id}?lang=en").text
    assert "CNY 965,000.00" in english
    assert "The opening record is signed and in the ledger" in english
    # a replay starts empty: the stream reads it out again from the start
    replay = client.get(f"/openings/{live.tender_id}?replay=1").text
    assert live.bidder_names[0] not in replay
    assert "after=-1" in replay


def test_the_hall_list_links_every_published_opening(client: TestClient, live: LiveOpening) -> None:
    html = client.get("/openings").text
    assert f'href="/openings/{live.tender_id}"' in html
    assert 'aria-current="page"' in html
    assert ">开标大厅<" in html


def test_no_hall_for_an_unknown_tender(client: TestClient) -> None:
    response = client.get("/openings/999999")
    assert response.status_code == 404
    assert response.headers["x-problem-code"] == "not_found"
    events = client.get("/openings/999999/events")
    assert events.status_code == 404
