"""Reconciliation's rules: allocation = paid + reclaimed + unpaid remainder (never negative), a funded
allocation funded exactly its budget, the records agree with the ledger, each family wallet holds what
its allocations left, the gateway holds what the ledger says — and an unreachable gateway proves nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.money.funding import FundingStatus
from domain.money.ledger import Account
from domain.money.reconciliation import (
    AllocationBooks,
    BookTotals,
    DriftRule,
    WalletBooks,
    allocation_drift,
    family_wallet_drift,
    gateway_drift,
)

FAMILY = "11111111-1111-1111-1111-111111111111"
BOOKS = AllocationBooks(
    allocation_id=7,
    family_id=FAMILY,
    allocation_cents=100_000,
    funding_status=FundingStatus.FUNDED,
    funded_cents=100_000,
    paid_cents=30_000,
    reclaimed_cents=70_000,
    paid_recorded_cents=30_000,
    reclaimed_recorded_cents=70_000,
    reclaimed_shown_cents=70_000,
)


def test_books_that_add_up_have_no_drift_and_the_remainder_is_what_is_left() -> None:
    assert allocation_drift(BOOKS) == []
    assert BOOKS.unpaid_remainder_cents == 0
    assert (
        replace(
            BOOKS, reclaimed_cents=0, reclaimed_recorded_cents=0, reclaimed_shown_cents=0
        ).unpaid_remainder_cents
        == 70_000
    )


def test_paying_and_reclaiming_more_than_the_allocation_is_overspent() -> None:
    over = replace(BOOKS, paid_cents=30_001, paid_recorded_cents=30_001)
    [drift] = allocation_drift(over)
    assert (drift.rule, drift.record) == (DriftRule.OVERSPENT, "allocation:7")
    assert drift.details["unpaid_remainder_cents"] == -1


@pytest.mark.parametrize(
    ("status", "funded"),
    [
        (FundingStatus.FUNDED, 99_999),
        (FundingStatus.PENDING, 100_000),
        (None, 1),
        (FundingStatus.NOTHING_TO_FUND, 5),
    ],
)
def test_the_ledger_funds_exactly_the_budget_of_a_funded_allocation_and_nothing_otherwise(
    status: FundingStatus | None, funded: int
) -> None:
    books = replace(BOOKS, funding_status=status, funded_cents=funded, paid_cents=0, paid_recorded_cents=0)
    rules = [d.rule for d in allocation_drift(books)]
    assert DriftRule.FUNDING_AMOUNT in rules


def test_an_unfunded_allocation_with_nothing_in_the_ledger_is_clean() -> None:
    books = replace(
        BOOKS, funding_status=FundingStatus.PENDING, funded_cents=0, paid_cents=0, paid_recorded_cents=0,
        reclaimed_cents=0, reclaimed_recorded_cents=0, reclaimed_shown_cents=0,
    )  # fmt: skip
    assert allocation_drift(books) == []


@pytest.mark.parametrize(
    "changed",
    [
        replace(BOOKS, reclaimed_recorded_cents=0),
        replace(BOOKS, reclaimed_shown_cents=69_999),
        replace(BOOKS, reclaimed_cents=1),
    ],
)
def test_reclamation_rows_the_month_view_and_the_ledger_must_agree(changed: AllocationBooks) -> None:
    [drift] = [d for d in allocation_drift(changed) if d.rule is DriftRule.RECLAIMED_RECORDS]
    assert drift.record == "allocation:7"


def test_payment_rows_must_agree_with_the_ledger() -> None:
    rules = [d.rule for d in allocation_drift(replace(BOOKS, paid_recorded_cents=0))]
    assert rules == [DriftRule.PAID_RECORDS]


def test_a_family_wallet_holds_what_its_allocations_left_in_it() -> None:
    second = replace(BOOKS, allocation_id=8, paid_cents=0, paid_recorded_cents=0, reclaimed_cents=0,
                     reclaimed_recorded_cents=0, reclaimed_shown_cents=0)  # fmt: skip
    assert family_wallet_drift([BOOKS, second], {FAMILY: 100_000}) == []
    [drift] = family_wallet_drift([BOOKS, second], {FAMILY: 100_001})
    assert (drift.rule, drift.record) == (DriftRule.FAMILY_WALLET, f"family_wallet:{FAMILY}")
    other = "22222222-2222-2222-2222-222222222222"
    [stray] = family_wallet_drift([BOOKS, second], {FAMILY: 100_000, other: 5})
    assert stray.details == {"ledger_balance_cents": 5, "left_by_allocations_cents": 0}


def test_the_gateway_must_hold_what_the_ledger_says_and_an_unanswered_wallet_is_unchecked() -> None:
    wallets = [
        WalletBooks(Account.family_wallet(FAMILY), "u1", 500),
        WalletBooks(Account.provider_wallet(FAMILY), "u2", 0),
        WalletBooks(Account.family_wallet("33333333-3333-3333-3333-333333333333"), "u3", 10),
    ]
    found = gateway_drift(wallets, {"u1": 500, "u2": 1})
    assert [(d.rule, d.record) for d in found] == [
        (DriftRule.GATEWAY_BALANCE, f"provider_wallet:{FAMILY}"),
        (DriftRule.GATEWAY_UNCHECKED, "family_wallet:33333333-3333-3333-3333-333333333333"),
    ]


def test_totals_add_up_to_the_allocations() -> None:
    totals = BookTotals.of([BOOKS, replace(BOOKS, allocation_id=8, reclaimed_cents=0)])
    assert (totals.allocations, totals.allocated_cents, totals.paid_cents, totals.reclaimed_cents) == (
        2, 200_000, 60_000, 70_000,
    )  # fmt: skip
    assert totals.unpaid_remainder_cents == 70_000


def test_two_wallets_on_one_gateway_user_are_reported_not_compared() -> None:
    other = "44444444-4444-4444-4444-444444444444"
    wallets = [
        WalletBooks(Account.family_wallet(FAMILY), "same", 500),
        WalletBooks(Account.family_wallet(other), "same", 300),
    ]
    found = gateway_drift(wallets, {"same": 800})
    assert [(d.rule, d.details["shared_with"]) for d in found] == [
        (DriftRule.GATEWAY_USER_SHARED, f"family_wallet:{other}"),
        (DriftRule.GATEWAY_USER_SHARED, f"family_wallet:{FAMILY}"),
    ]


def test_the_allocations_lump_sum_figure_must_be_its_lump_sums() -> None:
    assert allocation_drift(replace(BOOKS, lump_sum_shown_cents=5_000, lump_sum_recorded_cents=5_000)) == []
    [drift] = allocation_drift(replace(BOOKS, lump_sum_shown_cents=5_000, lump_sum_recorded_cents=4_000))
    assert (drift.rule, drift.details["lump_sum_rows_cents"]) == (DriftRule.LUMP_SUM_RECORDS, 4_000)
