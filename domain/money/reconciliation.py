"""Reconciliation: proving our books add up, and agree with the gateway's.

For every allocation, ``allocation = paid + reclaimed + unpaid remainder`` with a remainder that is never
negative, where *paid* and *reclaimed* are what our ledger moved out of the family's wallet for that
allocation — and the records the pages show (the reclamation rows, the allocation's own
``reclaimed_cents``) say the same as the ledger. A funded allocation put exactly its budget into the
wallet; an unfunded one put nothing. Every ledger transaction balances, every account's kept balance is the
sum of its entries, each family wallet holds exactly what its allocations left in it, and every wallet's
balance at the gateway is our ledger's.

The rules here are pure: the books are read elsewhere (one snapshot, a few set-based statements), and a
disagreement is a :class:`Drift` naming the record involved, so an operator can go straight to it.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.money.funding import FundingStatus
from domain.money.ledger import Account

Detail = int | str | None


class DriftRule(enum.StrEnum):
    FUNDING_AMOUNT = "funding_amount"  # the ledger funded other than the allocation's budget
    OVERSPENT = "overspent"  # paid + reclaimed > allocation: the unpaid remainder is negative
    RECLAIMED_RECORDS = "reclaimed_records"  # reclamation rows / the month view disagree with the ledger
    PAID_RECORDS = "paid_records"  # payment rows disagree with the ledger
    LUMP_SUM_RECORDS = "lump_sum_records"  # the allocation's lump_sum_cents is not its lump sums' sum
    LEDGER = "ledger"  # an unbalanced transaction, or a kept balance that is not its entries' sum
    FAMILY_WALLET = "family_wallet"  # the wallet holds other than what its allocations left in it
    GATEWAY_BALANCE = "gateway_balance"  # the gateway's balance is not our ledger's
    GATEWAY_UNCHECKED = "gateway_unchecked"  # the gateway could not be asked: nothing proven
    GATEWAY_USER_SHARED = "gateway_user_shared"  # two of our wallets are one wallet at the gateway


@dataclass(frozen=True, slots=True)
class Drift:
    rule: DriftRule
    record: str  # "allocation:42", "family_wallet:<uuid>", "transaction:7"
    details: Mapping[str, Detail] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AllocationBooks:
    """One allocation as the ledger and the records see it."""

    allocation_id: int
    family_id: str
    allocation_cents: int
    funding_status: FundingStatus | None  # None: never claimed for funding
    funded_cents: int  # into the family wallet by the allocation's funding transaction (ledger)
    paid_cents: int  # out of the family wallet for this allocation's payments (ledger)
    reclaimed_cents: int  # out of the family wallet by this allocation's reclamation (ledger)
    paid_recorded_cents: int  # the payment rows
    reclaimed_recorded_cents: int  # the reclamation rows that say the money was taken back
    reclaimed_shown_cents: int  # the allocation's own figure (the month view's total_reclaimed_cents)
    lump_sum_shown_cents: int = 0  # the allocation's own figure (counted as selected by the month view)
    lump_sum_recorded_cents: int = 0  # the lump-sum rows

    @property
    def unpaid_remainder_cents(self) -> int:
        return self.allocation_cents - self.paid_cents - self.reclaimed_cents

    @property
    def left_in_wallet_cents(self) -> int:
        return self.funded_cents - self.paid_cents - self.reclaimed_cents


def allocation_drift(books: AllocationBooks) -> list[Drift]:
    record = f"allocation:{books.allocation_id}"
    found: list[Drift] = []
    expected_funding = books.allocation_cents if books.funding_status is FundingStatus.FUNDED else 0
    if books.funded_cents != expected_funding:
        found.append(
            Drift(
                DriftRule.FUNDING_AMOUNT,
                record,
                {
                    "funding_status": None if books.funding_status is None else books.funding_status.value,
                    "allocation_cents": books.allocation_cents,
                    "funded_cents": books.funded_cents,
                },
            )
        )
    if books.unpaid_remainder_cents < 0:
        found.append(
            Drift(
                DriftRule.OVERSPENT,
                record,
                {
                    "allocation_cents": books.allocation_cents,
                    "paid_cents": books.paid_cents,
                    "reclaimed_cents": books.reclaimed_cents,
                    "unpaid_remainder_cents": books.unpaid_remainder_cents,
                },
            )
        )
    if not books.reclaimed_cents == books.reclaimed_recorded_cents == books.reclaimed_shown_cents:
        found.append(
            Drift(
                DriftRule.RECLAIMED_RECORDS,
                record,
                {
                    "ledger_cents": books.reclaimed_cents,
                    "reclamation_rows_cents": books.reclaimed_recorded_cents,
                    "allocation_shows_cents": books.reclaimed_shown_cents,
                },
            )
        )
    if books.paid_cents != books.paid_recorded_cents:
        found.append(
            Drift(
                DriftRule.PAID_RECORDS,
                record,
                {"ledger_cents": books.paid_cents, "payment_rows_cents": books.paid_recorded_cents},
            )
        )
    if books.lump_sum_shown_cents != books.lump_sum_recorded_cents:
        found.append(
            Drift(
                DriftRule.LUMP_SUM_RECORDS,
                record,
                {
                    "allocation_shows_cents": books.lump_sum_shown_cents,
                    "lump_sum_rows_cents": books.lump_sum_recorded_cents,
                },
            )
        )
    return found


def family_wallet_drift(
    allocations: Iterable[AllocationBooks], wallet_balances: Mapping[str, int]
) -> list[Drift]:
    """Each family wallet's ledger balance against what its allocations left in it: money in a wallet
    that no allocation explains (or missing from it) is drift even when every transaction balances."""
    expected: dict[str, int] = defaultdict(int)
    for books in allocations:
        expected[books.family_id] += books.left_in_wallet_cents
    found = []
    for family_id in sorted(set(expected) | set(wallet_balances)):
        held, explained = wallet_balances.get(family_id, 0), expected.get(family_id, 0)
        if held != explained:
            found.append(
                Drift(
                    DriftRule.FAMILY_WALLET,
                    str(Account.family_wallet(family_id)),
                    {"ledger_balance_cents": held, "left_by_allocations_cents": explained},
                )
            )
    return found


@dataclass(frozen=True, slots=True)
class WalletBooks:
    """A wallet we hold at the gateway, with our ledger's balance for it."""

    account: Account
    gateway_user_id: str
    ledger_cents: int


