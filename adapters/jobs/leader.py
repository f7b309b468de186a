"""One active scheduler: a Postgres advisory lock held on a dedicated connection.

Postgres releases the lock the moment that connection dies, so a crashed leader is replaced by a
standby within one retry interval, with no lock expiry to tune. The same connection LISTENs for
change notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

logger = logging.getLogger("cap_portal.scheduler")

LOCK_KEY = 0x4341505F4A4F4253  # "CAP_JOBS"


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class LeaderLock:
    def __init__(self, database_url: str, *, retry_seconds: float = 2.0) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._retry = retry_seconds
        self._connection: Any = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this process leads (True) or ``stop`` is set (False)."""
        announced = False
        while not stop.is_set():
            try:
                if await self._try_acquire():
                    logger.info("scheduler is the leader")
                    return True
                if not announced:
                    logger.info("another scheduler leads; standing by")
                    announced = True
            except (OSError, asyncpg.PostgresError) as exc:
                logger.warning("leader lock unavailable", extra={"reason": repr(exc)})
                await self.release()
            await _wait(stop, self._retry)
        return False

    async def still_held(self) -> bool:
        try:
            await self._connection.fetchval("SELECT 1", timeout=5)
        except Exception:  # noqa: BLE001 - any failure means the lock may be gone
            return False
        return True

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        await self._connection.add_listener(channel, lambda *_: callback())

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close(timeout=5)
            except Exception:  # noqa: BLE001 - closing a broken connection releases the lock anyway
                connection.terminate()

    async def _try_acquire(self) -> bool:
        if self._connection is None:
            self._connection = await asyncpg.connect(self._dsn, timeout=5)
        held = await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)
        return bool(held)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
