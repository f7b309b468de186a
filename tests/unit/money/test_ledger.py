"""The ledger's rules: balanced transactions, wallets never below zero, one transaction per key."""

from __future__ import annotations

import pytest

from domain.money.errors import IdempotencyKeyReused, UnbalancedTransaction, WalletOverdrawn
from domain.money.ledger import Account, AccountKind, Entry, LedgerTransaction, RecordType, TransactionKind
from tests.money_fakes import FakeLedger

FAMILY = "11111111-1111-1111-1111-111111111111"
PROVIDER = "22222222-2222-2222-2222-222222222222"


def funding(amount: int, key: str = "allocation:1:funding") -> LedgerTransaction:
    return LedgerTransaction.move(
        TransactionKind.ALLOCATION_FUNDING,
        Account.programme(),
        Account.family_wallet(FAMILY),
        amount,
        record_type=RecordType.ALLOCATION,
        record_id="1",
        idempotency_key=key,
    )


def payment(amount: int, key: str = "payment:1") -> LedgerTransaction:
    return LedgerTransaction.move(
        TransactionKind.FAMILY_TO_PROVIDER,
        Account.family_wallet(FAMILY),
        Account.provider_wallet(PROVIDER),
        amount,
        record_type=RecordType.PAYMENT,
        record_id="1",
        idempotency_key=key,
    )


@pytest.mark.parametrize(
    "entries",
    [
        [],
        [Entry(Account.programme(), 0)],
        [Entry(Account.programme(), -100)],  # a single entry can never balance
        [Entry(Account.programme(), -100), Entry(Account.family_wallet(FAMILY), 99)],
        [Entry(Account.programme(), 0), Entry(Account.family_wallet(FAMILY), 0)],
        [
            Entry(Account.programme(), -True),
            Entry(Account.family_wallet(FAMILY), True),
        ],  # bools are not cents
        [Entry(Account.programme(), -1.5), Entry(Account.family_wallet(FAMILY), 1.5)],  # type: ignore[arg-type]  # not cents, on purpose
    ],
)
def test_a_transaction_needs_two_or_more_non_zero_entries_that_sum_to_zero(entries: list[Entry]) -> None:
    with pytest.raises(UnbalancedTransaction):
        LedgerTransaction.of(
            TransactionKind.CORRECTION,
            record_type=RecordType.CORRECTION,
            record_id="x",
            idempotency_key="k",
            entries=entries,
        )


def test_three_entries_that_sum_to_zero_balance() -> None:
    transaction = LedgerTransaction.of(
        TransactionKind.CORRECTION,
        record_type=RecordType.CORRECTION,
        record_id="c1",
        idempotency_key="correction:c1",
        entries=[
            Entry(Account.programme(), -300),
            Entry(Account.family_wallet(FAMILY), 100),
            Entry(Account.provider_wallet(PROVIDER), 200),
        ],
    )
    assert sum(entry.amount_cents for entry in transaction.entries) == 0


def test_accounts_of_families_and_providers_need_an_owner_and_the_programmes_have_none() -> None:
    with pytest.raises(ValueError, match="needs"):
        Account(AccountKind.FAMILY_WALLET)
    with pytest.raises(ValueError, match="has no"):
        Account(AccountKind.PROGRAMME, FAMILY)


async def test_the_programme_may_go_negative_but_a_wallet_may_not() -> None:
    ledger = FakeLedger()
    await ledger.record(funding(10_000))
    assert await ledger.balance(Account.programme()) == -10_000
    assert await ledger.balance(Account.family_wallet(FAMILY)) == 10_000

    with pytest.raises(WalletOverdrawn):
        await ledger.record(payment(10_001))
    assert len(ledger.recorded) == 1

    await ledger.record(payment(10_000))
    assert await ledger.balance(Account.family_wallet(FAMILY)) == 0
    assert await ledger.balance(Account.provider_wallet(PROVIDER)) == 10_000


async def test_reusing_an_idempotency_key_returns_the_first_transaction() -> None:
    ledger = FakeLedger()
    first = await ledger.record(funding(5_000))
    again = await ledger.record(funding(5_000))
    assert first.newly_recorded
    assert not again.newly_recorded
    assert again.id == first.id
    assert await ledger.balance(Account.family_wallet(FAMILY)) == 5_000


async def test_reusing_a_key_for_a_different_move_is_refused() -> None:
    ledger = FakeLedger()
    await ledger.record(funding(5_000))
    with pytest.raises(IdempotencyKeyReused):
        await ledger.record(funding(6_000))
    assert await ledger.balance(Account.family_wallet(FAMILY)) == 5_000


async def test_a_statement_shows_the_running_balance() -> None:
    ledger = FakeLedger()
    await ledger.record(funding(5_000, "a"))
    await ledger.record(funding(2_000, "b"))
    await ledger.record(payment(6_000))
    lines = await ledger.statement(Account.family_wallet(FAMILY))
    assert [(line.amount_cents, line.balance_after_cents) for line in lines] == [
        (5_000, 5_000),
        (2_000, 7_000),
        (-6_000, 1_000),
    ]