def gateway_drift(wallets: Iterable[WalletBooks], gateway_cents: Mapping[str, int]) -> list[Drift]:
    """Each wallet against the gateway's balance for its user. Two wallets of ours on one gateway user
    (two families that gave the same email) cannot be told apart there: they are reported as such."""
    listed = list(wallets)
    users: dict[str, list[WalletBooks]] = defaultdict(list)
    for wallet in listed:
        users[wallet.gateway_user_id].append(wallet)
    found = []
    for wallet in listed:
        sharing = users[wallet.gateway_user_id]
        if len(sharing) > 1:
            others = ",".join(str(w.account) for w in sharing if w is not wallet)
            found.append(
                Drift(
                    DriftRule.GATEWAY_USER_SHARED,
                    str(wallet.account),
                    {"gateway_user_id": wallet.gateway_user_id, "shared_with": others},
                )
            )
            continue
        at_gateway = gateway_cents.get(wallet.gateway_user_id)
        if at_gateway is None:
            found.append(
                Drift(
                    DriftRule.GATEWAY_UNCHECKED,
                    str(wallet.account),
                    {"gateway_user_id": wallet.gateway_user_id, "ledger_cents": wallet.ledger_cents},
                )
            )
        elif at_gateway != wallet.ledger_cents:
            found.append(
                Drift(
                    DriftRule.GATEWAY_BALANCE,
                    str(wallet.account),
                    {
                        "gateway_user_id": wallet.gateway_user_id,
                        "ledger_cents": wallet.ledger_cents,
                        "gateway_cents": at_gateway,
                    },
                )
            )
    return found


@dataclass(frozen=True, slots=True)
class BookTotals:
    allocations: int = 0
    allocated_cents: int = 0
    funded_cents: int = 0
    paid_cents: int = 0
    reclaimed_cents: int = 0
    unpaid_remainder_cents: int = 0

    @staticmethod
    def of(allocations: Iterable[AllocationBooks]) -> BookTotals:
        count = allocated = funded = paid = reclaimed = 0
        for books in allocations:
            count += 1
            allocated += books.allocation_cents
            funded += books.funded_cents
            paid += books.paid_cents
            reclaimed += books.reclaimed_cents
        return BookTotals(count, allocated, funded, paid, reclaimed, allocated - paid - reclaimed)


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    totals: BookTotals
    transactions_checked: int
    wallets_checked: int
    drift: tuple[Drift, ...]

    @property
    def clean(self) -> bool:
        return not self.drift
