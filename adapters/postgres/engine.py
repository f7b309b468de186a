"""The async SQLAlchemy engine and session factory for Postgres (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def build_engine(database_url: str, *, pool_size: int = 10, connect_timeout: float = 5.0) -> AsyncEngine:
    """One engine per process; nothing connects until first use.

    No ``pool_pre_ping``: it costs a round-trip on every checkout, i.e. on every request. Dead
    connections are handled optimistically instead: the first statement that meets one fails
    (503), SQLAlchemy then invalidates every connection pooled before it, and later requests
    get fresh ones, so the service recovers by itself once the database is back.
    """
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        # A burst beyond the pool gets a few extra connections, closed again when returned. Keep
        # the pool itself at the usual concurrency: opening a connection (TLS negotiation, asyncpg's
        # type introspection) costs more CPU than a whole request, and a pool smaller than the load
        # opens and closes them continuously (docs/benchmarks.md, Programme).
        max_overflow=max(1, pool_size // 2),
        pool_pre_ping=False,
        pool_timeout=connect_timeout,
        connect_args={"timeout": connect_timeout},
    )


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, with each statement its own transaction.

    For hot read paths that run single statements (who is this signed-in caller?): it saves
    the BEGIN and ROLLBACK round-trips a transaction would add to every request.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def build_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: mapped values stay readable after commit without another query.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def rolled_back_sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions sharing one connection whose transaction is rolled back at the end, whatever they commit.

    For dry runs: each session's commit only releases a savepoint, so every statement really runs
    (constraints included) and later work sees earlier work, yet nothing is kept.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield async_sessionmaker(
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
                autoflush=False,
            )
        finally:
            await transaction.rollback()
