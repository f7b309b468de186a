"""What staff type as money, how the console writes it, and CSV cells a spreadsheet would run."""

from __future__ import annotations

import pytest

from domain.errors import RuleRefused
from entrypoints.http.console.csv_export import csv_response
from entrypoints.http.console.formatting import cents_from_dollars, dollars


@pytest.mark.parametrize(
    ("typed", "cents"), [("1200", 120_000), ("1,200.5", 120_050), ("$950.05", 95_005), (" 0 ", 0)]
)
def test_dollars_typed_by_staff_become_cents(typed: str, cents: int) -> None:
    assert cents_from_dollars(typed) == cents


@pytest.mark.parametrize("typed", ["", "lots", "12.345", "-5", "1e5", "99999999"])
def test_anything_else_is_a_readable_refusal(typed: str) -> None:
    with pytest.raises(RuleRefused, match="Write the amount in dollars"):
        cents_from_dollars(typed)


def test_cents_are_written_as_dollars() -> None:
    written = (dollars(123_456), dollars(5), dollars(-250), dollars(None))
    assert written == ("$1,234.56", "$0.05", "-$2.50", "—")


def test_a_cell_that_looks_like_a_formula_is_written_as_text() -> None:
    response = csv_response("x.csv", ("name",), [("=HYPERLINK(1)",), ("@SUM",), ("Ana",)])
    assert response.content.decode().splitlines() == ["name", "'=HYPERLINK(1)", "'@SUM", "Ana"]
