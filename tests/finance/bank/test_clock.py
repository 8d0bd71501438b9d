"""The simulator's clock (decision 0039): a demo sets it along its story, back or forward, but never before a line the
bank booked — its statements already given must not change, and its lines stay in the order of their times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.finance.bank.conftest import BankProcess, NoticeReceiver


def _clock(bank: BankProcess, **body: object) -> httpx.Response:
    return httpx.post(f"{bank.url}/admin/clock", json=body, timeout=5)


def test_the_clock_is_set_back_while_the_books_are_empty_and_runs_on_from_there(bank: BankProcess) -> None:
    assert httpx.get(f"{bank.url}/admin/clock", timeout=5).json()["latest_booked_at"] is None
    month_ago = datetime.now(UTC) - timedelta(days=30)
    answer = _clock(bank, set_to=month_ago.isoformat())
    assert answer.status_code == 200, answer.text
    now = datetime.fromisoformat(bank.info()["now"])
    assert month_ago <= now < month_ago + timedelta(minutes=1)


def test_a_payment_is_booked_at_the_time_set_and_the_clock_cannot_go_before_it(
    bank: BankProcess, receiver: NoticeReceiver
) -> None:
    month_ago = datetime.now(UTC) - timedelta(days=30)
    assert _clock(bank, set_to=month_ago.isoformat()).status_code == 200
    number = httpx.post(f"{bank.url}/sub-accounts", json={"reference": "r-1", "name": "n"}, timeout=5).json()["number"]
    bank.pay_in(number, 10_000)
    booked = datetime.fromisoformat(httpx.get(f"{bank.url}/admin/clock", timeout=5).json()["latest_booked_at"])
    assert month_ago <= booked < month_ago + timedelta(minutes=1)
    refused = _clock(bank, set_to=(booked - timedelta(seconds=1)).isoformat())
    assert refused.status_code == 409
    assert refused.json()["code"] == "clock_before_booked_line"
    assert datetime.fromisoformat(bank.info()["now"]) >= booked  # unchanged by the refusal
    assert _clock(bank, set_to=(booked + timedelta(days=3)).isoformat()).status_code == 200
    assert _clock(bank, advance_seconds=60).status_code == 200


def test_the_clock_takes_exactly_one_instruction_and_an_aware_time(bank: BankProcess) -> None:
    now = datetime.now(UTC).isoformat()
    assert _clock(bank, set_to=now, advance_seconds=1).status_code == 422
    assert _clock(bank).status_code == 422
    assert _clock(bank, set_to="2026-11-01T09:00:00").status_code == 422
