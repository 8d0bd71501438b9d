"""Price-score formulas and the pure rules of evaluation, by hand-computed examples and by property."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.core.errors import InvalidInput
from ggzy.evaluation import rules
from ggzy.evaluation.rules import Criterion, PriceFormula, RankedBid, Scheme, ScoreAboveMaximum
from tests.conftest import TEST_NOW

D = Decimal
prices_st = st.dictionaries(st.integers(1, 50), st.integers(1, 10**12), min_size=1, max_size=12)
weights_st = st.decimals(min_value=0, max_value=100, places=2)


def test_gov_procurement_measures_art_55_lowest_price_base_by_hand() -> None:
    """政府采购货物和服务招标投标管理办法 第55条: 80 is the base; 100 → 80/100×30 = 24; 125 → 19.2; 110 → 21.818…"""
    scores = rules.lowest_base_scores({1: 80, 2: 100, 3: 125, 4: 110}, weight=D(30))
    assert scores == {1: D("30.00"), 2: D("24.00"), 3: D("19.20"), 4: D("21.82")}


def test_scores_round_half_up_not_to_even() -> None:
    assert rules.lowest_base_score(price_fen=8, base_fen=1, weight=D(1)) == D("0.13")  # 0.125
    assert rules.round_score(D("0.135")) == D("0.14")
    assert rules.round_score(D("2.345")) == D("2.35")


@given(prices_st, weights_st)
def test_art_55_the_lowest_price_takes_the_whole_weight_and_no_score_exceeds_it(
    prices: dict[int, int], weight: Decimal
) -> None:
    scores = rules.lowest_base_scores(prices, weight=weight)
    lowest = min(prices, key=lambda bid: prices[bid])
    assert scores[lowest] == rules.round_score(weight)
    assert all(D(0) <= score <= weight for score in scores.values())
    by_price = sorted(prices, key=lambda bid: prices[bid])
    assert [scores[b] for b in by_price] == sorted((scores[b] for b in by_price), reverse=True)  # cheaper ≥ dearer


def test_construction_mean_base_with_k_by_hand() -> None:
    """Mean of 1,000,000 / 1,100,000 / 1,200,000 yuan is 1,100,000; K = 2 % → base 1,078,000.
    1,000,000 is 7.2356 % below: 30 − 0.5 × 7.2356 = 26.38; 1,100,000 is 2.0408 % above: 27.96;
    1,200,000 is 11.3173 % above: 18.68."""
    prices = {1: 100_000_000, 2: 110_000_000, 3: 120_000_000}
    assert rules.mean_base_price(list(prices.values()), k_percent=D(2)) == D(107_800_000)
    scores = rules.mean_base_scores(
        prices, weight=D(30), k_percent=D(2), deduction_above=D(1), deduction_below=D("0.5")
    )
    assert scores == {1: D("26.38"), 2: D("27.96"), 3: D("18.68")}


def test_construction_score_is_floored_at_zero() -> None:
    """100 % above the base at 1 point per 1 %: 30 − 100 < 0 → 0."""
    assert rules.mean_base_score(
        price_fen=200, base=D(100), weight=D(30), deduction_above=D(1), deduction_below=D("0.5")
    ) == D("0.00")


def test_construction_a_price_on_the_base_takes_the_whole_weight() -> None:
    prices = {1: 100, 2: 100, 3: 100}
    assert set(rules.mean_base_scores(prices, weight=D(40), k_percent=D(0), deduction_above=D(1),
                                      deduction_below=D("0.5")).values()) == {D("40.00")}  # fmt: skip


@given(
    prices_st,
    weights_st,
    st.decimals(min_value=0, max_value=3, places=2),
    st.decimals(min_value=0, max_value=5, places=2),
    st.decimals(min_value=0, max_value=5, places=2),
)
def test_construction_scores_lie_between_zero_and_the_weight_and_fall_away_from_the_base(
    prices: dict[int, int], weight: Decimal, k: Decimal, above: Decimal, below: Decimal
) -> None:
    scores = rules.mean_base_scores(prices, weight=weight, k_percent=k, deduction_above=above, deduction_below=below)
    base = rules.mean_base_price(list(prices.values()), k_percent=k)
    assert all(D(0) <= score <= rules.round_score(weight) for score in scores.values())
    above_base = sorted((b for b in prices if prices[b] >= base), key=lambda b: prices[b])
    assert [scores[b] for b in above_base] == sorted((scores[b] for b in above_base), reverse=True)
    below_base = sorted((b for b in prices if prices[b] <= base), key=lambda b: prices[b])
    assert [scores[b] for b in below_base] == sorted(scores[b] for b in below_base)


def test_price_scores_follow_the_scheme_formula() -> None:
    scheme = Scheme((), (), price_weight=D(30), price_formula=PriceFormula.LOWEST_BASE)
    assert rules.price_scores(scheme, {1: 80, 2: 100})[2] == D("24.00")
    mean = Scheme((), (), price_weight=D(30), price_formula=PriceFormula.MEAN_BASE, k_percent=D(2))
    assert rules.price_scores(mean, {1: 100_000_000, 2: 110_000_000, 3: 120_000_000})[3] == D("18.68")


@pytest.mark.parametrize(
    ("price", "ceiling", "rejected"), [(101, 100, True), (100, 100, False), (99, 100, False), (10**9, None, False)]
)
def test_regulations_art_51_5_a_price_above_the_ceiling_is_rejected(
    price: int, ceiling: int | None, rejected: bool
) -> None:
    assert rules.is_above_ceiling(price_fen=price, ceiling_price_fen=ceiling) is rejected


@pytest.mark.parametrize(
    ("passes", "fails"),
    [([True] * 5, False), ([False, False, True, True, True], False), ([False, False, False, True, True], True),
     ([False] * 7, True), ([False, False, False, True, True, True, True], False)],
)  # fmt: skip
def test_a_bid_fails_qualification_when_a_majority_of_the_committee_fails_it(passes: list[bool], fails: bool) -> None:
    assert rules.fails_qualification(passes, members=len(passes)) is fails


SCHEME = Scheme(
    (), (Criterion("technical", "技术", D(40)), Criterion("business", "商务", D(20))), D(40), PriceFormula.LOWEST_BASE
)


def test_a_score_above_the_criterion_maximum_is_refused_naming_the_criterion() -> None:
    with pytest.raises(ScoreAboveMaximum) as refused:
        rules.checked_scores(SCHEME, {"technical": D("40.01"), "business": D(10)})
    assert refused.value.field == "scores.technical"
    assert "technical" in refused.value.detail_en
    assert "40" in refused.value.detail_zh


@pytest.mark.parametrize(
    "scores",
    [{"technical": D(1)}, {"technical": D(1), "business": D(1), "extra": D(1)}, {"technical": D(-1), "business": D(1)},
     {"technical": D("1.234"), "business": D(1)}, {"technical": D("NaN"), "business": D(1)}],
)  # fmt: skip
def test_a_sheet_scores_every_criterion_from_zero_with_two_places(scores: dict[str, Decimal]) -> None:
    with pytest.raises(InvalidInput):
        rules.checked_scores(SCHEME, scores)


def test_a_sheet_at_the_maxima_is_accepted() -> None:
    assert rules.checked_scores(SCHEME, {"technical": D(40), "business": D("19.5")}) == {
        "technical": D("40.00"), "business": D("19.50"),
    }  # fmt: skip


def test_lowest_evaluated_price_ranks_by_price_ties_to_the_earlier_submitted() -> None:
    early, late = TEST_NOW, TEST_NOW + timedelta(minutes=5)
    bids = [RankedBid(1, 300, early), RankedBid(2, 200, late), RankedBid(3, 200, early), RankedBid(4, 100, late)]
    assert [b.bid_id for b in rules.rank_lowest_price(bids)] == [4, 3, 2, 1]


def test_scoring_ranks_by_total_ties_to_the_lower_price() -> None:
    bids = [
        RankedBid(1, 300, TEST_NOW, D("88.10")),
        RankedBid(2, 250, TEST_NOW, D("90.00")),
        RankedBid(3, 200, TEST_NOW, D("88.10")),
        RankedBid(4, 100, TEST_NOW, D("70.00")),
    ]
    assert [b.bid_id for b in rules.rank_scoring(bids)] == [2, 3, 1, 4]


def test_the_committee_score_is_the_mean_of_the_sheets() -> None:
    assert rules.mean_score([D("50.00"), D("51.00"), D("52.01")]) == D("51.00")  # 51.0033…
    assert rules.mean_score([D("50.00"), D("50.01")]) == D("50.01")  # 50.005 half up
