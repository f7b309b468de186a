"""Truly concurrent requests against the whole app, and counting rows behind its back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from entrypoints.http.app import create_app
from entrypoints.settings import Settings

# Up to 60 s: a loaded machine may take long to bring twenty requests to their write; the waits end as
# soon as they are all there.
WAIT_STEPS, WAIT_STEP_SECONDS = 1200, 0.05


@asynccontextmanager
async def overlapping_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Requests gathered on this client really overlap: httpx's ASGI transport runs them concurrently on
    this loop (Litestar's test client would queue them), each in its own database transaction."""
    app = create_app(settings, configure_process=False)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar types its ASGI scopes more narrowly than httpx
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client, app.lifespan():
        yield client


async def count(database_url: str, sql: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql))).scalar_one())
    finally:
        await engine.dispose()


class HeldWrites:
    """Every write to one table waits behind a SHARE lock held by the test, while reads go on."""

    def __init__(self, connection: AsyncConnection, table: str) -> None:
        self._connection = connection
        self._table = table

    async def until_waiting(self, writers: int) -> None:
        """Returns once ``writers`` transactions wait for the table: they have all done their reads."""
        waiting = text("SELECT count(*) FROM pg_locks WHERE relation = CAST(:t AS regclass) AND NOT granted")
        for _ in range(WAIT_STEPS):
            if (await self._connection.execute(waiting, {"t": self._table})).scalar_one() >= writers:
                return
            await asyncio.sleep(WAIT_STEP_SECONDS)
        raise AssertionError(f"fewer than {writers} writers reached {self._table}")

    async def until_blocked(self, transactions: int) -> None:
        """Returns once ``transactions`` others wait for a lock, on this table or on a row another holds:
        for code that serialises on a row lock before it writes, that is when the last is in line."""
        blocked = text(
            "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
        )
        for _ in range(WAIT_STEPS):
            if (await self._connection.execute(blocked)).scalar_one() >= transactions:
                return
            await asyncio.sleep(WAIT_STEP_SECONDS)
        raise AssertionError(f"fewer than {transactions} transactions waited")


@asynccontextmanager
async def writes_held(database_url: str, table: str) -> AsyncIterator[HeldWrites]:
    """Forces the worst interleaving instead of hoping for it: concurrent requests all read (and so all see
    the same state) before any of them writes. The writes go ahead when the block ends."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection, connection.begin():
            await connection.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
            yield HeldWrites(connection, table)
    finally:
        await engine.dispose()
