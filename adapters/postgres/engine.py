"""The async SQLAlchemy engine and session factory for Postgres (asyncpg)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def build_engine(database_url: str, *, pool_size: int = 10, connect_timeout: float = 5.0) -> AsyncEngine:
    """One engine per process; nothing connects until first use.

    ``pool_pre_ping`` lets the pool notice connections that died while Postgres was away, so the
    service recovers by itself once the database is back.
    """
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=connect_timeout,
        connect_args={"timeout": connect_timeout},
    )


def build_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: mapped values stay readable after commit without another query.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
