"""Health probe for Postgres."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine


class PostgresProbe:
    """Satisfies ``domain.ports.DependencyProbe`` with a ``SELECT 1`` on a pooled connection."""

    name = "database"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        try:
            await self._select_one()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # A pooled connection died while Postgres was away (the pool does not pre-ping);
            # the pool has now dropped it and its siblings, so one fresh try tells the truth.
            await self._select_one()

    async def _select_one(self) -> None:
        async with self._engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
