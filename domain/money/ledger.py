"""The double-entry ledger: accounts, entries and the transactions that move money between them.

Amounts are signed integer cents: an entry adds its amount to its account's balance, so money leaving the
programme for a family wallet is ``programme −X, family wallet +X``. Every transaction sums to zero, so
the sum of every balance is always zero too. Transactions are append-only: a mistake is corrected by a
new ``correction`` transaction, never by editing an old one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from domain.money.errors import UnbalancedTransaction, WalletOverdrawn


class AccountKind(enum.StrEnum):
    PROGRAMME = "programme"  # the programme's balance at the gateway; money starts here
    FAMILY_WALLET = "family_wallet"
    PROVIDER_WALLET = "provider_wallet"
    PROVIDER_PAYOUT = "provider_payout"  # what left a provider's wallet for their card or bank
    RECLAIMED = "reclaimed"  # unused family money taken back for the programme

    @property
    def has_owner(self) -> bool:
        return self in _OWNED

    @property
    def may_go_negative(self) -> bool:
        # Wallets are real money held at the gateway: they can never hold less than nothing. The
        # programme and the sinks are the other side of the books and carry the opposite sign.
        return self not in _WALLETS


_OWNED = frozenset({AccountKind.FAMILY_WALLET, AccountKind.PROVIDER_WALLET, AccountKind.PROVIDER_PAYOUT})
_WALLETS = frozenset({AccountKind.FAMILY_WALLET, AccountKind.PROVIDER_WALLET})


@dataclass(frozen=True, slots=True, order=True)
class Account:
    kind: AccountKind
    owner_id: str | None = None  # the family or provider; None for the programme's own accounts

    def __post_init__(self) -> None:
        if self.kind.has_owner != (self.owner_id is not None):
            raise ValueError(
                f"a {self.kind.value} account {'needs' if self.kind.has_owner else 'has no'} owner"
            )

    @staticmethod
    def programme() -> Account:
        return Account(AccountKind.PROGRAMME)

    @staticmethod
    def reclaimed() -> Account:
        return Account(AccountKind.RECLAIMED)

    @staticmethod
    def family_wallet(family_id: str) -> Account:
        return Account(AccountKind.FAMILY_WALLET, family_id)

    @staticmethod
    def provider_wallet(provider_id: str) -> Account:
        return Account(AccountKind.PROVIDER_WALLET, provider_id)

    @staticmethod
    def provider_payout(provider_id: str) -> Account:
        return Account(AccountKind.PROVIDER_PAYOUT, provider_id)

    def __str__(self) -> str:
        return self.kind.value if self.owner_id is None else f"{self.kind.value}:{self.owner_id}"


class TransactionKind(enum.StrEnum):
    ALLOCATION_FUNDING = "allocation_funding"
    FAMILY_TO_PROVIDER = "family_to_provider"
    PAYOUT = "payout"
    RECLAMATION = "reclamation"
    CORRECTION = "correction"


class RecordType(enum.StrEnum):
    """The domain record a transaction belongs to."""

    ALLOCATION = "allocation"
    PAYMENT = "payment"
    RECLAMATION = "reclamation"
    CORRECTION = "correction"


@dataclass(frozen=True, slots=True)
class Entry:
    account: Account
    amount_cents: int


@dataclass(frozen=True, slots=True)
class LedgerTransaction:
    """A balanced move, not yet recorded. Build it with :meth:`of`, which enforces the rules."""

    kind: TransactionKind
    record_type: RecordType
    record_id: str
    idempotency_key: str
    entries: tuple[Entry, ...]
    description: str = ""

    @staticmethod
    def of(
        kind: TransactionKind,
        *,
        record_type: RecordType,
        record_id: str,
        idempotency_key: str,
        entries: Iterable[Entry],
        description: str = "",
    ) -> LedgerTransaction:
        listed = tuple(sorted(entries, key=lambda e: (e.account, e.amount_cents)))
        check_balanced(listed)
        if not idempotency_key or len(idempotency_key) > 200:
            raise ValueError("an idempotency key is 1–200 characters")
        return LedgerTransaction(kind, record_type, record_id, idempotency_key, listed, description)

    @staticmethod
    def move(
        kind: TransactionKind,
        source: Account,
        destination: Account,
        amount_cents: int,
        *,
        record_type: RecordType,
        record_id: str,
        idempotency_key: str,
        description: str = "",
    ) -> LedgerTransaction:
        """The common two-entry transaction: ``amount_cents`` from ``source`` to ``destination``."""
        return LedgerTransaction.of(
            kind,
            record_type=record_type,
            record_id=record_id,
            idempotency_key=idempotency_key,
            entries=(Entry(source, -amount_cents), Entry(destination, amount_cents)),
            description=description,
        )

    def same_move_as(self, other: LedgerTransaction) -> bool:
        """Whether a second request under this key asks for the very same thing (a retry), or something
        else (a bug that must not be answered with the first transaction)."""
        return (self.kind, self.record_type, self.record_id, self.entries) == (
            other.kind,
            other.record_type,
            other.record_id,
            other.entries,
        )


def check_balanced(entries: tuple[Entry, ...]) -> None:
    if len(entries) < 2:
        raise UnbalancedTransaction(details={"entries": len(entries)})
    for entry in entries:
        amount = entry.amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise UnbalancedTransaction("Every entry moves a non-zero whole number of cents")
    total = sum(entry.amount_cents for entry in entries)
    if total != 0:
        raise UnbalancedTransaction(details={"sum_cents": total})


def check_no_overdraft(transaction: LedgerTransaction, balances: Mapping[Account, int]) -> None:
    """Refuses a transaction that would take a wallet below zero, given the balances before it."""
    after: dict[Account, int] = {}
    for entry in transaction.entries:
        after[entry.account] = after.get(entry.account, balances.get(entry.account, 0)) + entry.amount_cents
    for account, balance in after.items():
        if balance < 0 and not account.kind.may_go_negative:
            raise WalletOverdrawn(
                details={"account": str(account), "balance_cents": balances.get(account, 0)}
            )


@dataclass(frozen=True, slots=True)
class RecordedTransaction:
    id: int
    transaction: LedgerTransaction
    created_at: datetime
    # False when the idempotency key had already recorded this transaction (a retry): nothing moved now.
    newly_recorded: bool


@dataclass(frozen=True, slots=True)
class AccountLine:
    """One line of an account's statement."""

    transaction_id: int
    kind: TransactionKind
    record_type: RecordType
    record_id: str
    amount_cents: int
    balance_after_cents: int
    created_at: datetime
    description: str
