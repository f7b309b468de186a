"""The Postgres ledger: what it records, one transaction per key under concurrency, and the schema's own
guards (balanced at commit, wallets never below zero, append-only) for writes that bypass the domain."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.ledger import PostgresLedger, ledger_drift
from domain.money.errors import IdempotencyKeyReused, WalletOverdrawn
from domain.money.ledger import Account, LedgerTransaction, RecordType, TransactionKind

Sessions = async_sessionmaker[AsyncSession]
FAMILY = str(uuid.uuid4())
PROVIDER = str(uuid.uuid4())


def move(source: Account, destination: Account, amount: int, key: str) -> LedgerTransaction:
    return LedgerTransaction.move(
        TransactionKind.CORRECTION,
        source,
        destination,
        amount,
        record_type=RecordType.CORRECTION,
        record_id=key,
        idempotency_key=key,
    )


async def record(sessions: Sessions, transaction: LedgerTransaction) -> tuple[int, bool]:
    async with sessions() as session, session.begin():
        done = await PostgresLedger(session).record(transaction)
        return done.id, done.newly_recorded


async def balances(sessions: Sessions, *accounts: Account) -> list[int]:
    async with sessions() as session:
        found = await PostgresLedger(session).balances(list(accounts))
        return [found[a] for a in accounts]


async def test_recording_moves_balances_and_keeps_a_statement(session_factory: Sessions) -> None:
    wallet = Account.family_wallet(FAMILY)
    await record(session_factory, move(Account.programme(), wallet, 8_000, "fund"))
    await record(session_factory, move(wallet, Account.provider_wallet(PROVIDER), 3_000, "pay"))
    assert await balances(
        session_factory, Account.programme(), wallet, Account.provider_wallet(PROVIDER)
    ) == [
        -8_000,
        5_000,
        3_000,
    ]
    async with session_factory() as session:
        lines = await PostgresLedger(session).statement(wallet)
        assert [(line.amount_cents, line.balance_after_cents) for line in lines] == [
            (8_000, 8_000),
            (-3_000, 5_000),
        ]
        assert await ledger_drift(session) == []


async def test_a_wallet_cannot_be_overdrawn_and_nothing_is_kept(session_factory: Sessions) -> None:
    wallet = Account.family_wallet(FAMILY)
    await record(session_factory, move(Account.programme(), wallet, 1_000, "fund"))
    with pytest.raises(WalletOverdrawn):
        await record(session_factory, move(wallet, Account.provider_wallet(PROVIDER), 1_001, "pay"))
    assert await balances(session_factory, wallet, Account.provider_wallet(PROVIDER)) == [1_000, 0]


async def test_a_key_used_again_answers_the_first_transaction_and_refuses_another_move(
    session_factory: Sessions,
) -> None:
    wallet = Account.family_wallet(FAMILY)
    first = await record(session_factory, move(Account.programme(), wallet, 1_000, "fund"))
    again = await record(session_factory, move(Account.programme(), wallet, 1_000, "fund"))
    assert again == (first[0], False)
    with pytest.raises(IdempotencyKeyReused):
        await record(session_factory, move(Account.programme(), wallet, 2_000, "fund"))
    assert await balances(session_factory, wallet) == [1_000]


async def test_twenty_concurrent_recordings_under_one_key_make_one_transaction(
    session_factory: Sessions,
) -> None:
    wallet = Account.family_wallet(FAMILY)
    results = await asyncio.gather(
        *(
            record(session_factory, move(Account.programme(), wallet, 500, "allocation:1:funding"))
            for _ in range(20)
        )
    )
    assert len({transaction_id for transaction_id, _ in results}) == 1
    assert sum(newly for _, newly in results) == 1
    assert await balances(session_factory, wallet, Account.programme()) == [500, -500]
    async with session_factory() as session:
        assert (await session.execute(text("SELECT count(*) FROM ledger_entries"))).scalar_one() == 2


async def test_concurrent_payments_from_one_wallet_never_overdraw_it(session_factory: Sessions) -> None:
    wallet = Account.family_wallet(FAMILY)
    await record(session_factory, move(Account.programme(), wallet, 1_000, "fund"))

    async def pay(n: int) -> bool:
        try:
            await record(session_factory, move(wallet, Account.provider_wallet(PROVIDER), 300, f"pay:{n}"))
        except WalletOverdrawn:
            return False
        return True

    paid = await asyncio.gather(*(pay(n) for n in range(10)))
    assert sum(paid) == 3
    assert await balances(session_factory, wallet) == [100]


async def _raw(session_factory: Sessions, *statements: str) -> None:
    async with session_factory() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))


async def test_the_schema_refuses_an_unbalanced_transaction_at_commit(session_factory: Sessions) -> None:
    await _raw(session_factory, "INSERT INTO ledger_accounts (kind) VALUES ('programme')")
    with pytest.raises(DBAPIError, match="unbalanced"):
        await _raw(
            session_factory,
            "INSERT INTO ledger_transactions (id, kind, record_type, record_id, idempotency_key)"
            " VALUES (1000, 'correction', 'correction', 'x', 'x')",
            "INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)"
            " SELECT 1000, id, 5 FROM ledger_accounts",
        )
    async with session_factory() as session:
        assert (await session.execute(text("SELECT count(*) FROM ledger_transactions"))).scalar_one() == 0


async def test_the_schema_keeps_transactions_and_entries_append_only(session_factory: Sessions) -> None:
    await record(session_factory, move(Account.programme(), Account.family_wallet(FAMILY), 1_000, "fund"))
    for statement in (
        "UPDATE ledger_entries SET amount_cents = amount_cents * 2",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET description = 'edited'",
        "DELETE FROM ledger_transactions",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await _raw(session_factory, statement)
    assert await balances(session_factory, Account.family_wallet(FAMILY)) == [1_000]


async def test_the_schema_keeps_wallets_at_or_above_zero(session_factory: Sessions) -> None:
    await record(session_factory, move(Account.programme(), Account.family_wallet(FAMILY), 1_000, "fund"))
    with pytest.raises(DBAPIError, match="wallet_not_negative"):
        await _raw(
            session_factory, "UPDATE ledger_accounts SET balance_cents = -1 WHERE kind = 'family_wallet'"
        )
