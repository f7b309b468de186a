"""Accounts, pending accounts and the webhook ledger on real Postgres."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.postgres.accounts import RawSignInAccounts, SqlAlchemyAccounts, SqlAlchemyWebhookLedger
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.raw_pool import RawPool
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from adapters.schema import metadata
from domain.errors import Conflict
from domain.identity.model import Account, PendingAccount, Role


@pytest.fixture
async def uow(database_url: str) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(build_session_factory(build_engine(database_url)))


async def test_an_account_round_trips_with_its_roles(uow: SqlAlchemyUnitOfWork) -> None:
    accounts = SqlAlchemyAccounts(uow)
    async with uow:
        await accounts.add(Account("user_a", "a@x.org", frozenset({Role.FAMILY, Role.PROVIDER})))
        await uow.commit()
    async with uow:
        stored = await accounts.get("user_a")
    assert stored is not None
    assert stored.roles == {Role.FAMILY, Role.PROVIDER}
    assert stored.created_at is not None
    assert stored.last_seen_at is None


async def test_a_duplicate_account_or_pending_email_is_a_conflict(uow: SqlAlchemyUnitOfWork) -> None:
    accounts = SqlAlchemyAccounts(uow)
    async with uow:
        await accounts.add(Account("user_a", None))
        await accounts.add_pending(PendingAccount("p@x.org"))
        with pytest.raises(Conflict):
            await accounts.add(Account("user_a", None))
        with pytest.raises(Conflict):
            await accounts.add_pending(PendingAccount("p@x.org"))
        await uow.commit()  # the first rows survive the refused ones
    async with uow:
        assert await accounts.get("user_a") is not None
        assert await accounts.take_pending("p@x.org") is not None
        assert await accounts.take_pending("p@x.org") is None


async def test_the_sign_in_lookup_reads_accounts_and_notes_last_seen_without_touching_updated_at(
    uow: SqlAlchemyUnitOfWork, database_url: str
) -> None:
    accounts = SqlAlchemyAccounts(uow)
    async with uow:
        await accounts.add(Account("user_a", "a@x.org", frozenset({Role.FAMILY}), family_id="f1"))
        await uow.commit()
    async with uow:
        before = await accounts.get("user_a")
    assert before is not None
    pool = RawPool(database_url, size=1)
    try:
        sign_in_accounts = RawSignInAccounts(pool)
        assert await sign_in_accounts.get("user_a") == before
        assert await sign_in_accounts.get("user_nobody") is None
        seen = datetime(2030, 1, 1, tzinfo=UTC)
        await sign_in_accounts.record_seen("user_a", Account("user_a", None, last_seen_at=seen))
        after = await sign_in_accounts.get("user_a")
    finally:
        await pool.close()
    assert after is not None
    assert (after.last_seen_at, after.updated_at) == (seen, before.updated_at)


async def test_the_ledger_says_first_only_once(uow: SqlAlchemyUnitOfWork) -> None:
    ledger = SqlAlchemyWebhookLedger(uow)
    async with uow:
        assert await ledger.first_delivery("msg_1", "user.created")
        await uow.commit()
    async with uow:
        assert not await ledger.first_delivery("msg_1", "user.created")
        assert await ledger.first_delivery("msg_2", "user.created")


async def test_the_migrations_match_the_row_classes(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    await engine.dispose()
    assert differences == []
