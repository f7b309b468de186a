"""Plain asyncpg connections for the hot job-record writes (no ORM on the path).

A worker records two status changes per job and a caller writes one row per job; through the
ORM each costs more CPU than the job itself (statement building, cache keys, result
synchronisation). These writes are fixed statements, so they go to asyncpg directly, where they
are prepared once per connection and reused.

The pool opens on first use, in the loop that uses it (asyncpg connections belong to one loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class RawPool:
    def __init__(self, database_url: str, *, size: int = 4, connect_timeout: float = 5.0) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._size = size
        self._timeout = connect_timeout
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        # Told of each statement before it is sent (as SQLAlchemy's before_cursor_execute is), so
        # statement-count tests see this pool's reads too; empty in production.
        self.statement_listeners: list[Callable[[str], None]] = []

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """One statement in a transaction of its own (asyncpg's implicit one: no BEGIN/COMMIT)."""
        for listener in self.statement_listeners:
            listener(query)
        rows: list[asyncpg.Record] = await (await self._opened()).fetch(query, *args)
        return rows

    async def execute(self, query: str, *args: Any) -> str:
        for listener in self.statement_listeners:
            listener(query)
        status: str = await (await self._opened()).execute(query, *args)
        return status

    async def acquire(self) -> RawConnection:
        """A connection of its own, for a transaction over several statements; give it back with
        ``release`` (asyncpg rolls back anything left open then)."""
        return RawConnection(await (await self._opened()).acquire(), self.statement_listeners)

    async def release(self, connection: RawConnection) -> None:
        if self._pool is not None:
            await self._pool.release(connection.raw)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def _opened(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        self._opening = self._opening or asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=1, max_size=self._size, timeout=self._timeout, reset=_keep_session
                )
        return self._pool


class RawConnection:
    """One pooled connection held for a transaction; its statements are told to the pool's listeners."""

    __slots__ = ("_listeners", "raw")

    def __init__(self, raw: asyncpg.Connection, listeners: list[Callable[[str], None]]) -> None:
        self.raw = raw
        self._listeners = listeners

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        for listener in self._listeners:
            listener(query)
        rows: list[asyncpg.Record] = await self.raw.fetch(query, *args)
        return rows

    async def execute(self, query: str, *args: Any) -> str:
        for listener in self._listeners:
            listener(query)
        status: str = await self.raw.execute(query, *args)
        return status


async def _keep_session(connection: asyncpg.Connection) -> None:
    """No reset query when a connection goes back to the pool.

    asyncpg's default reset (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) is a round trip
    after every statement. Our statements change no session state, and asyncpg still rolls
    back a transaction left open before calling this.
    """
