"""When a deposit is due back and with what interest (pure rules): 招标投标法实施条例 第31条、第35条、第57条,
政府采购法实施条例 第33条; the rate and the day count from configuration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.config import Settings
from ggzy.core.periods import DayCount
from ggzy.finance.refund_rules import RefundGround, interest_fen, refund_due

G = RefundGround


def test_regulations_art_57_winner_and_losers_refunded_with_interest_within_5_days_of_the_contract() -> None:
    for ground in (G.SUCCESSFUL, G.UNSUCCESSFUL):
        due = refund_due("tendering_law", ground)
        assert (due.event, due.period and due.period.length, due.period and due.period.unit) == (
            "contract", 5, DayCount.DAYS,
        )  # fmt: skip
        assert due.article == "招标投标法实施条例 第五十七条"
        assert due.with_interest


def test_regulations_art_35_a_deposit_withdrawn_before_the_deadline_comes_back_within_5_days() -> None:
    due = refund_due("tendering_law", G.WITHDRAWN)
    assert (due.event, due.article, due.period and due.period.length) == (
        "withdrawal",
        "招标投标法实施条例 第三十五条",
        5,
    )
    assert not due.with_interest  # the article names none


def test_regulations_art_31_a_terminated_tender_refunds_promptly_with_interest() -> None:
    due = refund_due("tendering_law", G.TERMINATED)
    assert (due.period, due.article, due.with_interest) == (None, "招标投标法实施条例 第三十一条", True)


def test_procurement_regulations_art_33_losers_5_working_days_after_the_letter_the_winner_after_the_contract() -> None:
    losers, winner = refund_due("procurement_law", G.UNSUCCESSFUL), refund_due("procurement_law", G.SUCCESSFUL)
    assert (losers.event, winner.event) == ("award_letter", "contract")
    for due in (losers, winner):
        assert due.period is not None
        assert (due.period.length, due.period.unit, due.article) == (
            5,
            DayCount.WORKING_DAYS,
            "政府采购法实施条例 第三十三条",
        )


def test_interest_counts_the_first_day_not_the_last_at_the_configured_rate_and_basis() -> None:
    settings = Settings()
    assert (settings.deposit_interest_annual_rate, settings.deposit_interest_day_basis) == (Decimal("0.0035"), 360)
    # 20,000.00 yuan for 36 days at 0.35% over 360 days: 2,000,000 × 0.0035 × 36 / 360 = 700 fen (7.00 yuan)
    assert (
        interest_fen(
            2_000_000,
            booked_on=date(2026, 11, 1),
            refunded_on=date(2026, 12, 7),
            annual_rate=Decimal("0.0035"),
            day_basis=360,
        )
        == 700
    )
    assert (
        interest_fen(
            2_000_000,
            booked_on=date(2026, 11, 1),
            refunded_on=date(2026, 11, 1),
            annual_rate=Decimal("0.0035"),
            day_basis=360,
        )
        == 0
    )
    # half a fen rounds up: 1 × 0.5 × 1 / 1
    assert (
        interest_fen(
            1, booked_on=date(2026, 1, 1), refunded_on=date(2026, 1, 2), annual_rate=Decimal("0.5"), day_basis=1
        )
        == 1
    )


def test_the_rate_and_day_count_come_from_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GGZY_DEPOSIT_INTEREST_ANNUAL_RATE", "0.0005")
    monkeypatch.setenv("GGZY_DEPOSIT_INTEREST_DAY_BASIS", "365")
    settings = Settings()
    assert (settings.deposit_interest_annual_rate, settings.deposit_interest_day_basis) == (Decimal("0.0005"), 365)


@given(
    principal=st.integers(0, 10**12),
    days=st.integers(0, 3_650),
    rate=st.decimals(min_value=0, max_value=Decimal("0.1"), places=6),
    basis=st.sampled_from([360, 365]),
)
def test_interest_is_exact_in_fen_and_grows_with_time(principal: int, days: int, rate: Decimal, basis: int) -> None:
    start = date(2020, 1, 1)
    got = interest_fen(
        principal,
        booked_on=start,
        refunded_on=date.fromordinal(start.toordinal() + days),
        annual_rate=rate,
        day_basis=basis,
    )
    exact = Decimal(principal) * rate * days / basis
    assert isinstance(got, int)
    assert abs(Decimal(got) - exact) <= Decimal("0.5")
    later = interest_fen(
        principal,
        booked_on=start,
        refunded_on=date.fromordinal(start.toordinal() + days + 1),
        annual_rate=rate,
        day_basis=basis,
    )
    assert later >= got
