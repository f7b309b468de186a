"""Lump sums' rules: whole numbers within bounds, days or half days, the month open, the amount within
the unselected remainder (what is scheduled counts)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.money.lump_sums import (
    LumpSumExceedsAllocation,
    LumpSumMonthClosed,
    LumpSumRequest,
    check_fits_unselected,
    check_month_open,
    check_request,
)
from domain.programme.errors import InvalidField


def request(**fields: Any) -> LumpSumRequest:
    return LumpSumRequest(
        **{"allocation_id": 1, "provider_id": "p", "amount_cents": 10_000, "days": 5, **fields}
    )


def test_a_well_formed_request_passes() -> None:
    check_request(request(), max_payment_cents=140_000)
    check_request(request(days=0, half_days=31, amount_cents=140_000), max_payment_cents=140_000)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -1}, "amount_cents"),
        ({"amount_cents": 140_001}, "amount_cents"),
        ({"amount_cents": True}, "amount_cents"),
        ({"days": 32}, "days"),
        ({"half_days": -1}, "half_days"),
        ({"days": 0, "half_days": 0}, "days"),
    ],
)
def test_bad_amounts_and_day_counts_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as refused:
        check_request(request(**fields), max_payment_cents=140_000)
    assert refused.value.details["field"] == field


@pytest.mark.parametrize(
    ("month", "open_"),
    [
        (date(2025, 3, 1), True),  # this month
        (date(2025, 2, 1), True),  # last month: reclamation has not reached it
        (date(2025, 1, 1), False),  # the month before last: reclaimed on the 2nd
        (date(2025, 4, 1), False),  # next month
    ],
)
def test_only_the_current_month_and_last_month_are_open(month: date, open_: bool) -> None:
    today = date(2025, 3, 15)
    if open_:
        check_month_open(month, today)
    else:
        with pytest.raises(LumpSumMonthClosed):
            check_month_open(month, today)


def test_the_amount_must_fit_what_is_not_yet_scheduled() -> None:
    check_fits_unselected(30_000, 30_000)
    with pytest.raises(LumpSumExceedsAllocation, match="would exceed monthly allocation"):
        check_fits_unselected(30_001, 30_000)
