"""The demo's two rights trades (decision 0051), in `ggzy demo --json`: a land listing that goes to timed bidding
between three plates and sells above its sealed reserve (opened at the end, the confirmation signed by the buyer, the
two other deposits ordered back), and a property auction with one bidder below the reserve that fails
(拍卖法 第五十条)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ggzy.cli import app

runner = CliRunner()


def test_the_demo_sells_a_land_listing_and_fails_a_property_auction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GGZY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["demo", "--json"])
        assert result.exit_code == 0, result.output
        land, prop = json.loads(result.output)["rights_trades"]
    finally:
        get_settings.cache_clear()
    assert (land["trade_kind"], land["method"], land["outcome"]) == ("land", "listing", "sold")
    assert len(set(land["plates"])) == 3
    assert {bid["plate"] for bid in land["bids"] if bid["phase"] == "timed"} == set(land["plates"])
    assert land["price_fen"] == land["bids"][-1]["amount_fen"]
    assert land["price_fen"] > land["reserve_fen"]
    assert land["confirmation_signed"] is True
    assert land["refunds_ordered"] == 2  # the two other plates' deposits; the buyer's is kept
    assert (prop["trade_kind"], prop["method"], prop["outcome"]) == ("property", "auction", "below_reserve")
    assert len(prop["plates"]) == 1
    assert prop["price_fen"] < prop["reserve_fen"]
    assert prop["refunds_ordered"] == 1
